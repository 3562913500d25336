"""Start an Odoo server exactly as ``python3 -m odoo ARGS`` does, but from a script file.

``python3 -m odoo --workers=N`` cannot start its gevent (websocket) process: Odoo's prefork
master re-executes ``sys.executable sys.argv[0] gevent ...``, and with ``-m`` that
``sys.argv[0]`` is ``odoo/__main__.py``, whose relative import fails when it runs as a script
("attempted relative import with no known parent package", a traceback on every respawn).
From this file the re-execution is ``python3 odoo_server.py gevent ...``, which works.

When ``GCS_PARENT_PID`` is set, the server is stopped (SIGTERM, as by Ctrl-C) if the process
that started it dies without stopping it (Linux ``PR_SET_PDEATHSIG``): a test process killed
half-way leaves no Odoo server behind. The gevent process (``gevent`` argument) and the workers
are stopped by their master.
"""

import os
import signal
import sys


def _die_with_parent():
    parent = os.environ.get("GCS_PARENT_PID")
    if not parent or not sys.platform.startswith("linux"):
        return
    import ctypes

    pr_set_pdeathsig = 1
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(pr_set_pdeathsig, signal.SIGTERM)
    if os.getppid() != int(parent):  # the parent died before prctl: stop now
        sys.exit(1)


if __name__ == "__main__":
    # this directory first on sys.path would let its modules shadow others
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(__file__)]
    if sys.argv[1:2] != ["gevent"]:
        _die_with_parent()
    from odoo.cli.command import main

    main()

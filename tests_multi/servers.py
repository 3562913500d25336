"""A harness for tests that need real Odoo server processes on one database.

What a test of several Odoo servers needs, written once:

- databases: a copy of an installed template (``createdb -T``, a fraction of a second) or a
  fresh install, dropped with its filestore at the end (:class:`Database`);
- servers: N ``odoo`` processes in prefork mode (HTTP workers, cron workers, the gevent
  process) on free ports, one data directory, logs in files (:class:`OdooServer`);
- JSON-RPC as any user (:class:`Rpc`), errors as :class:`RpcError` (the exception's class
  and message, as a user sees them);
- calls started at the same instant from threads (:func:`launch_at_once`);
- a GoCardless emulator whose requests can be held at a gate (:class:`GatedEmulator`), and
  a table lock that holds writers in the database (:func:`table_locked`): both make "the
  second run is refused while the first one works" deterministic;
- scheduled actions made due and waited for (:func:`make_crons_due`, :func:`wait_crons_ran`);
- bounded waits on a condition (:func:`wait_for`), never sleeps of fixed length.

Nothing here depends on the scenario: ``test_two_servers.py`` is one user of it.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import psycopg2
from psycopg2 import sql

from gocardless_emulator import Emulator

REPO_ROOT = Path(__file__).resolve().parents[1]
LAUNCHER = Path(__file__).with_name("odoo_server.py")
# what Odoo (or its gevent process) prints when its port is taken
PORT_TAKEN = "Address already in use"
# an Odoo log record of level ERROR or CRITICAL ("2026-01-31 10:00:00,123 4242 ERROR db ..."),
# or a traceback anywhere (also on stderr, outside Odoo's logging)
PROBLEM_LINE = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ \d+ (ERROR|CRITICAL) |Traceback \(most recent call"
)


# -- waiting ---------------------------------------------------------------------------------
def wait_for(condition: Callable, timeout: float, what: str, interval: float = 0.1):
    """Call ``condition`` until it returns something true, and return it; AssertionError
    (naming ``what`` and the last value seen) after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: still not the case after {timeout:.0f} s ({value!r})")
        time.sleep(interval)


def launch_at_once(*calls: Callable, timeout: float = 60) -> list[Future]:
    """Start every callable in its own thread, released at the same instant (a barrier);
    return their futures (``result(timeout)`` gives the value or raises the error)."""
    barrier = threading.Barrier(len(calls), timeout=timeout)
    pool = ThreadPoolExecutor(max_workers=len(calls), thread_name_prefix="at-once")

    def run(call):
        barrier.wait()
        return call()

    futures = [pool.submit(run, call) for call in calls]
    pool.shutdown(wait=False)
    return futures


def outcomes(futures: list[Future], timeout: float = 120) -> list:
    """Each future's value, or the exception it raised (not raised here)."""
    results = []
    for future in futures:
        try:
            results.append(future.result(timeout))
        except Exception as error:  # the caller inspects it
            results.append(error)
    return results


# -- ports, paths ----------------------------------------------------------------------------
def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def odoo_addons_path() -> str:
    """Odoo's own addons folders (odoo/addons and the community addons beside it) and this
    repository, as ``scripts/lib.sh`` builds it."""
    import odoo

    root = Path(odoo.__file__).resolve().parent
    paths = [p for p in (root / "addons", root.parent / "addons") if p.is_dir()]
    return ",".join(str(p) for p in [*paths, REPO_ROOT])


# -- PostgreSQL ------------------------------------------------------------------------------
def pg_connect(dbname: str = "postgres", autocommit: bool = True):
    """A psycopg2 connection (libpq's PGHOST, PGPORT, PGUSER apply); each statement commits
    when ``autocommit``, so that every query sees what the servers committed."""
    connection = psycopg2.connect(dbname=dbname)
    connection.autocommit = autocommit
    return connection


def query(connection, statement: str, params=None) -> list[tuple]:
    with connection.cursor() as cr:
        cr.execute(statement, params)
        return cr.fetchall() if cr.description else []


def run_sql(dbname: str, statement: str, params=None) -> list[tuple]:
    """One statement (outside any transaction: CREATE / DROP DATABASE) on a connection of
    its own."""
    connection = pg_connect(dbname)
    try:
        return query(connection, statement, params)
    finally:
        connection.close()


class Database:
    """A database of its own for a test, and its filestore in ``data_dir``; :meth:`drop`
    removes both (also after a failure: call it from a finaliser)."""

    def __init__(self, name: str, data_dir: Path):
        self.name = name
        self.data_dir = Path(data_dir)

    @property
    def filestore(self) -> Path:
        return self.data_dir / "filestore" / self.name

    @classmethod
    def from_template(cls, template: str, name: str, data_dir: Path, template_data_dir=None):
        """``CREATE DATABASE name TEMPLATE template`` (nobody may be connected to the
        template) and a copy of the template's filestore. The copy gets a new
        ``database.uuid``, as a database duplicated by Odoo does: it shares no references or
        idempotency keys with the template."""
        database = cls(name, data_dir)
        run_sql(
            "postgres",
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(template)
            ),
        )
        source = Path(template_data_dir or data_dir) / "filestore" / template
        if source.is_dir():
            shutil.copytree(source, database.filestore)
        database.set_uuid()
        return database

    @classmethod
    def install(cls, name: str, data_dir: Path, modules="gocardless_sync", log=None):
        """A new database with ``modules`` installed, without demo data (about a minute:
        the fallback when no template is given)."""
        database = cls(name, data_dir)
        command = [
            sys.executable,
            str(LAUNCHER),
            f"--addons-path={odoo_addons_path()}",
            f"--data-dir={data_dir}",
            f"--database={name}",
            f"--init={modules}",
            "--without-demo=all",
            "--stop-after-init",
            "--no-http",
            "--max-cron-threads=0",
            "--log-level=warn",
        ]
        subprocess.run(command, check=True, timeout=900, stdout=log, stderr=subprocess.STDOUT)
        return database

    def set_uuid(self):
        run_sql(
            self.name,
            "UPDATE ir_config_parameter SET value = %s WHERE key = 'database.uuid'",
            [str(uuid.uuid4())],
        )

    def connect(self):
        return pg_connect(self.name)

    def drop(self):
        """Drop the database (closing whatever is still connected to it) and its filestore."""
        run_sql(
            "postgres",
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name)),
        )
        shutil.rmtree(self.filestore, ignore_errors=True)


# -- Odoo servers ----------------------------------------------------------------------------
class OdooServer:
    """One Odoo server process (prefork: ``workers`` HTTP workers, ``cron_threads`` cron
    workers and the gevent process) serving ``database`` only, on free ports of 127.0.0.1.

    Its log (level info) goes to ``<log_dir>/<name>.log``; what it prints outside Odoo's
    logging (stderr) to ``<name>.out``. It runs in a process group of its own, so that
    :meth:`stop` ends the master, its workers and its gevent process, and nothing else."""

    def __init__(
        self,
        name: str,
        database: Database,
        log_dir: Path,
        workers: int = 2,
        cron_threads: int = 1,
        extra_args=(),
    ):
        self.name = name
        self.database = database
        self.log_dir = Path(log_dir)
        self.workers = workers
        self.cron_threads = cron_threads
        self.extra_args = list(extra_args)
        self.process: subprocess.Popen | None = None
        self.http_port = self.gevent_port = None
        self.logfile = self.log_dir / f"{name}.log"
        self.outfile = self.log_dir / f"{name}.out"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def gevent_url(self) -> str:
        return f"http://127.0.0.1:{self.gevent_port}"

    def command(self) -> list[str]:
        db = self.database.name
        return [
            sys.executable,
            str(LAUNCHER),
            f"--addons-path={odoo_addons_path()}",
            f"--data-dir={self.database.data_dir}",
            f"--database={db}",
            f"--db-filter=^{re.escape(db)}$",
            "--http-interface=127.0.0.1",
            f"--http-port={self.http_port}",
            f"--gevent-port={self.gevent_port}",
            f"--workers={self.workers}",
            f"--max-cron-threads={self.cron_threads}",
            f"--logfile={self.logfile}",
            "--log-level=info",
            *self.extra_args,
        ]

    def start(self):
        """Start the process (returns at once; :meth:`wait_ready` waits for it). Call it from
        the thread that will stop it: the server stops by itself when that thread's process
        dies (see odoo_server.py)."""
        self.http_port, self.gevent_port = free_port(), free_port()
        while self.gevent_port == self.http_port:
            self.gevent_port = free_port()
        env = dict(os.environ, GCS_PARENT_PID=str(os.getpid()))
        self.log_dir.mkdir(parents=True, exist_ok=True)
        with open(self.outfile, "ab") as out:
            self.process = subprocess.Popen(
                self.command(),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,  # its own process group: see stop()
            )
        return self

    def _answers(self, url) -> bool:
        try:
            with urllib.request.urlopen(f"{url}/web/health", timeout=2) as response:
                return response.status == 200
        except (OSError, urllib.error.URLError):
            return False

    def ready(self) -> bool:
        """True once the HTTP workers and the gevent process answer; :class:`PortTaken` when
        another program took one of its ports first, AssertionError when it has ended."""
        if any(PORT_TAKEN in line for line in self.log_lines()):
            raise PortTaken(self.name)
        if self.process.poll() is not None:
            raise AssertionError(
                f"Odoo server {self.name} exited with {self.process.returncode}:\n"
                + self.log_text(tail=60)
            )
        return self._answers(self.url) and self._answers(self.gevent_url)

    def wait_ready(self, timeout: float = 120):
        wait_for(self.ready, timeout, f"Odoo server {self.name} answering on {self.url}", 0.2)
        return self

    def pids(self) -> list[int]:
        """The processes of the server's group still alive (master, workers, gevent)."""
        if self.process is None:
            return []
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # fields after the command's closing parenthesis: state ppid pgrp ...
            fields = stat.rsplit(")", 1)[1].split()
            if fields[0] != "Z" and int(fields[2]) == self.process.pid:
                found.append(int(entry.name))
        return found

    def stop(self, timeout: float = 30):
        """Stop gracefully (SIGTERM to the master, which stops its workers), then kill what
        is left of the process group after ``timeout`` seconds. Returns the pids that were
        still alive and had to be killed (normally none)."""
        if self.process is None:
            return []
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        stragglers = self.pids()
        if stragglers:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.process.poll() is None:
            self.process.wait(10)
        wait_for(lambda: not self.pids(), 10, f"processes of {self.name} ended")
        return stragglers

    def kill(self):
        """Kill the master, its workers and its gevent process at once (SIGKILL), as a crash
        would; :meth:`start` starts the server again (on new ports)."""
        if self.process is not None and self.pids():
            os.killpg(self.process.pid, signal.SIGKILL)
        if self.process is not None:
            self.process.wait(10)
        wait_for(lambda: not self.pids(), 10, f"processes of {self.name} killed")

    def log_text(self, tail: int | None = None) -> str:
        parts = []
        for path in (self.logfile, self.outfile):
            if path.exists():
                lines = path.read_text(errors="replace").splitlines()
                if tail:
                    lines = lines[-tail:]
                parts.append(f"--- {path.name} ---\n" + "\n".join(lines))
        return "\n".join(parts)

    def log_mark(self) -> tuple[int, int]:
        """Where the log and stderr files end now: the start of a window of
        :meth:`log_lines`."""
        return tuple(path.stat().st_size if path.exists() else 0 for path in self._log_paths())

    def _log_paths(self):
        return (self.logfile, self.outfile)

    def log_lines(self, start=None, end=None) -> list[str]:
        """The lines written to the log and to stderr between two :meth:`log_mark` (from the
        beginning, to the end by default)."""
        lines = []
        for index, path in enumerate(self._log_paths()):
            if not path.exists():
                continue
            with open(path, "rb") as file:
                first = start[index] if start else 0
                file.seek(first)
                chunk = file.read((end[index] - first) if end else -1)
            lines += chunk.decode(errors="replace").splitlines()
        return lines

    def problem_lines(self, start=None, end=None) -> list[str]:
        """Lines of the log (and of stderr) at level ERROR or CRITICAL, or with a traceback,
        between two :meth:`log_mark` (all by default)."""
        return [
            f"{self.name}: {line}"
            for line in self.log_lines(start, end)
            if PROBLEM_LINE.search(line)
        ]


class PortTaken(Exception):
    """Another program bound a port between :func:`free_port` and the server's start."""


def start_servers(database: Database, count: int, log_dir: Path, timeout=120, **options):
    """Start ``count`` servers on ``database`` together, and wait until all of them answer.
    A server whose port was taken meanwhile is started again on other ports (twice at
    most)."""
    servers = [OdooServer(f"odoo{n}", database, log_dir, **options) for n in range(1, count + 1)]
    for server in servers:
        server.start()
    try:
        for server in servers:
            for attempt in range(3):
                try:
                    server.wait_ready(timeout)
                    break
                except PortTaken:
                    if attempt == 2:
                        raise
                    server.stop()
                    for path in server._log_paths():
                        path.unlink(missing_ok=True)
                    server.start()
    except BaseException:
        for server in servers:
            server.stop()
        raise
    return servers


# -- JSON-RPC --------------------------------------------------------------------------------
class RpcError(Exception):
    """An error answered by Odoo: ``name`` is the exception's class
    (``odoo.exceptions.UserError``), ``message`` what the user reads, ``debug`` the server's
    traceback text."""

    def __init__(self, name: str, message: str, debug: str = ""):
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message
        self.debug = debug


class Rpc:
    """JSON-RPC (``/jsonrpc``) on one server as one user:
    ``rpc("res.partner", "search_read", [domain], fields=["name"])``."""

    _ids = itertools.count(1)

    def __init__(self, server_url: str, db: str, login: str, password: str, timeout=180):
        self.url = server_url.rstrip("/") + "/jsonrpc"
        self.db = db
        self.login = login
        self.password = password
        self.timeout = timeout
        self.uid = self.call_service("common", "login", db, login, password)
        if not self.uid:
            raise AssertionError(f"{login} could not log in to {db} on {server_url}")

    def call_service(self, service: str, method: str, *args):
        body = {
            "jsonrpc": "2.0",
            "method": "call",
            "id": next(self._ids),
            "params": {"service": service, "method": method, "args": list(args)},
        }
        request = urllib.request.Request(
            self.url,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            answer = json.loads(response.read())
        if "error" in answer:
            data = answer["error"].get("data") or {}
            raise RpcError(
                data.get("name") or answer["error"].get("message", "?"),
                data.get("message") or answer["error"].get("message", ""),
                data.get("debug") or "",
            )
        return answer.get("result")

    def __call__(self, model: str, method: str, *args, **kwargs):
        return self.call_service(
            "object",
            "execute_kw",
            self.db,
            self.uid,
            self.password,
            model,
            method,
            list(args),
            kwargs,
        )

    def ref(self, xmlid: str) -> int:
        """The id of the record of an XML id (``module.name``)."""
        module, name = xmlid.split(".", 1)
        rows = self(
            "ir.model.data",
            "search_read",
            [("module", "=", module), ("name", "=", name)],
            fields=["res_id"],
        )
        if not rows:
            raise AssertionError(f"no record {xmlid}")
        return rows[0]["res_id"]


# -- gates: hold the first run while the second one is refused -------------------------------
class Gate:
    """Requests matching ``method`` (None: any) and a path prefix wait here until
    :meth:`release` (at most ``max_hold`` seconds, so that a test never hangs); then the
    gate stays open."""

    def __init__(self, method: str | None, path: str, max_hold: float = 90):
        self.method = method
        self.path = path
        self.max_hold = max_hold
        self.held = 0
        self._open = threading.Event()
        self._lock = threading.Lock()

    def matches(self, method: str, path: str) -> bool:
        return (
            not self._open.is_set()
            and (self.method is None or method == self.method)
            and path.startswith(self.path)
        )

    def hold(self):
        with self._lock:
            self.held += 1
        self._open.wait(self.max_hold)

    def release(self):
        self._open.set()


class GatedEmulator(Emulator):
    """The GoCardless emulator, whose API requests can be held at a :class:`Gate`:

        with emulator.gate("GET", "/customers") as gate:
            ...  # the first sync to read customers waits until the block ends

    The gate sits where the emulator picks the fault of a request (``take_fault``, called for
    every API request before it is processed), so a held request has not been processed."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._gates: list[Gate] = []

    @contextmanager
    def gate(self, method: str | None, path: str, max_hold: float = 90):
        gate = Gate(method, path, max_hold)
        self._gates.append(gate)
        try:
            yield gate
        finally:
            gate.release()
            self._gates.remove(gate)

    def take_fault(self, method: str, path: str):
        for gate in list(self._gates):
            if gate.matches(method, path):
                gate.hold()
        return super().take_fault(method, path)


@contextmanager
def table_locked(database: Database, table: str):
    """Hold ``LOCK TABLE table IN SHARE MODE`` in a transaction of its own until the block
    ends: every INSERT, UPDATE or DELETE on the table waits meanwhile (reads do not). Yields
    a function giving how many other transactions are waiting for the table."""
    connection = pg_connect(database.name, autocommit=False)
    try:
        with connection.cursor() as cr:
            cr.execute(sql.SQL("LOCK TABLE {} IN SHARE MODE").format(sql.Identifier(table)))
        watcher = pg_connect(database.name)

        def waiting():
            return query(
                watcher,
                """
                SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
                 WHERE c.relname = %s AND NOT l.granted
                """,
                [table],
            )[0][0]

        try:
            yield waiting
        finally:
            watcher.close()
    finally:
        connection.rollback()
        connection.close()


# -- scheduled actions -----------------------------------------------------------------------
def cron_ids(connection, xmlids: list[str]) -> dict[str, int]:
    """{XML id: ir.cron id}."""
    ids = {}
    for xmlid in xmlids:
        module, name = xmlid.split(".", 1)
        rows = query(
            connection,
            """
            SELECT res_id FROM ir_model_data
             WHERE module = %s AND name = %s AND model = 'ir.cron'
            """,
            [module, name],
        )
        if not rows:
            raise AssertionError(f"no scheduled action {xmlid}")
        ids[xmlid] = rows[0][0]
    return ids


def postpone_crons(connection):
    """Every scheduled action due in a year, no pending trigger: servers that start on the
    database run nothing until a test makes a scheduled action due."""
    query(
        connection,
        "UPDATE ir_cron SET nextcall = (now() AT TIME ZONE 'UTC') + interval '1 year'",
    )
    query(connection, "DELETE FROM ir_cron_trigger")


def notify_cron_workers(dbname: str):
    """Wake the cron workers up, as Odoo's ``ir.cron._trigger`` does at commit: a NOTIFY on
    the ``postgres`` database, where every cron worker listens (LISTEN / NOTIFY do not cross
    databases)."""
    run_sql("postgres", "SELECT pg_notify('cron_trigger', %s)", [dbname])


def make_crons_due(connection, ids):
    """Make the scheduled actions ``ids`` due (``nextcall`` a minute ago) and wake the cron
    workers of every server up.

    The UPDATE waits for a run in progress (it holds the job's row) to end, and whichever
    run ends next moves ``nextcall`` forward from the value written here: so once
    ``nextcall`` is in the future again (:func:`wait_crons_ran`), a whole run has started
    after this call. (``lastcall`` cannot tell: Odoo stores it to the second.)"""
    query(
        connection,
        """
        UPDATE ir_cron SET nextcall = (now() AT TIME ZONE 'UTC') - interval '1 minute'
         WHERE id = ANY(%s)
        """,
        [list(ids)],
    )
    notify_cron_workers(connection.info.dbname)


def wait_crons_ran(connection, ids, timeout: float = 120):
    """Wait until none of the scheduled actions ``ids`` is due any more: each has run (to
    its end) since :func:`make_crons_due`, and so has each trigger due by now (``ir.cron.
    _trigger``). The cron workers are woken up again every few seconds meanwhile: one that
    was still starting could have missed the first call."""
    ids = list(ids)
    last_notify = time.monotonic()

    def due():
        nonlocal last_notify
        if time.monotonic() - last_notify > 3:
            notify_cron_workers(connection.info.dbname)
            last_notify = time.monotonic()
        return query(
            connection,
            """
            SELECT id FROM ir_cron
             WHERE id = ANY(%s)
               AND (nextcall <= (now() AT TIME ZONE 'UTC')
                    OR id IN (SELECT cron_id FROM ir_cron_trigger
                               WHERE call_at <= (now() AT TIME ZONE 'UTC')))
            """,
            [ids],
        )

    wait_for(lambda: not due(), timeout, f"scheduled actions {ids} run", interval=0.2)

"""Tests that run real Odoo servers (processes) against a database of their own.

They need no Odoo registry in the test process: pytest-odoo's autouse session fixtures are
shadowed for this directory (as ``gocardless_emulator/tests/conftest.py`` does), so that
``python3 -m pytest tests_multi`` runs with or without ``--odoo-database``, while the addon's
tests in the same run keep pytest-odoo's own fixtures.
"""

import sys
from pathlib import Path

import pytest

_EMULATOR_SRC = Path(__file__).resolve().parents[1] / "gocardless_emulator" / "src"
if str(_EMULATOR_SRC) not in sys.path:  # a fresh clone runs without installing the emulator
    sys.path.insert(0, str(_EMULATOR_SRC))


@pytest.fixture(scope="session", autouse=True)
def load_registry():
    """No Odoo registry needed here (see the module's docstring)."""
    yield


@pytest.fixture(scope="session", autouse=True)
def load_http(load_registry):
    """No in-process Odoo HTTP server needed here: the tests start their own servers."""
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed test that used Odoo servers shows what they logged (problems first)."""
    outcome = yield
    report = outcome.get_result()
    if not report.failed:
        return
    run = getattr(item, "funcargs", {}).get("scenario")
    if run is not None:
        report.sections.append(("Odoo servers", run.logs_report()))

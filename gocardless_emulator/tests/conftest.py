"""Fixtures for the emulator's own tests (names prefixed ``gcemu`` to avoid clashes)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

_SRC = Path(__file__).resolve().parents[1] / "src"
if str(_SRC) not in sys.path:  # let a fresh clone run the tests without installing
    sys.path.insert(0, str(_SRC))

import gocardless_pro  # noqa: E402

from gocardless_emulator import Emulator, fixtures_path  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def load_registry():
    """Shadow pytest-odoo's autouse ``load_registry`` for the emulator's tests only.

    The emulator needs no Odoo database. pytest-odoo, when installed, loads an Odoo registry
    before the first test of a session and fails without ``--odoo-database``; overriding the
    fixture here (it only applies to tests in this directory) lets
    ``python3 -m pytest gocardless_emulator/tests`` run with or without a database, while the
    addon's tests in the same run keep pytest-odoo's own fixture.
    """
    yield


@pytest.fixture
def gcemu():
    emu = Emulator().start()
    yield emu
    emu.stop()


@pytest.fixture
def gcemu_client(gcemu):
    return gocardless_pro.Client(gcemu.access_token, base_url=gcemu.base_url)


@pytest.fixture
def gcemu_fixture():
    """Load one of the packaged GoCardless fixtures by name (without .json)."""

    def load(name: str):
        return json.loads((fixtures_path() / f"{name}.json").read_text(encoding="utf-8"))

    return load

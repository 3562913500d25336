"""The emulator's structure: the server composes its state, the HTTP layers use only the
state's public methods, and every endpoint served is one GoCardless has."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import gocardless_pro.services

import gocardless_emulator
from gocardless_emulator import Emulator, EmulatorState, api

PACKAGE = Path(gocardless_emulator.__file__).resolve().parent


def test_the_emulator_composes_its_state():
    assert not issubclass(Emulator, EmulatorState)
    emu = Emulator()
    assert isinstance(emu.state, EmulatorState)
    assert emu.customers is emu.state.customers
    emu.seed_customers(2)
    assert len(emu.state.customers) == 2


def _private_uses(module: str) -> list[str]:
    tree = ast.parse((PACKAGE / f"{module}.py").read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        name = node.attr
        if not name.startswith("_") or (name.startswith("__") and name.endswith("__")):
            continue
        if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
            continue
        found.append(f"{module}.py:{node.lineno}: .{name}")
    return found


def test_http_layers_use_public_methods_only():
    uses = []
    for module in ("api", "admin", "server", "flow_page", "emulator", "billing", "payouts"):
        uses.extend(_private_uses(module))
    assert uses == []


def _client_endpoints() -> set[tuple[str, str]]:
    """(method, path template) of every call the official client can make."""
    endpoints = set()
    folder = Path(inspect.getfile(gocardless_pro.services))
    for source in folder.parent.glob("*_service.py"):
        text = source.read_text(encoding="utf-8")
        pattern = r"path = (?:self\._sub_url_params\()?'([^']+)'.*?_perform_request\('(\w+)'"
        for path, method in re.findall(pattern, text, re.S):
            endpoints.add((method, path))
    return endpoints


def test_every_route_is_a_gocardless_endpoint():
    endpoints = _client_endpoints()
    assert ("GET", "/customers") in endpoints  # the scan works
    for method, pattern, _handler in api.ROUTES:
        sample = pattern.replace("(?P<id>[^/]+)", ":identity")
        assert (method, sample) in endpoints, f"{method} {sample} is not a GoCardless endpoint"

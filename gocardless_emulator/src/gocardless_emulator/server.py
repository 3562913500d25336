"""HTTP mechanics: one ThreadingHTTPServer, quiet, HTTP/1.1, daemon threads."""

from __future__ import annotations

import json
import socket
import sys
import traceback
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from . import admin, api, flow_page, problems
from .faults import REJECTING_KINDS

_HTML = (
    "<html><head><title>{status} {reason}</title></head><body><center><h1>{status} {reason}"
    "</h1></center><hr><center>emulated edge proxy</center></body></html>"
)


class EmulatorHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, address, emulator):
        self.emulator = emulator
        super().__init__(address, EmulatorHandler)


class EmulatorHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "GoCardlessEmulator/0.1"
    sys_version = ""

    def log_message(self, format, *args):  # noqa: A002 - quiet
        pass

    def version_string(self) -> str:
        return self.server_version

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")

    def do_PUT(self):
        self._handle("PUT")

    def do_DELETE(self):
        self._handle("DELETE")

    def do_PATCH(self):
        self._handle("PATCH")

    def _handle(self, method: str) -> None:
        try:
            handle_request(self, self.server.emulator, method)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    # -- output helpers -------------------------------------------------

    def send_body(self, status: int, body: bytes, content_type: str, headers: dict) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def drop(self) -> None:
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def _query(raw: str) -> dict:
    parsed = parse_qs(raw, keep_blank_values=True)
    return {key: ",".join(values) for key, values in parsed.items()}


def _parse_body(raw: bytes):
    if not raw.strip():
        return None
    return json.loads(raw)


def handle_request(handler: EmulatorHandler, emu, method: str) -> None:
    split = urlsplit(handler.path)
    path = split.path or "/"
    query = _query(split.query)
    try:
        length = int(handler.headers.get("Content-Length") or 0)
    except ValueError:
        length = 0
    raw = handler.rfile.read(length) if length > 0 else b""

    if path == admin.PREFIX or path.startswith(admin.PREFIX + "/"):
        status, payload = admin.dispatch(emu, method, path, raw)
        handler.send_body(status, api.dump(payload), "application/json", {})
        return
    if path.startswith(flow_page.PREFIX):
        status, body, headers = flow_page.handle(emu.state, method, path, raw)
        emu.deliver_new_events(sync=False)
        handler.send_body(status, body, "text/html; charset=utf-8", headers)
        return

    try:
        logged_body = _parse_body(raw)
    except ValueError:
        logged_body = raw.decode("utf-8", "replace")
    entry = {
        "method": method,
        "path": path,
        "query": query,
        "headers": dict(handler.headers.items()),
        "body": logged_body,
        "status": None,
    }
    emu.log_request(entry)
    request_id = str(uuid.uuid4())

    fault = emu.take_fault(method, path)
    if fault is not None and fault.kind in REJECTING_KINDS:
        _send_fault(handler, emu, fault.kind, request_id, entry)
        return

    limit_headers, limited = emu.limit_headers(count=True)
    headers = dict(limit_headers)
    headers["X-Request-Id"] = request_id
    try:
        if limited:
            raise problems.rate_limited()
        token = emu.access_token
        if handler.headers.get("Authorization") != f"Bearer {token}":
            raise problems.unauthorized()
        try:
            body = _parse_body(raw)
        except ValueError:
            raise problems.document_structure("The request body is not valid JSON.") from None
        status, payload = api.dispatch(emu.state, token, method, path, query, body, handler.headers)
    except problems.ApiProblem as problem:
        status, payload = problem.status, api.dump(problem.body(request_id))
    except Exception as error:  # a bug in the emulator: say so instead of hanging up
        traceback.print_exc(file=sys.stderr)
        problem = problems.internal_error(f"Emulator bug: {type(error).__name__}: {error}")
        status, payload = problem.status, api.dump(problem.body(request_id))

    # Queue webhooks for events this request recorded before answering, so that a caller
    # who got the response can rely on flush_webhooks() covering them.
    emu.deliver_new_events(sync=False)
    if fault is not None:  # timeout or drop: processed, but the response is lost
        if fault.kind == "timeout":
            emu.stopping.wait(fault.delay)
        handler.drop()
        return

    entry["status"] = status  # before sending: the caller may inspect the log at once
    handler.send_body(status, payload, "application/json", headers)


def _send_fault(handler: EmulatorHandler, emu, kind: str, request_id: str, entry: dict) -> None:
    if kind in ("html_429", "html_502"):
        status = 429 if kind == "html_429" else 502
        reason = "Too Many Requests" if status == 429 else "Bad Gateway"
        body = _HTML.format(status=status, reason=reason).encode("utf-8")
        entry["status"] = status
        handler.send_body(status, body, "text/html", {})
        return
    if kind == "rate_limit":
        problem = problems.rate_limited()
        headers = emu.exhausted_headers()
    elif kind == "server_error":
        problem = problems.internal_error()
        headers, _ = emu.limit_headers()
    elif kind == "not_found":
        problem = problems.not_found()
        headers, _ = emu.limit_headers()
    else:  # unauthorized
        problem = problems.unauthorized()
        headers, _ = emu.limit_headers()
    headers["X-Request-Id"] = request_id
    entry["status"] = problem.status
    handler.send_body(
        problem.status, api.dump(problem.body(request_id)), "application/json", headers
    )

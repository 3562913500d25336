"""The :class:`Emulator`: state + HTTP server + faults + webhooks + request log."""

from __future__ import annotations

import copy
import threading
import time
from email.utils import formatdate

from . import webhooks
from .faults import FaultQueue
from .server import EmulatorHTTPServer
from .state import EmulatorState, _base36


class Emulator(EmulatorState):
    """A local fake of the GoCardless Pro API.

    >>> emu = Emulator().start()          # doctest: +SKIP
    >>> client = gocardless_pro.Client(emu.access_token, base_url=emu.base_url)  # doctest: +SKIP
    """

    def __init__(
        self,
        access_token: str = "emulator-token",
        creditor_name: str = "Emulated Creditor Ltd",
        rate_limit: int | None = 1000,
    ):
        super().__init__(access_token, creditor_name, rate_limit)
        self.requests: list[dict] = []
        self.webhook_deliveries: list[dict] = []
        self._faults = FaultQueue()
        self._window_start: int | None = None
        self._window_count = 0
        self._server: EmulatorHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._deliveries = _DeliveryWorker(self)
        self.host: str | None = None
        self.port: int | None = None

    # ------------------------------------------------------------------ server

    @property
    def base_url(self) -> str | None:
        if self.port is None:
            return None
        host = self.host if self.host not in (None, "", "0.0.0.0") else "127.0.0.1"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    def start(self, host: str = "127.0.0.1", port: int = 0) -> Emulator:
        """Serve in a daemon thread. ``port=0`` picks a free port. Returns ``self``."""
        if self._server is not None:
            raise RuntimeError("the emulator is already running")
        self._stopping.clear()
        self._server = EmulatorHTTPServer((host, port), self)
        self.host = host
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.01},
            name=f"gocardless-emulator-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving (held ``timeout`` faults are released at once)."""
        self._stopping.set()
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self._deliveries.stop()

    def __enter__(self) -> Emulator:
        if self._server is None:
            self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def reset(self) -> None:
        """Drop all resources, events, idempotency keys, faults, the request log and the
        rate-limit window. Keeps the token, the creditor and ``webhook_target``."""
        with self._lock:
            self._clear_state()
            self.requests.clear()
            self.webhook_deliveries.clear()
            self._window_start = None
            self._window_count = 0
        self._faults.clear()

    # ------------------------------------------------------------------ faults

    def inject_fault(self, kind, times=1, skip=0, method=None, path=None, delay=None):
        """Fail the next ``times`` matching requests after letting ``skip`` through."""
        return self._faults.add(kind, times, skip, method, path, delay)

    def clear_faults(self) -> None:
        self._faults.clear()

    # ------------------------------------------------------------------ rate limit, log

    def _limit_headers(self, count: bool) -> tuple[dict, bool]:
        """The ratelimit-* headers every answer carries, and whether the window is used up.

        With ``rate_limit=None`` the headers still show GoCardless's 1000 a minute (clients
        read them), but nothing is ever refused."""
        now = time.time()
        window = int(now // 60) * 60
        with self._lock:
            if window != self._window_start:
                self._window_start = window
                self._window_count = 0
            if count:
                self._window_count += 1
            used = self._window_count
        limit = int(self.rate_limit) if self.rate_limit is not None else 1000
        headers = {
            "ratelimit-limit": str(limit),
            "ratelimit-remaining": str(max(0, limit - used)),
            "ratelimit-reset": formatdate(window + 60, usegmt=True),
        }
        return headers, self.rate_limit is not None and used > limit

    def _count_request(self) -> tuple[dict, bool]:
        return self._limit_headers(count=True)

    def _exhausted_headers(self) -> dict:
        headers, _ = self._limit_headers(count=False)
        headers["ratelimit-remaining"] = "0"
        return headers

    def _log_request(self, entry: dict) -> None:
        with self._lock:
            self.requests.append(entry)

    # ------------------------------------------------------------------ webhooks

    def pending_events(self) -> list[dict]:
        """Events recorded since the last :meth:`send_webhook` (copies)."""
        with self._lock:
            order = self._order["events"][self._webhook_cursor :]
            return [copy.deepcopy(self.events[event_id]) for event_id in order]

    def send_webhook(self, url, secret, events=None, webhook_id=None) -> tuple[int, bytes]:
        """POST ``{"events": [...], "meta": {"webhook_id": ...}}`` signed with ``secret``.

        ``events=None`` sends every event recorded since the last call; otherwise a list of
        event dicts or event IDs. Returns ``(status, body)`` and never raises: status ``0``
        means no HTTP response arrived (the body then holds the error text).
        """
        with self._lock:
            if events is None:
                order = self._order["events"][self._webhook_cursor :]
                payload = [copy.deepcopy(self.events[event_id]) for event_id in order]
            else:
                payload = [
                    copy.deepcopy(self.events[item] if isinstance(item, str) else item)
                    for item in events
                ]
            self._webhook_cursor = len(self._order["events"])
            if webhook_id is None:
                webhook_id = "WB" + _base36(self._next("webhooks")).rjust(12, "0")
        body = webhooks.webhook_body(payload, webhook_id)
        status, response = webhooks.post(url, secret, body)
        with self._lock:
            self.webhook_deliveries.append(
                {
                    "url": url,
                    "webhook_id": webhook_id,
                    "event_ids": [event.get("id") for event in payload],
                    "status": status,
                    "response": response,
                }
            )
        return status, response

    def _flush_outbox(self, sync: bool = True) -> None:
        with self._lock:
            target = self.webhook_target
            events = list(self._outbox)
            self._outbox.clear()
        if not events or target is None:
            return
        url, secret = target
        if sync:
            self.send_webhook(url, secret, events)
        else:
            self._deliveries.submit(url, secret, events)

    def flush_webhooks(self, timeout: float = 5.0) -> bool:
        """Wait until webhooks queued by HTTP-triggered events are delivered."""
        return self._deliveries.wait(timeout)


class _DeliveryWorker:
    """Delivers webhooks for events caused by HTTP requests, after the response is sent."""

    def __init__(self, emulator: Emulator):
        self._emulator = emulator
        self._condition = threading.Condition()
        self._jobs: list[tuple] = []
        self._busy = 0
        self._thread: threading.Thread | None = None
        self._stopped = False

    def submit(self, url, secret, events) -> None:
        with self._condition:
            self._jobs.append((url, secret, events))
            self._busy += 1
            self._stopped = False
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="gocardless-emulator-webhooks", daemon=True
                )
                self._thread.start()
            self._condition.notify_all()

    def _run(self) -> None:
        while True:
            with self._condition:
                while not self._jobs and not self._stopped:
                    self._condition.wait(0.5)
                if self._stopped and not self._jobs:
                    return
                url, secret, events = self._jobs.pop(0)
            try:
                self._emulator.send_webhook(url, secret, events)
            finally:
                with self._condition:
                    self._busy -= 1
                    self._condition.notify_all()

    def wait(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._condition:
            while self._busy:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._condition.wait(remaining)
        return True

    def stop(self) -> None:
        with self._condition:
            self._stopped = True
            self._condition.notify_all()

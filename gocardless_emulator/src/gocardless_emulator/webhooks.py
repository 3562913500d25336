"""Webhook signing and delivery (standard library only).

Deliveries look like GoCardless's: ``POST`` with ``Content-Type: application/json``,
``Webhook-Signature`` (lowercase hex HMAC-SHA256 of the raw body), ``User-Agent:
gocardless-webhook-service/1.1`` and an ``Origin`` header; GoCardless waits 10 s for a 2xx
answer and retries (up to 8 times, backing off) when it gets none. :class:`DeliveryWorker`
does the retries on a background thread, with configurable delays so that tests are fast.
"""

from __future__ import annotations

import hashlib
import heapq
import hmac
import itertools
import json
import threading
import time
import urllib.error
import urllib.request

USER_AGENT = "gocardless-webhook-service/1.1"
DELIVERY_TIMEOUT = 10.0
MAX_RETRIES = 8
# Seconds before each retry (GoCardless's own schedule is not published: it backs off
# over several hours). Tests set ``Emulator.webhook_retry_delays = (0,) * 8``.
DEFAULT_RETRY_DELAYS = (10, 30, 60, 300, 900, 1800, 3600, 7200)


def sign_webhook(body: bytes, secret: str) -> str:
    """Lowercase hex HMAC-SHA256 of the raw body, keyed with the endpoint's secret."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    return hmac.new(secret.encode("utf-8"), bytes(body), hashlib.sha256).hexdigest()


def webhook_body(events: list[dict], webhook_id: str) -> bytes:
    payload = {"events": events, "meta": {"webhook_id": webhook_id}}
    return json.dumps(payload, separators=(",", ":")).encode("utf-8")


def post(url: str, secret: str, body: bytes, timeout: float = DELIVERY_TIMEOUT, origin=None):
    """POST a webhook body. Returns ``(status, response_body)``; never raises.

    HTTP error statuses are returned as they are; when no HTTP response arrives at all
    (connection refused, timeout) the status is ``0`` and the body is the error text.
    """
    headers = {
        "Content-Type": "application/json",
        "Webhook-Signature": sign_webhook(body, secret),
        "User-Agent": USER_AGENT,
    }
    if origin:
        headers["Origin"] = origin
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        try:
            content = error.read()
        except Exception:  # pragma: no cover - a broken error body
            content = b""
        return error.code, content
    except (urllib.error.URLError, OSError) as error:
        return 0, str(getattr(error, "reason", error)).encode("utf-8")


def delivered(status: int) -> bool:
    return 200 <= status < 300


class DeliveryWorker:
    """Runs webhook attempts on one background thread, each at its due time.

    ``attempt(job)`` is called for each due job and returns whether it was delivered;
    ``retry_delay(job)`` gives the delay before the next attempt of a failed job, or
    ``None`` when no retry is left.
    """

    def __init__(self, attempt, retry_delay):
        self._attempt = attempt
        self._retry_delay = retry_delay
        self._condition = threading.Condition()
        self._jobs: list[tuple[float, int, dict]] = []
        self._order = itertools.count()
        self._busy = 0
        self._thread: threading.Thread | None = None
        self._stopped = False

    def schedule(self, job: dict, delay: float = 0.0) -> None:
        with self._condition:
            heapq.heappush(self._jobs, (time.monotonic() + delay, next(self._order), job))
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
                while not self._stopped:
                    if self._jobs:
                        wait = self._jobs[0][0] - time.monotonic()
                        if wait <= 0:
                            break
                        self._condition.wait(wait)
                    else:
                        self._condition.wait(0.5)
                if self._stopped:
                    return
                _, _, job = heapq.heappop(self._jobs)
                self._busy += 1
            try:
                if not self._attempt(job):
                    delay = self._retry_delay(job)
                    if delay is not None:
                        self.schedule(job, delay)
            finally:
                with self._condition:
                    self._busy -= 1
                    self._condition.notify_all()

    def wait(self, timeout: float) -> bool:
        """Wait until no attempt is due or running (retries included)."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while self._busy or self._jobs:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._condition.wait(min(remaining, 0.05))
        return True

    def clear(self) -> None:
        """Forget every job not yet attempted (a running attempt finishes)."""
        with self._condition:
            self._jobs.clear()
            self._condition.notify_all()

    def stop(self) -> None:
        with self._condition:
            self._stopped = True
            self._jobs.clear()
            self._condition.notify_all()

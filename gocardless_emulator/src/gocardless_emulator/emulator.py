"""The :class:`Emulator`: an account's state, served over HTTP, with faults, a rate limit,
a request log and webhook deliveries. It is composed of an
:class:`~gocardless_emulator.state.EmulatorState` (``emulator.state``) and forwards the
control API to it."""

from __future__ import annotations

import copy
import threading
import time
from email.utils import formatdate

from . import webhooks
from .faults import FaultQueue
from .server import EmulatorHTTPServer
from .state import EmulatorState


class Emulator:
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
        self.state = EmulatorState(creditor_name)
        self.access_token = access_token
        self.rate_limit = rate_limit
        self.requests: list[dict] = []
        self.webhook_deliveries: list[dict] = []
        self.webhook_target: tuple[str, str] | None = None
        self.webhook_timeout = webhooks.DELIVERY_TIMEOUT
        self.webhook_retry_delays: tuple = webhooks.DEFAULT_RETRY_DELAYS
        self.stopping = threading.Event()
        self._faults = FaultQueue()
        self._log_lock = threading.Lock()
        self._window_start: int | None = None
        self._window_count = 0
        self._outbox_cursor = 0  # events before it were handed to webhook_target (or not)
        self._webhook_cursor = 0  # events before it were sent by send_webhook(events=None)
        self._deliveries = webhooks.DeliveryWorker(self._attempt, self._retry_delay)
        self._server: EmulatorHTTPServer | None = None
        self._thread: threading.Thread | None = None
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
        self.stopping.clear()
        self._server = EmulatorHTTPServer((host, port), self)
        self.host = host
        self.port = self._server.server_address[1]
        self.state.flow_base_url = self.base_url
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.01},
            name=f"gocardless-emulator-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving (held ``timeout`` faults are released, pending retries dropped)."""
        self.stopping.set()
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
        """Drop all resources, events, idempotency keys, faults, the request log, pending
        webhook retries and the rate-limit window; fees and payment limits back to their
        defaults. Keeps the token, the creditor, ``webhook_target`` and the webhook
        settings."""
        self._deliveries.clear()
        with self.state.lock:
            self.state.clear()
            self._outbox_cursor = self._webhook_cursor = 0
        with self._log_lock:
            self.requests.clear()
            self.webhook_deliveries.clear()
            self._window_start = None
            self._window_count = 0
        self._faults.clear()

    # ------------------------------------------------------------------ state (read)

    @property
    def customers(self) -> dict:
        return self.state.customers

    @property
    def bank_accounts(self) -> dict:
        return self.state.bank_accounts

    @property
    def mandates(self) -> dict:
        return self.state.mandates

    @property
    def payments(self) -> dict:
        return self.state.payments

    @property
    def payouts(self) -> dict:
        return self.state.payouts

    @property
    def payout_items(self) -> dict:
        return self.state.payout_items

    @property
    def refunds(self) -> dict:
        return self.state.refunds

    @property
    def events(self) -> dict:
        return self.state.events

    @property
    def billing_requests(self) -> dict:
        return self.state.billing_requests

    @property
    def billing_request_flows(self) -> dict:
        return self.state.billing_request_flows

    @property
    def billing_request_notifications(self) -> list:
        return self.state.billing.notifications

    @property
    def removed_customers(self) -> dict:
        return self.state.removed_customers

    @property
    def creditor(self) -> dict:
        return self.state.creditor

    @property
    def fees(self):
        return self.state.fees

    @fees.setter
    def fees(self, schedule) -> None:
        self.state.fees = schedule

    @property
    def payment_limits(self) -> dict:
        return self.state.payment_limits

    def counts(self) -> dict:
        return self.state.counts()

    # ------------------------------------------------------------------ seeding

    def add_customer(self, **fields) -> dict:
        return self.state.add_customer(**fields)

    def add_bank_account(self, customer_id: str, **fields) -> dict:
        return self.state.add_bank_account(customer_id, **fields)

    def add_mandate(self, customer_id: str, status="active", scheme="bacs", **fields) -> dict:
        return self.state.add_mandate(customer_id, status, scheme, **fields)

    def add_payment(self, mandate_id, amount, currency=None, status="pending_submission", **f):
        return self.state.add_payment(mandate_id, amount, currency, status, **f)

    def add_payout(self, currency="GBP", amount=0, deducted_fees=0, status="pending", **fields):
        return self.state.add_payout(currency, amount, deducted_fees, status, **fields)

    def add_payout_item(self, payout_id, type, amount, links=None, taxes=None):  # noqa: A002
        return self.state.add_payout_item(payout_id, type, amount, links, taxes)

    def seed_customers(self, count: int, **options) -> list[dict]:
        return self.state.seed_customers(count, **options)

    def seed_demo(self) -> dict:
        return self.state.seed_demo()

    # ------------------------------------------------------------------ lifecycle

    def _then_deliver(self, result):
        self.deliver_new_events(sync=True)
        return result

    def mandate_action(self, mandate_id: str, action: str) -> list[dict]:
        return self._then_deliver(self.state.mandate_action(mandate_id, action))

    def payment_action(self, payment_id: str, action: str) -> list[dict]:
        return self._then_deliver(self.state.payment_action(payment_id, action))

    def payout_action(self, payout_id: str, action: str) -> list[dict]:
        return self._then_deliver(self.state.payout_action(payout_id, action))

    def refund_action(self, refund_id: str, action: str) -> list[dict]:
        return self._then_deliver(self.state.refund_action(refund_id, action))

    def pay_out(self, currency: str = "GBP", **options) -> dict:
        return self._then_deliver(self.state.pay_out(currency, **options))

    def remove_customer(self, customer_id: str) -> dict:
        return self._then_deliver(self.state.remove_customer(customer_id))

    def record_event(self, resource_type, action, links, details=None) -> dict:
        """Record an arbitrary event (delivered to ``webhook_target`` when set); a copy."""
        with self.state.lock:
            event = copy.deepcopy(self.state.record_event(resource_type, action, links, details))
        return self._then_deliver(event)

    def complete_billing_request_flow(self, flow_id: str, **details) -> dict:
        return self._then_deliver(self.state.complete_billing_request_flow(flow_id, **details))

    def visit_billing_request_flow(self, flow_id: str) -> dict:
        return self._then_deliver(self.state.visit_billing_request_flow(flow_id))

    def exit_billing_request_flow(self, flow_id: str) -> dict:
        return self._then_deliver(self.state.exit_billing_request_flow(flow_id))

    # ------------------------------------------------------------------ faults

    def inject_fault(self, kind, times=1, skip=0, method=None, path=None, delay=None):
        """Fail the next ``times`` matching requests after letting ``skip`` through."""
        return self._faults.add(kind, times, skip, method, path, delay)

    def clear_faults(self) -> None:
        self._faults.clear()

    def pending_faults(self) -> list:
        return self._faults.pending()

    def take_fault(self, method: str, path: str):
        """The fault to apply to this request, if any (used by the HTTP server)."""
        return self._faults.take(method, path)

    # ------------------------------------------------------------------ rate limit, log

    def limit_headers(self, count: bool = False) -> tuple[dict, bool]:
        """The ratelimit-* headers every answer carries, and whether the window is used up
        (``count``: this request counts).

        With ``rate_limit=None`` the headers still show GoCardless's 1000 a minute (clients
        read them), but nothing is ever refused."""
        now = time.time()
        window = int(now // 60) * 60
        with self._log_lock:
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

    def exhausted_headers(self) -> dict:
        headers, _ = self.limit_headers()
        headers["ratelimit-remaining"] = "0"
        return headers

    def log_request(self, entry: dict) -> None:
        with self._log_lock:
            self.requests.append(entry)

    # ------------------------------------------------------------------ webhooks

    def pending_events(self) -> list[dict]:
        """Events recorded since the last :meth:`send_webhook` (copies)."""
        events, _ = self.state.events_since(self._webhook_cursor)
        return events

    def send_webhook(self, url, secret, events=None, webhook_id=None) -> tuple[int, bytes]:
        """POST ``{"events": [...], "meta": {"webhook_id": ...}}`` signed with ``secret``,
        once (no retry).

        ``events=None`` sends every event recorded since the last call; otherwise a list of
        event dicts or event IDs. Returns ``(status, body)`` and never raises: status ``0``
        means no HTTP response arrived (the body then holds the error text).
        """
        with self.state.lock:
            if events is None:
                payload, self._webhook_cursor = self.state.events_since(self._webhook_cursor)
            else:
                payload = [
                    copy.deepcopy(self.state.events[item] if isinstance(item, str) else item)
                    for item in events
                ]
                _, self._webhook_cursor = self.state.events_since(self._webhook_cursor)
        job = self._job(url, secret, payload, webhook_id)
        self._attempt(job)
        last = self.webhook_deliveries[-1]
        return last["status"], last["response"]

    def _job(self, url, secret, events, webhook_id=None) -> dict:
        if webhook_id is None:
            with self.state.lock:
                webhook_id = self.state.new_id("WB")
        return {"url": url, "secret": secret, "events": events, "id": webhook_id, "attempt": 0}

    def _attempt(self, job: dict) -> bool:
        job["attempt"] += 1
        body = webhooks.webhook_body(job["events"], job["id"])
        status, response = webhooks.post(
            job["url"], job["secret"], body, timeout=self.webhook_timeout, origin=self.base_url
        )
        with self._log_lock:
            self.webhook_deliveries.append(
                {
                    "url": job["url"],
                    "webhook_id": job["id"],
                    "event_ids": [event.get("id") for event in job["events"]],
                    "attempt": job["attempt"],
                    "status": status,
                    "response": response,
                }
            )
        return webhooks.delivered(status)

    def _retry_delay(self, job: dict) -> float | None:
        retries = min(webhooks.MAX_RETRIES, len(self.webhook_retry_delays))
        if job["attempt"] > retries:
            return None
        return float(self.webhook_retry_delays[job["attempt"] - 1])

    def deliver_new_events(self, sync: bool = True) -> None:
        """Hand the events recorded since the last call to ``webhook_target``: at once in
        this thread (``sync``, for control-API calls) or on the delivery thread (events
        caused by HTTP requests, queued before the response is sent). Failed deliveries
        are retried on the delivery thread after ``webhook_retry_delays``."""
        with self.state.lock:
            events, self._outbox_cursor = self.state.events_since(self._outbox_cursor)
            target = self.webhook_target
        if not events or target is None:
            return
        job = self._job(target[0], target[1], events)
        if not sync:
            self._deliveries.schedule(job)
        elif not self._attempt(job):
            delay = self._retry_delay(job)
            if delay is not None:
                self._deliveries.schedule(job, delay)

    def flush_webhooks(self, timeout: float = 5.0) -> bool:
        """Wait until queued webhook deliveries (retries included) are done."""
        return self._deliveries.wait(timeout)

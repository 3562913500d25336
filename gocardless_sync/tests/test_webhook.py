import http.client
import json
import re
import socket
import threading
import tracemalloc
from contextlib import contextmanager
from datetime import datetime, timedelta
from unittest.mock import patch
from urllib.parse import urlencode, urlsplit

from freezegun import freeze_time

from odoo.tests import HttpCase, tagged

from gocardless_emulator import fixtures_path, sign_webhook

from ..controllers.main import WEBHOOK_ROUTE, sign
from ..models import gocardless_event
from ..services import const
from .common import GoCardlessEmulatorMixin
from .payment_common import PaymentDataMixin

SECRET = "whsec-company-a"
FIXTURE_SECRET = "ED7D658C-D8EB-4941-948B-3973214F2D49"
FIXTURE_SIGNATURE = "2693754819d3e32d7e8fcb13c729631f316c6de8dc1cf634d6527f1c07276e7e"


class WebhookMixin:
    @classmethod
    def _setup_webhooks(cls):
        cls._setup_gocardless()
        cls.account.webhook_secret = SECRET
        cls.partner = cls.env["res.partner"].create(
            {"name": "Webhook Customer", "email": "hook@example.com"}
        )

    def _url(self):
        return self.base_url() + WEBHOOK_ROUTE

    def _post(self, body, signature=None, secret=SECRET, headers=None):
        if isinstance(body, dict):
            body = json.dumps(body).encode()
        headers = {"Content-Type": "application/json", **(headers or {})}
        if signature is None and secret:
            signature = sign(body, secret)
        if signature is not None:
            headers["Webhook-Signature"] = signature
        # a POST even for an empty body (url_open would send a GET)
        self.env.flush_all()
        response = self.opener.post(self._url(), data=body, headers=headers, timeout=30)
        self.env.invalidate_all()  # the request changed the database behind this cache
        return response

    def _post_chunked(self, chunks, signature=None, headers=None):
        """POST ``chunks`` (bytes, in that order) with ``Transfer-Encoding: chunked`` and no
        Content-Length, as a raw HTTP/1.1 client; return (status, body of the answer).

        The body is sent from a thread while this one waits for the answer, so that a server
        that answers before the end of the body (a 413) is seen doing so."""
        url = urlsplit(self.base_url())
        headers = {
            "Host": url.netloc,
            "Content-Type": "application/json",
            **(headers or {}),
            "Transfer-Encoding": "chunked",
        }
        if signature:
            headers["Webhook-Signature"] = signature
        head = f"POST {WEBHOOK_ROUTE} HTTP/1.1\r\n" + "".join(
            f"{name}: {value}\r\n" for name, value in headers.items()
        )
        sock = socket.create_connection((url.hostname, url.port), timeout=60)

        def send():
            try:
                sock.sendall(head.encode() + b"\r\n")
                for chunk in chunks:
                    sock.sendall(b"%x\r\n" % len(chunk))
                    sock.sendall(chunk)
                    sock.sendall(b"\r\n")
                sock.sendall(b"0\r\n\r\n")
            except OSError as error:  # the server answered and closed before the end
                sent["error"] = error

        sent = {}
        self.env.flush_all()
        sender = threading.Thread(target=send, name="chunked-sender")
        sender.start()
        try:
            response = http.client.HTTPResponse(sock, method="POST")
            response.begin()
            return response.status, response.read()
        finally:
            sender.join()
            sock.close()
            self.env.invalidate_all()

    def _linked_customer_with_mandate(self, status="pending_submission", scheme="bacs"):
        customer = self.emulator.add_customer(
            email="hook@example.com", given_name="Web", family_name="Hook"
        )
        mandate = self.emulator.add_mandate(customer["id"], status=status, scheme=scheme)
        link = self.env["gocardless.customer"].create(
            {
                "account_id": self.account.id,
                "partner_id": self.partner.id,
                "gocardless_id": customer["id"],
            }
        )
        self.env["gocardless.mandate"]._gocardless_store(
            self.account, [self.emulator.mandates[mandate["id"]]], link
        )
        return customer, mandate, link.mandate_ids

    def _events(self):
        return self.env["gocardless.event"].search([("account_id", "=", self.account.id)])

    def _mandate_action(self, mandate_id, action):
        """A lifecycle step in GoCardless; with a webhook target set, the emulator delivers
        its events at once: flush what this test wrote before, forget the cache after."""
        self.env.flush_all()
        self.emulator.mandate_action(mandate_id, action)
        self.env.invalidate_all()

    def _retry_events(self):
        """Run the retry scheduled action, which the webhook triggers for events that need
        GoCardless to be asked first (the webhook itself never calls the API)."""
        self.env.flush_all()
        self.env.ref("gocardless_sync.ir_cron_gocardless_retry_events").method_direct_trigger()
        self.env.invalidate_all()

    def _assert_waiting_for_fetch(self, events):
        """The webhook stored these events and left them for the retry, without calling
        GoCardless (no API request since ``self.requests_before``)."""
        self.assertEqual(set(events.mapped("state")), {"new"})
        for event in events:
            self.assertIn("Waiting", event.note)
        api_calls = [
            r for r in self.emulator.requests[self.requests_before :] if r["method"] == "GET"
        ]
        self.assertFalse(api_calls, "a webhook delivery must not call GoCardless")
        trigger = self.env["ir.cron.trigger"].search(
            [("cron_id", "=", self.env.ref("gocardless_sync.ir_cron_gocardless_retry_events").id)]
        )
        self.assertTrue(trigger, "the webhook asks the retry scheduled action to run at once")

    def _remove_customer(self, customer_id):
        self.env.flush_all()
        self.emulator.remove_customer(customer_id)
        self.env.invalidate_all()

    def _event_payload(self, event_id, resource_type, action, links, created_at):
        return {
            "id": event_id,
            "created_at": created_at,
            "resource_type": resource_type,
            "action": action,
            "links": links,
            "details": {"origin": "gocardless", "cause": action, "description": action},
            "metadata": {},
        }


@tagged("post_install", "-at_install")
class TestWebhookSecurity(WebhookMixin, GoCardlessEmulatorMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_webhooks()

    def _body(self, event_id="EV_SEC_1"):
        return json.dumps(
            {
                "events": [
                    self._event_payload(
                        event_id,
                        "mandates",
                        "cancelled",
                        {"mandate": "MD_UNKNOWN"},
                        "2026-01-05T10:00:00.000Z",
                    )
                ],
                "meta": {"webhook_id": "WB123"},
            }
        ).encode()

    def test_the_published_test_vector(self):
        body = (fixtures_path() / "webhook_body.json").read_bytes().strip()
        self.assertEqual(sign(body, FIXTURE_SECRET), FIXTURE_SIGNATURE)
        self.assertEqual(sign_webhook(body, FIXTURE_SECRET), FIXTURE_SIGNATURE)
        # and the endpoint accepts exactly that delivery for an account with that secret
        self.account.webhook_secret = FIXTURE_SECRET
        response = self._post(body, signature=FIXTURE_SIGNATURE, secret=None)
        self.assertEqual(response.status_code, 204)
        payload = json.loads(body)
        self.assertEqual(
            set(self._events().mapped("gocardless_id")),
            {event["id"] for event in payload["events"]},
        )
        # a subscription event (unused): acknowledged at once; a mandate Odoo does not know:
        # fetched by the retry, and GoCardless does not know it either
        by_type = {event.resource_type: event for event in self._events()}
        self.assertEqual(by_type["subscriptions"].state, "ignored")
        self.assertEqual(by_type["mandates"].state, "new")
        self._retry_events()
        self.assertEqual(set(self._events().mapped("state")), {"ignored"})

    def test_missing_signature(self):
        response = self._post(self._body(), secret=None)
        self.assertEqual(response.status_code, 498)
        self.assertFalse(self._events())

    def test_wrong_signature(self):
        for signature in ("0" * 64, "not-hex", sign(self._body(), SECRET)[:-1], "é" * 64):
            with self.subTest(signature=signature):
                response = self._post(self._body(), signature=signature, secret=None)
                self.assertEqual(response.status_code, 498)
        # signed with a secret no account has
        self.assertEqual(self._post(self._body(), secret="someone-else").status_code, 498)
        # a valid signature of another body
        other = sign(self._body("EV_OTHER"), SECRET)
        self.assertEqual(self._post(self._body(), signature=other, secret=None).status_code, 498)
        self.assertFalse(self._events())

    def test_account_without_secret_accepts_nothing(self):
        self.account.webhook_secret = False
        self.assertEqual(
            self._post(self._body(), signature=sign(self._body(), "")).status_code, 498
        )
        self.assertFalse(self._events())

    def test_two_companies_with_different_secrets(self):
        company_b = self.env["res.company"].create({"name": "Webhook Company B"})
        account_b = company_b._gocardless_account()
        account_b.write(
            {
                "webhook_secret": "whsec-company-b",
                "access_token": self.emulator.access_token,
                "api_base_url": self.emulator.base_url,
            }
        )
        self.assertEqual(self._post(self._body("EV_A"), secret=SECRET).status_code, 204)
        self.assertEqual(self._post(self._body("EV_B"), secret="whsec-company-b").status_code, 204)
        events = self.env["gocardless.event"].search([("gocardless_id", "in", ["EV_A", "EV_B"])])
        by_id = {event.gocardless_id: event.account_id for event in events}
        self.assertEqual(by_id, {"EV_A": self.account, "EV_B": account_b})
        # the same event ID may exist in two accounts
        self.assertEqual(self._post(self._body("EV_A"), secret="whsec-company-b").status_code, 204)
        self.assertEqual(
            self.env["gocardless.event"].search_count([("gocardless_id", "=", "EV_A")]), 2
        )

    def test_malformed_json(self):
        for body in (b"{not json", b"[]", b'{"events": "no"}', b'{"events": [{"id": 1}]}', b""):
            with self.subTest(body=body):
                self.assertEqual(self._post(body).status_code, 400)
        self.assertFalse(self._events())

    def test_oversized_body(self):
        body = b'{"events": [], "padding": "' + b"x" * const.WEBHOOK_MAX_BODY + b'"}'
        self.assertEqual(self._post(body).status_code, 413)
        self.assertFalse(self._events())

    def test_get_is_not_allowed(self):
        response = self.url_open(self._url(), timeout=10)
        self.assertIn(response.status_code, (404, 405))

    def test_replay_changes_nothing(self):
        customer, mandate, record = self._linked_customer_with_mandate("active")
        self._mandate_action(mandate["id"], "cancelled")
        body = json.dumps({"events": list(self.emulator.pending_events())}).encode()
        self.assertEqual(self._post(body).status_code, 204)
        self.assertEqual(record.status, "cancelled")
        event = self._events()
        self.assertEqual((len(event), event.state), (1, "done"))
        processed_at = event.processed_at
        # someone fixes the mandate by hand; a replay of the old delivery changes nothing
        record.status = "active"
        self.assertEqual(self._post(body).status_code, 204)
        self.assertEqual(len(self._events()), 1)
        self.assertEqual(self._events().processed_at, processed_at)
        self.assertEqual(record.status, "active")


def _status_kib(name):
    """A size line of /proc/self/status (VmRSS, VmHWM), in KiB."""
    with open("/proc/self/status", encoding="ascii") as status:
        return int(re.search(rf"^{name}:\s+(\d+) kB", status.read(), re.MULTILINE).group(1))


@contextmanager
def peak_memory_growth():
    """Measure how much more memory this process (the test and the Odoo server threads it
    talks to) held at its peak inside the block than before it; yields a dict whose "bytes"
    is set on exit.

    The process's peak RSS (VmHWM) is reset first (``/proc/self/clear_refs``), so the peak
    of the block is measured, not an earlier one; memory freed at the end of the request
    still counts. Where the peak cannot be reset, Python's own allocation tracing gives the
    block's peak instead."""
    result = {}
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as clear_refs:
            clear_refs.write("5")  # VmHWM := VmRSS
        before = _status_kib("VmRSS")
    except OSError:
        before = None
    if before is not None:
        yield result
        result["bytes"] = (_status_kib("VmHWM") - before) * 1024
        return
    started = not tracemalloc.is_tracing()
    if started:
        tracemalloc.start()
    tracemalloc.reset_peak()
    current, _peak = tracemalloc.get_traced_memory()
    try:
        yield result
        result["bytes"] = tracemalloc.get_traced_memory()[1] - current
    finally:
        if started:
            tracemalloc.stop()


@tagged("post_install", "-at_install")
class TestWebhookBody(WebhookMixin, GoCardlessEmulatorMixin, HttpCase):
    """The 1 MiB cap on the body holds for every way of sending it, and a signed body that
    is not GoCardless's shape is a 400, never a 500."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_webhooks()

    def _event(self, event_id="EV_BODY_1", **overrides):
        event = self._event_payload(
            event_id, "subscriptions", "created", {"subscription": "SB1"}, "2026-01-05T10:00:00Z"
        )
        event.update(overrides)
        return event

    def _body(self, *events, size=None):
        """A delivery of ``events``, padded (in ``meta``) to exactly ``size`` bytes."""
        payload = {"events": list(events) or [self._event()], "meta": {"webhook_id": "WB1"}}
        body = json.dumps(payload).encode()
        if size is not None:
            payload["meta"]["padding"] = ""
            padding = size - len(json.dumps(payload).encode())
            payload["meta"]["padding"] = "x" * padding
            body = json.dumps(payload).encode()
            self.assertEqual(len(body), size)
        return body

    @staticmethod
    def _chunks(body, size=64 * 1024):
        return [body[start : start + size] for start in range(0, len(body), size)]

    def test_chunked_body_over_the_cap_is_refused_without_reading_it(self):
        """An unsigned 64 MiB body sent chunked (no Content-Length): 413 once the cap is
        passed, and the server's memory does not grow by anything like the body's size."""
        body_size = 64 * 1024 * 1024
        piece = b"x" * (64 * 1024)
        with peak_memory_growth() as growth:
            status, _answer = self._post_chunked(
                [piece] * (body_size // len(piece)), signature="0" * 64
            )
        self.assertEqual(status, 413)
        # Reading the whole body took twice its size. Now: the 1 MiB read, and werkzeug's
        # server discarding the rest after the answer, 10 MB at a time (at most 20 MB held,
        # whatever the body's size).
        self.assertLess(
            growth["bytes"],
            body_size // 2,
            "the webhook must not hold the body in memory beyond its 1 MiB cap",
        )
        self.assertFalse(self._events())

    def test_chunked_body_within_the_cap_is_read_whole(self):
        """Signed, chunked, exactly at the cap: accepted and stored."""
        body = self._body(size=const.WEBHOOK_MAX_BODY)
        status, _answer = self._post_chunked(self._chunks(body), signature=sign(body, SECRET))
        self.assertEqual(status, 204)
        self.assertEqual(self._events().mapped("gocardless_id"), ["EV_BODY_1"])

    def test_chunked_body_one_byte_over_the_cap(self):
        body = self._body(size=const.WEBHOOK_MAX_BODY + 1)
        status, _answer = self._post_chunked(self._chunks(body), signature=sign(body, SECRET))
        self.assertEqual(status, 413)
        self.assertFalse(self._events())

    def test_body_with_content_length_at_and_over_the_cap(self):
        body = self._body(size=const.WEBHOOK_MAX_BODY)
        self.assertEqual(self._post(body).status_code, 204)
        self.assertEqual(len(self._events()), 1)
        body = self._body(self._event("EV_BODY_2"), size=const.WEBHOOK_MAX_BODY + 1)
        self.assertEqual(self._post(body).status_code, 413)
        self.assertEqual(len(self._events()), 1)

    def test_signed_body_with_a_form_content_type_is_read_raw(self):
        """Odoo parses form bodies before the controller runs: the webhook still gets the
        raw bytes GoCardless signed, whatever the Content-Type says."""
        content_types = (
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=gocardless",
            "text/plain",
        )
        for index, content_type in enumerate(content_types):
            with self.subTest(content_type=content_type):
                event_id = f"EV_FORM_{index}"
                body = self._body(self._event(event_id))
                response = self._post(body, headers={"Content-Type": content_type})
                self.assertEqual(response.status_code, 204)
                self.assertIn(event_id, self._events().mapped("gocardless_id"))
        # a body that really is a form, signed: read raw, then refused as not an events payload
        form = urlencode({"events": "[]", "csrf_token": "x"}).encode()
        response = self._post(form, headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(response.status_code, 400)

    def test_unsigned_form_body_is_refused(self):
        form = urlencode({"events": "[]"}).encode()
        response = self._post(
            form, secret=None, headers={"Content-Type": "application/x-www-form-urlencoded"}
        )
        self.assertEqual(response.status_code, 498)

    def test_signed_malformed_bodies_answer_400(self):
        deep = b'{"events": [' + b"[" * 100_000 + b"]" * 100_000 + b"]}"
        nested_details = {"description": "x"}
        for _level in range(200):
            nested_details = {"nested": nested_details}
        bodies = {
            "nesting that makes json.loads fail": deep,
            "nesting json.loads accepts": self._body(self._event(details=nested_details)),
            "created_at a number": self._body(self._event(created_at=1767607200)),
            "created_at not a date": self._body(self._event(created_at="yesterday")),
            "created_at missing": self._body(self._event(created_at=None)),
            "details a list": self._body(self._event(details=["cancelled"])),
            "details a string": self._body(self._event(details="cancelled")),
            "a detail read by Odoo not text": self._body(self._event(details={"cause": 7})),
            "description not text": self._body(self._event(details={"description": {}})),
            "links a list": self._body(self._event(links=["MD1"])),
            "links a string": self._body(self._event(links="MD1")),
            "a link not a string": self._body(self._event(links={"subscription": 12})),
            "id a number": self._body(self._event(id=12)),
            "id empty": self._body(self._event(id="")),
            "action a list": self._body(self._event(action=["created"])),
            "resource_type a number": self._body(self._event(resource_type=3)),
            "event not an object": self._body("EV1"),
            "meta a list": json.dumps({"events": [self._event()], "meta": ["WB1"]}).encode(),
            "webhook_id a number": json.dumps(
                {"events": [self._event()], "meta": {"webhook_id": 5}}
            ).encode(),
            "not UTF-8": b'{"events": [], "x": "\xff"}',
            "a number too long for Python": b'{"events": [], "n": ' + b"9" * 5000 + b"}",
        }
        for name, body in bodies.items():
            with self.subTest(body=name):
                self.assertEqual(self._post(body).status_code, 400)
        self.assertFalse(self._events())
        # the shapes GoCardless really sends are accepted: optional parts left out or null,
        # details carrying numbers and booleans Odoo does not read
        event = self._event("EV_OK_1", details={"will_attempt_retry": True, "item_count": 2})
        del event["metadata"]
        lean = self._event("EV_OK_2", links={"subscription": None})
        del lean["details"]
        self.assertEqual(self._post(self._body(event, lean)).status_code, 204)
        self.assertEqual(sorted(self._events().mapped("gocardless_id")), ["EV_OK_1", "EV_OK_2"])


@tagged("post_install", "-at_install")
class TestWebhookEvents(WebhookMixin, GoCardlessEmulatorMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_webhooks()

    def setUp(self):
        super().setUp()
        self.emulator.webhook_target = (self._url(), SECRET)
        self.addCleanup(setattr, self.emulator, "webhook_target", None)

    def test_each_mandate_action(self):
        expected = {
            "submitted": ("submitted", True),
            "active": ("active", True),
            "suspended_by_payer": ("suspended_by_payer", False),
            "cancelled": ("cancelled", False),
            "reinstated": ("active", True),
            "failed": ("failed", False),
            "resubmission_requested": ("pending_submission", True),
            "expired": ("expired", False),
        }
        # a PayTo mandate: only those can be suspended by the payer
        _customer, mandate, record = self._linked_customer_with_mandate(
            "pending_submission", "pay_to"
        )
        for action, (status, usable) in expected.items():
            with self.subTest(action=action):
                self._mandate_action(mandate["id"], action)
                self.assertEqual((record.status, record.is_usable), (status, usable))
        self.assertEqual(len(self._events()), len(expected))
        self.assertEqual(set(self._events().mapped("state")), {"done"})

    def test_mandate_event_notes_name_statuses_as_users_see_them(self):
        _customer, mandate, record = self._linked_customer_with_mandate("pending_submission")
        self._mandate_action(mandate["id"], "submitted")
        self.assertEqual(self._events().note, "Status Pending submission → Submitted.")
        self.assertNotIn("pending_submission", self._events().note)
        self.assertEqual(record.status, "submitted")

    def test_blocked_and_consumed(self):
        _customer, mandate, record = self._linked_customer_with_mandate("active")
        self._mandate_action(mandate["id"], "blocked")
        self.assertEqual((record.status, record.is_usable), ("blocked", False))
        _customer, mandate, record = self._linked_customer_with_mandate("active")
        self._mandate_action(mandate["id"], "consumed")
        self.assertEqual((record.status, record.is_usable), ("consumed", False))

    def test_replaced_mandate_links_the_new_one_to_the_same_customer(self):
        _customer, mandate, record = self._linked_customer_with_mandate("active")
        self.requests_before = len(self.emulator.requests)
        self._mandate_action(mandate["id"], "replaced")
        new_id = self.emulator.mandates[mandate["id"]]["links"]["new_mandate"]
        self._assert_waiting_for_fetch(self._events())  # the new mandate is to be fetched
        self._retry_events()
        self.assertEqual(record.status, "cancelled")
        self.assertFalse(record.is_usable)
        self.assertEqual(record.new_mandate_id.gocardless_id, new_id)
        self.assertEqual(record.new_mandate_id.customer_id, record.customer_id)
        self.assertTrue(record.new_mandate_id.is_usable)
        self.assertEqual(self.partner.gocardless_mandate_ids, record | record.new_mandate_id)

    def test_unknown_mandate_of_a_linked_customer_is_fetched(self):
        customer, _mandate, _record = self._linked_customer_with_mandate("active")
        second = self.emulator.add_mandate(customer["id"], status="pending_submission")
        self.requests_before = len(self.emulator.requests)
        self._mandate_action(second["id"], "submitted")
        self._assert_waiting_for_fetch(self._events())
        self._retry_events()
        fetched = self.env["gocardless.mandate"].search([("gocardless_id", "=", second["id"])])
        self.assertEqual(fetched.partner_id, self.partner)
        self.assertEqual(fetched.status, "submitted")
        self.assertEqual(self._events().state, "done")

    def test_mandate_of_an_unlinked_customer_is_stored_and_ignored(self):
        stranger = self.emulator.add_customer(email="stranger@example.com", company_name="S")
        mandate = self.emulator.add_mandate(stranger["id"], status="active")
        self._mandate_action(mandate["id"], "cancelled")
        self._retry_events()
        event = self._events()
        self.assertEqual(event.state, "ignored")
        self.assertFalse(
            self.env["gocardless.mandate"].search([("gocardless_id", "=", mandate["id"])])
        )

    def test_removed_customer_is_archived(self):
        customer, _mandate, _record = self._linked_customer_with_mandate("active")
        link = self.partner.gocardless_customer_ids
        self._remove_customer(customer["id"])
        self.assertFalse(link.active)
        self.assertEqual(self._events().state, "done")

    def test_unknown_event_types_are_stored_and_acknowledged(self):
        self.emulator.webhook_target = None
        body = {
            "events": [
                self._event_payload(
                    "EV_SUB_1",
                    "subscriptions",
                    "created",
                    {"subscription": "SB1"},
                    "2026-01-05T10:00:00.000Z",
                ),
                self._event_payload(
                    "EV_BA_1",
                    "customer_bank_accounts",
                    "disabled",
                    {"customer_bank_account": "BA1"},
                    "2026-01-05T10:00:01.000Z",
                ),
            ]
        }
        response = self._post(body)
        self.assertEqual(response.status_code, 204)
        self.assertEqual(sorted(self._events().mapped("state")), ["ignored", "ignored"])

    def test_a_delivery_applies_at_most_five_seconds_of_events(self):
        """GoCardless waits 10 s for the answer: a delivery applies events for at most 5 s
        and leaves the rest to the retry scheduled action, triggered at once."""
        self.emulator.webhook_target = None
        events = [
            self._event_payload(
                f"EV_SLOW_{n}", "subscriptions", "created", {}, f"2026-03-01T12:00:0{n}.000Z"
            )
            for n in range(6)
        ]

        class SlowClock:
            """Each look at the clock is 2 s after the previous one."""

            now = -2.0

            def monotonic(self):
                self.now += 2.0
                return self.now

        cron = self.env.ref("gocardless_sync.ir_cron_gocardless_retry_events")
        Trigger = self.env["ir.cron.trigger"].sudo()
        triggers = Trigger.search_count([("cron_id", "=", cron.id)])
        with patch.object(gocardless_event, "time", SlowClock()):
            response = self._post({"events": events})
        self.assertEqual(response.status_code, 204)
        states = {event.gocardless_id: event.state for event in self._events()}
        # started at 0 s; applied at 2 s and 4 s; at 6 s the budget is spent
        self.assertEqual(
            sorted(n for n, state in states.items() if state == "ignored"),
            ["EV_SLOW_0", "EV_SLOW_1"],
        )
        self.assertEqual(list(states.values()).count("new"), 4)
        self.assertEqual(Trigger.search_count([("cron_id", "=", cron.id)]), triggers + 1)

    def test_events_of_the_same_second_follow_their_milliseconds(self):
        self.emulator.webhook_target = None
        _customer, mandate, record = self._linked_customer_with_mandate("active")
        links = {"mandate": mandate["id"]}
        cancelled = self._event_payload(
            "EV_MS_1", "mandates", "cancelled", links, "2026-03-01T12:00:00.200Z"
        )
        reinstated = self._event_payload(
            "EV_MS_2", "mandates", "reinstated", links, "2026-03-01T12:00:00.700Z"
        )
        # delivered newest first, within one second: applied in GoCardless's order
        self._post({"events": [reinstated, cancelled]})
        self.assertEqual(record.status, "active")
        notes = {event.gocardless_id: event.note for event in self._events()}
        self.assertIn("Active → Cancelled", notes["EV_MS_1"])
        self.assertIn("Cancelled → Active", notes["EV_MS_2"])

    def test_an_event_stored_meanwhile_is_skipped(self):
        """A webhook and the polling storing the same event at the same moment: the second
        meets the unique constraint and skips that event, keeping the others."""
        Event = self.env["gocardless.event"]
        first = self._event_payload(
            "EV_RACE_1", "subscriptions", "created", {}, "2026-03-01T12:00:00.000Z"
        )
        second = self._event_payload(
            "EV_RACE_2", "subscriptions", "created", {}, "2026-03-01T12:00:01.000Z"
        )
        Event._gocardless_ingest(self.account, [first], "webhook")
        # what the other transaction saw before the first one committed: nothing known
        vals = [Event._gocardless_vals_from_api(self.account, d, "poll") for d in (first, second)]
        created = Event._gocardless_create_new(vals)
        self.assertEqual(created.mapped("gocardless_id"), ["EV_RACE_2"])
        self.assertEqual(len(self._events()), 2)

    def test_out_of_order_events_never_move_back(self):
        self.emulator.webhook_target = None
        _customer, mandate, record = self._linked_customer_with_mandate("submitted")
        base = datetime(2026, 3, 1, 12, 0, 0)

        def event(event_id, action, minutes):
            stamp = (base + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
            return self._event_payload(
                event_id, "mandates", action, {"mandate": mandate["id"]}, stamp
            )

        self._post({"events": [event("EV_O_2", "active", 2)]})
        self.assertEqual(record.status, "active")
        # the earlier "submitted" arrives late: older than the last applied event
        self._post({"events": [event("EV_O_1", "submitted", 1)]})
        self.assertEqual(record.status, "active")
        self.assertIn("Older", self._events().filtered(lambda e: e.gocardless_id == "EV_O_1").note)
        # both in one delivery, newest first: applied oldest first
        self._post({"events": [event("EV_O_4", "cancelled", 4), event("EV_O_3", "active", 3)]})
        self.assertEqual(record.status, "cancelled")
        # a newer "submitted" after the end is not a way back either; a reinstatement is
        self._post({"events": [event("EV_O_5", "submitted", 5)]})
        self.assertEqual(record.status, "cancelled")
        self._post({"events": [event("EV_O_6", "reinstated", 6)]})
        self.assertEqual(record.status, "active")


@tagged("post_install", "-at_install")
class TestEventPollingAndRetry(WebhookMixin, GoCardlessEmulatorMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_webhooks()

    def test_polling_catches_up_events_no_webhook_delivered(self):
        _customer, mandate, record = self._linked_customer_with_mandate("pending_submission")
        self._mandate_action(mandate["id"], "submitted")
        self._mandate_action(mandate["id"], "active")
        self.assertEqual(record.status, "pending_submission")  # no webhook was sent
        self.env.ref("gocardless_sync.ir_cron_gocardless_poll_events").method_direct_trigger()
        self.assertEqual(record.status, "active")
        self.assertEqual(len(self._events()), 2)
        self.assertEqual(set(self._events().mapped("source")), {"poll"})
        self.assertTrue(self.account.last_event_polled_at)
        # the webhook of those events arriving late changes nothing and stores nothing
        body = json.dumps({"events": list(self.emulator.events.values())}).encode()
        self.assertEqual(self._post(body).status_code, 204)
        self.assertEqual(len(self._events()), 2)
        # a second poll reads from the last event on, without duplicates
        self._mandate_action(mandate["id"], "cancelled")
        requests_before = len(self.emulator.requests)
        self.env.ref("gocardless_sync.ir_cron_gocardless_poll_events").method_direct_trigger()
        self.assertEqual(record.status, "cancelled")
        self.assertEqual(len(self._events()), 3)
        poll = [r for r in self.emulator.requests[requests_before:] if r["path"] == "/events"]
        self.assertTrue(poll[0]["query"].get("created_at[gte]"))

    def test_the_first_poll_reads_one_day_only(self):
        _customer, mandate, record = self._linked_customer_with_mandate("pending_submission")
        with freeze_time("2026-03-01 12:00:00"):
            self.emulator.mandate_action(mandate["id"], "submitted")  # two days before
        with freeze_time("2026-03-03 11:00:00"):
            self.emulator.mandate_action(mandate["id"], "active")  # an hour before
        with freeze_time("2026-03-03 12:00:00"):
            events = self.env["gocardless.event"]._gocardless_poll(self.account)
        self.assertEqual(events.mapped("action"), ["active"])
        poll = [r for r in self.emulator.requests if r["path"] == "/events"]
        self.assertEqual(poll[0]["query"].get("created_at[gte]"), "2026-03-02T12:00:00.000Z")
        self.assertEqual(record.status, "active")

    def test_polling_reads_every_page(self):
        _customer, mandate, record = self._linked_customer_with_mandate("active")
        for n in range(260):
            self.emulator.record_event(
                "mandates", "transferred" if n % 2 else "created", {"mandate": mandate["id"]}
            )
        events = self.env["gocardless.event"]._gocardless_poll(self.account)
        self.assertEqual(len(events), 260)
        self.assertEqual(record.status, "active")

    def test_failure_while_applying_then_retry(self):
        customer, _mandate, _record = self._linked_customer_with_mandate("active")
        unknown = self.emulator.add_mandate(customer["id"], status="pending_submission")
        self._mandate_action(unknown["id"], "submitted")
        # GoCardless is down when Odoo tries to fetch the unknown mandate
        self.emulator.inject_fault("server_error", times=3, method="GET", path="/mandates")
        body = json.dumps({"events": list(self.emulator.pending_events())}).encode()
        self.assertEqual(self._post(body).status_code, 204)
        self._retry_events()
        event = self._events()
        self.assertEqual(event.state, "error")
        self.assertIn("unavailable", event.error_message)
        self.assertEqual(event.attempt_count, 1)
        self.assertFalse(
            self.env["gocardless.mandate"].search([("gocardless_id", "=", unknown["id"])])
        )
        # later, the scheduled retry applies it
        self.emulator.clear_faults()
        self.env.ref("gocardless_sync.ir_cron_gocardless_retry_events").method_direct_trigger()
        self.assertEqual((event.state, event.attempt_count), ("done", 2))
        self.assertFalse(event.error_message)
        fetched = self.env["gocardless.mandate"].search([("gocardless_id", "=", unknown["id"])])
        self.assertEqual(fetched.status, "submitted")


@tagged("post_install", "-at_install")
class TestPaymentWebhooks(PaymentDataMixin, WebhookMixin, GoCardlessEmulatorMixin, HttpCase):
    """A balance exported, recorded as an Odoo payment and collected through the API; then
    GoCardless reports what happens to the payment by webhook."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_webhooks()
        cls._setup_payments()
        cls.customer = cls._partner("Paying Customer", email="paying@example.com")
        cls.invoice = cls._invoice(cls.customer, 10.50, cls.gbp)

    def setUp(self):
        super().setUp()
        self._mandate(self.customer)
        batch = self._export(self.customer)
        batch.with_user(self.gc_accountant).action_record_payments()
        batch.with_user(self.gc_accountant).action_collect()
        self.gc_payment = batch.line_ids.gocardless_payment_id
        self.payment = batch.line_ids.payment_id
        self.assertEqual(self.gc_payment.account_payment_id, self.payment)
        self.assertEqual(self.invoice.payment_state, "paid")
        self.emulator.webhook_target = (self._url(), SECRET)
        self.addCleanup(setattr, self.emulator, "webhook_target", None)

    def _payment_action(self, action):
        self.env.flush_all()
        self.emulator.payment_action(self.gc_payment.gocardless_id, action)
        self.env.invalidate_all()

    def test_collected_payment_lifecycle(self):
        for action in ("submitted", "confirmed"):
            self._payment_action(action)
            self.assertEqual(self.gc_payment.status, action)
            self.assertEqual(self.payment.state, "in_process")
        self._payment_action("paid_out")
        self.assertEqual((self.gc_payment.status, self.payment.state), ("paid_out", "paid"))
        # a charge-back after the payout: the money is gone again, the invoice due again
        self._payment_action("charged_back")
        self.assertEqual(self.gc_payment.status, "charged_back")
        self.assertEqual(self.payment.move_id.state, "posted")
        self.assertEqual(self.gc_payment.entry_ids.mapped("kind"), ["payment", "reversal"])
        self.assertEqual(self.invoice.payment_state, "not_paid")
        events = self._events()
        self.assertEqual(len(events), 4)
        self.assertEqual(set(events.mapped("state")), {"done"})

    def test_event_notes_name_statuses_as_users_see_them(self):
        self._payment_action("submitted")
        self._payment_action("confirmed")
        self._payment_action("paid_out")
        notes = self._events().sorted("id").mapped("note")
        self.assertEqual(notes[-1], "Status Confirmed → Paid out.")
        # a replay of an older status: "stays", with the label too
        self.emulator.webhook_target = None
        older = self._event_payload(
            "EV_OLD_PM",
            "payments",
            "submitted",
            {"payment": self.gc_payment.gocardless_id},
            "2000-01-01T00:00:00.000Z",
        )
        self._post({"events": [older]})
        note = self._events().filtered(lambda event: event.gocardless_id == "EV_OLD_PM").note
        self.assertEqual(note, "Status stays Paid out (the event is older or already applied).")

    def test_withdrawn_charge_back(self):
        self._payment_action("paid_out")
        self._payment_action("charged_back")
        self.assertEqual(self.invoice.payment_state, "not_paid")
        self._payment_action("chargeback_cancelled")
        self.assertEqual((self.gc_payment.status, self.payment.state), ("paid_out", "paid"))
        self.assertEqual(self.payment.move_id.state, "posted")
        self.assertEqual(
            self.gc_payment.entry_ids.mapped("kind"), ["payment", "reversal", "rebooking"]
        )
        self.assertEqual(self.invoice.payment_state, "paid")
        # the note (the newest message may be the state's tracking)
        notes = self.payment.message_ids.filtered(lambda message: message.body)
        self.assertIn("withdrew the charge-back", notes[0].body)
        self.assertEqual(set(self._events().mapped("state")), {"done"})

    def test_failed_payment(self):
        self._payment_action("submitted")
        self._payment_action("failed")
        self.assertEqual((self.gc_payment.status, self.payment.state), ("failed", "in_process"))
        self.assertEqual(self.gc_payment.booking_state, "reversed")
        self.assertEqual(self.invoice.payment_state, "not_paid")
        self.assertIn(self.gc_payment.gocardless_id, self.payment.message_ids[0].body)

    def test_cancelled_payment(self):
        self._payment_action("cancelled")
        self.assertEqual(self.gc_payment.status, "cancelled")
        self.assertEqual(self.gc_payment.booking_state, "reversed")
        self.assertEqual(self.invoice.payment_state, "not_paid")

    def test_customer_approval_denied(self):
        self._payment_action("customer_approval_denied")
        self.assertEqual(self.gc_payment.status, "customer_approval_denied")
        self.assertEqual(self.gc_payment.booking_state, "reversed")
        self.assertEqual(self.payment.move_id.state, "posted")

    def test_out_of_order_payment_events(self):
        self.emulator.webhook_target = None
        self.emulator.payment_action(self.gc_payment.gocardless_id, "submitted")
        self.emulator.payment_action(self.gc_payment.gocardless_id, "confirmed")
        by_action = {event["action"]: event for event in self.emulator.pending_events()}
        submitted, confirmed = by_action["submitted"], by_action["confirmed"]
        self._post({"events": [confirmed]})
        self._post({"events": [submitted]})
        self.assertEqual(self.gc_payment.status, "confirmed")

    def test_unknown_payment_on_a_known_mandate_is_fetched(self):
        mandate = self.customer.gocardless_mandate_ids
        other = self.emulator.add_payment(mandate.gocardless_id, 2500, currency="GBP")
        self._payment_action_on(other["id"], "submitted")
        self._retry_events()
        stored = self.env["gocardless.payment"].search([("gocardless_id", "=", other["id"])])
        self.assertEqual(
            (stored.status, stored.amount, stored.partner_id), ("submitted", 25.0, self.customer)
        )
        self.assertFalse(stored.account_payment_id)

    def test_payment_unrelated_to_odoo_is_acknowledged(self):
        stranger = self.emulator.add_customer(email="stranger@example.com", company_name="S")
        mandate = self.emulator.add_mandate(stranger["id"], status="active")
        other = self.emulator.add_payment(mandate["id"], 999, currency="GBP")
        self._payment_action_on(other["id"], "submitted")
        self._retry_events()
        event = self._events().filtered(lambda e: e.resource_gocardless_id == other["id"])
        self.assertEqual(event.state, "ignored")
        self.assertFalse(
            self.env["gocardless.payment"].search([("gocardless_id", "=", other["id"])])
        )

    def _payment_action_on(self, payment_id, action):
        self.env.flush_all()
        self.emulator.payment_action(payment_id, action)
        self.env.invalidate_all()

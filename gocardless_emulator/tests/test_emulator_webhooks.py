"""Webhook signing and delivery, checked with gocardless_pro.webhooks.parse."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from gocardless_pro import errors, webhooks

from gocardless_emulator import sign_webhook

SECRET = "ED7D658C-D8EB-4941-948B-3973214F2D49"
VECTOR = "2693754819d3e32d7e8fcb13c729631f316c6de8dc1cf634d6527f1c07276e7e"


class Receiver:
    """A tiny webhook endpoint: 204 on a good signature, 498 on a bad one. ``answers``
    (a list of statuses, or ``"hang"`` to answer late) overrides the next answers."""

    def __init__(self, secret: str):
        self.secret = secret
        self.received: list[dict] = []
        self.answers: list = []
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                signature = self.headers.get("Webhook-Signature") or ""
                entry = {"body": body, "headers": dict(self.headers.items())}
                try:
                    entry["events"] = webhooks.parse(body, receiver.secret, signature)
                    status = 204
                except errors.InvalidSignatureError:
                    status = 498
                receiver.received.append(entry)
                if receiver.answers:
                    status = receiver.answers.pop(0)
                if status == "hang":
                    receiver.release.wait(5)
                    status = 204
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhooks"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def close(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gcemu_receiver():
    receiver = Receiver("receiver-secret")
    yield receiver
    receiver.close()


@pytest.fixture
def gcemu_mandate(gcemu):
    customer = gcemu.add_customer(given_name="Web", family_name="Hook")
    return gcemu.add_mandate(customer["id"], status="pending_submission")


def test_signature_test_vector(gcemu_fixture):
    from gocardless_emulator import fixtures_path

    body = (fixtures_path() / "webhook_body.json").read_bytes().strip()
    assert sign_webhook(body, SECRET) == VECTOR
    assert sign_webhook(body + b" ", SECRET) != VECTOR
    assert len(webhooks.parse(body, SECRET, VECTOR)) == 2


def test_send_webhook_delivers_a_parseable_signed_body(gcemu, gcemu_receiver, gcemu_mandate):
    recorded = gcemu.mandate_action(gcemu_mandate["id"], "submitted")
    recorded += gcemu.mandate_action(gcemu_mandate["id"], "active")
    status, body = gcemu.send_webhook(gcemu_receiver.url, "receiver-secret")
    assert (status, body) == (204, b"")
    (delivery,) = gcemu_receiver.received
    assert delivery["headers"]["Content-Type"] == "application/json"
    signature = delivery["headers"]["Webhook-Signature"]
    assert signature == sign_webhook(delivery["body"], "receiver-secret")
    assert signature == signature.lower()
    parsed = webhooks.parse(delivery["body"], "receiver-secret", signature)
    assert [e.id for e in parsed] == [e["id"] for e in recorded]
    assert [e.action for e in parsed] == ["submitted", "active"]
    assert parsed[0].links.mandate == gcemu_mandate["id"]
    payload = json.loads(delivery["body"])
    assert set(payload) == {"events", "meta"}
    assert payload["meta"]["webhook_id"].startswith("WB")
    assert gcemu.webhook_deliveries[-1]["status"] == 204


def test_events_none_sends_only_what_is_new(gcemu, gcemu_receiver, gcemu_mandate):
    first = gcemu.mandate_action(gcemu_mandate["id"], "submitted")
    gcemu.send_webhook(gcemu_receiver.url, "receiver-secret")
    assert gcemu.pending_events() == []
    second = gcemu.mandate_action(gcemu_mandate["id"], "active")
    assert [e["id"] for e in gcemu.pending_events()] == [second[0]["id"]]
    gcemu.send_webhook(gcemu_receiver.url, "receiver-secret")
    gcemu.send_webhook(
        gcemu_receiver.url, "receiver-secret", events=[first[0]["id"]], webhook_id="WB1"
    )
    sent = [[e.id for e in entry["events"]] for entry in gcemu_receiver.received]
    assert sent == [[first[0]["id"]], [second[0]["id"]], [first[0]["id"]]]
    assert json.loads(gcemu_receiver.received[-1]["body"])["meta"]["webhook_id"] == "WB1"


def test_bad_secret_gets_498_without_raising(gcemu, gcemu_receiver, gcemu_mandate):
    gcemu.mandate_action(gcemu_mandate["id"], "submitted")
    status, _ = gcemu.send_webhook(gcemu_receiver.url, "some-other-secret")
    assert status == 498
    entry = gcemu_receiver.received[0]
    with pytest.raises(errors.InvalidSignatureError):
        webhooks.parse(entry["body"], "receiver-secret", entry["headers"]["Webhook-Signature"])


def test_unreachable_endpoint_returns_status_zero(gcemu):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    status, body = gcemu.send_webhook(f"http://127.0.0.1:{port}/x", "s", events=[])
    assert status == 0
    assert body


def test_webhook_target_delivers_lifecycle_events_at_once(gcemu, gcemu_receiver, gcemu_mandate):
    gcemu.webhook_target = (gcemu_receiver.url, "receiver-secret")
    events = gcemu.mandate_action(gcemu_mandate["id"], "failed")
    assert len(gcemu_receiver.received) == 1  # synchronous for control-API actions
    assert [e.id for e in gcemu_receiver.received[0]["events"]] == [e["id"] for e in events]


def test_webhook_target_delivers_http_triggered_events(
    gcemu, gcemu_client, gcemu_receiver, gcemu_mandate
):
    gcemu.webhook_target = (gcemu_receiver.url, "receiver-secret")
    payment = gcemu.add_payment(gcemu_mandate["id"], 700)
    gcemu_client.mandates.cancel(gcemu_mandate["id"])
    assert gcemu.flush_webhooks(timeout=5)
    delivered = [(e.resource_type, e.action) for r in gcemu_receiver.received for e in r["events"]]
    assert delivered == [("mandates", "cancelled"), ("payments", "cancelled")]
    assert gcemu_receiver.received[0]["events"][1].links.payment == payment["id"]
    gcemu.webhook_target = None
    gcemu.mandate_action(gcemu_mandate["id"], "reinstated")
    assert len(gcemu_receiver.received) == 1


def test_deliveries_carry_gocardless_headers(gcemu, gcemu_receiver, gcemu_mandate):
    gcemu.webhook_target = (gcemu_receiver.url, "receiver-secret")
    gcemu.mandate_action(gcemu_mandate["id"], "submitted")
    headers = gcemu_receiver.received[0]["headers"]
    assert headers["User-Agent"] == "gocardless-webhook-service/1.1"
    assert headers["Origin"] == gcemu.base_url
    assert gcemu.webhook_timeout == 10.0  # GoCardless waits 10 s for an answer


def test_failed_deliveries_are_retried_with_back_off(gcemu, gcemu_receiver, gcemu_mandate):
    gcemu.webhook_target = (gcemu_receiver.url, "receiver-secret")
    gcemu.webhook_retry_delays = (0, 0.01, 0.02)
    gcemu_receiver.answers = [500, 503]
    (event,) = gcemu.mandate_action(gcemu_mandate["id"], "submitted")
    assert gcemu.flush_webhooks(timeout=5)
    attempts = [(d["attempt"], d["status"]) for d in gcemu.webhook_deliveries]
    assert attempts == [(1, 500), (2, 503), (3, 204)]
    webhook_ids = {d["webhook_id"] for d in gcemu.webhook_deliveries}
    assert len(webhook_ids) == 1  # the same webhook, sent again
    bodies = {entry["body"] for entry in gcemu_receiver.received}
    assert len(bodies) == 1
    assert [e.id for e in gcemu_receiver.received[-1]["events"]] == [event["id"]]


def test_retries_stop_after_the_last_delay(gcemu, gcemu_receiver, gcemu_mandate):
    gcemu.webhook_target = (gcemu_receiver.url, "receiver-secret")
    gcemu.webhook_retry_delays = (0,) * 8
    gcemu_receiver.answers = [500] * 20
    gcemu.mandate_action(gcemu_mandate["id"], "submitted")
    assert gcemu.flush_webhooks(timeout=5)
    assert [d["attempt"] for d in gcemu.webhook_deliveries] == list(range(1, 10))  # 1 + 8
    gcemu.webhook_retry_delays = (0, 0)
    gcemu.mandate_action(gcemu_mandate["id"], "active")
    assert gcemu.flush_webhooks(timeout=5)
    assert [d["attempt"] for d in gcemu.webhook_deliveries][9:] == [1, 2, 3]


def test_a_slow_answer_counts_as_a_failure_and_is_retried(gcemu, gcemu_receiver, gcemu_mandate):
    gcemu.webhook_target = (gcemu_receiver.url, "receiver-secret")
    gcemu.webhook_timeout = 0.2
    gcemu.webhook_retry_delays = (0,)
    gcemu_receiver.answers = ["hang"]
    gcemu.mandate_action(gcemu_mandate["id"], "submitted")
    gcemu_receiver.release.set()
    assert gcemu.flush_webhooks(timeout=5)
    assert [(d["attempt"], d["status"]) for d in gcemu.webhook_deliveries] == [(1, 0), (2, 204)]
    assert b"timed out" in gcemu.webhook_deliveries[0]["response"]


def test_reset_drops_pending_retries(gcemu, gcemu_receiver, gcemu_mandate):
    gcemu.webhook_target = (gcemu_receiver.url, "receiver-secret")
    gcemu.webhook_retry_delays = (30,)
    gcemu_receiver.answers = [500]
    gcemu.mandate_action(gcemu_mandate["id"], "submitted")
    assert not gcemu.flush_webhooks(timeout=0.1)  # a retry is due in 30 s
    gcemu.reset()
    assert gcemu.flush_webhooks(timeout=1)
    assert len(gcemu_receiver.received) == 1

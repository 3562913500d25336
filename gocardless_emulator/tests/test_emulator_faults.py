"""Injected faults make the official client raise what it raises for the real failures."""

from __future__ import annotations

import threading
import time

import gocardless_pro
import pytest
import requests
from gocardless_pro import errors


def statuses(emu, path="/customers"):
    return [entry["status"] for entry in emu.requests if entry["path"] == path]


def test_rate_limit_fault(gcemu, gcemu_client):
    gcemu.inject_fault("rate_limit")
    with pytest.raises(errors.RateLimitError) as caught:
        gcemu_client.customers.list()
    assert caught.value.errors[0]["reason"] == "rate_limit_exceeded"
    assert statuses(gcemu) == [429]  # JSON errors are never retried by the client
    gcemu.inject_fault("rate_limit")
    response = requests.get(
        gcemu.base_url + "/customers", headers={"Authorization": f"Bearer {gcemu.access_token}"}
    )
    assert response.status_code == 429
    assert response.headers["ratelimit-remaining"] == "0"
    assert response.headers["ratelimit-limit"] == "1000"
    assert response.headers["ratelimit-reset"].endswith("GMT")
    assert gcemu_client.customers.list().records == []  # the fault is used up


@pytest.mark.parametrize(("kind", "status"), [("html_429", 429), ("html_502", 502)])
def test_html_faults_exhaust_the_clients_three_attempts(gcemu, gcemu_client, kind, status):
    gcemu.inject_fault(kind, times=3)
    with pytest.raises(errors.MalformedResponseError) as caught:
        gcemu_client.customers.list()
    assert caught.value.status_code == status
    assert "<html>" in caught.value.response
    assert statuses(gcemu) == [status] * 3


def test_one_html_fault_is_recovered_by_the_clients_retry(gcemu, gcemu_client):
    gcemu.seed_customers(2)
    gcemu.inject_fault("html_502", times=1)
    assert len(gcemu_client.customers.list().records) == 2
    assert statuses(gcemu) == [502, 200]


def test_server_error_fault(gcemu, gcemu_client):
    gcemu.inject_fault("server_error")
    with pytest.raises(errors.GoCardlessInternalError) as caught:
        gcemu_client.customers.list()
    assert caught.value.code == 500
    assert statuses(gcemu) == [500]


def test_not_found_fault_on_one_path(gcemu, gcemu_client):
    customer = gcemu.add_customer(email="ada@example.com", given_name="Ada", family_name="L")
    mandate = gcemu.add_mandate(customer["id"])
    gcemu.inject_fault("not_found", method="POST", path="/payments")
    params = {"amount": 100, "currency": "GBP", "links": {"mandate": mandate["id"]}}
    with pytest.raises(errors.InvalidApiUsageError) as caught:
        gcemu_client.payments.create(params=params)
    assert caught.value.code == 404
    assert caught.value.errors[0]["reason"] == "not_found"
    assert not gcemu.payments  # answered before the API: nothing created
    assert gcemu_client.mandates.get(mandate["id"]).id == mandate["id"]  # other paths work
    assert gcemu_client.payments.create(params=params).amount == 100  # the fault is used up


def test_timeout_fault_raises_requests_timeout(gcemu):
    client = gocardless_pro.Client(gcemu.access_token, base_url=gcemu.base_url, timeout=0.5)
    gcemu.inject_fault("timeout", times=3, delay=1.0)
    started = time.monotonic()
    with pytest.raises(requests.Timeout):
        client.customers.list()
    assert time.monotonic() - started >= 1.5  # three 0.5 s attempts (+ two 0.5 s sleeps)
    assert statuses(gcemu) == [None, None, None]


def test_timeout_on_create_is_resolved_by_the_idempotency_key(gcemu):
    client = gocardless_pro.Client(gcemu.access_token, base_url=gcemu.base_url, timeout=0.5)
    gcemu.inject_fault("timeout", method="POST", path="/customers", delay=1.0)
    customer = client.customers.create(params={"given_name": "Once", "family_name": "Only"})
    assert len(gcemu.customers) == 1  # the first attempt was processed, its answer lost
    assert customer.id in gcemu.customers
    posts = [e for e in gcemu.requests if e["method"] == "POST"]
    assert [e["status"] for e in posts] == [None, 409]
    assert posts[0]["headers"]["Idempotency-Key"] == posts[1]["headers"]["Idempotency-Key"]


def test_drop_fault_raises_connection_error(gcemu, gcemu_client):
    gcemu.inject_fault("drop", times=3)
    with pytest.raises(requests.ConnectionError):
        gcemu_client.customers.list()
    assert statuses(gcemu) == [None, None, None]


def test_drop_on_an_action_is_not_retried_but_was_processed(gcemu, gcemu_client):
    customer = gcemu.add_customer(given_name="A", family_name="B")
    mandate = gcemu.add_mandate(customer["id"])
    gcemu.inject_fault("drop", method="POST", path="/mandates")
    with pytest.raises(requests.ConnectionError):
        gcemu_client.mandates.cancel(mandate["id"])
    assert gcemu.mandates[mandate["id"]]["status"] == "cancelled"
    assert len(gcemu.requests) == 1


def test_unauthorized_fault(gcemu, gcemu_client):
    gcemu.inject_fault("unauthorized", method="GET")
    with pytest.raises(errors.AuthenticationError) as caught:
        gcemu_client.mandates.list()
    assert caught.value.errors[0]["reason"] == "unauthorized"
    assert gcemu_client.mandates.list().records == []


def test_skip_fails_page_two_not_page_one(gcemu, gcemu_client):
    gcemu.seed_customers(5, mandate_status=None)
    gcemu.inject_fault("server_error", skip=1, method="GET", path="/customers")
    seen = []
    with pytest.raises(errors.GoCardlessInternalError):
        for customer in gcemu_client.customers.all(params={"limit": 2}):
            seen.append(customer.id)
    assert seen == list(reversed(gcemu.customers))[:2]  # newest first
    assert statuses(gcemu) == [200, 500]
    assert "after" not in gcemu.requests[0]["query"]
    assert gcemu.requests[1]["query"]["after"] == seen[-1]


def test_faults_match_method_and_path_prefix(gcemu, gcemu_client):
    customer = gcemu.add_customer(given_name="A", family_name="B")
    gcemu.inject_fault("server_error", method="POST", path="/payments")
    assert gcemu_client.customers.get(customer["id"]).id == customer["id"]
    assert gcemu_client.payments.list().records == []
    with pytest.raises(errors.GoCardlessInternalError):
        gcemu_client.payments.create(
            params={"amount": 1, "currency": "GBP", "links": {"mandate": "MD1"}}
        )
    gcemu.inject_fault("server_error", path="/customers/")
    assert gcemu_client.customers.list().records  # "/customers" is not under "/customers/"
    with pytest.raises(errors.GoCardlessInternalError):
        gcemu_client.customers.get(customer["id"])


def test_clear_faults_and_validation(gcemu, gcemu_client):
    gcemu.inject_fault("server_error", times=5)
    gcemu.clear_faults()
    assert gcemu_client.customers.list().records == []
    with pytest.raises(ValueError):
        gcemu.inject_fault("meteor_strike")
    with pytest.raises(ValueError):
        gcemu.inject_fault("drop", times=0)


def test_stop_releases_a_held_timeout(gcemu):
    client = gocardless_pro.Client(gcemu.access_token, base_url=gcemu.base_url, timeout=10)
    gcemu.inject_fault("timeout", times=3, delay=30)
    started = time.monotonic()
    outcome = {}

    def call():
        try:
            client.customers.list()
        except Exception as error:  # noqa: BLE001 - recorded for the assertion
            outcome["error"] = error

    thread = threading.Thread(target=call)
    thread.start()
    time.sleep(0.3)
    gcemu.stop()
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert isinstance(outcome.get("error"), requests.ConnectionError)
    assert time.monotonic() - started < 5

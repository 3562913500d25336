"""Billing Requests (mandate requests), their actions, Billing Request Flows and the
emulator's own hosted page, through the real client and plain HTTP."""

from __future__ import annotations

import re

import pytest
import requests
from gocardless_pro import errors

PAYER = {
    "given_name": "Ann",
    "family_name": "Lee",
    "email": "ann.lee@example.com",
    "address_line1": "1 Baker Street",
    "city": "London",
    "postal_code": "NW1 6XE",
    "country_code": "GB",
}


def actions(request) -> dict:
    return {action["type"]: action["status"] for action in request.actions}


def br_events(gcemu, request_id):
    return [
        e
        for e in gcemu.events.values()
        if e["resource_type"] == "billing_requests"
        and e["links"].get("billing_request") == request_id
    ]


@pytest.fixture
def gcemu_request(gcemu_client):
    return gcemu_client.billing_requests.create(
        params={"mandate_request": {"scheme": "bacs", "currency": "GBP"}}
    )


# ---------------------------------------------------------------- billing requests


def test_create_makes_a_pending_request_with_an_empty_customer(gcemu, gcemu_client):
    request = gcemu_client.billing_requests.create(
        params={
            "mandate_request": {"currency": "EUR", "metadata": {"odoo": "1"}},
            "metadata": {"partner": "42"},
        }
    )
    assert request.id.startswith("BRQ")
    assert request.status == "pending"
    assert (request.mandate_request.scheme, request.mandate_request.currency) == (
        "sepa_core",
        "EUR",
    )
    assert request.attributes["payment_request"] is None
    assert request.metadata == {"partner": "42"}
    customer_id = request.links.customer
    assert customer_id in gcemu.customers  # GoCardless names a customer at once
    assert request.links.mandate_request.startswith("MRQ")
    assert request.links.mandate_request_mandate is None
    assert actions(request) == {
        "choose_currency": "completed",
        "collect_customer_details": "pending",
        "collect_bank_account": "pending",
        "confirm_payer_details": "pending",
    }
    details = next(a for a in request.actions if a["type"] == "collect_customer_details")
    assert details["collect_customer_details"]["incomplete_fields"] == {
        "customer": ["email", "given_name", "family_name"],
        "customer_billing_detail": ["address_line1", "city", "postal_code", "country_code"],
    }
    assert request.resources.customer["id"] == customer_id
    assert request.resources.customer_bank_account is None
    created = [(e["resource_type"], e["action"]) for e in gcemu.events.values()]
    assert created == [("customers", "created"), ("billing_requests", "created")]
    assert gcemu_client.billing_requests.get(request.id).attributes == request.attributes


def test_create_for_an_existing_customer(gcemu, gcemu_client):
    address = {key: PAYER[key] for key in ("address_line1", "city", "postal_code", "country_code")}
    customer = gcemu.add_customer(company_name="Known Ltd", email="known@example.com", **address)
    request = gcemu_client.billing_requests.create(
        params={
            "mandate_request": {"currency": "GBP"},
            "links": {"customer": customer["id"]},
        }
    )
    assert request.links.customer == customer["id"]
    assert actions(request)["collect_customer_details"] == "completed"
    assert len(gcemu.customers) == 1
    listed = gcemu_client.billing_requests.list(params={"customer": customer["id"]}).records
    assert [r.id for r in listed] == [request.id]
    assert gcemu_client.billing_requests.list(params={"status": "fulfilled"}).records == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "mandate_request"),
        ({"mandate_request": {"currency": "CHF"}}, "mandate_request[currency]"),
        (
            {"mandate_request": {"currency": "GBP", "scheme": "sepa_core"}},
            "mandate_request[scheme]",
        ),
        (
            {"mandate_request": {"currency": "GBP"}, "links": {"customer": "CU404"}},
            "links[customer]",
        ),
        (
            {"mandate_request": {"currency": "GBP"}, "payment_request": {"amount": 100}},
            "payment_request",
        ),
    ],
)
def test_create_validation(gcemu, gcemu_client, params, field):
    with pytest.raises(errors.ValidationFailedError) as caught:
        gcemu_client.billing_requests.create(params=params)
    assert field in [item["field"] for item in caught.value.errors]
    assert gcemu.billing_requests == {}


def test_create_is_idempotent(gcemu, gcemu_client):
    params = {"mandate_request": {"currency": "GBP"}}
    headers = {"Idempotency-Key": "odoo-brq-partner-42"}
    first = gcemu_client.billing_requests.create(params=params, headers=headers)
    second = gcemu_client.billing_requests.create(params=params, headers=headers)
    assert second.id == first.id
    assert len(gcemu.billing_requests) == 1
    assert len(gcemu.customers) == 1
    flow_headers = {"Idempotency-Key": "odoo-brf-partner-42"}
    flow_params = {"links": {"billing_request": first.id}}
    one = gcemu_client.billing_request_flows.create(params=flow_params, headers=flow_headers)
    statuses = []
    response = requests.post(
        gcemu.base_url + "/billing_request_flows",
        json={"billing_request_flows": flow_params},
        headers={"Authorization": f"Bearer {gcemu.access_token}", **flow_headers},
        timeout=5,
    )
    statuses.append(response.status_code)
    assert statuses == [409]
    conflict = response.json()["error"]["errors"][0]
    assert conflict["links"]["conflicting_resource_id"] == one.id
    assert len(gcemu.billing_request_flows) == 1


def test_actions_step_by_step(gcemu, gcemu_client, gcemu_request):
    request_id = gcemu_request.id
    with pytest.raises(errors.InvalidStateError) as caught:
        gcemu_client.billing_requests.fulfil(request_id)
    assert caught.value.errors[0]["reason"] == "billing_request_not_ready_to_fulfil"
    with pytest.raises(errors.InvalidStateError):
        gcemu_client.billing_requests.confirm_payer_details(request_id)
    request = gcemu_client.billing_requests.collect_customer_details(
        request_id,
        params={
            "customer": {key: PAYER[key] for key in ("given_name", "family_name", "email")},
            "customer_billing_detail": {
                key: PAYER[key] for key in ("address_line1", "city", "postal_code", "country_code")
            },
        },
    )
    assert actions(request)["collect_customer_details"] == "completed"
    assert gcemu.customers[request.links.customer]["email"] == PAYER["email"]
    with pytest.raises(errors.ValidationFailedError):
        gcemu_client.billing_requests.collect_bank_account(
            request_id, params={"account_holder_name": "Ann Lee"}
        )
    request = gcemu_client.billing_requests.collect_bank_account(
        request_id,
        params={
            "account_holder_name": "Ann Lee",
            "account_number": "55779911",
            "branch_code": "200000",
        },
    )
    account_id = request.links.customer_bank_account
    assert gcemu.bank_accounts[account_id]["account_number_ending"] == "11"
    assert request.resources.customer_bank_account["id"] == account_id
    assert request.status == "pending"
    request = gcemu_client.billing_requests.confirm_payer_details(request_id)
    assert request.status == "ready_to_fulfil"
    request = gcemu_client.billing_requests.fulfil(request_id)
    assert request.status == "fulfilled"
    assert request.actions == []
    mandate_id = request.links.mandate_request_mandate
    assert request.mandate_request.links == {"mandate": mandate_id}
    mandate = gcemu_client.mandates.get(mandate_id)
    assert (mandate.status, mandate.scheme) == ("pending_submission", "bacs")
    assert (mandate.links.customer, mandate.links.customer_bank_account) == (
        request.links.customer,
        account_id,
    )
    assert [e["action"] for e in br_events(gcemu, request_id)] == [
        "created",
        "collect_customer_details",
        "collect_bank_account",
        "payer_details_confirmed",
        "fulfilled",
    ]
    assert {e["details"]["origin"] for e in br_events(gcemu, request_id)} == {"api"}
    with pytest.raises(errors.InvalidStateError) as caught:
        gcemu_client.billing_requests.cancel(request_id)
    assert caught.value.errors[0]["reason"] == "billing_request_already_fulfilled"


def test_cancel_and_notify(gcemu, gcemu_client, gcemu_request):
    with pytest.raises(errors.InvalidStateError) as caught:
        gcemu_client.billing_requests.notify(
            gcemu_request.id, params={"notification_type": "email"}
        )
    assert caught.value.errors[0]["reason"] == "customer_email_missing"
    gcemu.customers[gcemu_request.links.customer]["email"] = "payer@example.com"
    with pytest.raises(errors.ValidationFailedError):
        gcemu_client.billing_requests.notify(gcemu_request.id, params={"notification_type": "sms"})
    gcemu_client.billing_requests.notify(
        gcemu_request.id,
        params={"notification_type": "email", "redirect_uri": "https://odoo.example.com/done"},
    )
    (sent,) = gcemu.billing_request_notifications
    assert (sent["billing_request"], sent["email"]) == (gcemu_request.id, "payer@example.com")
    flow = gcemu_client.billing_request_flows.create(
        params={"links": {"billing_request": gcemu_request.id}}
    )
    cancelled = gcemu_client.billing_requests.cancel(
        gcemu_request.id, params={"metadata": {"why": "duplicate"}}
    )
    assert cancelled.status == "cancelled"
    assert br_events(gcemu, gcemu_request.id)[-1]["action"] == "cancelled"
    with pytest.raises(errors.InvalidStateError) as caught:
        gcemu_client.billing_requests.cancel(gcemu_request.id)
    assert caught.value.errors[0]["reason"] == "billing_request_cancelled"
    with pytest.raises(ValueError):
        gcemu.complete_billing_request_flow(flow.id, **PAYER, account_number="12345678")
    page = requests.get(flow.authorisation_url, timeout=5)
    assert page.status_code == 410
    assert "cancelled" in page.text


# ---------------------------------------------------------------- flows


def test_flow_create(gcemu, gcemu_client, gcemu_request):
    flow = gcemu_client.billing_request_flows.create(
        params={
            "links": {"billing_request": gcemu_request.id},
            "redirect_uri": "https://odoo.example.com/gocardless/thanks",
            "exit_uri": "https://odoo.example.com/gocardless/left",
            "prefilled_customer": {"given_name": "Ann", "email": "ann@example.com"},
            "language": "en",
            "lock_customer_details": True,
        }
    )
    assert flow.id.startswith("BRF")
    assert flow.authorisation_url == f"{gcemu.base_url}/flow/{flow.id}"
    assert flow.links.billing_request == gcemu_request.id
    assert flow.prefilled_customer.given_name == "Ann"
    assert flow.prefilled_customer.family_name is None
    assert flow.redirect_uri.endswith("/thanks")
    assert flow.auto_fulfil is True
    assert flow.expires_at > flow.created_at
    (event,) = [e for e in br_events(gcemu, gcemu_request.id) if e["action"] == "flow_created"]
    assert event["links"]["billing_request_flow"] == flow.id
    for params, field in (
        ({"links": {}}, "links[billing_request]"),
        ({"links": {"billing_request": "BRQ404"}}, "links[billing_request]"),
        (
            {"links": {"billing_request": gcemu_request.id}, "redirect_uri": "ftp://x"},
            "redirect_uri",
        ),
    ):
        with pytest.raises(errors.ValidationFailedError) as caught:
            gcemu_client.billing_request_flows.create(params=params)
        assert field in [item["field"] for item in caught.value.errors]


def test_complete_a_flow_from_python(gcemu, gcemu_client, gcemu_request):
    flow = gcemu_client.billing_request_flows.create(
        params={
            "links": {"billing_request": gcemu_request.id},
            "prefilled_customer": {
                key: PAYER[key] for key in ("given_name", "family_name", "email", "country_code")
            },
        }
    )
    with pytest.raises(ValueError) as caught:
        gcemu.complete_billing_request_flow(flow.id, account_number="12345678")
    assert "address_line1" in str(caught.value)
    request = gcemu.complete_billing_request_flow(
        flow.id,
        address_line1="1 Baker Street",
        city="London",
        postal_code="NW1 6XE",
        account_number="12345678",
    )
    assert request["status"] == "fulfilled"
    customer = gcemu.customers[request["links"]["customer"]]
    assert (customer["given_name"], customer["email"], customer["city"]) == (
        "Ann",
        PAYER["email"],
        "London",
    )
    mandate = gcemu.mandates[request["links"]["mandate_request_mandate"]]
    assert mandate["status"] == "pending_submission"
    kinds = [(e["resource_type"], e["action"]) for e in gcemu.events.values()]
    assert kinds == [
        ("customers", "created"),
        ("billing_requests", "created"),
        ("billing_requests", "flow_created"),
        ("billing_requests", "flow_visited"),  # the first try, without an address
        ("billing_requests", "flow_visited"),
        ("billing_requests", "collect_customer_details"),
        ("billing_requests", "collect_bank_account"),
        ("billing_requests", "payer_details_confirmed"),
        ("mandates", "created"),
        ("billing_requests", "fulfilled"),
    ]
    fulfilled = list(gcemu.events.values())[-1]
    assert fulfilled["details"]["origin"] == "gocardless"
    assert {e["details"]["origin"] for e in br_events(gcemu, gcemu_request.id)} == {
        "api",
        "payer",
        "gocardless",
    }
    assert fulfilled["links"] == {
        "billing_request": gcemu_request.id,
        "billing_request_flow": flow.id,
        "customer": customer["id"],
        "customer_bank_account": mandate["links"]["customer_bank_account"],
        "mandate_request_mandate": mandate["id"],
    }
    assert (
        gcemu_client.events.list(
            params={"billing_request": gcemu_request.id, "action": "fulfilled"}
        )
        .records[0]
        .id
        == fulfilled["id"]
    )
    with pytest.raises(ValueError):
        gcemu.complete_billing_request_flow(flow.id, account_number="12345678")
    assert len(gcemu.mandates) == 1


def test_a_flow_without_auto_fulfil_waits_for_fulfil(gcemu, gcemu_client, gcemu_request):
    flow = gcemu_client.billing_request_flows.create(
        params={"links": {"billing_request": gcemu_request.id}, "auto_fulfil": False}
    )
    request = gcemu.complete_billing_request_flow(flow.id, **PAYER, account_number="12345678")
    assert request["status"] == "ready_to_fulfil"
    assert gcemu.mandates == {}
    assert gcemu_client.billing_requests.fulfil(gcemu_request.id).status == "fulfilled"
    assert len(gcemu.mandates) == 1


def test_an_expired_flow(gcemu, gcemu_client, gcemu_request):
    freezegun = pytest.importorskip("freezegun")
    with freezegun.freeze_time("2024-03-01 10:00:00"):
        flow = gcemu_client.billing_request_flows.create(
            params={"links": {"billing_request": gcemu_request.id}}
        )
    with freezegun.freeze_time("2024-03-09 10:00:00"):
        with pytest.raises(ValueError) as caught:
            gcemu.complete_billing_request_flow(flow.id, **PAYER, account_number="1")
        assert "expired" in str(caught.value)
        assert requests.get(flow.authorisation_url, timeout=5).status_code == 410


# ---------------------------------------------------------------- the hosted page


def test_the_page_shows_a_prefilled_form_and_records_the_visit(gcemu, gcemu_client, gcemu_request):
    flow = gcemu_client.billing_request_flows.create(
        params={
            "links": {"billing_request": gcemu_request.id},
            "prefilled_customer": {"given_name": "Ann <b>", "email": "ann@example.com"},
            "lock_customer_details": True,
        }
    )
    requests_before = len(gcemu.requests)
    page = requests.get(flow.authorisation_url, timeout=5)
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert "<form method='post'" in page.text
    assert "value='Ann &lt;b&gt;' readonly" in page.text  # escaped and locked
    assert "value='ann@example.com' readonly" in page.text
    assert f"/flow/{flow.id}/exit" in page.text
    assert len(gcemu.requests) == requests_before  # the payer's page is not an API request
    actions_now = [e["action"] for e in br_events(gcemu, gcemu_request.id)]
    assert actions_now[-1] == "flow_visited"
    assert requests.get(gcemu.base_url + "/flow/BRF404", timeout=5).status_code == 404


def test_submitting_the_page_sets_up_the_mandate(gcemu, gcemu_client, gcemu_request):
    flow = gcemu_client.billing_request_flows.create(
        params={
            "links": {"billing_request": gcemu_request.id},
            "redirect_uri": "https://odoo.example.com/gocardless/thanks?x=1",
            "prefilled_customer": {"given_name": "Ann", "family_name": "Lee"},
        }
    )
    missing = requests.post(flow.authorisation_url, data={"email": PAYER["email"]}, timeout=5)
    assert missing.status_code == 422
    assert "Please fill in" in missing.text and "address_line1" in missing.text
    assert f"value='{PAYER['email']}'" in missing.text  # what the payer typed is kept
    form = {**PAYER, "account_holder_name": "A LEE", "account_number": "GB82WEST12345698765432"}
    done = requests.post(flow.authorisation_url, data=form, timeout=5, allow_redirects=False)
    assert done.status_code == 303
    assert done.headers["Location"] == "https://odoo.example.com/gocardless/thanks?x=1"
    request = gcemu_client.billing_requests.get(gcemu_request.id)
    assert request.status == "fulfilled"
    mandate = gcemu_client.mandates.get(request.links.mandate_request_mandate)
    assert mandate.links.customer == request.links.customer
    account = gcemu_client.customer_bank_accounts.get(mandate.links.customer_bank_account)
    assert (account.account_holder_name, account.account_number_ending) == ("A LEE", "32")
    customer = gcemu_client.customers.get(request.links.customer)
    assert (customer.given_name, customer.email, customer.postal_code) == (
        "Ann",
        PAYER["email"],
        PAYER["postal_code"],
    )
    again = requests.get(flow.authorisation_url, timeout=5)
    assert again.status_code == 410
    assert "already been set up" in again.text


def test_the_cancel_link_records_flow_exited(gcemu, gcemu_client, gcemu_request):
    flow = gcemu_client.billing_request_flows.create(
        params={
            "links": {"billing_request": gcemu_request.id},
            "exit_uri": "https://x.example/left",
        }
    )
    page = requests.get(flow.authorisation_url, timeout=5)
    exit_link = re.search(r"href='(/flow/[^']+/exit)'", page.text).group(1)
    left = requests.get(gcemu.base_url + exit_link, timeout=5, allow_redirects=False)
    assert (left.status_code, left.headers["Location"]) == (303, "https://x.example/left")
    assert [e["action"] for e in br_events(gcemu, gcemu_request.id)][-2:] == [
        "flow_visited",
        "flow_exited",
    ]
    assert gcemu.billing_requests[gcemu_request.id]["status"] == "pending"


def test_page_events_reach_the_webhook_target(gcemu, gcemu_client, gcemu_request):
    received = []
    gcemu.webhook_target = ("http://127.0.0.1:9/unreachable", "s")
    gcemu.webhook_retry_delays = ()
    flow = gcemu_client.billing_request_flows.create(
        params={"links": {"billing_request": gcemu_request.id}}
    )
    requests.post(flow.authorisation_url, data={**PAYER, "account_number": "12345678"}, timeout=5)
    assert gcemu.flush_webhooks(timeout=5)
    for delivery in gcemu.webhook_deliveries:
        received.extend(delivery["event_ids"])
    actions_sent = [gcemu.events[event_id]["action"] for event_id in received]
    assert actions_sent[-2:] == ["created", "fulfilled"]  # the mandate, then the request
    assert "flow_visited" not in actions_sent  # no GET in this test

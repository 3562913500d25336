"""Lifecycle actions update resources and record the events the events list returns."""

from __future__ import annotations

import pytest
from gocardless_pro import errors

from gocardless_emulator.lifecycle import MANDATE_STEPS, PAYMENT_STEPS


@pytest.fixture
def gcemu_customer(gcemu):
    return gcemu.add_customer(given_name="Life", family_name="Cycle", country_code="GB")


# The status a mandate or payment must have for a step (others start pending submission).
STARTS = {
    "customer_approval_granted": "pending_customer_approval",
    "customer_approval_skipped": "pending_customer_approval",
    "resubmission_requested": "failed",
}


@pytest.mark.parametrize("action", sorted(MANDATE_STEPS))
def test_every_mandate_action_records_an_event(gcemu, gcemu_client, gcemu_customer, action):
    scheme = "pay_to" if action == "suspended_by_payer" else "bacs"
    status = "pending_customer_approval" if action in STARTS else "pending_submission"
    mandate = gcemu.add_mandate(gcemu_customer["id"], status=status, scheme=scheme)
    events = gcemu.mandate_action(mandate["id"], action)
    event = events[0]
    assert event["id"].startswith("EV")
    assert (event["resource_type"], event["action"]) == ("mandates", action)
    assert event["links"]["mandate"] == mandate["id"]
    details = event["details"]
    assert details["origin"] in ("bank", "api", "gocardless", "customer", "payer")
    assert details["cause"]
    assert details["description"]
    # sparse, like GoCardless: the scheme and a reason code only for a bank's report
    assert set(details) <= {"origin", "cause", "description", "scheme", "reason_code"}
    assert ("reason_code" in details) == ("scheme" in details) == (details["origin"] == "bank")
    assert "customer_notifications" not in event
    expected = MANDATE_STEPS[action].status or status
    assert gcemu_client.mandates.get(mandate["id"]).status == expected
    listed = gcemu_client.events.list(params={"mandate": mandate["id"], "action": action})
    assert [e.id for e in listed.records] == [event["id"]]


@pytest.mark.parametrize("action", ["customer_approval_granted", "customer_approval_skipped"])
def test_customer_approval_moves_to_pending_submission_only(gcemu, gcemu_customer, action):
    waiting = gcemu.add_mandate(gcemu_customer["id"], status="pending_customer_approval")
    (event,) = gcemu.mandate_action(waiting["id"], action)
    assert gcemu.mandates[waiting["id"]]["status"] == "pending_submission"
    assert event["details"]["origin"] == "customer"
    active = gcemu.add_mandate(gcemu_customer["id"])
    with pytest.raises(ValueError):
        gcemu.mandate_action(active["id"], action)
    assert gcemu.mandates[active["id"]]["status"] == "active"


def test_only_payto_mandates_are_suspended_by_the_payer(gcemu, gcemu_customer):
    bacs = gcemu.add_mandate(gcemu_customer["id"])
    with pytest.raises(ValueError) as caught:
        gcemu.mandate_action(bacs["id"], "suspended_by_payer")
    assert "PayTo" in str(caught.value)
    payto = gcemu.add_mandate(gcemu_customer["id"], scheme="pay_to")
    gcemu.mandate_action(payto["id"], "suspended_by_payer")
    assert gcemu.mandates[payto["id"]]["status"] == "suspended_by_payer"
    assert gcemu.mandates[bacs["id"]]["status"] == "active"


@pytest.mark.parametrize("scheme", ["sepa_core", "ach", "becs", "becs_nz"])
def test_first_payment_submits_and_activates_its_mandate(gcemu, gcemu_customer, scheme):
    mandate = gcemu.add_mandate(gcemu_customer["id"], status="pending_submission", scheme=scheme)
    payment = gcemu.add_payment(mandate["id"], 1500)
    events = gcemu.payment_action(payment["id"], "submitted")
    assert [(e["resource_type"], e["action"]) for e in events] == [
        ("payments", "submitted"),
        ("mandates", "submitted"),
    ]
    assert gcemu.mandates[mandate["id"]]["status"] == "submitted"
    events = gcemu.payment_action(payment["id"], "confirmed")
    assert [(e["resource_type"], e["action"]) for e in events] == [
        ("payments", "confirmed"),
        ("mandates", "active"),
    ]
    assert gcemu.mandates[mandate["id"]]["status"] == "active"
    second = gcemu.add_payment(mandate["id"], 1500)
    assert len(gcemu.payment_action(second["id"], "submitted")) == 1


@pytest.mark.parametrize("scheme", ["bacs", "autogiro", "betalingsservice", "pad"])
def test_other_schemes_submit_mandates_on_their_own(gcemu, gcemu_customer, scheme):
    mandate = gcemu.add_mandate(gcemu_customer["id"], status="pending_submission", scheme=scheme)
    payment = gcemu.add_payment(mandate["id"], 1500)
    assert len(gcemu.payment_action(payment["id"], "submitted")) == 1
    assert len(gcemu.payment_action(payment["id"], "confirmed")) == 1
    assert gcemu.mandates[mandate["id"]]["status"] == "pending_submission"


@pytest.mark.parametrize("action", sorted(PAYMENT_STEPS))
def test_every_payment_action_records_an_event(gcemu, gcemu_client, gcemu_customer, action):
    mandate = gcemu.add_mandate(gcemu_customer["id"])
    payment = gcemu.add_payment(
        mandate["id"], 1234, status=STARTS.get(action, "pending_submission")
    )
    (event,) = gcemu.payment_action(payment["id"], action)
    assert (event["resource_type"], event["action"]) == ("payments", action)
    assert event["links"]["payment"] == payment["id"]
    assert gcemu_client.payments.get(payment["id"]).status == PAYMENT_STEPS[action].status
    listed = gcemu_client.events.list(params={"payment": payment["id"]})
    assert [e.action for e in listed.records] == [action]


def test_bank_failure_details(gcemu, gcemu_customer):
    mandate = gcemu.add_mandate(gcemu_customer["id"])
    payment = gcemu.add_payment(mandate["id"], 1000)
    (event,) = gcemu.payment_action(payment["id"], "failed")
    assert event["details"]["origin"] == "bank"
    assert event["details"]["reason_code"] == "ARUDD-0"
    assert event["details"]["will_attempt_retry"] is False
    (event,) = gcemu.mandate_action(mandate["id"], "cancelled")
    assert event["details"]["reason_code"] == "ADDACS-1"


def test_replaced_links_the_new_mandate(gcemu, gcemu_client, gcemu_customer):
    old = gcemu.add_mandate(gcemu_customer["id"])
    (event,) = gcemu.mandate_action(old["id"], "replaced")
    new_id = event["links"]["new_mandate"]
    assert new_id != old["id"]
    old_now = gcemu_client.mandates.get(old["id"])
    assert old_now.status == "cancelled"
    assert old_now.links.new_mandate == new_id
    new = gcemu_client.mandates.get(new_id)
    assert new.status == "active"
    assert new.links.customer == gcemu_customer["id"]
    assert new.links.customer_bank_account == old["links"]["customer_bank_account"]
    listed = gcemu_client.events.list(params={"action": "replaced"}).records
    assert [e.links.new_mandate for e in listed] == [new_id]
    assert "scheme" not in listed[0].attributes["details"]


def test_transferred_moves_the_mandate_to_a_new_bank_account(gcemu, gcemu_customer):
    mandate = gcemu.add_mandate(gcemu_customer["id"])
    (event,) = gcemu.mandate_action(mandate["id"], "transferred")
    previous = mandate["links"]["customer_bank_account"]
    current = gcemu.mandates[mandate["id"]]["links"]["customer_bank_account"]
    assert current != previous
    assert event["links"]["previous_customer_bank_account"] == previous
    assert event["links"]["new_customer_bank_account"] == current
    assert gcemu.mandates[mandate["id"]]["status"] == "active"


def test_cancelling_a_mandate_cancels_its_pending_payments(gcemu, gcemu_client, gcemu_customer):
    mandate = gcemu.add_mandate(gcemu_customer["id"])
    pending = gcemu.add_payment(mandate["id"], 100)
    submitted = gcemu.add_payment(mandate["id"], 200, status="submitted")
    cancelled = gcemu_client.mandates.cancel(mandate["id"])
    assert cancelled.status == "cancelled"
    assert gcemu.payments[pending["id"]]["status"] == "cancelled"
    assert gcemu.payments[submitted["id"]]["status"] == "submitted"
    mandate_event = gcemu_client.events.list(params={"mandate": mandate["id"]}).records[0]
    children = gcemu_client.events.list(params={"parent_event": mandate_event.id}).records
    assert [(e.resource_type, e.action, e.links.payment) for e in children] == [
        ("payments", "cancelled", pending["id"])
    ]
    assert children[0].details.cause == "mandate_cancelled"


def test_events_filters(gcemu, gcemu_client):
    a = gcemu.add_customer(given_name="A", family_name="A")
    b = gcemu.add_customer(given_name="B", family_name="B")
    ma = gcemu.add_mandate(a["id"], status="pending_submission")
    mb = gcemu.add_mandate(b["id"])
    pa = gcemu.add_payment(ma["id"], 100)
    e1 = gcemu.mandate_action(ma["id"], "submitted")[0]
    e2 = gcemu.payment_action(pa["id"], "submitted")[0]
    e3 = gcemu.mandate_action(mb["id"], "cancelled")[0]
    removed = gcemu.remove_customer(b["id"])
    assert removed["id"] == b["id"]
    e4 = list(gcemu.events.values())[-1]
    assert e4["resource_type"] == "customers"
    assert e4["action"] == "removed"
    assert e4["links"] == {"customer": b["id"]}

    def listed(**params):
        return [e.id for e in gcemu_client.events.list(params=params).records]

    assert listed() == [e4["id"], e3["id"], e2["id"], e1["id"]]  # newest first
    assert listed(resource_type="mandates") == [e3["id"], e1["id"]]
    assert listed(resource_type="customers") == [e4["id"]]
    assert listed(action="submitted") == [e2["id"], e1["id"]]
    assert listed(action="submitted", resource_type="payments") == [e2["id"]]
    assert listed(mandate=ma["id"]) == [e1["id"]]
    assert listed(payment=pa["id"], action="submitted") == [e2["id"]]
    assert listed(**{"created_at[gte]": e1["created_at"]}) == listed()
    assert listed(**{"created_at[gt]": "2999-01-01T00:00:00.000Z"}) == []
    assert listed(**{"created_at[lt]": "2000-01-01T00:00:00Z"}) == []


def test_record_event_and_api_origin(gcemu, gcemu_client):
    event = gcemu.record_event(
        "payouts", "paid", {"payout": "PO123"}, {"origin": "gocardless", "cause": "payout_paid"}
    )
    fetched = gcemu_client.events.get(event["id"])
    assert fetched.details.cause == "payout_paid"
    assert fetched.details.reason_code is None
    assert fetched.links.payout == "PO123"
    customer = gcemu.add_customer(company_name="Co")
    mandate = gcemu.add_mandate(customer["id"])
    gcemu_client.payments.create(
        params={"amount": 100, "currency": "GBP", "links": {"mandate": mandate["id"]}}
    )
    created = gcemu_client.events.list(params={"action": "created"}).records[0]
    assert created.details.origin == "api"
    assert created.source.type == "access_token"


def test_seeding_records_no_events_and_unknown_actions_are_refused(gcemu, gcemu_customer):
    gcemu.seed_customers(3)
    gcemu.seed_demo()
    assert gcemu.events == {}
    mandate = gcemu.add_mandate(gcemu_customer["id"])
    with pytest.raises(ValueError):
        gcemu.mandate_action(mandate["id"], "paid_out")
    with pytest.raises(ValueError):
        gcemu.payment_action("PM1", "replaced")
    with pytest.raises(KeyError):
        gcemu.mandate_action("MD404", "cancelled")
    assert gcemu.events == {}


@pytest.mark.parametrize(
    "params",
    [
        {"resource_type": "payments", "payment": "PM1"},
        {"resource_type": "mandates", "mandate": "MD1"},
        {"resource_type": "payouts", "payout": "PO1"},
        {"resource_type": "billing_requests", "billing_request": "BRQ1"},
        {"resource_type": "refunds", "refund": "RF1"},
    ],
)
def test_events_refuse_resource_type_with_a_resource_filter(gcemu_client, params):
    with pytest.raises(errors.InvalidApiUsageError) as caught:
        gcemu_client.events.list(params=params)
    assert caught.value.code == 400
    assert caught.value.errors[0]["reason"] == "invalid_filters"


def test_events_have_no_customer_filter(gcemu_client):
    with pytest.raises(errors.InvalidApiUsageError) as caught:
        gcemu_client.events.list(params={"customer": "CU1"})
    assert caught.value.code == 400
    assert "customer" in caught.value.message


def test_include_needs_resource_type_and_returns_linked(gcemu, gcemu_client, gcemu_customer):
    one = gcemu.add_mandate(gcemu_customer["id"], status="pending_submission")
    two = gcemu.add_mandate(gcemu_customer["id"], status="pending_submission")
    gcemu.mandate_action(one["id"], "submitted")
    gcemu.mandate_action(two["id"], "submitted")
    gcemu.mandate_action(one["id"], "active")
    with pytest.raises(errors.InvalidApiUsageError) as caught:
        gcemu_client.events.list(params={"include": "mandate"})
    assert caught.value.errors[0]["reason"] == "invalid_filters"
    page = gcemu_client.events.list(params={"resource_type": "mandates", "include": "mandate"})
    body = page.api_response.body
    assert [e["links"]["mandate"] for e in body["events"]] == [one["id"], two["id"], one["id"]]
    linked = body["linked"]["mandates"]
    assert [m["id"] for m in linked] == [one["id"], two["id"]]  # each once
    assert linked[0]["status"] == "active"
    with pytest.raises(errors.ValidationFailedError):
        gcemu_client.events.list(params={"resource_type": "mandates", "include": "dance"})
    plain = gcemu_client.events.list(params={"resource_type": "mandates"}).api_response.body
    assert "linked" not in plain


def test_events_older_than_18_months_are_not_returned(gcemu, gcemu_client, gcemu_customer):
    freezegun = pytest.importorskip("freezegun")
    mandate = gcemu.add_mandate(gcemu_customer["id"], status="pending_submission")
    with freezegun.freeze_time("2024-01-10 12:00:00"):
        (old,) = gcemu.mandate_action(mandate["id"], "submitted")
    with freezegun.freeze_time("2025-06-01 12:00:00"):
        (recent,) = gcemu.mandate_action(mandate["id"], "active")
        assert [e.id for e in gcemu_client.events.list().records] == [recent["id"], old["id"]]
    with freezegun.freeze_time("2025-08-01 12:00:00"):  # more than 18 months after the first
        assert [e.id for e in gcemu_client.events.list().records] == [recent["id"]]
        listed = gcemu_client.events.list(params={"created_at[gte]": "2020-01-01T00:00:00Z"})
        assert [e.id for e in listed.records] == [recent["id"]]
        with pytest.raises(errors.InvalidApiUsageError) as caught:
            gcemu_client.events.get(old["id"])
        assert caught.value.code == 404
        assert gcemu_client.events.get(recent["id"]).id == recent["id"]

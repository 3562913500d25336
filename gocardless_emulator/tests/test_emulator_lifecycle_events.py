"""Lifecycle actions update resources and record the events the events list returns."""

from __future__ import annotations

import pytest

from gocardless_emulator.lifecycle import MANDATE_STEPS, PAYMENT_STEPS


@pytest.fixture
def gcemu_customer(gcemu):
    return gcemu.add_customer(given_name="Life", family_name="Cycle", country_code="GB")


@pytest.mark.parametrize("action", sorted(MANDATE_STEPS))
def test_every_mandate_action_records_an_event(gcemu, gcemu_client, gcemu_customer, action):
    mandate = gcemu.add_mandate(gcemu_customer["id"], status="pending_submission")
    events = gcemu.mandate_action(mandate["id"], action)
    event = events[0]
    assert event["id"].startswith("EV")
    assert (event["resource_type"], event["action"]) == ("mandates", action)
    assert event["links"]["mandate"] == mandate["id"]
    assert event["details"]["origin"] in ("bank", "api", "gocardless", "customer", "payer")
    assert event["details"]["cause"]
    assert event["details"]["description"]
    assert event["details"]["scheme"] == "bacs"
    expected = MANDATE_STEPS[action].status or "pending_submission"
    assert gcemu_client.mandates.get(mandate["id"]).status == expected
    listed = gcemu_client.events.list(params={"mandate": mandate["id"], "action": action})
    assert [e.id for e in listed.records] == [event["id"]]


@pytest.mark.parametrize("action", sorted(PAYMENT_STEPS))
def test_every_payment_action_records_an_event(gcemu, gcemu_client, gcemu_customer, action):
    mandate = gcemu.add_mandate(gcemu_customer["id"])
    payment = gcemu.add_payment(mandate["id"], 1234)
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

    assert listed() == [e1["id"], e2["id"], e3["id"], e4["id"]]
    assert listed(resource_type="mandates") == [e1["id"], e3["id"]]
    assert listed(resource_type="customers") == [e4["id"]]
    assert listed(action="submitted") == [e1["id"], e2["id"]]
    assert listed(action="submitted", resource_type="payments") == [e2["id"]]
    assert listed(customer=a["id"]) == [e1["id"], e2["id"]]
    assert listed(customer=b["id"]) == [e3["id"], e4["id"]]
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

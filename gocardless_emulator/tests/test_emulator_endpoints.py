"""Every endpoint through the real gocardless_pro client, including filters."""

from __future__ import annotations

import datetime as dt

import pytest
import requests
from gocardless_pro import errors


def ids(records):
    return [record.id for record in records]


# ---------------------------------------------------------------- customers


def test_customer_create_get_update(gcemu, gcemu_client):
    created = gcemu_client.customers.create(
        params={
            "given_name": "Frank",
            "family_name": "Osborne",
            "email": "frank@example.com",
            "country_code": "GB",
            "metadata": {"odoo_id": "42"},
        }
    )
    assert created.id.startswith("CU")
    assert created.api_response.status_code == 201
    assert created.created_at.endswith("Z")
    assert gcemu.customers[created.id]["email"] == "frank@example.com"

    fetched = gcemu_client.customers.get(created.id)
    assert fetched.attributes == created.attributes

    updated = gcemu_client.customers.update(
        created.id, params={"email": "new@example.com", "city": "London"}
    )
    assert updated.email == "new@example.com"
    assert updated.city == "London"
    assert updated.given_name == "Frank"
    assert gcemu_client.customers.get(created.id).email == "new@example.com"


def test_customer_remove_gives_410_and_leaves_lists(gcemu, gcemu_client):
    keep, gone = gcemu.seed_customers(2, mandate_status=None)
    removed = gcemu_client.customers.remove(gone["id"])
    assert removed.id == gone["id"]

    with pytest.raises(errors.InvalidApiUsageError) as caught:
        gcemu_client.customers.get(gone["id"])
    assert caught.value.code == 410
    assert caught.value.errors[0]["reason"] == "customer_removed"
    with pytest.raises(errors.InvalidApiUsageError):
        gcemu_client.customers.update(gone["id"], params={"city": "Leeds"})

    assert ids(gcemu_client.customers.list().records) == [keep["id"]]
    assert gone["id"] in gcemu.removed_customers
    assert gone["id"] not in gcemu.customers


def test_customers_created_at_filters(gcemu, gcemu_client):
    for day in (1, 2, 3, 4):
        gcemu.add_customer(
            given_name="Day", family_name=str(day), created_at=f"2024-01-0{day}T10:00:00.000Z"
        )
    listed = gcemu_client.customers.list(params={"created_at[gte]": "2024-01-02T10:00:00Z"})
    assert [r.family_name for r in listed.records] == ["4", "3", "2"]
    listed = gcemu_client.customers.list(
        params={"created_at[gt]": "2024-01-02T10:00:00.000Z", "created_at[lte]": "2024-01-04"}
    )
    assert [r.family_name for r in listed.records] == ["3"]
    listed = gcemu_client.customers.list(params={"created_at[lt]": "2024-01-02T00:00:00Z"})
    assert [r.family_name for r in listed.records] == ["1"]


def test_unknown_ids_paths_and_params(gcemu, gcemu_client):
    for call in (
        lambda: gcemu_client.customers.get("CU999"),
        lambda: gcemu_client.mandates.get("MD999"),
        lambda: gcemu_client.payments.get("PM999"),
        lambda: gcemu_client.events.get("EV999"),
        lambda: gcemu_client.payouts.get("PO999"),
        lambda: gcemu_client.creditors.get("CR999"),
        lambda: gcemu_client.customer_bank_accounts.get("BA999"),
        lambda: gcemu_client.refunds.get("RF999"),
        lambda: gcemu_client.billing_requests.get("BRQ999"),
        lambda: gcemu_client.subscriptions.list(),
    ):
        with pytest.raises(errors.InvalidApiUsageError) as caught:
            call()
        assert caught.value.code == 404
        assert caught.value.errors[0]["reason"] == "not_found"

    with pytest.raises(errors.InvalidApiUsageError) as caught:
        gcemu_client.customers.list(params={"email": "someone@example.com"})
    assert caught.value.code == 400
    assert "email" in caught.value.message

    response = requests.get(
        gcemu.base_url + "/nowhere", headers={"Authorization": f"Bearer {gcemu.access_token}"}
    )
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/json"
    assert response.json()["error"]["type"] == "invalid_api_usage"


# ---------------------------------------------------------------- creditors


def test_creditors(gcemu, gcemu_client):
    listed = gcemu_client.creditors.list()
    assert ids(listed.records) == [gcemu.creditor["id"]]
    assert listed.records[0].name == "Emulated Creditor Ltd"
    assert gcemu_client.creditors.get(gcemu.creditor["id"]).name == "Emulated Creditor Ltd"


# ---------------------------------------------------------------- bank accounts


def test_customer_bank_accounts(gcemu, gcemu_client):
    first, second = gcemu.seed_customers(2)
    listed = gcemu_client.customer_bank_accounts.list(params={"customer": second["id"]})
    assert len(listed.records) == 1
    account = listed.records[0]
    assert account.links.customer == second["id"]
    assert account.currency == "GBP"
    assert account.enabled is True
    assert len(account.account_number_ending) == 2

    assert gcemu_client.customer_bank_accounts.get(account.id).id == account.id
    updated = gcemu_client.customer_bank_accounts.update(
        account.id, params={"metadata": {"k": "v"}}
    )
    assert updated.metadata == {"k": "v"}
    assert len(gcemu_client.customer_bank_accounts.list().records) == 2

    disabled = gcemu_client.customer_bank_accounts.disable(account.id)
    assert disabled.enabled is False
    mandate = gcemu_client.mandates.list(params={"customer": second["id"]}).records[0]
    assert mandate.status == "cancelled"
    enabled = gcemu_client.customer_bank_accounts.list(params={"enabled": "true"})
    assert [a.links.customer for a in enabled.records] == [first["id"]]


# ---------------------------------------------------------------- mandates


def test_mandate_list_filters(gcemu, gcemu_client):
    a = gcemu.add_customer(given_name="A", family_name="A")
    b = gcemu.add_customer(company_name="B Ltd", country_code="FR")
    m1 = gcemu.add_mandate(a["id"], "active", "bacs", reference="REF-A1")
    m2 = gcemu.add_mandate(a["id"], "cancelled", "bacs", created_at="2020-01-01T00:00:00Z")
    m3 = gcemu.add_mandate(b["id"], "submitted", "sepa_core")

    def listed(**params):
        return ids(gcemu_client.mandates.list(params=params).records)

    # newest first: m2 was created in 2020
    assert listed() == [m3["id"], m1["id"], m2["id"]]
    assert listed(customer=a["id"]) == [m1["id"], m2["id"]]
    assert listed(customer_bank_account=m3["links"]["customer_bank_account"]) == [m3["id"]]
    assert listed(status="active,submitted") == [m3["id"], m1["id"]]
    assert listed(scheme="sepa_core") == [m3["id"]]
    assert listed(reference="REF-A1") == [m1["id"]]
    assert listed(**{"created_at[lt]": "2021-01-01T00:00:00Z"}) == [m2["id"]]
    assert listed(creditor=gcemu.creditor["id"]) == [m3["id"], m1["id"], m2["id"]]
    with pytest.raises(errors.ValidationFailedError) as caught:
        listed(status="actv")
    assert caught.value.errors[0]["field"] == "status"


@pytest.mark.parametrize(
    "params",
    [
        {"customer": "CU1", "creditor": "CR1"},
        {"customer": "CU1", "customer_bank_account": "BA1"},
        {"customer_bank_account": "BA1", "creditor": "CR1"},
    ],
)
def test_mandate_list_refuses_two_owner_filters(gcemu_client, params):
    with pytest.raises(errors.InvalidApiUsageError) as caught:
        gcemu_client.mandates.list(params=params)
    assert caught.value.code == 400
    assert caught.value.errors[0]["reason"] == "invalid_filters"


def test_mandate_get_update_cancel_reinstate(gcemu, gcemu_client):
    customer = gcemu.add_customer(given_name="A", family_name="B")
    mandate = gcemu.add_mandate(customer["id"])
    fetched = gcemu_client.mandates.get(mandate["id"])
    assert fetched.status == "active"
    assert fetched.scheme == "bacs"
    assert fetched.links.customer == customer["id"]
    assert fetched.links.creditor == gcemu.creditor["id"]
    assert fetched.next_possible_charge_date > dt.date.today().isoformat()

    updated = gcemu_client.mandates.update(mandate["id"], params={"metadata": {"a": "b"}})
    assert updated.metadata == {"a": "b"}

    cancelled = gcemu_client.mandates.cancel(mandate["id"], params={"metadata": {"why": "test"}})
    assert cancelled.status == "cancelled"
    assert cancelled.next_possible_charge_date is None
    event = gcemu_client.events.list(params={"mandate": mandate["id"]}).records[0]
    assert (event.action, event.details.origin) == ("cancelled", "api")
    assert event.metadata == {"why": "test"}

    reinstated = gcemu_client.mandates.reinstate(mandate["id"])
    assert reinstated.status == "pending_submission"
    events = gcemu_client.events.list(params={"mandate": mandate["id"]}).records
    assert [e.action for e in events] == ["resubmission_requested", "cancelled"]


# ---------------------------------------------------------------- payments


def test_payment_create_get_update_cancel(gcemu, gcemu_client):
    customer = gcemu.add_customer(given_name="A", family_name="B")
    mandate = gcemu.add_mandate(customer["id"])
    payment = gcemu_client.payments.create(
        params={
            "amount": 1500,
            "currency": "GBP",
            "description": "Invoice 1",
            "metadata": {"invoice": "INV/1"},
            "links": {"mandate": mandate["id"]},
        }
    )
    assert payment.id.startswith("PM")
    assert payment.status == "pending_submission"
    assert payment.amount == 1500
    assert payment.charge_date == mandate["next_possible_charge_date"]
    assert payment.links.mandate == mandate["id"]
    assert payment.scheme == "bacs"
    assert gcemu_client.payments.get(payment.id).description == "Invoice 1"

    updated = gcemu_client.payments.update(payment.id, params={"metadata": {"x": "y"}})
    assert updated.metadata == {"x": "y"}

    cancelled = gcemu_client.payments.cancel(payment.id)
    assert cancelled.status == "cancelled"
    actions = [e.action for e in gcemu_client.events.list(params={"payment": payment.id}).records]
    assert actions == ["cancelled", "created"]


def test_payment_retry(gcemu, gcemu_client):
    customer = gcemu.add_customer(given_name="A", family_name="B")
    mandate = gcemu.add_mandate(customer["id"])
    payment = gcemu.add_payment(mandate["id"], 2000, status="failed")
    retried = gcemu_client.payments.retry(payment["id"], params={"metadata": {"try": "2"}})
    assert retried.status == "pending_submission"
    event = gcemu_client.events.list(params={"payment": payment["id"]}).records[0]
    assert event.action == "resubmission_requested"
    assert event.metadata == {"try": "2"}


def test_payment_list_filters(gcemu, gcemu_client):
    a = gcemu.add_customer(given_name="A", family_name="A")
    b = gcemu.add_customer(given_name="B", family_name="B", country_code="DE")
    ma = gcemu.add_mandate(a["id"])
    mb = gcemu.add_mandate(b["id"], scheme="sepa_core")
    p1 = gcemu.add_payment(ma["id"], 100, charge_date="2030-01-10")
    p2 = gcemu.add_payment(ma["id"], 200, status="paid_out", charge_date="2030-02-10")
    p3 = gcemu.add_payment(mb["id"], 300, status="failed", charge_date="2030-03-10")
    assert p3["currency"] == "EUR"

    def listed(**params):
        return ids(gcemu_client.payments.list(params=params).records)

    assert listed() == [p3["id"], p2["id"], p1["id"]]
    assert listed(mandate=ma["id"]) == [p2["id"], p1["id"]]
    assert listed(customer=b["id"]) == [p3["id"]]
    assert listed(status="paid_out,failed") == [p3["id"], p2["id"]]
    assert listed(currency="EUR") == [p3["id"]]
    assert listed(**{"charge_date[gte]": "2030-02-10"}) == [p3["id"], p2["id"]]
    assert listed(**{"charge_date[lt]": "2030-02-10"}) == [p1["id"]]
    assert listed(**{"created_at[gte]": "2000-01-01T00:00:00Z"}) == [p3["id"], p2["id"], p1["id"]]
    assert listed(**{"created_at[lt]": "2000-01-01T00:00:00Z"}) == []


# ---------------------------------------------------------------- payouts, events


def test_payouts_and_payout_items(gcemu, gcemu_client):
    customer = gcemu.add_customer(given_name="A", family_name="B")
    mandate = gcemu.add_mandate(customer["id"])
    payment = gcemu.add_payment(mandate["id"], 4500)
    gcemu.payment_action(payment["id"], "submitted")
    gcemu.payment_action(payment["id"], "confirmed")
    gcemu.payment_action(payment["id"], "paid_out")
    euro = gcemu.add_payout(currency="EUR", amount=1000, status="paid")
    gcemu.add_payout_item(euro["id"], "payment_paid_out", 1000, links={"payment": "PM1"})

    payout_id = gcemu.payments[payment["id"]]["links"]["payout"]
    payout = gcemu_client.payouts.get(payout_id)
    fee = payout.deducted_fees
    assert fee > 0
    assert payout.amount == 4500 - fee
    assert payout.currency == "GBP"
    assert payout.status == "pending"
    assert ids(gcemu_client.payouts.list(params={"currency": "EUR"}).records) == [euro["id"]]
    assert ids(gcemu_client.payouts.list(params={"status": "pending"}).records) == [payout_id]

    items = gcemu_client.payout_items.list(params={"payout": payout_id}).records
    assert fee == 45  # 1% of 45.00, the GBP minimum (0.20) and cap (2.00) do not apply
    assert [(i.type, i.amount) for i in items] == [  # minor units, one decimal
        ("payment_paid_out", "4500.0"),
        ("gocardless_fee", "-45.0"),
    ]
    assert items[0].links.payment == payment["id"]
    every = list(gcemu_client.payout_items.all(params={"payout": payout_id, "limit": 1}))
    assert [i.type for i in every] == ["payment_paid_out", "gocardless_fee"]
    assert gcemu_client.payout_items.list(params={"payout": euro["id"]}).records[0].amount == (
        "1000.0"
    )
    with pytest.raises(errors.InvalidApiUsageError) as caught:
        gcemu_client.payout_items.list()
    assert caught.value.errors[0]["field"] == "payout"

    events = gcemu_client.events.list(params={"payout": payout_id}).records
    assert [(e.resource_type, e.action) for e in events] == [("payments", "paid_out")]
    gcemu.payout_action(payout_id, "paid")
    assert gcemu_client.payouts.get(payout_id).status == "paid"
    assert gcemu_client.events.list(params={"resource_type": "payouts"}).records[0].action == (
        "paid"
    )


def test_event_get(gcemu, gcemu_client):
    customer = gcemu.add_customer(given_name="A", family_name="B")
    mandate = gcemu.add_mandate(customer["id"], status="pending_submission")
    (event,) = gcemu.mandate_action(mandate["id"], "submitted")
    fetched = gcemu_client.events.get(event["id"])
    assert fetched.action == "submitted"
    assert fetched.resource_type == "mandates"
    assert fetched.links.mandate == mandate["id"]
    assert fetched.details.cause == "mandate_submitted"
    assert "source" not in fetched.attributes  # only API-origin events name a source
    assert "scheme" not in fetched.attributes["details"]


def test_one_clock_that_freezegun_controls(gcemu, gcemu_client):
    freezegun = pytest.importorskip("freezegun")
    with freezegun.freeze_time("2024-05-01 10:00:00"):  # a Wednesday
        customer = gcemu_client.customers.create(params={"company_name": "Frozen Ltd"})
        mandate = gcemu.add_mandate(customer.id)
        payment = gcemu_client.payments.create(
            params={"amount": 100, "currency": "GBP", "links": {"mandate": mandate["id"]}}
        )
        reset = gcemu_client.rate_limit["ratelimit-reset"]
    assert customer.created_at == "2024-05-01T10:00:00.000Z"  # made on a server thread
    assert mandate["created_at"] == "2024-05-01T10:00:00.000Z"  # made on this thread
    assert mandate["next_possible_charge_date"] == "2024-05-06"  # 3 working days (bacs)
    assert payment.charge_date == "2024-05-06"
    assert reset == "Wed, 01 May 2024 10:01:00 GMT"


def test_an_emulator_bug_answers_json_500(gcemu, gcemu_client, monkeypatch, capsys):
    from gocardless_emulator import api

    def broken(request, match):
        raise ZeroDivisionError("boom")

    patched = [(m, p, broken if m == "GET" else h) for m, p, h in api._COMPILED]
    monkeypatch.setattr(api, "_COMPILED", patched)
    with pytest.raises(errors.GoCardlessInternalError) as caught:
        gcemu_client.customers.list()
    assert "ZeroDivisionError: boom" in caught.value.message
    assert "Traceback" in capsys.readouterr().err

"""Refunds and payouts made like GoCardless's: items in minor units, fees and VAT, the
deductions of refunds, charge-backs and late failures in a later payout."""

from __future__ import annotations

from decimal import Decimal

import pytest
from gocardless_pro import errors

from gocardless_emulator import FeeSchedule

# 0.45 a payment plus 20% VAT: the worked example of three payments (80.00 + 45.50 + 12.25)
# paid out with fees 1.35 and VAT 0.27 in one payout of 136.13.
FLAT_FEE = FeeSchedule(percent=Decimal(0), fixed=45, minimum={}, cap={}, vat_rate=Decimal("0.2"))


def item_total(items) -> int:
    return sum(int(round(float(item["amount"]))) for item in items)


@pytest.fixture
def gcemu_mandate(gcemu):
    customer = gcemu.add_customer(given_name="Pay", family_name="Out")
    return gcemu.add_mandate(customer["id"])


def confirmed(gcemu, mandate, *amounts):
    return [
        gcemu.add_payment(mandate["id"], amount, status="confirmed")["id"] for amount in amounts
    ]


# ---------------------------------------------------------------- refunds


def test_refund_create_get_list_update(gcemu, gcemu_client, gcemu_mandate, gcemu_fixture):
    (payment_id,) = confirmed(gcemu, gcemu_mandate, 5000)
    refund = gcemu_client.refunds.create(
        params={
            "amount": 1500,
            "total_amount_confirmation": 1500,
            "links": {"payment": payment_id},
            "reference": "Credit note 7",
            "metadata": {"odoo": "7"},
        },
        headers={"Idempotency-Key": "refund-7"},
    )
    assert refund.id.startswith("RF")
    assert (refund.amount, refund.currency, refund.status) == (1500, "GBP", "created")
    assert (refund.links.payment, refund.links.mandate) == (payment_id, gcemu_mandate["id"])
    assert set(refund.attributes) == set(gcemu_fixture("refunds")["get"]["body"]["refunds"])
    assert gcemu.payments[payment_id]["amount_refunded"] == 1500
    again = gcemu_client.refunds.create(
        params={
            "amount": 1500,
            "total_amount_confirmation": 1500,
            "links": {"payment": payment_id},
        },
        headers={"Idempotency-Key": "refund-7"},
    )
    assert again.id == refund.id
    assert len(gcemu.refunds) == 1
    assert gcemu_client.refunds.get(refund.id).reference == "Credit note 7"
    assert [r.id for r in gcemu_client.refunds.list(params={"payment": payment_id}).records] == [
        refund.id
    ]
    assert gcemu_client.refunds.list(params={"mandate": "MD404"}).records == []
    assert gcemu_client.refunds.update(refund.id, params={"metadata": {"a": "b"}}).metadata == {
        "a": "b"
    }
    (event,) = [e for e in gcemu.events.values() if e["resource_type"] == "refunds"]
    assert (event["action"], event["links"]) == (
        "created",
        {"refund": refund.id, "payment": payment_id},
    )
    assert event["details"]["origin"] == "api"


def test_refund_rules(gcemu, gcemu_client, gcemu_mandate):
    (payment_id,) = confirmed(gcemu, gcemu_mandate, 5000)
    pending = gcemu.add_payment(gcemu_mandate["id"], 5000)

    def refund(**params):
        body = {"amount": 1000, "total_amount_confirmation": 1000, "links": {"payment": payment_id}}
        body.update(params)
        return gcemu_client.refunds.create(params=body)

    with pytest.raises(errors.ValidationFailedError) as caught:
        refund(total_amount_confirmation=None)
    assert caught.value.errors[0]["field"] == "total_amount_confirmation"
    with pytest.raises(errors.ValidationFailedError):
        refund(links={"payment": "PM404"})
    with pytest.raises(errors.InvalidStateError) as caught:
        refund(links={"payment": pending["id"]})
    assert caught.value.errors[0]["reason"] == "refund_payment_invalid_state"
    with pytest.raises(errors.InvalidStateError) as caught:
        refund(total_amount_confirmation=999)
    assert caught.value.errors[0]["reason"] == "total_amount_confirmation_invalid"
    refund(amount=4000, total_amount_confirmation=4000)
    with pytest.raises(errors.InvalidStateError) as caught:
        refund(amount=1001, total_amount_confirmation=5001)
    assert caught.value.errors[0]["reason"] == "available_refund_amount_insufficient"
    assert refund(total_amount_confirmation=5000).amount == 1000
    assert gcemu.payments[payment_id]["amount_refunded"] == 5000
    assert len(gcemu.refunds) == 2


def test_refund_actions_record_events(gcemu, gcemu_client, gcemu_mandate):
    (payment_id,) = confirmed(gcemu, gcemu_mandate, 5000)
    refund = gcemu_client.refunds.create(
        params={"amount": 700, "total_amount_confirmation": 700, "links": {"payment": payment_id}}
    )
    for action, status in (("submitted", "submitted"), ("paid", "paid")):
        (event,) = gcemu.refund_action(refund.id, action)
        assert (event["resource_type"], event["action"]) == ("refunds", action)
        assert event["links"] == {"refund": refund.id}
        assert gcemu_client.refunds.get(refund.id).status == status
    gcemu.refund_action(refund.id, "failed")
    assert gcemu.refunds[refund.id]["status"] == "bounced"
    with pytest.raises(ValueError):
        gcemu.refund_action(refund.id, "dance")


# ---------------------------------------------------------------- payouts


def test_pay_out_the_worked_example(gcemu, gcemu_client, gcemu_mandate, gcemu_fixture):
    gcemu.fees = FLAT_FEE
    ids = confirmed(gcemu, gcemu_mandate, 8000, 4550, 1225)
    other = gcemu.add_payment(gcemu_mandate["id"], 999, status="submitted")
    payout = gcemu.pay_out("GBP")
    assert payout["amount"] == 13613  # 137.75 - 1.35 fees - 0.27 VAT
    assert payout["deducted_fees"] == 162
    assert (payout["status"], payout["currency"], payout["tax_currency"]) == ("paid", "GBP", "GBP")
    assert payout["arrival_date"] and payout["reference"]
    fetched = gcemu_client.payouts.get(payout["id"])
    assert (fetched.amount, fetched.deducted_fees) == (13613, 162)

    items = [i.attributes for i in gcemu_client.payout_items.all(params={"payout": payout["id"]})]
    assert [(i["type"], i["amount"], i["links"]["payment"]) for i in items] == [
        ("payment_paid_out", "8000.0", ids[0]),
        ("gocardless_fee", "-54.0", ids[0]),
        ("payment_paid_out", "4550.0", ids[1]),
        ("gocardless_fee", "-54.0", ids[1]),
        ("payment_paid_out", "1225.0", ids[2]),
        ("gocardless_fee", "-54.0", ids[2]),
    ]
    assert item_total(items) == payout["amount"]
    fee_item = items[1]
    expected_tax = gcemu_fixture("payout_items")["list"]["body"]["payout_items"][0]["taxes"][0]
    assert set(fee_item["taxes"][0]) == set(expected_tax)
    assert (fee_item["taxes"][0]["amount"], fee_item["taxes"][0]["tax_rate_id"]) == (
        "-9.0",
        "GB_VAT_1",
    )
    assert items[0]["taxes"] == []

    for payment_id in ids:
        payment = gcemu_client.payments.get(payment_id)
        assert (payment.status, payment.links.payout) == ("paid_out", payout["id"])
    assert gcemu.payments[other["id"]]["status"] == "submitted"
    events = gcemu_client.events.list(params={"payout": payout["id"]}).records
    assert sorted((e.resource_type, e.action) for e in events) == [
        ("payments", "paid_out"),
        ("payments", "paid_out"),
        ("payments", "paid_out"),
        ("payouts", "paid"),
    ]
    paid = next(e for e in events if e.resource_type == "payouts")
    assert paid.details.currency == "GBP"


def test_standard_fees_follow_the_currency_minimum_and_cap(gcemu, gcemu_mandate):
    small, middle, large = confirmed(gcemu, gcemu_mandate, 1000, 4500, 50000)
    payout = gcemu.pay_out("GBP", paid=False)
    fees = [
        item["amount"]
        for item in gcemu.payout_items[payout["id"]]
        if item["type"] == "gocardless_fee"
    ]
    assert fees == ["-20.0", "-45.0", "-200.0"]  # minimum 0.20, 1%, cap 2.00
    assert payout["status"] == "pending"
    assert not any(e["resource_type"] == "payouts" for e in gcemu.events.values())
    (event,) = gcemu.payout_action(payout["id"], "paid")
    assert event["links"] == {"payout": payout["id"]}


def test_app_fees_and_chosen_payments(gcemu, gcemu_mandate):
    gcemu.fees = FeeSchedule(percent=Decimal(0), fixed=0, minimum={}, cap={})
    with_fee = gcemu.add_payment(gcemu_mandate["id"], 3000, status="confirmed", app_fee=150)
    left = gcemu.add_payment(gcemu_mandate["id"], 2000, status="confirmed")
    payout = gcemu.pay_out("GBP", payments=[with_fee["id"]])
    items = gcemu.payout_items[payout["id"]]
    assert [(i["type"], i["amount"]) for i in items] == [
        ("payment_paid_out", "3000.0"),
        ("app_fee", "-150.0"),
    ]
    assert (payout["amount"], payout["deducted_fees"]) == (2850, 150)
    assert gcemu.payments[left["id"]]["status"] == "confirmed"
    with pytest.raises(ValueError):
        gcemu.pay_out("GBP", payments=[with_fee["id"]])  # already paid out
    with pytest.raises(ValueError):
        gcemu.pay_out("EUR")  # nothing to pay out


def test_refunds_chargebacks_and_late_failures_in_the_next_payout(
    gcemu, gcemu_client, gcemu_mandate
):
    gcemu.fees = FLAT_FEE
    charged, failing, refunded = confirmed(gcemu, gcemu_mandate, 3000, 2000, 5000)
    first = gcemu.pay_out("GBP")
    gcemu.payment_action(charged, "charged_back")
    gcemu.payment_action(failing, "failed")
    refund = gcemu_client.refunds.create(
        params={"amount": 1200, "total_amount_confirmation": 1200, "links": {"payment": refunded}}
    )
    (fresh,) = confirmed(gcemu, gcemu_mandate, 10000)
    second = gcemu.pay_out("GBP")
    items = gcemu.payout_items[second["id"]]
    summary = [(i["type"], i["amount"], i["links"].get("payment")) for i in items]
    assert summary == [
        ("payment_paid_out", "10000.0", fresh),
        ("gocardless_fee", "-54.0", fresh),
        ("payment_charged_back", "-3000.0", charged),
        ("gocardless_fee", "54.0", charged),  # the fee is given back
        ("payment_failed", "-2000.0", failing),
        ("gocardless_fee", "54.0", failing),
        ("payment_refunded", "-1200.0", refunded),
    ]
    assert items[3]["taxes"][0]["amount"] == "9.0"
    assert items[-1]["links"]["refund"] == refund.id
    assert second["amount"] == item_total(items) == 10000 - 54 - 3000 + 54 - 2000 + 54 - 1200
    assert second["deducted_fees"] == 54 - 54 - 54
    settled = {
        (e["resource_type"], e["action"]): e["links"]
        for e in gcemu.events.values()
        if e["links"].get("payout") == second["id"] and e["resource_type"] != "payouts"
    }
    assert settled[("payments", "chargeback_settled")] == {
        "payment": charged,
        "payout": second["id"],
    }
    assert settled[("payments", "late_failure_settled")]["payment"] == failing
    assert settled[("refunds", "refund_settled")] == {"refund": refund.id, "payout": second["id"]}
    third_payment = confirmed(gcemu, gcemu_mandate, 100)
    third = gcemu.pay_out("GBP", payments=third_payment)
    assert [i["type"] for i in gcemu.payout_items[third["id"]]] == [
        "payment_paid_out",
        "gocardless_fee",
    ]  # deductions are settled once
    assert first["id"] != second["id"] != third["id"]


def test_a_withdrawn_chargeback(gcemu, gcemu_mandate):
    early, late = confirmed(gcemu, gcemu_mandate, 3000, 4000)
    gcemu.pay_out("GBP")
    gcemu.payment_action(early, "charged_back")
    gcemu.payment_action(early, "chargeback_cancelled")  # before it was deducted
    gcemu.payment_action(late, "charged_back")
    (filler,) = confirmed(gcemu, gcemu_mandate, 100)
    second = gcemu.pay_out("GBP")
    assert [(i["type"], i["links"]["payment"]) for i in gcemu.payout_items[second["id"]]][2:] == [
        ("payment_charged_back", late),
        ("gocardless_fee", late),
    ]
    gcemu.payment_action(late, "chargeback_cancelled")  # after it was deducted
    assert gcemu.payments[late]["status"] == "paid_out"
    third = gcemu.pay_out("GBP")
    assert [(i["type"], i["amount"]) for i in gcemu.payout_items[third["id"]]] == [
        ("payment_paid_out", "4000.0")
    ]
    assert third["amount"] == 4000
    assert filler


def test_a_payout_whose_items_do_not_add_up(gcemu, gcemu_mandate):
    confirmed(gcemu, gcemu_mandate, 2500)
    payout = gcemu.pay_out(
        "GBP",
        amount_adjustment=-7,
        extra_items=[{"type": "refund", "amount": -300, "links": {"mandate": gcemu_mandate["id"]}}],
    )
    items = gcemu.payout_items[payout["id"]]
    assert items[-1] == {
        "amount": "-300.0",
        "links": {"mandate": gcemu_mandate["id"]},
        "taxes": [],
        "type": "refund",
    }
    assert item_total(items) == 2500 - 25 - 300
    assert payout["amount"] == item_total(items) - 7


def test_payout_items_older_than_six_months_answer_410(gcemu, gcemu_client):
    freezegun = pytest.importorskip("freezegun")
    with freezegun.freeze_time("2024-01-15 09:00:00"):
        old = gcemu.add_payout(amount=100)
        older = gcemu.add_payout(amount=100, created_at="2023-12-01T00:00:00Z")
        gcemu.add_payout_item(old["id"], "payment_paid_out", 100)
        assert gcemu_client.payout_items.list(params={"payout": old["id"]}).records
    with freezegun.freeze_time("2024-07-20 09:00:00"):  # 6 months and 5 days later
        with pytest.raises(errors.InvalidApiUsageError) as caught:
            gcemu_client.payout_items.list(params={"payout": old["id"]})
        assert caught.value.code == 410
        assert gcemu_client.payouts.get(old["id"]).amount == 100  # the payout itself stays
        with pytest.raises(errors.InvalidApiUsageError):
            gcemu_client.payout_items.list(params={"payout": older["id"]})

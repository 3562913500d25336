"""Idempotency keys, validation errors (422 validation_failed) and state errors (invalid_state)."""

from __future__ import annotations

import json

import gocardless_pro
import pytest
import requests
from gocardless_pro import errors

from gocardless_emulator.resources import SCHEME_CURRENCY


@pytest.fixture
def gcemu_mandate(gcemu):
    customer = gcemu.add_customer(given_name="Pay", family_name="Er")
    return gcemu.add_mandate(customer["id"])


def payment_params(mandate, **overrides):
    params = {"amount": 1000, "currency": "GBP", "links": {"mandate": mandate["id"]}}
    params.update(overrides)
    return params


# ---------------------------------------------------------------- idempotency


def test_same_key_twice_returns_the_same_customer(gcemu, gcemu_client):
    headers = {"Idempotency-Key": "customer-key-1"}
    params = {"given_name": "Ada", "family_name": "Lovelace"}
    first = gcemu_client.customers.create(params=params, headers=headers)
    second = gcemu_client.customers.create(params=params, headers=headers)
    assert second.id == first.id
    assert len(gcemu.customers) == 1
    assert [e["status"] for e in gcemu.requests] == [201, 409, 200]  # create, conflict, GET
    third = gcemu_client.customers.create(params=params)  # a fresh uuid4 key
    assert third.id != first.id
    assert len(gcemu.customers) == 2


def test_same_key_twice_returns_the_same_payment(gcemu, gcemu_client, gcemu_mandate):
    headers = {"Idempotency-Key": "payment-key-1"}
    first = gcemu_client.payments.create(params=payment_params(gcemu_mandate), headers=headers)
    second = gcemu_client.payments.create(
        params=payment_params(gcemu_mandate, amount=9999), headers=headers
    )
    assert second.id == first.id
    assert second.amount == 1000
    assert len(gcemu.payments) == 1
    created_events = [e for e in gcemu.events.values() if e["action"] == "created"]
    assert len(created_events) == 1


def test_conflict_can_be_raised_and_keys_are_scoped(gcemu, gcemu_mandate):
    strict = gocardless_pro.Client(
        gcemu.access_token, base_url=gcemu.base_url, raise_on_idempotency_conflict=True
    )
    headers = {"Idempotency-Key": "shared-key"}
    customer = strict.customers.create(params={"company_name": "X"}, headers=headers)
    with pytest.raises(errors.IdempotentCreationConflictError) as caught:
        strict.customers.create(params={"company_name": "X"}, headers=headers)
    assert caught.value.conflicting_resource_id == customer.id
    # the same key on another endpoint is a different key
    payment = strict.payments.create(params=payment_params(gcemu_mandate), headers=headers)
    assert payment.id.startswith("PM")
    # and under another token too
    gcemu.access_token = "second-token"
    other = gocardless_pro.Client("second-token", base_url=gcemu.base_url)
    assert other.customers.create(params={"company_name": "X"}, headers=headers).id != customer.id


def test_failed_create_does_not_burn_the_key(gcemu, gcemu_client):
    headers = {"Idempotency-Key": "retry-after-fix"}
    with pytest.raises(errors.ValidationFailedError):
        gcemu_client.customers.create(params={"email": "x@example.com"}, headers=headers)
    customer = gcemu_client.customers.create(params={"company_name": "Fixed"}, headers=headers)
    assert customer.company_name == "Fixed"
    assert len(gcemu.customers) == 1


# ---------------------------------------------------------------- validation


def fields_of(error):
    return [item["field"] for item in error.errors]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"email": "a@example.com"}, "given_name"),
        ({"given_name": "Only"}, "family_name"),
        ({"company_name": "Co", "email": "not an email"}, "email"),
        ({"company_name": "Co", "email": "missing-at.example.com"}, "email"),
        ({"company_name": "Co", "country_code": "gb"}, "country_code"),
        ({"company_name": "Co", "language": "xx"}, "language"),
        ({"company_name": "Co", "metadata": {"a": "1", "b": "2", "c": "3", "d": "4"}}, "metadata"),
        ({"company_name": "Co", "metadata": {"k" * 51: "v"}}, "metadata"),
        ({"company_name": "Co", "metadata": {"k": "v" * 501}}, "metadata"),
        ({"company_name": "Co", "metadata": {"k": 5}}, "metadata"),
        ({"company_name": 5}, "company_name"),
    ],
)
def test_customer_validation(gcemu, gcemu_client, params, field):
    with pytest.raises(errors.ValidationFailedError) as caught:
        gcemu_client.customers.create(params=params)
    assert field in fields_of(caught.value)
    item = caught.value.errors[0]
    assert set(item) == {"field", "message", "request_pointer"}
    assert item["request_pointer"].startswith("/customers/")
    assert str(caught.value).startswith("Validation failed")
    assert gcemu.customers == {}


def test_customer_metadata_limits_are_inclusive(gcemu_client):
    metadata = {"a" * 50: "v" * 500, "b": "", "c": "x"}
    customer = gcemu_client.customers.create(params={"company_name": "Co", "metadata": metadata})
    assert customer.metadata == metadata


def test_customer_email_with_spaces_is_accepted_as_sent(gcemu_client):
    customer = gcemu_client.customers.create(
        params={"company_name": "Co", "email": "  Mixed.Case@Example.com "}
    )
    assert customer.email == "  Mixed.Case@Example.com "


def test_customer_update_validation(gcemu, gcemu_client):
    customer = gcemu.add_customer(given_name="A", family_name="B")
    with pytest.raises(errors.ValidationFailedError) as caught:
        gcemu_client.customers.update(customer["id"], params={"family_name": ""})
    assert fields_of(caught.value) == ["family_name"]
    assert gcemu.customers[customer["id"]]["family_name"] == "B"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"amount": 0}, "amount"),
        ({"amount": -5}, "amount"),
        ({"amount": 10.5}, "amount"),
        ({"amount": "1000"}, "amount"),
        ({"amount": True}, "amount"),
        ({"currency": "CHF"}, "currency"),
        ({"currency": "EUR"}, "currency"),  # not the bacs mandate's currency
        ({"currency": None}, "currency"),
        ({"charge_date": "2001-01-01"}, "charge_date"),
        ({"charge_date": "01/02/2030"}, "charge_date"),
        ({"charge_date": "2030-02-30"}, "charge_date"),
        ({"links": {}}, "links[mandate]"),
        ({"links": {"mandate": "MD404"}}, "links[mandate]"),
        ({"metadata": {"1": "a", "2": "b", "3": "c", "4": "d"}}, "metadata"),
        ({"retry_if_possible": "yes"}, "retry_if_possible"),
    ],
)
def test_payment_validation(gcemu, gcemu_client, gcemu_mandate, overrides, field):
    with pytest.raises(errors.ValidationFailedError) as caught:
        gcemu_client.payments.create(params=payment_params(gcemu_mandate, **overrides))
    assert field in fields_of(caught.value)
    for item in caught.value.errors:
        assert item["request_pointer"].startswith("/payments/")
    assert gcemu.payments == {}


def test_payment_charge_date_on_the_earliest_day_is_accepted(gcemu_client, gcemu_mandate):
    earliest = gcemu_mandate["next_possible_charge_date"]
    payment = gcemu_client.payments.create(
        params=payment_params(gcemu_mandate, charge_date=earliest)
    )
    assert payment.charge_date == earliest


@pytest.mark.parametrize(
    ("scheme", "currency"),
    [
        ("bacs", "GBP"),
        ("sepa_core", "EUR"),
        ("autogiro", "SEK"),
        ("becs", "AUD"),
        ("becs_nz", "NZD"),
        ("betalingsservice", "DKK"),
        ("pad", "CAD"),
        ("ach", "USD"),
    ],
)
def test_payment_currency_follows_the_scheme(gcemu, gcemu_client, scheme, currency):
    customer = gcemu.add_customer(company_name="Co")
    mandate = gcemu.add_mandate(customer["id"], scheme=scheme)
    payment = gcemu_client.payments.create(params=payment_params(mandate, currency=currency))
    assert (payment.currency, payment.scheme) == (currency, scheme)
    wrong = "GBP" if currency != "GBP" else "EUR"
    with pytest.raises(errors.ValidationFailedError):
        gcemu_client.payments.create(params=payment_params(mandate, currency=wrong))


def test_bad_documents_are_invalid_api_usage(gcemu):
    url = gcemu.base_url + "/customers"
    headers = {"Authorization": f"Bearer {gcemu.access_token}"}
    for body in ("[]", '{"customer": {}}', "{not json", json.dumps({"customers": {"foo": 1}})):
        response = requests.post(url, data=body, headers=headers, timeout=5)
        assert response.status_code == 400, body
        error = response.json()["error"]
        assert error["type"] == "invalid_api_usage"
        assert error["message"] == "Invalid document structure"
    assert gcemu.customers == {}


# ---------------------------------------------------------------- state errors


@pytest.mark.parametrize(
    "status",
    ["suspended_by_payer", "failed", "cancelled", "expired", "consumed", "blocked"],
)
def test_payment_on_inactive_mandate(gcemu, gcemu_client, status):
    customer = gcemu.add_customer(company_name="Co")
    mandate = gcemu.add_mandate(customer["id"], status=status)
    with pytest.raises(errors.InvalidStateError) as caught:
        gcemu_client.payments.create(params=payment_params(mandate))
    assert caught.value.errors[0]["reason"] == "mandate_is_inactive"
    assert gcemu.payments == {}


@pytest.mark.parametrize(
    "status", ["pending_customer_approval", "pending_submission", "submitted", "active"]
)
def test_payment_on_payable_mandate(gcemu, gcemu_client, status):
    customer = gcemu.add_customer(company_name="Co")
    mandate = gcemu.add_mandate(customer["id"], status=status)
    assert gcemu_client.payments.create(params=payment_params(mandate)).id in gcemu.payments


def test_cancel_of_a_cancelled_mandate_fails(gcemu, gcemu_client):
    customer = gcemu.add_customer(company_name="Co")
    mandate = gcemu.add_mandate(customer["id"], status="cancelled")
    with pytest.raises(errors.InvalidStateError) as caught:
        gcemu_client.mandates.cancel(mandate["id"])
    assert caught.value.errors[0]["reason"] == "cancellation_failed"
    assert gcemu.mandates[mandate["id"]]["status"] == "cancelled"
    assert gcemu.events == {}


@pytest.mark.parametrize("status", ["failed", "expired", "consumed", "blocked", "submitted"])
def test_cancel_fails_only_when_already_cancelled(gcemu, gcemu_client, status):
    customer = gcemu.add_customer(company_name="Co")
    mandate = gcemu.add_mandate(customer["id"], status=status)
    assert gcemu_client.mandates.cancel(mandate["id"]).status == "cancelled"
    (event,) = gcemu.events.values()
    assert (event["action"], event["details"]["origin"]) == ("cancelled", "api")


def test_reinstate_is_capped_at_ten_resubmissions(gcemu, gcemu_client):
    customer = gcemu.add_customer(company_name="Co")
    mandate = gcemu.add_mandate(customer["id"], status="cancelled")
    for _ in range(10):
        assert gcemu_client.mandates.reinstate(mandate["id"]).status == "pending_submission"
        gcemu.mandate_action(mandate["id"], "cancelled")
    with pytest.raises(errors.InvalidStateError) as caught:
        gcemu_client.mandates.reinstate(mandate["id"])
    assert caught.value.errors[0]["reason"] == "reinstatement_failed"
    assert "10" in caught.value.message
    assert gcemu.mandates[mandate["id"]]["status"] == "cancelled"


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        ("active", "mandate_not_inactive"),
        ("pending_submission", "mandate_not_inactive"),
        ("failed", "reinstatement_failed"),
        ("blocked", "reinstatement_failed"),
    ],
)
def test_reinstate_only_from_cancelled_or_expired(gcemu, gcemu_client, status, reason):
    customer = gcemu.add_customer(company_name="Co")
    mandate = gcemu.add_mandate(customer["id"], status=status)
    with pytest.raises(errors.InvalidStateError) as caught:
        gcemu_client.mandates.reinstate(mandate["id"])
    assert caught.value.errors[0]["reason"] == reason
    expired = gcemu.add_mandate(customer["id"], status="expired")
    assert gcemu_client.mandates.reinstate(expired["id"]).status == "pending_submission"


@pytest.mark.parametrize(
    ("status", "allowed"),
    [
        ("pending_submission", True),
        ("pending_customer_approval", False),
        ("submitted", False),
        ("confirmed", False),
        ("paid_out", False),
        ("cancelled", False),
    ],
)
def test_payment_cancel_states(gcemu, gcemu_client, gcemu_mandate, status, allowed):
    payment = gcemu.add_payment(gcemu_mandate["id"], 500, status=status)
    if allowed:
        assert gcemu_client.payments.cancel(payment["id"]).status == "cancelled"
    else:
        with pytest.raises(errors.InvalidStateError) as caught:
            gcemu_client.payments.cancel(payment["id"])
        assert caught.value.errors[0]["reason"] == "cancellation_failed"
        assert gcemu.payments[payment["id"]]["status"] == status


def test_payment_retry_states_and_limit(gcemu, gcemu_client, gcemu_mandate):
    confirmed = gcemu.add_payment(gcemu_mandate["id"], 500, status="confirmed")
    with pytest.raises(errors.InvalidStateError) as caught:
        gcemu_client.payments.retry(confirmed["id"])
    assert caught.value.errors[0]["reason"] == "retry_failed"

    failed = gcemu.add_payment(gcemu_mandate["id"], 500, status="failed")
    for _ in range(3):
        assert gcemu_client.payments.retry(failed["id"]).status == "pending_submission"
        gcemu.payment_action(failed["id"], "failed")
    with pytest.raises(errors.InvalidStateError) as caught:
        gcemu_client.payments.retry(failed["id"])
    assert caught.value.errors[0]["reason"] == "retry_failed"

    other = gcemu.add_payment(gcemu_mandate["id"], 500, status="failed")
    gcemu.mandate_action(gcemu_mandate["id"], "cancelled")
    with pytest.raises(errors.InvalidStateError) as caught:
        gcemu_client.payments.retry(other["id"])
    assert caught.value.errors[0]["reason"] == "mandate_is_inactive"


@pytest.mark.parametrize("status", ["pending_submission", "submitted", "pending_customer_approval"])
def test_retry_needs_an_active_mandate(gcemu, gcemu_client, status):
    customer = gcemu.add_customer(company_name="Co")
    mandate = gcemu.add_mandate(customer["id"], status=status)
    failed = gcemu.add_payment(mandate["id"], 500, status="failed")
    with pytest.raises(errors.InvalidStateError) as caught:
        gcemu_client.payments.retry(failed["id"])
    assert caught.value.errors[0]["reason"] == "mandate_is_inactive"
    assert gcemu.payments[failed["id"]]["status"] == "failed"
    gcemu.mandates[mandate["id"]]["status"] = "active"
    assert gcemu_client.payments.retry(failed["id"]).status == "pending_submission"


def test_retry_if_possible_is_accepted_on_create(gcemu, gcemu_client, gcemu_mandate):
    payment = gcemu_client.payments.create(
        params=payment_params(gcemu_mandate, retry_if_possible=True)
    )
    assert payment.retry_if_possible is True
    (event,) = gcemu.payment_action(payment.id, "failed")
    assert event["details"]["will_attempt_retry"] is True
    (event,) = gcemu.payment_action(payment.id, "resubmission_requested")
    assert (event["details"]["origin"], gcemu.payments[payment.id]["status"]) == (
        "gocardless",
        "pending_submission",
    )


@pytest.mark.parametrize(
    ("scheme", "below", "above"),
    [
        ("bacs", 99, 500001),
        ("sepa_core", 99, 500001),
        ("pad", 199, 500001),
        ("becs", 199, 1000001),
        ("becs_nz", 199, 1000001),
        ("autogiro", 999, 5000001),
        ("betalingsservice", 999, 5000001),
    ],
)
def test_per_payment_limits_of_each_scheme(gcemu, gcemu_client, scheme, below, above):
    customer = gcemu.add_customer(company_name="Co")
    mandate = gcemu.add_mandate(customer["id"], scheme=scheme)
    currency = SCHEME_CURRENCY[scheme]
    for amount, message in ((below, "minimum"), (above, "maximum")):
        with pytest.raises(errors.ValidationFailedError) as caught:
            gcemu_client.payments.create(
                params=payment_params(mandate, amount=amount, currency=currency)
            )
        (item,) = caught.value.errors
        assert (item["field"], item["request_pointer"]) == ("amount", "/payments/amount")
        assert message in item["message"]
    for amount in (below + 1, above - 1):
        payment = gcemu_client.payments.create(
            params=payment_params(mandate, amount=amount, currency=currency)
        )
        assert payment.amount == amount
    assert len(gcemu.payments) == 2


def test_payment_limits_can_be_changed(gcemu, gcemu_client, gcemu_mandate):
    gcemu.payment_limits["bacs"] = (100, 2000)
    with pytest.raises(errors.ValidationFailedError):
        gcemu_client.payments.create(params=payment_params(gcemu_mandate, amount=2001))
    gcemu.reset()
    assert gcemu.payment_limits["bacs"] == (100, 500000)


def test_concurrent_creates_with_one_key_make_one_resource(gcemu):
    import threading

    url = gcemu.base_url + "/customers"
    headers = {
        "Authorization": f"Bearer {gcemu.access_token}",
        "Idempotency-Key": "raced-key",
        "Content-Type": "application/json",
    }
    body = json.dumps({"customers": {"company_name": "Race Ltd"}})
    barrier = threading.Barrier(8)
    responses = []

    def post():
        barrier.wait()
        responses.append(requests.post(url, data=body, headers=headers, timeout=10))

    threads = [threading.Thread(target=post) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201] + [409] * 7
    (created_id,) = gcemu.customers
    for response in responses:
        if response.status_code == 409:
            item = response.json()["error"]["errors"][0]
            assert item["links"]["conflicting_resource_id"] == created_id

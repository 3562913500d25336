"""Direct seeding: speed, determinism, and the demo data set."""

from __future__ import annotations

import time

import pytest

from gocardless_emulator import Emulator
from gocardless_emulator.demo import demo_customers


def test_seeding_10000_customers_with_mandates(gcemu, gcemu_client):
    started = time.perf_counter()
    created = gcemu.seed_customers(10000)
    elapsed = time.perf_counter() - started
    print(f"\nseeded 10,000 customers with mandates in {elapsed:.2f} s")
    assert elapsed < 10
    assert len(created) == len(gcemu.customers) == len(gcemu.mandates) == 10000
    assert len(gcemu.bank_accounts) == 10000
    assert created[0]["email"] == "customer0@example.com"
    assert created[-1]["email"] == "customer9999@example.com"
    assert {m["status"] for m in gcemu.mandates.values()} == {"active"}
    last = gcemu_client.customers.get(created[-1]["id"])
    assert last.family_name == "Number 9999"


def test_seed_customers_arguments(gcemu):
    created = gcemu.seed_customers(
        3,
        email=None,
        mandate_status=None,
        start=100,
        company_name="Company {n}",
        language="fr",
    )
    assert [c["company_name"] for c in created] == ["Company 100", "Company 101", "Company 102"]
    assert {c["email"] for c in created} == {None}
    assert {c["language"] for c in created} == {"fr"}
    assert gcemu.mandates == {}
    sepa = gcemu.seed_customers(2, scheme="sepa_core", mandate_status="pending_submission")
    mandates = list(gcemu.mandates.values())
    assert [m["scheme"] for m in mandates] == ["sepa_core", "sepa_core"]
    assert [m["links"]["customer"] for m in mandates] == [c["id"] for c in sepa]
    assert {
        gcemu.bank_accounts[m["links"]["customer_bank_account"]]["currency"] for m in mandates
    } == {"EUR"}


def test_seeding_is_deterministic_across_emulators():
    first, second = Emulator(), Emulator()
    a, b = first.seed_customers(5), second.seed_customers(5)
    assert [c["id"] for c in a] == [c["id"] for c in b]
    assert list(first.mandates) == list(second.mandates)
    first.reset()
    assert [c["id"] for c in first.seed_customers(5)] == [c["id"] for c in a]


def test_add_helpers_check_their_arguments(gcemu):
    with pytest.raises(TypeError):
        gcemu.add_customer(nickname="x")
    with pytest.raises(KeyError):
        gcemu.add_mandate("CU404")
    customer = gcemu.add_customer(given_name="A", family_name="B")
    with pytest.raises(ValueError):
        gcemu.add_mandate(customer["id"], status="happy")
    with pytest.raises(ValueError):
        gcemu.add_mandate(customer["id"], scheme="cheque")
    with pytest.raises(ValueError):
        gcemu.add_customer(id=customer["id"], company_name="Duplicate")
    assert len(gcemu.customers) == 1
    custom = gcemu.add_customer(id="CU00CUSTOM0001", company_name="Mine")
    assert gcemu.customers["CU00CUSTOM0001"]["company_name"] == custom["company_name"]


def test_add_mandate_defaults(gcemu):
    customer = gcemu.add_customer(given_name="Ann", family_name="Lee", country_code="GB")
    mandate = gcemu.add_mandate(customer["id"])
    account = gcemu.bank_accounts[mandate["links"]["customer_bank_account"]]
    assert account["account_holder_name"] == "Ann Lee"
    assert account["links"] == {"customer": customer["id"]}
    assert mandate["reference"]
    assert mandate["next_possible_charge_date"] > time.strftime("%Y-%m-%d")
    cancelled = gcemu.add_mandate(
        customer["id"], "cancelled", links={"customer_bank_account": account["id"]}
    )
    assert cancelled["next_possible_charge_date"] is None
    assert len(gcemu.bank_accounts) == 1
    payment = gcemu.add_payment(mandate["id"], 999, status="paid_out")
    assert payment["currency"] == "GBP"
    assert payment["links"]["payout"] in gcemu.payouts


def test_demo_customers_is_pure_and_varied():
    customers = demo_customers()
    assert customers == demo_customers()
    assert 200 <= len(customers) <= 500
    assert len({c["key"] for c in customers}) == len(customers)
    assert {c["country_code"] for c in customers} == {"GB", "FR", "DE"}
    emails = [c["email"] for c in customers]
    assert any(e is None for e in emails)
    assert any(e and e != e.strip() for e in emails)
    assert any(e and e.strip() != e.strip().lower() for e in emails)
    normalized = [e.strip().lower() for e in emails if e]
    assert len(normalized) > len(set(normalized))  # some customers share an address
    assert any(c["company_name"] for c in customers)
    assert any(c["company_name"] is None and c["given_name"] for c in customers)
    for c in customers:
        assert c["company_name"] or (c["given_name"] and c["family_name"])
    statuses = {c["mandate_status"] for c in customers}
    assert {
        "active",
        "pending_submission",
        "submitted",
        "cancelled",
        "failed",
        "expired",
        None,
    } <= statuses
    active = sum(c["mandate_status"] == "active" for c in customers)
    assert active > len(customers) / 2
    payment_statuses = {p["status"] for c in customers for p in c["payments"]}
    assert {"pending_submission", "paid_out", "failed", "confirmed"} <= payment_statuses
    assert any(c["replaced"] for c in customers)


def test_seed_demo_matches_demo_customers(gcemu, gcemu_client):
    summary = gcemu.seed_demo()
    expected = demo_customers()
    assert summary["customers"] == len(expected)
    assert summary["payments"] == sum(len(c["payments"]) for c in expected)
    listed = list(reversed(list(gcemu_client.customers.all(params={"limit": 500}))))
    assert [c.metadata["demo_key"] for c in listed] == [c["key"] for c in expected]
    for customer, spec in zip(listed, expected, strict=True):
        assert customer.email == spec["email"]
        assert customer.company_name == spec["company_name"]
        statuses = [
            m.status for m in gcemu_client.mandates.list(params={"customer": customer.id}).records
        ]
        if spec["mandate_status"] is None:
            assert statuses == []
        elif spec["replaced"]:  # newest first: the replacement, then the replaced one
            assert statuses == [spec["mandate_status"], "cancelled"]
        else:
            assert statuses == [spec["mandate_status"]]
    paid = gcemu_client.payments.list(params={"status": "paid_out"}).records
    assert paid and all(p.links.payout for p in paid)
    again = Emulator()
    again.seed_demo()
    assert list(again.customers) == list(gcemu.customers)
    assert [c["email"] for c in again.customers.values()] == [c.email for c in listed]

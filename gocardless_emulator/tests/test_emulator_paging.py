"""Cursor paging, newest first like GoCardless: all(), after (older) / before (newer)
cursors, limits, the creation-time index."""

from __future__ import annotations

import time

import pytest
import requests
from gocardless_pro import errors


@pytest.fixture
def gcemu_1201(gcemu):
    """1,201 customers, NEWEST FIRST (the order GoCardless lists them in)."""
    gcemu.seed_customers(1201, mandate_status=None)
    return list(reversed(gcemu.customers))


def test_all_with_limit_500_yields_every_record_once(gcemu, gcemu_client, gcemu_1201):
    seen = [customer.id for customer in gcemu_client.customers.all(params={"limit": 500})]
    assert seen == gcemu_1201
    assert seen[0] == list(gcemu.customers)[-1]  # the newest first
    assert len(set(seen)) == 1201
    pages = [entry for entry in gcemu.requests if entry["path"] == "/customers"]
    assert len(pages) == 3
    assert [entry["query"].get("after") for entry in pages] == [
        None,
        gcemu_1201[499],
        gcemu_1201[999],
    ]


def test_all_with_the_default_limit(gcemu, gcemu_client, gcemu_1201):
    assert [c.id for c in gcemu_client.customers.all()] == gcemu_1201
    assert len(gcemu.requests) == 25  # 24 pages of 50 and one of 1


def test_manual_after_cursors_move_to_older_records(gcemu_client, gcemu_1201):
    collected, cursor, pages = [], None, []
    while True:
        params = {"limit": 500} if cursor is None else {"limit": 500, "after": cursor}
        page = gcemu_client.customers.list(params=params)
        pages.append(page)
        collected += [record.id for record in page.records]
        cursor = page.after
        if cursor is None:
            break
    assert collected == gcemu_1201
    assert [len(p.records) for p in pages] == [500, 500, 201]
    assert pages[0].before is None
    assert pages[1].before == gcemu_1201[500]
    assert pages[1].after == gcemu_1201[999]
    assert pages[2].after is None
    assert pages[0].api_response.body["meta"]["limit"] == 500
    created = [record.created_at for page in pages for record in page.records]
    assert created == sorted(created, reverse=True)


def test_manual_before_cursors_move_to_newer_records(gcemu_client, gcemu_1201):
    last = gcemu_client.customers.list(params={"limit": 500, "after": gcemu_1201[999]})
    assert [r.id for r in last.records] == gcemu_1201[1000:]
    collected = [r.id for r in last.records]
    cursor = last.before
    while cursor is not None:
        page = gcemu_client.customers.list(params={"limit": 500, "before": cursor})
        collected = [r.id for r in page.records] + collected
        assert page.after == page.records[-1].id  # older records follow every such page
        cursor = page.before
    assert collected == gcemu_1201

    middle = gcemu_client.customers.list(params={"limit": 100, "before": gcemu_1201[600]})
    assert [r.id for r in middle.records] == gcemu_1201[500:600]
    assert (middle.before, middle.after) == (gcemu_1201[500], gcemu_1201[599])
    first = gcemu_client.customers.list(params={"limit": 100, "before": gcemu_1201[50]})
    assert [r.id for r in first.records] == gcemu_1201[:50]
    assert first.before is None


@pytest.mark.parametrize("limit", [501, 1000, 0, -1, "abc"])
def test_bad_limits_are_rejected(gcemu_client, limit):
    with pytest.raises(errors.InvalidApiUsageError) as caught:
        gcemu_client.customers.list(params={"limit": limit})
    assert caught.value.code == 400
    assert caught.value.errors[0]["field"] == "limit"


def test_limit_500_is_allowed_and_bad_cursors_are_rejected(gcemu_client, gcemu_1201):
    assert len(gcemu_client.customers.list(params={"limit": 500}).records) == 500
    with pytest.raises(errors.InvalidApiUsageError) as caught:
        gcemu_client.customers.list(params={"after": "CU_NOT_THERE"})
    assert caught.value.code == 400


def test_removed_customers_are_skipped_by_paging(gcemu, gcemu_client, gcemu_1201):
    for customer_id in gcemu_1201[495:505]:
        gcemu.remove_customer(customer_id)
    seen = [c.id for c in gcemu_client.customers.all(params={"limit": 500})]
    assert seen == gcemu_1201[:495] + gcemu_1201[505:]
    page = gcemu_client.customers.list(params={"limit": 10, "after": gcemu_1201[496]})
    assert page.records[0].id == gcemu_1201[505]  # a removed record is still a cursor


def test_filtered_paging(gcemu, gcemu_client):
    gcemu.seed_customers(30, mandate_status="active")
    gcemu.seed_customers(30, mandate_status="cancelled", start=30)
    gcemu.seed_customers(30, mandate_status="active", start=60)
    active = [m["id"] for m in reversed(gcemu.mandates.values()) if m["status"] == "active"]
    seen = [m.id for m in gcemu_client.mandates.all(params={"status": "active", "limit": 7})]
    assert seen == active
    page = gcemu_client.mandates.list(params={"status": "active", "limit": 30})
    assert page.after == active[29]
    page = gcemu_client.mandates.list(params={"status": "active", "limit": 30, "after": page.after})
    assert [m.id for m in page.records] == active[30:]
    assert page.before == active[30]
    assert page.after is None


def test_order_follows_created_at_not_insertion(gcemu, gcemu_client):
    late = gcemu.add_customer(company_name="Late", created_at="2024-03-01T00:00:00.000Z")
    early = gcemu.add_customer(company_name="Early", created_at="2024-01-01T00:00:00.000Z")
    middle = gcemu.add_customer(company_name="Middle", created_at="2024-02-01T00:00:00.000Z")
    same = gcemu.add_customer(company_name="Same", created_at="2024-02-01T00:00:00.000Z")
    listed = [c.id for c in gcemu_client.customers.list().records]
    # newest first; one millisecond: the one created last comes first
    assert listed == [late["id"], same["id"], middle["id"], early["id"]]
    page = gcemu_client.customers.list(params={"limit": 1, "after": middle["id"]})
    assert [c.id for c in page.records] == [early["id"]]
    assert (page.before, page.after) == (early["id"], None)
    page = gcemu_client.customers.list(params={"limit": 1, "before": middle["id"]})
    assert [c.id for c in page.records] == [same["id"]]
    assert (page.before, page.after) == (same["id"], same["id"])


def test_created_at_bounds_use_the_index(gcemu, gcemu_client):
    for month in range(1, 7):
        gcemu.add_customer(company_name=f"M{month}", created_at=f"2024-0{month}-15T12:00:00Z")
    names = [
        c.company_name
        for c in gcemu_client.customers.all(
            params={"created_at[gt]": "2024-02-15T12:00:00Z", "created_at[lte]": "2024-05-15"}
        )
    ]
    assert names == ["M4", "M3"]
    page = gcemu_client.customers.list(params={"created_at[gte]": "2024-03-01", "limit": 2})
    assert [c.company_name for c in page.records] == ["M6", "M5"]
    older = gcemu_client.customers.list(
        params={"created_at[gte]": "2024-03-01", "limit": 2, "after": page.after}
    )
    assert [c.company_name for c in older.records] == ["M4", "M3"]
    assert older.after is None  # M2 and M1 are outside the bounds


def _timed_pages(emu, path, params, expect_key):
    headers = {"Authorization": f"Bearer {emu.access_token}"}
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        response = requests.get(emu.base_url + path, params=params, headers=headers, timeout=10)
        timings.append(time.perf_counter() - started)
        assert response.status_code == 200
        assert len(response.json()[expect_key]) == 500
    return timings


def test_a_500_customer_page_at_100000_customers(gcemu):
    """Speed is printed, not asserted (bench/ compares ratios)."""
    started = time.perf_counter()
    gcemu.seed_customers(100000)
    seeded = time.perf_counter() - started
    assert len(gcemu.customers) == len(gcemu.mandates) == 100000
    after = list(reversed(gcemu.customers))[50000]
    timings = _timed_pages(gcemu, "/customers", {"limit": 500, "after": after}, "customers")
    mandates = _timed_pages(gcemu, "/mandates", {"limit": 500}, "mandates")
    print(
        f"\nseeded 100,000 customers with mandates in {seeded:.2f} s; 500-customer page "
        f"(HTTP round trip included): best {min(timings) * 1000:.1f} ms, worst "
        f"{max(timings) * 1000:.1f} ms; 500-mandate first page best "
        f"{min(mandates) * 1000:.1f} ms"
    )


def test_a_500_payment_page_by_created_at_at_10000_payments(gcemu, gcemu_client):
    customer = gcemu.add_customer(company_name="Many payments")
    mandate = gcemu.add_mandate(customer["id"])
    for day in range(10000):
        stamp = f"2024-{1 + day // 1000 % 12:02d}-{1 + day % 28:02d}T{day % 24:02d}:00:00.000Z"
        gcemu.add_payment(mandate["id"], 1000 + day, created_at=stamp)
    since = "2024-06-01T00:00:00.000Z"
    expected = sorted(
        (p["created_at"], p["id"]) for p in gcemu.payments.values() if p["created_at"] >= since
    )
    started = time.perf_counter()
    seen = list(gcemu_client.payments.all(params={"created_at[gte]": since, "limit": 500}))
    elapsed = time.perf_counter() - started
    assert sorted((p.created_at, p.id) for p in seen) == expected
    assert [p.created_at for p in seen] == sorted((p.created_at for p in seen), reverse=True)
    timings = _timed_pages(gcemu, "/payments", {"created_at[gte]": since, "limit": 500}, "payments")
    print(
        f"\n{len(seen)} payments since {since} out of 10,000 in {elapsed * 1000:.0f} ms "
        f"({-(-len(seen) // 500)} pages); one 500-payment page best {min(timings) * 1000:.1f} ms"
    )

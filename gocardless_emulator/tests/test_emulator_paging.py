"""Cursor paging: all(), manual after/before cursors, limits."""

from __future__ import annotations

import time

import pytest
import requests
from gocardless_pro import errors


@pytest.fixture
def gcemu_1201(gcemu):
    gcemu.seed_customers(1201, mandate_status=None)
    return list(gcemu.customers)


def test_all_with_limit_500_yields_every_record_once(gcemu, gcemu_client, gcemu_1201):
    seen = [customer.id for customer in gcemu_client.customers.all(params={"limit": 500})]
    assert seen == gcemu_1201
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


def test_manual_after_cursors(gcemu_client, gcemu_1201):
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


def test_manual_before_cursors_walk_backwards(gcemu_client, gcemu_1201):
    last = gcemu_client.customers.list(params={"limit": 500, "after": gcemu_1201[999]})
    assert [r.id for r in last.records] == gcemu_1201[1000:]
    collected = [r.id for r in last.records]
    cursor = last.before
    while cursor is not None:
        page = gcemu_client.customers.list(params={"limit": 500, "before": cursor})
        collected = [r.id for r in page.records] + collected
        assert page.after == page.records[-1].id  # records follow every earlier page
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
    assert page.records[0].id == gcemu_1201[505]


def test_filtered_paging(gcemu, gcemu_client):
    gcemu.seed_customers(30, mandate_status="active")
    gcemu.seed_customers(30, mandate_status="cancelled", start=30)
    gcemu.seed_customers(30, mandate_status="active", start=60)
    active = [m["id"] for m in gcemu.mandates.values() if m["status"] == "active"]
    seen = [m.id for m in gcemu_client.mandates.all(params={"status": "active", "limit": 7})]
    assert seen == active
    page = gcemu_client.mandates.list(params={"status": "active", "limit": 30})
    assert page.after == active[29]
    page = gcemu_client.mandates.list(params={"status": "active", "limit": 30, "after": page.after})
    assert [m.id for m in page.records] == active[30:]
    assert page.before == active[30]
    assert page.after is None


def test_a_500_record_page_is_fast(gcemu):
    gcemu.seed_customers(10000, mandate_status=None)
    headers = {"Authorization": f"Bearer {gcemu.access_token}"}
    after = list(gcemu.customers)[5000]
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        response = requests.get(
            gcemu.base_url + "/customers",
            params={"limit": 500, "after": after},
            headers=headers,
            timeout=5,
        )
        timings.append(time.perf_counter() - started)
        assert response.status_code == 200
        assert len(response.json()["customers"]) == 500
    print(
        f"\n500-customer page out of 10,000: best {min(timings) * 1000:.1f} ms, "
        f"worst {max(timings) * 1000:.1f} ms (HTTP round trip included)"
    )

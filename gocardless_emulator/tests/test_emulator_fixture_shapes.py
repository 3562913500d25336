"""The emulator's JSON has the shape of GoCardless's own example payloads (``fixtures/``).

Rule for resources (also in the README): a response has exactly the keys of the fixture's
``body``, recursively, with these exceptions:

* inside a ``links`` object only the links that apply are present (a subset);
* events are sparse like GoCardless's: ``details`` holds a subset of the fixture's keys,
  ``source`` and ``customer_notifications`` may be absent;
* ``linked`` is only sent for ``include=...`` (compared in its own test);
* ``metadata`` / ``resource_metadata`` are the caller's free-form data: only their type is
  compared;
* a Billing Request's optional parts (``payment_request``, ``subscription_request``...) are
  ``null`` when absent, and its ``actions`` carry the keys of their type only.

Lists are compared item by item against the fixture's first item; scalars must not be
objects or lists, and when both sides are non-null they have the same JSON type.

Rule for errors: ``error`` has exactly ``type, code, message, documentation_url, request_id,
errors`` (a superset of every error fixture's keys: two fixtures omit ``request_id`` or
``errors``, which the emulator always sends); ``type`` and ``code`` equal the fixture's; every
item of ``errors`` has at least the keys of the fixture's first item.
"""

from __future__ import annotations

import json

import gocardless_pro
import pytest
import requests

RESOURCE_FIXTURES = (
    "customers",
    "customer_bank_accounts",
    "mandates",
    "payments",
    "creditors",
    "events",
    "payouts",
    "payout_items",
    "refunds",
)
# Actions in those fixtures that the emulator deliberately does not serve: they answer 404.
UNSERVED = {
    ("customer_bank_accounts", "create"),
    ("mandates", "create"),
    ("creditors", "create"),
    ("creditors", "update"),
}
FREE_FORM = ("metadata", "resource_metadata")
OPTIONAL = {"source", "customer_notifications"}  # event keys GoCardless often leaves out
# Billing Request parts that are null when absent (the fixture shows them filled in).
NULLABLE = {
    "payment_request",
    "subscription_request",
    "instalment_schedule_request",
    "customer_bank_account",
    "constraints",
    "consent_type",
    "authorisation_source",
    "description",
    "purpose_code",
    "payment_context_code",
    "payment_purpose_code",
}
ERROR_KEYS = {"type", "code", "message", "documentation_url", "request_id", "errors"}
# Error fixtures the emulator never produces (no permissions model, no bank account creation).
ERRORS_NOT_PRODUCED = {"insufficient_permission", "validation_failed_duplicate_bank_account_error"}


def _json_type(value):
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return type(value).__name__


def assert_same_shape(actual, expected, where: str) -> None:
    name = where.rsplit(".", 1)[-1]
    if isinstance(expected, dict):
        if actual is None and name in NULLABLE:
            return
        assert isinstance(actual, dict), f"{where}: expected an object, got {actual!r}"
        if name in FREE_FORM:
            return
        keys, wanted = set(actual), set(expected)
        if where.endswith((".links", ".details")) or ".actions[" in where:
            assert keys <= wanted, f"{where}: unknown keys {sorted(keys - wanted)}"
        else:
            missing = wanted - keys
            if "customer_notifications" in wanted:  # an event
                missing -= OPTIONAL
            assert not missing and keys <= wanted, (
                f"{where}: missing {sorted(missing)}, unexpected {sorted(keys - wanted)}"
            )
        for key in keys & wanted:
            assert_same_shape(actual[key], expected[key], f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list), f"{where}: expected a list, got {actual!r}"
        if expected:
            for index, item in enumerate(actual):
                assert_same_shape(item, expected[0], f"{where}[{index}]")
    else:
        assert not isinstance(actual, (dict, list)), f"{where}: expected a scalar"
        if actual is not None and expected is not None:
            assert _json_type(actual) == _json_type(expected), (
                f"{where}: {actual!r} is not like {expected!r}"
            )


@pytest.fixture
def gcemu_scenario(gcemu):
    """State in which every served action has something to act on."""
    customer = gcemu.add_customer(
        given_name="Frank", family_name="Osborne", email="frank@example.com", country_code="GB"
    )
    removable = gcemu.add_customer(company_name="Gone Ltd")
    active = gcemu.add_mandate(customer["id"], metadata={"odoo": "1"})
    cancelled = gcemu.add_mandate(customer["id"], "cancelled")
    replaced = gcemu.add_mandate(customer["id"])
    gcemu.mandate_action(replaced["id"], "replaced")
    pending = gcemu.add_payment(active["id"], 1000)
    failed = gcemu.add_payment(active["id"], 2000, status="failed")
    paid = gcemu.add_payment(active["id"], 4500, status="confirmed")
    gcemu.payment_action(paid["id"], "paid_out")
    refund = gocardless_pro.Client(gcemu.access_token, base_url=gcemu.base_url).refunds.create(
        params={"amount": 500, "total_amount_confirmation": 500, "links": {"payment": paid["id"]}}
    )
    return {
        "refunds": refund.id,
        "paid_payment": paid["id"],
        "customers": customer["id"],
        "removable_customer": removable["id"],
        "customer_bank_accounts": active["links"]["customer_bank_account"],
        "mandates": active["id"],
        "cancelled_mandate": cancelled["id"],
        "payments": pending["id"],
        "failed_payment": failed["id"],
        "payouts": gcemu.payments[paid["id"]]["links"]["payout"],
        "events": next(iter(gcemu.events)),
        "creditors": gcemu.creditor["id"],
    }


def _request_for(resource: str, action: str, scenario: dict) -> tuple[str, dict | None, dict]:
    """(identity, body, query) for one fixture action."""
    identity = scenario.get(resource)
    query = {}
    body = None
    if (resource, action) == ("customers", "remove"):
        identity = scenario["removable_customer"]
    elif (resource, action) == ("mandates", "reinstate"):
        identity = scenario["cancelled_mandate"]
    elif (resource, action) == ("payments", "retry"):
        identity = scenario["failed_payment"]
    elif resource == "payout_items":
        query = {"payout": scenario["payouts"]}
    if action == "create" and resource == "customers":
        body = {"customers": {"given_name": "New", "family_name": "One"}}
    elif action == "create" and resource == "refunds":
        body = {
            "refunds": {
                "amount": 100,
                "total_amount_confirmation": 600,
                "links": {"payment": scenario["paid_payment"]},
                "reference": "Refund 1",
            }
        }
    elif action == "create" and resource == "payments":
        body = {
            "payments": {
                "amount": 500,
                "currency": "GBP",
                "links": {"mandate": scenario["mandates"]},
            }
        }
    elif action == "update":
        body = {resource: {"metadata": {"k": "v"}}}
    return identity, body, query


def _cases():
    from gocardless_emulator import fixtures_path

    for resource in RESOURCE_FIXTURES:
        spec = json.loads((fixtures_path() / f"{resource}.json").read_text(encoding="utf-8"))
        for action in spec:
            yield pytest.param(resource, action, id=f"{resource}-{action}")


@pytest.mark.parametrize(("resource", "action"), list(_cases()))
def test_resource_responses_match_fixture_shapes(
    gcemu, gcemu_scenario, gcemu_fixture, resource, action
):
    spec = gcemu_fixture(resource)[action]
    identity, body, query = _request_for(resource, action, gcemu_scenario)
    path = spec["path_template"].replace(":identity", str(identity))
    response = requests.request(
        spec["method"],
        gcemu.base_url + path,
        params=query,
        data=json.dumps(body),
        headers={
            "Authorization": f"Bearer {gcemu.access_token}",
            "Content-Type": "application/json",
        },
        timeout=5,
    )
    if (resource, action) in UNSERVED:
        assert response.status_code == 404
        assert response.json()["error"]["errors"][0]["reason"] == "not_found"
        return
    assert response.status_code in (200, 201), response.text
    assert response.headers["Content-Type"] == "application/json"
    actual = response.json()
    expected = {key: value for key, value in spec["body"].items() if key != "linked"}
    assert_same_shape(actual, expected, resource)
    records = actual[resource]
    assert records, "an empty list would prove nothing"


def test_every_resource_fixture_action_is_covered(gcemu_fixture):
    covered = {(r, a) for r in RESOURCE_FIXTURES for a in gcemu_fixture(r)}
    assert UNSERVED <= covered
    assert len(covered) == 36  # 5+5+6+6+4+2+3+1+4 actions in the nine fixtures


def _linked_fixture(gcemu_fixture, kind):
    return gcemu_fixture("events")["list"]["body"]["linked"][kind][0]


def test_included_resources_match_the_linked_fixture(gcemu, gcemu_scenario, gcemu_fixture):
    gcemu.payment_action(gcemu_scenario["payments"], "submitted")
    gcemu.record_event("customers", "created", {"customer": gcemu_scenario["customers"]})
    client = gocardless_pro.Client(gcemu.access_token, base_url=gcemu.base_url)
    for resource_type, include, kind in (
        ("payments", "payment", "payments"),
        ("mandates", "mandate", "mandates"),
        ("customers", "customer", "customers"),
        ("payouts", "payout", "payouts"),
        ("refunds", "refund", "refunds"),
    ):
        if resource_type == "payouts":
            gcemu.payout_action(gcemu_scenario["payouts"], "paid")
        page = client.events.list(params={"resource_type": resource_type, "include": include})
        linked = page.api_response.body["linked"][kind]
        assert linked, kind
        for record in linked:
            assert_same_shape(record, _linked_fixture(gcemu_fixture, kind), f"linked.{kind}")


def test_billing_request_matches_the_linked_fixture(gcemu, gcemu_fixture):
    client = gocardless_pro.Client(gcemu.access_token, base_url=gcemu.base_url)
    request = client.billing_requests.create(
        params={"mandate_request": {"currency": "GBP"}, "metadata": {"k": "v"}}
    )
    flow = client.billing_request_flows.create(
        params={
            "links": {"billing_request": request.id},
            "prefilled_customer": {"given_name": "Ann", "family_name": "Lee"},
        }
    )
    expected = _linked_fixture(gcemu_fixture, "billing_requests")
    assert_same_shape(request.attributes, expected, "billing_requests")
    gcemu.complete_billing_request_flow(
        flow.id,
        email="ann@example.com",
        address_line1="1 Road",
        city="Leeds",
        postal_code="LS1 1AA",
        country_code="GB",
        account_number="55779911",
    )
    fulfilled = client.billing_requests.get(request.id)
    assert fulfilled.status == "fulfilled"
    assert_same_shape(fulfilled.attributes, expected, "billing_requests")
    listed = client.billing_requests.list().records
    assert_same_shape(listed[0].attributes, expected, "billing_requests")


def _properties(cls) -> set[str]:
    return {name for name, value in vars(cls).items() if isinstance(value, property)}


def test_billing_request_flow_has_the_clients_attributes(gcemu):
    """No fixture holds a flow: its keys are the client's resource attributes."""
    from gocardless_pro.resources import BillingRequestFlow

    client = gocardless_pro.Client(gcemu.access_token, base_url=gcemu.base_url)
    request = client.billing_requests.create(params={"mandate_request": {"currency": "EUR"}})
    flow = client.billing_request_flows.create(params={"links": {"billing_request": request.id}})
    assert set(flow.attributes) == _properties(BillingRequestFlow)
    assert set(flow.attributes["prefilled_customer"]) == _properties(
        BillingRequestFlow.PrefilledCustomer
    )
    assert set(flow.attributes["prefilled_bank_account"]) == {"account_type"}
    assert set(flow.attributes["links"]) == {"billing_request"}


def test_shape_checker_rejects_differences():
    expected = {"a": 1, "links": {"x": "1", "y": "2"}, "fx": {"rate": "1.0"}}
    assert_same_shape({"a": 2, "links": {"x": "3"}, "fx": {"rate": None}}, expected, "r")
    for wrong in (
        {"a": 2, "links": {}, "fx": {"rate": None}, "extra": 1},
        {"a": 2, "links": {"z": "1"}, "fx": {"rate": None}},
        {"a": "2", "links": {}, "fx": {"rate": None}},
        {"a": 2, "links": {}, "fx": None},
        {"a": 2, "links": {}, "fx": {}},
    ):
        with pytest.raises(AssertionError):
            assert_same_shape(wrong, expected, "r")


# ---------------------------------------------------------------- errors


def _api(emu, method, path, body=None, token=None, headers=None):
    return requests.request(
        method,
        emu.base_url + path,
        data=body if isinstance(body, str) else json.dumps(body),
        headers={
            "Authorization": f"Bearer {token or emu.access_token}",
            "Content-Type": "application/json",
            **(headers or {}),
        },
        timeout=5,
    )


def _produce_error(name: str, emu):
    customer = emu.add_customer(given_name="A", family_name="B")
    mandate = emu.add_mandate(customer["id"])
    if name == "invalid_api_usage_error":
        return _api(emu, "POST", "/customers", "[]")
    if name == "validation_failed_error":
        return _api(emu, "POST", "/customers", {"customers": {"email": "not-an-email"}})
    if name == "idempotent_creation_conflict_error":
        body = {"payments": {"amount": 100, "currency": "GBP", "links": {"mandate": mandate["id"]}}}
        first = _api(emu, "POST", "/payments", body, headers={"Idempotency-Key": "k1"})
        assert first.status_code == 201
        return _api(emu, "POST", "/payments", body, headers={"Idempotency-Key": "k1"})
    if name == "invalid_state_error":
        return _api(emu, "POST", f"/mandates/{mandate['id']}/actions/reinstate", "null")
    if name == "gocardless_error":
        emu.inject_fault("server_error")
        return _api(emu, "GET", "/customers")
    if name == "unauthorized_error":
        return _api(emu, "GET", "/customers", token="wrong")
    if name == "rate_limit_exceeded":
        emu.rate_limit = 1
        _api(emu, "GET", "/customers")
        return _api(emu, "GET", "/customers")
    if name == "customer_gone":
        emu.remove_customer(customer["id"])
        return _api(emu, "GET", f"/customers/{customer['id']}")
    raise AssertionError(f"no recipe for {name}")


def _error_fixture_names():
    from gocardless_emulator import fixtures_path

    names = []
    for path in sorted(fixtures_path().glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if "error" in data:
            names.append(path.stem)
    return names


def test_error_fixture_inventory():
    names = set(_error_fixture_names())
    assert len(names) == 10
    assert ERRORS_NOT_PRODUCED <= names


@pytest.mark.parametrize(
    "name", [n for n in _error_fixture_names() if n not in ERRORS_NOT_PRODUCED]
)
def test_error_bodies_match_fixture_shapes(gcemu, gcemu_fixture, name):
    fixture = gcemu_fixture(name)["error"]
    response = _produce_error(name, gcemu)
    assert response.status_code == fixture["code"]
    assert response.headers["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert set(error) == ERROR_KEYS
    assert set(fixture) <= set(error)
    assert (error["type"], error["code"]) == (fixture["type"], fixture["code"])
    assert error["documentation_url"].startswith("https://developer.gocardless.com/")
    assert error["request_id"]
    assert error["errors"], "every error body lists at least one item"
    expected_item = (fixture.get("errors") or [{"message": ""}])[0]
    for item in error["errors"]:
        assert set(expected_item) <= set(item), (sorted(expected_item), sorted(item))
        assert "reason" in item or {"field", "request_pointer"} <= set(item)
        assert_same_shape(
            {k: v for k, v in item.items() if k in expected_item}, expected_item, "item"
        )
    if "reason" in expected_item:
        assert error["errors"][0]["reason"] == expected_item["reason"]
    if name in ("unauthorized_error", "rate_limit_exceeded", "customer_gone"):
        assert error["message"] == fixture["message"]
    if name == "idempotent_creation_conflict_error":
        assert error["message"] == fixture["message"]
        conflicting = error["errors"][0]["links"]["conflicting_resource_id"]
        assert conflicting in gcemu.payments
    if name == "invalid_state_error":
        assert error["message"] == fixture["message"]


def test_packaged_fixtures_match_the_checksums_in_source_txt():
    import hashlib
    import re

    from gocardless_emulator import fixtures_path

    folder = fixtures_path()
    source = (folder / "SOURCE.txt").read_text(encoding="utf-8")
    listed = dict(
        (name, digest)
        for digest, name in re.findall(r"^([0-9a-f]{64})  (\S+\.json)$", source, re.M)
    )
    on_disk = {path.name for path in folder.glob("*.json")}
    assert set(listed) == on_disk
    assert len(on_disk) == 20
    for name, digest in listed.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name

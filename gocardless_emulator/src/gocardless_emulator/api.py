"""The GoCardless API endpoints: routing, validation, filters, paging and envelopes.

Handlers run with the emulator's lock held for the whole read-validate-write-serialise
sequence, so concurrent requests never see half-made changes and a response body is always
a consistent snapshot.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from collections.abc import Callable
from urllib.parse import unquote

from . import lifecycle, problems, resources
from .paging import DEFAULT_LIMIT, MAX_LIMIT, paginate
from .problems import ApiProblem, field_error

PAGING_KEYS = ("limit", "after", "before")
CREATED_AT = tuple(f"created_at[{op}]" for op in ("gt", "gte", "lt", "lte"))
CHARGE_DATE = tuple(f"charge_date[{op}]" for op in ("gt", "gte", "lt", "lte"))
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_COUNTRY_RE = re.compile(r"^[A-Z]{2}$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
LANGUAGES = ("da", "de", "en", "es", "fr", "it", "nb", "nl", "pt", "sl", "sv")
CUSTOMER_STRING_FIELDS = tuple(name for name in resources.CUSTOMER_FIELDS if name != "metadata")


class Request:
    def __init__(self, emu, method: str, path: str, query: dict, body, headers):
        self.emu = emu
        self.method = method
        self.path = path
        self.query = query
        self.body = body
        self.headers = headers


def dump(payload) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode("utf-8")


# ---------------------------------------------------------------------- request parsing


def envelope(body, key: str) -> dict:
    if not isinstance(body, dict):
        raise problems.document_structure("Root element must be an object.")
    if not isinstance(body.get(key), dict):
        raise problems.document_structure(f"Expected an object under '{key}'.", f"/{key}")
    extra = sorted(set(body) - {key})
    if extra:
        raise problems.document_structure(f"Unexpected element '{extra[0]}'.", f"/{extra[0]}")
    return body[key]


def action_data(body) -> dict:
    if body is None:
        return {}
    if not isinstance(body, dict) or set(body) - {"data"}:
        raise problems.document_structure('Expected {"data": {...}} or null.')
    data = body.get("data")
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise problems.document_structure("Expected an object under 'data'.", "/data")
    return data


def check_fields(fields: dict, allowed, envelope_key: str) -> None:
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        raise problems.document_structure(
            f"'{unknown[0]}' is not a permitted parameter.", f"/{envelope_key}/{unknown[0]}"
        )


def metadata_errors(metadata, envelope_key: str) -> list[dict]:
    def error(message):
        return [field_error(envelope_key, "metadata", message)]

    if metadata is None:
        return []
    if not isinstance(metadata, dict):
        return error("must be an object")
    if len(metadata) > 3:
        return error("must have at most 3 keys")
    for key, value in metadata.items():
        if len(key) > 50:
            return error(f"key '{key[:20]}...' must be at most 50 characters")
        if not isinstance(value, str):
            return error(f"value for '{key}' must be a string")
        if len(value) > 500:
            return error(f"value for '{key}' must be at most 500 characters")
    return []


def check_query(query: dict, allowed, endpoint: str) -> None:
    for key in query:
        if key in PAGING_KEYS or key in allowed:
            continue
        if key == "include":
            message = "The emulator does not support 'include' (no 'linked' resources)."
        else:
            message = f"'{key}' is not a supported query parameter for {endpoint}."
        raise problems.bad_request(message, slug="invalid_parameter")


def paging_params(query: dict) -> int:
    raw = query.get("limit")
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    try:
        limit = int(raw)
    except ValueError:
        limit = -1
    if limit < 1 or limit > MAX_LIMIT:
        raise problems.bad_request(
            "Invalid limit",
            [field_error("", "limit", f"must be an integer between 1 and {MAX_LIMIT}")],
            slug="invalid_limit",
        )
    return limit


def _timestamp_filters(query: dict, field: str) -> list[Callable]:
    predicates = []
    for op in ("gt", "gte", "lt", "lte"):
        key = f"{field}[{op}]"
        if key not in query:
            continue
        try:
            if field == "charge_date":
                if not _DATE_RE.match(query[key]):
                    raise ValueError(query[key])
                _dt.date.fromisoformat(query[key])
                bound = query[key]
            else:
                bound = resources.normalize_timestamp(query[key])
        except ValueError:
            raise problems.validation_failed(
                [field_error("", key, "is not a valid date/time")]
            ) from None
        predicates.append(_compare(field, op, bound))
    return predicates


def _compare(field: str, op: str, bound: str) -> Callable:
    if op == "gt":
        return lambda r: r[field] is not None and r[field] > bound
    if op == "gte":
        return lambda r: r[field] is not None and r[field] >= bound
    if op == "lt":
        return lambda r: r[field] is not None and r[field] < bound
    return lambda r: r[field] is not None and r[field] <= bound


def _enum_filter(query: dict, key: str, valid, getter: Callable) -> list[Callable]:
    if key not in query:
        return []
    values = [value.strip() for value in query[key].split(",") if value.strip()]
    bad = [value for value in values if value not in valid]
    if bad or not values:
        raise problems.validation_failed(
            [field_error("", key, f"'{','.join(bad) or query[key]}' is not a valid {key}")]
        )
    wanted = set(values)
    return [lambda r: getter(r) in wanted]


def _link_filter(query: dict, key: str, link: str | None = None) -> list[Callable]:
    if key not in query:
        return []
    wanted = query[key]
    link = link or key
    return [lambda r: r["links"].get(link) == wanted]


def _value_filter(query: dict, key: str) -> list[Callable]:
    if key not in query:
        return []
    wanted = query[key]
    return [lambda r: r.get(key) == wanted]


# ---------------------------------------------------------------------- responses


def list_page(req: Request, kind: str, predicates: list[Callable]) -> tuple[int, bytes]:
    emu = req.emu
    limit = paging_params(req.query)
    order = emu._order[kind]
    positions = emu._pos[kind]
    store = emu._store(kind)

    def cursor(name: str):
        value = req.query.get(name)
        if value in (None, ""):
            return None
        if value not in positions:
            raise problems.bad_request(f"Invalid '{name}' cursor: {value}", slug="invalid_cursor")
        return positions[value]

    after, before = cursor("after"), cursor("before")

    def get(position: int):
        record = store.get(order[position])
        if record is None:
            return None
        for predicate in predicates:
            if not predicate(record):
                return None
        return record

    page, precede, follow = paginate(len(order), get, after, before, limit)
    records = [record for _, record in page]
    meta = {
        "cursors": {
            "before": records[0]["id"] if records and precede else None,
            "after": records[-1]["id"] if records and follow else None,
        },
        "limit": limit,
    }
    return 200, dump({kind: records, "meta": meta})


def single(kind: str, resource: dict, status: int = 200) -> tuple[int, bytes]:
    return status, dump({kind: resource})


def find(req: Request, kind: str, resource_id: str) -> dict:
    resource = req.emu._store(kind).get(resource_id)
    if resource is None:
        if kind == "customers" and resource_id in req.emu.removed_customers:
            raise problems.customer_gone()
        raise problems.not_found(f"Resource not found: {kind}/{resource_id}")
    return resource


def idempotency_check(req: Request, endpoint: str):
    key = req.headers.get("Idempotency-Key")
    if not key:
        return None
    scoped = (req.emu.access_token, endpoint, key)
    existing = req.emu._idempotency.get(scoped)
    if existing:
        raise problems.idempotency_conflict(existing)
    return scoped


# ---------------------------------------------------------------------- customers


def customer_errors(fields: dict, merged: dict) -> list[dict]:
    errors = []
    for name in CUSTOMER_STRING_FIELDS:
        value = fields.get(name)
        if value is not None and not isinstance(value, str):
            errors.append(field_error("customers", name, "must be a string"))
    if errors:
        return errors
    if not merged.get("company_name"):
        for name in ("given_name", "family_name"):
            if not (merged.get(name) or "").strip():
                errors.append(
                    field_error("customers", name, "is required unless company_name is present")
                )
    email = fields.get("email")
    if email is not None and not _EMAIL_RE.match(email.strip()):
        errors.append(field_error("customers", "email", "is not a valid email address"))
    country = fields.get("country_code")
    if country is not None and not _COUNTRY_RE.match(country):
        errors.append(field_error("customers", "country_code", "is invalid"))
    language = fields.get("language")
    if language is not None and language not in LANGUAGES:
        errors.append(field_error("customers", "language", "is not a supported language"))
    errors.extend(metadata_errors(fields.get("metadata"), "customers"))
    return errors


def list_customers(req: Request, match):
    check_query(req.query, CREATED_AT, "GET /customers")
    return list_page(req, "customers", _timestamp_filters(req.query, "created_at"))


def create_customer(req: Request, match):
    fields = envelope(req.body, "customers")
    check_fields(fields, resources.CUSTOMER_FIELDS, "customers")
    scoped = idempotency_check(req, "/customers")
    errors = customer_errors(fields, fields)
    if errors:
        raise problems.validation_failed(errors)
    customer = req.emu._add_customer(fields)
    if scoped:
        req.emu._idempotency[scoped] = customer["id"]
    return single("customers", customer, 201)


def get_customer(req: Request, match):
    return single("customers", find(req, "customers", match["id"]))


def update_customer(req: Request, match):
    customer = find(req, "customers", match["id"])
    fields = envelope(req.body, "customers")
    check_fields(fields, resources.CUSTOMER_FIELDS, "customers")
    errors = customer_errors(fields, {**customer, **fields})
    if errors:
        raise problems.validation_failed(errors)
    for key, value in fields.items():
        customer[key] = dict(value or {}) if key == "metadata" else value
    return single("customers", customer)


def remove_customer(req: Request, match):
    find(req, "customers", match["id"])
    customer = req.emu._remove_customer(match["id"])
    return single("customers", customer)


# ---------------------------------------------------------------------- bank accounts


def list_bank_accounts(req: Request, match):
    check_query(req.query, ("customer", "enabled", *CREATED_AT), "GET /customer_bank_accounts")
    predicates = _link_filter(req.query, "customer") + _timestamp_filters(req.query, "created_at")
    if "enabled" in req.query:
        wanted = req.query["enabled"].lower() == "true"
        predicates.append(lambda r: r["enabled"] is wanted)
    return list_page(req, "customer_bank_accounts", predicates)


def get_bank_account(req: Request, match):
    return single("customer_bank_accounts", find(req, "customer_bank_accounts", match["id"]))


def update_metadata(kind: str) -> Callable:
    def handler(req: Request, match):
        resource = find(req, kind, match["id"])
        fields = envelope(req.body, kind)
        allowed = ("metadata", "retry_if_possible") if kind == "payments" else ("metadata",)
        check_fields(fields, allowed, kind)
        errors = metadata_errors(fields.get("metadata"), kind)
        if "retry_if_possible" in fields and not isinstance(fields["retry_if_possible"], bool):
            errors.append(field_error(kind, "retry_if_possible", "must be a boolean"))
        if errors:
            raise problems.validation_failed(errors)
        if "metadata" in fields:
            resource["metadata"] = dict(fields["metadata"] or {})
        if "retry_if_possible" in fields:
            resource["retry_if_possible"] = fields["retry_if_possible"]
        return single(kind, resource)

    return handler


def disable_bank_account(req: Request, match):
    account = find(req, "customer_bank_accounts", match["id"])
    action_data(req.body)
    if account["enabled"]:
        account["enabled"] = False
        step = lifecycle.Step(
            "cancelled",
            "api",
            "bank_account_disabled",
            "The customer's bank account was disabled, so the mandate was cancelled.",
        )
        for mandate in list(req.emu.mandates.values()):
            linked = mandate["links"].get("customer_bank_account") == account["id"]
            if linked and mandate["status"] not in resources.MANDATE_FINAL:
                req.emu._mandate_step(mandate["id"], "cancelled", step)
    return single("customer_bank_accounts", account)


# ---------------------------------------------------------------------- mandates


def list_mandates(req: Request, match):
    allowed = ("customer", "customer_bank_account", "creditor", "reference", "scheme", "status")
    check_query(req.query, allowed + CREATED_AT, "GET /mandates")
    q = req.query
    predicates = (
        _link_filter(q, "customer")
        + _link_filter(q, "customer_bank_account")
        + _link_filter(q, "creditor")
        + _value_filter(q, "reference")
        + _enum_filter(q, "scheme", resources.SCHEME_CURRENCY, lambda r: r["scheme"])
        + _enum_filter(q, "status", resources.MANDATE_STATUSES, lambda r: r["status"])
        + _timestamp_filters(q, "created_at")
    )
    return list_page(req, "mandates", predicates)


def get_mandate(req: Request, match):
    return single("mandates", find(req, "mandates", match["id"]))


def cancel_mandate(req: Request, match):
    mandate = find(req, "mandates", match["id"])
    data = action_data(req.body)
    check_fields(data, ("metadata",), "data")
    errors = metadata_errors(data.get("metadata"), "data")
    if errors:
        raise problems.validation_failed(errors)
    if mandate["status"] in resources.MANDATE_FINAL:
        raise problems.invalid_state(
            "cancellation_failed",
            f"The mandate could not be cancelled because it is {mandate['status']}.",
        )
    req.emu._mandate_step(
        mandate["id"], "cancelled", lifecycle.API_MANDATE_CANCEL, metadata=data.get("metadata")
    )
    return single("mandates", mandate)


def reinstate_mandate(req: Request, match):
    mandate = find(req, "mandates", match["id"])
    data = action_data(req.body)
    check_fields(data, ("metadata",), "data")
    errors = metadata_errors(data.get("metadata"), "data")
    if errors:
        raise problems.validation_failed(errors)
    if mandate["status"] in resources.MANDATE_PAYABLE:
        raise problems.invalid_state(
            "mandate_not_inactive", "Mandate is already active or being submitted"
        )
    if mandate["status"] not in resources.MANDATE_REINSTATABLE:
        raise problems.invalid_state(
            "reinstatement_failed",
            f"Only cancelled or expired mandates can be reinstated; this one is "
            f"{mandate['status']}.",
        )
    req.emu._mandate_step(
        mandate["id"],
        "resubmission_requested",
        lifecycle.API_MANDATE_REINSTATE,
        metadata=data.get("metadata"),
    )
    return single("mandates", mandate)


# ---------------------------------------------------------------------- payments

PAYMENT_CREATE_FIELDS = (
    "amount",
    "app_fee",
    "charge_date",
    "currency",
    "description",
    "links",
    "metadata",
    "reference",
    "retry_if_possible",
)


def _currency_errors(currency, mandate: dict | None) -> list[dict]:
    if currency not in resources.CURRENCIES:
        message = f"must be one of {', '.join(resources.CURRENCIES)}"
        return [field_error("payments", "currency", message)]
    if mandate is not None:
        expected = resources.SCHEME_CURRENCY[mandate["scheme"]]
        if currency != expected:
            message = f"must be {expected} for a {mandate['scheme']} mandate"
            return [field_error("payments", "currency", message)]
    return []


def _mandate_link_errors(links, mandate: dict | None) -> list[dict]:
    if not isinstance(links, dict) or not links.get("mandate"):
        return [field_error("payments", "links[mandate]", "is required")]
    if set(links) - {"mandate"}:
        return [field_error("payments", "links", "may only contain mandate")]
    if mandate is None:
        return [field_error("payments", "links[mandate]", "must be an existing mandate")]
    return []


def _is_date(value) -> bool:
    if not isinstance(value, str) or not _DATE_RE.match(value):
        return False
    try:
        _dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _charge_date_errors(charge_date, mandate: dict | None, envelope_key: str) -> list[dict]:
    if charge_date is None:
        return []
    if not _is_date(charge_date):
        return [field_error(envelope_key, "charge_date", "must be a date formatted YYYY-MM-DD")]
    earliest = mandate["next_possible_charge_date"] if mandate else None
    if earliest and charge_date < earliest:
        message = "must be on or after mandate's next_possible_charge_date"
        return [field_error(envelope_key, "charge_date", message)]
    return []


def payment_errors(fields: dict, mandate: dict | None) -> list[dict]:
    errors = []
    amount = fields.get("amount")
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        errors.append(field_error("payments", "amount", "must be a positive integer"))
    errors.extend(_currency_errors(fields.get("currency"), mandate))
    errors.extend(_mandate_link_errors(fields.get("links"), mandate))
    errors.extend(_charge_date_errors(fields.get("charge_date"), mandate, "payments"))
    for name in ("description", "reference"):
        value = fields.get(name)
        if value is not None and not isinstance(value, str):
            errors.append(field_error("payments", name, "must be a string"))
    if "retry_if_possible" in fields and not isinstance(fields["retry_if_possible"], bool):
        errors.append(field_error("payments", "retry_if_possible", "must be a boolean"))
    app_fee = fields.get("app_fee")
    if app_fee is not None and (
        isinstance(app_fee, bool) or not isinstance(app_fee, int) or app_fee < 0
    ):
        errors.append(field_error("payments", "app_fee", "must be a non-negative integer"))
    errors.extend(metadata_errors(fields.get("metadata"), "payments"))
    return errors


def create_payment(req: Request, match):
    fields = envelope(req.body, "payments")
    check_fields(fields, PAYMENT_CREATE_FIELDS, "payments")
    scoped = idempotency_check(req, "/payments")
    links = fields.get("links") if isinstance(fields.get("links"), dict) else {}
    mandate = req.emu.mandates.get(links.get("mandate")) if links.get("mandate") else None
    errors = payment_errors(fields, mandate)
    if errors:
        raise problems.validation_failed(errors)
    if mandate["status"] not in resources.MANDATE_PAYABLE:
        raise problems.invalid_state(
            "mandate_is_inactive",
            f"The mandate is {mandate['status']}, so payments cannot be created on it.",
        )
    status = (
        "pending_customer_approval"
        if mandate["payments_require_approval"]
        else "pending_submission"
    )
    values = {key: value for key, value in fields.items() if key not in ("amount", "currency")}
    values.pop("links", None)
    payment = req.emu._add_payment(
        mandate["id"], fields["amount"], fields["currency"], status, values
    )
    req.emu._step_event(
        "payments",
        "created",
        lifecycle.API_PAYMENT_CREATE,
        {"payment": payment["id"]},
        payment["scheme"],
        payment,
    )
    if scoped:
        req.emu._idempotency[scoped] = payment["id"]
    return single("payments", payment, 201)


def list_payments(req: Request, match):
    allowed = ("mandate", "customer", "creditor", "status", "currency", "scheme")
    check_query(req.query, allowed + CREATED_AT + CHARGE_DATE, "GET /payments")
    q = req.query
    mandates = req.emu.mandates
    predicates = (
        _link_filter(q, "mandate")
        + _link_filter(q, "creditor")
        + _enum_filter(q, "status", resources.PAYMENT_STATUSES, lambda r: r["status"])
        + _enum_filter(q, "currency", resources.CURRENCIES, lambda r: r["currency"])
        + _enum_filter(q, "scheme", resources.SCHEME_CURRENCY, lambda r: r["scheme"])
        + _timestamp_filters(q, "created_at")
        + _timestamp_filters(q, "charge_date")
    )
    if "customer" in q:
        wanted = q["customer"]

        def of_customer(payment):
            mandate = mandates.get(payment["links"].get("mandate")) or {}
            return (mandate.get("links") or {}).get("customer") == wanted

        predicates.append(of_customer)
    return list_page(req, "payments", predicates)


def get_payment(req: Request, match):
    return single("payments", find(req, "payments", match["id"]))


def cancel_payment(req: Request, match):
    payment = find(req, "payments", match["id"])
    data = action_data(req.body)
    check_fields(data, ("metadata",), "data")
    errors = metadata_errors(data.get("metadata"), "data")
    if errors:
        raise problems.validation_failed(errors)
    if payment["status"] not in resources.PAYMENT_CANCELLABLE:
        raise problems.invalid_state(
            "cancellation_failed",
            f"The payment could not be cancelled because it is {payment['status']}.",
        )
    req.emu._payment_step(
        payment["id"], "cancelled", lifecycle.API_PAYMENT_CANCEL, metadata=data.get("metadata")
    )
    return single("payments", payment)


def retry_payment(req: Request, match):
    emu = req.emu
    payment = find(req, "payments", match["id"])
    data = action_data(req.body)
    check_fields(data, ("metadata", "charge_date"), "data")
    mandate = emu.mandates[payment["links"]["mandate"]]
    charge_date = data.get("charge_date")
    errors = metadata_errors(data.get("metadata"), "data")
    errors.extend(_charge_date_errors(charge_date, mandate, "data"))
    if errors:
        raise problems.validation_failed(errors)
    if payment["status"] != "failed":
        raise problems.invalid_state(
            "retry_failed", f"Only failed payments can be retried; this one is {payment['status']}."
        )
    if emu._retry_counts.get(payment["id"], 0) >= 3:
        raise problems.invalid_state("retry_failed", "Payments can be retried up to 3 times.")
    if mandate["status"] not in resources.MANDATE_PAYABLE:
        raise problems.invalid_state(
            "mandate_is_inactive",
            f"The mandate is {mandate['status']}, so the payment cannot be retried.",
        )
    emu._retry_counts[payment["id"]] = emu._retry_counts.get(payment["id"], 0) + 1
    payment["charge_date"] = charge_date or mandate["next_possible_charge_date"]
    emu._payment_step(
        payment["id"],
        "resubmission_requested",
        lifecycle.API_PAYMENT_RETRY,
        metadata=data.get("metadata"),
    )
    return single("payments", payment)


# ---------------------------------------------------------------------- payouts, events


def list_payouts(req: Request, match):
    allowed = ("status", "currency", "creditor", "creditor_bank_account", "reference")
    check_query(req.query, allowed + ("payout_type",) + CREATED_AT, "GET /payouts")
    q = req.query
    predicates = (
        _enum_filter(q, "status", resources.PAYOUT_STATUSES, lambda r: r["status"])
        + _enum_filter(q, "currency", resources.CURRENCIES, lambda r: r["currency"])
        + _link_filter(q, "creditor")
        + _link_filter(q, "creditor_bank_account")
        + _value_filter(q, "reference")
        + _value_filter(q, "payout_type")
        + _timestamp_filters(q, "created_at")
    )
    return list_page(req, "payouts", predicates)


def get_payout(req: Request, match):
    return single("payouts", find(req, "payouts", match["id"]))


def list_payout_items(req: Request, match):
    check_query(req.query, ("payout",), "GET /payout_items")
    payout_id = req.query.get("payout")
    if not payout_id:
        raise problems.bad_request(
            "Missing required parameter",
            [field_error("", "payout", "is required")],
            slug="missing_parameter",
        )
    find(req, "payouts", payout_id)
    limit = paging_params(req.query)
    items = req.emu.payout_items.get(payout_id, [])

    def cursor(name: str):
        value = req.query.get(name)
        if value in (None, ""):
            return None
        prefix = f"{payout_id}:"
        index = value[len(prefix) :] if value.startswith(prefix) else ""
        if not index.isdigit() or int(index) >= len(items):
            raise problems.bad_request(f"Invalid '{name}' cursor: {value}", slug="invalid_cursor")
        return int(index)

    page, precede, follow = paginate(
        len(items), items.__getitem__, cursor("after"), cursor("before"), limit
    )
    meta = {
        "cursors": {
            "before": f"{payout_id}:{page[0][0]}" if page and precede else None,
            "after": f"{payout_id}:{page[-1][0]}" if page and follow else None,
        },
        "limit": limit,
    }
    return 200, dump({"payout_items": [item for _, item in page], "meta": meta})


EVENT_RESOURCE_TYPES = (
    "billing_requests",
    "creditors",
    "customers",
    "exports",
    "instalment_schedules",
    "mandates",
    "organisations",
    "outbound_payments",
    "payer_authorisations",
    "payments",
    "payment_account_transactions",
    "payouts",
    "refunds",
    "scheme_identifiers",
    "subscriptions",
)


def list_events(req: Request, match):
    allowed = (
        "action",
        "resource_type",
        "payment",
        "mandate",
        "payout",
        "customer",
        "refund",
        "subscription",
        "parent_event",
    )
    check_query(req.query, allowed + CREATED_AT, "GET /events")
    q = req.query
    emu = req.emu
    predicates = (
        _value_filter(q, "action")
        + _enum_filter(q, "resource_type", EVENT_RESOURCE_TYPES, lambda r: r["resource_type"])
        + _link_filter(q, "payment")
        + _link_filter(q, "mandate")
        + _link_filter(q, "payout")
        + _link_filter(q, "refund")
        + _link_filter(q, "subscription")
        + _link_filter(q, "parent_event")
        + _timestamp_filters(q, "created_at")
    )
    if "customer" in q:
        wanted = q["customer"]

        def mandate_customer(mandate_id):
            mandate = emu.mandates.get(mandate_id) or {}
            return (mandate.get("links") or {}).get("customer")

        def of_customer(event):
            links = event["links"]
            if links.get("customer") == wanted:
                return True
            if links.get("mandate") and mandate_customer(links["mandate"]) == wanted:
                return True
            payment = emu.payments.get(links.get("payment")) if links.get("payment") else None
            return bool(payment) and mandate_customer(payment["links"].get("mandate")) == wanted

        predicates.append(of_customer)
    return list_page(req, "events", predicates)


def get_event(req: Request, match):
    return single("events", find(req, "events", match["id"]))


def list_creditors(req: Request, match):
    check_query(req.query, CREATED_AT, "GET /creditors")
    limit = paging_params(req.query)
    for name in ("after", "before"):
        if req.query.get(name):
            raise problems.bad_request(
                f"Invalid '{name}' cursor: {req.query[name]}", slug="invalid_cursor"
            )
    creditor = req.emu.creditor
    records = (
        [creditor] if all(p(creditor) for p in _timestamp_filters(req.query, "created_at")) else []
    )
    meta = {"cursors": {"before": None, "after": None}, "limit": limit}
    return 200, dump({"creditors": records, "meta": meta})


def get_creditor(req: Request, match):
    if match["id"] != req.emu.creditor["id"]:
        raise problems.not_found(f"Resource not found: creditors/{match['id']}")
    return single("creditors", req.emu.creditor)


# ---------------------------------------------------------------------- routing

_ID = r"(?P<id>[^/]+)"
ROUTES = [
    ("GET", r"/customers", list_customers),
    ("POST", r"/customers", create_customer),
    ("GET", rf"/customers/{_ID}", get_customer),
    ("PUT", rf"/customers/{_ID}", update_customer),
    ("DELETE", rf"/customers/{_ID}", remove_customer),
    ("GET", r"/customer_bank_accounts", list_bank_accounts),
    ("GET", rf"/customer_bank_accounts/{_ID}", get_bank_account),
    ("PUT", rf"/customer_bank_accounts/{_ID}", update_metadata("customer_bank_accounts")),
    ("POST", rf"/customer_bank_accounts/{_ID}/actions/disable", disable_bank_account),
    ("GET", r"/mandates", list_mandates),
    ("GET", rf"/mandates/{_ID}", get_mandate),
    ("PUT", rf"/mandates/{_ID}", update_metadata("mandates")),
    ("POST", rf"/mandates/{_ID}/actions/cancel", cancel_mandate),
    ("POST", rf"/mandates/{_ID}/actions/reinstate", reinstate_mandate),
    ("POST", r"/payments", create_payment),
    ("GET", r"/payments", list_payments),
    ("GET", rf"/payments/{_ID}", get_payment),
    ("PUT", rf"/payments/{_ID}", update_metadata("payments")),
    ("POST", rf"/payments/{_ID}/actions/cancel", cancel_payment),
    ("POST", rf"/payments/{_ID}/actions/retry", retry_payment),
    ("GET", r"/payouts", list_payouts),
    ("GET", rf"/payouts/{_ID}", get_payout),
    ("PUT", rf"/payouts/{_ID}", update_metadata("payouts")),
    ("GET", r"/payout_items", list_payout_items),
    ("GET", r"/events", list_events),
    ("GET", rf"/events/{_ID}", get_event),
    ("GET", r"/creditors", list_creditors),
    ("GET", rf"/creditors/{_ID}", get_creditor),
]
_COMPILED = [(method, re.compile(pattern + r"/?$"), handler) for method, pattern, handler in ROUTES]


def dispatch(emu, method: str, path: str, query: dict, body, headers) -> tuple[int, bytes]:
    """Run one API request. Returns ``(status, json_bytes)``; raises :class:`ApiProblem`."""
    for route_method, pattern, handler in _COMPILED:
        if route_method != method:
            continue
        match = pattern.match(path)
        if match:
            params = {key: unquote(value) for key, value in match.groupdict().items()}
            request = Request(emu, method, path, query, body, headers)
            with emu._lock:
                return handler(request, params)
    raise problems.not_found(f"No such endpoint: {method} {path}")


__all__ = ["ApiProblem", "dispatch", "dump"]

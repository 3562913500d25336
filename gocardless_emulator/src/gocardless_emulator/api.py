"""The GoCardless API endpoints: routing, request validation, filters, paging, envelopes.

Handlers run with the state's lock held for the whole read-validate-write-serialise
sequence, so concurrent requests never see half-made changes and a response body is always
a consistent snapshot. They use :class:`~gocardless_emulator.state.EmulatorState`'s public
methods only: the rules of each resource live there.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from collections.abc import Callable
from urllib.parse import unquote

from . import problems, resources
from .billing import Billing
from .payouts import payout_items_gone
from .problems import ApiProblem, field_error
from .store import DEFAULT_LIMIT, MAX_LIMIT, UnknownCursor

PAGING_KEYS = ("limit", "after", "before")
CREATED_AT = tuple(f"created_at[{op}]" for op in ("gt", "gte", "lt", "lte"))
CHARGE_DATE = tuple(f"charge_date[{op}]" for op in ("gt", "gte", "lt", "lte"))
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_COUNTRY_RE = re.compile(r"^[A-Z]{2}$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
LANGUAGES = ("da", "de", "en", "es", "fr", "it", "nb", "nl", "pt", "sl", "sv")
CUSTOMER_STRING_FIELDS = tuple(name for name in resources.CUSTOMER_FIELDS if name != "metadata")


class Request:
    def __init__(self, state, scope: str, method: str, path: str, query: dict, body, headers):
        self.state = state
        self.scope = scope  # idempotency keys are scoped by access token
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


def _raise_if(errors: list[dict]) -> None:
    if errors:
        raise problems.validation_failed(errors)


def check_query(query: dict, allowed, endpoint: str) -> None:
    for key in query:
        if key in PAGING_KEYS or key in allowed:
            continue
        raise problems.bad_request(
            f"'{key}' is not a supported query parameter for {endpoint}.",
            slug="invalid_parameter",
        )


def exclusive_filters(query: dict, names, message: str) -> None:
    """GoCardless refuses some filter combinations (400 invalid_api_usage)."""
    given = [name for name in names if name in query]
    if len(given) > 1:
        raise problems.bad_request(
            f"{message} (got {', '.join(given)}).",
            [{"reason": "invalid_filters", "message": message}],
            slug="invalid_filters",
        )


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


def created_at_bounds(query: dict) -> dict[str, str]:
    """``created_at[...]`` filters as bounds for the table's creation-time index."""
    bounds = {}
    for op in ("gt", "gte", "lt", "lte"):
        key = f"created_at[{op}]"
        if key in query:
            try:
                bounds[op] = resources.normalize_timestamp(query[key])
            except ValueError:
                raise problems.validation_failed(
                    [field_error("", key, "is not a valid date/time")]
                ) from None
    return bounds


def _charge_date_filters(query: dict) -> list[Callable]:
    predicates = []
    for op in ("gt", "gte", "lt", "lte"):
        key = f"charge_date[{op}]"
        if key not in query:
            continue
        if not _is_date(query[key]):
            raise problems.validation_failed([field_error("", key, "is not a valid date")])
        predicates.append(_compare("charge_date", op, query[key]))
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
    return [lambda r: (r["links"] or {}).get(link) == wanted]


def _value_filter(query: dict, key: str) -> list[Callable]:
    if key not in query:
        return []
    wanted = query[key]
    return [lambda r: r.get(key) == wanted]


def _all(predicates: list[Callable]) -> Callable | None:
    if not predicates:
        return None
    if len(predicates) == 1:
        return predicates[0]
    return lambda record: all(predicate(record) for predicate in predicates)


# ---------------------------------------------------------------------- responses


def page_of(req: Request, kind: str, predicates: list[Callable]) -> tuple[list[dict], dict]:
    limit = paging_params(req.query)
    try:
        records, before, after = req.state.list_page(
            kind,
            _all(predicates),
            limit=limit,
            after=req.query.get("after"),
            before=req.query.get("before"),
            bounds=created_at_bounds(req.query),
        )
    except UnknownCursor as error:
        raise problems.bad_request(
            f"Invalid cursor: {error.args[0]}", slug="invalid_cursor"
        ) from None
    return records, {"cursors": {"before": before, "after": after}, "limit": limit}


def list_page(req: Request, kind: str, predicates: list[Callable]) -> tuple[int, bytes]:
    records, meta = page_of(req, kind, predicates)
    return 200, dump({kind: records, "meta": meta})


def single(kind: str, resource: dict, status: int = 200) -> tuple[int, bytes]:
    return status, dump({kind: resource})


def idempotency_scope(req: Request, endpoint: str):
    """The idempotency scope of a create, or ``None``; 409 when the key was used."""
    key = req.headers.get("Idempotency-Key")
    if not key:
        return None
    scope = (req.scope, endpoint, key)
    existing = req.state.idempotent_match(scope)
    if existing:
        raise problems.idempotency_conflict(existing)
    return scope


def _created(req: Request, scope, kind: str, resource: dict) -> tuple[int, bytes]:
    if scope:
        req.state.remember_idempotency(scope, resource["id"])
    return single(kind, resource, 201)


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
    return list_page(req, "customers", [])


def create_customer(req: Request, match):
    fields = envelope(req.body, "customers")
    check_fields(fields, resources.CUSTOMER_FIELDS, "customers")
    scope = idempotency_scope(req, "/customers")
    _raise_if(customer_errors(fields, fields))
    return _created(req, scope, "customers", req.state.create_customer(fields))


def get_customer(req: Request, match):
    return single("customers", req.state.find("customers", match["id"]))


def update_customer(req: Request, match):
    customer = req.state.find("customers", match["id"])
    fields = envelope(req.body, "customers")
    check_fields(fields, resources.CUSTOMER_FIELDS, "customers")
    _raise_if(customer_errors(fields, {**customer, **fields}))
    return single("customers", req.state.update_customer(customer, fields))


def remove_customer(req: Request, match):
    req.state.find("customers", match["id"])
    return single("customers", req.state.delete_customer(match["id"]))


# ---------------------------------------------------------------------- bank accounts


def list_bank_accounts(req: Request, match):
    check_query(req.query, ("customer", "enabled", *CREATED_AT), "GET /customer_bank_accounts")
    predicates = _link_filter(req.query, "customer")
    if "enabled" in req.query:
        wanted = req.query["enabled"].lower() == "true"
        predicates.append(lambda r: r["enabled"] is wanted)
    return list_page(req, "customer_bank_accounts", predicates)


def get_bank_account(req: Request, match):
    account = req.state.find("customer_bank_accounts", match["id"])
    return single("customer_bank_accounts", account)


def update_metadata(kind: str) -> Callable:
    def handler(req: Request, match):
        resource = req.state.find(kind, match["id"])
        fields = envelope(req.body, kind)
        allowed = ("metadata", "retry_if_possible") if kind == "payments" else ("metadata",)
        check_fields(fields, allowed, kind)
        errors = metadata_errors(fields.get("metadata"), kind)
        if "retry_if_possible" in fields and not isinstance(fields["retry_if_possible"], bool):
            errors.append(field_error(kind, "retry_if_possible", "must be a boolean"))
        _raise_if(errors)
        return single(kind, req.state.update_fields(resource, fields))

    return handler


def disable_bank_account(req: Request, match):
    account = req.state.find("customer_bank_accounts", match["id"])
    action_data(req.body)
    return single("customer_bank_accounts", req.state.disable_bank_account(account))


def _metadata_only(req: Request) -> dict | None:
    data = action_data(req.body)
    check_fields(data, ("metadata",), "data")
    _raise_if(metadata_errors(data.get("metadata"), "data"))
    return data.get("metadata")


# ---------------------------------------------------------------------- mandates


def list_mandates(req: Request, match):
    allowed = ("customer", "customer_bank_account", "creditor", "reference", "scheme", "status")
    check_query(req.query, allowed + CREATED_AT, "GET /mandates")
    q = req.query
    exclusive_filters(
        q,
        ("customer", "customer_bank_account", "creditor"),
        "Only one of customer, customer_bank_account and creditor can be used",
    )
    predicates = (
        _link_filter(q, "customer")
        + _link_filter(q, "customer_bank_account")
        + _link_filter(q, "creditor")
        + _value_filter(q, "reference")
        + _enum_filter(q, "scheme", resources.SCHEME_CURRENCY, lambda r: r["scheme"])
        + _enum_filter(q, "status", resources.MANDATE_STATUSES, lambda r: r["status"])
    )
    return list_page(req, "mandates", predicates)


def get_mandate(req: Request, match):
    return single("mandates", req.state.find("mandates", match["id"]))


def cancel_mandate(req: Request, match):
    mandate = req.state.find("mandates", match["id"])
    return single("mandates", req.state.cancel_mandate(mandate, _metadata_only(req)))


def reinstate_mandate(req: Request, match):
    mandate = req.state.find("mandates", match["id"])
    return single("mandates", req.state.reinstate_mandate(mandate, _metadata_only(req)))


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


def _positive_integer(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def payment_errors(req: Request, fields: dict, mandate: dict | None) -> list[dict]:
    errors = []
    amount = fields.get("amount")
    if not _positive_integer(amount):
        errors.append(field_error("payments", "amount", "must be a positive integer"))
    elif mandate is not None:
        errors.extend(req.state.payment_limit_errors(amount, mandate))
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
    scope = idempotency_scope(req, "/payments")
    links = fields.get("links") if isinstance(fields.get("links"), dict) else {}
    mandate = req.state.get("mandates", links.get("mandate")) if links.get("mandate") else None
    _raise_if(payment_errors(req, fields, mandate))
    return _created(req, scope, "payments", req.state.create_payment(mandate, fields))


def list_payments(req: Request, match):
    allowed = ("mandate", "customer", "creditor", "status", "currency", "scheme")
    check_query(req.query, allowed + CREATED_AT + CHARGE_DATE, "GET /payments")
    q = req.query
    state = req.state
    predicates = (
        _link_filter(q, "mandate")
        + _link_filter(q, "creditor")
        + _enum_filter(q, "status", resources.PAYMENT_STATUSES, lambda r: r["status"])
        + _enum_filter(q, "currency", resources.CURRENCIES, lambda r: r["currency"])
        + _enum_filter(q, "scheme", resources.SCHEME_CURRENCY, lambda r: r["scheme"])
        + _charge_date_filters(q)
    )
    if "customer" in q:
        wanted = q["customer"]

        def of_customer(payment):
            mandate = state.get("mandates", payment["links"].get("mandate")) or {}
            return (mandate.get("links") or {}).get("customer") == wanted

        predicates.append(of_customer)
    return list_page(req, "payments", predicates)


def get_payment(req: Request, match):
    return single("payments", req.state.find("payments", match["id"]))


def cancel_payment(req: Request, match):
    payment = req.state.find("payments", match["id"])
    return single("payments", req.state.cancel_payment(payment, _metadata_only(req)))


def retry_payment(req: Request, match):
    payment = req.state.find("payments", match["id"])
    data = action_data(req.body)
    check_fields(data, ("metadata", "charge_date"), "data")
    mandate = req.state.get("mandates", payment["links"]["mandate"])
    errors = metadata_errors(data.get("metadata"), "data")
    errors.extend(_charge_date_errors(data.get("charge_date"), mandate, "data"))
    _raise_if(errors)
    retried = req.state.retry_payment(payment, data.get("charge_date"), data.get("metadata"))
    return single("payments", retried)


# ---------------------------------------------------------------------- refunds

REFUND_CREATE_FIELDS = ("amount", "links", "metadata", "reference", "total_amount_confirmation")


def create_refund(req: Request, match):
    fields = envelope(req.body, "refunds")
    check_fields(fields, REFUND_CREATE_FIELDS, "refunds")
    scope = idempotency_scope(req, "/refunds")
    errors = []
    if not _positive_integer(fields.get("amount")):
        errors.append(field_error("refunds", "amount", "must be a positive integer"))
    confirmation = fields.get("total_amount_confirmation")
    if not _positive_integer(confirmation):
        message = "is required: the payment's refunded total with this refund"
        errors.append(field_error("refunds", "total_amount_confirmation", message))
    links = fields.get("links")
    if not isinstance(links, dict) or not links.get("payment"):
        errors.append(field_error("refunds", "links[payment]", "is required"))
    elif set(links) - {"payment"}:
        errors.append(field_error("refunds", "links", "may only contain payment"))
    elif req.state.get("payments", links["payment"]) is None:
        errors.append(field_error("refunds", "links[payment]", "must be an existing payment"))
    reference = fields.get("reference")
    if reference is not None and not isinstance(reference, str):
        errors.append(field_error("refunds", "reference", "must be a string"))
    errors.extend(metadata_errors(fields.get("metadata"), "refunds"))
    _raise_if(errors)
    return _created(req, scope, "refunds", req.state.payouts_desk.create_refund(fields))


def list_refunds(req: Request, match):
    check_query(req.query, ("payment", "mandate") + CREATED_AT, "GET /refunds")
    predicates = _link_filter(req.query, "payment") + _link_filter(req.query, "mandate")
    return list_page(req, "refunds", predicates)


def get_refund(req: Request, match):
    return single("refunds", req.state.find("refunds", match["id"]))


# ---------------------------------------------------------------------- payouts


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
    )
    return list_page(req, "payouts", predicates)


def get_payout(req: Request, match):
    return single("payouts", req.state.find("payouts", match["id"]))


def list_payout_items(req: Request, match):
    check_query(req.query, ("payout",), "GET /payout_items")
    payout_id = req.query.get("payout")
    if not payout_id:
        raise problems.bad_request(
            "Missing required parameter",
            [field_error("", "payout", "is required")],
            slug="missing_parameter",
        )
    payout = req.state.find("payouts", payout_id)
    if payout_items_gone(payout):
        raise problems.payout_items_gone()
    limit = paging_params(req.query)
    items = req.state.payout_items.get(payout_id, [])
    prefix = f"{payout_id}:"

    def cursor(name: str):
        value = req.query.get(name)
        if value in (None, ""):
            return None
        index = value[len(prefix) :] if value.startswith(prefix) else ""
        if not index.isdigit() or int(index) >= len(items):
            raise problems.bad_request(f"Invalid '{name}' cursor: {value}", slug="invalid_cursor")
        return int(index)

    after, before = cursor("after"), cursor("before")
    if before is not None:
        start = max(0, before - limit)
        indexes = list(range(start, before))
    else:
        start = 0 if after is None else after + 1
        indexes = list(range(start, min(start + limit, len(items))))
    meta = {
        "cursors": {
            "before": f"{prefix}{indexes[0]}" if indexes and indexes[0] > 0 else None,
            "after": f"{prefix}{indexes[-1]}" if indexes and indexes[-1] < len(items) - 1 else None,
        },
        "limit": limit,
    }
    return 200, dump({"payout_items": [items[index] for index in indexes], "meta": meta})


# ---------------------------------------------------------------------- events

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
# Filters naming one resource: GoCardless refuses them together with resource_type.
EVENT_RESOURCE_FILTERS = (
    "billing_request",
    "mandate",
    "payment",
    "payout",
    "refund",
    "subscription",
)
# include=<link> -> the kind listed under "linked".
EVENT_INCLUDES = {
    "billing_request": "billing_requests",
    "creditor": "creditors",
    "customer": "customers",
    "mandate": "mandates",
    "payment": "payments",
    "payout": "payouts",
    "refund": "refunds",
}


def list_events(req: Request, match):
    allowed = ("action", "resource_type", "parent_event", "include") + EVENT_RESOURCE_FILTERS
    check_query(req.query, allowed + CREATED_AT, "GET /events")
    q = req.query
    for name in EVENT_RESOURCE_FILTERS:
        exclusive_filters(
            q,
            ("resource_type", name),
            f"resource_type cannot be used together with the {name} filter",
        )
    include = q.get("include")
    if include is not None:
        if "resource_type" not in q:
            raise problems.bad_request(
                "include can only be used together with resource_type.",
                [{"reason": "invalid_filters", "message": "include requires resource_type"}],
                slug="invalid_filters",
            )
        if include not in EVENT_INCLUDES:
            raise problems.validation_failed(
                [field_error("", "include", f"'{include}' is not a valid include")]
            )
    predicates = (
        _value_filter(q, "action")
        + _enum_filter(q, "resource_type", EVENT_RESOURCE_TYPES, lambda r: r["resource_type"])
        + _link_filter(q, "parent_event")
    )
    for name in EVENT_RESOURCE_FILTERS:
        predicates += _link_filter(q, name)
    records, meta = page_of(req, "events", predicates)
    payload = {"events": records}
    if include is not None:
        kind = EVENT_INCLUDES[include]
        linked, seen = [], set()
        for event in records:
            linked_id = event["links"].get(include)
            resource = req.state.get(kind, linked_id) if linked_id else None
            if resource is not None and linked_id not in seen:
                seen.add(linked_id)
                linked.append(resource)
        payload["linked"] = {kind: linked}
    payload["meta"] = meta
    return 200, dump(payload)


def get_event(req: Request, match):
    event = req.state.find("events", match["id"])
    if not req.state.event_is_listed(event):
        raise problems.not_found(f"Resource not found: events/{match['id']}")
    return single("events", event)


# ---------------------------------------------------------------------- creditors


def list_creditors(req: Request, match):
    check_query(req.query, CREATED_AT, "GET /creditors")
    limit = paging_params(req.query)
    for name in ("after", "before"):
        if req.query.get(name):
            raise problems.bad_request(
                f"Invalid '{name}' cursor: {req.query[name]}", slug="invalid_cursor"
            )
    creditor = req.state.creditor
    bounds = created_at_bounds(req.query)
    records = (
        [creditor]
        if all(_compare("created_at", op, b)(creditor) for op, b in bounds.items())
        else []
    )
    meta = {"cursors": {"before": None, "after": None}, "limit": limit}
    return 200, dump({"creditors": records, "meta": meta})


def get_creditor(req: Request, match):
    return single("creditors", req.state.find("creditors", match["id"]))


# ---------------------------------------------------------------------- billing requests

BILLING_REQUEST_CREATE_FIELDS = (
    "fallback_enabled",
    "links",
    "mandate_request",
    "metadata",
    "payment_request",
    "purpose_code",
)
_COLLECT_CUSTOMER_KEYS = (
    "company_name",
    "email",
    "family_name",
    "given_name",
    "language",
    "metadata",
    "phone_number",
    "danish_identity_number",
)
_COLLECT_DETAIL_KEYS = resources.BILLING_DETAIL_KEYS + ("ip_address",)
_COLLECT_BANK_KEYS = (
    "account_holder_name",
    "account_number",
    "account_number_suffix",
    "account_type",
    "bank_code",
    "branch_code",
    "country_code",
    "currency",
    "iban",
    "metadata",
)


def _mandate_request_errors(mandate_request) -> list[dict]:
    where = "billing_requests"
    if not isinstance(mandate_request, dict):
        return [field_error(where, "mandate_request", "is required (mandate requests only)")]
    check_fields(mandate_request, resources.MANDATE_REQUEST_FIELDS, f"{where}/mandate_request")
    currency = mandate_request.get("currency")
    if currency not in resources.CURRENCY_SCHEME:
        message = f"must be one of {', '.join(resources.CURRENCIES)}"
        return [field_error(where, "mandate_request[currency]", message)]
    scheme = mandate_request.get("scheme")
    if scheme is not None and resources.SCHEME_CURRENCY.get(scheme) != currency:
        message = f"'{scheme}' does not collect {currency}"
        return [field_error(where, "mandate_request[scheme]", message)]
    return metadata_errors(mandate_request.get("metadata"), f"{where}/mandate_request")


def create_billing_request(req: Request, match):
    fields = envelope(req.body, "billing_requests")
    check_fields(fields, BILLING_REQUEST_CREATE_FIELDS, "billing_requests")
    scope = idempotency_scope(req, "/billing_requests")
    errors = []
    if fields.get("payment_request") is not None:
        message = "is not supported by the emulator (mandate requests only)"
        errors.append(field_error("billing_requests", "payment_request", message))
    errors.extend(_mandate_request_errors(fields.get("mandate_request")))
    links = fields.get("links") or {}
    if not isinstance(links, dict) or set(links) - {"customer", "customer_bank_account"}:
        errors.append(
            field_error("billing_requests", "links", "may contain customer, customer_bank_account")
        )
    else:
        customer = (
            req.state.get("customers", links.get("customer")) if links.get("customer") else None
        )
        if links.get("customer") and customer is None:
            errors.append(
                field_error("billing_requests", "links[customer]", "must be an existing customer")
            )
        account_id = links.get("customer_bank_account")
        if account_id:
            account = req.state.get("customer_bank_accounts", account_id)
            if account is None or account["links"].get("customer") != links.get("customer"):
                message = "must be a bank account of links[customer]"
                errors.append(
                    field_error("billing_requests", "links[customer_bank_account]", message)
                )
    errors.extend(metadata_errors(fields.get("metadata"), "billing_requests"))
    _raise_if(errors)
    request = req.state.billing.create_request(fields)
    return _created(req, scope, "billing_requests", request)


def list_billing_requests(req: Request, match):
    check_query(req.query, ("customer", "status") + CREATED_AT, "GET /billing_requests")
    predicates = _link_filter(req.query, "customer") + _enum_filter(
        req.query, "status", resources.BILLING_REQUEST_STATUSES, lambda r: r["status"]
    )
    return list_page(req, "billing_requests", predicates)


def get_billing_request(req: Request, match):
    return single("billing_requests", req.state.find("billing_requests", match["id"]))


def billing_request_action(action: str) -> Callable:
    def handler(req: Request, match):
        request = req.state.find("billing_requests", match["id"])
        data = action_data(req.body)
        errors = []
        if action == "collect_customer_details":
            check_fields(data, ("customer", "customer_billing_detail"), "data")
            customer = data.get("customer") or {}
            detail = data.get("customer_billing_detail") or {}
            check_fields(customer, _COLLECT_CUSTOMER_KEYS, "data/customer")
            check_fields(detail, _COLLECT_DETAIL_KEYS, "data/customer_billing_detail")
            merged = {k: v for k, v in {**customer, **detail}.items() if k != "ip_address"}
            errors = [
                error
                for error in customer_errors(merged, merged)
                if error["field"] not in ("given_name", "family_name")
            ]
        elif action == "collect_bank_account":
            check_fields(data, _COLLECT_BANK_KEYS, "data")
            if not (data.get("account_holder_name") or "").strip():
                errors.append(field_error("data", "account_holder_name", "is required"))
            if not (data.get("account_number") or data.get("iban")):
                errors.append(field_error("data", "account_number", "is required (or iban)"))
            errors.extend(metadata_errors(data.get("metadata"), "data"))
        elif action == "notify":
            check_fields(data, ("notification_type", "redirect_uri"), "data")
            if data.get("notification_type") != "email":
                errors.append(field_error("data", "notification_type", "must be email"))
        else:
            check_fields(data, ("metadata",), "data")
            errors = metadata_errors(data.get("metadata"), "data")
        _raise_if(errors)
        return single("billing_requests", req.state.billing.action(request, action, data))

    return handler


FLOW_CREATE_FIELDS = resources.FLOW_OPTION_KEYS + (
    "links",
    "prefilled_bank_account",
    "prefilled_customer",
)
_BOOLEAN_FLOW_OPTIONS = (
    "auto_fulfil",
    "lock_bank_account",
    "lock_currency",
    "lock_customer_details",
    "show_redirect_buttons",
    "show_success_redirect_button",
    "skip_success_screen",
)


def create_billing_request_flow(req: Request, match):
    where = "billing_request_flows"
    fields = envelope(req.body, where)
    check_fields(fields, FLOW_CREATE_FIELDS, where)
    scope = idempotency_scope(req, "/billing_request_flows")
    errors = []
    links = fields.get("links")
    if not isinstance(links, dict) or not links.get("billing_request"):
        errors.append(field_error(where, "links[billing_request]", "is required"))
    elif req.state.get("billing_requests", links["billing_request"]) is None:
        message = "must be an existing billing request"
        errors.append(field_error(where, "links[billing_request]", message))
    for name in ("redirect_uri", "exit_uri"):
        value = fields.get(name)
        if value is not None and not (
            isinstance(value, str) and value.startswith(("http://", "https://"))
        ):
            errors.append(field_error(where, name, "must be an http(s) URL"))
    for name in _BOOLEAN_FLOW_OPTIONS:
        if name in fields and not isinstance(fields[name], bool):
            errors.append(field_error(where, name, "must be a boolean"))
    language = fields.get("language")
    if language is not None and language not in LANGUAGES:
        errors.append(field_error(where, "language", "is not a supported language"))
    prefilled = fields.get("prefilled_customer") or {}
    if not isinstance(prefilled, dict):
        errors.append(field_error(where, "prefilled_customer", "must be an object"))
    else:
        check_fields(prefilled, resources.PREFILLED_CUSTOMER_KEYS, f"{where}/prefilled_customer")
    bank = fields.get("prefilled_bank_account") or {}
    if not isinstance(bank, dict):
        errors.append(field_error(where, "prefilled_bank_account", "must be an object"))
    else:
        check_fields(bank, ("account_type",), f"{where}/prefilled_bank_account")
    _raise_if(errors)
    return _created(req, scope, where, req.state.billing.create_flow(fields))


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
    ("POST", r"/refunds", create_refund),
    ("GET", r"/refunds", list_refunds),
    ("GET", rf"/refunds/{_ID}", get_refund),
    ("PUT", rf"/refunds/{_ID}", update_metadata("refunds")),
    ("GET", r"/payouts", list_payouts),
    ("GET", rf"/payouts/{_ID}", get_payout),
    ("PUT", rf"/payouts/{_ID}", update_metadata("payouts")),
    ("GET", r"/payout_items", list_payout_items),
    ("GET", r"/events", list_events),
    ("GET", rf"/events/{_ID}", get_event),
    ("GET", r"/creditors", list_creditors),
    ("GET", rf"/creditors/{_ID}", get_creditor),
    ("POST", r"/billing_requests", create_billing_request),
    ("GET", r"/billing_requests", list_billing_requests),
    ("GET", rf"/billing_requests/{_ID}", get_billing_request),
    ("POST", r"/billing_request_flows", create_billing_request_flow),
]
ROUTES += [
    ("POST", rf"/billing_requests/{_ID}/actions/{action}", billing_request_action(action))
    for action in Billing.ACTIONS
]
_COMPILED = [(method, re.compile(pattern + r"/?$"), handler) for method, pattern, handler in ROUTES]


def dispatch(state, scope: str, method: str, path: str, query: dict, body, headers):
    """Run one API request against ``state``; ``scope`` is the access token the request
    was authorised with. Returns ``(status, json_bytes)``; raises :class:`ApiProblem`."""
    for route_method, pattern, handler in _COMPILED:
        if route_method != method:
            continue
        match = pattern.match(path)
        if match:
            params = {key: unquote(value) for key, value in match.groupdict().items()}
            request = Request(state, scope, method, path, query, body, headers)
            with state.lock:
                return handler(request, params)
    raise problems.not_found(f"No such endpoint: {method} {path}")


__all__ = ["ApiProblem", "dispatch", "dump"]

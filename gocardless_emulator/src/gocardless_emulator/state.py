"""The emulator's data: storage, seeding, events and lifecycles (no HTTP here).

All state lives in plain dicts and :class:`~gocardless_emulator.store.Table` objects guarded
by one re-entrant lock (:attr:`EmulatorState.lock`), shared by the HTTP handler threads and
the caller's thread. Payouts and refunds live in :mod:`.payouts`, Billing Requests in
:mod:`.billing`; both are parts this state is composed of.

Two kinds of public methods:

* the control API (``add_*``, ``seed_*``, ``*_action``, ``pay_out``...): no validation beyond
  the arguments, returns copies, takes the lock itself;
* the API operations (``create_payment``, ``cancel_mandate``...), called by :mod:`.api` with
  the lock held: they enforce GoCardless's rules, raise :class:`~.problems.ApiProblem`, and
  return the live resource (serialised before the lock is released).
"""

from __future__ import annotations

import copy
import datetime as _dt
import threading

from . import lifecycle, problems, resources
from .billing import Billing
from .clock import now, today
from .fees import FeeSchedule
from .lifecycle import Step
from .payouts import Payouts
from .store import Table

# kind (URL plural) -> ID prefix
PREFIXES = {
    "customers": "CU",
    "customer_bank_accounts": "BA",
    "mandates": "MD",
    "payments": "PM",
    "payouts": "PO",
    "events": "EV",
    "refunds": "RF",
    "billing_requests": "BRQ",
    "billing_request_flows": "BRF",
}
CREDITOR_ID = "CR000000000001"
_DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# Events older than this many days stop being listed (GoCardless: 18 months).
EVENT_RETENTION_DAYS = 548

_BANK_ACCOUNT_KEYS = (
    "account_holder_name",
    "account_number_ending",
    "account_type",
    "bank_account_token",
    "bank_name",
    "country_code",
    "currency",
    "enabled",
    "links",
    "metadata",
    "payer_name_verification_result",
    "trusted_recipient",
)
_MANDATE_KEYS = (
    "authorisation_source",
    "consent_type",
    "funds_settlement",
    "links",
    "metadata",
    "next_possible_charge_date",
    "payments_require_approval",
    "reference",
    "verified_at",
)
_PAYMENT_KEYS = (
    "amount_refunded",
    "app_fee",
    "charge_date",
    "description",
    "links",
    "metadata",
    "reference",
    "retry_if_possible",
)
_PAYOUT_KEYS = ("arrival_date", "links", "metadata", "payout_type", "reference", "tax_currency")
API_SOURCE = {"name": "Emulator access token", "type": "access_token"}


_PAIRS = [a + b for a in _DIGITS for b in _DIGITS]  # two base-36 digits for 0..1295


def base36(number: int) -> str:
    if number < 1296:
        return _PAIRS[number].lstrip("0") or "0"
    text = ""
    while number >= 1296:
        number, pair = divmod(number, 1296)
        text = _PAIRS[pair] + text
    return _PAIRS[number].lstrip("0") + text


def _check_keys(what: str, fields: dict, allowed) -> None:
    unknown = sorted(set(fields) - set(allowed) - {"id", "created_at"})
    if unknown:
        raise TypeError(f"{what}: unknown field(s) {', '.join(unknown)}")


def _holder_name(customer: dict) -> str:
    if customer.get("company_name"):
        return customer["company_name"]
    names = [customer.get("given_name") or "", customer.get("family_name") or ""]
    return " ".join(name for name in names if name) or "Account Holder"


def _copy(value):
    return copy.deepcopy(value)


class EmulatorState:
    """Storage, seeding, events and lifecycles of one emulated GoCardless account."""

    def __init__(self, creditor_name: str = "Emulated Creditor Ltd"):
        self.lock = threading.RLock()
        self.tables: dict[str, Table] = {kind: Table() for kind in PREFIXES}
        self.customers = self.tables["customers"].records
        self.bank_accounts = self.tables["customer_bank_accounts"].records
        self.mandates = self.tables["mandates"].records
        self.payments = self.tables["payments"].records
        self.payouts = self.tables["payouts"].records
        self.events = self.tables["events"].records
        self.refunds = self.tables["refunds"].records
        self.billing_requests = self.tables["billing_requests"].records
        self.billing_request_flows = self.tables["billing_request_flows"].records
        self.removed_customers: dict[str, dict] = {}
        self.payout_items: dict[str, list[dict]] = {}
        self.event_log: list[str] = []  # event IDs in the order they were recorded
        self.payouts_desk = Payouts(self)
        self.billing = Billing(self)
        self.flow_base_url = "http://127.0.0.1"
        self.clear()
        self.creditor = resources.creditor(CREDITOR_ID, self.stamp(), creditor_name)

    # ------------------------------------------------------------------ storage

    def clear(self) -> None:
        """Drop every resource and event; fees and payment limits back to their defaults."""
        with self.lock:
            for table in self.tables.values():
                table.clear()
            self.removed_customers.clear()
            self.payout_items.clear()
            self.event_log.clear()
            self._counters: dict[str, int] = {}
            self._idempotency: dict[tuple, str] = {}
            self._retry_counts: dict[str, int] = {}
            self._reinstatements: dict[str, int] = {}
            self.fees = FeeSchedule()
            self.payment_limits = dict(resources.SCHEME_LIMITS)
            self.payouts_desk.clear()
            self.billing.clear()

    def table(self, kind: str) -> Table:
        return self.tables[kind]

    def next_number(self, name: str) -> int:
        self._counters[name] = self._counters.get(name, 0) + 1
        return self._counters[name]

    def new_id(self, prefix: str) -> str:
        """A new ID: the prefix and 12 base-36 characters of the prefix's own counter."""
        return prefix + base36(self.next_number(prefix)).rjust(12, "0")

    def new_ids(self, prefix: str, count: int) -> list[str]:
        """``count`` new IDs at once (seeding)."""
        first = self._counters.get(prefix, 0) + 1
        self._counters[prefix] = first + count - 1
        return [prefix + base36(number).rjust(12, "0") for number in range(first, first + count)]

    def _numbers(self, name: str, count: int) -> range:
        first = self._counters.get(name, 0) + 1
        self._counters[name] = first + count - 1
        return range(first, first + count)

    def stamp(self) -> str:
        return resources.format_timestamp(now())

    def _created(self, fields: dict) -> str:
        value = fields.pop("created_at", None)
        return resources.normalize_timestamp(value) if value else self.stamp()

    def _take_id(self, kind: str, fields: dict) -> str:
        resource_id = fields.pop("id", None) or self.new_id(PREFIXES[kind])
        if self.tables[kind].known(resource_id):
            raise ValueError(f"{kind}: id {resource_id} already exists")
        return resource_id

    def insert(self, kind: str, resource: dict) -> dict:
        return self.tables[kind].insert(resource)

    def get(self, kind: str, resource_id) -> dict | None:
        """The live resource, or ``None``."""
        if kind == "creditors":
            return self.creditor if resource_id == self.creditor["id"] else None
        return self.tables[kind].get(resource_id)

    def require(self, kind: str, resource_id) -> dict:
        """The live resource; ``KeyError`` (control API) when unknown."""
        resource = self.get(kind, resource_id)
        if resource is None:
            raise KeyError(f"unknown {kind[:-1].replace('_', ' ')} {resource_id}")
        return resource

    def find(self, kind: str, resource_id: str) -> dict:
        """The live resource for an API request: 404 when unknown, 410 when removed."""
        resource = self.get(kind, resource_id)
        if resource is None:
            if kind == "customers" and resource_id in self.removed_customers:
                raise problems.customer_gone()
            raise problems.not_found(f"Resource not found: {kind}/{resource_id}")
        return resource

    def list_page(self, kind: str, match=None, *, limit, after=None, before=None, bounds=None):
        """One page of a list, newest first (see :meth:`.store.Table.page`)."""
        if kind == "events":
            cutoff = resources.format_timestamp(now() - _dt.timedelta(days=EVENT_RETENTION_DAYS))
            bounds = dict(bounds or {})
            if bounds.get("gte", "") < cutoff and bounds.get("gt", "") < cutoff:
                bounds["gte"] = cutoff
        return self.tables[kind].page(match, limit=limit, after=after, before=before, bounds=bounds)

    def event_is_listed(self, event: dict) -> bool:
        """Whether GoCardless still returns the event (not older than 18 months)."""
        cutoff = resources.format_timestamp(now() - _dt.timedelta(days=EVENT_RETENTION_DAYS))
        return event["created_at"] >= cutoff

    # ------------------------------------------------------------------ idempotency

    def idempotent_match(self, scope: tuple) -> str | None:
        """The ID created earlier under this idempotency scope (token, endpoint, key)."""
        return self._idempotency.get(scope)

    def remember_idempotency(self, scope: tuple, resource_id: str) -> None:
        self._idempotency[scope] = resource_id

    # ------------------------------------------------------------------ charge dates

    def next_charge_date(self, status: str, scheme: str) -> str | None:
        if status not in resources.MANDATE_PAYABLE:
            return None
        lead = resources.SCHEME_LEAD_DAYS.get(scheme, resources.DEFAULT_LEAD_DAYS)
        if status != "active":
            lead += 2
        return resources.add_working_days(today(), lead).isoformat()

    def _refresh_charge_dates(self, mandate: dict) -> None:
        mandate["next_possible_charge_date"] = self.next_charge_date(
            mandate["status"], mandate["scheme"]
        )
        if mandate["scheme"] == "ach":
            mandate["next_possible_standard_ach_charge_date"] = mandate["next_possible_charge_date"]

    # ------------------------------------------------------------------ seeding

    def add_customer(self, **fields) -> dict:
        """Create a customer directly (no validation, no event). Returns a copy."""
        _check_keys("add_customer", fields, resources.CUSTOMER_FIELDS)
        with self.lock:
            return _copy(self.insert_customer(fields))

    def insert_customer(self, fields: dict) -> dict:
        fields = dict(fields)
        customer_id = self._take_id("customers", fields)
        created_at = self._created(fields)
        fields["metadata"] = dict(fields.get("metadata") or {})
        return self.insert("customers", resources.customer(customer_id, created_at, fields))

    def add_bank_account(self, customer_id: str, **fields) -> dict:
        """Create a customer bank account (BA...) for a customer. Returns a copy."""
        _check_keys("add_bank_account", fields, _BANK_ACCOUNT_KEYS)
        with self.lock:
            return _copy(self.insert_bank_account(customer_id, fields))

    def insert_bank_account(self, customer_id: str, fields: dict) -> dict:
        customer = self.require("customers", customer_id)
        fields = dict(fields)
        account_id = self._take_id("customer_bank_accounts", fields)
        created_at = self._created(fields)
        country = fields.get("country_code") or customer.get("country_code") or "GB"
        number = self.next_number("account_number")
        values = {
            "account_holder_name": _holder_name(customer),
            "account_number_ending": f"{(number * 37) % 100:02d}",
            "bank_name": resources.BANK_NAMES.get(country, "EMULATED BANK"),
            "country_code": country,
            "currency": "GBP" if country == "GB" else "EUR",
        }
        values.update(fields)
        values["links"] = {"customer": customer_id, **(fields.get("links") or {})}
        values["metadata"] = dict(fields.get("metadata") or {})
        return self.insert(
            "customer_bank_accounts", resources.bank_account(account_id, created_at, values)
        )

    def add_mandate(
        self, customer_id: str, status: str = "active", scheme: str = "bacs", **fields
    ) -> dict:
        """Create a mandate (and a bank account unless ``links.customer_bank_account``)."""
        _check_keys("add_mandate", fields, _MANDATE_KEYS)
        with self.lock:
            return _copy(self.insert_mandate(customer_id, status, scheme, fields))

    def insert_mandate(self, customer_id: str, status: str, scheme: str, fields: dict) -> dict:
        if status not in resources.MANDATE_STATUSES:
            raise ValueError(f"unknown mandate status {status!r}")
        if scheme not in resources.SCHEME_CURRENCY:
            raise ValueError(f"unknown scheme {scheme!r}")
        customer = self.require("customers", customer_id)
        fields = dict(fields)
        given_links = dict(fields.pop("links", None) or {})
        account_id = given_links.pop("customer_bank_account", None)
        if not account_id:
            country = customer.get("country_code") or resources.SCHEME_COUNTRY[scheme]
            account = self.insert_bank_account(
                customer_id,
                {"currency": resources.SCHEME_CURRENCY[scheme], "country_code": country},
            )
            account_id = account["id"]
        mandate_id = self._take_id("mandates", fields)
        created_at = self._created(fields)
        links = {
            "creditor": self.creditor["id"],
            "customer": customer_id,
            "customer_bank_account": account_id,
        }
        links.update(given_links)
        values = {
            "links": links,
            "metadata": dict(fields.pop("metadata", None) or {}),
            "reference": fields.pop("reference", None)
            or f"EMU-{self.next_number('mandate_reference'):06d}",
            "scheme": scheme,
            "status": status,
        }
        if "next_possible_charge_date" not in fields:
            values["next_possible_charge_date"] = self.next_charge_date(status, scheme)
        values.update(fields)
        if scheme == "ach":
            values["next_possible_standard_ach_charge_date"] = values["next_possible_charge_date"]
        return self.insert("mandates", resources.mandate(mandate_id, created_at, values))

    def add_payment(
        self,
        mandate_id: str,
        amount: int,
        currency: str | None = None,
        status: str = "pending_submission",
        **fields,
    ) -> dict:
        """Create a payment directly (no validation, no event). ``paid_out`` gets a payout."""
        _check_keys("add_payment", fields, _PAYMENT_KEYS)
        with self.lock:
            payment = self.insert_payment(mandate_id, amount, currency, status, fields)
            if status == "paid_out" and not payment["links"].get("payout"):
                self.payouts_desk.pay_into_open_payout(payment)
            return _copy(payment)

    def insert_payment(
        self, mandate_id: str, amount: int, currency: str | None, status: str, fields: dict
    ) -> dict:
        if status not in resources.PAYMENT_STATUSES:
            raise ValueError(f"unknown payment status {status!r}")
        mandate = self.require("mandates", mandate_id)
        fields = dict(fields)
        payment_id = self._take_id("payments", fields)
        created_at = self._created(fields)
        links = {"creditor": self.creditor["id"], "mandate": mandate_id}
        links.update(fields.pop("links", None) or {})
        charge_date = fields.pop("charge_date", None) or mandate["next_possible_charge_date"]
        if not charge_date:
            lead = resources.SCHEME_LEAD_DAYS.get(mandate["scheme"], 2)
            charge_date = resources.add_working_days(today(), lead).isoformat()
        values = {
            "amount": amount,
            "charge_date": charge_date,
            "currency": currency or resources.SCHEME_CURRENCY[mandate["scheme"]],
            "faster_ach": False if mandate["scheme"] == "ach" else None,
            "links": links,
            "metadata": dict(fields.pop("metadata", None) or {}),
            "scheme": mandate["scheme"],
            "status": status,
        }
        values.update(fields)
        return self.insert("payments", resources.payment(payment_id, created_at, values))

    def add_payout(
        self,
        currency: str = "GBP",
        amount: int = 0,
        deducted_fees: int = 0,
        status: str = "pending",
        **fields,
    ) -> dict:
        """Create a payout (PO...). Items are added with :meth:`add_payout_item`."""
        _check_keys("add_payout", fields, _PAYOUT_KEYS)
        with self.lock:
            return _copy(
                self.payouts_desk.insert_payout(currency, amount, deducted_fees, status, fields)
            )

    def add_payout_item(
        self,
        payout_id: str,
        type: str,  # noqa: A002 - the API's own field name
        amount: int | str,
        links: dict | None = None,
        taxes: list | None = None,
    ) -> dict:
        """Append an item to a payout (the payout's amount is left as it is). An int
        ``amount`` (minor units) becomes GoCardless's text, e.g. ``4500`` -> ``"4500.0"``."""
        with self.lock:
            return _copy(self.payouts_desk.add_item(payout_id, type, amount, links, taxes))

    def seed_customers(
        self,
        count: int,
        *,
        email: str | None = "customer{n}@example.com",
        mandate_status: str | None = "active",
        scheme: str = "bacs",
        start: int = 0,
        **extra,
    ) -> list[dict]:
        """Create ``count`` customers (n = start..start+count-1), each with a bank account
        and a mandate unless ``mandate_status`` is None. String values (``email`` and
        ``extra``) are formatted with ``{n}``. Deterministic; no events are recorded.
        Returns copies of the customers. 100,000 with mandates take about two seconds."""
        _check_keys("seed_customers", extra, resources.CUSTOMER_FIELDS)
        if mandate_status is not None and mandate_status not in resources.MANDATE_STATUSES:
            raise ValueError(f"unknown mandate status {mandate_status!r}")
        if scheme not in resources.SCHEME_CURRENCY:
            raise ValueError(f"unknown scheme {scheme!r}")
        country = resources.SCHEME_COUNTRY[scheme]
        created = []
        with self.lock:
            stamp = self.stamp()
            customer_template = resources.customer("", stamp, {"given_name": "Customer"})
            customer_template["country_code"] = country
            formatted = {key: value for key, value in extra.items() if isinstance(value, str)}
            customer_template.update(
                {key: value for key, value in extra.items() if key not in formatted}
            )
            account_template = mandate_template = None
            if mandate_status is not None:
                account_template = resources.bank_account(
                    "",
                    stamp,
                    {
                        "bank_name": resources.BANK_NAMES.get(country, "EMULATED BANK"),
                        "country_code": country,
                        "currency": resources.SCHEME_CURRENCY[scheme],
                    },
                )
                charge_date = self.next_charge_date(mandate_status, scheme)
                mandate_template = resources.mandate(
                    "",
                    stamp,
                    {
                        "next_possible_charge_date": charge_date,
                        "scheme": scheme,
                        "status": mandate_status,
                    },
                )
                if scheme == "ach":
                    mandate_template["next_possible_standard_ach_charge_date"] = charge_date
            customers, accounts = self.tables["customers"], self.tables["customer_bank_accounts"]
            mandates, creditor_id = self.tables["mandates"], self.creditor["id"]
            numbers = range(start, start + count)
            customer_ids = self.new_ids("CU", count)
            if mandate_template is not None:
                account_ids = self.new_ids("BA", count)
                mandate_ids = self.new_ids("MD", count)
                endings = [f"{(k * 37) % 100:02d}" for k in self._numbers("account_number", count)]
                references = [f"EMU-{k:06d}" for k in self._numbers("mandate_reference", count)]
            new_customers, new_accounts, new_mandates = [], [], []
            for index, n in enumerate(numbers):
                customer = dict(customer_template)
                customer["id"] = customer_id = customer_ids[index]
                customer["family_name"] = f"Number {n}"
                customer["email"] = email.format(n=n) if email is not None else None
                customer["metadata"] = {}
                for key, value in formatted.items():
                    customer[key] = value.format(n=n)
                new_customers.append(customer)
                created.append({**customer, "metadata": {}})
                if mandate_template is None:
                    continue
                account = dict(account_template)
                account["id"] = account_id = account_ids[index]
                account["account_holder_name"] = _holder_name(customer)
                account["account_number_ending"] = endings[index]
                account["links"] = {"customer": customer_id}
                account["metadata"] = {}
                new_accounts.append(account)
                mandate = dict(mandate_template)
                mandate["id"] = mandate_ids[index]
                mandate["consent_parameters"] = resources.consent_parameters()
                mandate["links"] = {
                    "creditor": creditor_id,
                    "customer": customer_id,
                    "customer_bank_account": account_id,
                }
                mandate["metadata"] = {}
                mandate["reference"] = references[index]
                new_mandates.append(mandate)
            customers.insert_many(new_customers)
            accounts.insert_many(new_accounts)
            mandates.insert_many(new_mandates)
        return created

    def seed_demo(self) -> dict:
        """Load the deterministic demo data set (see :mod:`gocardless_emulator.demo`)."""
        from . import demo

        with self.lock:
            return demo.load(self)

    # ------------------------------------------------------------------ events

    def record_event(
        self,
        resource_type: str,
        action: str,
        links: dict,
        details: dict | None = None,
        metadata: dict | None = None,
        resource_metadata: dict | None = None,
    ) -> dict:
        """Record an event (the live record). ``details`` keeps only the keys given; an
        API-origin event gets an access-token ``source``."""
        details = {key: value for key, value in (details or {}).items() if value is not None}
        fields = {
            "action": action,
            "details": details,
            "links": {key: value for key, value in links.items() if value},
            "metadata": dict(metadata or {}),
            "resource_metadata": dict(resource_metadata or {}),
            "resource_type": resource_type,
        }
        if details.get("origin") == "api":
            fields["source"] = dict(API_SOURCE)
        with self.lock:
            event_id = self.new_id(PREFIXES["events"])
            event = self.insert("events", resources.event(event_id, self.stamp(), fields))
            self.event_log.append(event_id)
        return event

    def step_event(
        self,
        resource_type: str,
        action: str,
        step: Step,
        links: dict,
        scheme: str | None = None,
        resource: dict | None = None,
        metadata: dict | None = None,
        cause: str | None = None,
        **extra_details,
    ) -> dict:
        """The event of a lifecycle step: origin, cause and description always; the scheme
        and reason code only for a bank's report that has a code in that scheme."""
        details = {"origin": step.origin, "cause": cause or step.cause}
        details["description"] = step.description
        reason_code = (step.reason_codes or {}).get(scheme)
        if reason_code:
            details["scheme"] = scheme
            details["reason_code"] = reason_code
        details.update(extra_details)
        return self.record_event(
            resource_type,
            action,
            links,
            details,
            metadata=metadata,
            resource_metadata=(resource or {}).get("metadata"),
        )

    def events_since(self, index: int) -> tuple[list[dict], int]:
        """Copies of the events recorded after the first ``index`` ones, and the new index."""
        with self.lock:
            ids = self.event_log[index:]
            return [_copy(self.events[event_id]) for event_id in ids], len(self.event_log)

    # ------------------------------------------------------------------ mandate lifecycle

    def mandate_action(self, mandate_id: str, action: str) -> list[dict]:
        """Move a mandate along its lifecycle and record the GoCardless event(s); copies."""
        if action not in lifecycle.MANDATE_STEPS:
            raise ValueError(
                f"unknown mandate action {action!r}; use one of {sorted(lifecycle.MANDATE_STEPS)}"
            )
        with self.lock:
            mandate = self.require("mandates", mandate_id)
            allowed = lifecycle.MANDATE_STEP_FROM.get(action)
            if allowed and mandate["status"] not in allowed:
                raise ValueError(f"{action} applies to a {' or '.join(allowed)} mandate only")
            suspendable = resources.PAYER_SUSPENDABLE_SCHEMES
            if action == "suspended_by_payer" and mandate["scheme"] not in suspendable:
                raise ValueError("only PayTo (pay_to) mandates can be suspended by the payer")
            step = lifecycle.MANDATE_STEPS[action]
            return _copy(self._mandate_step(mandate, action, step))

    def _mandate_step(
        self,
        mandate: dict,
        action: str,
        step: Step,
        metadata: dict | None = None,
        cause: str | None = None,
    ) -> list[dict]:
        links = {"mandate": mandate["id"]}
        if action == "replaced":
            replacement = self.insert_mandate(
                mandate["links"]["customer"],
                "active",
                mandate["scheme"],
                {"links": {"customer_bank_account": mandate["links"]["customer_bank_account"]}},
            )
            mandate["links"]["new_mandate"] = replacement["id"]
            links["new_mandate"] = replacement["id"]
        elif action == "transferred":
            previous = mandate["links"]["customer_bank_account"]
            old_account = self.bank_accounts.get(previous) or {}
            new_account = self.insert_bank_account(
                mandate["links"]["customer"],
                {
                    "currency": old_account.get("currency")
                    or resources.SCHEME_CURRENCY[mandate["scheme"]],
                    "country_code": old_account.get("country_code")
                    or resources.SCHEME_COUNTRY[mandate["scheme"]],
                },
            )
            mandate["links"]["customer_bank_account"] = new_account["id"]
            links["previous_customer_bank_account"] = previous
            links["new_customer_bank_account"] = new_account["id"]
        if step.status is not None:
            mandate["status"] = step.status
            self._refresh_charge_dates(mandate)
        event = self.step_event(
            "mandates",
            action,
            step,
            links,
            mandate["scheme"],
            mandate,
            metadata=metadata,
            cause=cause,
        )
        events = [event]
        if step.status in lifecycle.MANDATE_CASCADE:
            events.extend(self._cancel_pending_payments(mandate, event))
        return events

    def _cancel_pending_payments(self, mandate: dict, parent: dict) -> list[dict]:
        cause = lifecycle.CASCADE_PAYMENT_CANCEL.get(mandate["status"], "mandate_cancelled")
        step = Step(
            "cancelled",
            parent["details"].get("origin") or "gocardless",
            cause,
            "The mandate for this payment was cancelled, so the payment was cancelled too.",
        )
        events = []
        for payment in list(self.payments.values()):
            if payment["links"].get("mandate") != mandate["id"]:
                continue
            if payment["status"] not in resources.PAYMENT_CASCADE_CANCELLED:
                continue
            payment["status"] = "cancelled"
            events.append(
                self.step_event(
                    "payments",
                    "cancelled",
                    step,
                    {"payment": payment["id"], "parent_event": parent["id"]},
                    payment["scheme"],
                    payment,
                )
            )
        return events

    def mandate_created(self, mandate: dict, origin_links: dict | None = None) -> dict:
        """Record ``mandates/created`` for a mandate a Billing Request made."""
        return self.step_event(
            "mandates",
            "created",
            lifecycle.MANDATE_CREATED,
            {"mandate": mandate["id"], **(origin_links or {})},
            resource=mandate,
        )

    # ------------------------------------------------------------------ payment lifecycle

    def payment_action(self, payment_id: str, action: str) -> list[dict]:
        """Move a payment along its lifecycle and record the GoCardless event(s); copies.

        ``paid_out`` puts the payment in the open payout of its currency (see
        :meth:`pay_out` for payouts made like GoCardless's); ``failed`` or ``charged_back``
        of a paid-out payment is deducted from the next :meth:`pay_out`."""
        if action not in lifecycle.PAYMENT_STEPS:
            raise ValueError(
                f"unknown payment action {action!r}; use one of {sorted(lifecycle.PAYMENT_STEPS)}"
            )
        with self.lock:
            payment = self.require("payments", payment_id)
            allowed = lifecycle.PAYMENT_STEP_FROM.get(action)
            if allowed and payment["status"] not in allowed:
                raise ValueError(f"{action} applies to a {' or '.join(allowed)} payment only")
            if action == "resubmission_requested":
                if payment["status"] != "failed":
                    raise ValueError("resubmission_requested applies to a failed payment only")
                retries = self._retry_counts.get(payment["id"], 0)
                if retries >= resources.MAX_PAYMENT_RETRIES:
                    raise ValueError(f"payments are retried at most {retries} times")
                self._retry_counts[payment["id"]] = retries + 1
            return _copy(self._payment_step(payment, action, lifecycle.PAYMENT_STEPS[action]))

    def _payment_step(
        self, payment: dict, action: str, step: Step, metadata: dict | None = None
    ) -> list[dict]:
        links = {"payment": payment["id"]}
        extra = {}
        previous = payment["status"]
        desk = self.payouts_desk
        if action == "paid_out" and previous != "paid_out":
            desk.pay_into_open_payout(payment)
        if action == "paid_out":
            links["payout"] = payment["links"].get("payout")
        if action in ("failed", "charged_back") and previous == "paid_out":
            desk.queue_deduction(payment, "late_failure" if action == "failed" else "chargeback")
        if action == "chargeback_cancelled":
            desk.withdraw_chargeback(payment)
        if action == "failed":
            retries = self._retry_counts.get(payment["id"], 0)
            extra["will_attempt_retry"] = bool(
                payment.get("retry_if_possible") and retries < resources.MAX_PAYMENT_RETRIES
            )
        if step.status is not None:
            payment["status"] = step.status
        events = [
            self.step_event(
                "payments", action, step, links, payment["scheme"], payment, metadata, **extra
            )
        ]
        events.extend(self._first_payment_moves_mandate(payment, action))
        return events

    def _first_payment_moves_mandate(self, payment: dict, action: str) -> list[dict]:
        """SEPA, ACH, BECS and BECS NZ mandates are submitted with their first payment and
        become active when it is confirmed."""
        mandate = self.mandates.get(payment["links"].get("mandate"))
        if mandate is None or mandate["scheme"] not in resources.FIRST_PAYMENT_SCHEMES:
            return []
        if action == "submitted" and mandate["status"] == "pending_submission":
            step = lifecycle.MANDATE_STEPS["submitted"]
            return self._mandate_step(mandate, "submitted", step)
        if action == "confirmed" and mandate["status"] == "submitted":
            return self._mandate_step(mandate, "active", lifecycle.MANDATE_STEPS["active"])
        return []

    def payout_action(self, payout_id: str, action: str) -> list[dict]:
        """``paid`` or ``bounced``: set the payout's status and record a payouts event."""
        if action not in lifecycle.PAYOUT_STEPS:
            raise ValueError(f"unknown payout action {action!r}; use paid or bounced")
        with self.lock:
            payout = self.require("payouts", payout_id)
            return _copy([self.payouts_desk.payout_step(payout, action)])

    def pay_out(
        self,
        currency: str = "GBP",
        *,
        payments: list[str] | None = None,
        paid: bool = True,
        settle: bool = True,
        extra_items: list[dict] | tuple = (),
        amount_adjustment: int = 0,
        arrival_date: str | None = None,
        reference: str | None = None,
    ) -> dict:
        """Pay out like GoCardless: see :meth:`.payouts.Payouts.pay_out`. Returns a copy."""
        with self.lock:
            return _copy(
                self.payouts_desk.pay_out(
                    currency,
                    payments=payments,
                    paid=paid,
                    settle=settle,
                    extra_items=extra_items,
                    amount_adjustment=amount_adjustment,
                    arrival_date=arrival_date,
                    reference=reference,
                )
            )

    def refund_action(self, refund_id: str, action: str) -> list[dict]:
        """Move a refund along (``submitted``, ``paid``, ``failed``, ``cancelled``,
        ``funds_returned``) and record the refunds event; copies."""
        with self.lock:
            return _copy(self.payouts_desk.refund_action(refund_id, action))

    # ------------------------------------------------------------------ billing requests

    def complete_billing_request_flow(self, flow_id: str, **details) -> dict:
        """Do what a payer does on the flow's page, without a browser: open it
        (``flow_visited``), then submit the customer's details (``given_name``,
        ``family_name``, ``company_name``, ``email``, ``address_line1``, ``city``,
        ``postal_code``, ``country_code``... each defaulting to the flow's prefilled value)
        and a fake bank account (``account_number`` or ``iban``, ``account_holder_name``).
        With the flow's ``auto_fulfil`` (the default) the request is fulfilled and its
        mandate created. Returns a copy of the Billing Request. ``ValueError`` when a
        required detail is missing or the flow cannot be used any more."""
        with self.lock:
            flow = self.require("billing_request_flows", flow_id)
            self.billing.visit_flow(flow)
            return _copy(self.billing.complete_flow(flow, details))

    def visit_billing_request_flow(self, flow_id: str) -> dict:
        """The payer opens the flow's page: records ``flow_visited``; returns the event."""
        with self.lock:
            return _copy(self.billing.visit_flow(self.require("billing_request_flows", flow_id)))

    def exit_billing_request_flow(self, flow_id: str) -> dict:
        """The payer leaves the page by its exit link: records ``flow_exited``."""
        with self.lock:
            return _copy(self.billing.exit_flow(self.require("billing_request_flows", flow_id)))

    # ------------------------------------------------------------------ customers

    def remove_customer(self, customer_id: str) -> dict:
        """As ``DELETE /customers/ID``: later GETs answer 410; records customers/removed."""
        with self.lock:
            return _copy(self.delete_customer(customer_id))

    def delete_customer(self, customer_id: str) -> dict:
        customer = self.require("customers", customer_id)
        self.tables["customers"].remove(customer_id)
        self.removed_customers[customer_id] = customer
        self.step_event(
            "customers",
            "removed",
            lifecycle.CUSTOMER_REMOVED,
            {"customer": customer_id},
            resource=customer,
        )
        return customer

    # ------------------------------------------------------------------ API operations

    def create_customer(self, fields: dict) -> dict:
        return self.insert_customer(fields)

    def update_customer(self, customer: dict, fields: dict) -> dict:
        for key, value in fields.items():
            customer[key] = dict(value or {}) if key == "metadata" else value
        return customer

    def update_fields(self, resource: dict, fields: dict) -> dict:
        """``PUT`` of the updatable fields (metadata, and a payment's retry_if_possible)."""
        if "metadata" in fields:
            resource["metadata"] = dict(fields["metadata"] or {})
        for key, value in fields.items():
            if key != "metadata":
                resource[key] = value
        return resource

    def disable_bank_account(self, account: dict) -> dict:
        """Disable a bank account; its live mandates are cancelled (bank_account_disabled)."""
        if account["enabled"]:
            account["enabled"] = False
            step = Step(
                "cancelled",
                "api",
                "bank_account_disabled",
                "The customer's bank account was disabled, so the mandate was cancelled.",
            )
            for mandate in list(self.mandates.values()):
                linked = mandate["links"].get("customer_bank_account") == account["id"]
                if linked and mandate["status"] not in resources.MANDATE_FINAL:
                    self._mandate_step(mandate, "cancelled", step)
        return account

    def cancel_mandate(self, mandate: dict, metadata: dict | None) -> dict:
        """GoCardless refuses only a mandate that is already cancelled."""
        if mandate["status"] == "cancelled":
            raise problems.invalid_state(
                "cancellation_failed", "The mandate could not be cancelled: it is cancelled."
            )
        self._mandate_step(mandate, "cancelled", lifecycle.API_MANDATE_CANCEL, metadata)
        return mandate

    def reinstate_mandate(self, mandate: dict, metadata: dict | None) -> dict:
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
        done = self._reinstatements.get(mandate["id"], 0)
        if done >= resources.MAX_REINSTATEMENTS:
            raise problems.invalid_state(
                "reinstatement_failed",
                f"A mandate can be resubmitted at most {resources.MAX_REINSTATEMENTS} times.",
            )
        self._reinstatements[mandate["id"]] = done + 1
        self._mandate_step(
            mandate, "resubmission_requested", lifecycle.API_MANDATE_REINSTATE, metadata
        )
        return mandate

    def payment_limit_errors(self, amount: int, mandate: dict) -> list[dict]:
        """The per-payment limits of the mandate's scheme (``payment_limits``)."""
        limits = self.payment_limits.get(mandate["scheme"])
        if not limits:
            return []
        minimum, maximum = limits
        if minimum is not None and amount < minimum:
            message = "is less than the permitted scheme minimum"
        elif maximum is not None and amount > maximum:
            message = "is greater than the permitted scheme maximum"
        else:
            return []
        return [problems.field_error("payments", "amount", message)]

    def create_payment(self, mandate: dict, fields: dict) -> dict:
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
        payment = self.insert_payment(
            mandate["id"], fields["amount"], fields["currency"], status, values
        )
        self.step_event(
            "payments",
            "created",
            lifecycle.API_PAYMENT_CREATE,
            {"payment": payment["id"]},
            payment["scheme"],
            payment,
        )
        return payment

    def cancel_payment(self, payment: dict, metadata: dict | None) -> dict:
        if payment["status"] not in resources.PAYMENT_CANCELLABLE:
            raise problems.invalid_state(
                "cancellation_failed",
                f"The payment could not be cancelled because it is {payment['status']}; "
                "only a payment pending submission can be cancelled.",
            )
        self._payment_step(payment, "cancelled", lifecycle.API_PAYMENT_CANCEL, metadata)
        return payment

    def retry_payment(self, payment: dict, charge_date: str | None, metadata: dict | None):
        mandate = self.mandates[payment["links"]["mandate"]]
        if payment["status"] != "failed":
            raise problems.invalid_state(
                "retry_failed",
                f"Only failed payments can be retried; this one is {payment['status']}.",
            )
        if self._retry_counts.get(payment["id"], 0) >= resources.MAX_PAYMENT_RETRIES:
            raise problems.invalid_state(
                "retry_failed",
                f"Payments can be retried up to {resources.MAX_PAYMENT_RETRIES} times.",
            )
        if mandate["status"] != "active":
            raise problems.invalid_state(
                "mandate_is_inactive",
                f"The mandate is {mandate['status']}: only a payment on an active mandate can "
                "be retried.",
            )
        self._retry_counts[payment["id"]] = self._retry_counts.get(payment["id"], 0) + 1
        payment["charge_date"] = charge_date or mandate["next_possible_charge_date"]
        self._payment_step(payment, "resubmission_requested", lifecycle.API_PAYMENT_RETRY, metadata)
        return payment

    # ------------------------------------------------------------------ introspection

    def counts(self) -> dict:
        with self.lock:
            mandate_status: dict[str, int] = {}
            for mandate in self.mandates.values():
                mandate_status[mandate["status"]] = mandate_status.get(mandate["status"], 0) + 1
            payment_status: dict[str, int] = {}
            for payment in self.payments.values():
                payment_status[payment["status"]] = payment_status.get(payment["status"], 0) + 1
            return {
                "customers": len(self.customers),
                "removed_customers": len(self.removed_customers),
                "customer_bank_accounts": len(self.bank_accounts),
                "mandates": len(self.mandates),
                "payments": len(self.payments),
                "payouts": len(self.payouts),
                "payout_items": sum(len(items) for items in self.payout_items.values()),
                "refunds": len(self.refunds),
                "billing_requests": len(self.billing_requests),
                "billing_request_flows": len(self.billing_request_flows),
                "events": len(self.events),
                "mandates_by_status": dict(sorted(mandate_status.items())),
                "payments_by_status": dict(sorted(payment_status.items())),
            }

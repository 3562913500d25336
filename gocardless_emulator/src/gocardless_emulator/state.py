"""The emulator's data: storage, seeding and lifecycle (no HTTP here).

All state lives in plain dicts guarded by one re-entrant lock, shared by the HTTP handler
threads and the caller's thread. Resources are kept in creation order, which is also the
paging order.
"""

from __future__ import annotations

import copy
import datetime as _dt
import threading
import time

from . import lifecycle, resources
from .lifecycle import Step

# kind (URL plural) -> attribute holding the dict id -> resource
STORES = {
    "customers": "customers",
    "customer_bank_accounts": "bank_accounts",
    "mandates": "mandates",
    "payments": "payments",
    "payouts": "payouts",
    "events": "events",
}
PREFIXES = {
    "customers": "CU",
    "customer_bank_accounts": "BA",
    "mandates": "MD",
    "payments": "PM",
    "payouts": "PO",
    "events": "EV",
}
CREDITOR_ID = "CR000000000001"
_DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

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


def _base36(number: int) -> str:
    text = ""
    while number:
        number, digit = divmod(number, 36)
        text = _DIGITS[digit] + text
    return text or "0"


def _check_keys(what: str, fields: dict, allowed) -> None:
    unknown = sorted(set(fields) - set(allowed) - {"id", "created_at"})
    if unknown:
        raise TypeError(f"{what}: unknown field(s) {', '.join(unknown)}")


def _now() -> _dt.datetime:
    """The emulator's one clock (``time.time``, so freezegun affects every thread alike)."""
    return _dt.datetime.fromtimestamp(time.time(), _dt.timezone.utc)


def _today() -> _dt.date:
    return _now().date()


def _holder_name(customer: dict) -> str:
    if customer.get("company_name"):
        return customer["company_name"]
    names = [customer.get("given_name") or "", customer.get("family_name") or ""]
    return " ".join(name for name in names if name) or "Account Holder"


class EmulatorState:
    """Storage, seeding and lifecycle. :class:`gocardless_emulator.Emulator` adds HTTP."""

    def __init__(
        self,
        access_token: str = "emulator-token",
        creditor_name: str = "Emulated Creditor Ltd",
        rate_limit: int | None = 1000,
    ):
        self._lock = threading.RLock()
        self.access_token = access_token
        self.rate_limit = rate_limit
        self.webhook_target: tuple[str, str] | None = None
        self.customers: dict[str, dict] = {}
        self.bank_accounts: dict[str, dict] = {}
        self.mandates: dict[str, dict] = {}
        self.payments: dict[str, dict] = {}
        self.payouts: dict[str, dict] = {}
        self.events: dict[str, dict] = {}
        self.removed_customers: dict[str, dict] = {}
        self.payout_items: dict[str, list[dict]] = {}
        self._clear_state()
        self.creditor = resources.creditor(CREDITOR_ID, self._stamp(), creditor_name)

    # ------------------------------------------------------------------ storage

    def _clear_state(self) -> None:
        with self._lock:
            for attribute in STORES.values():
                getattr(self, attribute).clear()
            self.removed_customers.clear()
            self.payout_items.clear()
            self._order: dict[str, list[str]] = {kind: [] for kind in STORES}
            self._pos: dict[str, dict[str, int]] = {kind: {} for kind in STORES}
            self._counters: dict[str, int] = {}
            self._idempotency: dict[tuple, str] = {}
            self._retry_counts: dict[str, int] = {}
            self._open_payouts: dict[str, str] = {}
            self._webhook_cursor = 0
            self._outbox: list[dict] = []

    def _store(self, kind: str) -> dict:
        return getattr(self, STORES[kind])

    def _next(self, name: str) -> int:
        self._counters[name] = self._counters.get(name, 0) + 1
        return self._counters[name]

    def _new_id(self, kind: str) -> str:
        return PREFIXES[kind] + _base36(self._next(kind)).rjust(12, "0")

    def _stamp(self) -> str:
        return resources.format_timestamp(_now())

    def _created(self, fields: dict) -> str:
        value = fields.pop("created_at", None)
        return resources.normalize_timestamp(value) if value else self._stamp()

    def _take_id(self, kind: str, fields: dict) -> str:
        resource_id = fields.pop("id", None) or self._new_id(kind)
        if resource_id in self._pos[kind]:
            raise ValueError(f"{kind}: id {resource_id} already exists")
        return resource_id

    def _insert(self, kind: str, resource: dict) -> dict:
        resource_id = resource["id"]
        self._store(kind)[resource_id] = resource
        self._pos[kind][resource_id] = len(self._order[kind])
        self._order[kind].append(resource_id)
        return resource

    def _customer(self, customer_id: str) -> dict:
        try:
            return self.customers[customer_id]
        except KeyError:
            raise KeyError(f"unknown customer {customer_id}") from None

    def _mandate(self, mandate_id: str) -> dict:
        try:
            return self.mandates[mandate_id]
        except KeyError:
            raise KeyError(f"unknown mandate {mandate_id}") from None

    def _payment(self, payment_id: str) -> dict:
        try:
            return self.payments[payment_id]
        except KeyError:
            raise KeyError(f"unknown payment {payment_id}") from None

    def _next_charge_date(self, status: str, scheme: str) -> str | None:
        if status not in resources.MANDATE_PAYABLE:
            return None
        lead = resources.SCHEME_LEAD_DAYS.get(scheme, resources.DEFAULT_LEAD_DAYS)
        if status != "active":
            lead += 2
        return resources.add_working_days(_today(), lead).isoformat()

    def _refresh_charge_dates(self, mandate: dict) -> None:
        mandate["next_possible_charge_date"] = self._next_charge_date(
            mandate["status"], mandate["scheme"]
        )
        if mandate["scheme"] == "ach":
            mandate["next_possible_standard_ach_charge_date"] = mandate["next_possible_charge_date"]

    # ------------------------------------------------------------------ seeding

    def add_customer(self, **fields) -> dict:
        """Create a customer directly (no validation, no event). Returns a copy."""
        _check_keys("add_customer", fields, resources.CUSTOMER_FIELDS)
        with self._lock:
            customer = self._add_customer(fields)
            return copy.deepcopy(customer)

    def _add_customer(self, fields: dict) -> dict:
        fields = dict(fields)
        customer_id = self._take_id("customers", fields)
        created_at = self._created(fields)
        fields["metadata"] = dict(fields.get("metadata") or {})
        return self._insert("customers", resources.customer(customer_id, created_at, fields))

    def add_bank_account(self, customer_id: str, **fields) -> dict:
        """Create a customer bank account (BA...) for a customer. Returns a copy."""
        _check_keys("add_bank_account", fields, _BANK_ACCOUNT_KEYS)
        with self._lock:
            return copy.deepcopy(self._add_bank_account(customer_id, fields))

    def _add_bank_account(self, customer_id: str, fields: dict) -> dict:
        customer = self._customer(customer_id)
        fields = dict(fields)
        account_id = self._take_id("customer_bank_accounts", fields)
        created_at = self._created(fields)
        country = fields.get("country_code") or customer.get("country_code") or "GB"
        number = self._next("account_number")
        defaults = {
            "account_holder_name": _holder_name(customer),
            "account_number_ending": f"{(number * 37) % 100:02d}",
            "bank_name": resources.BANK_NAMES.get(country, "EMULATED BANK"),
            "country_code": country,
            "currency": "GBP" if country == "GB" else "EUR",
            "links": {"customer": customer_id},
        }
        defaults.update(fields)
        defaults["links"] = {"customer": customer_id, **(fields.get("links") or {})}
        defaults["metadata"] = dict(fields.get("metadata") or {})
        return self._insert(
            "customer_bank_accounts", resources.bank_account(account_id, created_at, defaults)
        )

    def add_mandate(
        self, customer_id: str, status: str = "active", scheme: str = "bacs", **fields
    ) -> dict:
        """Create a mandate (and a bank account unless ``links.customer_bank_account``)."""
        _check_keys("add_mandate", fields, _MANDATE_KEYS)
        with self._lock:
            return copy.deepcopy(self._add_mandate(customer_id, status, scheme, fields))

    def _add_mandate(self, customer_id: str, status: str, scheme: str, fields: dict) -> dict:
        if status not in resources.MANDATE_STATUSES:
            raise ValueError(f"unknown mandate status {status!r}")
        if scheme not in resources.SCHEME_CURRENCY:
            raise ValueError(f"unknown scheme {scheme!r}")
        customer = self._customer(customer_id)
        fields = dict(fields)
        given_links = dict(fields.pop("links", None) or {})
        account_id = given_links.pop("customer_bank_account", None)
        if not account_id:
            country = customer.get("country_code") or resources.SCHEME_COUNTRY[scheme]
            account = self._add_bank_account(
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
            or f"EMU-{self._next('mandate_reference'):06d}",
            "scheme": scheme,
            "status": status,
            "next_possible_charge_date": self._next_charge_date(status, scheme),
        }
        if scheme == "ach":
            values["next_possible_standard_ach_charge_date"] = values["next_possible_charge_date"]
        values.update(fields)
        return self._insert("mandates", resources.mandate(mandate_id, created_at, values))

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
        with self._lock:
            payment = self._add_payment(mandate_id, amount, currency, status, fields)
            if status == "paid_out" and not payment["links"].get("payout"):
                self._pay_out(payment)
            return copy.deepcopy(payment)

    def _add_payment(
        self, mandate_id: str, amount: int, currency: str | None, status: str, fields: dict
    ) -> dict:
        if status not in resources.PAYMENT_STATUSES:
            raise ValueError(f"unknown payment status {status!r}")
        mandate = self._mandate(mandate_id)
        fields = dict(fields)
        payment_id = self._take_id("payments", fields)
        created_at = self._created(fields)
        links = {"creditor": self.creditor["id"], "mandate": mandate_id}
        links.update(fields.pop("links", None) or {})
        charge_date = fields.pop("charge_date", None) or mandate["next_possible_charge_date"]
        if not charge_date:
            lead = resources.SCHEME_LEAD_DAYS.get(mandate["scheme"], 2)
            charge_date = resources.add_working_days(_today(), lead).isoformat()
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
        return self._insert("payments", resources.payment(payment_id, created_at, values))

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
        with self._lock:
            return copy.deepcopy(self._add_payout(currency, amount, deducted_fees, status, fields))

    def _add_payout(
        self, currency: str, amount: int, deducted_fees: int, status: str, fields: dict
    ) -> dict:
        if status not in resources.PAYOUT_STATUSES:
            raise ValueError(f"unknown payout status {status!r}")
        fields = dict(fields)
        payout_id = self._take_id("payouts", fields)
        created_at = self._created(fields)
        links = {"creditor": self.creditor["id"]}
        account = self.creditor["links"].get(f"default_{currency.lower()}_payout_account")
        if account:
            links["creditor_bank_account"] = account
        links.update(fields.pop("links", None) or {})
        values = {
            "amount": amount,
            "arrival_date": resources.add_working_days(_today(), 1).isoformat(),
            "currency": currency,
            "deducted_fees": deducted_fees,
            "links": links,
            "metadata": dict(fields.pop("metadata", None) or {}),
            "reference": f"EMU-{payout_id[-6:]}",
            "status": status,
        }
        values.update(fields)
        payout = self._insert("payouts", resources.payout(payout_id, created_at, values))
        self.payout_items[payout_id] = []
        return payout

    def add_payout_item(
        self,
        payout_id: str,
        type: str,  # noqa: A002 - the API's own field name
        amount: int | str,
        links: dict | None = None,
        taxes: list | None = None,
    ) -> dict:
        """Append an item to a payout. An int ``amount`` (minor units) becomes ``"45.0"``."""
        with self._lock:
            return copy.deepcopy(self._add_payout_item(payout_id, type, amount, links, taxes))

    def _add_payout_item(self, payout_id, item_type, amount, links=None, taxes=None) -> dict:
        if payout_id not in self.payouts:
            raise KeyError(f"unknown payout {payout_id}")
        if not isinstance(amount, str):
            amount = resources.major_units(amount)
        item = resources.payout_item(
            {
                "amount": amount,
                "links": dict(links or {}),
                "taxes": list(taxes or []),
                "type": item_type,
            }
        )
        self.payout_items[payout_id].append(item)
        return item

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
        """Create ``count`` customers (n = start..start+count-1), each with a mandate unless
        ``mandate_status`` is None. String values (``email`` and ``extra``) are formatted with
        ``{n}``. Deterministic; no events are recorded."""
        _check_keys("seed_customers", extra, resources.CUSTOMER_FIELDS)
        created = []
        with self._lock:
            for n in range(start, start + count):
                fields = {
                    "given_name": "Customer",
                    "family_name": f"Number {n}",
                    "email": email.format(n=n) if email is not None else None,
                    "country_code": resources.SCHEME_COUNTRY.get(scheme, "GB"),
                }
                for key, value in extra.items():
                    fields[key] = value.format(n=n) if isinstance(value, str) else value
                customer = self._add_customer(fields)
                if mandate_status is not None:
                    self._add_mandate(customer["id"], mandate_status, scheme, {})
                created.append(copy.deepcopy(customer))
        return created

    def seed_demo(self) -> dict:
        """Load the deterministic demo data set (see :mod:`gocardless_emulator.demo`)."""
        from . import demo

        with self._lock:
            return demo.load(self)

    # ------------------------------------------------------------------ events

    def record_event(
        self, resource_type: str, action: str, links: dict, details: dict | None = None
    ) -> dict:
        """Record an arbitrary event (delivered to ``webhook_target`` when set)."""
        with self._lock:
            event = self._record_event(resource_type, action, links, details or {})
            result = copy.deepcopy(event)
        self._flush_outbox(sync=True)
        return result

    def _record_event(
        self,
        resource_type: str,
        action: str,
        links: dict,
        details: dict,
        metadata: dict | None = None,
        resource_metadata: dict | None = None,
    ) -> dict:
        fields = {
            "action": action,
            "details": dict(details),
            "links": {key: value for key, value in links.items() if value},
            "metadata": dict(metadata or {}),
            "resource_metadata": dict(resource_metadata or {}),
            "resource_type": resource_type,
        }
        if details.get("origin") == "api":
            fields["source"] = {"name": "Emulator access token", "type": "access_token"}
        event_id = self._new_id("events")
        event = self._insert("events", resources.event(event_id, self._stamp(), fields))
        if self.webhook_target is not None:
            self._outbox.append(event)
        return event

    def _step_event(
        self,
        resource_type: str,
        action: str,
        step: Step,
        links: dict,
        scheme: str | None,
        resource: dict | None = None,
        metadata: dict | None = None,
        cause: str | None = None,
        **extra_details,
    ) -> dict:
        details = {
            "origin": step.origin,
            "cause": cause or step.cause,
            "description": step.description,
            "scheme": scheme,
            "reason_code": (step.reason_codes or {}).get(scheme),
        }
        details.update(extra_details)
        return self._record_event(
            resource_type,
            action,
            links,
            details,
            metadata=metadata,
            resource_metadata=(resource or {}).get("metadata"),
        )

    def _flush_outbox(self, sync: bool = True) -> None:
        """Deliver pending events to ``webhook_target``; overridden by :class:`Emulator`."""
        with self._lock:
            self._outbox.clear()

    # ------------------------------------------------------------------ lifecycle

    def _lifecycle_action(self, kind: str, steps: dict, apply_step, resource_id: str, action):
        """Apply ``steps[action]`` with ``apply_step`` under the lock, then deliver the events
        recorded; return copies of them."""
        if action not in steps:
            raise ValueError(f"unknown {kind} action {action!r}; use one of {sorted(steps)}")
        with self._lock:
            result = copy.deepcopy(apply_step(resource_id, action, steps[action]))
        self._flush_outbox(sync=True)
        return result

    def mandate_action(self, mandate_id: str, action: str) -> list[dict]:
        """Move a mandate along its lifecycle and record the GoCardless event(s)."""
        return self._lifecycle_action(
            "mandate", lifecycle.MANDATE_STEPS, self._mandate_step, mandate_id, action
        )

    def _mandate_step(
        self,
        mandate_id: str,
        action: str,
        step: Step,
        metadata: dict | None = None,
        cause: str | None = None,
    ) -> list[dict]:
        mandate = self._mandate(mandate_id)
        links = {"mandate": mandate_id}
        if action == "replaced":
            replacement = self._add_mandate(
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
            new_account = self._add_bank_account(
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
        event = self._step_event(
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
            parent["details"]["origin"] or "gocardless",
            cause,
            "The mandate for this payment was cancelled, so the payment was cancelled too.",
        )
        events = []
        for payment in list(self.payments.values()):
            if payment["links"].get("mandate") != mandate["id"]:
                continue
            if payment["status"] not in resources.PAYMENT_CANCELLABLE:
                continue
            payment["status"] = "cancelled"
            events.append(
                self._step_event(
                    "payments",
                    "cancelled",
                    step,
                    {"payment": payment["id"], "parent_event": parent["id"]},
                    payment["scheme"],
                    payment,
                )
            )
        return events

    def payment_action(self, payment_id: str, action: str) -> list[dict]:
        """Move a payment along its lifecycle and record the GoCardless event(s)."""
        return self._lifecycle_action(
            "payment", lifecycle.PAYMENT_STEPS, self._payment_step, payment_id, action
        )

    def _payment_step(
        self, payment_id: str, action: str, step: Step, metadata: dict | None = None
    ) -> list[dict]:
        payment = self._payment(payment_id)
        links = {"payment": payment_id}
        extra = {}
        previous_status = payment["status"]
        if action == "paid_out" and not payment["links"].get("payout"):
            self._pay_out(payment)
        if action == "paid_out":
            links["payout"] = payment["links"]["payout"]
        if action in ("failed", "charged_back") and previous_status == "paid_out":
            self._debit_payout(payment, f"payment_{action}")
        if action == "failed":
            extra["will_attempt_retry"] = False
        if step.status is not None:
            payment["status"] = step.status
        event = self._step_event(
            "payments", action, step, links, payment["scheme"], payment, metadata=metadata, **extra
        )
        return [event]

    def _open_payout(self, currency: str) -> dict:
        payout_id = self._open_payouts.get(currency)
        payout = self.payouts.get(payout_id) if payout_id else None
        if payout is None or payout["status"] != "pending":
            payout = self._add_payout(currency, 0, 0, "pending", {})
            self._open_payouts[currency] = payout["id"]
        return payout

    def _pay_out(self, payment: dict) -> dict:
        payout = self._open_payout(payment["currency"])
        fee = lifecycle.gocardless_fee(payment["amount"])
        item_links = {"payment": payment["id"], "mandate": payment["links"]["mandate"]}
        self._add_payout_item(payout["id"], "payment_paid_out", payment["amount"], item_links)
        self._add_payout_item(payout["id"], "gocardless_fee", -fee, item_links)
        payout["amount"] += payment["amount"] - fee
        payout["deducted_fees"] += fee
        payment["links"]["payout"] = payout["id"]
        return payout

    def _debit_payout(self, payment: dict, item_type: str) -> None:
        payout = self._open_payout(payment["currency"])
        item_links = {"payment": payment["id"], "mandate": payment["links"]["mandate"]}
        self._add_payout_item(payout["id"], item_type, -payment["amount"], item_links)
        payout["amount"] -= payment["amount"]

    def payout_action(self, payout_id: str, action: str) -> list[dict]:
        """``paid`` or ``bounced``: set the payout's status and record a payouts event."""
        if action not in lifecycle.PAYOUT_STEPS:
            raise ValueError(f"unknown payout action {action!r}; use paid or bounced")
        with self._lock:
            try:
                payout = self.payouts[payout_id]
            except KeyError:
                raise KeyError(f"unknown payout {payout_id}") from None
            step = lifecycle.PAYOUT_STEPS[action]
            payout["status"] = step.status
            event = self._step_event(
                "payouts",
                action,
                step,
                {"payout": payout_id},
                None,
                payout,
                currency=payout["currency"],
            )
            result = [copy.deepcopy(event)]
        self._flush_outbox(sync=True)
        return result

    def remove_customer(self, customer_id: str) -> dict:
        """As ``DELETE /customers/ID``: later GETs answer 410; records customers/removed."""
        with self._lock:
            customer = self._remove_customer(customer_id)
            result = copy.deepcopy(customer)
        self._flush_outbox(sync=True)
        return result

    def _remove_customer(self, customer_id: str) -> dict:
        customer = self._customer(customer_id)
        del self.customers[customer_id]
        self.removed_customers[customer_id] = customer
        self._step_event(
            "customers",
            "removed",
            lifecycle.CUSTOMER_REMOVED,
            {"customer": customer_id},
            None,
            customer,
        )
        return customer

    # ------------------------------------------------------------------ introspection

    def counts(self) -> dict:
        with self._lock:
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
                "events": len(self.events),
                "mandates_by_status": dict(sorted(mandate_status.items())),
                "payments_by_status": dict(sorted(payment_status.items())),
            }

"""Payouts, their items, and refunds: the money side of the emulated account.

GoCardless pays the confirmed payments of one currency out in one payout, minus its fees
(with VAT on them when it applies), minus what it has to take back since the last payout:
refunds, charge-backs and late failures of payments it had already paid out. Each of those
is an item of the payout; ``payout.amount`` is the sum of the items.

Item amounts are strings in MINOR units with one decimal (``"4500.0"`` is 45.00), credits
positive, debits (fees, refunds, charge-backs) negative; the payout's ``amount`` and
``deducted_fees`` are integers in minor units.
"""

from __future__ import annotations

import datetime as _dt

from . import lifecycle, problems, resources
from .clock import now

_SETTLED_ITEM = {
    "late_failure": "payment_failed",
    "chargeback": "payment_charged_back",
    "refund": "payment_refunded",
}
_FEE_TYPES = ("gocardless_fee", "app_fee")


def _item_amount(item: dict) -> int:
    return int(round(float(item["amount"])))


class Payouts:
    """The payouts and refunds part of an :class:`~gocardless_emulator.state.EmulatorState`."""

    def __init__(self, state):
        self.state = state
        self.clear()

    def clear(self) -> None:
        self._open: dict[str, str] = {}  # currency -> the pending payout paid_out actions fill
        self._unsettled: list[dict] = []  # debits (and credits) waiting for the next payout
        self._fees_charged: dict[str, tuple[int, int]] = {}  # payment -> (fee, vat) paid out

    # ------------------------------------------------------------------ payouts and items

    def insert_payout(
        self, currency: str, amount: int, deducted_fees: int, status: str, fields: dict
    ) -> dict:
        state = self.state
        if status not in resources.PAYOUT_STATUSES:
            raise ValueError(f"unknown payout status {status!r}")
        fields = dict(fields)
        payout_id = fields.pop("id", None) or state.new_id("PO")
        if state.table("payouts").known(payout_id):
            raise ValueError(f"payouts: id {payout_id} already exists")
        created_at = fields.pop("created_at", None)
        created_at = resources.normalize_timestamp(created_at) if created_at else state.stamp()
        links = {"creditor": state.creditor["id"]}
        account = state.creditor["links"].get(f"default_{currency.lower()}_payout_account")
        if account:
            links["creditor_bank_account"] = account
        links.update(fields.pop("links", None) or {})
        values = {
            "amount": amount,
            "arrival_date": resources.add_working_days(
                resources.parse_timestamp(created_at).date(), 1
            ).isoformat(),
            "currency": currency,
            "deducted_fees": deducted_fees,
            "links": links,
            "metadata": dict(fields.pop("metadata", None) or {}),
            "reference": f"EMU-{payout_id[-6:]}",
            "status": status,
        }
        values.update(fields)
        payout = state.insert("payouts", resources.payout(payout_id, created_at, values))
        state.payout_items[payout_id] = []
        return payout

    def add_item(self, payout_id, item_type, amount, links=None, taxes=None) -> dict:
        if payout_id not in self.state.payouts:
            raise KeyError(f"unknown payout {payout_id}")
        if not isinstance(amount, str):
            amount = resources.minor_units_text(amount)
        item = resources.payout_item(
            {
                "amount": amount,
                "links": dict(links or {}),
                "taxes": [dict(tax) for tax in taxes or []],
                "type": item_type,
            }
        )
        self.state.payout_items[payout_id].append(item)
        return item

    def _tax(self, amount: int, currency: str) -> dict:
        text = resources.minor_units_text(amount)
        return {
            "amount": text,
            "currency": currency,
            "destination_amount": text,
            "destination_currency": currency,
            "exchange_rate": "1.0",
            "tax_rate_id": self.state.fees.tax_rate_id,
        }

    def _payment_items(self, payout: dict, payment: dict) -> tuple[int, int]:
        """The items of one paid-out payment; returns (net amount, fees deducted)."""
        links = {"payment": payment["id"], "mandate": payment["links"]["mandate"]}
        currency = payment["currency"]
        self.add_item(payout["id"], "payment_paid_out", payment["amount"], links)
        fee = self.state.fees.fee(payment["amount"], currency)
        vat = self.state.fees.vat(fee)
        deducted = 0
        if fee:
            taxes = [self._tax(-vat, currency)] if vat else []
            self.add_item(payout["id"], "gocardless_fee", -(fee + vat), links, taxes)
            deducted += fee + vat
            if vat:
                payout["tax_currency"] = currency
        app_fee = payment.get("app_fee") or 0
        if app_fee:
            self.add_item(payout["id"], "app_fee", -app_fee, links)
            deducted += app_fee
        self._fees_charged[payment["id"]] = (fee, vat)
        return payment["amount"] - deducted, deducted

    def open_payout(self, currency: str) -> dict:
        payout_id = self._open.get(currency)
        payout = self.state.payouts.get(payout_id) if payout_id else None
        if payout is None or payout["status"] != "pending":
            payout = self.insert_payout(currency, 0, 0, "pending", {})
            self._open[currency] = payout["id"]
        return payout

    def pay_into_open_payout(self, payment: dict) -> dict:
        """The ``paid_out`` lifecycle action: the payment joins the open (pending) payout of
        its currency, with its fee items. Returns that payout."""
        payout = self.open_payout(payment["currency"])
        net, deducted = self._payment_items(payout, payment)
        payout["amount"] += net
        payout["deducted_fees"] += deducted
        payment["links"]["payout"] = payout["id"]
        return payout

    def payout_step(self, payout: dict, action: str) -> dict:
        step = lifecycle.PAYOUT_STEPS[action]
        payout["status"] = step.status
        return self.state.step_event(
            "payouts",
            action,
            step,
            {"payout": payout["id"]},
            resource=payout,
            currency=payout["currency"],
        )

    # ------------------------------------------------------------------ deductions

    def queue_deduction(self, payment: dict, kind: str) -> None:
        """A paid-out payment failed late or was charged back: the next payout of its
        currency takes the money back (and gives the fee back)."""
        self._unsettled.append(
            {"kind": kind, "currency": payment["currency"], "payment": payment["id"]}
        )

    def withdraw_chargeback(self, payment: dict) -> None:
        """A charge-back the payer's bank withdrew: forgotten if not yet deducted, else the
        next payout pays the payment again."""
        for entry in self._unsettled:
            if entry["kind"] == "chargeback" and entry["payment"] == payment["id"]:
                self._unsettled.remove(entry)
                return
        if payment["status"] == "charged_back":
            entry = {"kind": "chargeback_reversal", "payment": payment["id"]}
            self._unsettled.append({**entry, "currency": payment["currency"]})

    def _settle(self, payout: dict, entry: dict) -> tuple[int, int, list[dict]]:
        """Items and event of one queued deduction; returns (net, fees, events)."""
        state = self.state
        if entry["kind"] == "refund":
            refund = state.refunds[entry["refund"]]
            payment = state.payments[refund["links"]["payment"]]
            links = {
                "payment": payment["id"],
                "mandate": payment["links"]["mandate"],
                "refund": refund["id"],
            }
            self.add_item(payout["id"], "payment_refunded", -refund["amount"], links)
            event = state.step_event(
                "refunds",
                "refund_settled",
                lifecycle.REFUND_SETTLED,
                {"refund": refund["id"], "payout": payout["id"]},
                resource=refund,
            )
            return -refund["amount"], 0, [event]
        payment = state.payments[entry["payment"]]
        links = {"payment": payment["id"], "mandate": payment["links"]["mandate"]}
        if entry["kind"] == "chargeback_reversal":
            self.add_item(payout["id"], "payment_paid_out", payment["amount"], links)
            return payment["amount"], 0, []
        self.add_item(payout["id"], _SETTLED_ITEM[entry["kind"]], -payment["amount"], links)
        fee, vat = self._fees_charged.pop(payment["id"], (0, 0))
        if fee:
            taxes = [self._tax(vat, payment["currency"])] if vat else []
            self.add_item(payout["id"], "gocardless_fee", fee + vat, links, taxes)
        step = (
            lifecycle.LATE_FAILURE_SETTLED
            if entry["kind"] == "late_failure"
            else lifecycle.CHARGEBACK_SETTLED
        )
        event = state.step_event(
            "payments",
            step.cause,
            step,
            {"payment": payment["id"], "payout": payout["id"]},
            resource=payment,
        )
        return fee + vat - payment["amount"], -(fee + vat), [event]

    # ------------------------------------------------------------------ pay out

    def pay_out(
        self,
        currency: str,
        *,
        payments=None,
        paid=True,
        settle=True,
        extra_items=(),
        amount_adjustment=0,
        arrival_date=None,
        reference=None,
    ) -> dict:
        """Pay out the confirmed payments of ``currency`` (or the ``payments`` IDs given,
        which must be confirmed) in one new payout.

        Each payment moves to ``paid_out`` (event with ``links.payout``) with its items
        (``payment_paid_out``, ``gocardless_fee`` with VAT in ``taxes`` when the fee
        schedule has a rate, ``app_fee``). With ``settle``, the refunds, charge-backs and
        late failures waiting since the last payout are deducted (``payment_refunded``,
        ``payment_charged_back``, ``payment_failed`` with the fee given back, and the
        ``refund_settled`` / ``chargeback_settled`` / ``late_failure_settled`` events).
        ``extra_items`` (``{"type", "amount" (int, minor units), "links", "taxes"}``) are
        added as given. ``amount`` is the sum of the items plus ``amount_adjustment`` (not
        0: a payout whose items do not add up). With ``paid`` the payout then moves to
        ``paid`` (``payouts/paid`` event), else it stays ``pending``.
        """
        state = self.state
        if currency not in resources.CURRENCIES:
            raise ValueError(f"unknown currency {currency!r}")
        chosen = self._payments_to_pay(currency, payments)
        queued = [e for e in self._unsettled if e["currency"] == currency] if settle else []
        if not chosen and not queued and not extra_items:
            raise ValueError(f"nothing to pay out in {currency}: no confirmed payment")
        fields = {}
        if arrival_date:
            fields["arrival_date"] = arrival_date
        if reference:
            fields["reference"] = reference
        payout = self.insert_payout(currency, 0, 0, "pending", fields)
        amount = deducted = 0
        step = lifecycle.PAYMENT_STEPS["paid_out"]
        for payment in chosen:
            net, fees = self._payment_items(payout, payment)
            amount, deducted = amount + net, deducted + fees
            payment["status"] = "paid_out"
            payment["links"]["payout"] = payout["id"]
            state.step_event(
                "payments",
                "paid_out",
                step,
                {"payment": payment["id"], "payout": payout["id"]},
                resource=payment,
            )
        for entry in queued:
            self._unsettled.remove(entry)
            net, fees, _events = self._settle(payout, entry)
            amount, deducted = amount + net, deducted + fees
        for extra in extra_items:
            item = self.add_item(
                payout["id"], extra["type"], extra["amount"], extra.get("links"), extra.get("taxes")
            )
            value = _item_amount(item)
            amount += value
            if extra["type"] in _FEE_TYPES:
                deducted -= value
        payout["amount"] = amount + int(amount_adjustment)
        payout["deducted_fees"] = deducted
        if paid:
            self.payout_step(payout, "paid")
        return payout

    def _payments_to_pay(self, currency: str, payment_ids) -> list[dict]:
        payments = self.state.payments
        if payment_ids is None:
            return [
                payment
                for payment in payments.values()
                if payment["currency"] == currency and payment["status"] == "confirmed"
            ]
        chosen = []
        for payment_id in payment_ids:
            payment = self.state.require("payments", payment_id)
            if payment["status"] != "confirmed" or payment["currency"] != currency:
                raise ValueError(
                    f"payment {payment_id} is {payment['status']} in {payment['currency']}: "
                    f"only confirmed {currency} payments are paid out"
                )
            chosen.append(payment)
        return chosen

    # ------------------------------------------------------------------ refunds

    def create_refund(self, fields: dict) -> dict:
        """``POST /refunds``, after the request's shape was checked (amount, links.payment,
        total_amount_confirmation present and integers)."""
        state = self.state
        payment = state.payments[fields["links"]["payment"]]
        if payment["status"] not in resources.PAYMENT_REFUNDABLE:
            raise problems.invalid_state(
                "refund_payment_invalid_state",
                f"The payment is {payment['status']}: only confirmed or paid out payments can "
                "be refunded.",
            )
        available = payment["amount"] - (payment["amount_refunded"] or 0)
        if fields["amount"] > available:
            raise problems.invalid_state(
                "available_refund_amount_insufficient",
                f"The payment has {available} left to refund, less than the refund's amount.",
            )
        expected = (payment["amount_refunded"] or 0) + fields["amount"]
        if fields["total_amount_confirmation"] != expected:
            raise problems.invalid_state(
                "total_amount_confirmation_invalid",
                f"total_amount_confirmation must be {expected}: the payment's refunds with "
                "this one.",
            )
        refund_id = state.new_id("RF")
        values = {
            "amount": fields["amount"],
            "currency": payment["currency"],
            "links": {"payment": payment["id"], "mandate": payment["links"]["mandate"]},
            "metadata": dict(fields.get("metadata") or {}),
            "reference": fields.get("reference"),
            "status": "created",
        }
        refund = state.insert("refunds", resources.refund(refund_id, state.stamp(), values))
        payment["amount_refunded"] = expected
        state.step_event(
            "refunds",
            "created",
            lifecycle.REFUND_CREATED,
            {"refund": refund_id, "payment": payment["id"]},
            resource=refund,
        )
        self._unsettled.append(
            {"kind": "refund", "currency": refund["currency"], "refund": refund_id}
        )
        return refund

    def refund_action(self, refund_id: str, action: str) -> list[dict]:
        if action not in lifecycle.REFUND_STEPS:
            raise ValueError(
                f"unknown refund action {action!r}; use one of {sorted(lifecycle.REFUND_STEPS)}"
            )
        refund = self.state.require("refunds", refund_id)
        step = lifecycle.REFUND_STEPS[action]
        refund["status"] = step.status
        event = self.state.step_event(
            "refunds", action, step, {"refund": refund_id}, resource=refund
        )
        return [event]


def payout_items_gone(payout: dict) -> bool:
    """GoCardless serves the items of payouts created in the last 6 months only."""
    created = resources.parse_timestamp(payout["created_at"])
    return now() - created > _dt.timedelta(days=183)

import logging

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..services import const, status_rules
from ..tools import changed_vals, from_minor_units, parse_datetime

_logger = logging.getLogger(__name__)


class GoCardlessRefund(models.Model):
    """A GoCardless refund (RF...): money GoCardless pays back to a customer from one of its
    payments, deducted from a later payout.

    Odoo books it as an outbound customer payment on the GoCardless journal (Dr receivable,
    Cr GoCardless clearing), reconciled with the customer's open credits; a refund that is
    cancelled or bounces after that is reversed (``gocardless.ledger``). Refunds come from
    GoCardless's ``refunds`` events (webhooks and polling); their status follows the same
    rule as payments' (``services/status_rules.py``): never backwards, older events ignored.
    """

    _name = "gocardless.refund"
    _description = "GoCardless Refund"
    _inherit = ["mail.thread", "gocardless.resource.mixin"]
    _order = "gocardless_created_at desc, id desc"
    _rec_name = "gocardless_id"
    _check_company_auto = True
    _gocardless_plural = "refunds"

    account_id = fields.Many2one(
        "gocardless.account", required=True, ondelete="cascade", index=True, readonly=True
    )
    company_id = fields.Many2one(
        related="account_id.company_id", store=True, index=True, precompute=True
    )
    gocardless_id = fields.Char(string="GoCardless ID", required=True, readonly=True)
    payment_id = fields.Many2one(
        "gocardless.payment",
        string="GoCardless payment",
        required=True,
        readonly=True,
        index=True,
        ondelete="cascade",
        check_company=True,
    )
    partner_id = fields.Many2one(
        related="payment_id.partner_id", store=True, index=True, string="Customer"
    )
    status = fields.Selection(const.REFUND_STATUSES, required=True, readonly=True, tracking=True)
    raw_status = fields.Char(string="Status in GoCardless", readonly=True)
    amount = fields.Monetary(currency_field="currency_id", readonly=True)
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    reference = fields.Char(readonly=True)
    gocardless_created_at = fields.Datetime(string="Created in GoCardless", readonly=True)
    account_payment_id = fields.Many2one(
        "account.payment",
        string="Odoo payment",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="restrict",
        check_company=True,
        help="The outbound payment that books the money paid back to the customer.",
    )
    entry_ids = fields.One2many(
        "gocardless.payment.entry", "refund_id", string="Entries", readonly=True
    )
    booking_state = fields.Selection(
        [
            ("waiting", "Waiting for its payment"),
            ("booked", "Booked"),
            ("reversed", "Reversed"),
            ("not_booked", "Not booked"),
        ],
        compute="_compute_booking_state",
        store=True,
        string="Booking",
        help="Waiting for its payment: the payment it refunds is not booked in Odoo yet (the "
        "refund is booked with it). Not booked: Odoo does not book that payment, or the "
        "refund was cancelled or bounced before it was booked.",
    )
    settled_payout_gocardless_id = fields.Char(
        string="Deducted from payout",
        readonly=True,
        help="The GoCardless payout (PO...) the refund was deducted from.",
    )
    last_event_id = fields.Char(string="Last event", readonly=True)
    last_event_at = fields.Datetime(string="Last event at", readonly=True)

    _sql_constraints = [
        (
            "gocardless_id_company_uniq",
            "unique(company_id, gocardless_id)",
            "This GoCardless refund is already recorded for this company.",
        ),
        (
            "account_payment_uniq",
            "unique(account_payment_id)",
            "An Odoo payment books one GoCardless refund only.",
        ),
    ]

    @api.depends(
        "status",
        "entry_ids.kind",
        "payment_id.booking_state",
        "payment_id.entry_ids",
    )
    def _compute_booking_state(self):
        for refund in self:
            kinds = refund.entry_ids.mapped("kind")
            if const.ENTRY_KIND_REFUND_REVERSAL in kinds:
                refund.booking_state = "reversed"
            elif const.ENTRY_KIND_REFUND in kinds:
                refund.booking_state = "booked"
            elif (
                refund.status in const.REFUND_FAILED_STATUSES
                or refund.payment_id.booking_state
                in (
                    "not_booked",
                    "to_record",
                )
            ):
                refund.booking_state = "not_booked"
            else:
                refund.booking_state = "waiting"

    # -- from the API and events ---------------------------------------------------------
    @api.model
    def _gocardless_vals_from_api(self, data, payment):
        """The fields of a refund resource (a dict from the API), without its status."""
        currency = payment.currency_id
        if data.get("currency") and data["currency"] != currency.name:
            raise UserError(
                _(
                    "GoCardless refund %(refund)s is in %(currency)s, its payment %(payment)s "
                    "in %(payment_currency)s. Check the refund in the GoCardless dashboard.",
                    refund=data.get("id"),
                    currency=data.get("currency"),
                    payment=payment.gocardless_id,
                    payment_currency=currency.name,
                )
            )
        return {
            "gocardless_id": data["id"],
            "payment_id": payment.id,
            "amount": float(from_minor_units(data.get("amount") or 0, currency)),
            "currency_id": currency.id,
            "reference": data.get("reference") or False,
            "gocardless_created_at": parse_datetime(data.get("created_at")),
        }

    @api.model
    def _gocardless_store(self, account, data, payment, event=None):
        """Create or refresh the refund of ``data`` (an API dict) for ``payment``
        (a ``gocardless.payment``); its status goes through :meth:`_gocardless_apply_status`.
        Returns the refund."""
        account.ensure_one()
        vals = self._gocardless_vals_from_api(data, payment)
        refund = self._gocardless_find(account.company_id, data["id"])
        if refund:
            changes = changed_vals(refund, vals)
            if changes:
                refund.write(changes)
            refund._gocardless_apply_status(data.get("status"), event=event)
            return refund
        status, raw_status = const.read_status(data.get("status"), const.KNOWN_REFUND_STATUSES)
        refund = self.with_context(mail_create_nolog=True, mail_create_nosubscribe=True).create(
            dict(vals, account_id=account.id, status=status, raw_status=raw_status)
        )
        refund = refund.with_env(self.env)
        self.env["gocardless.ledger"]._gocardless_sync_refunds(refund, event=event)
        return refund

    def _gocardless_apply_status(self, status, event=None):
        """Apply a status GoCardless reports (the payments' rule: never backwards, events
        older than the newest one applied ignored), then bring the books in line. Returns
        the refunds whose status changed."""
        if not status_rules.is_known(status_rules.REFUND, status):
            raw_status = const.read_status(status, const.KNOWN_REFUND_STATUSES)[1]
            self.filtered(lambda refund: refund.raw_status != raw_status).write(
                {"raw_status": raw_status}
            )
            return self.browse()
        event = event or {}
        event_at = parse_datetime(event.get("created_at"))
        changed = self.browse()
        for refund in self:
            decision = status_rules.decide(
                status_rules.REFUND,
                refund.status,
                status,
                action=event.get("action"),
                event_at=event_at,
                last_event_at=refund.last_event_at,
                event_id=event.get("id"),
                last_event_id=refund.last_event_id,
            )
            if decision.outcome in (status_rules.DUPLICATE, status_rules.OLDER):
                continue
            vals = {}
            if decision.record_event and event.get("id"):
                vals["last_event_id"] = event["id"]
            if decision.record_event and event_at:
                vals["last_event_at"] = event_at
            if decision.changes_status:
                vals.update(status=decision.status, raw_status=False)
                changed |= refund
            if vals:
                refund.write(vals)
        self.env["gocardless.ledger"]._gocardless_sync_refunds(self, event=event or None)
        return changed

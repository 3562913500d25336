from decimal import Decimal

from odoo import api, fields, models

from ..services import const
from ..tools import to_decimal


class GoCardlessPaymentEntry(models.Model):
    """One journal entry booked for a GoCardless payment: the entry of its Odoo payment, a
    reversal, the money booked again, a refund or a refund's reversal.

    The list of a payment's entries (``gocardless.payment.entry_ids``, and its journal
    entries ``move_ids``, by date then in the order they were booked) is the payment's whole
    story in the books. ``sequence`` numbers a payment's entries: two transactions booking
    for the same payment at the same moment would give the same number, and the second one
    fails on the unique constraint instead of booking twice.
    """

    _name = "gocardless.payment.entry"
    _description = "GoCardless Payment Entry"
    _order = "date, sequence, id"
    _rec_name = "move_id"
    _check_company_auto = True

    payment_id = fields.Many2one(
        "gocardless.payment",
        string="GoCardless payment",
        required=True,
        ondelete="cascade",
        index=True,
        readonly=True,
    )
    company_id = fields.Many2one(
        related="payment_id.company_id", store=True, index=True, precompute=True
    )
    move_id = fields.Many2one(
        "account.move",
        string="Journal entry",
        required=True,
        ondelete="restrict",
        index=True,
        readonly=True,
        check_company=True,
    )
    sequence = fields.Integer(required=True, readonly=True)
    kind = fields.Selection(const.ENTRY_KINDS, required=True, readonly=True)
    refund_id = fields.Many2one(
        "gocardless.refund",
        ondelete="cascade",
        index="btree_not_null",
        readonly=True,
        check_company=True,
    )
    date = fields.Date(related="move_id.date", store=True)
    move_state = fields.Selection(related="move_id.state", string="Entry status")
    ref = fields.Char(related="move_id.ref", string="Reference")
    currency_id = fields.Many2one(related="move_id.currency_id")
    amount = fields.Monetary(
        compute="_compute_amount",
        currency_field="currency_id",
        help="What the entry puts in the GoCardless clearing account (the money GoCardless "
        "holds until a payout): positive for a payment or the money booked again, negative "
        "for a reversal or a refund.",
    )
    event_gocardless_id = fields.Char(
        string="Event", readonly=True, help="The GoCardless event that booked it (EV...)."
    )
    note = fields.Char(readonly=True, help="Why it was booked, and on which date.")

    _sql_constraints = [
        ("move_uniq", "unique(move_id)", "A journal entry is booked for one GoCardless payment."),
        (
            "payment_sequence_uniq",
            "unique(payment_id, sequence)",
            "Two entries were booked at the same moment for one GoCardless payment: the second "
            "one is refused; try again.",
        ),
    ]

    @api.depends("move_id.line_ids.amount_currency", "move_id.line_ids.account_id")
    def _compute_amount(self):
        clearing = {
            account: account._gocardless_clearing_account()
            for account in self.payment_id.account_id
        }
        for entry in self:
            account = clearing.get(entry.payment_id.account_id)
            currency = entry.move_id.currency_id
            lines = entry.move_id.line_ids.filtered(
                lambda line, account=account: line.account_id == account
            )
            entry.amount = float(
                sum((to_decimal(line.amount_currency, currency) for line in lines), Decimal(0))
            )

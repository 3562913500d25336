from odoo import api, fields, models

from ..services import const

GOCARDLESS_USER = "gocardless_sync.group_gocardless_user"


class AccountPayment(models.Model):
    _inherit = "account.payment"

    gocardless_payment_ids = fields.One2many(
        "gocardless.payment",
        "account_payment_id",
        string="GoCardless payments",
        groups=GOCARDLESS_USER,
    )
    gocardless_payment_id = fields.Many2one(
        "gocardless.payment",
        compute="_compute_gocardless_payment_id",
        string="GoCardless payment",
        groups=GOCARDLESS_USER,
        help="The GoCardless payment that collects this payment (at most one: enforced on "
        "the GoCardless payment).",
    )
    gocardless_status = fields.Selection(
        const.PAYMENT_STATUSES,
        compute="_compute_gocardless_payment_id",
        string="GoCardless status",
        groups=GOCARDLESS_USER,
    )

    @api.depends("gocardless_payment_ids.status")
    def _compute_gocardless_payment_id(self):
        for payment in self:
            payment.gocardless_payment_id = payment.gocardless_payment_ids[:1]
            payment.gocardless_status = payment.gocardless_payment_id.status

    def _gocardless_reconcile_open_items(self):
        """Reconcile each of these (posted) payments with its customer's open receivables of
        its currency (``account.move.line._gocardless_reconcile_open_items``): an inbound
        payment with all the open credits and its open debits by oldest due date until the
        payment is used; an outbound one (a refund) with open credits until it is used. One
        search for all the payments."""
        counterparts = self.env["account.move.line"]
        for payment in self:
            counterparts |= payment.move_id.line_ids.filtered(
                lambda line, payment=payment: line.account_id == payment.destination_account_id
            )
        counterparts._gocardless_reconcile_open_items()

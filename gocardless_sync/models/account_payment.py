from collections import defaultdict

from odoo import api, fields, models

from ..services import const
from ..tools import to_decimal

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
        """Reconcile each of these (posted, inbound) payments with its customer's open
        receivables of its currency: all the open credits, and the debits by oldest due date
        until the payment is used. One search for all the payments; a receivable line used by
        one payment is not offered to the next one of the same customer."""
        if not self:
            return
        AccountMoveLine = self.env["account.move.line"]
        open_lines = AccountMoveLine.search(
            [
                ("company_id", "in", self.company_id.ids),
                ("parent_state", "=", "posted"),
                ("account_type", "=", "asset_receivable"),
                ("reconciled", "=", False),
                ("partner_id", "in", self.partner_id.ids),
                ("move_id", "not in", self.move_id.ids),
            ],
            order="date_maturity, date, id",
        )
        by_key = defaultdict(list)
        for line in open_lines:
            by_key[(line.partner_id.id, line.currency_id.id, line.account_id.id)].append(line)
        for payment in self:
            counterpart = payment.move_id.line_ids.filtered(
                lambda line, payment=payment: line.account_id == payment.destination_account_id
            )
            if not counterpart:
                continue
            candidates = by_key.get(
                (payment.partner_id.id, payment.currency_id.id, counterpart.account_id.id), []
            )
            currency = payment.currency_id
            available = to_decimal(payment.amount, currency)
            chosen = AccountMoveLine
            for line in candidates:
                residual = to_decimal(line.amount_residual_currency, currency)
                if residual < 0:
                    chosen |= line
                    available -= residual
            for line in candidates:
                residual = to_decimal(line.amount_residual_currency, currency)
                if residual > 0 and available > 0:
                    chosen |= line
                    available -= residual
            if chosen:
                (counterpart | chosen).reconcile()
                # the next payment of the same customer must not reuse these lines
                reconciled_ids = set(chosen.filtered("reconciled").ids)
                for key, lines in by_key.items():
                    by_key[key] = [line for line in lines if line.id not in reconciled_ids]

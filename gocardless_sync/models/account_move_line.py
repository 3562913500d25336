from collections import defaultdict

from odoo import fields, models

from ..tools import to_decimal


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    # Not stored (no column, no recomputation): lets the balance export group receivables by
    # commercial entity in one SQL query (_read_group joins res_partner for it).
    gocardless_commercial_partner_id = fields.Many2one(
        related="partner_id.commercial_partner_id", string="Commercial entity (GoCardless)"
    )

    def _gocardless_reconcile_open_items(self):
        """Reconcile each of these open receivable lines with its partner's other open
        receivables of the same account and currency. One search for all the lines; a line
        used by one of them is not offered to the next one of the same customer.

        - A credit (money received: a payment, the money booked again) takes all the open
          credits (credit notes) and the open debits by oldest due date until it is used.
        - A debit (money paid back: a refund) takes the open credits by oldest due date until
          it is used (the credit note or the overpayment it refunds).
        """
        lines = self.filtered(lambda line: not line.reconciled)
        if not lines:
            return
        open_lines = self.search(
            [
                ("company_id", "in", lines.company_id.ids),
                ("parent_state", "=", "posted"),
                ("account_type", "=", "asset_receivable"),
                ("reconciled", "=", False),
                ("partner_id", "in", lines.partner_id.ids),
                ("move_id", "not in", lines.move_id.ids),
            ],
            order="date_maturity, date, id",
        )
        by_key = defaultdict(list)
        for line in open_lines:
            by_key[(line.partner_id.id, line.currency_id.id, line.account_id.id)].append(line)
        for line in lines:
            key = (line.partner_id.id, line.currency_id.id, line.account_id.id)
            chosen = line._gocardless_counterparts(by_key.get(key, []))
            if chosen:
                (line | chosen).reconcile()
                # the next line of the same customer must not reuse these lines
                reconciled_ids = set(chosen.filtered("reconciled").ids)
                for other_key, others in by_key.items():
                    by_key[other_key] = [
                        other for other in others if other.id not in reconciled_ids
                    ]

    def _gocardless_counterparts(self, candidates):
        """The open lines (of ``candidates``, oldest first) that this one line settles."""
        self.ensure_one()
        currency = self.currency_id
        residual = to_decimal(self.amount_residual_currency, currency)
        chosen = self.browse()
        if residual < 0:  # money received: every open credit, then debits until used
            available = -residual
            for line in candidates:
                amount = to_decimal(line.amount_residual_currency, currency)
                if amount < 0:
                    chosen |= line
                    available -= amount
            for line in candidates:
                amount = to_decimal(line.amount_residual_currency, currency)
                if amount > 0 and available > 0:
                    chosen |= line
                    available -= amount
        else:  # money paid back: open credits until used
            available = residual
            for line in candidates:
                amount = to_decimal(line.amount_residual_currency, currency)
                if amount < 0 and available > 0:
                    chosen |= line
                    available += amount
        return chosen

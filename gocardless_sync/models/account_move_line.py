from odoo import fields, models


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    # Not stored (no column, no recomputation): lets the balance export group receivables by
    # commercial entity in one SQL query (_read_group joins res_partner for it).
    gocardless_commercial_partner_id = fields.Many2one(
        related="partner_id.commercial_partner_id", string="Commercial entity (GoCardless)"
    )

from odoo import fields, models

from ..services import const


class GoCardlessExportSkip(models.Model):
    """A customer balance left out of a balance export, and why."""

    _name = "gocardless.export.skip"
    _description = "GoCardless Export Skipped Balance"
    _order = "export_id desc, reason, id"
    _check_company_auto = True

    export_id = fields.Many2one(
        "gocardless.export", required=True, ondelete="cascade", index=True, readonly=True
    )
    company_id = fields.Many2one(
        related="export_id.company_id", store=True, index=True, precompute=True
    )
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, readonly=True, index=True
    )
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    amount = fields.Monetary(
        currency_field="currency_id", readonly=True, help="The open receivable balance."
    )
    reason = fields.Selection(const.EXPORT_SKIP_REASONS, required=True, readonly=True)
    detail = fields.Char(readonly=True)

from odoo import fields, models


class GoCardlessSyncLogLine(models.Model):
    """What a customer sync did with one GoCardless customer."""

    _name = "gocardless.sync.log.line"
    _inherit = "gocardless.sync.line.mixin"
    _description = "GoCardless Customer Sync Line"
    _order = "log_id, sequence, id"

    log_id = fields.Many2one(
        "gocardless.sync.log", required=True, ondelete="cascade", index=True, readonly=True
    )
    company_id = fields.Many2one(related="log_id.company_id", store=True, index=True)
    candidate_partner_ids = fields.Many2many(
        "res.partner",
        "gocardless_sync_log_line_candidate_rel",
        "line_id",
        "partner_id",
        string="Candidates",
        readonly=True,
        context={"active_test": False},  # archived matches are candidates too
        help="The contacts that hold this email (ambiguous or archived matches).",
    )

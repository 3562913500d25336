from odoo import fields, models


class GoCardlessCustomerSyncWizardLine(models.TransientModel):
    """A line of the sync wizard's preview: what the sync would do with one customer."""

    _name = "gocardless.customer.sync.wizard.line"
    _inherit = "gocardless.sync.line.mixin"
    _description = "GoCardless Customer Sync Preview Line"
    _order = "wizard_id, sequence, id"

    wizard_id = fields.Many2one(
        "gocardless.customer.sync.wizard", required=True, ondelete="cascade", index=True
    )
    candidate_partner_ids = fields.Many2many(
        "res.partner",
        "gocardless_sync_wizard_line_candidate_rel",
        "line_id",
        "partner_id",
        string="Candidates",
        readonly=True,
        context={"active_test": False},  # archived matches are candidates too
    )

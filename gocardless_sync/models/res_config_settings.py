from odoo import api, fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    gocardless_account_id = fields.Many2one(
        "gocardless.account", compute="_compute_gocardless_account_id"
    )
    gocardless_environment = fields.Selection(
        related="gocardless_account_id.environment", readonly=False
    )
    gocardless_access_token = fields.Char(
        related="gocardless_account_id.access_token", readonly=False, groups="base.group_system"
    )
    gocardless_webhook_secret = fields.Char(
        related="gocardless_account_id.webhook_secret", readonly=False, groups="base.group_system"
    )
    gocardless_webhook_url = fields.Char(related="gocardless_account_id.webhook_url")
    gocardless_api_base_url = fields.Char(
        related="gocardless_account_id.api_base_url", readonly=False
    )
    gocardless_api_timeout = fields.Float(
        related="gocardless_account_id.api_timeout", readonly=False
    )
    gocardless_sync_policy = fields.Selection(
        related="gocardless_account_id.sync_policy", readonly=False
    )
    gocardless_prompt_new_customers = fields.Boolean(
        related="gocardless_account_id.prompt_new_customers", readonly=False
    )
    gocardless_journal_id = fields.Many2one(
        related="gocardless_account_id.journal_id", readonly=False
    )
    # -- the ledger (issue 15; issue 14: payments made outside Odoo) --
    gocardless_payment_recording = fields.Selection(
        related="gocardless_account_id.payment_recording", readonly=False
    )
    gocardless_book_external_payments = fields.Boolean(
        related="gocardless_account_id.book_external_payments", readonly=False
    )
    gocardless_connection_state = fields.Selection(related="gocardless_account_id.connection_state")
    gocardless_creditor_name = fields.Char(related="gocardless_account_id.creditor_name")

    @api.depends("company_id")
    def _compute_gocardless_account_id(self):
        for settings in self:
            settings.gocardless_account_id = settings.company_id._gocardless_account()

    def action_gocardless_test_connection(self):
        self.ensure_one()
        return self.gocardless_account_id.action_test_connection()

    def action_gocardless_open_account(self):
        self.ensure_one()
        return self.env["gocardless.account"].action_open_overview()

from odoo import api, fields, models

from .. import const


class GoCardlessMandate(models.Model):
    """A GoCardless mandate (MD...) of a linked customer: the authority to collect."""

    _name = "gocardless.mandate"
    _description = "GoCardless Mandate"
    _order = "is_usable desc, gocardless_created_at desc, id desc"
    _rec_name = "gocardless_id"
    _check_company_auto = True

    customer_id = fields.Many2one(
        "gocardless.customer",
        string="GoCardless customer",
        required=True,
        ondelete="cascade",
        index=True,
        check_company=True,
    )
    account_id = fields.Many2one(
        related="customer_id.account_id", store=True, index=True, precompute=True
    )
    company_id = fields.Many2one(
        related="customer_id.company_id", store=True, index=True, precompute=True
    )
    partner_id = fields.Many2one(
        related="customer_id.partner_id", store=True, index=True, string="Contact"
    )
    gocardless_id = fields.Char(string="GoCardless ID", required=True, readonly=True)
    status = fields.Selection(const.MANDATE_STATUSES, required=True, readonly=True)
    scheme = fields.Char(readonly=True)
    currency_code = fields.Char(
        compute="_compute_currency_code", help="The currency the mandate's scheme collects in."
    )
    reference = fields.Char(readonly=True)
    next_possible_charge_date = fields.Date(readonly=True)
    gocardless_created_at = fields.Datetime(string="Created in GoCardless", readonly=True)
    is_usable = fields.Boolean(
        string="Usable",
        compute="_compute_is_usable",
        store=True,
        index=True,
        help="Payments can be created on this mandate (pending customer approval, pending "
        "submission, submitted or active).",
    )
    new_mandate_id = fields.Many2one(
        "gocardless.mandate", string="Replaced by", readonly=True, check_company=True
    )
    dashboard_url = fields.Char(compute="_compute_dashboard_url", string="Dashboard")
    active = fields.Boolean(default=True)

    _sql_constraints = [
        (
            "gocardless_id_company_uniq",
            "unique(company_id, gocardless_id)",
            "This GoCardless mandate is already recorded for this company.",
        ),
    ]

    @api.depends("status")
    def _compute_is_usable(self):
        for mandate in self:
            mandate.is_usable = mandate.status in const.USABLE_MANDATE_STATUSES

    @api.depends("scheme")
    def _compute_currency_code(self):
        for mandate in self:
            mandate.currency_code = const.SCHEME_CURRENCY.get(mandate.scheme or "", False)

    @api.depends("gocardless_id", "account_id.environment")
    def _compute_dashboard_url(self):
        for mandate in self:
            mandate.dashboard_url = (
                mandate.account_id._dashboard_url("mandates", mandate.gocardless_id)
                if mandate.gocardless_id and mandate.account_id
                else False
            )

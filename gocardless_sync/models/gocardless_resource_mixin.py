from odoo import api, fields, models

from ..services import const


class GoCardlessResourceMixin(models.AbstractModel):
    """What the records mirroring a GoCardless resource (customers, mandates, payments)
    share: their GoCardless ID, their account, the link to the GoCardless dashboard, and the
    lookup by GoCardless ID within a company. Inheriting models set ``_gocardless_plural``
    (the resource's name in API and dashboard URLs) and may refine the fields."""

    _name = "gocardless.resource.mixin"
    _description = "GoCardless Resource"
    _gocardless_plural = None

    account_id = fields.Many2one("gocardless.account", readonly=True)
    gocardless_id = fields.Char(string="GoCardless ID", readonly=True)
    dashboard_url = fields.Char(compute="_compute_dashboard_url", string="Dashboard")

    @api.depends("gocardless_id", "account_id.environment")
    def _compute_dashboard_url(self):
        for record in self:
            record.dashboard_url = (
                const.dashboard_url(
                    record.account_id.environment, self._gocardless_plural, record.gocardless_id
                )
                if record.gocardless_id and record.account_id
                else False
            )

    @api.model
    def _gocardless_find(self, company, gocardless_ids):
        """The records of ``company`` with these GoCardless IDs (one ID or several),
        archived ones included."""
        if isinstance(gocardless_ids, str):
            gocardless_ids = [gocardless_ids]
        return self.with_context(active_test=False).search(
            [("company_id", "=", company.id), ("gocardless_id", "in", list(gocardless_ids))]
        )

from odoo import api, fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    gocardless_account_ids = fields.One2many("gocardless.account", "company_id")

    @api.model_create_multi
    def create(self, vals_list):
        companies = super().create(vals_list)
        companies._gocardless_ensure_account()
        return companies

    def _gocardless_ensure_account(self):
        """Create the GoCardless account of the companies that have none; return them all."""
        accounts = self.env["gocardless.account"].search([("company_id", "in", self.ids)])
        missing = self - accounts.company_id
        if missing:
            accounts |= accounts.create([{"company_id": company.id} for company in missing])
        return accounts

    def _gocardless_account(self):
        """The GoCardless account of this company (empty recordset if none)."""
        self.ensure_one()
        return self.gocardless_account_ids[:1]

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
        """Create the GoCardless account of the companies that have none; return them all.

        Runs as superuser (``accounts_sudo``): whoever may create a company gets its
        GoCardless account with it, although only system administrators may create accounts
        by hand, and the new company is not yet among the creator's allowed companies (which
        the multi-company rule checks on create). The account starts empty: no secret."""
        accounts_sudo = self.env["gocardless.account"].sudo()
        accounts_sudo = accounts_sudo.search([("company_id", "in", self.ids)])
        missing = self - accounts_sudo.company_id
        if missing:
            accounts_sudo |= accounts_sudo.create(
                [{"company_id": company.id} for company in missing]
            )
        return accounts_sudo.sudo(False)

    def _gocardless_account(self):
        """The GoCardless account of this company (empty recordset if none)."""
        self.ensure_one()
        return self.gocardless_account_ids[:1]

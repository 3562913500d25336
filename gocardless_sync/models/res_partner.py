from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import email_normalize_all


class ResPartner(models.Model):
    _inherit = "res.partner"

    extra_email_ids = fields.One2many(
        "res.partner.email",
        "partner_id",
        string="Extra emails",
        help="Other addresses of this contact. GoCardless customers are matched by the main "
        "email and by every extra email.",
    )
    gocardless_customer_ids = fields.One2many(
        "gocardless.customer", "partner_id", string="GoCardless customers"
    )
    gocardless_mandate_ids = fields.One2many(
        "gocardless.mandate", "partner_id", string="GoCardless mandates"
    )
    gocardless_payment_ids = fields.One2many(
        "gocardless.payment", "partner_id", string="GoCardless payments"
    )
    gocardless_customer_id = fields.Many2one(
        "gocardless.customer",
        compute="_compute_gocardless_customer_id",
        string="GoCardless customer",
        help="The GoCardless customer of this contact in the current company.",
    )

    @api.depends("gocardless_customer_ids.company_id")
    @api.depends_context("company")
    def _compute_gocardless_customer_id(self):
        company = self.env.company
        for partner in self:
            partner.gocardless_customer_id = partner.gocardless_customer_ids.filtered(
                lambda customer, company=company: customer.company_id == company
            )[:1]

    def _gocardless_all_emails(self):
        """Normalised main email(s) and extra emails of one contact, as a set."""
        self.ensure_one()
        emails = set(email_normalize_all(self.email or ""))
        emails.update(self.extra_email_ids.mapped("email_normalized"))
        return emails

    # -- balance export ------------------------------------------------------------------
    def action_gocardless_export_balances(self, charge_date=None):
        """Export the open receivable balances of these contacts (their commercial
        entities) for GoCardless: create a ``gocardless.export`` batch and open it.

        :param charge_date: optional date to charge on (empty: as soon as possible)
        """
        account = self.env.company._gocardless_account()
        if not account:
            raise UserError(
                _(
                    "%(company)s has no GoCardless account yet. A system administrator can "
                    "create it by saving the GoCardless section of Settings.",
                    company=self.env.company.name,
                )
            )
        batch = self.env["gocardless.export"]._gocardless_export(account, self, charge_date)
        return batch._get_records_action(name=batch.name, context={})

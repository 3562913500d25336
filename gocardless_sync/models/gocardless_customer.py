from odoo import api, fields, models

from ..tools import parse_datetime


class GoCardlessCustomer(models.Model):
    """The link between an Odoo contact and a GoCardless customer (CU...), with a snapshot
    of what GoCardless knows about that customer."""

    _name = "gocardless.customer"
    _inherit = ["gocardless.resource.mixin"]
    _description = "GoCardless Customer"
    _order = "last_synced_at desc, id desc"
    _rec_name = "gocardless_id"
    _check_company_auto = True
    _gocardless_plural = "customers"

    account_id = fields.Many2one(
        "gocardless.account", required=True, ondelete="cascade", index=True, readonly=True
    )
    company_id = fields.Many2one(
        related="account_id.company_id", store=True, index=True, precompute=True
    )
    environment = fields.Selection(related="account_id.environment")
    partner_id = fields.Many2one(
        "res.partner",
        string="Contact",
        required=True,
        ondelete="cascade",
        index=True,
        check_company=True,
    )
    gocardless_id = fields.Char(string="GoCardless ID", required=True, readonly=True)
    given_name = fields.Char(readonly=True)
    family_name = fields.Char(readonly=True)
    company_name = fields.Char(readonly=True)
    email = fields.Char(readonly=True)
    gocardless_created_at = fields.Datetime(string="Created in GoCardless", readonly=True)
    last_synced_at = fields.Datetime(readonly=True)
    mandate_ids = fields.One2many("gocardless.mandate", "customer_id", string="Mandates")
    usable_mandate_count = fields.Integer(compute="_compute_usable_mandate_count")
    active = fields.Boolean(default=True)

    _sql_constraints = [
        (
            "gocardless_id_company_uniq",
            "unique(company_id, gocardless_id)",
            "This GoCardless customer is already linked to a contact of this company.",
        ),
    ]

    @api.depends("gocardless_id", "email")
    def _compute_display_name(self):
        for customer in self:
            customer.display_name = (
                f"{customer.gocardless_id} ({customer.email})"
                if customer.email
                else customer.gocardless_id or ""
            )

    @api.depends("mandate_ids.is_usable")
    def _compute_usable_mandate_count(self):
        for customer in self:
            customer.usable_mandate_count = len(customer.mandate_ids.filtered("is_usable"))

    @api.model
    def _gocardless_vals_from_api(self, data):
        """The snapshot fields of a GoCardless customer resource (a dict from the API)."""
        return {
            "gocardless_id": data["id"],
            "given_name": data.get("given_name") or False,
            "family_name": data.get("family_name") or False,
            "company_name": data.get("company_name") or False,
            "email": (data.get("email") or "").strip() or False,
            "gocardless_created_at": parse_datetime(data.get("created_at")),
        }

from odoo import api, fields, models

from ..services.matching import normalize_email
from ..tools import parse_datetime


class GoCardlessCustomerLinkWizardLine(models.TransientModel):
    """One GoCardless customer found by the link wizard, as GoCardless describes it."""

    _name = "gocardless.customer.link.wizard.line"
    _description = "GoCardless Customer Found"
    _order = "id"

    wizard_id = fields.Many2one(
        "gocardless.customer.link.wizard", required=True, ondelete="cascade", index=True
    )
    gocardless_id = fields.Char(string="GoCardless ID", readonly=True)
    customer_name = fields.Char(string="Name", readonly=True)
    company_name = fields.Char(readonly=True)
    email = fields.Char(readonly=True)
    email_matches = fields.Boolean(
        readonly=True, help="The customer's email is one of the contact's addresses."
    )
    address = fields.Text(readonly=True)
    gocardless_created_at = fields.Datetime(string="Created in GoCardless", readonly=True)
    mandate_count = fields.Integer(string="Mandates", readonly=True)
    mandate_summary = fields.Text(string="Mandates (status)", readonly=True)
    linked_partner_id = fields.Many2one(
        "res.partner",
        string="Already linked to",
        readonly=True,
        help="The contact this GoCardless customer is already linked to in this company.",
    )

    @api.depends("gocardless_id", "customer_name", "email")
    def _compute_display_name(self):
        for line in self:
            parts = [line.gocardless_id or "", line.customer_name or ""]
            if line.email:
                parts.append(f"<{line.email}>")
            line.display_name = " ".join(part for part in parts if part)

    @api.model
    def _vals_from_api(self, wizard, customer, mandates, linked, contact_emails):
        """Line values of one customer dict, its mandate dicts, {GoCardless ID: contact}
        already linked, and the contact's normalised addresses."""
        person = " ".join(
            part for part in (customer.get("given_name"), customer.get("family_name")) if part
        )
        address = "\n".join(
            line
            for line in (
                customer.get("address_line1"),
                customer.get("address_line2"),
                customer.get("address_line3"),
                " ".join(
                    part for part in (customer.get("postal_code"), customer.get("city")) if part
                ),
                customer.get("region"),
                customer.get("country_code"),
            )
            if line
        )
        Mandate = self.env["gocardless.mandate"]
        summary = "\n".join(
            " ".join(
                part
                for part in (
                    mandate["id"],
                    # "Unknown (...)" for a status Odoo does not know, or none
                    Mandate._gocardless_status_label(mandate.get("status")),
                    f"({mandate['scheme']})" if mandate.get("scheme") else "",
                    mandate.get("reference") or "",
                )
                if part
            )
            for mandate in mandates
        )
        return {
            "wizard_id": wizard.id,
            "gocardless_id": customer["id"],
            "customer_name": person or customer.get("company_name") or customer["id"],
            "company_name": customer.get("company_name") or False,
            "email": (customer.get("email") or "").strip() or False,
            "email_matches": normalize_email(customer.get("email")) in contact_emails,
            "address": address or False,
            "gocardless_created_at": parse_datetime(customer.get("created_at")),
            "mandate_count": len(mandates),
            "mandate_summary": summary or False,
            "linked_partner_id": linked.get(customer["id"], self.env["res.partner"]).id,
        }

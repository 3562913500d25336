import re

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..common import check_manager
from ..services.api import GoCardlessError
from ..services.matching import normalize_email

# GoCardless IDs: a two-letter prefix, then letters and digits (length not fixed)
_ID_RE = re.compile(r"^(CU|MD)[0-9A-Z]+$")


class GoCardlessCustomerLinkWizard(models.TransientModel):
    """Link GoCardless customer (a contact's GoCardless tab): find one GoCardless customer by
    email, customer ID or mandate ID, show what GoCardless knows about it, then link it to the
    contact and fetch its mandates. For the customers automatic matching cannot decide."""

    _name = "gocardless.customer.link.wizard"
    _description = "Link a GoCardless Customer"

    partner_id = fields.Many2one("res.partner", string="Contact", required=True, readonly=True)
    lookup = fields.Char(
        string="Email, customer ID or mandate ID",
        compute="_compute_lookup",
        store=True,
        readonly=False,
        help="An email address (compared as Odoo compares addresses: without surrounding "
        "spaces, and without case except in a non-ASCII name before the @), a GoCardless "
        "customer ID (CU...) or a mandate ID (MD...). Empty: every address of the contact.",
    )
    state = fields.Selection([("lookup", "Look up"), ("choose", "Confirm")], default="lookup")
    line_ids = fields.One2many(
        "gocardless.customer.link.wizard.line", "wizard_id", string="Customers found"
    )
    line_count = fields.Integer(compute="_compute_line_count")
    line_id = fields.Many2one(
        "gocardless.customer.link.wizard.line",
        string="GoCardless customer",
        domain="[('wizard_id', '=', id)]",
    )
    # the chosen customer, as GoCardless describes it
    customer_name = fields.Char(related="line_id.customer_name")
    customer_company_name = fields.Char(related="line_id.company_name", string="Company")
    customer_email = fields.Char(related="line_id.email", string="Email")
    customer_address = fields.Text(related="line_id.address", string="Address")
    customer_mandates = fields.Text(related="line_id.mandate_summary", string="Mandates")
    customer_email_matches = fields.Boolean(related="line_id.email_matches")
    customer_linked_partner_id = fields.Many2one(
        related="line_id.linked_partner_id", string="Already linked to"
    )

    @api.depends("partner_id")
    def _compute_lookup(self):
        for wizard in self:
            wizard.lookup = wizard.partner_id._gocardless_main_email() or False

    @api.depends("line_ids")
    def _compute_line_count(self):
        for wizard in self:
            wizard.line_count = len(wizard.line_ids)

    # -- steps ---------------------------------------------------------------------------
    def _check_manager(self):
        check_manager(self.env, _("link contacts to GoCardless customers by hand"))

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "name": _("Link GoCardless customer"),
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }

    def _parse_lookup(self):
        """("email", {normalised addresses}) or ("customer" | "mandate", ID)."""
        value = (self.lookup or "").strip()
        if not value:
            emails = self.partner_id._gocardless_all_emails()
            if not emails:
                raise UserError(
                    _(
                        "Enter an email address, a GoCardless customer ID (CU...) or a "
                        "mandate ID (MD...): the contact has no email address to look for."
                    )
                )
            return "email", emails
        if "@" in value:
            email = normalize_email(value)
            if not email:
                raise UserError(
                    _(
                        "%(value)s is not an email address. Correct it and look up again.",
                        value=value,
                    )
                )
            return "email", {email}
        identity = value.upper()
        if not _ID_RE.match(identity):
            raise UserError(
                _(
                    "%(value)s is neither an email address, nor a GoCardless customer ID "
                    "(CU...) nor a mandate ID (MD...). Copy it from the GoCardless dashboard.",
                    value=value,
                )
            )
        return ("customer" if identity.startswith("CU") else "mandate"), identity

    def _find_customers(self, api, kind, value):
        """GoCardless customer dicts for the lookup. The API has no email filter: an email
        lookup reads every customer (500 a page) and compares normalised addresses."""
        if kind == "email":
            return [
                customer
                for customer in api.list_all("customers")
                if normalize_email(customer.get("email")) in value
            ]
        if kind == "customer":
            return [api.get("customers", value)]
        mandate = api.get("mandates", value)
        customer_id = (mandate.get("links") or {}).get("customer")
        try:
            return [api.get("customers", customer_id)]
        except GoCardlessError as error:
            if error.kind == GoCardlessError.KIND_GONE:
                raise UserError(
                    _(
                        "Mandate %(mandate)s belongs to GoCardless customer %(customer)s, which "
                        "was removed from GoCardless (410): it cannot be linked.",
                        mandate=value,
                        customer=customer_id,
                    )
                ) from error
            raise

    def _lookup_error(self, account, error, kind, value):
        if error.kind == GoCardlessError.KIND_GONE:
            return _(
                "GoCardless customer %(customer)s was removed from GoCardless (410): it cannot be "
                "linked.",
                customer=value,
            )
        if error.kind == GoCardlessError.KIND_NOT_FOUND:
            if kind == "mandate":
                return _(
                    "GoCardless has no mandate %(mandate)s. Check the ID (it starts with MD) "
                    "and that it belongs to this company's GoCardless account.",
                    mandate=value,
                )
            return _(
                "GoCardless has no customer %(customer)s. Check the ID (it starts with CU) and "
                "that it belongs to this company's GoCardless account.",
                customer=value,
            )
        return account._gocardless_error_message(error)

    def action_lookup(self):
        """Look the customer up in GoCardless and show it (nothing is linked yet)."""
        self.ensure_one()
        self._check_manager()
        account = self.partner_id._gocardless_account_or_raise()
        kind, value = self._parse_lookup()
        api = account._gocardless_api()
        try:
            customers = self._find_customers(api, kind, value)
            # one list per customer (the API filters mandates by one customer at a time);
            # a lookup finds one customer, or the few that share an email
            mandates = {
                customer["id"]: api.list_all("mandates", {"customer": customer["id"]})
                for customer in customers
            }
        except GoCardlessError as error:
            raise UserError(self._lookup_error(account, error, kind, value)) from error
        if not customers:
            raise UserError(
                _(
                    "No GoCardless customer has the email %(emails)s. GoCardless may know this "
                    "customer under another address: look it up by its customer ID (CU...) or "
                    "a mandate ID (MD...).",
                    emails=", ".join(sorted(value)),
                )
            )
        linked = {
            customer.gocardless_id: customer.partner_id
            for customer in self.env["gocardless.customer"]._gocardless_find(
                account.company_id, [customer["id"] for customer in customers]
            )
        }
        contact_emails = self.partner_id._gocardless_all_emails()
        Line = self.env["gocardless.customer.link.wizard.line"]
        self.line_ids.unlink()
        lines = Line.create(
            [
                Line._vals_from_api(
                    self, customer, mandates[customer["id"]], linked, contact_emails
                )
                for customer in customers
            ]
        )
        self.write({"state": "choose", "line_id": lines.id if len(lines) == 1 else False})
        return self._reopen()

    def action_back(self):
        self.ensure_one()
        self.line_ids.unlink()
        self.write({"state": "lookup", "line_id": False})
        return self._reopen()

    def action_link(self):
        """Link the chosen GoCardless customer to the contact and fetch its mandates."""
        self.ensure_one()
        self._check_manager()
        line = self.line_id
        if not line:
            raise UserError(_("Choose the GoCardless customer to link, then click Link."))
        partner = self.partner_id
        partner.check_access("write")
        account = partner._gocardless_account_or_raise()
        Push = self.env["gocardless.customer.push"]
        Push._lock(partner)
        existing = self.env["gocardless.customer"]._gocardless_find(
            account.company_id, line.gocardless_id
        )
        if existing.partner_id == partner:
            raise UserError(
                _(
                    "%(contact)s is already linked to GoCardless customer %(customer)s.",
                    contact=partner.display_name,
                    customer=line.gocardless_id,
                )
            )
        if existing:
            raise UserError(
                _(
                    "GoCardless customer %(customer)s is already linked to %(other)s. A "
                    "GoCardless customer belongs to one contact: remove that link first (in "
                    "Contacts > GoCardless > Customers) if it is wrong.",
                    customer=line.gocardless_id,
                    other=existing.partner_id.display_name,
                )
            )
        api = account._gocardless_api()
        try:
            # read again: the customer may have changed (or been removed) since the lookup
            data = api.get("customers", line.gocardless_id)
            mandates = api.list_all("mandates", {"customer": line.gocardless_id})
        except GoCardlessError as error:
            raise UserError(
                self._lookup_error(account, error, "customer", line.gocardless_id)
            ) from error
        if len(mandates) == 1:
            note = _(
                "Linked by hand to GoCardless customer %(customer)s (1 mandate).",
                customer=data["id"],
            )
        else:
            note = _(
                "Linked by hand to GoCardless customer %(customer)s (%(count)s mandates).",
                customer=data["id"],
                count=len(mandates),
            )
        customer = Push._link(partner, account, data, mandates=mandates, note=note)
        count = len(customer.with_context(active_test=False).mandate_ids)
        if count == 1:
            message = _(
                "%(contact)s is linked to GoCardless customer %(customer)s, with 1 mandate.",
                contact=partner.display_name,
                customer=customer.gocardless_id,
            )
        else:
            message = _(
                "%(contact)s is linked to GoCardless customer %(customer)s, with %(count)s "
                "mandates.",
                contact=partner.display_name,
                customer=customer.gocardless_id,
                count=count,
            )
        return partner._gocardless_notification(
            _("GoCardless customer linked"),
            message,
            close=True,
        )

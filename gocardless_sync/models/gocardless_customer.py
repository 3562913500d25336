from odoo import api, fields, models
from odoo.tools import SQL

from ..services import matching
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

    @api.model
    def _gocardless_known_by_email(self, account, addresses):
        """{normalised address: (GoCardless customer ID, linked contact id or None)} of the
        GoCardless customers of ``account`` known to Odoo with one of these ``addresses``: the
        integration records (their email snapshot) and every customer the account's last
        successful customer sync read (its log lines; the newest log is never deleted). The
        push engine's "known customer" blocker: GoCardless has no email filter, and reading
        every customer for a push would be slow, so customers created in GoCardless after
        the last sync are not known here."""
        addresses = [address for address in addresses if address]
        if not addresses:
            return {}
        self.flush_model(["email", "account_id", "partner_id"])
        self.env["gocardless.sync.log.line"].flush_model(["email", "log_id", "gocardless_id"])
        self.env["gocardless.sync.log"].flush_model(["account_id", "state"])
        # SQL lower() is wider than Odoo's rule (it also folds non-ASCII local parts): the
        # candidates are confirmed below with the rule itself
        lowered = [address.lower() for address in addresses]
        self.env.cr.execute(
            SQL(
                """
                SELECT gocardless_id, email, partner_id, 0 FROM gocardless_customer
                 WHERE account_id = %(account)s AND lower(btrim(email)) = ANY(%(lowered)s)
                 UNION ALL
                SELECT l.gocardless_id, l.email, NULL, 1 FROM gocardless_sync_log_line l
                 WHERE l.log_id = (
                        SELECT id FROM gocardless_sync_log
                         WHERE account_id = %(account)s AND state = 'done'
                         ORDER BY started_at DESC, id DESC LIMIT 1)
                   AND lower(btrim(l.email)) = ANY(%(lowered)s)
                 ORDER BY 4
                """,
                account=account.id,
                lowered=lowered,
            )
        )
        wanted, known = set(addresses), {}
        for gocardless_id, email, partner_id, _source in self.env.cr.fetchall():
            address = matching.normalize_email(email)
            if address in wanted and address not in known:
                known[address] = (gocardless_id, partner_id)
        return known

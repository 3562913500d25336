from collections import defaultdict
from decimal import Decimal

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import email_split, format_amount

from ..common import notification
from ..services import const, matching
from ..tools import to_decimal


class ResPartner(models.Model):
    _inherit = "res.partner"

    extra_email_ids = fields.One2many(
        "res.partner.email",
        "partner_id",
        string="Extra emails",
        help="Other addresses of this contact. GoCardless customers are matched by the main "
        "email and by every extra email.",
    )
    # GoCardless data of the contact: for GoCardless users only (a plain user reading or
    # exporting every field of a contact must not hit the GoCardless models' access rules)
    gocardless_customer_ids = fields.One2many(
        "gocardless.customer",
        "partner_id",
        string="GoCardless customers",
        groups="gocardless_sync.group_gocardless_user",
    )
    gocardless_mandate_ids = fields.One2many(
        "gocardless.mandate",
        "partner_id",
        string="GoCardless mandates",
        groups="gocardless_sync.group_gocardless_user",
    )
    gocardless_payment_ids = fields.One2many(
        "gocardless.payment",
        "partner_id",
        string="GoCardless payments",
        groups="gocardless_sync.group_gocardless_user",
    )
    gocardless_customer_id = fields.Many2one(
        "gocardless.customer",
        groups="gocardless_sync.group_gocardless_user",
        compute="_compute_gocardless_customer_id",
        string="GoCardless customer",
        help="The GoCardless customer of this contact in the current company.",
    )

    # -- the ledger (issue 15) --
    gocardless_waiting_text = fields.Char(
        compute="_compute_gocardless_waiting_text",
        groups="gocardless_sync.group_gocardless_user",
        string="Waiting for GoCardless",
        help="The balances of this customer that Odoo books when GoCardless confirms their "
        "payment or pays it out (as the account records payments).",
    )

    def _compute_gocardless_waiting_text(self):
        """'2 payments are waiting for GoCardless (£ 120.00): ...' for the commercial entity:
        its export lines not booked yet in accounts that book on GoCardless's word (not
        excluded, their GoCardless payment not failed), and its payments made outside Odoo
        waiting likewise. Two searches for all the contacts."""
        entities = self.commercial_partner_id
        lines = self.env["gocardless.export.line"].search(
            [
                ("partner_id", "in", entities.ids),
                ("excluded", "=", False),
                ("payment_id", "=", False),
                ("export_id.account_id.payment_recording", "!=", const.PAYMENT_RECORDING_EXPORT),
                (
                    "gocardless_payment_ids",
                    "not any",
                    [("status", "in", list(const.PAYMENT_FAILED_STATUSES))],
                ),
            ]
        )
        external = self.env["gocardless.payment"].search(
            [
                ("partner_id", "in", entities.ids),
                ("export_line_id", "=", False),
                ("booking_state", "=", "waiting"),
            ]
        )
        amounts = defaultdict(lambda: defaultdict(Decimal))
        counts = defaultdict(int)
        for record in (*lines, *external):
            amounts[record.partner_id.id][record.currency_id] += to_decimal(
                record.amount, record.currency_id
            )
            counts[record.partner_id.id] += 1
        for partner in self:
            entity = partner.commercial_partner_id.id
            count = counts.get(entity, 0)
            if not count:
                partner.gocardless_waiting_text = False
                continue
            total = ", ".join(
                format_amount(self.env, float(amount), currency)
                for currency, amount in sorted(
                    amounts[entity].items(), key=lambda item: item[0].name
                )
            )
            if count == 1:
                partner.gocardless_waiting_text = _(
                    "1 payment is waiting for GoCardless (%(total)s): Odoo books it when "
                    "GoCardless confirms it or pays it out, as the account records payments.",
                    total=total,
                )
            else:
                partner.gocardless_waiting_text = _(
                    "%(count)s payments are waiting for GoCardless (%(total)s): Odoo books each "
                    "one when GoCardless confirms it or pays it out, as the account records "
                    "payments.",
                    count=count,
                    total=total,
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
        emails = set(matching.normalize_emails(self.email))
        emails.update(self.extra_email_ids.mapped("email_normalized"))
        return emails

    # -- pushing a contact to GoCardless: prompt, button, list action (issue 5) ----------
    gocardless_sync_decision = fields.Selection(
        const.SYNC_DECISIONS,
        string="GoCardless synchronization",
        copy=False,
        readonly=True,
        help="What was decided about creating this contact in GoCardless: synchronized, never "
        "pushed automatically, or to be chosen later. Empty: not asked yet.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        # the same rule as write: nobody records a decision at creation (an import, an RPC
        # call) that they could not record afterwards; "synchronized" needs a link, which a
        # new contact does not have, so only Managers may import it
        decisions = {vals.get("gocardless_sync_decision") for vals in vals_list} - {False, None}
        if decisions:
            self.browse()._gocardless_check_decision_write(decisions)
        return super().create(vals_list)

    def write(self, vals):
        if "gocardless_sync_decision" in vals:
            self._gocardless_check_decision_write(vals["gocardless_sync_decision"])
        return super().write(vals)

    def _gocardless_check_decision_write(self, decision):
        """Who may record which decision (one, or a set of decisions for new contacts).
        Managers: any. Supervisors: "never" / "later", and "synchronized" only once the contact
        is linked (the push and the link do it), but never undo a synchronization nor reset
        the question. Others: nothing."""
        user = self.env.user
        if self.env.su or user.has_group(const.GROUP_MANAGER):
            return
        if isinstance(decision, set):  # new contacts: not linked, nothing decided before
            if "synced" in decision and user.has_group(const.GROUP_SUPERVISOR):
                raise AccessError(
                    _(
                        "A new contact is not linked to GoCardless yet: create it first, then "
                        "use Synchronize."
                    )
                )
            decision = next(iter(decision))
        if not user.has_group(const.GROUP_SUPERVISOR):
            raise AccessError(
                _(
                    "Only GoCardless Supervisors and Managers decide whether a contact is "
                    "synchronized with GoCardless."
                )
            )
        if not decision:
            raise AccessError(
                _("Only a GoCardless Manager can ask again whether to synchronize a contact.")
            )
        for partner in self:
            if partner.gocardless_sync_decision == "synced" and decision != "synced":
                raise AccessError(
                    _(
                        "%(contact)s is already synchronized with GoCardless; only a GoCardless "
                        "Manager can change that.",
                        contact=partner.display_name,
                    )
                )
            if decision == "synced" and not partner.gocardless_customer_ids:
                raise AccessError(
                    _(
                        "%(contact)s is not linked to a GoCardless customer: use Synchronize "
                        "to create it in GoCardless.",
                        contact=partner.display_name,
                    )
                )

    def _gocardless_account(self):
        """The GoCardless account of this contact's company (else the current company)."""
        self.ensure_one()
        return (self.company_id or self.env.company)._gocardless_account()

    def _gocardless_account_or_raise(self):
        company = self.company_id or self.env.company
        return self._gocardless_account()._gocardless_check_configured(company)

    def gocardless_should_prompt(self):
        """Whether the web client asks, right after this contact's first save, if it should
        be created in GoCardless. False unless the company's account asks for new customers
        and has a token, the user is a GoCardless Supervisor or Manager who created this
        contact, and nothing was decided yet. Contacts of a company (with a parent) are not
        asked about: their company is the customer."""
        self.ensure_one()
        user = self.env.user
        if (
            not user.has_group(const.GROUP_SUPERVISOR)
            or self.create_uid != user
            or self.gocardless_sync_decision
            or self.parent_id
            or self.gocardless_customer_ids
        ):
            return False
        account = self._gocardless_account()
        return bool(account and account.prompt_new_customers and account.has_access_token)

    def action_gocardless_decide_never(self):
        """Do not synchronize: the contact is never pushed to GoCardless automatically."""
        self._gocardless_set_decision("never")
        return self._gocardless_notification(
            _("Not synchronized"),
            _("%(contact)s will not be created in GoCardless.", contact=self.display_name),
        )

    def action_gocardless_decide_later(self):
        """Choose later: listed under the "GoCardless: choose later" filter, with a banner."""
        self._gocardless_set_decision("later")
        return self._gocardless_notification(
            _("GoCardless: choose later"),
            _(
                '%(contact)s is kept for later: find it with the filter "GoCardless: choose '
                'later".',
                contact=self.display_name,
            ),
        )

    def _gocardless_set_decision(self, decision):
        # write() checks who may record which decision
        self.write({"gocardless_sync_decision": decision})

    def _gocardless_notification(self, title, message, kind="success", sticky=False, close=False):
        """A notification, then the form reloaded (or, with ``close``, the dialog closed and
        the form behind it reloaded)."""
        return notification(
            title,
            message,
            kind=kind,
            sticky=sticky,
            next_action={"type": "ir.actions.act_window_close"} if close else None,
        )

    def _gocardless_main_email(self):
        """The first address of the main email field, or False."""
        self.ensure_one()
        addresses = email_split(self.email or "")
        return addresses[0] if addresses else False

    def action_gocardless_push(self):
        """Synchronize with GoCardless (button, banner, and the question after the first
        save): create this contact as a GoCardless customer and link it (the push engine,
        ``gocardless.customer.push``, checks, creates and links)."""
        self.ensure_one()
        return self.env["gocardless.customer.push"]._push(self)

    def action_gocardless_push_many(self):
        """The list action "Synchronize with GoCardless" (Managers): push every selected
        contact that may be pushed; the others are skipped, with their reason in the result
        (``gocardless.customer.push._push_many``)."""
        return self.env["gocardless.customer.push"]._push_many(self)

    def action_gocardless_open_link_wizard(self):
        """Link GoCardless customer: look one up by email, customer ID or mandate ID."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Link GoCardless customer"),
            "res_model": "gocardless.customer.link.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_partner_id": self.id},
        }

    # -- balance export ------------------------------------------------------------------
    def action_gocardless_export_balances(self, charge_date=None):
        """Export the open receivable balances of these contacts (their commercial
        entities) for GoCardless: create a ``gocardless.export`` batch, say how many lines
        and skipped balances it has, and open it (no batch when nothing can be collected).

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
        return self.env["gocardless.export"]._gocardless_export_action(account, self, charge_date)

import hashlib
import logging

from psycopg2 import IntegrityError

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, email_normalize_all, email_split

from .. import const
from ..services import customer_payload
from ..services.api import GoCardlessError

_logger = logging.getLogger(__name__)


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
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": kind,
                "title": title,
                "message": message,
                "sticky": sticky,
                "next": {"type": "ir.actions.act_window_close"}
                if close
                else {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def _gocardless_check_push_rights(self):
        """Managers push any contact. A Supervisor only the contacts they created, as the
        first decision about them (the question asked after the first save)."""
        user = self.env.user
        if self.env.su or user.has_group(const.GROUP_MANAGER):
            return
        if not user.has_group(const.GROUP_SUPERVISOR):
            raise AccessError(
                _(
                    "Only GoCardless Managers can create existing contacts in GoCardless. Ask "
                    "an administrator for the GoCardless Manager right."
                )
            )
        refused = self.filtered(
            lambda partner: partner.create_uid != user or partner.gocardless_sync_decision
        )
        if refused:
            raise AccessError(
                _(
                    "As a GoCardless Supervisor you can create a customer in GoCardless only "
                    "when you create it in Odoo, in the question asked after its first save. "
                    "Ask a GoCardless Manager to synchronize %(contacts)s.",
                    contacts=", ".join(refused.mapped("display_name")),
                )
            )

    def _gocardless_idempotency_key(self):
        """The Idempotency-Key of this contact's customer creation: the same for every
        attempt (a double click, a retry after a lost answer), different for every contact
        and every database, and short enough for GoCardless."""
        self.ensure_one()
        # database.uuid is readable by system administrators only; a GoCardless Supervisor
        # or Manager pushing a contact needs it here. Only a hash of it leaves this method.
        params_sudo = self.env["ir.config_parameter"].sudo()
        seed = f"{params_sudo.get_param('database.uuid')}:customers:{self._name}:{self.id}"
        digest = hashlib.sha256(seed.encode()).hexdigest()
        return (const.IDEMPOTENCY_KEY_PREFIX + digest)[: const.IDEMPOTENCY_KEY_MAX_LENGTH]

    def _gocardless_main_email(self):
        """The first address of the main email field, or False."""
        self.ensure_one()
        addresses = email_split(self.email or "")
        return addresses[0] if addresses else False

    def _gocardless_customer_params(self, account):
        """(POST /customers body, notices) of this contact."""
        self.ensure_one()
        contact = {
            "name": self.name,
            "is_company": self.is_company,
            "company_name": self.commercial_company_name,
            "email": self._gocardless_main_email(),
            "street": self.street,
            "street2": self.street2,
            "city": self.city,
            "zip": self.zip,
            "region": self.state_id.name,
            "country_code": self.country_id.code,
            "phone": self.phone or self.mobile,
            "lang": self.lang,
        }
        mappings = account.field_mapping_ids.filtered(
            lambda mapping: mapping.source == "metadata" and mapping.metadata_key
        )
        items = [(const.METADATA_PARTNER_ID_KEY, str(self.id))]
        if "ref" not in mappings.partner_field_id.mapped("name"):
            items.append((const.METADATA_PARTNER_REF_KEY, self.ref))
        for mapping in mappings:
            field = mapping.partner_field_id
            items.append((mapping.metadata_key, _metadata_value(field.ttype, self[field.name])))
        return customer_payload.customer_params(contact, items)

    def _gocardless_notice_texts(self, notices):
        """Translated sentences for the notices of customer_payload."""
        texts = []
        for notice in notices:
            if notice.code == customer_payload.VALUE_SHORTENED:
                texts.append(
                    _(
                        "The metadata %(key)s had %(length)s characters: GoCardless keeps at "
                        "most %(max)s, so it was shortened.",
                        key=notice.key,
                        length=notice.length,
                        max=const.METADATA_VALUE_MAX_LENGTH,
                    )
                )
            elif notice.code == customer_payload.KEY_TOO_LONG:
                texts.append(
                    _(
                        "The metadata key %(key)s is longer than %(max)s characters and was "
                        "left out: shorten it in the account's field mapping.",
                        key=notice.key,
                        max=const.METADATA_KEY_MAX_LENGTH,
                    )
                )
            else:
                texts.append(
                    _(
                        "The metadata %(key)s was left out: GoCardless accepts at most %(max)s "
                        "metadata keys per customer.",
                        key=notice.key,
                        max=const.METADATA_MAX_KEYS,
                    )
                )
        return texts

    def _gocardless_lock(self):
        """Lock these contacts' rows until the end of the transaction: two pushes of one
        contact at the same time run one after the other (the second then sees the link or,
        under REPEATABLE READ, fails with a serialization error that Odoo retries)."""
        if self.ids:
            self.env.cr.execute(
                SQL("SELECT id FROM res_partner WHERE id IN %s FOR UPDATE", tuple(self.ids))
            )

    def _gocardless_push_blocker(self, linked_ids):
        """Why this contact cannot be pushed ("linked", "no_email"), or None.

        :param linked_ids: ids of the contacts already linked in the account
        """
        self.ensure_one()
        if self.id in linked_ids:
            return "linked"
        if not self._gocardless_main_email():
            return "no_email"
        return None

    def _gocardless_linked_ids(self, account):
        """Ids of these contacts already linked to a customer of ``account`` (archived links
        included), in one query."""
        links = (
            self.env["gocardless.customer"]
            .with_context(active_test=False)
            .search_fetch(
                [("account_id", "=", account.id), ("partner_id", "in", self.ids)], ["partner_id"]
            )
        )
        return set(links.partner_id.ids)

    def _gocardless_blocker_message(self, blocker):
        if blocker == "linked":
            return _(
                "%(contact)s is already linked to a GoCardless customer (see its GoCardless "
                "tab): nothing was created.",
                contact=self.display_name,
            )
        return _(
            "%(contact)s has no email address, and GoCardless customers are matched and "
            "contacted by email. Add an email to the contact, then synchronize it.",
            contact=self.display_name,
        )

    def _gocardless_push_failure(self, account, error):
        """Why GoCardless did not create this contact's customer (a GoCardlessError)."""
        if error.kind == GoCardlessError.KIND_GONE:
            # the idempotency key led GoCardless to the customer created earlier for this
            # contact, which was removed since
            return _(
                "GoCardless returned the customer it created earlier for this contact, and "
                "that customer has since been removed (410). Link another GoCardless customer "
                'with "Link GoCardless customer" instead.'
            )
        return account._gocardless_error_message(error)

    def _gocardless_push_one(self, account, api):
        """Create this contact in GoCardless and link it. Callers check the rights and the
        blockers first. Raises GoCardlessError when GoCardless refuses or does not answer.

        :return: (gocardless.customer, list of translated notices)
        """
        self.ensure_one()
        params, notices = self._gocardless_customer_params(account)
        data = api.create_resource(
            "customers", params, idempotency_key=self._gocardless_idempotency_key()
        )
        texts = self._gocardless_notice_texts(notices)
        note = _("Created in GoCardless as customer %(id)s.", id=data["id"])
        customer = self._gocardless_link_customer(account, data, note=" ".join([note, *texts]))
        return customer, texts

    def _gocardless_link_customer(self, account, data, mandates=None, note=None):
        """Link this contact to the GoCardless customer ``data`` (an API dict), store the
        customer's ``mandates`` (API dicts) and record the decision "synchronized"."""
        self.ensure_one()
        Customer = self.env["gocardless.customer"]
        # one indexed lookup next to the customer's POST/GET: a clear message rather than the
        # unique constraint's error when another contact holds this customer already
        other = Customer._gocardless_find(account.company_id, data["id"])
        if other:
            raise UserError(
                _(
                    "GoCardless customer %(customer)s is already linked to %(other)s, so it "
                    "cannot be linked to %(contact)s too.",
                    customer=data["id"],
                    other=other.partner_id.display_name,
                    contact=self.display_name,
                )
            )
        vals = Customer._gocardless_vals_from_api(data)
        vals.update(account_id=account.id, partner_id=self.id, last_synced_at=fields.Datetime.now())
        customer = Customer.create(vals)
        if mandates:
            self.env["gocardless.mandate"]._gocardless_store(account, mandates, customer)
        self._gocardless_set_decision("synced")
        if note:
            self.message_post(body=note)
        return customer

    def action_gocardless_push(self):
        """Synchronize with GoCardless (button, banner, and the question after the first
        save): create this contact as a GoCardless customer and link it."""
        self.ensure_one()
        self._gocardless_check_push_rights()
        self.check_access("write")
        account = self._gocardless_account_or_raise()
        self._gocardless_lock()
        blocker = self._gocardless_push_blocker(self._gocardless_linked_ids(account))
        if blocker:
            raise UserError(self._gocardless_blocker_message(blocker))
        api = account._gocardless_api()
        try:
            customer, notices = self._gocardless_push_one(account, api)
        except GoCardlessError as error:
            message = _(
                "%(contact)s could not be created in GoCardless. %(reason)s",
                contact=self.display_name,
                reason=self._gocardless_push_failure(account, error),
            )
            if error.retryable:
                message += " " + _(
                    "Trying again is safe: GoCardless never creates this contact's customer twice."
                )
            raise UserError(message) from error
        message = _(
            "%(contact)s is now GoCardless customer %(id)s.",
            contact=self.display_name,
            id=customer.gocardless_id,
        )
        return self._gocardless_notification(
            _("Created in GoCardless"),
            " ".join([message, *notices]),
            kind="warning" if notices else "success",
            sticky=bool(notices),
        )

    def action_gocardless_push_many(self):
        """The list action "Synchronize with GoCardless" (Managers): push every selected
        contact that is not linked yet, has an email and was not marked "Do not synchronize".

        Each contact is pushed in its own savepoint: one failing does not undo the others'
        links (their customers already exist in GoCardless). Should the whole transaction
        still be lost, running the action again links the same customers: each creation
        carries the contact's idempotency key.
        """
        if not (self.env.su or self.env.user.has_group(const.GROUP_MANAGER)):
            raise AccessError(
                _(
                    "Only GoCardless Managers can create existing contacts in GoCardless. Ask "
                    "an administrator for the GoCardless Manager right."
                )
            )
        self.check_access("write")
        self._gocardless_lock()
        pushed, linked, no_email, never, failed = [], [], [], [], []
        notices = []
        for company, partners in self.grouped(
            lambda partner: partner.company_id or self.env.company
        ).items():
            account = company._gocardless_account()
            if not account.has_access_token:
                reason = _("GoCardless is not configured for %(company)s.", company=company.name)
                failed.extend((partner, reason) for partner in partners)
                continue
            api = account._gocardless_api()
            linked_ids = partners._gocardless_linked_ids(account)
            stopped = None  # why GoCardless cannot take any more contacts of this account now
            for partner in partners:
                if stopped:
                    failed.append((partner, stopped))
                    continue
                blocker = partner._gocardless_push_blocker(linked_ids)
                if blocker == "linked":
                    linked.append(partner)
                    continue
                if blocker == "no_email":
                    no_email.append(partner)
                    continue
                if partner.gocardless_sync_decision == "never":
                    never.append(partner)
                    continue
                try:
                    with self.env.cr.savepoint():
                        _customer, texts = partner._gocardless_push_one(account, api)
                except GoCardlessError as error:
                    reason = partner._gocardless_push_failure(account, error)
                    failed.append((partner, reason))
                    if error.kind in GoCardlessError.ACCOUNT_WIDE_KINDS:
                        # the same answer awaits every other contact: do not ask again
                        stopped = _("not sent, after: %(reason)s", reason=reason)
                    continue
                except (UserError, IntegrityError) as error:
                    # refused in Odoo after GoCardless created the customer (e.g. a link made
                    # meanwhile): this contact's savepoint is rolled back, the others stay
                    _logger.warning("Linking %s to GoCardless failed: %s", partner, error)
                    failed.append((partner, str(error)))
                    continue
                pushed.append(partner)
                notices.extend(f"{partner.display_name}: {text}" for text in texts)
        return self._gocardless_push_many_notification(
            pushed, linked, no_email, never, failed, notices
        )

    def _gocardless_push_many_notification(self, pushed, linked, no_email, never, failed, notices):
        parts = [
            _(
                "%(pushed)s created in GoCardless, %(linked)s already linked, %(no_email)s "
                'without email, %(never)s marked "Do not synchronize", %(failed)s failed.',
                pushed=len(pushed),
                linked=len(linked),
                no_email=len(no_email),
                never=len(never),
                failed=len(failed),
            )
        ]
        if no_email:
            parts.append(
                _(
                    "Without email: %(contacts)s.",
                    contacts=", ".join(partner.display_name for partner in no_email),
                )
            )
        for partner, reason in failed:
            parts.append(
                _("%(contact)s failed: %(reason)s", contact=partner.display_name, reason=reason)
            )
        parts.extend(notices)
        problems = bool(failed or notices)
        return self._gocardless_notification(
            _("Synchronize with GoCardless"),
            " ".join(parts),
            kind="warning" if problems else "success",
            sticky=problems,
        )

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


def _metadata_value(ttype, value):
    """A contact field's value as GoCardless metadata text (None when empty)."""
    if ttype == "boolean":
        return "true" if value else "false"
    if value is False or value is None or value == "":
        return None
    if ttype == "date":
        return fields.Date.to_string(value)
    return str(value)

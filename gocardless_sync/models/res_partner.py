import logging
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from psycopg2 import IntegrityError

from odoo import _, _lt, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, email_split, format_amount

from ..common import check_manager, idempotency_key, is_manager, notification
from ..notes import log_note
from ..services import const, customer_payload, matching
from ..services.api import GoCardlessError
from ..tools import to_decimal

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

    def _gocardless_check_push_rights(self):
        """Managers push any contact. A Supervisor only the contacts they created, as the
        first decision about them (the question asked after the first save)."""
        user = self.env.user
        if is_manager(self.env):
            return
        if not user.has_group(const.GROUP_SUPERVISOR):
            check_manager(self.env, _("create existing contacts in GoCardless"))
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
        return idempotency_key(self.env, f"customers:{self._name}:{self.id}")

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
            items.append((const.METADATA_PARTNER_REF_KEY, self.ref or None))
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

    def _gocardless_push_blockers(self, account):
        """Why these contacts must not be created in GoCardless: {contact id: Blocker}.

        Checked in this order, in a constant number of queries (before any API call):
        - ``linked``: already linked to a customer of ``account`` (archived links included);
        - ``no_email``: no email address (GoCardless customers are matched by email);
        - ``internal``: the contact of a user of this database (an employee, not a customer)
          or of a company of this database;
        - ``shared_email``: another active contact of the account's company (or a shared
          one) holds the address GoCardless would get, in its main or an extra email: the
          customer sync would find that address ambiguous, and pushing both would create two
          GoCardless customers with it;
        - ``known_customer``: a GoCardless customer of the account has one of the contact's
          addresses (main or extra), as known from the integration records and the account's
          last customer sync: pushing would duplicate it; link it instead.
        """
        blockers = {}
        linked_ids = self._gocardless_linked_ids(account)
        todo = self.browse()
        for partner in self:
            if partner.id in linked_ids:
                blockers[partner.id] = Blocker("linked")
            elif not matching.normalize_email(partner._gocardless_main_email() or ""):
                blockers[partner.id] = Blocker("no_email")
            else:
                todo |= partner
        if not todo:
            return blockers
        internal = todo._gocardless_internal_ids()
        main = {
            partner.id: matching.normalize_email(partner._gocardless_main_email())
            for partner in todo
        }
        holders = todo._gocardless_address_holders(account.company_id, set(main.values()))
        addresses = {
            partner.id: [
                main[partner.id],
                *sorted(partner._gocardless_all_emails() - {main[partner.id]}),
            ]
            for partner in todo
        }
        known = self._gocardless_known_customers(
            account, {address for values in addresses.values() for address in values}
        )
        for partner in todo:
            others = holders.get(main[partner.id], set()) - {partner.id}
            known_here = [
                (address, known[address]) for address in addresses[partner.id] if address in known
            ]
            if partner.id in internal:
                blockers[partner.id] = Blocker("internal")
            elif others:
                blockers[partner.id] = Blocker(
                    "shared_email", main[partner.id], others=self.browse(sorted(others))
                )
            elif known_here:
                address, (gocardless_id, linked_partner_id) = known_here[0]
                blockers[partner.id] = Blocker(
                    "known_customer",
                    address,
                    gocardless_id=gocardless_id,
                    others=self.browse(linked_partner_id or []),
                )
        return blockers

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

    def _gocardless_internal_ids(self):
        """Ids of these contacts that belong to a user (archived users too) or a company of
        this database. Ids only, read in SQL: no record rules are bypassed for data."""
        self.env["res.users"].flush_model(["partner_id", "share"])
        self.env["res.company"].flush_model(["partner_id"])
        self.env.cr.execute(
            SQL(
                "SELECT partner_id FROM res_users WHERE share IS NOT TRUE AND partner_id IN %s"
                " UNION SELECT partner_id FROM res_company WHERE partner_id IN %s",
                tuple(self.ids),
                tuple(self.ids),
            )
        )
        return {row[0] for row in self.env.cr.fetchall()}

    def _gocardless_address_holders(self, company, addresses):
        """{normalised address: ids of the active contacts of ``company`` (or shared ones)
        that hold it in their main email (any address of it) or an extra email}, for these
        ``addresses`` only: indexed lookups, plus the (few) main emails holding several
        addresses, read whole."""
        addresses = [address for address in addresses if address]
        holders = defaultdict(set)
        if not addresses:
            return holders
        self.flush_model(["email", "email_normalized", "active", "company_id"])
        self.env["res.partner.email"].flush_model(["email_normalized", "partner_id"])
        self.env.cr.execute(
            SQL(
                """
                SELECT id, email FROM res_partner
                 WHERE active AND (company_id IS NULL OR company_id = %(company)s)
                   AND (email_normalized = ANY(%(addresses)s) OR email ~ '[,;]')
                 UNION ALL
                SELECT p.id, e.email_normalized
                  FROM res_partner_email e JOIN res_partner p ON p.id = e.partner_id
                 WHERE p.active AND (p.company_id IS NULL OR p.company_id = %(company)s)
                   AND e.email_normalized = ANY(%(addresses)s)
                """,
                company=company.id,
                addresses=addresses,
            )
        )
        wanted = set(addresses)
        for partner_id, email in self.env.cr.fetchall():
            for address in matching.normalize_emails(email):
                if address in wanted:
                    holders[address].add(partner_id)
        return holders

    @api.model
    def _gocardless_known_customers(self, account, addresses):
        """{normalised address: (GoCardless customer ID, linked contact id or None)} of the
        GoCardless customers of ``account`` known to Odoo with one of these ``addresses``: the
        integration records (their email snapshot) and every customer the account's last
        successful customer sync read (its log lines). GoCardless has no email filter, and
        reading every customer for a push would be slow: customers created in GoCardless
        after the last sync are not known here."""
        addresses = [address for address in addresses if address]
        if not addresses:
            return {}
        self.env["gocardless.customer"].flush_model(["email", "account_id", "partner_id"])
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

    def _gocardless_blocker_message(self, blocker):
        """Why this contact is not created in GoCardless, and what to do instead."""
        self.ensure_one()
        if blocker.code == "linked":
            return _(
                "%(contact)s is already linked to a GoCardless customer (see its GoCardless "
                "tab): nothing was created.",
                contact=self.display_name,
            )
        if blocker.code == "no_email":
            return _(
                "%(contact)s has no email address, and GoCardless customers are matched and "
                "contacted by email. Add an email to the contact, then synchronize it.",
                contact=self.display_name,
            )
        if blocker.code == "internal":
            return _(
                "%(contact)s is the contact of a user or of a company of this database, not a "
                "customer: it is not created in GoCardless.",
                contact=self.display_name,
            )
        if blocker.code == "shared_email":
            return _(
                "%(email)s of %(contact)s is also an address of %(others)s: the customer sync "
                "could not tell them apart, and GoCardless would get a customer for each. Keep "
                'the address on one contact, or link the right one by hand with "Link '
                'GoCardless customer".',
                email=blocker.address,
                contact=self.display_name,
                others=", ".join(blocker.others.mapped("display_name")),
            )
        if blocker.others:
            return _(
                "GoCardless already has a customer with %(email)s, %(customer)s, linked to "
                "%(other)s: %(contact)s is not created again.",
                email=blocker.address,
                customer=blocker.gocardless_id,
                other=blocker.others.display_name,
                contact=self.display_name,
            )
        return _(
            "GoCardless already has a customer with %(email)s, %(customer)s (as of the last "
            "customer sync): creating %(contact)s would duplicate it. Link it instead with "
            '"Link GoCardless customer".',
            email=blocker.address,
            customer=blocker.gocardless_id,
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
        # Only Managers create integration records and mandates (access rights). The one
        # exception, a Supervisor's push of a contact they have just created, makes its link
        # here as superuser, after the same checks as the push itself.
        self._gocardless_check_push_rights()
        if mandates and not is_manager(self.env):
            raise AccessError(_("Only GoCardless Managers can link mandates to a contact."))
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
        if is_manager(self.env):
            customer = Customer.create(vals)
        else:
            customer_sudo = Customer.sudo().create(vals)
            customer = customer_sudo.sudo(False)
        if mandates:
            self.env["gocardless.mandate"]._gocardless_store(account, mandates, customer)
        self._gocardless_set_decision("synced")
        if note:
            # what GoCardless did is recorded above; the note cannot undo it
            log_note(self, note)
        return customer

    def action_gocardless_push(self):
        """Synchronize with GoCardless (button, banner, and the question after the first
        save): create this contact as a GoCardless customer and link it. Every check runs
        before the API call; afterwards what GoCardless did is recorded first."""
        self.ensure_one()
        self._gocardless_check_push_rights()
        self.check_access("write")
        account = self._gocardless_account_or_raise()
        self._gocardless_lock()
        blocker = self._gocardless_push_blockers(account).get(self.id)
        if blocker:
            raise UserError(self._gocardless_blocker_message(blocker))
        api = account._gocardless_api()
        try:
            customer, notices = self._gocardless_push_one(account, api)
        except GoCardlessError as error:
            if error.kind in OUTCOME_UNKNOWN_KINDS:
                message = _(
                    "GoCardless did not answer while creating %(contact)s (%(reason)s): whether "
                    "it created the customer is unknown. Synchronize again: the contact's "
                    "idempotency key finds the customer if GoCardless created it, and never "
                    "creates a second one.",
                    contact=self.display_name,
                    reason=self._gocardless_push_failure(account, error),
                )
            else:
                message = _(
                    "%(contact)s could not be created in GoCardless. %(reason)s",
                    contact=self.display_name,
                    reason=self._gocardless_push_failure(account, error),
                )
                if error.retryable:
                    message += " " + _(
                        "Trying again is safe: GoCardless never creates this contact's "
                        "customer twice."
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
        contact that may be pushed (see ``_gocardless_push_blockers``) and was not marked
        "Do not synchronize"; the others are skipped, with their reason in the result.
        Contacts that are already GoCardless customers are offered "Link" instead.

        Each contact is pushed in its own savepoint: one failing does not undo the others'
        links (their customers already exist in GoCardless). Should the whole transaction
        still be lost, running the action again links the same customers: each creation
        carries the contact's idempotency key.
        """
        check_manager(self.env, _("create existing contacts in GoCardless"))
        self.check_access("write")
        self._gocardless_lock()
        result = PushResult()
        for company, partners in self.grouped(
            lambda partner: partner.company_id or self.env.company
        ).items():
            account = company._gocardless_account()
            if not account.has_access_token:
                reason = _("GoCardless is not configured for %(company)s.", company=company.name)
                result.failed.extend((partner, reason) for partner in partners)
                continue
            blockers = partners._gocardless_push_blockers(account)
            api = account._gocardless_api()
            stopped = None  # why GoCardless cannot take any more contacts of this account now
            for partner in partners:
                blocker = blockers.get(partner.id)
                if blocker:
                    result.skipped[blocker.code].append((partner, blocker))
                    continue
                if partner.gocardless_sync_decision == "never":
                    result.skipped["never"].append((partner, None))
                    continue
                if stopped:
                    result.failed.append((partner, stopped))
                    continue
                try:
                    with self.env.cr.savepoint():
                        _customer, texts = partner._gocardless_push_one(account, api)
                except GoCardlessError as error:
                    reason = partner._gocardless_push_failure(account, error)
                    if error.kind in OUTCOME_UNKNOWN_KINDS:
                        result.unknown.append((partner, reason))
                    else:
                        result.failed.append((partner, reason))
                    if error.kind in GoCardlessError.ACCOUNT_WIDE_KINDS:
                        # the same answer awaits every other contact: do not ask again
                        stopped = _("not sent, after: %(reason)s", reason=reason)
                    continue
                except (UserError, IntegrityError) as error:
                    # refused in Odoo after GoCardless created the customer (e.g. a link made
                    # meanwhile): this contact's savepoint is rolled back, the others stay
                    _logger.warning("Linking %s to GoCardless failed: %s", partner, error)
                    result.failed.append((partner, str(error)))
                    continue
                result.pushed.append(partner)
                result.notices.extend(f"{partner.display_name}: {text}" for text in texts)
        return self._gocardless_push_many_notification(result)

    def _gocardless_push_many_notification(self, result):
        """One notification for the list action: counts (one sentence per count), then who
        was skipped and why, what failed, and the contacts to link instead (opened next)."""
        skipped = result.skipped
        parts = [self._gocardless_count_text("pushed", len(result.pushed))]
        for code in ("linked", "no_email", "never", "internal", "shared_email", "known_customer"):
            if skipped[code]:
                parts.append(self._gocardless_count_text(code, len(skipped[code])))
        if result.unknown:
            parts.append(self._gocardless_count_text("unknown", len(result.unknown)))
        if result.failed:
            parts.append(self._gocardless_count_text("failed", len(result.failed)))
        messages = [", ".join(parts) + "."]

        def names(entries):
            return ", ".join(partner.display_name for partner, _blocker in entries)

        if skipped["no_email"]:
            messages.append(_("Without email: %(contacts)s.", contacts=names(skipped["no_email"])))
        if skipped["internal"]:
            messages.append(
                _(
                    "Users' and companies' own contacts: %(contacts)s.",
                    contacts=names(skipped["internal"]),
                )
            )
        for partner, blocker in skipped["shared_email"]:
            messages.append(partner._gocardless_blocker_message(blocker))
        for partner, blocker in skipped["known_customer"]:
            messages.append(partner._gocardless_blocker_message(blocker))
        for partner, reason in result.unknown:
            messages.append(
                _(
                    "%(contact)s: GoCardless did not answer (%(reason)s), so whether it created "
                    "the customer is unknown; the next run finds it with the same idempotency "
                    "key and never creates a second one.",
                    contact=partner.display_name,
                    reason=reason,
                )
            )
        for partner, reason in result.failed:
            messages.append(
                _("%(contact)s failed: %(reason)s", contact=partner.display_name, reason=reason)
            )
        messages.extend(result.notices)
        to_link = self.browse(
            [partner.id for partner, blocker in skipped["known_customer"] if not blocker.others]
        )
        problems = bool(
            result.failed
            or result.unknown
            or result.notices
            or skipped["shared_email"]
            or skipped["known_customer"]
        )
        action = self._gocardless_notification(
            _("Synchronize with GoCardless"),
            " ".join(messages),
            kind="warning" if problems else "success",
            sticky=problems,
        )
        if to_link:
            action["params"]["next"] = to_link._gocardless_link_action(skipped["known_customer"])
        return action

    def _gocardless_count_text(self, code, count):
        one, many = PUSH_COUNT_TEXTS[code]
        # the lazy texts carry no arguments: translated first, then formatted
        return self.env._(one) if count == 1 else self.env._(many) % {"count": count}

    def _gocardless_link_action(self, known):
        """Link instead of pushing: the link wizard for one contact (its lookup filled in
        with the known customer), or the list of the contacts to link."""
        if len(self) == 1:
            blocker = next(blocker for partner, blocker in known if partner == self)
            action = self.action_gocardless_open_link_wizard()
            action["context"]["default_lookup"] = blocker.gocardless_id
            return action
        return {
            "type": "ir.actions.act_window",
            "name": _("Contacts to link to their GoCardless customers"),
            "res_model": "res.partner",
            "view_mode": "list,form",
            "views": [(False, "list"), (False, "form")],
            "domain": [("id", "in", self.ids)],
            "target": "current",
        }

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


# GoCardless may have acted when these errors happened (the answer was lost): the outcome
# of a create is unknown until the next run, which the idempotency key makes safe
OUTCOME_UNKNOWN_KINDS = frozenset({GoCardlessError.KIND_TIMEOUT, GoCardlessError.KIND_NETWORK})


class PushResult:
    """What the list action did with each contact."""

    def __init__(self):
        self.pushed, self.failed, self.unknown, self.notices = [], [], [], []
        self.skipped = defaultdict(list)  # blocker code or "never": [(contact, Blocker)]


# The counts of the list action's result: one translatable sentence per count (singular,
# plural), as Odoo writes them, never "contact(s)"
PUSH_COUNT_TEXTS = {
    "pushed": (
        _lt("1 contact created in GoCardless"),
        _lt("%(count)s contacts created in GoCardless"),
    ),
    "linked": (_lt("1 already linked"), _lt("%(count)s already linked")),
    "no_email": (_lt("1 without email"), _lt("%(count)s without email")),
    "never": (_lt('1 marked "Do not synchronize"'), _lt('%(count)s marked "Do not synchronize"')),
    "internal": (
        _lt("1 user's or company's own contact skipped"),
        _lt("%(count)s users' or companies' own contacts skipped"),
    ),
    "shared_email": (
        _lt("1 skipped: its email is also another contact's"),
        _lt("%(count)s skipped: their email is also another contact's"),
    ),
    "known_customer": (
        _lt("1 already a GoCardless customer: link it instead"),
        _lt("%(count)s already GoCardless customers: link them instead"),
    ),
    "unknown": (_lt("1 with an unknown outcome"), _lt("%(count)s with an unknown outcome")),
    "failed": (_lt("1 failed"), _lt("%(count)s failed")),
}


def _metadata_value(ttype, value):
    """A contact field's value as GoCardless metadata text (None when empty)."""
    if ttype == "boolean":
        return "true" if value else "false"
    if value is False or value is None or value == "":
        return None
    if ttype == "date":
        return fields.Date.to_string(value)
    return str(value)


@dataclass(frozen=True)
class Blocker:
    """Why a contact is not created in GoCardless (see ``_gocardless_push_blockers``)."""

    code: str  # linked, no_email, internal, shared_email, known_customer
    address: str | None = None  # the normalised address concerned
    gocardless_id: str | None = None  # the known GoCardless customer
    others: object = None  # res.partner: the other holders, or the known customer's contact

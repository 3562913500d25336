"""The push engine: every push of a contact to GoCardless (its button, the question after its
first save, the list action) and every link of a contact to a customer (also the link wizard's).
``res.partner`` keeps thin ``action_*`` methods. Order: rights and row locks, the blockers
(``services/push_plan.py`` decides, read here in a constant number of queries, before any API
call), the body (``services/customer_payload.py`` converts), the create with the contact's
idempotency key, the link (what GoCardless did first, then the note), the messages.
"""

import logging
from collections import defaultdict

from psycopg2 import IntegrityError

from odoo import _, _lt, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from ..common import check_manager, idempotency_key, is_manager, notification
from ..notes import log_note
from ..services import const, customer_payload, matching, push_plan
from ..services.api import GoCardlessError

_logger = logging.getLogger(__name__)

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
# What the user reads about each notice of customer_payload (key, length, max)
NOTICE_TEXTS = {
    customer_payload.VALUE_SHORTENED: _lt(
        "The metadata %(key)s had %(length)s characters: GoCardless keeps at most %(max)s, so "
        "it was shortened."
    ),
    customer_payload.KEY_TOO_LONG: _lt(
        "The metadata key %(key)s is longer than %(max)s characters and was left out: shorten "
        "it in the account's field mapping."
    ),
    customer_payload.TOO_MANY_KEYS: _lt(
        "The metadata %(key)s was left out: GoCardless accepts at most %(max)s metadata keys "
        "per customer."
    ),
}
# Why a contact is not created in GoCardless, and what to do instead, per blocker code of
# services/push_plan.py (contact, email, customer, others or other)
BLOCKER_TEXTS = {
    push_plan.LINKED: _lt(
        "%(contact)s is already linked to a GoCardless customer (see its GoCardless tab): "
        "nothing was created."
    ),
    push_plan.NO_EMAIL: _lt(
        "%(contact)s has no email address, and GoCardless customers are matched and contacted "
        "by email. Add an email to the contact, then synchronize it."
    ),
    push_plan.INTERNAL: _lt(
        "%(contact)s is the contact of a user or of a company of this database, not a "
        "customer: it is not created in GoCardless."
    ),
    push_plan.SHARED_EMAIL: _lt(
        "%(email)s of %(contact)s is also an address of %(others)s: the customer sync could "
        "not tell them apart, and GoCardless would get a customer for each. Keep the address "
        'on one contact, or link the right one by hand with "Link GoCardless customer".'
    ),
    push_plan.KNOWN_CUSTOMER: _lt(
        "GoCardless already has a customer with %(email)s, %(customer)s (as of the last "
        "customer sync): creating %(contact)s would duplicate it. Link it instead with "
        '"Link GoCardless customer".'
    ),
    # a known customer already linked to another contact
    "known_customer_linked": _lt(
        "GoCardless already has a customer with %(email)s, %(customer)s, linked to "
        "%(other)s: %(contact)s is not created again."
    ),
}


class GoCardlessCustomerPush(models.AbstractModel):
    _name = "gocardless.customer.push"
    _description = "GoCardless Customer Push Engine"

    # -- entry points (res.partner.action_gocardless_push / _push_many) -------------------
    @api.model
    def _push(self, partner):
        """Synchronize with GoCardless (button, banner, the question after the first save):
        create ``partner`` as a GoCardless customer and link it; return the notification.
        Every check runs before the API call; afterwards what GoCardless did comes first."""
        partner.ensure_one()
        self._check_rights(partner)
        partner.check_access("write")
        account = partner._gocardless_account_or_raise()
        self._lock(partner)
        blocker = self._blockers(partner, account).get(partner.id)
        if blocker:
            raise UserError(self._blocker_message(partner, blocker))
        api = account._gocardless_api()
        try:
            customer, notices = self._create_and_link(partner, account, api)
        except GoCardlessError as error:
            if error.kind in push_plan.OUTCOME_UNKNOWN_KINDS:
                message = _(
                    "GoCardless did not answer while creating %(contact)s (%(reason)s): whether "
                    "it created the customer is unknown. Synchronize again: the contact's "
                    "idempotency key finds the customer if GoCardless created it, and never "
                    "creates a second one.",
                    contact=partner.display_name,
                    reason=self._failure_reason(account, error),
                )
            else:
                message = _(
                    "%(contact)s could not be created in GoCardless. %(reason)s",
                    contact=partner.display_name,
                    reason=self._failure_reason(account, error),
                )
                if error.retryable:
                    message += " " + _(
                        "Trying again is safe: GoCardless never creates this contact's "
                        "customer twice."
                    )
            raise UserError(message) from error
        message = _(
            "%(contact)s is now GoCardless customer %(id)s.",
            contact=partner.display_name,
            id=customer.gocardless_id,
        )
        return notification(
            _("Created in GoCardless"),
            " ".join([message, *notices]),
            kind="warning" if notices else "success",
            sticky=bool(notices),
        )

    @api.model
    def _push_many(self, partners):
        """The list action "Synchronize with GoCardless" (Managers): push every contact of
        ``partners`` without blocker and not marked "Do not synchronize"; the others are
        skipped, with their reason, and known GoCardless customers are offered "Link". One
        savepoint per contact: a failure does not undo the others' links (their customers
        exist in GoCardless); a lost transaction is replayed safely (idempotency keys)."""
        check_manager(self.env, _("create existing contacts in GoCardless"))
        partners.check_access("write")
        self._lock(partners)
        result = push_plan.PushResult()
        for company, company_partners in partners.grouped(
            lambda partner: partner.company_id or self.env.company
        ).items():
            account = company._gocardless_account()
            if not account.has_access_token:
                reason = _("GoCardless is not configured for %(company)s.", company=company.name)
                result.failed.extend((partner, reason) for partner in company_partners)
                continue
            blockers = self._blockers(company_partners, account)
            api = account._gocardless_api()
            stopped = None  # why GoCardless cannot take any more contacts of this account now
            for partner in company_partners:
                blocker = blockers.get(partner.id)
                if blocker:
                    result.skipped[blocker.code].append((partner, blocker))
                    continue
                if partner.gocardless_sync_decision == "never":
                    result.skipped[push_plan.NEVER].append((partner, None))
                    continue
                if stopped:
                    result.failed.append((partner, stopped))
                    continue
                try:
                    with self.env.cr.savepoint():
                        _customer, texts = self._create_and_link(partner, account, api)
                except GoCardlessError as error:
                    reason = self._failure_reason(account, error)
                    if error.kind in push_plan.OUTCOME_UNKNOWN_KINDS:
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
        return self._push_many_notification(result)

    # -- rights and locks -----------------------------------------------------------------
    @api.model
    def _check_rights(self, partners):
        """Managers push any contact. A Supervisor only the contacts they created, as the
        first decision about them (the question asked after the first save)."""
        user = self.env.user
        if is_manager(self.env):
            return
        if not user.has_group(const.GROUP_SUPERVISOR):
            check_manager(self.env, _("create existing contacts in GoCardless"))
        refused = partners.filtered(
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

    @api.model
    def _lock(self, partners):
        """Lock the rows of ``partners`` until the transaction ends: two pushes (or links) of
        one contact run one after the other (the second sees the link or, under REPEATABLE
        READ, fails with a serialization error that Odoo retries)."""
        if partners.ids:
            self.env.cr.execute(
                SQL("SELECT id FROM res_partner WHERE id IN %s FOR UPDATE", tuple(partners.ids))
            )

    # -- blockers: who is never pushed (decided by services/push_plan.py) ----------------
    @api.model
    def _blockers(self, partners, account):
        """Why these contacts must not be created in GoCardless: {contact id:
        ``push_plan.Blocker``}, with the rules of ``services/push_plan.py``; what they need
        is read here in a constant number of queries (before any API call), the links first,
        the rest only for the contacts with an email and without a link."""
        contacts = [
            push_plan.Contact(
                partner.id, matching.normalize_email(partner._gocardless_main_email() or "")
            )
            for partner in partners
        ]
        linked_ids = self._linked_ids(partners, account)
        todo = self.env["res.partner"].browse(
            [contact.id for contact in contacts if push_plan.needs_lookup(contact, linked_ids)]
        )
        if not todo:
            return push_plan.plan_blockers(contacts, linked_ids)
        main = {contact.id: contact.main for contact in contacts}
        looked_up = {
            partner.id: push_plan.Contact(
                partner.id,
                main[partner.id],
                (main[partner.id], *sorted(partner._gocardless_all_emails() - {main[partner.id]})),
            )
            for partner in todo
        }
        contacts = [looked_up.get(contact.id, contact) for contact in contacts]
        return push_plan.plan_blockers(
            contacts,
            linked_ids,
            internal_ids=self._internal_ids(todo),
            holders=self._address_holders(account.company_id, {main[id_] for id_ in todo.ids}),
            known=self.env["gocardless.customer"]._gocardless_known_by_email(
                account,
                {address for contact in looked_up.values() for address in contact.addresses},
            ),
        )

    @api.model
    def _linked_ids(self, partners, account):
        """Ids of ``partners`` already linked to a customer of ``account`` (archived links
        included), in one query."""
        links = (
            self.env["gocardless.customer"]
            .with_context(active_test=False)
            .search_fetch(
                [("account_id", "=", account.id), ("partner_id", "in", partners.ids)],
                ["partner_id"],
            )
        )
        return set(links.partner_id.ids)

    @api.model
    def _internal_ids(self, partners):
        """Ids of ``partners`` that belong to a user (archived users too) or a company of
        this database. Ids only, read in SQL: no record rules are bypassed for data."""
        self.env["res.users"].flush_model(["partner_id", "share"])
        self.env["res.company"].flush_model(["partner_id"])
        self.env.cr.execute(
            SQL(
                "SELECT partner_id FROM res_users WHERE share IS NOT TRUE AND partner_id IN %s"
                " UNION SELECT partner_id FROM res_company WHERE partner_id IN %s",
                tuple(partners.ids),
                tuple(partners.ids),
            )
        )
        return {row[0] for row in self.env.cr.fetchall()}

    @api.model
    def _address_holders(self, company, addresses):
        """{normalised address: ids of the active contacts of ``company`` (or shared ones)
        that hold it in their main email (any address of it) or an extra email}, for these
        ``addresses`` only: indexed lookups, plus the (few) main emails holding several
        addresses, read whole."""
        addresses = [address for address in addresses if address]
        holders = defaultdict(set)
        if not addresses:
            return holders
        self.env["res.partner"].flush_model(["email", "email_normalized", "active", "company_id"])
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

    # -- creating and linking -------------------------------------------------------------
    @api.model
    def _idempotency_key(self, partner):
        """The Idempotency-Key of ``partner``'s customer creation: the same for every
        attempt (a double click, a retry after a lost answer), different for every contact
        and every database, and short enough for GoCardless."""
        partner.ensure_one()
        return idempotency_key(self.env, f"customers:{partner._name}:{partner.id}")

    @api.model
    def _params(self, partner, account):
        """(POST /customers body, notices) of ``partner``: its values gathered here, converted
        by ``services/customer_payload.py``."""
        partner.ensure_one()
        contact = {
            "name": partner.name,
            "is_company": partner.is_company,
            "company_name": partner.commercial_company_name,
            "email": partner._gocardless_main_email(),
            "street": partner.street,
            "street2": partner.street2,
            "city": partner.city,
            "zip": partner.zip,
            "region": partner.state_id.name,
            "country_code": partner.country_id.code,
            "phone": partner.phone or partner.mobile,
            "lang": partner.lang,
        }
        rules = [
            rule
            for rule in account.field_mapping_ids._conversion_rules()
            if rule.source == customer_payload.SOURCE_METADATA and rule.key
        ]
        values = {rule.field_name: partner[rule.field_name] for rule in rules}
        items = customer_payload.metadata_items(partner.id, partner.ref, rules, values)
        return customer_payload.customer_params(contact, items)

    @api.model
    def _create_and_link(self, partner, account, api):
        """Create ``partner`` in GoCardless and link it. Callers check the rights and the
        blockers first. Raises GoCardlessError when GoCardless refuses or does not answer.

        :return: (gocardless.customer, list of translated notices)
        """
        partner.ensure_one()
        params, notices = self._params(partner, account)
        data = api.create_resource(
            "customers", params, idempotency_key=self._idempotency_key(partner)
        )
        texts = self._notice_texts(notices)
        note = _("Created in GoCardless as customer %(id)s.", id=data["id"])
        customer = self._link(partner, account, data, note=" ".join([note, *texts]))
        return customer, texts

    @api.model
    def _link(self, partner, account, data, mandates=None, note=None):
        """Link ``partner`` to the GoCardless customer ``data`` (an API dict), store the
        customer's ``mandates`` (API dicts) and record the decision "synchronized"."""
        partner.ensure_one()
        # Only Managers create integration records and mandates (access rights). The one
        # exception, a Supervisor's push of a contact they have just created, makes its link
        # here as superuser, after the same checks as the push itself.
        self._check_rights(partner)
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
                    contact=partner.display_name,
                )
            )
        vals = Customer._gocardless_vals_from_api(data)
        vals.update(
            account_id=account.id, partner_id=partner.id, last_synced_at=fields.Datetime.now()
        )
        if is_manager(self.env):
            customer = Customer.create(vals)
        else:
            customer_sudo = Customer.sudo().create(vals)
            customer = customer_sudo.sudo(False)
        if mandates:
            self.env["gocardless.mandate"]._gocardless_store(account, mandates, customer)
        partner._gocardless_set_decision("synced")
        if note:
            # what GoCardless did is recorded above; the note cannot undo it
            log_note(partner, note)
        return customer

    # -- messages -------------------------------------------------------------------------
    @api.model
    def _notice_texts(self, notices):
        """Translated sentences for the notices of customer_payload."""
        limits = {
            customer_payload.VALUE_SHORTENED: const.METADATA_VALUE_MAX_LENGTH,
            customer_payload.KEY_TOO_LONG: const.METADATA_KEY_MAX_LENGTH,
            customer_payload.TOO_MANY_KEYS: const.METADATA_MAX_KEYS,
        }
        return [
            self.env._(NOTICE_TEXTS[notice.code])
            % {"key": notice.key, "length": notice.length, "max": limits[notice.code]}
            for notice in notices
        ]

    @api.model
    def _blocker_message(self, partner, blocker):
        """Why ``partner`` is not created in GoCardless, and what to do instead."""
        others = self.env["res.partner"].browse(blocker.other_ids)
        key = blocker.code
        if key == push_plan.KNOWN_CUSTOMER and others:
            key = "known_customer_linked"
        # the lazy texts carry no arguments: translated first, then formatted
        return self.env._(BLOCKER_TEXTS[key]) % {
            "contact": partner.display_name,
            "email": blocker.address,
            "customer": blocker.gocardless_id,
            "others": ", ".join(others.mapped("display_name")),
            "other": others.display_name,
        }

    @api.model
    def _failure_reason(self, account, error):
        """Why GoCardless did not create a contact's customer (a GoCardlessError)."""
        if error.kind == GoCardlessError.KIND_GONE:
            # the idempotency key led GoCardless to the customer created earlier for this
            # contact, which was removed since
            return _(
                "GoCardless returned the customer it created earlier for this contact, and "
                "that customer has since been removed (410). Link another GoCardless customer "
                'with "Link GoCardless customer" instead.'
            )
        return account._gocardless_error_message(error)

    @api.model
    def _push_many_notification(self, result):
        """One notification for the list action: counts (one sentence per count), then who
        was skipped and why, what failed, and the contacts to link instead (opened next)."""
        skipped = result.skipped
        parts = [self._count_text(code, count) for code, count in result.counts()]
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
        for partner, blocker in skipped["shared_email"] + skipped["known_customer"]:
            messages.append(self._blocker_message(partner, blocker))
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
        to_link = self.env["res.partner"].union(*result.to_link())
        action = notification(
            _("Synchronize with GoCardless"),
            " ".join(messages),
            kind="warning" if result.problems else "success",
            sticky=result.problems,
        )
        if to_link:
            action["params"]["next"] = self._link_action(to_link, skipped["known_customer"])
        return action

    @api.model
    def _count_text(self, code, count):
        one, many = PUSH_COUNT_TEXTS[code]
        # the lazy texts carry no arguments: translated first, then formatted
        return self.env._(one) if count == 1 else self.env._(many) % {"count": count}

    @api.model
    def _link_action(self, partners, known):
        """Link instead of pushing: the link wizard for one contact (its lookup filled in
        with the known customer), or the list of the contacts to link."""
        if len(partners) == 1:
            blocker = next(blocker for partner, blocker in known if partner == partners)
            action = partners.action_gocardless_open_link_wizard()
            action["context"]["default_lookup"] = blocker.gocardless_id
            return action
        return {
            "type": "ir.actions.act_window",
            "name": _("Contacts to link to their GoCardless customers"),
            "res_model": "res.partner",
            "view_mode": "list,form",
            "views": [(False, "list"), (False, "form")],
            "domain": [("id", "in", partners.ids)],
            "target": "current",
        }

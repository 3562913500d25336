"""The customer sync engine: read GoCardless, plan with services/matching.py, apply in batch.

Shape of a run (wizard or scheduled action):
1. refuse at once if another sync of the account holds its lock (a PostgreSQL advisory lock
   of the transaction: released however the run ends);
2. read every GoCardless customer and every mandate (500 a page). Any API fault here raises
   before anything is written, and the failed run is logged in its own transaction;
3. build the email index with two SQL queries (main emails, extra emails) and plan;
4. apply inside a savepoint: contacts created in one batch, integration records created in
   one batch, changed records written in groups, mandates stored in batch, then the log with
   one line per GoCardless customer inserted in one statement.
"""

import logging
import time
from collections import defaultdict

from psycopg2 import IntegrityError

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..common import check_manager, lock_or_raise
from ..services import const, customer_payload, matching
from ..services.api import GoCardlessError
from ..sql import insert_rows
from ..tools import changed_vals

_logger = logging.getLogger(__name__)


class GoCardlessCustomerSync(models.AbstractModel):
    _name = "gocardless.customer.sync"
    _description = "GoCardless Customer Sync Engine"

    # -- entry points --------------------------------------------------------------------
    @api.model
    def _run(self, account, policy, trigger="manual"):
        """Sync the customers of ``account``; return the ``gocardless.sync.log``.

        Raises UserError (after logging the failed run in its own transaction) when GoCardless
        cannot be read, and at once when another sync of the account is running.
        """
        account.ensure_one()
        self._check_manager()
        started_at = fields.Datetime.now()
        start = time.monotonic()
        self._lock(account)
        try:
            api = account._gocardless_api()
            customers = api.list_all("customers")
            mandates = api.list_all("mandates")
            with self.env.cr.savepoint():
                decisions = self._plan(account, customers, policy)
                log = self._apply(account, policy, trigger, customers, decisions, mandates)
                log.write(
                    {
                        "started_at": started_at,
                        "finished_at": fields.Datetime.now(),
                        "duration": time.monotonic() - start,
                    }
                )
                account.last_customer_sync_at = log.finished_at
                log.flush_recordset()
        except GoCardlessError as error:
            message = account._gocardless_error_message(error)
            self._log_failure(account, policy, trigger, started_at, start, message)
            raise UserError(message) from error
        except UserError as error:
            self._log_failure(account, policy, trigger, started_at, start, str(error))
            raise
        except IntegrityError as error:
            # e.g. someone linked one of these customers by hand while the sync ran
            message = _(
                "A GoCardless customer or mandate was linked by someone else while the sync "
                "ran. Nothing was changed by this sync: run it again."
            )
            self._log_failure(account, policy, trigger, started_at, start, message)
            raise UserError(message) from error
        except Exception as error:
            _logger.exception("GoCardless customer sync of %s failed", account.company_id.name)
            self._log_failure(account, policy, trigger, started_at, start, str(error))
            raise
        _logger.info(
            "GoCardless customer sync of %s: %s customers in %.1f s",
            account.company_id.name,
            log.customer_count,
            log.duration,
        )
        return log

    @api.model
    def _preview(self, account, policy):
        """Read and plan without writing anything: (decisions, {GoCardless ID: customer})."""
        account.ensure_one()
        self._check_manager()
        try:
            customers = account._gocardless_api().list_all("customers")
        except GoCardlessError as error:
            raise account._gocardless_user_error(error) from error
        decisions = self._plan(account, customers, policy)
        return decisions, {customer["id"]: customer for customer in customers}

    # -- steps ---------------------------------------------------------------------------
    def _check_manager(self):
        check_manager(self.env, _("sync customers"))

    def _lock(self, account):
        lock_or_raise(
            self.env,
            const.LOCK_CUSTOMER_SYNC,
            account.id,
            _(
                "A customer sync of %(account)s is already running (started by another user "
                "or by the scheduled action). Wait for it to finish, then run it again.",
                account=account.display_name,
            ),
        )

    def _plan(self, account, customers, policy):
        index, archived, extra_only = self._email_index(account.company_id)
        linked = {
            gocardless_id: partner_id
            for gocardless_id, (_customer_id, partner_id) in self._linked(account).items()
        }
        return matching.plan_customer_sync(
            customers, index, linked, policy, archived, extra_index=extra_only
        )

    def _email_index(self, company):
        """({email: {active contact ids}}, {email: {archived contact ids}}, {email: {contact
        ids holding it as an extra email only}}) of the contacts of ``company`` and the shared
        ones, from main emails (every address of a multi-address field) and extra emails. Two
        queries, whatever the number of contacts."""
        self.env["res.partner"].flush_model(["email", "active", "company_id"])
        self.env["res.partner.email"].flush_model(["email_normalized", "partner_id"])
        active, archived, main = defaultdict(set), defaultdict(set), defaultdict(set)
        self.env.cr.execute(
            """
            SELECT id, email, active FROM res_partner
             WHERE email IS NOT NULL AND email != ''
               AND (company_id IS NULL OR company_id = %s)
            """,
            [company.id],
        )
        for partner_id, email, is_active in self.env.cr.fetchall():
            target = active if is_active else archived
            for address in matching.normalize_emails(email):
                target[address].add(partner_id)
                main[address].add(partner_id)
        self.env.cr.execute(
            """
            SELECT e.email_normalized, p.id, p.active
              FROM res_partner_email e
              JOIN res_partner p ON p.id = e.partner_id
             WHERE e.email_normalized IS NOT NULL
               AND (p.company_id IS NULL OR p.company_id = %s)
            """,
            [company.id],
        )
        extra_only = defaultdict(set)
        for address, partner_id, is_active in self.env.cr.fetchall():
            (active if is_active else archived)[address].add(partner_id)
            if partner_id not in main.get(address, ()):
                extra_only[address].add(partner_id)
        return active, archived, extra_only

    def _linked(self, account):
        """{GoCardless customer ID: (gocardless.customer id, contact id)}, archived included."""
        self.env["gocardless.customer"].flush_model(["gocardless_id", "partner_id", "account_id"])
        self.env.cr.execute(
            "SELECT gocardless_id, id, partner_id FROM gocardless_customer WHERE account_id = %s",
            [account.id],
        )
        return {row[0]: (row[1], row[2]) for row in self.env.cr.fetchall()}

    def _apply(self, account, policy, trigger, customers, decisions, mandates):
        Customer = self.env["gocardless.customer"].with_context(active_test=False)
        by_id = {customer["id"]: customer for customer in customers}
        now = fields.Datetime.now()
        rules = account.field_mapping_ids._conversion_rules()

        # 1. contacts for the customers to create: one per create group, in one batch
        groups = list(
            dict.fromkeys(d.create_group for d in decisions if d.outcome == matching.CREATE)
        )
        new_partners = self.env["res.partner"]
        if groups:
            builder = _PartnerVals(self.env, account.company_id, rules)
            # like Odoo's own importer: no per-contact tracking or "created" chatter message
            # (the sync log line says where each contact came from)
            new_partners = new_partners.with_context(
                tracking_disable=True, mail_create_nolog=True, mail_create_nosubscribe=True
            ).create([builder.vals(by_id[group]) for group in groups])
        partner_of_group = dict(zip(groups, new_partners.ids, strict=True))

        # 2. integration records: new ones in one batch, changed ones in grouped writes
        existing = self._linked(account)
        to_create, to_write, kept = [], defaultdict(list), []
        partner_for = {}  # GoCardless ID -> contact id, for the log lines
        for decision in decisions:
            customer = by_id[decision.gocardless_id]
            if decision.outcome == matching.UPDATE:
                record_id, partner_id = existing[decision.gocardless_id]
                kept.append(record_id)
                partner_for[decision.gocardless_id] = partner_id
                continue
            if decision.outcome == matching.LINK:
                partner_id = decision.partner_id
            elif decision.outcome == matching.CREATE:
                partner_id = partner_of_group[decision.create_group]
            else:
                continue
            partner_for[decision.gocardless_id] = partner_id
            vals = Customer._gocardless_vals_from_api(customer)
            vals.update(account_id=account.id, partner_id=partner_id, last_synced_at=now)
            to_create.append(vals)
        kept_records = Customer.browse(kept)
        for record in kept_records:
            vals = Customer._gocardless_vals_from_api(by_id[record.gocardless_id])
            vals["active"] = True
            changes = changed_vals(record, vals)
            if changes:
                changes["last_synced_at"] = now
                to_write[tuple(sorted(changes.items()))].append(record.id)
        for changes, ids in to_write.items():
            Customer.browse(ids).write(dict(changes))
        created = Customer.create(to_create) if to_create else Customer
        synced = created | kept_records

        # 3. mapped contact fields that also apply to matched contacts
        if any(rule.update_existing for rule in rules):
            matched = synced.filtered(lambda customer: customer.partner_id not in new_partners)
            self._update_partners(matched, by_id, rules)

        # 4. mandates of every synced customer: new ones stored, known ones refreshed
        new_mandates, changed_mandates = self.env["gocardless.mandate"]._gocardless_store(
            account, mandates, synced
        )

        # statuses GoCardless added since (or none): stored as unknown, said in the log
        synced_ids = set(synced.mapped("gocardless_id"))
        unknown = [
            (data["id"], data.get("status"))
            for data in mandates
            if (data.get("links") or {}).get("customer") in synced_ids
            and data.get("status") not in const.KNOWN_MANDATE_STATUSES
        ]

        # 5. the log, with one line per GoCardless customer
        counts = defaultdict(int)
        for decision in decisions:
            counts[decision.outcome] += 1
            counts["extra"] += decision.via_extra_email
        log = self.env["gocardless.sync.log"].create(
            {
                "account_id": account.id,
                "trigger": trigger,
                "policy": policy,
                "state": "done",
                "customer_count": len(decisions),
                "matched_count": counts[matching.LINK] + counts[matching.UPDATE],
                "created_count": counts[matching.CREATE],
                "skipped_count": counts[matching.SKIP],
                "ambiguous_count": counts[matching.AMBIGUOUS],
                "extra_email_count": counts["extra"],
                "new_partner_count": len(new_partners),
                "mandate_count": len(new_mandates) + len(changed_mandates),
                "warning_message": self._unknown_statuses_text(unknown),
            }
        )
        self._insert_lines(
            "gocardless.sync.log.line",
            "log_id",
            log,
            decisions,
            by_id,
            partner_for,
            extra={"company_id": account.company_id.id},
        )
        return log

    def _unknown_statuses_text(self, unknown):
        """What the log says about mandates of unknown statuses ((ID, status) pairs)."""
        if not unknown:
            return False
        Mandate = self.env["gocardless.mandate"]
        listed = ", ".join(
            f"{mandate_id} ({Mandate._gocardless_status_label(status)})"
            for mandate_id, status in unknown
        )
        if len(unknown) == 1:
            return _(
                "1 mandate has a status Odoo does not know: %(mandates)s. It is stored as "
                "Unknown and is not used for payments until GoCardless reports a known status.",
                mandates=listed,
            )
        return _(
            "%(count)s mandates have a status Odoo does not know: %(mandates)s. They are "
            "stored as Unknown and are not used for payments until GoCardless reports a known "
            "status.",
            count=len(unknown),
            mandates=listed,
        )

    def _update_partners(self, customers, by_id, rules):
        """Write the "also update" mapped fields (``rules``, the account's field mappings) on
        the contacts of ``customers``, when they differ; contacts with the same changes share
        one write."""
        to_write = defaultdict(list)
        for customer in customers:
            vals = customer_payload.mapped_values(
                by_id[customer.gocardless_id], rules, updating=True
            )
            changes = changed_vals(customer.partner_id, vals) if vals else {}
            if changes:
                to_write[tuple(sorted(changes.items()))].append(customer.partner_id.id)
        for changes, partner_ids in to_write.items():
            self.env["res.partner"].browse(partner_ids).write(dict(changes))

    def _log_failure(self, account, policy, trigger, started_at, start, message):
        """Record a failed run in its own transaction, so that it survives the rollback of
        the run's transaction."""
        try:
            with self.env.registry.cursor() as cr:
                env = self.env(cr=cr)
                env["gocardless.sync.log"].create(
                    {
                        "account_id": account.id,
                        "trigger": trigger,
                        "policy": policy,
                        "state": "failed",
                        "started_at": started_at,
                        "finished_at": fields.Datetime.now(),
                        "duration": time.monotonic() - start,
                        "error_message": message,
                    }
                )
        except Exception:
            _logger.exception("Could not record the failed GoCardless sync")

    # -- log lines -----------------------------------------------------------------------
    @api.model
    def _insert_lines(
        self, model_name, parent_field, parent, decisions, by_id, partner_for, extra=None
    ):
        """Insert one line per decision into ``model_name`` (the sync log lines or the
        preview lines of the wizard) with one INSERT, and their candidate contacts with one
        more. 10,000 lines this way take a fraction of what the ORM's create needs."""
        if not decisions:
            return
        Line = self.env[model_name]
        parent.flush_recordset()
        extra = extra or {}
        columns = {
            "sequence": ("int4", []),
            "gocardless_id": ("varchar", []),
            "customer_name": ("varchar", []),
            "email": ("varchar", []),
            "outcome": ("varchar", []),
            "reason": ("varchar", []),
            "partner_id": ("int4", []),
            "match_source": ("varchar", []),
            "match_email": ("varchar", []),
        }
        for sequence, decision in enumerate(decisions, start=1):
            customer = by_id.get(decision.gocardless_id) or {}
            values = {
                "sequence": sequence,
                "gocardless_id": decision.gocardless_id,
                "customer_name": customer_payload.customer_label(customer),
                "email": (customer.get("email") or "").strip() or None,
                "outcome": decision.outcome,
                "reason": decision.reason,
                "partner_id": partner_for.get(decision.gocardless_id),
                "match_source": (
                    ("extra" if decision.via_extra_email else "main")
                    if decision.outcome == matching.LINK
                    else None
                ),
                "match_email": decision.email if decision.outcome == matching.LINK else None,
            }
            for name, (_type, column) in columns.items():
                column.append(values[name])
        constants = dict(extra, **{parent_field: parent.id})
        rows = insert_rows(self.env, model_name, constants, columns, returning=("id", "sequence"))
        line_of_sequence = {sequence: line_id for line_id, sequence in rows}
        pairs = [
            (line_of_sequence[sequence], partner_id)
            for sequence, decision in enumerate(decisions, start=1)
            for partner_id in decision.candidates
        ]
        if pairs:
            field = Line._fields["candidate_partner_ids"]
            self.env.cr.execute(
                SQL(
                    "INSERT INTO %s (%s, %s) SELECT * FROM unnest(%s::int4[], %s::int4[])",
                    SQL.identifier(field.relation),
                    SQL.identifier(field.column1),
                    SQL.identifier(field.column2),
                    [pair[0] for pair in pairs],
                    [pair[1] for pair in pairs],
                )
            )
        parent.invalidate_recordset()
        Line.invalidate_model()


class _PartnerVals:
    """Builds res.partner values from GoCardless customers (``customer_payload`` converts),
    with the lookups (countries, states, languages) read once per run."""

    def __init__(self, env, company, rules):
        self.company = company
        self.rules = rules  # the account's field mappings, as customer_payload.FieldRule
        self.countries = {
            country.code.upper(): country.id
            for country in env["res.country"].search([])
            if country.code
        }
        self.states = {}
        for state in env["res.country.state"].search([]):
            for key in (state.code, state.name):
                if key:
                    self.states[(state.country_id.id, key.strip().lower())] = state.id
        self.langs = {}
        for code, _name in env["res.lang"].get_installed():
            iso = code.split("_")[0].lower()
            self.langs.setdefault(iso, code)
            self.langs.setdefault(code.lower(), code)

    def vals(self, customer):
        vals = customer_payload.contact_values(customer, self.countries, self.states, self.langs)
        vals.update(company_id=self.company.id, customer_rank=1)
        # a mapping on a built-in field wins
        vals.update(customer_payload.mapped_values(customer, self.rules))
        return vals

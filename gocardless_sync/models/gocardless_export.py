"""Balance export: what customers owe, as GoCardless payments to collect.

An export (batch) holds one line per (commercial partner, currency) whose open receivable
balance can be collected on a usable mandate, and lists the other balances as skipped with
their reason. From a batch the accountant downloads the bulk-import files (CSV, XLSX), adds
the balances as Odoo payments, collects them through the API, and refreshes their status
from GoCardless.

Balances are read with ONE grouped query on ``account.move.line`` whatever the number of
customers; the other reads (selection, mandates, customers, pending lines) are one query
each. See docs/decisions.md ("Balance export") for the rules.
"""

import hashlib
import logging
import time
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

import psycopg2.errors

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, format_amount, format_date

from ..notes import log_note
from ..services import const, export_files
from ..services.api import GoCardlessError
from ..sql import insert_rows
from ..tools import format_amount as plain_amount
from ..tools import (
    minor_unit,
    to_decimal,
    to_gocardless_amount,
    to_minor_units,
)

_logger = logging.getLogger(__name__)

INVOICING_GROUP = "account.group_account_invoice"
# first key of the pg advisory lock held while a batch is recorded or collected (second: id)
EXPORT_LOCK_CLASS = 0x6765  # "ge"
# GoCardless payments are looked up from this long before the export (clock differences).
REFRESH_MARGIN = timedelta(days=1)
# Up to this many mandates, the payments list is read per mandate rather than by date.
REFRESH_PER_MANDATE_MAX = 20
# A collection run creates at most this many GoCardless payments, and starts no new one after
# COLLECT_TIME_BUDGET seconds: a web request has a time limit (limit_time_real, 120 s by
# default) and one create may take seconds with the adapter's retries. The next run goes on
# where it stopped.
COLLECT_MAX_PER_RUN = 100
COLLECT_TIME_BUDGET = 60


class GoCardlessExport(models.Model):
    _name = "gocardless.export"
    _description = "GoCardless Balance Export"
    _inherit = ["mail.thread"]
    _order = "id desc"
    _check_company_auto = True

    name = fields.Char(required=True, readonly=True, copy=False, default="/")
    account_id = fields.Many2one(
        "gocardless.account", required=True, ondelete="cascade", index=True, readonly=True
    )
    company_id = fields.Many2one(
        related="account_id.company_id", store=True, index=True, precompute=True
    )
    user_id = fields.Many2one(
        "res.users", string="Exported by", default=lambda self: self.env.user, readonly=True
    )
    exported_at = fields.Datetime(required=True, default=fields.Datetime.now, readonly=True)
    charge_date = fields.Date(
        tracking=True,
        help="Empty: GoCardless charges each payment as soon as possible. A date earlier "
        "than a mandate's next possible charge date is moved to that date (see the line's "
        "note). It can be changed until a line is recorded or collected.",
    )
    reconcile_invoices = fields.Boolean(
        string="Reconcile with open invoices",
        default=True,
        help="When adding the balances as payments, reconcile each payment with the "
        "customer's open receivables, oldest due date first.",
    )
    line_ids = fields.One2many("gocardless.export.line", "export_id", string="Lines")
    skip_ids = fields.One2many("gocardless.export.skip", "export_id", string="Skipped")
    state = fields.Selection(
        [("draft", "To collect"), ("in_progress", "In progress"), ("done", "Done")],
        compute="_compute_state",
        store=True,
        help="Done when every line has its Odoo payment and its GoCardless payment.",
    )
    line_count = fields.Integer(compute="_compute_counts", string="Lines to collect")
    skip_count = fields.Integer(compute="_compute_counts", string="Balances skipped")
    recorded_count = fields.Integer(compute="_compute_counts", string="Recorded")
    collected_count = fields.Integer(compute="_compute_counts", string="Collected")
    totals = fields.Char(compute="_compute_totals", help="The total of the lines per currency.")
    csv_attachment_id = fields.Many2one(
        "ir.attachment",
        string="CSV file",
        readonly=True,
        help="The file to upload in the GoCardless dashboard (Payments > Import), with the "
        "columns of GoCardless's bulk payment import. Amounts are in major units with the "
        "currency's decimals (10.50 is ten pounds fifty, not 1050 pence); charge dates are "
        "YYYY-MM-DD, empty for as soon as possible; payment.metadata.odoo_ref is the line's "
        "reference.",
    )
    lock_count = fields.Integer(
        readonly=True,
        copy=False,
        default=0,
        help="Technical: how many transactions took the batch's lock (see "
        "_gocardless_try_lock); each one raises it, so that the next one can tell whether it "
        "sees what the previous one wrote.",
    )
    xlsx_attachment_id = fields.Many2one(
        "ir.attachment",
        string="XLSX file",
        readonly=True,
        help="The same columns as the CSV file, as a spreadsheet: IDs and dates are text cells, "
        "amounts are numbers in major units with the currency's decimals.",
    )

    _sql_constraints = [("name_uniq", "unique(name)", "An export's name is unique.")]

    # -- computes ------------------------------------------------------------------------
    @api.depends("line_ids.payment_id", "line_ids.gocardless_payment_ids", "line_ids.excluded")
    def _compute_state(self):
        counts = self._line_counts()
        for batch in self:
            total, recorded, collected = (counts[batch.id][key] for key in ("all", "rec", "col"))
            if total and recorded == total and collected == total:
                batch.state = "done"
            elif not total and counts[batch.id]["exc"]:
                batch.state = "done"  # every line excluded
            elif recorded or collected:
                batch.state = "in_progress"
            else:
                batch.state = "draft"

    def _line_counts(self):
        """{batch id: {"all", "rec", "col", "exc"}}: lines (excluded ones not counted), recorded
        lines, collected lines, excluded lines."""
        counts = defaultdict(lambda: {"all": 0, "rec": 0, "col": 0, "exc": 0})
        ids = [batch_id for batch_id in self.ids if batch_id]
        if not ids:
            return counts
        Line = self.env["gocardless.export.line"]
        for key, extra in (
            ("all", [("excluded", "=", False)]),
            ("rec", [("excluded", "=", False), ("payment_id", "!=", False)]),
            ("col", [("excluded", "=", False), ("gocardless_payment_ids", "!=", False)]),
            ("exc", [("excluded", "=", True)]),
        ):
            for batch, count in Line._read_group(
                [("export_id", "in", ids), *extra], ["export_id"], ["__count"]
            ):
                counts[batch.id][key] = count
        return counts

    def _compute_counts(self):
        counts = self._line_counts()
        skips = dict(
            self.env["gocardless.export.skip"]._read_group(
                [("export_id", "in", self.ids)], ["export_id"], ["__count"]
            )
        )
        for batch in self:
            batch.line_count = counts[batch.id]["all"]
            batch.recorded_count = counts[batch.id]["rec"]
            batch.collected_count = counts[batch.id]["col"]
            batch.skip_count = skips.get(batch, 0)

    @api.depends("line_ids.amount", "line_ids.currency_id", "line_ids.excluded")
    def _compute_totals(self):
        for batch in self:
            batch.totals = ", ".join(
                format_amount(self.env, float(total), currency)
                for currency, total in batch._gocardless_totals().items()
            )

    def _gocardless_totals(self):
        """{res.currency: Decimal total of the lines not excluded}, in currency name order."""
        self.ensure_one()
        totals = defaultdict(Decimal)
        for line in self.line_ids.filtered(lambda line: not line.excluded):
            totals[line.currency_id] += to_decimal(line.amount, line.currency_id)
        return dict(sorted(totals.items(), key=lambda item: item[0].name))

    # -- CRUD ----------------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        today = fields.Date.context_today(self)
        for vals in vals_list:
            self._check_charge_date(vals.get("charge_date"), today)
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].next_by_code("gocardless.export") or "/"
        return super(GoCardlessExport, self.with_context(mail_create_nolog=True)).create(vals_list)

    def write(self, vals):
        if "charge_date" not in vals:
            return super().write(vals)
        self._check_charge_date(vals["charge_date"], fields.Date.context_today(self))
        started = self.filtered(lambda batch: batch.state != "draft")
        if started:
            raise UserError(
                _(
                    "The charge date of %(batches)s cannot change any more: some of its "
                    "payments are already recorded or collected. Export the balances again "
                    "for another date.",
                    batches=", ".join(started.mapped("name")),
                )
            )
        result = super().write(vals)
        for batch in self:
            batch._gocardless_apply_charge_date()
        return result

    @api.ondelete(at_uninstall=False)
    def _unlink_except_started(self):
        # the file may have been uploaded in the dashboard since the last refresh
        self.filtered("line_ids")._gocardless_refresh_or_refuse(_("Deleting a batch"))
        started = self.filtered(
            lambda batch: any(
                line.payment_id or line.gocardless_payment_ids for line in batch.line_ids
            )
        )
        if started:
            raise UserError(
                _(
                    "%(batches)s cannot be deleted: some of its payments are recorded in Odoo "
                    "or exist in GoCardless (Refresh from GoCardless shows them). Exclude the "
                    "lines that will not be collected instead.",
                    batches=", ".join(started.mapped("name")),
                )
            )

    @api.model
    def _check_charge_date(self, charge_date, today):
        if charge_date and fields.Date.to_date(charge_date) < today:
            raise UserError(
                _(
                    "The charge date %(date)s is in the past. Leave it empty to collect as "
                    "soon as possible, or choose today or a later date.",
                    date=format_date(self.env, charge_date),
                )
            )

    # -- rights and locks ----------------------------------------------------------------
    @api.model
    def _check_manager(self):
        if not (self.env.su or self.env.user.has_group(const.GROUP_MANAGER)):
            raise AccessError(
                _(
                    "Only GoCardless Managers can export balances, record and collect "
                    "payments. Ask an administrator for the GoCardless Manager right."
                )
            )

    @api.model
    def _check_invoicing(self, doing):
        if not (self.env.su or self.env.user.has_group(INVOICING_GROUP)):
            raise AccessError(
                _(
                    "%(doing)s reads or writes accounting entries: it needs the Invoicing "
                    "right (Invoicing / Billing or more) besides GoCardless Manager.",
                    doing=doing,
                )
            )

    def _gocardless_refresh_or_refuse(self, doing):
        """Read the batches' payments from GoCardless before ``doing`` something that needs
        to know them all (deleting a batch, excluding a line): a file uploaded in the
        dashboard is not known to Odoo until then. An account without access token cannot
        have collected anything through Odoo and is not asked; GoCardless unreachable stops
        ``doing``."""
        for batch in self:
            account = batch.account_id
            if not account.has_access_token:
                continue
            try:
                batch._gocardless_refresh(account._gocardless_api())
            except GoCardlessError as error:
                raise UserError(
                    _(
                        "%(doing)s needs to know whether GoCardless collects the payments of "
                        "%(batch)s (a file upload in the dashboard), and GoCardless could not "
                        "tell: %(error)s",
                        doing=doing,
                        batch=batch.name,
                        error=account._gocardless_error_message(error),
                    )
                ) from error

    def _lock(self):
        """Take the batch's lock (``_gocardless_try_lock``) or refuse at once: a second
        recording, collection or refresh of the batch, or GoCardless events about it being
        applied, right now. Once this transaction commits, the events that waited for the
        lock are applied (the retry scheduled action is triggered)."""
        self.ensure_one()
        if not self._gocardless_try_lock():
            raise UserError(
                _(
                    "%(batch)s is being recorded, collected or refreshed right now (by another "
                    "user or another tab), or GoCardless is reporting on its payments. Wait a "
                    "moment, then reload the page and try again.",
                    batch=self.name,
                )
            )
        self.env["gocardless.event"]._gocardless_trigger_retry()

    def _gocardless_try_lock(self):
        """Take the batch's lock for the current transaction; False when another transaction
        holds it, or held it and committed after this one began. Never waits.

        The lock is ``pg_try_advisory_xact_lock(EXPORT_LOCK_CLASS, batch id)``, a PostgreSQL
        lock (several Odoo servers may run), released when the transaction ends. Everything
        that writes the batch's GoCardless payments holds it: collecting, recording and
        refreshing the batch, and applying GoCardless events about its payments (webhooks,
        polling, the retry), so that none of them writes what another is writing (Odoo logged
        "duplicate key" and "could not serialize" errors when a webhook came during a
        collection).

        The advisory lock alone is not enough: under Odoo's REPEATABLE READ isolation, a
        transaction that began before the previous holder committed does not see what that
        holder wrote, and would write it again. So every holder also writes the batch's
        ``lock_count`` (row locked with NOWAIT): when the previous holder committed after
        this transaction began, that write meets a serialization failure, which is caught
        (not logged) and answered as "busy"; the caller tries again in a new transaction.
        """
        self.ensure_one()
        cr = self.env.cr
        cr.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [EXPORT_LOCK_CLASS, self.id])
        if not cr.fetchone()[0]:
            return False
        try:
            with cr.savepoint(flush=False):
                cr.execute(
                    """
                    UPDATE gocardless_export SET lock_count = COALESCE(lock_count, 0) + 1
                     WHERE id = (
                        SELECT id FROM gocardless_export WHERE id = %s FOR NO KEY UPDATE NOWAIT
                    )
                    """,
                    [self.id],
                    log_exceptions=False,
                )
        except (psycopg2.errors.SerializationFailure, psycopg2.errors.LockNotAvailable):
            _logger.info("GoCardless export %s changed meanwhile: lock refused", self.id)
            return False
        self.invalidate_recordset(["lock_count"])
        return True

    # -- the export ----------------------------------------------------------------------
    @api.model
    def _gocardless_export_action(self, account, partners, charge_date=None):
        """Export the balances of ``partners`` for ``account`` and say what came out: a toast
        with the numbers of lines and of skipped balances, which then opens the batch; or,
        when nothing can be collected, no batch at all and a toast that says why (each reason
        with its count)."""
        batch, plan = self._gocardless_export(account, partners, charge_date)
        left_out = self._gocardless_skip_summary(plan["skips"])
        if not batch:
            return {
                "type": "ir.actions.client",
                "tag": "display_notification",
                "params": {
                    "type": "warning",
                    "title": _("Balance export"),
                    "message": _(
                        "Nothing to collect, so no batch was created. Balances left out: "
                        "%(reasons)s.",
                        reasons=left_out,
                    ),
                    "sticky": True,
                },
            }
        count = len(plan["lines"])
        lines = (
            _("1 line to collect") if count == 1 else _("%(count)s lines to collect", count=count)
        )
        skipped = len(plan["skips"])
        if not skipped:
            message = _("%(batch)s created: %(lines)s.", batch=batch.name, lines=lines)
        else:
            message = _(
                "%(batch)s created: %(lines)s; %(skipped)s (%(reasons)s).",
                batch=batch.name,
                lines=lines,
                skipped=(
                    _("1 balance skipped")
                    if skipped == 1
                    else _("%(count)s balances skipped", count=skipped)
                ),
                reasons=left_out,
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "title": batch.name,
                "message": message,
                "sticky": False,
                "next": batch._get_records_action(name=batch.name, context={}),
            },
        }

    @api.model
    def _gocardless_skip_summary(self, skips):
        """'No mandate (2), Nothing due or in credit (1)': the reasons of planned skips with
        their counts, in the order of const.EXPORT_SKIP_REASONS."""
        labels = dict(
            self.env["gocardless.export.skip"]._fields["reason"]._description_selection(self.env)
        )
        counts = defaultdict(int)
        for skip in skips:
            counts[skip["reason"]] += 1
        parts = []
        for reason in labels:
            if counts[reason]:
                parts.append(
                    _("%(reason)s (%(count)s)", reason=labels[reason], count=counts[reason])
                )
        return ", ".join(parts)

    @api.model
    def _gocardless_export(self, account, partners, charge_date=None):
        """Export the balances of ``partners`` (any contacts: their commercial entities are
        exported) for ``account``; return ``(batch, plan)`` (see ``_gocardless_plan``). When
        no balance can be collected, no batch is created: ``batch`` is empty and the plan's
        skipped balances say why.

        The number of queries does not depend on the number of partners: one grouped read of
        the balances, one read each for the selection, the mandates, their contacts, the
        customers and the lines still being collected (record rules applied), one INSERT for
        all the lines and one for the skipped balances, then the CSV file. The XLSX file is
        built on its first download.
        """
        account.ensure_one()
        self._check_manager()
        self._check_invoicing(_("Exporting balances"))
        commercial_ids = self._gocardless_commercial_ids(partners)
        if not commercial_ids:
            raise UserError(_("Select at least one contact to export its balance."))
        charge_date = fields.Date.to_date(charge_date) if charge_date else False
        self._check_charge_date(charge_date, fields.Date.context_today(self))
        plan = self._gocardless_plan(account, commercial_ids, charge_date)
        if not plan["lines"]:
            _logger.info("GoCardless export: nothing to collect, %s skipped", len(plan["skips"]))
            return self.browse(), plan
        batch = self.create({"account_id": account.id, "charge_date": charge_date})
        description = _("Account balance")
        tag = self._gocardless_database_tag()
        for sequence, item in enumerate(plan["lines"], start=1):
            item["sequence"] = sequence
            item["reference"] = f"{batch.name}-{sequence:04d}-{tag}"
            item["description"] = f"{description} {item['reference']}"
        batch.flush_recordset()
        common = {"export_id": batch.id, "company_id": account.company_id.id}
        insert_rows(
            self.env,
            "gocardless.export.line",
            common,
            {
                "sequence": ("int4", [item["sequence"] for item in plan["lines"]]),
                "reference": ("varchar", [item["reference"] for item in plan["lines"]]),
                "partner_id": ("int4", [item["partner_id"] for item in plan["lines"]]),
                "mandate_id": ("int4", [item["mandate"]["id"] for item in plan["lines"]]),
                "currency_id": ("int4", [item["currency"].id for item in plan["lines"]]),
                "amount": ("numeric", [item["amount"] for item in plan["lines"]]),
                "balance": ("numeric", [item["balance"] for item in plan["lines"]]),
                "charge_date": ("date", [item["charge_date"] or None for item in plan["lines"]]),
                "description": ("varchar", [item["description"] for item in plan["lines"]]),
                "note": ("varchar", [item["note"] or None for item in plan["lines"]]),
            },
        )
        insert_rows(
            self.env,
            "gocardless.export.skip",
            common,
            {
                "partner_id": ("int4", [skip["partner_id"] for skip in plan["skips"]]),
                "currency_id": ("int4", [skip["currency"].id for skip in plan["skips"]]),
                "amount": ("numeric", [skip["amount"] for skip in plan["skips"]]),
                "reason": ("varchar", [skip["reason"] for skip in plan["skips"]]),
                "detail": ("varchar", [skip["detail"] for skip in plan["skips"]]),
            },
        )
        batch.invalidate_recordset()
        batch._gocardless_store_files([self._gocardless_file_row(item) for item in plan["lines"]])
        _logger.info(
            "GoCardless export %s: %s lines, %s skipped",
            batch.name,
            len(plan["lines"]),
            len(plan["skips"]),
        )
        return batch, plan

    @api.model
    def _gocardless_database_tag(self):
        """Six characters proper to this database, the end of every line reference.

        A reference is the idempotency key of its GoCardless payment and its metadata
        ``odoo_ref``, by which payments are found again after a file upload: two databases
        connected to one GoCardless account (production and a copy, two Odoo instances) both
        number their batches GCX00001..., and without this tag one would take the other's
        payments. Derived from ``database.uuid``, which a duplicated database gets anew."""
        # database.uuid is readable by system administrators only; only a hash leaves here
        params_sudo = self.env["ir.config_parameter"].sudo()
        seed = f"{params_sudo.get_param('database.uuid')}:gocardless.export"
        return hashlib.sha256(seed.encode()).hexdigest()[:6].upper()

    @api.model
    def _gocardless_rows(self, model, domain, field_names):
        """[{field: value}] of the records of ``model`` matching ``domain``, stored fields
        only, raw values (ids for many2one), in ONE query with access rules applied."""
        query = model._search(domain)
        return self.env.execute_query_dict(
            query.select(
                *(
                    SQL(
                        "%s AS %s",
                        model._field_to_sql(query.table, name, query),
                        SQL.identifier(name),
                    )
                    for name in field_names
                )
            )
        )

    @api.model
    def _gocardless_commercial_ids(self, partners):
        """The commercial entities of ``partners``, in one query."""
        if not partners:
            return []
        rows = self._gocardless_rows(
            self.env["res.partner"].with_context(active_test=False),
            [("id", "in", partners.ids)],
            ["commercial_partner_id"],
        )
        return sorted({row["commercial_partner_id"] for row in rows})

    @api.model
    def _gocardless_balances(self, company, commercial_ids):
        """{(commercial partner id, res.currency): Decimal} open receivable balances.

        One grouped read: posted, unreconciled lines of receivable accounts of ``company``,
        ``amount_residual_currency`` (the line's own currency) summed per commercial entity
        and currency.
        """
        groups = self.env["account.move.line"]._read_group(
            [
                ("company_id", "=", company.id),
                ("parent_state", "=", "posted"),
                ("account_type", "=", "asset_receivable"),
                ("reconciled", "=", False),
                ("gocardless_commercial_partner_id", "in", commercial_ids),
            ],
            ["gocardless_commercial_partner_id", "currency_id"],
            ["amount_residual_currency:sum"],
        )
        return {
            (partner.id, currency): to_decimal(total or 0.0, currency)
            for partner, currency, total in groups
        }

    @api.model
    def _gocardless_mandates(self, account, commercial_ids):
        """({commercial partner id: [mandate dicts]}, {contact id: name}): every mandate
        (archived and unusable ones too) of the entities and of their contacts, with its
        customer; three queries."""
        mandates = self._gocardless_rows(
            self.env["gocardless.mandate"].with_context(active_test=False),
            [
                ("account_id", "=", account.id),
                ("partner_id.commercial_partner_id", "in", commercial_ids),
            ],
            [
                "id",
                "gocardless_id",
                "status",
                "is_usable",
                "active",
                "scheme",
                "next_possible_charge_date",
                "gocardless_created_at",
                "partner_id",
                "customer_id",
            ],
        )
        contacts = self._gocardless_rows(
            self.env["res.partner"].with_context(active_test=False),
            [("id", "in", list({row["partner_id"] for row in mandates} | set(commercial_ids)))],
            ["id", "name", "commercial_partner_id"],
        )
        commercial_of = {row["id"]: row["commercial_partner_id"] for row in contacts}
        names = {row["id"]: row["name"] or "" for row in contacts}
        customers = {
            row["id"]: row
            for row in self._gocardless_rows(
                self.env["gocardless.customer"].with_context(active_test=False),
                [("id", "in", list({row["customer_id"] for row in mandates}))],
                ["id", "gocardless_id", "given_name", "family_name", "company_name", "email"],
            )
        }
        by_partner = defaultdict(list)
        for mandate in mandates:
            customer = customers[mandate["customer_id"]]
            by_partner[commercial_of[mandate["partner_id"]]].append(
                {
                    "id": mandate["id"],
                    "gocardless_id": mandate["gocardless_id"],
                    "status": mandate["status"],
                    # as const.USABLE_MANDATE_DOMAIN, on the row read above
                    "usable": bool(mandate["is_usable"] and mandate["active"]),
                    "active": mandate["active"],
                    "currency_code": const.SCHEME_CURRENCY.get(mandate["scheme"] or ""),
                    "scheme": mandate["scheme"] or "",
                    "next_possible_charge_date": mandate["next_possible_charge_date"],
                    "created_at": mandate["gocardless_created_at"],
                    "partner_id": mandate["partner_id"],
                    "customer_gocardless_id": customer["gocardless_id"],
                    "given_name": customer["given_name"],
                    "family_name": customer["family_name"],
                    "company_name": customer["company_name"],
                    "email": customer["email"],
                }
            )
        return by_partner, names

    @api.model
    def _gocardless_pending(self, company, commercial_ids):
        """{(partner id, currency id): reference} of lines of earlier batches still being
        collected: not recorded as an Odoo payment, and not failed in GoCardless."""
        rows = self._gocardless_rows(
            self.env["gocardless.export.line"],
            [
                ("company_id", "=", company.id),
                ("partner_id", "in", commercial_ids),
                ("payment_id", "=", False),
                ("excluded", "=", False),
                "|",
                ("gocardless_payment_ids", "=", False),
                (
                    "gocardless_payment_ids.status",
                    "not in",
                    list(const.PAYMENT_FAILED_STATUSES),
                ),
            ],
            ["partner_id", "currency_id", "reference"],
        )
        return {(row["partner_id"], row["currency_id"]): row["reference"] for row in rows}

    @api.model
    def _gocardless_pick_mandate(self, partner_id, mandates):
        """Among usable mandates, the one to collect on: the entity's own mandate before its
        contacts' ones, an active mandate before a pending one, then the newest."""
        return min(
            mandates,
            key=lambda mandate: (
                mandate["partner_id"] != partner_id,
                mandate["status"] != "active",
                -(mandate["created_at"].timestamp() if mandate["created_at"] else 0),
                -mandate["id"],
            ),
        )

    @api.model
    def _gocardless_plan(self, account, commercial_ids, charge_date):
        """{"lines": [...], "skips": [...]}: what to collect and what to leave out, with
        reasons (const.EXPORT_SKIP_REASONS). Lines are sorted by customer name, currency.

        A line's ``amount`` is what GoCardless collects: the open ``balance`` with the
        currency's ISO decimals (``tools.to_gocardless_amount``: a balance with more decimals,
        Odoo's rounding being finer, is rounded down and the line's note says so)."""
        company = account.company_id
        balances = self._gocardless_balances(company, commercial_ids)
        mandates, names = self._gocardless_mandates(account, commercial_ids)
        pending = self._gocardless_pending(company, commercial_ids)
        status_labels = dict(
            self.env["gocardless.mandate"]._fields["status"]._description_selection(self.env)
        )
        per_partner = defaultdict(list)
        for (partner_id, currency), amount in balances.items():
            per_partner[partner_id].append((currency, amount))
        lines, skips = [], []

        def skip(partner_id, currency, amount, reason, detail):
            skips.append(
                {
                    "partner_id": partner_id,
                    "currency": currency,
                    "amount": amount,
                    "reason": reason,
                    "detail": detail,
                }
            )

        for partner_id in commercial_ids:
            partner_balances = per_partner.get(partner_id) or [(company.currency_id, Decimal(0))]
            for currency, amount in sorted(partner_balances, key=lambda item: item[0].name):
                code = currency.name
                partner_mandates = mandates.get(partner_id, [])
                usable = [mandate for mandate in partner_mandates if mandate["usable"]]
                matching = [mandate for mandate in usable if mandate["currency_code"] == code]
                if amount <= 0:
                    skip(
                        partner_id,
                        currency,
                        amount,
                        "nothing_due",
                        _("Nothing due") if not amount else _("In credit"),
                    )
                elif code not in const.SUPPORTED_CURRENCIES:
                    skip(
                        partner_id,
                        currency,
                        amount,
                        "currency_not_supported",
                        _("GoCardless does not collect %(currency)s.", currency=code),
                    )
                elif to_gocardless_amount(amount, currency) <= 0:
                    skip(
                        partner_id,
                        currency,
                        amount,
                        "nothing_due",
                        _(
                            "Less than the smallest amount GoCardless collects in "
                            "%(currency)s (%(unit)s).",
                            currency=code,
                            unit=plain_amount(Decimal(1).scaleb(-minor_unit(currency)), currency),
                        ),
                    )
                elif not partner_mandates:
                    skip(
                        partner_id,
                        currency,
                        amount,
                        "no_mandate",
                        _("No GoCardless mandate: sync the customers or ask for a mandate."),
                    )
                elif not usable:
                    skip(
                        partner_id,
                        currency,
                        amount,
                        "mandate_not_usable",
                        self._gocardless_mandate_states(partner_mandates, status_labels),
                    )
                elif not matching:
                    skip(
                        partner_id,
                        currency,
                        amount,
                        "currency_not_supported",
                        _(
                            "The balance is in %(currency)s; the usable mandates collect "
                            "%(collected)s.",
                            currency=code,
                            collected=", ".join(
                                sorted(
                                    {
                                        f"{mandate['currency_code'] or '?'} ({mandate['scheme']})"
                                        for mandate in usable
                                    }
                                )
                            ),
                        ),
                    )
                elif (partner_id, currency.id) in pending:
                    skip(
                        partner_id,
                        currency,
                        amount,
                        "pending_export",
                        _(
                            "%(reference)s collects it already: record that line, exclude it, "
                            "or delete its batch first.",
                            reference=pending[(partner_id, currency.id)],
                        ),
                    )
                else:
                    mandate = self._gocardless_pick_mandate(partner_id, matching)
                    date, date_note = self._gocardless_line_charge_date(charge_date, mandate)
                    collected = to_gocardless_amount(amount, currency)
                    lines.append(
                        {
                            "partner_id": partner_id,
                            "partner_name": names.get(partner_id, ""),
                            "currency": currency,
                            "amount": collected,
                            "balance": amount,
                            "mandate": mandate,
                            "charge_date": date,
                            "note": self._gocardless_join_notes(
                                self._gocardless_rounding_note(amount, collected, currency),
                                date_note,
                            ),
                        }
                    )
        lines.sort(key=lambda line: (line["partner_name"].lower(), line["currency"].name))
        return {"lines": lines, "skips": skips}

    @api.model
    def _gocardless_rounding_note(self, balance, amount, currency):
        """The note of a line whose balance had to be rounded to the ISO unit, or False."""
        if amount == to_decimal(balance, currency):
            return False
        return _(
            "The open balance %(balance)s %(currency)s has more decimals than GoCardless "
            "collects: %(amount)s is collected (rounded down).",
            balance=f"{to_decimal(balance, currency):f}",
            currency=currency.name,
            amount=plain_amount(amount, currency),
        )

    @api.model
    def _gocardless_join_notes(self, *notes):
        return " ".join(note for note in notes if note) or False

    @api.model
    def _gocardless_mandate_states(self, mandates, status_labels):
        """'MD1 is Cancelled, MD2 is removed from Odoo'."""
        removed = _("removed from Odoo")
        states = []
        for mandate in mandates:
            status = status_labels.get(mandate["status"], mandate["status"])
            states.append(
                _(
                    "%(mandate)s is %(status)s",
                    mandate=mandate["gocardless_id"],
                    status=status if mandate["active"] else removed,
                )
            )
        return ", ".join(states)

    @api.model
    def _gocardless_line_charge_date(self, charge_date, mandate):
        """(charge date, note) of a line: the chosen date, moved to the mandate's next
        possible charge date when earlier."""
        earliest = mandate["next_possible_charge_date"]
        if charge_date and earliest and charge_date < earliest:
            return earliest, _(
                "Charge date moved from %(chosen)s to %(earliest)s, the mandate's next "
                "possible charge date.",
                chosen=format_date(self.env, charge_date),
                earliest=format_date(self.env, earliest),
            )
        return charge_date or False, False

    # -- files ---------------------------------------------------------------------------
    @api.model
    def _gocardless_file_row(self, item):
        """One row of the bulk-import files from a planned line."""
        mandate = item["mandate"]
        return {
            "mandate.id": mandate["gocardless_id"],
            "customer.id": mandate["customer_gocardless_id"],
            "customer.given_name": mandate["given_name"] or "",
            "customer.family_name": mandate["family_name"] or "",
            "customer.company_name": mandate["company_name"] or "",
            "customer.email": mandate["email"] or "",
            "payment.amount": to_gocardless_amount(item["amount"], item["currency"]),
            "payment.currency": item["currency"].name,
            "payment.description": item["description"],
            "payment.charge_date": item["charge_date"] or None,
            f"payment.metadata.{const.BULK_IMPORT_METADATA_KEY}": item["reference"],
        }

    def _gocardless_file_rows(self):
        """The file rows of the batch's lines, read from the records."""
        self.ensure_one()
        rows = []
        for line in self.line_ids.filtered(lambda line: not line.excluded).sorted("sequence"):
            mandate, customer = line.mandate_id, line.mandate_id.customer_id
            rows.append(
                self._gocardless_file_row(
                    {
                        "mandate": {
                            "gocardless_id": mandate.gocardless_id,
                            "customer_gocardless_id": customer.gocardless_id,
                            "given_name": customer.given_name,
                            "family_name": customer.family_name,
                            "company_name": customer.company_name,
                            "email": customer.email,
                        },
                        "amount": line.amount,
                        "currency": line.currency_id,
                        "description": line.description,
                        "charge_date": line.charge_date,
                        "reference": line.reference,
                    }
                )
            )
        return rows

    def _gocardless_store_files(self, rows):
        """(Re)write the CSV attachment of the batch from file rows. The XLSX attachment is
        dropped: it is built again from the lines on its next download."""
        self.ensure_one()
        old = self.csv_attachment_id | self.xlsx_attachment_id
        attachment = self._gocardless_attach("csv", export_files.build_csv(rows), "text/csv")
        self.write({"csv_attachment_id": attachment.id, "xlsx_attachment_id": False})
        old.unlink()

    def _gocardless_attach(self, extension, content, mimetype):
        self.ensure_one()
        return self.env["ir.attachment"].create(
            {
                "name": f"{self.name}.{extension}",
                "raw": content,
                "mimetype": mimetype,
                "res_model": self._name,
                "res_id": self.id,
            }
        )

    def _gocardless_apply_charge_date(self):
        """Re-date the lines for the batch's charge date (one write per distinct date and
        note, not per line), then rewrite the files."""
        self.ensure_one()
        groups = defaultdict(lambda: self.env["gocardless.export.line"])
        for line in self.line_ids.filtered(lambda line: not line.excluded):
            mandate = line.mandate_id
            date, note = self._gocardless_line_charge_date(
                self.charge_date, {"next_possible_charge_date": mandate.next_possible_charge_date}
            )
            groups[(date, line._gocardless_note(note))] |= line
        for (date, note), lines in groups.items():
            lines.write({"charge_date": date, "note": note})
        self._gocardless_store_files(self._gocardless_file_rows())

    def _download(self, attachment):
        self.ensure_one()
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{attachment.id}?download=true",
            "target": "download",
        }

    def action_download_csv(self):
        self.ensure_one()
        if not self.csv_attachment_id:
            self._gocardless_store_files(self._gocardless_file_rows())
        return self._download(self.csv_attachment_id)

    def action_download_xlsx(self):
        """The XLSX file, built on its first download (a spreadsheet of 10,000 lines takes
        seconds with openpyxl) and kept as an attachment until the lines change."""
        self.ensure_one()
        if not self.xlsx_attachment_id:
            attachment = self._gocardless_attach(
                "xlsx",
                export_files.build_xlsx(self._gocardless_file_rows()),
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
            self.xlsx_attachment_id = attachment
        return self._download(self.xlsx_attachment_id)

    # -- Add balances as payments --------------------------------------------------------
    def action_record_payments(self):
        """ "Add balances as payments": one posted inbound Odoo payment per line that has
        none (on the account's GoCardless journal), reconciled with the customer's oldest
        open receivables when the batch says so. Not recorded: excluded lines, lines whose
        GoCardless payment failed, lines GoCardless refused at collection, and lines not yet
        collected whose customer's open balance is now below the line's amount (paid or
        credited meanwhile). A second run records nothing and says so.

        Also the server action of the balance exports list: several batches at once, each
        under its own lock, and ONE message with the totals recorded per currency."""
        self._check_manager()
        self._check_invoicing(_("Adding balances as payments"))
        for batch in self:  # every lock first: a busy batch stops the run before any change
            batch._lock()
        recorded = self.env["account.payment"]
        refused, batches = [], 0
        for batch in self:
            batch_payments, batch_refused = batch._gocardless_record_payments()
            recorded |= batch_payments
            refused += batch_refused
            batches += bool(batch_payments)
        refused_text = "; ".join(f"{line.reference}: {reason}" for line, reason in refused)
        if not recorded:
            message = _("Nothing to record: every line already has its Odoo payment.")
            if refused:
                message = _(
                    "Nothing to record. Not recorded: %(refused)s",
                    refused=refused_text,
                )
            return self._notify(message, "warning" if refused else "info", sticky=bool(refused))
        totals = defaultdict(Decimal)
        for payment in recorded:
            totals[payment.currency_id] += to_decimal(payment.amount, payment.currency_id)
        total_text = ", ".join(
            format_amount(self.env, float(total), currency)
            for currency, total in sorted(totals.items(), key=lambda item: item[0].name)
        )
        if len(recorded) == 1:
            message = _("1 payment recorded (%(total)s).", total=total_text)
        elif batches <= 1:
            message = _(
                "%(count)s payments recorded (%(total)s).", count=len(recorded), total=total_text
            )
        else:
            message = _(
                "%(count)s payments recorded in %(batches)s batches (%(total)s).",
                count=len(recorded),
                batches=batches,
                total=total_text,
            )
        if refused:
            message += " " + _("Not recorded: %(refused)s", refused=refused_text)
        return self._notify(message, "warning" if refused else "success", sticky=bool(refused))

    def _gocardless_record_payments(self):
        """Record the batch's open lines; return (account.payment, [(line, reason)])."""
        self.ensure_one()
        journal = self.account_id.journal_id
        if not journal:
            raise UserError(
                _(
                    "Choose the payments journal of GoCardless first (Contacts > GoCardless > "
                    "Overview, or Settings > GoCardless)."
                )
            )
        method_line = journal.inbound_payment_method_line_ids[:1]
        if not method_line:
            raise UserError(
                _(
                    "Journal %(journal)s has no incoming payment method. Add one in its "
                    "Incoming Payments tab.",
                    journal=journal.display_name,
                )
            )
        # read the lines again under the lock: another run may just have recorded them
        self.line_ids.invalidate_recordset(["payment_id"])
        open_lines = self.line_ids.filtered(lambda line: not (line.payment_id or line.excluded))
        refused = {}
        for line in open_lines:
            if line.gocardless_status in const.PAYMENT_FAILED_STATUSES:
                refused[line] = _("Its GoCardless payment failed or was cancelled.")
            elif line.collect_error and not line.gocardless_payment_id:
                refused[line] = _("GoCardless refused it: %(error)s", error=line.collect_error)
        # money that GoCardless is not collecting yet must still be due
        not_collected = open_lines.filtered(
            lambda line: not line.gocardless_payment_id and line not in refused
        )
        refused.update(self._gocardless_balance_problems(not_collected))
        to_record = open_lines.filtered(lambda line: line not in refused)
        refused = sorted(refused.items(), key=lambda item: item[0].sequence)
        if not to_record:
            return self.env["account.payment"], refused
        today = fields.Date.context_today(self)
        vals_list = []
        for line in to_record:
            gc_payment = line.gocardless_payment_id
            # what GoCardless collects is the truth once it is known
            source = gc_payment or line
            vals_list.append(
                {
                    "payment_type": "inbound",
                    "partner_type": "customer",
                    "partner_id": line.partner_id.id,
                    "amount": source.amount,
                    "currency_id": source.currency_id.id,
                    "journal_id": journal.id,
                    "payment_method_line_id": method_line.id,
                    "date": today,
                    "memo": _("GoCardless %(reference)s", reference=line.reference),
                }
            )
        payments = self.env["account.payment"].create(vals_list)
        payments.action_post()
        for line, payment in zip(to_record, payments, strict=True):
            line.payment_id = payment
            if line.gocardless_payment_id:
                line.gocardless_payment_id.account_payment_id = payment
        to_record.gocardless_payment_id._gocardless_sync_account_payment()
        if self.reconcile_invoices:
            self._gocardless_reconcile(payments)
        if len(payments) == 1:
            note = _("1 payment added in %(journal)s.", journal=journal.display_name)
        else:
            note = _(
                "%(count)s payments added in %(journal)s.",
                count=len(payments),
                journal=journal.display_name,
            )
        log_note(self, note)
        return payments, refused

    def _gocardless_balance_problems(self, lines):
        """{line: reason} for the ``lines`` whose customer's open receivable balance in the
        line's currency is now below the line's amount: the customer paid or got a credit
        note since the export, and collecting the exported amount would take too much. One
        grouped read for all the lines."""
        if not lines:
            return {}
        balances = self._gocardless_balances(self.company_id, lines.partner_id.ids)
        problems = {}
        for line in lines:
            currency = line.currency_id
            now = balances.get((line.partner_id.id, currency), Decimal(0))
            if now < to_decimal(line.amount, currency):
                problems[line] = _(
                    "The customer's open balance is now %(balance)s, less than the %(amount)s "
                    "exported (paid or credited since): exclude the line and export the balance "
                    "again.",
                    balance=format_amount(self.env, float(now), currency),
                    amount=format_amount(self.env, line.amount, currency),
                )
        return problems

    def _gocardless_reconcile(self, payments):
        """Reconcile each payment with its customer's open receivables of its currency: all
        the open credits, and the debits by oldest due date until the payment is used."""
        AccountMoveLine = self.env["account.move.line"]
        open_lines = AccountMoveLine.search(
            [
                ("company_id", "=", self.company_id.id),
                ("parent_state", "=", "posted"),
                ("account_type", "=", "asset_receivable"),
                ("reconciled", "=", False),
                ("partner_id", "in", payments.partner_id.ids),
                ("move_id", "not in", payments.move_id.ids),
            ],
            order="date_maturity, date, id",
        )
        by_key = defaultdict(list)
        for line in open_lines:
            by_key[(line.partner_id.id, line.currency_id.id, line.account_id.id)].append(line)
        for payment in payments:
            counterpart = payment.move_id.line_ids.filtered(
                lambda line, payment=payment: line.account_id == payment.destination_account_id
            )
            if not counterpart:
                continue
            candidates = by_key.get(
                (payment.partner_id.id, payment.currency_id.id, counterpart.account_id.id), []
            )
            currency = payment.currency_id
            available = to_decimal(payment.amount, currency)
            chosen = AccountMoveLine
            for line in candidates:
                residual = to_decimal(line.amount_residual_currency, currency)
                if residual < 0:
                    chosen |= line
                    available -= residual
            for line in candidates:
                residual = to_decimal(line.amount_residual_currency, currency)
                if residual > 0 and available > 0:
                    chosen |= line
                    available -= residual
            if chosen:
                (counterpart | chosen).reconcile()
                # the next payment of the same customer must not reuse these lines
                reconciled_ids = set(chosen.filtered("reconciled").ids)
                for key, lines in by_key.items():
                    by_key[key] = [line for line in lines if line.id not in reconciled_ids]

    # -- Collect through GoCardless ------------------------------------------------------
    def action_collect(self):
        """ "Collect through GoCardless": create the GoCardless payment of every line that
        has none, through the API, with the line's reference as idempotency key and as
        metadata ``odoo_ref``.

        Earlier attempts are matched first (payments list, by ``odoo_ref``). Each line is
        created in its own savepoint and its GoCardless payment stored at once. A line that
        cannot be collected (mandate no longer usable, balance paid or credited since the
        export and not recorded, or refused by GoCardless: validation, mandate state, not
        found) is marked and the run goes on; a fault of the account or of GoCardless itself
        (token, permissions, rate limit, unavailable, timeout, network) stops the run: the
        lines already collected stay recorded and a re-run creates nothing twice (same
        idempotency keys). Nothing is raised then, so that the progress is kept. A run
        creates at most ``COLLECT_MAX_PER_RUN`` payments and starts none after
        ``COLLECT_TIME_BUDGET`` seconds.
        """
        self.ensure_one()
        self._check_manager()
        self._lock()
        account = self.account_id
        api = account._gocardless_api()
        try:
            self._gocardless_refresh(api)
        except GoCardlessError as error:
            raise account._gocardless_user_error(error) from error
        lines = self.line_ids.filtered(
            lambda line: not (line.gocardless_payment_ids or line.excluded)
        ).sorted("sequence")
        if not lines:
            return self._notify(
                _("Nothing to collect: every line already has its GoCardless payment."), "info"
            )
        # a balance recorded as paid in Odoo is collected as recorded; the others must
        # still be due
        problems = self._gocardless_balance_problems(
            lines.filtered(lambda line: not line.payment_id)
        )
        collected, refused, stopped = self.env["gocardless.export.line"], [], None
        started = time.monotonic()
        remaining = lines
        for index, line in enumerate(lines):
            if len(collected) >= COLLECT_MAX_PER_RUN or (
                time.monotonic() - started > COLLECT_TIME_BUDGET
            ):
                remaining = lines[index:]
                break
            remaining = lines[index + 1 :]
            if line in problems:
                line.collect_error = problems[line]
                refused.append(line)
                continue
            problem = self._gocardless_collect_line(api, line)
            if problem is None:
                collected |= line
            elif isinstance(problem, GoCardlessError):
                stopped = (line, problem)
                remaining = lines[index:]
                break
            else:
                refused.append(line)
        return self._gocardless_collect_report(collected, refused, stopped, remaining)

    def _gocardless_collect_line(self, api, line):
        """Create one line's GoCardless payment. None when done; a GoCardlessError that
        should stop the run (``GoCardlessError.ACCOUNT_WIDE_KINDS``); or a message (the line
        is refused and marked)."""
        mandate = line.mandate_id
        if not mandate.filtered_domain(const.USABLE_MANDATE_DOMAIN):
            message = _(
                "Mandate %(mandate)s cannot take payments any more (%(status)s).",
                mandate=mandate.gocardless_id,
                status=mandate.status,
            )
            line.collect_error = message
            return message
        try:
            amount = to_minor_units(line.amount, line.currency_id)
        except ValueError:
            # a line exported before amounts followed the ISO unit
            message = _(
                "%(amount)s %(currency)s has more decimals than GoCardless collects: exclude "
                "the line and export the balance again.",
                amount=line.amount,
                currency=line.currency_id.name,
            )
            line.collect_error = message
            return message
        charge_date = self._gocardless_collect_charge_date(line)
        params = {
            "amount": amount,
            "currency": line.currency_id.name,
            "description": line.description or line.reference,
            "links": {"mandate": mandate.gocardless_id},
            "metadata": {const.BULK_IMPORT_METADATA_KEY: line.reference},
        }
        if charge_date:
            params["charge_date"] = fields.Date.to_string(charge_date)
        # every check that can fail is above: from here on, GoCardless may have created a
        # payment, and nothing may undo Odoo's record of it
        try:
            data = api.create_resource("payments", params, idempotency_key=line.reference)
        except GoCardlessError as error:
            if error.kind in GoCardlessError.ACCOUNT_WIDE_KINDS:
                _logger.info("GoCardless collection of %s stopped: %s", line.reference, error)
                return error
            message = self.account_id._gocardless_error_message(error)
            line.collect_error = message
            return message
        try:
            with self.env.cr.savepoint():
                message = self._gocardless_store_created(line, data)
        except Exception as error:  # GoCardless created it: a failure here must not undo that
            _logger.exception(
                "GoCardless payment %s of %s could not be stored", data.get("id"), line.reference
            )
            message = _(
                "GoCardless created payment %(payment)s, but Odoo could not record it "
                "(%(error)s). Refresh from GoCardless records it (by its reference); it is "
                "never created twice.",
                payment=data.get("id"),
                error=error,
            )
        line.collect_error = message or False
        return message or None

    def _gocardless_store_created(self, line, data):
        """Record the payment GoCardless answered for ``line``'s create; return False, or a
        message saying why it is not the line's payment."""
        ref = (data.get("metadata") or {}).get(const.BULK_IMPORT_METADATA_KEY)
        if ref != line.reference:
            # the idempotency key was used for another payment (another database?)
            return _(
                "GoCardless answered with payment %(payment)s of reference %(ref)s, not "
                "%(reference)s: nothing recorded. Check it in the dashboard.",
                payment=data.get("id"),
                ref=ref or "-",
                reference=line.reference,
            )
        self.env["gocardless.payment"]._gocardless_store(
            self.account_id, [data], {line.reference: line}
        )
        line.invalidate_recordset(["gocardless_payment_ids"])
        if not line.gocardless_payment_ids:
            return _(
                "GoCardless answered with payment %(payment)s, which does not collect on "
                "this customer's mandate: nothing recorded. Check it in the dashboard (see the "
                "batch's messages).",
                payment=data.get("id"),
            )
        return False

    def _gocardless_collect_charge_date(self, line):
        """The charge date to send for ``line`` (False: as soon as possible), the line
        re-dated with a note when it changes: a date that has passed since the export means
        as soon as possible; a date earlier than the mandate's current next possible charge
        date moves to it (GoCardless refuses both)."""
        charge_date = line.charge_date
        if not charge_date:
            return False
        earliest = line.mandate_id.next_possible_charge_date
        today = fields.Date.context_today(self)
        if charge_date < today:
            new_date = earliest if earliest and earliest >= today else False
            note = _(
                "The charge date %(chosen)s had passed at collection: %(new)s.",
                chosen=format_date(self.env, charge_date),
                new=format_date(self.env, new_date) if new_date else _("as soon as possible"),
            )
        else:
            new_date, note = self._gocardless_line_charge_date(
                charge_date, {"next_possible_charge_date": earliest}
            )
            if new_date == charge_date:
                return charge_date
        line.write({"charge_date": new_date, "note": line._gocardless_note(note)})
        return new_date

    def _gocardless_collect_report(self, collected, refused, stopped, remaining):
        """The end of a collection run: one message, noted on the batch (a note that cannot
        fail: the payments GoCardless created must stay recorded) and shown to the user."""
        count = len(collected)
        if count == 1:
            parts = [_("1 GoCardless payment created.")]
        else:
            parts = [_("%(count)s GoCardless payments created.", count=count)]
        if refused:
            parts.append(
                _(
                    "Refused by GoCardless or not collectable (see the lines): %(references)s.",
                    references=", ".join(line.reference for line in refused),
                )
            )
        kind = "success" if not (refused or stopped or remaining) else "warning"
        if stopped:
            parts.append(self._gocardless_stop_text(*stopped))
            kind = "danger"
        elif remaining:
            if len(remaining) == 1:
                parts.append(_("1 line remains: run Collect again to go on."))
            else:
                parts.append(
                    _(
                        "%(count)s lines remain: run Collect again to go on.",
                        count=len(remaining),
                    )
                )
        message = " ".join(parts)
        log_note(self, message)
        return self._notify(message, kind, sticky=kind != "success")

    def _gocardless_stop_text(self, line, error):
        """Why a collection run stopped at ``line``. Never "nothing was changed": payments
        may have been created before. When the answer to the create itself was lost (timeout,
        dropped connection, GoCardless failing), whether GoCardless created that payment is
        unknown; the next run finds it by its reference (idempotency key, metadata odoo_ref)
        or creates it, never twice."""
        if error.kind in (
            GoCardlessError.KIND_TIMEOUT,
            GoCardlessError.KIND_NETWORK,
            GoCardlessError.KIND_UNAVAILABLE,
        ):
            if error.kind == GoCardlessError.KIND_TIMEOUT:
                problem = _("no answer in time")
            elif error.kind == GoCardlessError.KIND_NETWORK:
                problem = _("the connection was refused or dropped")
            else:
                problem = _("GoCardless is unavailable: %(detail)s", detail=error.summary)
            return _(
                "Stopped at %(reference)s: GoCardless did not answer (%(problem)s), so whether "
                "it created this payment is unknown. The payments created before are "
                "recorded. Run Collect again: it finds this payment by its reference if "
                "GoCardless created it and goes on with the others (nothing is created twice).",
                reference=line.reference,
                problem=problem,
            )
        if error.kind == GoCardlessError.KIND_RATE_LIMIT:
            seconds = int(error.retry_after) + 1 if error.retry_after is not None else 60
            reason = _(
                "GoCardless's rate limit is reached; wait %(seconds)s seconds.", seconds=seconds
            )
        else:
            reason = self.account_id._gocardless_error_message(error)
        return _(
            "Stopped at %(reference)s: %(error)s The payments created so far are recorded; run "
            "Collect again to finish (nothing is created twice).",
            reference=line.reference,
            error=reason,
        )

    # -- refresh from GoCardless ---------------------------------------------------------
    def action_refresh_from_gocardless(self):
        """Find the GoCardless payments of the batch (e.g. after a file upload in the
        dashboard), matched by metadata ``odoo_ref``, and refresh their status."""
        self._check_manager()
        found = self.env["gocardless.payment"]
        for batch in self:
            account = batch.account_id
            try:
                found |= batch._gocardless_refresh(account._gocardless_api())
            except GoCardlessError as error:
                raise account._gocardless_user_error(error) from error
        lines = self.line_ids
        missing = lines.filtered(lambda line: not line.gocardless_payment_ids)
        message = _(
            "%(found)s of %(count)s lines have their GoCardless payment.",
            found=len(lines) - len(missing),
            count=len(lines),
        )
        return self._notify(message, "success" if not missing else "info")

    def _gocardless_refresh(self, api):
        """Read the batch's payments from GoCardless and store them; return them.

        Lists the payments created since the export (per mandate when few mandates are
        concerned, else by creation date; every page) and keeps those whose metadata
        ``odoo_ref`` is a reference of the batch, or that are known already.
        """
        self.ensure_one()
        lines = self.line_ids
        if not lines:
            return self.env["gocardless.payment"]
        self._lock()  # it writes the batch's payments, as a collection or an event would
        by_ref = {line.reference: line for line in lines if not line.excluded}
        excluded_refs = set(lines.filtered("excluded").mapped("reference"))
        known = set(lines.gocardless_payment_ids.mapped("gocardless_id"))
        since = (self.exported_at - REFRESH_MARGIN).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        mandate_ids = sorted(set(lines.mandate_id.mapped("gocardless_id")))
        if len(mandate_ids) <= REFRESH_PER_MANDATE_MAX:
            queries = [{"created_at[gte]": since, "mandate": mandate} for mandate in mandate_ids]
        else:
            queries = [{"created_at[gte]": since}]
        wanted, unwanted = [], []
        for params in queries:
            for data in api.list_all("payments", params):
                ref = (data.get("metadata") or {}).get(const.BULK_IMPORT_METADATA_KEY)
                if ref in by_ref or data["id"] in known:
                    wanted.append(data)
                elif (
                    ref in excluded_refs and data.get("status") not in const.PAYMENT_FAILED_STATUSES
                ):
                    unwanted.append(f"{data['id']} ({ref})")
        if unwanted:
            log_note(
                self,
                _(
                    "GoCardless collects payments for lines excluded from this batch: "
                    "%(payments)s. Cancel them in the GoCardless dashboard, or their balances "
                    "may be collected twice.",
                    payments=", ".join(unwanted),
                ),
            )
        wanted.sort(key=lambda data: (data.get("created_at") or "", data["id"]))  # oldest first
        Payment = self.env["gocardless.payment"]
        created, updated = Payment._gocardless_store(self.account_id, wanted, by_ref)
        self._gocardless_note_mismatches(created)
        return created | updated

    def _gocardless_note_mismatches(self, payments):
        """Say on the batch when a GoCardless payment differs from its line (an edited file):
        Odoo records what GoCardless collects."""
        problems = []
        for payment in payments.filtered("export_line_id"):
            line = payment.export_line_id
            if payment.currency_id != line.currency_id or to_gocardless_amount(
                payment.amount, payment.currency_id
            ) != to_gocardless_amount(line.amount, line.currency_id):
                problems.append(
                    _(
                        "%(reference)s: GoCardless collects %(collected)s %(collected_currency)s"
                        " instead of %(amount)s %(currency)s.",
                        reference=line.reference,
                        collected=plain_amount(payment.amount, payment.currency_id),
                        collected_currency=payment.currency_id.name,
                        amount=plain_amount(line.amount, line.currency_id),
                        currency=line.currency_id.name,
                    )
                )
            if payment.mandate_gocardless_id != line.mandate_id.gocardless_id:
                problems.append(
                    _(
                        "%(reference)s: GoCardless collects on mandate %(mandate)s instead of "
                        "%(exported)s.",
                        reference=line.reference,
                        mandate=payment.mandate_gocardless_id or "-",
                        exported=line.mandate_id.gocardless_id,
                    )
                )
        if problems:
            log_note(
                self,
                _(
                    "GoCardless payments that differ from the export (Odoo records what "
                    "GoCardless collects): %(problems)s",
                    problems=" ".join(problems),
                ),
            )
        return problems

    # -- navigation ----------------------------------------------------------------------
    def action_open_payments(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "gocardless_sync.gocardless_payment_action"
        )
        action["domain"] = [("export_id", "=", self.id)]
        action["context"] = {}
        return action

    def action_open_account_payments(self):
        self.ensure_one()
        return self.line_ids.payment_id._get_records_action(
            name=_("Payments of %(batch)s", batch=self.name)
        )

    def _notify(self, message, kind="info", sticky=False):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": kind,
                "title": ", ".join(self.mapped("name")) or _("GoCardless"),
                "message": message,
                "sticky": sticky,
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

"""Balance export (batch): what customers owe, as GoCardless payments to collect.

A batch holds one line per (commercial partner, currency) whose open receivable balance can be
collected on a usable mandate, and lists the other balances as skipped with their reason. From
a batch the accountant downloads the bulk-import files (CSV, XLSX), adds the balances as Odoo
payments, collects them through the API, and refreshes their status from GoCardless.

Where each rule lives:
- the plan (which balances, which mandate, which charge date, why a balance is left out):
  ``services/export_plan.py``, a pure function, fed by ``gocardless.export.builder`` with
  batch reads (balances with ONE grouped query whatever the number of customers; selection,
  mandates, customers and lines still being collected one query each), which then creates
  the batch;
- one line (its file row, its charge date, the balance re-check, its collection, its Odoo
  payment): ``gocardless.export.line``;
- collecting through the API and refreshing from GoCardless: ``gocardless.export.collector``;
- reconciling a recorded payment with the invoices: ``account.payment``.
See docs/decisions.md ("Balance export", "Structure").
"""

import logging
from collections import defaultdict
from decimal import Decimal

import psycopg2.errors

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import format_amount, format_date
from odoo.tools.translate import LazyTranslate

from ..common import check_manager, notification, try_lock
from ..notes import log_note
from ..services import const, export_files
from ..services.api import GoCardlessError
from ..tools import to_decimal

_logger = logging.getLogger(__name__)
_lt = LazyTranslate(__name__)

INVOICING_GROUP = "account.group_account_invoice"
# What only GoCardless Managers can do with balance exports (common.check_manager).
MANAGER_CAN = _lt("export balances, record and collect payments")
# The purpose of the database tag that ends every line reference (common.database_tag).
REFERENCE_TAG_PURPOSE = "gocardless.export"


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
    payment_recording = fields.Selection(related="account_id.payment_recording")
    waiting_count = fields.Integer(
        compute="_compute_waiting_count",
        string="Waiting for GoCardless",
        help="Lines whose payment Odoo books when GoCardless confirms it or pays it out.",
    )
    waiting_text = fields.Char(compute="_compute_waiting_count")
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

    def _compute_waiting_count(self):
        waiting = dict(
            self.env["gocardless.export.line"]._read_group(
                [
                    ("export_id", "in", [batch_id for batch_id in self.ids if batch_id]),
                    ("excluded", "=", False),
                    ("payment_id", "=", False),
                    (
                        "export_id.account_id.payment_recording",
                        "!=",
                        const.PAYMENT_RECORDING_EXPORT,
                    ),
                    (
                        "gocardless_payment_ids",
                        "not any",
                        [("status", "in", list(const.PAYMENT_FAILED_STATUSES))],
                    ),
                ],
                ["export_id"],
                ["__count"],
            )
        )
        for batch in self:
            count = waiting.get(batch, 0)
            batch.waiting_count = count
            if not count:
                batch.waiting_text = False
            elif count == 1:
                batch.waiting_text = _(
                    "1 line is waiting for GoCardless. This account records payments "
                    "%(moment)s (Settings > GoCardless): the line is booked by itself then; "
                    "collecting or uploading the file books nothing.",
                    moment=batch.account_id._gocardless_recording_moment(),
                )
            else:
                batch.waiting_text = _(
                    "%(count)s lines are waiting for GoCardless. This account records payments "
                    "%(moment)s (Settings > GoCardless): each line is booked by itself then; "
                    "collecting or uploading the file books nothing.",
                    count=count,
                    moment=batch.account_id._gocardless_recording_moment(),
                )

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
        """Refuse to delete a batch with payments Odoo knows of. No GoCardless call here:
        the batch's Delete (``action_gocardless_delete``) asks GoCardless first."""
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

    def action_gocardless_delete(self):
        """ "Delete" (the batch's form, the balance exports list): GoCardless is asked first
        whether it collects payments of the batches (a file uploaded in the dashboard is
        unknown to Odoo until a refresh), then the batches without any payment are deleted;
        a batch with payments stops it all."""
        check_manager(self.env, _("delete balance exports"))
        self.filtered("line_ids")._gocardless_refresh_or_refuse(_("Deleting a batch"))
        names = ", ".join(self.mapped("name"))
        self.unlink()
        return notification(
            _("Balance exports"),
            _("%(batches)s deleted.", batches=names),
            "success",
            next_action=self.env["ir.actions.act_window"]._for_xml_id(
                "gocardless_sync.gocardless_export_action"
            ),
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
        collector = self.env["gocardless.export.collector"]
        for batch in self:
            account = batch.account_id
            if not account.has_access_token:
                continue
            try:
                collector._gocardless_refresh(batch, account._gocardless_api())
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

    def _gocardless_lock(self):
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

        The lock is the advisory lock ``(const.LOCK_EXPORT, batch id)`` of the transaction
        (``common.try_lock``, shared by every Odoo server). Everything that writes the batch's
        GoCardless payments holds it: collecting, recording and refreshing the batch, and
        applying GoCardless events about its payments (webhooks, polling, the retry), so that
        none of them writes what another is writing.

        Under Odoo's REPEATABLE READ isolation a transaction that began before the previous
        holder committed does not see what that holder wrote, and would write it again. So
        every holder also writes the batch's ``lock_count`` (row locked with NOWAIT): when
        the previous holder committed after this transaction began, that write meets a
        serialization failure, which is caught (not logged) and answered as "busy"; the
        caller tries again in a new transaction.
        """
        self.ensure_one()
        if not try_lock(self.env, const.LOCK_EXPORT, self.id):
            return False
        cr = self.env.cr
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

    # -- the export (gocardless.export.builder) -------------------------------------------
    @api.model
    def _gocardless_export_action(self, account, partners, charge_date=None):
        """Export the balances of ``partners`` for ``account`` (the contacts' action, the
        integration screen): see ``gocardless.export.builder``."""
        return self.env["gocardless.export.builder"]._gocardless_export_action(
            account, partners, charge_date
        )

    # -- files ---------------------------------------------------------------------------
    def _gocardless_file_rows(self):
        """The file rows of the batch's lines (excluded ones left out)."""
        self.ensure_one()
        lines = self.line_ids.filtered(lambda line: not line.excluded).sorted("sequence")
        return [line._gocardless_file_row() for line in lines]

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
            vals = line._gocardless_charge_date_vals(self.charge_date)
            groups[tuple(sorted(vals.items()))] |= line
        for vals, lines in groups.items():
            lines.write(dict(vals))
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
        check_manager(self.env, MANAGER_CAN)
        self._check_invoicing(_("Adding balances as payments"))
        self._gocardless_check_recording_by_export()
        for batch in self:  # every lock first: a busy batch stops the run before any change
            batch._gocardless_lock()
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
            return self._gocardless_notify(
                message, "warning" if refused else "info", sticky=bool(refused)
            )
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
        return self._gocardless_notify(
            message, "warning" if refused else "success", sticky=bool(refused)
        )

    def _gocardless_check_recording_by_export(self):
        """ "Add balances as payments" is the recording moment of accounts that record
        payments at export only; other accounts book each payment when GoCardless reports
        it confirmed or paid out."""
        for account in self.account_id:
            if account.payment_recording != const.PAYMENT_RECORDING_EXPORT:
                raise UserError(
                    _(
                        "%(company)s records GoCardless payments %(moment)s: Odoo books each "
                        "payment then, by itself, so there is nothing to add by hand. To add "
                        "the balances as payments now, choose 'When the balances are added as "
                        "payments' in Settings > GoCardless (Record payments).",
                        company=account.company_id.name,
                        moment=account._gocardless_recording_moment(),
                    )
                )

    def _gocardless_record_payments(self):
        """Record the batch's open lines; return (account.payment, [(line, reason)])."""
        self.ensure_one()
        journal, method_line = self.account_id._gocardless_check_journal()
        clearing = self.account_id._gocardless_clearing_account()
        # read the lines again under the lock: another run may just have recorded them
        self.line_ids.invalidate_recordset(["payment_id"])
        open_lines = self.line_ids.filtered(lambda line: not (line.payment_id or line.excluded))
        refused = open_lines._gocardless_recording_problems()
        to_record = open_lines.filtered(lambda line: line not in refused)
        refused = sorted(refused.items(), key=lambda item: item[0].sequence)
        if not to_record:
            return self.env["account.payment"], refused
        today = fields.Date.context_today(self)
        payments = self.env["account.payment"].create(
            [line._prepare_account_payment_vals(journal, method_line, today) for line in to_record]
        )
        self.env["gocardless.ledger"]._gocardless_post_payments(payments, clearing)
        for line, payment in zip(to_record, payments, strict=True):
            line.payment_id = payment
            if line.gocardless_payment_id:
                line.gocardless_payment_id.account_payment_id = payment
        if self.reconcile_invoices:
            payments._gocardless_reconcile_open_items()
        # the payments' entries, and what their GoCardless status books (paid out: Paid)
        to_record.gocardless_payment_id._gocardless_sync_ledger()
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

    # -- collect through GoCardless, refresh from GoCardless -----------------------------
    def action_collect(self):
        """ "Collect through GoCardless": see ``gocardless.export.collector``."""
        self.ensure_one()
        return self.env["gocardless.export.collector"]._gocardless_collect(self)

    def action_refresh_from_gocardless(self):
        """Find the GoCardless payments of the batch (e.g. after a file upload in the
        dashboard), matched by metadata ``odoo_ref``, and refresh their status."""
        check_manager(self.env, MANAGER_CAN)
        collector = self.env["gocardless.export.collector"]
        for batch in self:
            account = batch.account_id
            try:
                collector._gocardless_refresh(batch, account._gocardless_api())
            except GoCardlessError as error:
                raise account._gocardless_user_error(error) from error
        lines = self.line_ids
        missing = lines.filtered(lambda line: not line.gocardless_payment_ids)
        message = _(
            "%(found)s of %(count)s lines have their GoCardless payment.",
            found=len(lines) - len(missing),
            count=len(lines),
        )
        return self._gocardless_notify(message, "success" if not missing else "info")

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

    def _gocardless_notify(self, message, kind="info", sticky=False):
        """A notification titled with the batches' names, then the view reloaded."""
        title = ", ".join(self.mapped("name")) or _("GoCardless")
        return notification(title, message, kind, sticky=sticky)

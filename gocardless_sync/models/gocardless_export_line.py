import logging

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_amount, format_date

from ..common import check_manager
from ..notes import log_note
from ..services import const, export_files, export_plan
from ..services.api import GoCardlessError
from ..tools import to_decimal, to_gocardless_amount, to_minor_units
from .gocardless_export import MANAGER_CAN

_logger = logging.getLogger(__name__)


class GoCardlessExportLine(models.Model):
    """One balance to collect: a customer's open receivable balance in one currency, on
    one mandate. Its reference identifies it everywhere (file, API idempotency key, payment
    metadata ``odoo_ref``); it is recorded by at most one Odoo payment and collected by at
    most one GoCardless payment.

    What one line does: its notes, its charge date, its file row, the balance re-check
    before it is collected or recorded, its Odoo payment's values and its collection through
    the API. The rules are ``services/export_plan.py``'s, called with the line's values."""

    _name = "gocardless.export.line"
    _description = "GoCardless Export Line"
    _order = "export_id desc, sequence, id"
    _rec_name = "reference"
    _check_company_auto = True

    export_id = fields.Many2one(
        "gocardless.export", required=True, ondelete="cascade", index=True, readonly=True
    )
    company_id = fields.Many2one(
        related="export_id.company_id", store=True, index=True, precompute=True
    )
    sequence = fields.Integer(readonly=True)
    reference = fields.Char(
        required=True,
        readonly=True,
        copy=False,
        help="Unique reference of the line: the GoCardless idempotency key and the payment's "
        "metadata odoo_ref.",
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        readonly=True,
        index=True,
        check_company=True,
        help="The commercial entity whose receivable balance is collected.",
    )
    mandate_id = fields.Many2one(
        "gocardless.mandate",
        required=True,
        readonly=True,
        index=True,
        ondelete="restrict",
        check_company=True,
        context={"active_test": False},
    )
    mandate_gocardless_id = fields.Char(related="mandate_id.gocardless_id", string="Mandate ID")
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    amount = fields.Monetary(
        currency_field="currency_id",
        readonly=True,
        help="What GoCardless collects: the open balance with the currency's ISO 4217 "
        "decimals (2 for every GoCardless currency).",
    )
    balance = fields.Monetary(
        string="Open balance",
        currency_field="currency_id",
        readonly=True,
        help="The customer's open receivable balance at the export, with Odoo's rounding of "
        "the currency. When it has more decimals than GoCardless collects, the amount is "
        "rounded down and the note says so.",
    )
    charge_date = fields.Date(readonly=True, help="Empty: GoCardless charges as soon as possible.")
    description = fields.Char(readonly=True, help="The payment description the customer sees.")
    note = fields.Char(readonly=True)
    payment_id = fields.Many2one(
        "account.payment",
        string="Odoo payment",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="set null",
        check_company=True,
    )
    gocardless_payment_ids = fields.One2many(
        "gocardless.payment", "export_line_id", string="GoCardless payments", readonly=True
    )
    gocardless_payment_id = fields.Many2one(
        "gocardless.payment",
        compute="_compute_gocardless_payment_id",
        string="GoCardless payment",
    )
    gocardless_status = fields.Selection(
        const.PAYMENT_STATUSES, compute="_compute_gocardless_payment_id", string="GoCardless status"
    )
    booking_state = fields.Selection(
        const.BOOKING_STATES,
        compute="_compute_gocardless_payment_id",
        string="Booking",
        help="Where the line's payment stands in the books: to add as payment (Add balances "
        "as payments), waiting for GoCardless (booked when GoCardless confirms the payment "
        "or pays it out, as the account records payments), booked, reversed, or not booked.",
    )
    collect_error = fields.Char(string="Collection problem", readonly=True, copy=False)
    excluded = fields.Boolean(
        readonly=True,
        copy=False,
        help="Taken out of the batch (Exclude): never collected nor recorded, left out of the "
        "files, and its balance can be exported again.",
    )

    _sql_constraints = [
        ("reference_uniq", "unique(reference)", "An export line reference is unique."),
        (
            "payment_uniq",
            "unique(payment_id)",
            "An Odoo payment records one export line only.",
        ),
        ("amount_positive", "CHECK(amount > 0)", "An export line collects a positive amount."),
    ]

    # -- notes and charge date -----------------------------------------------------------
    @api.model
    def _gocardless_note_text(self, notes):
        """The text of a line's notes (``[(export_plan.NOTE_*, {parameters})]``), or False."""
        texts = []
        for code, params in notes:
            if code == export_plan.NOTE_ROUNDED:
                texts.append(
                    _(
                        "The open balance %(balance)s %(currency)s has more decimals than "
                        "GoCardless collects: %(amount)s is collected (rounded down).",
                        balance=f"{params['balance']:f}",
                        currency=params["currency"],
                        amount=f"{params['amount']:f}",
                    )
                )
            elif code == export_plan.NOTE_DATE_MOVED:
                texts.append(
                    _(
                        "Charge date moved from %(chosen)s to %(earliest)s, the mandate's next "
                        "possible charge date.",
                        chosen=format_date(self.env, params["chosen"]),
                        earliest=format_date(self.env, params["earliest"]),
                    )
                )
            elif code == export_plan.NOTE_DATE_PASSED:
                new = params["new"]
                texts.append(
                    _(
                        "The charge date %(chosen)s had passed at collection: %(new)s.",
                        chosen=format_date(self.env, params["chosen"]),
                        new=format_date(self.env, new) if new else _("as soon as possible"),
                    )
                )
        return " ".join(texts) or False

    def _gocardless_note(self, *date_notes):
        """The line's note: the rounding of its balance when there was one, then
        ``date_notes`` (what happened to its charge date), as ``_gocardless_note_text``."""
        self.ensure_one()
        currency = self.currency_id
        rounding = (
            export_plan.rounding_note(
                to_decimal(self.balance, currency),
                to_gocardless_amount(self.amount, currency),
                currency.name,
            )
            if self.balance
            else None
        )
        return self._gocardless_note_text([note for note in (rounding, *date_notes) if note])

    def _gocardless_charge_date_vals(self, chosen):
        """{charge_date, note} of the line for its batch's ``chosen`` charge date (moved to
        the mandate's next possible charge date when earlier)."""
        self.ensure_one()
        new_date, moved = export_plan.line_charge_date(
            chosen or None, self.mandate_id.next_possible_charge_date or None
        )
        moved_note = (export_plan.NOTE_DATE_MOVED, {"chosen": chosen, "earliest": new_date})
        return {
            "charge_date": new_date or False,
            "note": self._gocardless_note(moved_note) if moved else self._gocardless_note(),
        }

    def _gocardless_collect_charge_date(self):
        """The charge date to send for the line (False: as soon as possible), the line
        re-dated with a note when it changes: a date that has passed since the export means
        as soon as possible; a date earlier than the mandate's current next possible charge
        date moves to it (GoCardless refuses both)."""
        self.ensure_one()
        chosen = self.charge_date
        new_date, code = export_plan.collect_charge_date(
            chosen or None,
            self.mandate_id.next_possible_charge_date or None,
            fields.Date.context_today(self),
        )
        if code is None:
            return chosen or False
        params = {"chosen": chosen, "earliest": new_date, "new": new_date}
        self.write(
            {"charge_date": new_date or False, "note": self._gocardless_note((code, params))}
        )
        return new_date or False

    def _gocardless_file_row(self):
        """The line's row of the bulk-import files."""
        self.ensure_one()
        customer = self.mandate_id.customer_id
        return export_files.file_row(
            self.mandate_id.gocardless_id,
            {
                name: customer[name]
                for name in ("gocardless_id", "given_name", "family_name", "company_name", "email")
            },
            to_gocardless_amount(self.amount, self.currency_id),
            self.currency_id.name,
            self.description,
            self.charge_date,
            self.reference,
        )

    # -- checks before collecting and recording ------------------------------------------
    def _gocardless_balance_problems(self):
        """{line: reason} for the lines whose customer's open receivable balance in the
        line's currency is now below the line's amount: the customer paid or got a credit
        note since the export, and collecting the exported amount would take too much. One
        grouped read for all the lines (``export_plan.balance_shortfalls``)."""
        if not self:
            return {}
        balances, _currencies = self.env["gocardless.export.builder"]._gocardless_balances(
            self.company_id, self.partner_id.ids
        )
        shortfalls = export_plan.balance_shortfalls(
            [
                (
                    line,
                    line.partner_id.id,
                    line.currency_id.id,
                    to_decimal(line.amount, line.currency_id),
                )
                for line in self
            ],
            balances,
        )
        return {
            line: _(
                "The customer's open balance is now %(balance)s, less than the %(amount)s "
                "exported (paid or credited since): exclude the line and export the balance "
                "again.",
                balance=format_amount(self.env, float(now), line.currency_id),
                amount=format_amount(self.env, line.amount, line.currency_id),
            )
            for line, now in shortfalls.items()
        }

    def _gocardless_recording_problems(self):
        """{line: reason} for the lines that must not be recorded as Odoo payments: their
        GoCardless payment failed, GoCardless refused them at collection, or (not collected
        yet) their balance is no longer due."""
        refused = {}
        for line in self:
            if line.gocardless_status in const.PAYMENT_FAILED_STATUSES:
                refused[line] = _("Its GoCardless payment failed or was cancelled.")
            elif line.collect_error and not line.gocardless_payment_id:
                refused[line] = _("GoCardless refused it: %(error)s", error=line.collect_error)
        # money that GoCardless is not collecting yet must still be due
        not_collected = self.filtered(
            lambda line: not line.gocardless_payment_id and line not in refused
        )
        refused.update(not_collected._gocardless_balance_problems())
        return refused

    # -- recording -----------------------------------------------------------------------
    def _prepare_account_payment_vals(self, journal, payment_method_line, date):
        """The values of the line's Odoo payment ("Add balances as payments"): an inbound
        customer payment of the commercial entity in ``journal``. Its amount and currency are
        what GoCardless collects once known (an edited file may differ), else the line's.
        Override to add values (e.g. an analytic distribution or a bank account)."""
        self.ensure_one()
        source = self.gocardless_payment_id or self
        return {
            "payment_type": "inbound",
            "partner_type": "customer",
            "partner_id": self.partner_id.id,
            "amount": source.amount,
            "currency_id": source.currency_id.id,
            "journal_id": journal.id,
            "payment_method_line_id": payment_method_line.id,
            "date": date,
            "memo": _("GoCardless %(reference)s", reference=self.reference),
        }

    # -- collecting through the API ------------------------------------------------------
    def _gocardless_collect(self, api):
        """Create the line's GoCardless payment (``api``: the account's ``GoCardlessAPI``).
        None when done; a GoCardlessError that should stop the run
        (``GoCardlessError.ACCOUNT_WIDE_KINDS``); or a message (the line is refused and
        marked)."""
        self.ensure_one()
        mandate = self.mandate_id
        if not export_plan.is_usable(mandate.status, mandate.active):
            message = _(
                "Mandate %(mandate)s cannot take payments any more (%(status)s).",
                mandate=mandate.gocardless_id,
                status=mandate.status,
            )
            self.collect_error = message
            return message
        try:
            amount = to_minor_units(self.amount, self.currency_id)
        except ValueError:
            # a line exported before amounts followed the ISO unit
            message = _(
                "%(amount)s %(currency)s has more decimals than GoCardless collects: exclude "
                "the line and export the balance again.",
                amount=self.amount,
                currency=self.currency_id.name,
            )
            self.collect_error = message
            return message
        charge_date = self._gocardless_collect_charge_date()
        params = {
            "amount": amount,
            "currency": self.currency_id.name,
            "description": self.description or self.reference,
            "links": {"mandate": mandate.gocardless_id},
            "metadata": {const.BULK_IMPORT_METADATA_KEY: self.reference},
        }
        if charge_date:
            params["charge_date"] = fields.Date.to_string(charge_date)
        # every check that can fail is above: from here on, GoCardless may have created a
        # payment, and nothing may undo Odoo's record of it
        try:
            data = api.create_resource("payments", params, idempotency_key=self.reference)
        except GoCardlessError as error:
            if error.kind in GoCardlessError.ACCOUNT_WIDE_KINDS:
                _logger.info("GoCardless collection of %s stopped: %s", self.reference, error)
                return error
            message = self.export_id.account_id._gocardless_error_message(error)
            self.collect_error = message
            return message
        try:
            with self.env.cr.savepoint():
                message = self._gocardless_store_created(data)
        except Exception as error:  # GoCardless created it: a failure here must not undo that
            _logger.exception(
                "GoCardless payment %s of %s could not be stored", data.get("id"), self.reference
            )
            message = _(
                "GoCardless created payment %(payment)s, but Odoo could not record it "
                "(%(error)s). Refresh from GoCardless records it (by its reference); it is "
                "never created twice.",
                payment=data.get("id"),
                error=error,
            )
        self.collect_error = message or False
        return message or None

    def _gocardless_store_created(self, data):
        """Record the payment GoCardless answered for the line's create; return False, or a
        message saying why it is not the line's payment."""
        self.ensure_one()
        ref = (data.get("metadata") or {}).get(const.BULK_IMPORT_METADATA_KEY)
        if ref != self.reference:
            # the idempotency key was used for another payment (another database?)
            return _(
                "GoCardless answered with payment %(payment)s of reference %(ref)s, not "
                "%(reference)s: nothing recorded. Check it in the dashboard.",
                payment=data.get("id"),
                ref=ref or "-",
                reference=self.reference,
            )
        self.env["gocardless.payment"]._gocardless_store(
            self.export_id.account_id, [data], {self.reference: self}
        )
        self.invalidate_recordset(["gocardless_payment_ids"])
        if not self.gocardless_payment_ids:
            return _(
                "GoCardless answered with payment %(payment)s, which does not collect on "
                "this customer's mandate: nothing recorded. Check it in the dashboard (see the "
                "batch's messages).",
                payment=data.get("id"),
            )
        return False

    # -- computes and actions ------------------------------------------------------------
    @api.depends(
        "gocardless_payment_ids.status",
        "gocardless_payment_ids.booking_state",
        "payment_id",
        "excluded",
        "export_id.account_id.payment_recording",
    )
    def _compute_gocardless_payment_id(self):
        for line in self:
            payment = line.gocardless_payment_ids[:1]
            line.gocardless_payment_id = payment
            line.gocardless_status = payment.status
            if line.excluded:
                line.booking_state = False
            elif payment:
                line.booking_state = payment.booking_state
            elif line.payment_id:
                line.booking_state = "booked"
            elif line.export_id.account_id.payment_recording == const.PAYMENT_RECORDING_EXPORT:
                line.booking_state = "to_record"
            else:
                line.booking_state = "waiting"

    def action_exclude(self):
        """ "Exclude": take lines that GoCardless refused, or whose balance changed, out of
        their batch for good. Only lines without an Odoo payment, and without a GoCardless
        payment that is still going on, can be excluded; GoCardless is asked first whether
        the batch's file was uploaded meanwhile (Refresh from GoCardless)."""
        batches = self.export_id
        check_manager(self.env, MANAGER_CAN)
        batches._gocardless_refresh_or_refuse(_("Excluding a line"))
        self.invalidate_recordset()
        for line in self:
            if line.excluded:
                continue
            live = line.gocardless_payment_ids.filtered(
                lambda payment: payment.status not in const.PAYMENT_FAILED_STATUSES
            )
            if line.payment_id or live:
                raise UserError(
                    _(
                        "%(reference)s cannot be excluded: it is recorded as an Odoo payment or "
                        "GoCardless is collecting it (%(payment)s). Cancel those first.",
                        reference=line.reference,
                        payment=line.payment_id.display_name or live[:1].gocardless_id,
                    )
                )
        lines = self.filtered(lambda line: not line.excluded)
        if not lines:
            return True
        lines.write({"excluded": True})
        for batch in lines.export_id:
            batch_lines = lines.filtered(lambda line, batch=batch: line.export_id == batch)
            batch._gocardless_store_files(batch._gocardless_file_rows())
            log_note(
                batch,
                _(
                    "Excluded from the batch (never collected nor recorded; the balances can be "
                    "exported again): %(references)s.",
                    references=", ".join(batch_lines.mapped("reference")),
                ),
            )
        return True

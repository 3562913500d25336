import logging

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..notes import log_note
from ..services import const, status_rules
from ..services.api import GoCardlessError
from ..tools import changed_vals, from_minor_units, parse_date, parse_datetime

_logger = logging.getLogger(__name__)


class GoCardlessPayment(models.Model):
    """A GoCardless payment (PM...): what GoCardless collects, and its status.

    It corresponds to at most one balance-export line and at most one Odoo payment
    (``account.payment``), and each of those to at most one GoCardless payment (SQL
    constraints). Its status changes only through :meth:`_gocardless_apply_status`.
    """

    _name = "gocardless.payment"
    _description = "GoCardless Payment"
    _inherit = ["mail.thread", "gocardless.resource.mixin"]
    _order = "gocardless_created_at desc, id desc"
    _rec_name = "gocardless_id"
    _check_company_auto = True
    _gocardless_plural = "payments"

    account_id = fields.Many2one(
        "gocardless.account", required=True, ondelete="cascade", index=True, readonly=True
    )
    company_id = fields.Many2one(
        related="account_id.company_id", store=True, index=True, precompute=True
    )
    gocardless_id = fields.Char(string="GoCardless ID", required=True, readonly=True)
    status = fields.Selection(
        const.PAYMENT_STATUSES, required=True, readonly=True, tracking=True, index=True
    )
    raw_status = fields.Char(
        string="Status in GoCardless",
        readonly=True,
        help="The last status GoCardless sent that Odoo does not know (a status GoCardless "
        "added later, or none). A payment first seen so is Unknown; a known status is kept "
        "(an unknown one cannot be ordered against it) until GoCardless reports a known one.",
    )
    amount = fields.Monetary(currency_field="currency_id", readonly=True)
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    charge_date = fields.Date(readonly=True)
    description = fields.Char(readonly=True)
    odoo_ref = fields.Char(
        string="Odoo reference",
        readonly=True,
        index="btree_not_null",
        help="The export line's reference, sent to GoCardless as metadata odoo_ref.",
    )
    mandate_id = fields.Many2one(
        "gocardless.mandate",
        readonly=True,
        index=True,
        ondelete="set null",
        check_company=True,
        context={"active_test": False},
    )
    mandate_gocardless_id = fields.Char(string="Mandate ID", readonly=True)
    export_line_id = fields.Many2one(
        "gocardless.export.line",
        string="Export line",
        readonly=True,
        index="btree_not_null",
        ondelete="restrict",
        check_company=True,
    )
    export_id = fields.Many2one(
        related="export_line_id.export_id", store=True, index="btree_not_null", string="Export"
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        compute="_compute_partner_id",
        store=True,
        index=True,
    )
    account_payment_id = fields.Many2one(
        "account.payment",
        string="Odoo payment",
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
        check_company=True,
        copy=False,
    )
    account_payment_state = fields.Selection(
        related="account_payment_id.state", string="Odoo payment status"
    )
    gocardless_created_at = fields.Datetime(string="Created in GoCardless", readonly=True)
    status_changed_at = fields.Datetime(readonly=True)
    last_event_id = fields.Char(
        string="Last event", readonly=True, help="The last GoCardless event applied (EV...)."
    )
    last_event_at = fields.Datetime(
        string="Last event at",
        readonly=True,
        help="When the newest GoCardless event applied to this payment happened: older events "
        "that arrive later change nothing.",
    )
    # -- issue 14 (payments made outside Odoo): the payment's origin. The payments import
    # owns this field; the ledger reads it ("Book payments made outside Odoo").
    origin = fields.Selection(
        [("odoo", "Odoo"), ("gocardless", "Outside Odoo")],
        compute="_compute_origin",
        store=True,
        readonly=True,
        help="Odoo: collected from a balance export (its reference is the payment's "
        "odoo_ref). Outside Odoo: created in the GoCardless dashboard or by another system.",
    )
    # -- the ledger (issue 15): every entry booked for the payment --
    entry_ids = fields.One2many(
        "gocardless.payment.entry", "payment_id", string="Entries", readonly=True
    )
    move_ids = fields.Many2many(
        "account.move",
        compute="_compute_move_ids",
        search="_search_move_ids",
        string="Journal entries",
        help="Every entry booked for this payment, by date then in the order they were booked: "
        "its Odoo payment's, reversals, the money booked again, refunds.",
    )
    refund_ids = fields.One2many("gocardless.refund", "payment_id", string="Refunds", readonly=True)
    booking_state = fields.Selection(
        const.BOOKING_STATES,
        compute="_compute_booking_state",
        store=True,
        index=True,
        string="Booking",
        help="To add as payment: the balance export's 'Add balances as payments' books it. "
        "Waiting for GoCardless: booked when GoCardless confirms the payment or pays it out, "
        "as the account records payments. Booked: its money is in the books. Reversed: "
        "booked, then reversed (a failure, a charge-back). Not booked: Odoo does not book it "
        "(made outside Odoo, or it failed before it was booked).",
    )

    _sql_constraints = [
        (
            "gocardless_id_company_uniq",
            "unique(company_id, gocardless_id)",
            "This GoCardless payment is already recorded for this company.",
        ),
        (
            "export_line_uniq",
            "unique(export_line_id)",
            "An export line is collected by one GoCardless payment only.",
        ),
        (
            "account_payment_uniq",
            "unique(account_payment_id)",
            "An Odoo payment corresponds to one GoCardless payment only.",
        ),
    ]

    @api.depends("export_line_id.partner_id", "mandate_id.partner_id")
    def _compute_partner_id(self):
        for payment in self:
            payment.partner_id = (
                payment.export_line_id.partner_id
                or payment.mandate_id.partner_id.commercial_partner_id
            )

    @api.depends("odoo_ref", "export_line_id")
    def _compute_origin(self):
        for payment in self:
            payment.origin = "odoo" if payment.export_line_id or payment.odoo_ref else "gocardless"

    @api.depends("entry_ids.move_id", "entry_ids.date", "entry_ids.sequence")
    def _compute_move_ids(self):
        for payment in self:
            payment.move_ids = payment.entry_ids.sorted(
                lambda entry: (entry.date, entry.sequence, entry.id)
            ).move_id

    def _search_move_ids(self, operator, value):
        return [("entry_ids.move_id", operator, value)]

    @api.depends(
        "status",
        "origin",
        "partner_id",
        "entry_ids.kind",
        "export_line_id.payment_id",
        "account_payment_id",
        "account_id.payment_recording",
        "account_id.book_external_payments",
    )
    def _compute_booking_state(self):
        for payment in self:
            if payment._gocardless_net_bookings() > 0:
                payment.booking_state = "booked"
            elif payment._gocardless_booking_entries():
                payment.booking_state = "reversed"
            elif (
                payment.status in const.PAYMENT_FAILED_STATUSES
                or payment.account_payment_id  # booked before the ledger kept its entries
                or not payment._gocardless_bookable()
            ):
                payment.booking_state = "not_booked"
            elif (
                payment.export_line_id
                and payment.account_id.payment_recording == const.PAYMENT_RECORDING_EXPORT
            ):
                payment.booking_state = "to_record"
            elif not payment.export_line_id and payment._gocardless_due_for_booking():
                # made outside Odoo and read past its recording moment, without its event
                payment.booking_state = "not_booked"
            else:
                payment.booking_state = "waiting"

    @api.constrains("export_line_id", "account_payment_id")
    def _check_one_to_one(self):
        """Line, GoCardless payment and Odoo payment correspond one to one."""
        for payment in self:
            line = payment.export_line_id
            if (
                line
                and line.payment_id
                and payment.account_payment_id
                and line.payment_id != payment.account_payment_id
            ):
                raise ValidationError(
                    _(
                        "GoCardless payment %(payment)s and its export line %(line)s point at "
                        "different Odoo payments (ids %(odoo)s and %(line_payment)s).",
                        payment=payment.gocardless_id,
                        line=line.reference,
                        odoo=payment.account_payment_id.id,
                        line_payment=line.payment_id.id,
                    )
                )

    # -- from the API --------------------------------------------------------------------
    @api.model
    def _gocardless_vals_from_api(self, data, currencies, mandates):
        """The fields of a payment resource (a dict from the API), without its status.

        :param currencies: {ISO code: res.currency}
        :param mandates: {GoCardless mandate ID: gocardless.mandate}
        """
        currency = currencies.get(data.get("currency"))
        if data.get("currency") not in const.CURRENCY_MINOR_UNITS:
            raise UserError(
                _(
                    "GoCardless payment %(payment)s is in %(currency)s, a currency this "
                    "module does not collect. Check the payment in the GoCardless dashboard.",
                    payment=data.get("id"),
                    currency=data.get("currency"),
                )
            )
        if not currency:
            raise UserError(
                _(
                    "GoCardless payment %(payment)s is in %(currency)s, a currency that is not "
                    "active in Odoo. Activate it in Accounting > Configuration > Currencies.",
                    payment=data.get("id"),
                    currency=data.get("currency"),
                )
            )
        mandate_id = (data.get("links") or {}).get("mandate") or False
        return {
            "gocardless_id": data["id"],
            # the ISO 4217 minor unit, never Odoo's rounding of the currency
            "amount": float(from_minor_units(data.get("amount") or 0, currency)),
            "currency_id": currency.id,
            "charge_date": parse_date(data.get("charge_date")),
            "description": data.get("description") or False,
            "odoo_ref": (data.get("metadata") or {}).get(const.BULK_IMPORT_METADATA_KEY) or False,
            "mandate_gocardless_id": mandate_id,
            "mandate_id": mandates[mandate_id].id if mandate_id in mandates else False,
            "gocardless_created_at": parse_datetime(data.get("created_at")),
        }

    @api.model
    def _gocardless_store(self, account, payments_data, lines_by_ref=None, event=None):
        """Create or refresh payments from API dicts, in batch; return (created, updated).

        New payments are linked to the export line whose reference is their metadata
        ``odoo_ref`` (``lines_by_ref``: {reference: gocardless.export.line}) and to that line's
        Odoo payment, then booked as their status says (``gocardless.ledger``; ``event``, the
        GoCardless event that made Odoo fetch them, dates the entries). Known payments get
        their amount, date and status refreshed; their status goes through
        :meth:`_gocardless_apply_status` (never backwards).
        """
        account.ensure_one()
        lines_by_ref = lines_by_ref or {}
        if not payments_data:
            return self.browse(), self.browse()
        currency_codes = {data.get("currency") for data in payments_data}
        currencies = {
            currency.name: currency
            for currency in self.env["res.currency"].search([("name", "in", list(currency_codes))])
        }
        mandate_ids = {(data.get("links") or {}).get("mandate") for data in payments_data}
        mandates = {
            mandate.gocardless_id: mandate
            for mandate in self.env["gocardless.mandate"]._gocardless_find(
                account.company_id, [m for m in mandate_ids if m]
            )
        }
        existing = {
            payment.gocardless_id: payment
            for payment in self._gocardless_find(
                account.company_id, [data["id"] for data in payments_data]
            )
        }
        to_create, updated = [], self.browse()
        now = fields.Datetime.now()
        # lines that have their GoCardless payment already (or get one in this call)
        claimed = {line.id for line in lines_by_ref.values() if line.gocardless_payment_ids}
        duplicates, foreign = [], []
        for data in payments_data:
            vals = self._gocardless_vals_from_api(data, currencies, mandates)
            payment = existing.get(data["id"])
            if payment:
                vals.pop("odoo_ref")  # the link to a line is made once, at creation
                changes = changed_vals(payment, vals)
                if changes:
                    payment.write(changes)
                    updated |= payment
                if payment._gocardless_apply_status(data.get("status")):
                    updated |= payment
                continue
            status, raw_status = const.read_status(data.get("status"), const.KNOWN_PAYMENT_STATUSES)
            if status == const.UNKNOWN_STATUS:
                _logger.warning(
                    "GoCardless payment %s has a status Odoo does not know (%r): stored as unknown",
                    data["id"],
                    data.get("status"),
                )
            line = lines_by_ref.get(vals["odoo_ref"])
            mandate = mandates.get(vals["mandate_gocardless_id"])
            if line and (
                not mandate or mandate.partner_id.commercial_partner_id != line.partner_id
            ):
                # the reference of one customer's line on another customer's mandate (an
                # edited file): its money does not pay this customer's balance
                foreign.append((line, data["id"], vals["mandate_gocardless_id"]))
                line = None
            elif line and line.id in claimed:
                # a second GoCardless payment for the same line: e.g. the file was uploaded
                # twice, or uploaded and collected through the API
                duplicates.append((line, data["id"]))
                line = None
            elif line:
                claimed.add(line.id)
            vals.update(
                account_id=account.id,
                status=status,
                raw_status=raw_status,
                status_changed_at=now,
                export_line_id=line.id if line else False,
                account_payment_id=line.payment_id.id if line else False,
            )
            to_create.append(vals)
        created = self.browse()
        if to_create:
            # no "created" note nor follower per payment: a refresh may bring thousands
            created = self.with_context(
                mail_create_nolog=True, mail_create_nosubscribe=True
            ).create(to_create)
            created = created.with_env(self.env)
        created._gocardless_sync_ledger(event=event)
        for line, gocardless_id, mandate_id in foreign:
            log_note(
                line.export_id,
                _(
                    "GoCardless payment %(payment)s carries the reference %(reference)s of "
                    "%(customer)s but is collected on mandate %(mandate)s, which is not one of "
                    "that customer's mandates in Odoo: it is not linked to the line. Check it "
                    "in the GoCardless dashboard.",
                    payment=gocardless_id,
                    reference=line.reference,
                    customer=line.partner_id.display_name,
                    mandate=mandate_id or "-",
                ),
            )
        for line, gocardless_id in duplicates:
            log_note(
                line.export_id,
                _(
                    "GoCardless has another payment, %(payment)s, for %(reference)s, which "
                    "already has %(first)s: the balance would be collected twice. Cancel one of "
                    "them in the GoCardless dashboard.",
                    payment=gocardless_id,
                    reference=line.reference,
                    first=line.gocardless_payment_ids[:1].gocardless_id,
                ),
            )
        return created, updated - created

    # -- the lifecycle -------------------------------------------------------------------
    def _gocardless_apply_status(self, status, event=None, note=None):
        """Apply a status that GoCardless reports for these payments. The single entry point
        for status changes (API reads, the payments list, webhooks, event polling).

        :param status: a GoCardless payment status (a key of ``const.PAYMENT_STATUSES``).
            An unknown status is logged and ignored.
        :param event: optional GoCardless event dict (``id``, ``action``, ``created_at``,
            ``details`` with ``cause``/``description``/``reason_code``) that reported it. Its
            ``id`` is kept in ``last_event_id`` and its ``created_at`` in ``last_event_at``;
            an event already applied to a payment (same ``id``), or older than the newest
            event applied to it, is ignored for it; its details go into the chatter notes.
        :param note: optional text added to the chatter notes (e.g. where the status came
            from).
        :return: the payments whose status changed.

        Rules (``services/status_rules.py``, the mandates' rule too):

        - Events arrive late and out of order: an event that happened before the newest one
          already applied (``last_event_at``, to the second) changes nothing.
        - Statuses never move backwards: a status whose ``const.PAYMENT_STATUS_RANK`` is lower
          than or equal to the current one is ignored (the same status twice changes
          nothing). The exceptions are the events of ``const.PAYMENT_REVIVAL_ACTIONS``: a
          retry (``resubmission_requested``) moves a ``failed`` payment back to the status
          given, a withdrawn charge-back (``chargeback_cancelled``) a ``charged_back`` one
          back to ``paid_out``.
        - Effects in the books (``gocardless.ledger``, each with a chatter note), never by
          changing a posted entry: the recording moment of the account (confirmed or paid
          out) books the Odoo payment; a status of ``const.PAYMENT_FAILED_STATUSES`` (failed,
          charged back, cancelled, customer approval denied) after booking books a reversal;
          a revival (retry, withdrawn charge-back) books the money again; ``paid_out`` marks
          the Odoo payment Paid.
        - No GoCardless API call; everything is written in the current transaction. The
          caller needs write access to GoCardless payments (GoCardless Manager, or the
          webhook controller's ``*_sudo`` environment) and, when something is booked, the
          Invoicing rights.
        """
        if not status_rules.is_known(status_rules.PAYMENT, status):
            # a status GoCardless added later (or none): it has no rank, so it replaces no
            # known status; the value is kept for the user to see
            _logger.warning("Unknown GoCardless payment status %r kept aside", status)
            raw_status = const.read_status(status, const.KNOWN_PAYMENT_STATUSES)[1]
            self.filtered(lambda payment: payment.raw_status != raw_status).write(
                {"raw_status": raw_status}
            )
            return self.browse()
        event = event or {}
        event_id = event.get("id")
        event_at = parse_datetime(event.get("created_at"))
        changed = self.browse()
        for payment in self:
            decision = status_rules.decide(
                status_rules.PAYMENT,
                payment.status,
                status,
                action=event.get("action"),
                event_at=event_at,
                last_event_at=payment.last_event_at,
                event_id=event_id,
                last_event_id=payment.last_event_id,
            )
            if decision.outcome in (status_rules.DUPLICATE, status_rules.OLDER):
                continue
            seen = {}
            if decision.record_event and event_id:
                seen["last_event_id"] = event_id
            if decision.record_event and event_at:  # never older than the current one
                seen["last_event_at"] = event_at
            if payment.raw_status:  # GoCardless reports a known status again
                seen["raw_status"] = False
            if not decision.changes_status:
                if seen:
                    payment.write(seen)
                continue
            previous = payment.status
            payment.write(
                dict(
                    seen,
                    status=decision.status,
                    raw_status=False,
                    status_changed_at=fields.Datetime.now(),
                )
            )
            changed |= payment
            payment._gocardless_sync_ledger(event=event, note=note, previous=previous)
        return changed

    def _gocardless_status_text(self, event=None, note=None):
        """'GoCardless reports payment PM1 as Failed (insufficient funds: ...).'"""
        self.ensure_one()
        labels = dict(self._fields["status"]._description_selection(self.env))
        details = (event or {}).get("details") or {}
        explanation = "; ".join(
            str(part)
            for part in (details.get("description"), details.get("reason_code"), note)
            if part
        )
        if explanation:
            return _(
                "GoCardless reports payment %(payment)s as %(status)s (%(explanation)s).",
                payment=self.gocardless_id,
                status=labels.get(self.status, self.status),
                explanation=explanation,
            )
        return _(
            "GoCardless reports payment %(payment)s as %(status)s.",
            payment=self.gocardless_id,
            status=labels.get(self.status, self.status),
        )

    # -- the ledger ----------------------------------------------------------------------
    def _gocardless_sync_ledger(self, event=None, note=None, previous=None):
        """Bring the books in line with these payments' status (``gocardless.ledger``;
        idempotent)."""
        return self.env["gocardless.ledger"]._gocardless_sync(
            self, event=event, previous=previous, note=note
        )

    def _gocardless_booking_entries(self):
        """The entries that put this payment's money in the books (its Odoo payment's, the
        money booked again), in order."""
        self.ensure_one()
        return self.entry_ids.filtered(lambda entry: entry.kind in const.ENTRY_KINDS_BOOKING)

    def _gocardless_net_bookings(self):
        """How many times the payment's money is in the books: bookings minus reversals
        (1 when booked, 0 when never booked or reversed)."""
        self.ensure_one()
        kinds = self.entry_ids.mapped("kind")
        return sum(kind in const.ENTRY_KINDS_BOOKING for kind in kinds) - kinds.count(
            const.ENTRY_KIND_REVERSAL
        )

    def _gocardless_bookable(self):
        """Whether Odoo books this payment at all: collected from a balance export line, or
        made outside Odoo when the account books those ("Book payments made outside
        Odoo"); and its customer is known."""
        self.ensure_one()
        if not self.partner_id:
            return False
        if self.export_line_id:
            return True
        return self.origin == "gocardless" and self.account_id.book_external_payments

    def _gocardless_due_for_booking(self):
        """Whether the payment's status is the account's moment to book it (confirmed or
        paid out; see ``const.PAYMENT_BOOKING_STATUSES``)."""
        self.ensure_one()
        statuses = const.PAYMENT_BOOKING_STATUSES[self.account_id.payment_recording]
        return self.status in statuses and self._gocardless_bookable()

    def _gocardless_may_book_first(self, by_event=True):
        """Whether the ledger may create the payment's Odoo payment: it has none, and the
        account does not leave it to "Add balances as payments" (a payment without an
        export line has nothing to add, and is booked by the event).

        A payment made outside Odoo is booked only by the GoCardless event that brings it
        to its recording moment (``by_event``), never when it is first read from the API
        in a status past that moment: importing the account's history must not book
        months of payments that another system may have booked."""
        self.ensure_one()
        if self.account_payment_id:
            return False
        if self.export_line_id:
            return (
                self.account_id.payment_recording != const.PAYMENT_RECORDING_EXPORT
                and not self.export_line_id.payment_id
                and not self.export_line_id.excluded
            )
        return by_event

    def _gocardless_ensure_payment_entries(self):
        """List the posted entry of each linked Odoo payment (recorded by "Add balances as
        payments", or before the ledger kept its entries) first among the payment's
        entries."""
        # read as superuser: listing an entry that exists books nothing, and whoever refreshes
        # a payment (a GoCardless Manager) may have no Invoicing rights
        payments_sudo = self.sudo().filtered("account_payment_id")
        missing_sudo = payments_sudo.filtered(
            lambda payment: (
                payment.account_payment_id.move_id.state == "posted"
                and payment.account_payment_id.move_id not in payment.entry_ids.move_id
            )
        )
        for payment_sudo in missing_sudo:
            self.env["gocardless.ledger"].sudo()._gocardless_add_entries(
                payment_sudo,
                [
                    {
                        "move_id": payment_sudo.account_payment_id.move_id.id,
                        "kind": const.ENTRY_KIND_PAYMENT,
                    }
                ],
            )
        if missing_sudo:
            self.invalidate_recordset(["entry_ids"])

    def _gocardless_chargeback_settled(self):
        """Whether GoCardless reported the payment's charge-back as deducted from a payout
        (event ``chargeback_settled``)."""
        self.ensure_one()
        return bool(
            self.env["gocardless.event"].search_count(
                [
                    ("account_id", "=", self.account_id.id),
                    ("resource_gocardless_id", "=", self.gocardless_id),
                    ("action", "=", const.PAYMENT_CHARGEBACK_SETTLED_ACTION),
                ],
                limit=1,
            )
        )

    def _gocardless_prepare_account_payment_vals(self, journal, payment_method_line, date):
        """The values of the payment's Odoo payment: its export line's
        (``gocardless.export.line._prepare_account_payment_vals``), or, for a payment made
        outside Odoo, an inbound customer payment of its customer for its amount."""
        self.ensure_one()
        if self.export_line_id:
            return self.export_line_id._prepare_account_payment_vals(
                journal, payment_method_line, date
            )
        return {
            "payment_type": "inbound",
            "partner_type": "customer",
            "partner_id": self.partner_id.id,
            "amount": self.amount,
            "currency_id": self.currency_id.id,
            "journal_id": journal.id,
            "payment_method_line_id": payment_method_line.id,
            "date": date,
            "memo": _("GoCardless %(payment)s", payment=self.gocardless_id),
        }

    # -- actions -------------------------------------------------------------------------
    def action_refresh(self):
        """Read these payments from GoCardless again (GoCardless Manager), under the lock of
        their balance exports (see ``gocardless.export._gocardless_try_lock``)."""
        self.check_access("write")
        for batch in self.export_id:
            batch._gocardless_lock()
        for account in self.account_id:
            payments = self.filtered(lambda p, account=account: p.account_id == account)
            api = account._gocardless_api()
            try:
                data = [api.get("payments", payment.gocardless_id) for payment in payments]
            except GoCardlessError as error:
                raise account._gocardless_user_error(error) from error
            self._gocardless_store(account, data)
        return True

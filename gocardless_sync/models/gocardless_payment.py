import logging

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import format_date

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
    def _gocardless_store(self, account, payments_data, lines_by_ref=None):
        """Create or refresh payments from API dicts, in batch; return (created, updated).

        New payments are linked to the export line whose reference is their metadata
        ``odoo_ref`` (``lines_by_ref``: {reference: gocardless.export.line}) and to that line's
        Odoo payment. Known payments get their amount, date and status refreshed; their
        status goes through :meth:`_gocardless_apply_status` (never backwards).
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
        created._gocardless_sync_account_payment()
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
        - Effects on the Odoo payment (``account_payment_id``), each with a chatter note on
          it: a status of ``const.PAYMENT_FAILED_STATUSES`` (failed, charged back, cancelled,
          customer approval denied) undoes it (:meth:`_gocardless_undo_account_payment`);
          ``paid_out`` validates it (state Paid); a revival re-posts one that was cancelled
          (then validates it when paid out).
        - No GoCardless API call; everything is written in the current transaction. The
          caller needs write access to GoCardless payments (GoCardless Manager, or the
          webhook controller's ``*_sudo`` environment) and, when an Odoo payment is linked,
          to Odoo payments (Invoicing rights).
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
            payment.write(
                dict(
                    seen,
                    status=decision.status,
                    raw_status=False,
                    status_changed_at=fields.Datetime.now(),
                )
            )
            changed |= payment
            payment._gocardless_sync_account_payment(
                event=event, note=note, revived=decision.outcome == status_rules.REVIVED
            )
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

    def _gocardless_sync_account_payment(self, event=None, note=None, revived=False):
        """Bring each linked Odoo payment in line with the GoCardless status (idempotent).

        :param revived: the status has just moved back (a retry, a withdrawn charge-back):
            an Odoo payment cancelled by the earlier failure is posted again.
        """
        for payment in self.filtered("account_payment_id"):
            failed = payment.status in const.PAYMENT_FAILED_STATUSES
            if not (revived or failed or payment.status == "paid_out"):
                continue
            payment._check_account_payment_access()
            odoo_payment = payment.account_payment_id
            if failed:
                if odoo_payment.state not in ("canceled", "rejected"):
                    payment._gocardless_undo_account_payment(event=event, note=note)
                continue
            texts = [payment._gocardless_status_text(event, note)]
            if revived and odoo_payment.state == "canceled":
                odoo_payment.action_draft()
                odoo_payment.action_post()
                if (event or {}).get("action") == const.PAYMENT_CHARGEBACK_CANCELLED_ACTION:
                    texts.append(
                        _(
                            "The payer's bank withdrew the charge-back: the payment is posted "
                            "again. Reconcile it with the invoices it pays."
                        )
                    )
                else:
                    texts.append(
                        _(
                            "GoCardless retries the collection: the payment is posted again. "
                            "Reconcile it with the invoices it pays."
                        )
                    )
            elif revived and odoo_payment.state == "rejected":
                texts.append(
                    _(
                        "GoCardless collects the money again, but this payment was marked "
                        "Rejected: check the reversal you booked and undo it if needed."
                    )
                )
            if payment.status == "paid_out" and odoo_payment.state == "in_process":
                odoo_payment.action_validate()
                texts.append(_("GoCardless has paid the money out to the creditor's bank."))
            if len(texts) > 1:
                log_note(odoo_payment, " ".join(texts))

    def _check_account_payment_access(self):
        self.ensure_one()
        try:
            self.account_payment_id.check_access("write")
        except AccessError as error:
            raise AccessError(
                _(
                    "GoCardless payment %(payment)s is now %(status)s, which changes its Odoo "
                    "payment. That needs the Invoicing rights: ask an accountant to refresh it.",
                    payment=self.gocardless_id,
                    status=self.status,
                )
            ) from error

    def _gocardless_undo_account_payment(self, event=None, note=None):
        """GoCardless will not collect (or took back) the money of the linked Odoo payment.

        - Cancel it (``action_cancel``): its journal entry is reset to draft, which removes its
          reconciliation with the invoices (they are due again), then cancelled. This is the
          truthful outcome for money that never arrived (failed, cancelled, approval denied)
          and for a charge-back the bank has not yet matched.
        - When its entry cannot be undone (already matched with a bank statement line, or in
          a locked period: ``action_cancel`` refuses), mark it Rejected (``action_reject``)
          instead: the entry stays, and a to-do activity asks the accountant to book the
          reversal. ``action_reject`` alone would leave the money counted as received, so it is
          only the fallback.
        """
        self.ensure_one()
        odoo_payment = self.account_payment_id
        text = self._gocardless_status_text(event, note)
        problem = None
        liquidity_lines = odoo_payment._seek_for_lines()[0]
        if liquidity_lines.filtered(lambda line: line.matched_debit_ids or line.matched_credit_ids):
            problem = _("its journal entry is matched with a bank statement")
        else:
            try:
                with self.env.cr.savepoint():
                    odoo_payment.action_cancel()
            except UserError as error:
                problem = str(error)
        if problem is None:
            log_note(
                odoo_payment,
                text
                + " "
                + _(
                    "The payment is cancelled: the invoices it paid are due again "
                    "(charge date %(date)s).",
                    date=format_date(self.env, self.charge_date) if self.charge_date else "-",
                ),
            )
            return
        odoo_payment.action_reject()
        message = (
            text
            + " "
            + _(
                "The payment is marked Rejected but its journal entry could not be cancelled "
                "(%(problem)s): reverse it by hand.",
                problem=problem,
            )
        )
        log_note(odoo_payment, message)
        odoo_payment.activity_schedule(
            "mail.mail_activity_data_todo",
            summary=_("Reverse the GoCardless payment %(payment)s", payment=self.gocardless_id),
            note=message,
            user_id=(odoo_payment.create_uid or self.env.user).id,
        )

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

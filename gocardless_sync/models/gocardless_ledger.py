"""The ledger: what GoCardless payments and refunds book in Odoo's accounting.

One rule for every path (events by webhook or polling, refreshes from the API, "Add balances
as payments"): :meth:`GoCardlessLedger._gocardless_sync` brings the books in line with the
GoCardless status of payments, and :meth:`GoCardlessLedger._gocardless_sync_refunds` with
refunds'. Both are idempotent: they compare what the status wants booked with what the
payment's entries (``gocardless.payment.entry``) already book, and book only the difference.

The entries (the GoCardless journal; its first incoming payment method's outstanding receipts
account is the GoCardless clearing account, where GoCardless holds the money until a payout):

- **Payment**: the Odoo payment of the GoCardless payment (inbound, Dr clearing, Cr
  receivable), reconciled with the customer's open invoices. Booked by "Add balances as
  payments" (recording "export"), or by the event that moves the payment to confirmed or
  paid out (recording "confirmed" / "paid_out", and payments made outside Odoo when the
  account books them).
- **Reversal** of the last booking when GoCardless will not collect the money or takes it
  back (failed, late failure, cancelled, approval denied, charged back): Dr receivable, Cr
  clearing, made by ``account.move._reverse_moves``. The booking's receivable line is taken
  off the invoices it paid (they are due again for exactly its amount) and reconciled with
  the reversal's. When the payment had not been paid out, its clearing debit and the
  reversal's credit are reconciled together (nothing reaches a payout); after a payout, the
  reversal's clearing credit stays open for the payout that deducts it.
- **Booked again** (a withdrawn charge-back, a retry that succeeds): the reverse of the last
  reversal, a NEW entry (Dr clearing, Cr receivable) reconciled with the open invoices. A
  withdrawn charge-back that no payout deducted yet nets out with its reversal's clearing
  credit; otherwise the new clearing debit waits for the payout that pays it again.
- **Refund**: an outbound Odoo payment to the customer (Dr receivable, Cr clearing),
  reconciled with the customer's open credits; a refund cancelled or bounced after that is
  reversed the same way.

Nothing posted is ever reset, cancelled or edited: the original entries stay as they were,
only reconciliations move. An entry dated in a locked period is dated the first open day
after the lock date instead, and its reference and the GoCardless payment's note say so.
"""

import logging
from datetime import timedelta

import pytz

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import format_date

from ..notes import log_note
from ..services import const
from ..tools import parse_datetime

_logger = logging.getLogger(__name__)


class GoCardlessLedger(models.AbstractModel):
    _name = "gocardless.ledger"
    _description = "GoCardless ledger"

    # -- payments ------------------------------------------------------------------------
    @api.model
    def _gocardless_sync(self, payments, event=None, previous=None, note=None):
        """Bring the books in line with the GoCardless status of ``payments``.

        :param event: the GoCardless event (dict) that reported the status: its date dates
            the entries (in the company's timezone); without one, today
        :param previous: the status the payments had before (a late failure or a charge-back
            after a payout: ``paid_out``), or None
        :param note: text added to the notes (e.g. where the status came from)
        :return: the payments whose books changed
        """
        payments = payments.filtered(lambda payment: payment.status != const.UNKNOWN_STATUS)
        payments._gocardless_ensure_payment_entries()
        to_book, to_rebook, to_reverse = (payments.browse() for _i in range(3))
        for payment in payments:
            booked = payment._gocardless_net_bookings() > 0
            if payment.status in const.PAYMENT_FAILED_STATUSES:
                to_reverse |= payment if booked else payment.browse()
            elif not booked and payment._gocardless_due_for_booking():
                if payment._gocardless_booking_entries():
                    to_rebook |= payment
                elif payment._gocardless_may_book_first(by_event=bool(event)):
                    to_book |= payment
        changed = to_book | to_rebook | to_reverse
        if changed:
            self._gocardless_check_access(changed)
            self._gocardless_lock_rows(changed)
        self._gocardless_book(to_book, event)
        for payment in to_rebook:
            self._gocardless_rebook(payment, event, previous)
        for payment in to_reverse:
            self._gocardless_reverse(payment, event, previous, note)
        self._gocardless_validate(payments, event, note)
        # refunds waiting for their payment to be booked (by this sync, or by the export)
        refunds = payments.refund_ids.filtered(lambda refund: refund.booking_state == "waiting")
        if refunds:
            self._gocardless_sync_refunds(refunds, event=event)
        return changed

    @api.model
    def _gocardless_check_access(self, payments):
        """Booking needs the Invoicing rights (the webhook and the scheduled actions run as
        superuser)."""
        try:
            self.env["account.move"].check_access("create")
            self.env["account.payment"].check_access("create")
        except AccessError as error:
            payment = payments[:1]
            labels = dict(payment._fields["status"]._description_selection(self.env))
            raise AccessError(
                _(
                    "GoCardless payment %(payment)s is now %(status)s, which books an entry "
                    "in Odoo's accounting. That needs the Invoicing rights: ask an accountant "
                    "to refresh it.",
                    payment=payment.gocardless_id,
                    status=labels.get(payment.status, payment.status),
                )
            ) from error

    @api.model
    def _gocardless_lock_rows(self, payments):
        """Lock the GoCardless payments' rows until the transaction ends: a webhook, the
        polling and a refresh booking for the same payment at the same moment wait for each
        other (and the later one, seeing the row changed, fails and is retried)."""
        if payments:
            self.env.cr.execute(
                "SELECT id FROM gocardless_payment WHERE id IN %s FOR NO KEY UPDATE",
                [tuple(payments.ids)],
            )

    @api.model
    def _gocardless_event_date(self, account, event=None):
        """The date of ``event`` (GoCardless's UTC time) in the company's timezone (its
        contact's, else the user's, else UTC); today without an event."""
        event_at = parse_datetime((event or {}).get("created_at")) or fields.Datetime.now()
        tz = account.company_id.partner_id.tz or self.env.user.tz or "UTC"
        if tz not in pytz.all_timezones_set:
            tz = "UTC"
        return fields.Date.context_today(self.with_context(tz=tz), timestamp=event_at)

    @api.model
    def _gocardless_entry_date(self, account, journal, event=None):
        """(date, note): the event's date, or the first open date after the company's lock
        date when that one is locked (note then says so, else it is empty)."""
        wanted = self._gocardless_event_date(account, event)
        lock_date = account.company_id._get_user_fiscal_lock_date(journal)
        if wanted > lock_date:
            return wanted, ""
        booked_on = lock_date + timedelta(days=1)
        return booked_on, _(
            "Booked on %(date)s, the first open date: %(wanted)s is in a locked period (locked "
            "up to %(lock)s).",
            date=format_date(self.env, booked_on),
            wanted=format_date(self.env, wanted),
            lock=format_date(self.env, lock_date),
        )

    @api.model
    def _gocardless_add_entries(self, payment, vals_list):
        """Append entries (``gocardless.payment.entry`` values without payment nor
        sequence) to ``payment``'s list, numbered after the last one."""
        last = max(payment.entry_ids.mapped("sequence"), default=0)
        entries = self.env["gocardless.payment.entry"].create(
            [
                dict(vals, payment_id=payment.id, sequence=last + index)
                for index, vals in enumerate(vals_list, start=1)
            ]
        )
        payment.invalidate_recordset(["entry_ids"])
        return entries

    @api.model
    def _gocardless_post_payments(self, odoo_payments, clearing):
        """Post Odoo payments of the GoCardless journal with their journal entry on the
        GoCardless clearing account, whatever their payment method says: an outbound
        method's outstanding payments account (refunds), or none (with Odoo's Accounting
        app installed, a payment whose method has no outstanding account gets no entry at
        all). Odoo computes the account from the method when the payment is created and
        writes the entry when it is posted: the account is set in between."""
        odoo_payments.filtered(
            lambda odoo_payment: odoo_payment.outstanding_account_id != clearing
        ).outstanding_account_id = clearing
        odoo_payments.action_post()

    @api.model
    def _gocardless_book(self, payments, event=None):
        """The first booking of ``payments``: one posted Odoo payment each (one create and
        one post per account), reconciled with the customer's open invoices."""
        for account in payments.account_id:
            account_payments = payments.filtered(lambda p, account=account: p.account_id == account)
            journal, method_line = account._gocardless_check_journal()
            clearing = account._gocardless_clearing_account()
            date, lock_note = self._gocardless_entry_date(account, journal, event)
            vals_list = []
            for payment in account_payments:
                vals = payment._gocardless_prepare_account_payment_vals(journal, method_line, date)
                if lock_note:
                    vals["memo"] = f"{vals['memo']} ({lock_note})"
                vals_list.append(vals)
            odoo_payments = self.env["account.payment"].create(vals_list)
            self._gocardless_post_payments(odoo_payments, clearing)
            for payment, odoo_payment in zip(account_payments, odoo_payments, strict=True):
                if payment.export_line_id:
                    payment.export_line_id.payment_id = odoo_payment
                payment.account_payment_id = odoo_payment
            # like "Add balances as payments": unless the batch says not to
            to_reconcile = account_payments.filtered(
                lambda p: not p.export_id or p.export_id.reconcile_invoices
            )
            to_reconcile.account_payment_id._gocardless_reconcile_open_items()
            for payment in account_payments:
                text = _(
                    "%(status)s Booked in %(journal)s on %(date)s: %(entry)s.",
                    status=payment._gocardless_status_text(event),
                    journal=journal.display_name,
                    date=format_date(self.env, date),
                    entry=payment.account_payment_id.move_id.name,
                )
                if lock_note:
                    text = f"{text} {lock_note}"
                self._gocardless_add_entries(
                    payment,
                    [
                        {
                            "move_id": payment.account_payment_id.move_id.id,
                            "kind": const.ENTRY_KIND_PAYMENT,
                            "event_gocardless_id": (event or {}).get("id") or False,
                            "note": lock_note or False,
                        }
                    ],
                )
                log_note(payment, text)

    @api.model
    def _gocardless_reverse_move(self, move, date, ref, clearing, keep_clearing_open=False):
        """Post the reversal of ``move`` (a posted entry that stays as it is) with
        ``account.move._reverse_moves``. Its receivable lines are first taken off what they
        settled (the invoices are due again for exactly their amount); posting a reversal
        then makes Odoo reconcile each open line of ``move`` on a reconcilable account with
        its reversal: the receivable lines, and the clearing line when it is still open.
        With ``keep_clearing_open`` the reversal's clearing line is left open (a payout
        deducts it) instead."""
        receivable = move.line_ids.filtered(lambda line: line.account_type == "asset_receivable")
        receivable.remove_move_reconcile()
        reversal = move._reverse_moves([{"date": date, "ref": ref}])
        reversal.action_post()
        if keep_clearing_open:
            self._gocardless_unmatch(reversal, clearing)
        return reversal

    @api.model
    def _gocardless_unmatch(self, move, clearing):
        """Take ``move``'s clearing lines off what Odoo reconciled them with when it posted
        it (the entry it reverses): they stay open for a payout."""
        lines = move.line_ids.filtered(
            lambda line: (
                line.account_id == clearing and (line.matched_debit_ids or line.matched_credit_ids)
            )
        )
        lines.remove_move_reconcile()

    @api.model
    def _gocardless_reverse(self, payment, event=None, previous=None, note=None):
        """Reverse the payment's last booking (its Odoo payment's entry, or the money booked
        again): GoCardless will not collect it, or took it back."""
        booking = payment._gocardless_booking_entries()[-1:]
        move = booking.move_id
        if move.state != "posted":
            # someone reset or cancelled it in Odoo: reversing it would book the money out twice
            log_note(
                payment,
                _(
                    "%(status)s Its entry %(entry)s is not posted any more (changed in Odoo): "
                    "nothing was reversed. Check the customer's balance.",
                    status=payment._gocardless_status_text(event, note),
                    entry=move.display_name,
                ),
            )
            return
        account = payment.account_id
        clearing = account._gocardless_clearing_account()
        date, lock_note = self._gocardless_entry_date(account, move.journal_id, event)
        status_text = payment._gocardless_status_text(event, note)
        ref = _(
            "Reversal of %(entry)s: %(status)s",
            entry=move.name,
            status=status_text,
        )
        if lock_note:
            ref = f"{ref} {lock_note}"
        clearing_open = any(
            not line.reconciled for line in move.line_ids if line.account_id == clearing
        )
        # paid out: the clearing debit belongs to a payout, and a later payout deducts the
        # money: the reversal's clearing credit stays open for it
        paid_out = previous == "paid_out" or not clearing_open
        reversal = self._gocardless_reverse_move(
            move, date, ref, clearing, keep_clearing_open=paid_out
        )
        self._gocardless_add_entries(
            payment,
            [
                {
                    "move_id": reversal.id,
                    "kind": const.ENTRY_KIND_REVERSAL,
                    "event_gocardless_id": (event or {}).get("id") or False,
                    "note": lock_note or False,
                }
            ],
        )
        text = _(
            "%(status)s Reversed by %(reversal)s on %(date)s: the invoices it paid are due "
            "again (%(entry)s stays posted as it was).",
            status=status_text,
            reversal=reversal.name,
            date=format_date(self.env, reversal.date),
            entry=move.name,
        )
        if lock_note:
            text = f"{text} {lock_note}"
        log_note(payment, text)
        if payment.account_payment_id:
            log_note(payment.account_payment_id, text)

    @api.model
    def _gocardless_rebook(self, payment, event=None, previous=None):
        """Book the money again (a withdrawn charge-back, a retry that succeeds): the reverse
        of the last reversal, a new entry reconciled with the open invoices."""
        last = payment.entry_ids.filtered(
            lambda entry: entry.kind in (const.ENTRY_KIND_REVERSAL, *const.ENTRY_KINDS_BOOKING)
        )[-1:]
        if last.kind != const.ENTRY_KIND_REVERSAL:
            return  # nothing reversed to book again
        reversal = last.move_id
        account = payment.account_id
        clearing = account._gocardless_clearing_account()
        date, lock_note = self._gocardless_entry_date(account, reversal.journal_id, event)
        withdrawn = previous == "charged_back"
        if withdrawn:
            why = _("the payer's bank withdrew the charge-back")
        else:
            why = _("GoCardless collected it again")
        ref = _(
            "GoCardless payment %(payment)s booked again: %(why)s",
            payment=payment.gocardless_id,
            why=why,
        )
        if lock_note:
            ref = f"{ref} {lock_note}"
        rebooking = reversal._reverse_moves([{"date": date, "ref": ref}])
        # Odoo reconciles the reversal's clearing credit with the new debit when it is still
        # open: right for a charge-back withdrawn before any payout deducted it (the money
        # never left GoCardless); otherwise the new debit waits for the payout that pays it
        rebooking.action_post()
        if not withdrawn or payment._gocardless_chargeback_settled():
            self._gocardless_unmatch(rebooking, clearing)
        rebooking.line_ids.filtered(
            lambda line: line.account_type == "asset_receivable"
        )._gocardless_reconcile_open_items()
        self._gocardless_add_entries(
            payment,
            [
                {
                    "move_id": rebooking.id,
                    "kind": const.ENTRY_KIND_REBOOKING,
                    "event_gocardless_id": (event or {}).get("id") or False,
                    "note": lock_note or False,
                }
            ],
        )
        text = _(
            "Booked again by %(entry)s on %(date)s (%(why)s), reconciled with the open invoices.",
            entry=rebooking.name,
            date=format_date(self.env, rebooking.date),
            why=why,
        )
        if lock_note:
            text = f"{text} {lock_note}"
        log_note(payment, text)
        if payment.account_payment_id:
            log_note(payment.account_payment_id, text)

    @api.model
    def _gocardless_validate(self, payments, event=None, note=None):
        """A paid-out payment's Odoo payment is marked Paid (its state only: the entry is
        not touched)."""
        # which Odoo payments to mark is read as superuser: a refresh by a GoCardless Manager
        # without Invoicing rights must not fail when there is nothing to change
        payments_sudo = payments.sudo().filtered(
            lambda p: p.status == "paid_out" and p.account_payment_id.state == "in_process"
        )
        if payments_sudo:
            self._gocardless_check_access(payments)
        for payment in payments.browse(payments_sudo.ids):
            payment.account_payment_id.action_validate()
            log_note(
                payment.account_payment_id,
                payment._gocardless_status_text(event, note)
                + " "
                + _("GoCardless has paid the money out to the creditor's bank."),
            )

    # -- refunds -------------------------------------------------------------------------
    @api.model
    def _gocardless_sync_refunds(self, refunds, event=None):
        """Bring the books in line with the status of ``refunds``: book a refund whose
        payment Odoo booked, reverse a booked refund that was cancelled or bounced."""
        for refund in refunds:
            kinds = set(refund.entry_ids.mapped("kind"))
            if refund.status in const.REFUND_FAILED_STATUSES:
                if (
                    const.ENTRY_KIND_REFUND in kinds
                    and const.ENTRY_KIND_REFUND_REVERSAL not in kinds
                ):
                    self._gocardless_check_access(refund.payment_id)
                    self._gocardless_lock_rows(refund.payment_id)
                    self._gocardless_reverse_refund(refund, event)
            elif (
                const.ENTRY_KIND_REFUND not in kinds
                and refund.status != const.UNKNOWN_STATUS
                and refund.payment_id._gocardless_booking_entries()
            ):
                self._gocardless_check_access(refund.payment_id)
                self._gocardless_lock_rows(refund.payment_id)
                self._gocardless_book_refund(refund, event)

    @api.model
    def _gocardless_book_refund(self, refund, event=None):
        payment = refund.payment_id
        account = refund.account_id
        journal, _method_line = account._gocardless_check_journal()
        method_line = journal.outbound_payment_method_line_ids[:1]
        if not method_line:
            raise UserError(
                _(
                    "Journal %(journal)s has no outgoing payment method, which the refunds of "
                    "GoCardless need. Add one in its Outgoing Payments tab.",
                    journal=journal.display_name,
                )
            )
        date, lock_note = self._gocardless_entry_date(account, journal, event)
        memo = _(
            "GoCardless refund %(refund)s of %(payment)s",
            refund=refund.gocardless_id,
            payment=payment.gocardless_id,
        )
        if lock_note:
            memo = f"{memo} ({lock_note})"
        odoo_payment = self.env["account.payment"].create(
            {
                "payment_type": "outbound",
                "partner_type": "customer",
                "partner_id": (payment.account_payment_id.partner_id or payment.partner_id).id,
                "amount": refund.amount,
                "currency_id": refund.currency_id.id,
                "journal_id": journal.id,
                "payment_method_line_id": method_line.id,
                "date": date,
                "memo": memo,
            }
        )
        # the money leaves GoCardless's clearing account, deducted from a payout
        self._gocardless_post_payments(odoo_payment, account._gocardless_clearing_account())
        refund.account_payment_id = odoo_payment
        odoo_payment._gocardless_reconcile_open_items()
        self._gocardless_add_entries(
            payment,
            [
                {
                    "move_id": odoo_payment.move_id.id,
                    "kind": const.ENTRY_KIND_REFUND,
                    "refund_id": refund.id,
                    "event_gocardless_id": (event or {}).get("id") or False,
                    "note": lock_note or False,
                }
            ],
        )
        text = _(
            "Refund %(refund)s booked in %(journal)s on %(date)s: %(entry)s.",
            refund=refund.gocardless_id,
            journal=journal.display_name,
            date=format_date(self.env, date),
            entry=odoo_payment.move_id.name,
        )
        if lock_note:
            text = f"{text} {lock_note}"
        log_note(payment, text)
        log_note(refund, text)

    @api.model
    def _gocardless_reverse_refund(self, refund, event=None):
        payment = refund.payment_id
        account = refund.account_id
        move = refund.account_payment_id.move_id
        clearing = account._gocardless_clearing_account()
        date, lock_note = self._gocardless_entry_date(account, move.journal_id, event)
        labels = dict(refund._fields["status"]._description_selection(self.env))
        status = labels.get(refund.status, refund.status)
        ref = _(
            "Reversal of %(entry)s: GoCardless refund %(refund)s %(status)s",
            entry=move.name,
            refund=refund.gocardless_id,
            status=status,
        )
        if lock_note:
            ref = f"{ref} {lock_note}"
        # deducted from a payout already: a later payout gives the money back
        reversal = self._gocardless_reverse_move(
            move, date, ref, clearing, keep_clearing_open=bool(refund.settled_payout_gocardless_id)
        )
        self._gocardless_add_entries(
            payment,
            [
                {
                    "move_id": reversal.id,
                    "kind": const.ENTRY_KIND_REFUND_REVERSAL,
                    "refund_id": refund.id,
                    "event_gocardless_id": (event or {}).get("id") or False,
                    "note": lock_note or False,
                }
            ],
        )
        text = _(
            "GoCardless reports refund %(refund)s as %(status)s: reversed by %(reversal)s on "
            "%(date)s (%(entry)s stays posted as it was).",
            refund=refund.gocardless_id,
            status=status,
            reversal=reversal.name,
            date=format_date(self.env, reversal.date),
            entry=move.name,
        )
        if lock_note:
            text = f"{text} {lock_note}"
        log_note(payment, text)
        log_note(refund, text)

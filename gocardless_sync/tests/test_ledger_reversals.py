"""Reverse, never rewrite: failures, late failures, charge-backs, withdrawn charge-backs,
retries and locked periods, in each recording mode, through the emulator and GoCardless's
events (read by the scheduled polling)."""

from datetime import date

from odoo.tests import tagged

from ..tools import to_decimal
from .ledger_common import LedgerMixin
from .payment_common import GoCardlessPaymentCase


class ReversalCases(LedgerMixin):
    """The tests of one recording mode (``MODE``)."""

    MODE = "export"

    def setUp(self):
        super().setUp()
        self.account.payment_recording = self.MODE
        self.partner, self.invoice = self._setup_ledger_customer()
        self.batch, self.line, self.gc_payment = self._collect_balance(self.partner)
        self.amount = to_decimal(self.INVOICE_AMOUNT, self.gbp)

    def _booked_before_payout(self):
        """Submitted and confirmed: booked, except when the account books at payout."""
        self._gocardless(self.gc_payment, "submitted", "confirmed", at="2025-03-05 09:00")
        self._poll(at="2025-03-05 10:00")
        return self.gc_payment.entry_ids.move_id

    def _paid_out(self):
        self._booked_before_payout()
        self._gocardless(self.gc_payment, "paid_out", at="2025-03-07 09:00")
        self._poll(at="2025-03-07 10:00")
        self.assertEqual(self._kinds(self.gc_payment), ["payment"])
        return self.gc_payment.entry_ids.move_id

    def _assert_invoice_due_again(self):
        self.assertEqual(self.invoice.payment_state, "not_paid")
        self.assertEqual(self._residual(self.invoice), self.amount)

    def test_failure_before_payout(self):
        booked = self._booked_before_payout()
        if self.MODE == "paid_out":
            self.assertFalse(booked)  # nothing booked before the payout: nothing to reverse
        snapshot = self._snapshot(booked)
        self._gocardless(self.gc_payment, "failed", at="2025-03-06 08:00")
        self._poll(at="2025-03-06 09:00")
        self._assert_invoice_due_again()
        if self.MODE == "paid_out":
            self.assertFalse(self.gc_payment.entry_ids)
            self.assertEqual(self.gc_payment.booking_state, "not_booked")
            return
        self.assertEqual(self._kinds(self.gc_payment), ["payment", "reversal"])
        reversal = self.gc_payment.entry_ids[-1].move_id
        self.assertEqual(reversal.date, date(2025, 3, 6))
        self.assertEqual(reversal.reversed_entry_id, booked)
        self.assertEqual(reversal.journal_id, self.journal)
        self.assertIn(self.gc_payment.gocardless_id, reversal.ref)
        self._assert_unchanged(snapshot)
        self.assertEqual(self.line.payment_id.state, "in_process")  # as it was
        self._assert_balanced(self.gc_payment.move_ids)
        # never paid out: nothing left in the clearing account, nothing for a payout
        self.assertEqual(self._clearing_balance(self.gc_payment), 0)
        self.assertEqual(self._open_clearing(self.gc_payment), [])
        self.assertEqual(self.gc_payment.booking_state, "reversed")
        # the next export collects the balance again
        self.assertEqual(
            to_decimal(self._export(self.partner).line_ids.amount, self.gbp), self.amount
        )

    def test_late_failure_after_payout(self):
        booked = self._paid_out()
        snapshot = self._snapshot(booked)
        self._gocardless(self.gc_payment, "failed", at="2025-03-10 08:00")
        self._poll(at="2025-03-10 09:00")
        self.assertEqual(self._kinds(self.gc_payment), ["payment", "reversal"])
        self._assert_invoice_due_again()
        self._assert_unchanged(snapshot)
        self._assert_balanced(self.gc_payment.move_ids)
        # the payout took the payment's debit, a later payout deducts the reversal's credit
        self.assertEqual(self._open_clearing(self.gc_payment), [-self.amount, self.amount])
        self.assertEqual(self._clearing_balance(self.gc_payment), 0)
        # GoCardless deducts it from the next payout: nothing more to book here
        self._pay_out(at="2025-03-11 08:00")
        self._poll(at="2025-03-11 09:00")
        self.assertEqual(self._kinds(self.gc_payment), ["payment", "reversal"])

    def test_charge_back_withdrawn_before_any_payout_deducted_it(self):
        booked = self._paid_out()
        snapshot = self._snapshot(booked)
        self._gocardless(self.gc_payment, "charged_back", at="2025-03-12 08:00")
        self._poll(at="2025-03-12 09:00")
        self.assertEqual(self._kinds(self.gc_payment), ["payment", "reversal"])
        self._assert_invoice_due_again()
        self._gocardless(self.gc_payment, "chargeback_cancelled", at="2025-03-14 08:00")
        self._poll(at="2025-03-14 09:00")
        self.assertEqual(self.gc_payment.status, "paid_out")
        self.assertEqual(self._kinds(self.gc_payment), ["payment", "reversal", "rebooking"])
        # what each entry puts in (or takes out of) the clearing account
        self.assertEqual(self.gc_payment.entry_ids.mapped("amount"), [80.0, -80.0, 80.0])
        rebooking = self.gc_payment.entry_ids[-1].move_id
        self.assertEqual(rebooking.date, date(2025, 3, 14))
        self.assertNotIn(rebooking, booked)
        self.assertEqual(self.invoice.payment_state, "paid")
        self._assert_unchanged(snapshot)
        self._assert_balanced(self.gc_payment.move_ids)
        # no payout took the charge-back: the reversal and the new entry net out; only the
        # first payout's debit is open
        self.assertEqual(self._open_clearing(self.gc_payment), [self.amount])
        self.assertEqual(self.gc_payment.booking_state, "booked")
        # the same withdrawal polled again books nothing
        self.account.last_event_polled_at = False
        self._poll(at="2025-03-14 10:00")
        self.assertEqual(len(self.gc_payment.entry_ids), 3)

    def test_charge_back_deducted_then_withdrawn(self):
        self._booked_before_payout()
        self._pay_out(at="2025-03-07 09:00")  # paid out in a payout (payments/paid_out)
        self._poll(at="2025-03-07 10:00")
        self.assertEqual(self._kinds(self.gc_payment), ["payment"])
        self._gocardless(self.gc_payment, "charged_back", at="2025-03-12 08:00")
        self._pay_out(at="2025-03-12 08:30")  # the next payout deducts it (chargeback_settled)
        self._poll(at="2025-03-12 09:00")
        self.assertEqual(self._kinds(self.gc_payment), ["payment", "reversal"])
        self._gocardless(self.gc_payment, "chargeback_cancelled", at="2025-03-14 08:00")
        self._poll(at="2025-03-14 09:00")
        self.assertEqual(self._kinds(self.gc_payment), ["payment", "reversal", "rebooking"])
        self.assertEqual(self.invoice.payment_state, "paid")
        # every clearing line waits for its payout: the payment's, the charge-back's
        # deduction, and the payment paid again
        self.assertEqual(
            self._open_clearing(self.gc_payment), [-self.amount, self.amount, self.amount]
        )
        self._assert_balanced(self.gc_payment.move_ids)

    def test_retry_that_succeeds(self):
        booked = self._booked_before_payout()
        snapshot = self._snapshot(booked)
        self._gocardless(self.gc_payment, "failed", at="2025-03-06 08:00")
        self._poll(at="2025-03-06 09:00")
        self._gocardless(self.gc_payment, "resubmission_requested", at="2025-03-07 08:00")
        self._poll(at="2025-03-07 09:00")
        self.assertEqual(self.gc_payment.status, "pending_submission")
        self._assert_invoice_due_again()  # not booked again before GoCardless says so
        self._gocardless(self.gc_payment, "submitted", "confirmed", at="2025-03-10 08:00")
        self._poll(at="2025-03-10 09:00")
        self._gocardless(self.gc_payment, "paid_out", at="2025-03-12 08:00")
        self._poll(at="2025-03-12 09:00")
        self.assertEqual(self.invoice.payment_state, "paid")
        self._assert_unchanged(snapshot)
        self._assert_balanced(self.gc_payment.move_ids)
        self.assertEqual(self.gc_payment.booking_state, "booked")
        if self.MODE == "paid_out":
            # nothing was booked before the failure: the payout books it, once
            self.assertEqual(self._kinds(self.gc_payment), ["payment"])
        else:
            self.assertEqual(self._kinds(self.gc_payment), ["payment", "reversal", "rebooking"])
            self.assertEqual(self.gc_payment.entry_ids[-1].date, date(2025, 3, 10))
        # one open clearing debit: the money of the payout to come
        self.assertEqual(self._open_clearing(self.gc_payment), [self.amount])
        self.assertEqual(len(self.gc_payment.entry_ids.move_id.origin_payment_id), 1)

    def test_failure_in_a_locked_period(self):
        self._paid_out()
        self._gocardless(self.gc_payment, "charged_back", at="2025-03-10 08:00")
        # the accountant closes the first half of March before Odoo hears of it
        self.company.sudo().fiscalyear_lock_date = date(2025, 3, 15)
        self._poll(at="2025-03-16 09:00")
        reversal = self.gc_payment.entry_ids.filtered(lambda e: e.kind == "reversal")
        self.assertEqual(reversal.date, date(2025, 3, 16))
        self.assertIn("locked period", reversal.move_id.ref)
        self.assertIn("03/10/2025", reversal.move_id.ref)
        self.assertIn("locked period", reversal.note)
        note = self.gc_payment.message_ids[0].body
        self.assertIn("Booked on 03/16/2025, the first open date", note)
        self._assert_invoice_due_again()
        self._assert_balanced(self.gc_payment.move_ids)


@tagged("post_install", "-at_install")
class TestReversalsAtExport(ReversalCases, GoCardlessPaymentCase):
    MODE = "export"


@tagged("post_install", "-at_install")
class TestReversalsAtConfirmation(ReversalCases, GoCardlessPaymentCase):
    MODE = "confirmed"


@tagged("post_install", "-at_install")
class TestReversalsAtPayout(ReversalCases, GoCardlessPaymentCase):
    MODE = "paid_out"

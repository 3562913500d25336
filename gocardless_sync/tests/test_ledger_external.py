"""Payments made outside Odoo (the GoCardless dashboard, another system) on a mandate Odoo
knows: never booked unless the account says "Book payments made outside Odoo"; then booked
by the same rule as Odoo's own payments."""

from datetime import date

from freezegun import freeze_time

from odoo.tests import tagged

from ..services import const
from .ledger_common import LedgerMixin
from .payment_common import GoCardlessPaymentCase


@tagged("post_install", "-at_install")
class TestExternalPayments(LedgerMixin, GoCardlessPaymentCase):
    def setUp(self):
        super().setUp()
        self.partner, self.invoice = self._setup_ledger_customer()
        self.mandate = self.partner.gocardless_mandate_ids

    def _outside_odoo(self, amount=8000, at="2025-03-04 09:00"):
        """A payment created in the GoCardless dashboard: no odoo_ref, no export line."""
        with freeze_time(at):
            return self.emulator.add_payment(self.mandate.gocardless_id, amount, currency="GBP")

    def _life(self, payment_id, *actions, at):
        with freeze_time(at):
            for action in actions:
                self.emulator.payment_action(payment_id, action)

    def _stored(self, payment_id):
        return self.env["gocardless.payment"].search([("gocardless_id", "=", payment_id)])

    def test_never_booked_with_the_setting_off(self):
        for mode, _label in const.PAYMENT_RECORDINGS:
            with self.subTest(mode=mode):
                self.account.payment_recording = mode
                data = self._outside_odoo()
                self._life(data["id"], "submitted", "confirmed", "paid_out", at="2025-03-05 09:00")
                self.account.last_event_polled_at = False
                self._poll(at="2025-03-05 10:00")
                gc_payment = self._stored(data["id"])
                self.assertEqual((gc_payment.status, gc_payment.origin), ("paid_out", "gocardless"))
                self.assertEqual(gc_payment.partner_id, self.partner)
                self.assertFalse(gc_payment.account_payment_id)
                self.assertFalse(gc_payment.entry_ids)
                self.assertEqual(gc_payment.booking_state, "not_booked")
                self.assertEqual(self.invoice.payment_state, "not_paid")
                # and a failure afterwards reverses nothing
                self._life(data["id"], "failed", at="2025-03-05 11:00")
                self._poll(at="2025-03-05 12:00")
                self.assertFalse(gc_payment.entry_ids)
        self.assertFalse(self.env["account.payment"].search([("partner_id", "=", self.partner.id)]))

    def test_booked_when_confirmed_with_recording_at_export(self):
        self.account.book_external_payments = True
        data = self._outside_odoo()
        self._life(data["id"], "submitted", at="2025-03-05 09:00")
        self._poll(at="2025-03-05 10:00")
        gc_payment = self._stored(data["id"])
        self.assertEqual(gc_payment.booking_state, "waiting")
        self.assertIn("1 payment is waiting for GoCardless", self.partner.gocardless_waiting_text)
        self._life(data["id"], "confirmed", at="2025-03-06 09:00")
        self._poll(at="2025-03-06 10:00")
        payment = gc_payment.account_payment_id
        self.assertEqual((payment.date, payment.partner_id), (date(2025, 3, 6), self.partner))
        self.assertEqual(payment.journal_id, self.journal)
        self.assertIn(gc_payment.gocardless_id, payment.memo)
        self.assertEqual(self.invoice.payment_state, "paid")
        self.assertEqual(self._kinds(gc_payment), ["payment"])
        self._life(data["id"], "paid_out", at="2025-03-07 09:00")
        self._poll(at="2025-03-07 10:00")
        self.assertEqual(self._kinds(gc_payment), ["payment"])
        self.assertEqual(payment.state, "paid")
        # a charge-back afterwards is reversed like any booked payment
        self._life(data["id"], "charged_back", at="2025-03-10 09:00")
        self._poll(at="2025-03-10 10:00")
        self.assertEqual(self._kinds(gc_payment), ["payment", "reversal"])
        self.assertEqual(self.invoice.payment_state, "not_paid")
        self._assert_balanced(gc_payment.move_ids)

    def test_booked_at_payout_with_recording_at_payout(self):
        self.account.book_external_payments = True
        self.account.payment_recording = "paid_out"
        data = self._outside_odoo()
        self._life(data["id"], "submitted", "confirmed", at="2025-03-05 09:00")
        self._poll(at="2025-03-05 10:00")
        gc_payment = self._stored(data["id"])
        self.assertFalse(gc_payment.entry_ids)
        self._life(data["id"], "paid_out", at="2025-03-07 09:00")
        self._poll(at="2025-03-07 10:00")
        self.assertEqual(self._kinds(gc_payment), ["payment"])
        self.assertEqual(gc_payment.account_payment_id.date, date(2025, 3, 7))
        self.assertEqual(self.invoice.payment_state, "paid")

    def test_read_from_the_api_past_its_moment_it_is_not_booked(self):
        """The account's history (an import, a refresh) books nothing: only the event that
        brings a payment to its recording moment does."""
        self.account.book_external_payments = True
        data = self._outside_odoo()
        self._life(data["id"], "submitted", "confirmed", at="2025-03-05 09:00")
        created, _updated = self.env["gocardless.payment"]._gocardless_store(
            self.account, [self.emulator.payments[data["id"]]]
        )
        self.assertEqual((created.status, created.origin), ("confirmed", "gocardless"))
        self.assertFalse(created.entry_ids)
        self.assertEqual(created.booking_state, "not_booked")
        self.assertEqual(self.invoice.payment_state, "not_paid")

    def test_payments_of_an_export_are_not_outside_odoo(self):
        batch, line, gc_payment = self._collect_balance(self.partner)
        self.assertEqual(gc_payment.origin, "odoo")

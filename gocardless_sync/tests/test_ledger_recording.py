"""When Odoo records a GoCardless payment (gocardless.account.payment_recording), through the
emulator and GoCardless's own events (read by the scheduled polling)."""

from datetime import date

import psycopg2

from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..tools import to_decimal
from .ledger_common import LedgerMixin
from .payment_common import GoCardlessPaymentCase


@tagged("post_install", "-at_install")
class TestPaymentRecording(LedgerMixin, GoCardlessPaymentCase):
    def setUp(self):
        super().setUp()
        self.partner, self.invoice = self._setup_ledger_customer()

    def _odoo_payments(self):
        return self.env["account.payment"].search([("partner_id", "=", self.partner.id)])

    def test_default_is_at_export(self):
        self.assertEqual(self.account.payment_recording, "export")
        self.assertFalse(self.account.book_external_payments)
        settings = self.env["res.config.settings"].create({})
        self.assertEqual(settings.gocardless_payment_recording, "export")

    def test_export_invoice_to_paid_out(self):
        """At export: "Add balances as payments" books the payment; GoCardless's events
        afterwards book nothing more, the payout's money waits in the clearing account."""
        batch, line, gc_payment = self._collect_balance(self.partner)
        payment = line.payment_id
        self.assertEqual(self._kinds(gc_payment), ["payment"])
        self.assertEqual(gc_payment.move_ids, payment.move_id)
        self.assertEqual(gc_payment.booking_state, "booked")
        self.assertEqual(self.invoice.payment_state, "paid")
        snapshot = self._snapshot(payment.move_id)
        self._gocardless(gc_payment, "submitted", "confirmed", at="2025-03-05 09:00")
        self._poll(at="2025-03-05 10:00")
        self._gocardless(gc_payment, "paid_out", at="2025-03-07 09:00")
        self._poll(at="2025-03-07 10:00")
        self.assertEqual(gc_payment.status, "paid_out")
        self.assertEqual(self._odoo_payments(), payment)
        self.assertEqual(payment.state, "paid")
        self.assertEqual(self._kinds(gc_payment), ["payment"])
        self._assert_unchanged(snapshot)
        self._assert_balanced(gc_payment.move_ids)
        # the money is in the clearing account, for the payout to take
        self.assertEqual(self._open_clearing(gc_payment), [to_decimal(80, self.gbp)])
        self.assertEqual(payment.outstanding_account_id, self._clearing())

    def test_confirmed_books_when_gocardless_confirms(self):
        self.account.payment_recording = "confirmed"
        # the company is in New Zealand: 12:00 UTC on 4 March is 5 March there
        self.company.partner_id.tz = "Pacific/Auckland"
        batch = self._export(self.partner)
        with self.assertRaises(UserError) as caught:
            batch.with_user(self.gc_accountant).action_record_payments()
        self.assertIn("nothing to add by hand", str(caught.exception))
        self.assertIn("when GoCardless confirms them", str(caught.exception))
        self.assertEqual(batch.line_ids.booking_state, "waiting")
        self.assertEqual(batch.waiting_count, 1)
        self.assertIn("1 line is waiting for GoCardless", batch.waiting_text)
        batch.with_user(self.gc_accountant).action_collect()
        line, gc_payment = batch.line_ids, batch.line_ids.gocardless_payment_id
        # collecting books nothing
        self.assertFalse(self._odoo_payments())
        self.assertFalse(line.payment_id or gc_payment.account_payment_id)
        self.assertEqual(gc_payment.booking_state, "waiting")
        self.assertEqual(line.booking_state, "waiting")
        self.assertIn("1 payment is waiting for GoCardless", self.partner.gocardless_waiting_text)
        self.assertIn("£\xa080.00", self.partner.gocardless_waiting_text)
        self._gocardless(gc_payment, "submitted", at="2025-03-04 09:00")
        self._poll(at="2025-03-04 09:30")
        self.assertFalse(self._odoo_payments())
        self.assertEqual(self.invoice.payment_state, "not_paid")
        events = self._gocardless(gc_payment, "confirmed", at="2025-03-04 12:00")
        self._poll(at="2025-03-04 13:00")
        payment = self._odoo_payments()
        self.assertEqual(len(payment), 1)
        self.assertEqual(
            (payment.state, payment.date, payment.journal_id, payment.payment_type),
            ("in_process", date(2025, 3, 5), self.journal, "inbound"),
        )
        self.assertEqual(to_decimal(payment.amount, self.gbp), to_decimal(80, self.gbp))
        self.assertEqual((line.payment_id, gc_payment.account_payment_id), (payment, payment))
        self.assertIn(line.reference, payment.memo)
        self.assertEqual(self.invoice.payment_state, "paid")  # reconciled like at export
        entry = gc_payment.entry_ids
        self.assertEqual((entry.kind, entry.move_id), ("payment", payment.move_id))
        self.assertEqual(entry.event_gocardless_id, events[-1]["id"])
        self.assertEqual((gc_payment.booking_state, line.booking_state), ("booked", "booked"))
        self.assertEqual(batch.waiting_count, 0)
        self.assertFalse(self.partner.gocardless_waiting_text)
        self.assertIn("Booked in", gc_payment.message_ids[0].body)
        # paid out: the same payment, marked Paid; no second one
        self._gocardless(gc_payment, "paid_out", at="2025-03-06 09:00")
        self._poll(at="2025-03-06 10:00")
        self.assertEqual(self._odoo_payments(), payment)
        self.assertEqual(payment.state, "paid")
        self.assertEqual(self._kinds(gc_payment), ["payment"])
        self._assert_balanced(gc_payment.move_ids)
        # the confirmation applied again (a replay, a retry of the event) books nothing
        gc_payment._gocardless_apply_status("confirmed", event=events[-1])
        gc_payment._gocardless_sync_ledger(event=events[-1])
        self.assertEqual(self._odoo_payments(), payment)
        self.assertEqual(len(gc_payment.entry_ids), 1)

    def test_paid_out_books_when_gocardless_pays_out(self):
        self.account.payment_recording = "paid_out"
        batch, line, gc_payment = self._collect_balance(self.partner)
        self._gocardless(gc_payment, "submitted", "confirmed", at="2025-03-05 09:00")
        self._poll(at="2025-03-05 10:00")
        self.assertFalse(self._odoo_payments())
        self.assertEqual(gc_payment.booking_state, "waiting")
        self.assertEqual(batch.waiting_count, 1)
        self._gocardless(gc_payment, "paid_out", at="2025-03-07 09:00")
        self._poll(at="2025-03-07 10:00")
        payment = self._odoo_payments()
        self.assertEqual(len(payment), 1)
        self.assertEqual((payment.date, payment.state), (date(2025, 3, 7), "paid"))
        self.assertEqual(self.invoice.payment_state, "paid")
        self.assertEqual(self._kinds(gc_payment), ["payment"])
        self.assertEqual(batch.state, "done")
        self._assert_balanced(gc_payment.move_ids)

    def test_a_payment_failing_before_its_moment_books_nothing(self):
        self.account.payment_recording = "confirmed"
        batch, line, gc_payment = self._collect_balance(self.partner)
        self._gocardless(gc_payment, "submitted", "failed", at="2025-03-05 09:00")
        self._poll(at="2025-03-05 10:00")
        self.assertFalse(self._odoo_payments())
        self.assertFalse(gc_payment.entry_ids)
        self.assertEqual((gc_payment.booking_state, line.booking_state), ("not_booked",) * 2)
        self.assertEqual(batch.waiting_count, 0)
        self.assertEqual(self.invoice.payment_state, "not_paid")

    def test_events_polled_again_book_nothing_twice(self):
        self.account.payment_recording = "confirmed"
        batch, line, gc_payment = self._collect_balance(self.partner)
        self._gocardless(gc_payment, "submitted", "confirmed", at="2025-03-05 09:00")
        self._poll(at="2025-03-05 10:00")
        self.assertEqual(len(self._odoo_payments()), 1)
        # the polling reads the same events again (the last second, or a reset)
        self.account.last_event_polled_at = False
        self.assertFalse(self._poll(at="2025-03-05 11:00"))
        self._gocardless(gc_payment, "failed", at="2025-03-05 12:00")
        self._poll(at="2025-03-05 13:00")
        self._poll(at="2025-03-05 14:00")
        gc_payment._gocardless_sync_ledger()  # and a refresh: already reversed
        self.assertEqual(self._kinds(gc_payment), ["payment", "reversal"])
        self.assertEqual(len(self._odoo_payments()), 1)

    def test_two_bookings_at_the_same_moment_cannot_both_be_kept(self):
        """The last resort against webhooks, polling and a refresh booking one payment at
        the same moment (beside the payment's row lock): the entries' numbers are unique."""
        batch, line, gc_payment = self._collect_balance(self.partner)
        entry = gc_payment.entry_ids
        with self.assertRaises(psycopg2.IntegrityError), mute_logger("odoo.sql_db"):
            with self.env.cr.savepoint():
                self.env["gocardless.payment.entry"].create(
                    {
                        "payment_id": gc_payment.id,
                        "move_id": self._invoice(self.partner, 1.0, self.gbp).id,
                        "kind": "rebooking",
                        "sequence": entry.sequence,
                    }
                )
        with self.assertRaises(psycopg2.IntegrityError), mute_logger("odoo.sql_db"):
            with self.env.cr.savepoint():
                self.env["gocardless.payment.entry"].create(
                    {
                        "payment_id": gc_payment.id,
                        "move_id": entry.move_id.id,
                        "kind": "rebooking",
                        "sequence": entry.sequence + 1,
                    }
                )

    def test_the_integration_screen_and_settings_hold_the_choice(self):
        settings = self.env["res.config.settings"].create(
            {
                "gocardless_payment_recording": "paid_out",
                "gocardless_book_external_payments": True,
            }
        )
        settings.execute()
        self.assertEqual(self.account.payment_recording, "paid_out")
        self.assertTrue(self.account.book_external_payments)
        for model, view in (
            ("gocardless.account", "gocardless_sync.gocardless_account_view_form"),
            ("res.config.settings", "gocardless_sync.res_config_settings_view_form"),
        ):
            arch = self.env[model].get_view(self.env.ref(view).id)["arch"]
            with self.subTest(model=model):
                self.assertIn("payment_recording", arch)
                self.assertIn("book_external_payments", arch)

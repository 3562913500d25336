"""The ledger by webhook: GoCardless (the emulator) delivers signed events to Odoo's endpoint
as they happen; the same events read again by the polling book nothing twice."""

from datetime import date

from freezegun import freeze_time

from odoo.tests import HttpCase, tagged

from .common import GoCardlessEmulatorMixin
from .ledger_common import LedgerMixin
from .payment_common import TODAY, PaymentDataMixin
from .test_webhook import SECRET, WebhookMixin


@tagged("post_install", "-at_install")
class TestLedgerWebhooks(
    LedgerMixin, PaymentDataMixin, WebhookMixin, GoCardlessEmulatorMixin, HttpCase
):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_webhooks()
        cls._setup_payments()

    def setUp(self):
        super().setUp()
        freezer = freeze_time(TODAY + " 10:00:00")
        freezer.start()
        self.addCleanup(freezer.stop)
        self.partner, self.invoice = self._setup_ledger_customer("Webhook Payer")

    def _deliver(self, gc_payment, *actions, at):
        """Steps in GoCardless, each event delivered to the webhook at once."""
        self.env.flush_all()
        self.emulator.webhook_target = (self._url(), SECRET)
        try:
            with freeze_time(at):
                for action in actions:
                    self.emulator.payment_action(gc_payment.gocardless_id, action)
        finally:
            self.emulator.webhook_target = None
        self.env.invalidate_all()

    def test_each_step_by_webhook_then_by_polling(self):
        self.account.payment_recording = "confirmed"
        batch, line, gc_payment = self._collect_balance(self.partner)
        self._deliver(gc_payment, "submitted", at="2025-03-04 09:00")
        self.assertEqual(gc_payment.status, "submitted")
        self.assertFalse(line.payment_id)
        self.assertEqual(line.booking_state, "waiting")
        self._deliver(gc_payment, "confirmed", at="2025-03-05 09:00")
        payment = line.payment_id
        self.assertEqual((payment.date, payment.state), (date(2025, 3, 5), "in_process"))
        self.assertEqual(self.invoice.payment_state, "paid")
        self._deliver(gc_payment, "paid_out", at="2025-03-07 09:00")
        self.assertEqual(payment.state, "paid")
        self._deliver(gc_payment, "charged_back", at="2025-03-10 09:00")
        self.assertEqual(self._kinds(gc_payment), ["payment", "reversal"])
        self.assertEqual(self.invoice.payment_state, "not_paid")
        self._deliver(gc_payment, "chargeback_cancelled", at="2025-03-12 09:00")
        self.assertEqual(self._kinds(gc_payment), ["payment", "reversal", "rebooking"])
        self.assertEqual(self.invoice.payment_state, "paid")
        events = self._events()
        self.assertEqual(set(events.mapped("state")), {"done"})
        # the polling reads every one of those events again: nothing is booked twice
        self.account.last_event_polled_at = False
        self.assertFalse(self._poll(at="2025-03-12 10:00"))
        self.assertEqual(len(self._events()), len(events))
        self.assertEqual(self._kinds(gc_payment), ["payment", "reversal", "rebooking"])
        self.assertEqual(
            self.env["account.payment"].search([("partner_id", "=", self.partner.id)]), payment
        )
        self._assert_balanced(gc_payment.move_ids)

    def test_the_same_delivery_twice_books_once(self):
        self.account.payment_recording = "paid_out"
        batch, line, gc_payment = self._collect_balance(self.partner)
        with freeze_time("2025-03-07 09:00"):
            events = self.emulator.payment_action(gc_payment.gocardless_id, "paid_out")
        body = {"events": events, "meta": {"webhook_id": "WB_LEDGER"}}
        self.assertEqual(self._post(body).status_code, 204)
        self.assertEqual(self._post(body).status_code, 204)  # GoCardless retries a delivery
        self.assertEqual(self._kinds(gc_payment), ["payment"])
        self.assertEqual(line.payment_id.date, date(2025, 3, 7))
        self.assertEqual(self.invoice.payment_state, "paid")

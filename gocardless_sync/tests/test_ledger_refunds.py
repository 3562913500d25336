"""Refunds made in GoCardless: booked as money paid back to the customer, reversed when
they do not reach the customer, through the emulator and GoCardless's events."""

from freezegun import freeze_time

from odoo.tests import tagged

from ..services import status_rules
from ..tools import to_decimal
from .ledger_common import LedgerMixin
from .payment_common import GoCardlessPaymentCase


@tagged("post_install", "-at_install")
class TestRefunds(LedgerMixin, GoCardlessPaymentCase):
    def setUp(self):
        super().setUp()
        self.partner, self.invoice = self._setup_ledger_customer()

    def _refund(self, gc_payment, amount, at="2025-03-10 09:00"):
        """A refund made in GoCardless (POST /refunds through the real client)."""
        data = self.emulator.payments[gc_payment.gocardless_id]
        params = {
            "amount": amount,
            "total_amount_confirmation": (data.get("amount_refunded") or 0) + amount,
            "links": {"payment": gc_payment.gocardless_id},
            "reference": "REFUND-1",
        }
        with freeze_time(at):
            return self.account._gocardless_api().create_resource("refunds", params)

    def _paid_out_payment(self):
        batch, line, gc_payment = self._collect_balance(self.partner)
        self._gocardless(gc_payment, "submitted", "confirmed", "paid_out", at="2025-03-05 09:00")
        self._poll(at="2025-03-05 10:00")
        return gc_payment

    def test_refund_is_booked_as_money_paid_back(self):
        gc_payment = self._paid_out_payment()
        snapshot = self._snapshot(gc_payment.move_ids)
        # the customer got a credit note of 5.00, which GoCardless pays back
        credit_note = self._invoice(self.partner, 5.0, self.gbp, move_type="out_refund")
        data = self._refund(gc_payment, 500)
        self._poll(at="2025-03-10 10:00")
        refund = gc_payment.refund_ids
        self.assertEqual(
            (refund.gocardless_id, refund.status, refund.amount, refund.reference),
            (data["id"], "created", 5.0, "REFUND-1"),
        )
        odoo_refund = refund.account_payment_id
        self.assertEqual(
            (odoo_refund.payment_type, odoo_refund.partner_type, odoo_refund.partner_id),
            ("outbound", "customer", self.partner),
        )
        self.assertEqual(odoo_refund.journal_id, self.journal)
        self.assertEqual(odoo_refund.move_id.state, "posted")
        self.assertEqual(odoo_refund.outstanding_account_id, self._clearing())
        self.assertIn(refund.gocardless_id, odoo_refund.memo)
        # reconciled with the customer's receivable: the credit note is settled
        self.assertEqual(credit_note.payment_state, "paid")
        self.assertEqual(refund.booking_state, "booked")
        self.assertEqual(self._kinds(gc_payment), ["payment", "refund"])
        self.assertEqual(gc_payment.entry_ids.mapped("amount"), [80.0, -5.0])
        self.assertIn(odoo_refund.move_id, gc_payment.move_ids)
        self._assert_balanced(gc_payment.move_ids)
        self._assert_unchanged(snapshot)
        # the refund's credit waits in the clearing account for the payout that deducts it
        self.assertIn(to_decimal(-5, self.gbp), self._open_clearing(gc_payment))
        # submitted, paid, deducted (refund_settled): nothing more to book
        with freeze_time("2025-03-11 08:00"):
            self.emulator.refund_action(refund.gocardless_id, "submitted")
            self.emulator.refund_action(refund.gocardless_id, "paid")
        self._pay_out(at="2025-03-11 09:00", payments=[])
        self._poll(at="2025-03-11 10:00")
        self.assertEqual(refund.status, "paid")
        self.assertTrue(refund.settled_payout_gocardless_id.startswith("PO"))
        self.assertEqual(self._kinds(gc_payment), ["payment", "refund"])
        self.assertEqual(len(refund.account_payment_id), 1)

    def test_cancelled_refund_is_reversed(self):
        gc_payment = self._paid_out_payment()
        credit_note = self._invoice(self.partner, 5.0, self.gbp, move_type="out_refund")
        self._refund(gc_payment, 500)
        self._poll(at="2025-03-10 10:00")
        refund = gc_payment.refund_ids
        snapshot = self._snapshot(refund.account_payment_id.move_id)
        with freeze_time("2025-03-11 08:00"):
            self.emulator.refund_action(refund.gocardless_id, "cancelled")
        self._poll(at="2025-03-11 09:00")
        self.assertEqual(refund.status, "cancelled")
        self.assertEqual(refund.booking_state, "reversed")
        self.assertEqual(self._kinds(gc_payment), ["payment", "refund", "refund_reversal"])
        self._assert_unchanged(snapshot)
        self.assertEqual(credit_note.payment_state, "not_paid")  # owed to the customer again
        self._assert_balanced(gc_payment.move_ids)
        # not deducted from any payout: the refund's lines net out in the clearing account
        refund_lines = refund.entry_ids.move_id.line_ids.filtered(
            lambda line: line.account_id == self._clearing()
        )
        self.assertTrue(all(refund_lines.mapped("reconciled")))
        # the cancellation polled again books nothing
        self.account.last_event_polled_at = False
        self._poll(at="2025-03-11 10:00")
        self.assertEqual(len(gc_payment.entry_ids), 3)

    def test_refund_waits_for_its_payment_to_be_booked(self):
        self.account.payment_recording = "paid_out"
        batch, line, gc_payment = self._collect_balance(self.partner)
        self._gocardless(gc_payment, "submitted", "confirmed", at="2025-03-05 09:00")
        self._poll(at="2025-03-05 10:00")
        self._refund(gc_payment, 1000, at="2025-03-05 11:00")
        self._poll(at="2025-03-05 12:00")
        refund = gc_payment.refund_ids
        self.assertEqual(refund.booking_state, "waiting")
        self.assertFalse(refund.account_payment_id)
        self._gocardless(gc_payment, "paid_out", at="2025-03-07 09:00")
        self._poll(at="2025-03-07 10:00")
        self.assertEqual(self._kinds(gc_payment), ["payment", "refund"])
        self.assertEqual(refund.booking_state, "booked")
        self.assertEqual(refund.account_payment_id.date.isoformat(), "2025-03-07")
        self._assert_balanced(gc_payment.move_ids)

    def test_refund_of_a_payment_odoo_does_not_follow_is_acknowledged(self):
        stranger = self.emulator.add_customer(email="stranger@example.com", company_name="S")
        mandate = self.emulator.add_mandate(stranger["id"], status="active")
        payment = self.emulator.add_payment(mandate["id"], 2000, currency="GBP")
        with freeze_time("2025-03-05 09:00"):
            self.emulator.payment_action(payment["id"], "confirmed")
            self.account._gocardless_api().create_resource(
                "refunds",
                {
                    "amount": 100,
                    "total_amount_confirmation": 100,
                    "links": {"payment": payment["id"]},
                },
            )
        self._poll(at="2025-03-05 10:00")
        event = self.env["gocardless.event"].search([("resource_type", "=", "refunds")])
        self.assertEqual(event.state, "ignored")
        self.assertIn("does not follow", event.note)
        self.assertFalse(self.env["gocardless.refund"].search([]))

    def test_refund_statuses_never_move_back(self):
        decide = status_rules.decide
        self.assertEqual(
            decide(status_rules.REFUND, "paid", "submitted").outcome, status_rules.BACKWARDS
        )
        self.assertEqual(decide(status_rules.REFUND, "paid", "bounced").status, "bounced")
        self.assertEqual(status_rules.event_status(status_rules.REFUND, "failed"), "bounced")
        self.assertIsNone(status_rules.event_status(status_rules.REFUND, "refund_settled"))

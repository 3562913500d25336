from decimal import Decimal

from lxml import etree

from odoo.exceptions import AccessError, UserError
from odoo.sql_db import db_connect
from odoo.tests import tagged
from odoo.tools import file_open

from ..services import const
from ..tools import to_decimal
from .payment_common import GoCardlessPaymentCase


@tagged("post_install", "-at_install")
class TestRecordPayments(GoCardlessPaymentCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.alice = cls._partner("Alice", email="alice@example.com")
        cls.bob = cls._partner("Bob", email="bob@example.com")
        cls.alice_old = cls._invoice(cls.alice, 100.0, cls.gbp, date="2025-01-05")
        cls.alice_new = cls._invoice(cls.alice, 50.0, cls.gbp, date="2025-02-05")
        cls.alice_refund = cls._invoice(
            cls.alice, 30.0, cls.gbp, date="2025-02-10", move_type="out_refund"
        )
        cls.bob_invoice = cls._invoice(cls.bob, 0.10, cls.eur)
        cls.bob_invoice_2 = cls._invoice(cls.bob, 0.20, cls.eur)

    def setUp(self):
        super().setUp()
        self._mandate(self.alice)
        self._mandate(self.bob, scheme="sepa_core")
        self.batch = self._export(self.alice | self.bob)

    def _record(self, batch=None, user=None):
        return (batch or self.batch).with_user(user or self.gc_accountant).action_record_payments()

    def test_one_posted_payment_per_line_then_nothing(self):
        action = self._record()
        self.assertEqual(action["params"]["type"], "success")
        self.assertIn("2 payments recorded", action["params"]["message"])
        lines = self.batch.line_ids
        payments = lines.payment_id
        self.assertEqual(len(payments), 2)
        for line in lines:
            with self.subTest(line=line.reference):
                payment = line.payment_id
                self.assertEqual(payment.state, "in_process")
                self.assertEqual(payment.move_id.state, "posted")
                self.assertEqual(payment.payment_type, "inbound")
                self.assertEqual(payment.partner_id, line.partner_id)
                self.assertEqual(payment.journal_id, self.journal)
                self.assertEqual(payment.currency_id, line.currency_id)
                self.assertEqual(
                    to_decimal(payment.amount, payment.currency_id),
                    to_decimal(line.amount, line.currency_id),
                )
                self.assertIn(line.reference, payment.memo)
                self.assertEqual(payment.date, self._today())
        self.assertEqual(
            to_decimal(self._line(self.batch, self.bob).payment_id.amount, self.eur),
            Decimal("0.30"),
        )
        # a second run creates nothing and says so
        count = self.env["account.payment"].search_count([])
        again = self._record()
        self.assertEqual(again["params"]["type"], "info")
        self.assertIn("Nothing to record", again["params"]["message"])
        self.assertEqual(self.env["account.payment"].search_count([]), count)
        self.assertEqual(self.batch.line_ids.payment_id, payments)
        self.assertEqual(self.batch.state, "in_progress")  # recorded, not collected yet

    def test_payment_values_come_from_the_line_hook(self):
        """``_prepare_account_payment_vals`` builds each Odoo payment (the OCA habit: a module
        adds its values by overriding it); once GoCardless collects another amount (an edited
        file), its amount and currency are the GoCardless payment's."""
        line = self._line(self.batch, self.alice)
        method_line = self.journal.inbound_payment_method_line_ids[:1]
        vals = line._prepare_account_payment_vals(self.journal, method_line, self._today())
        self.assertEqual(
            vals,
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": self.alice.id,
                "amount": line.amount,
                "currency_id": self.gbp.id,
                "journal_id": self.journal.id,
                "payment_method_line_id": method_line.id,
                "date": self._today(),
                "memo": f"GoCardless {line.reference}",
            },
        )
        self._record()
        payment = line.payment_id
        self.assertEqual(
            (payment.memo, payment.payment_method_line_id, payment.partner_type),
            (vals["memo"], method_line, "customer"),
        )

    def test_payments_reconcile_oldest_invoices_first(self):
        # invoiced after the export: the payment does not cover it
        later = self._invoice(self.alice, 40.0, self.gbp, date="2025-02-20")
        self._record()
        # Alice's payment of 120 (100 + 50 - 30) and her credit note settle the two oldest
        # invoices; the later one stays open.
        self.assertEqual(self.alice_refund.payment_state, "paid")
        self.assertEqual(self.alice_old.payment_state, "paid")
        self.assertEqual(self.alice_new.payment_state, "paid")
        self.assertEqual(later.payment_state, "not_paid")
        self.assertEqual(self.bob_invoice.payment_state, "paid")
        self.assertEqual(self.bob_invoice_2.payment_state, "paid")
        later.button_draft()
        # nothing left due: a new export finds no balance, and creates no batch
        self.assertFalse(self._export(self.alice | self.bob))
        self.assertIn("Nothing due or in credit (2)", self.export_action["params"]["message"])

    def test_without_reconciliation(self):
        self.batch.reconcile_invoices = False
        self._record()
        self.assertEqual(self.alice_old.payment_state, "not_paid")
        self.assertEqual(self.alice_new.payment_state, "not_paid")
        self.assertTrue(self.batch.line_ids.payment_id)
        # the payments still settle the balance (they credit the receivable account)
        self.assertFalse(self._export(self.alice).line_ids)

    def test_a_second_run_at_the_same_time_is_refused(self):
        other = db_connect(self.env.cr.dbname).cursor()
        self.addCleanup(other.close)
        other.execute("SELECT pg_advisory_xact_lock(%s, %s)", [const.LOCK_EXPORT, self.batch.id])
        with self.assertRaises(UserError) as caught:
            self._record()
        self.assertIn("right now", str(caught.exception))
        self.assertFalse(self.batch.line_ids.payment_id)
        other.rollback()
        self._record()
        self.assertEqual(len(self.batch.line_ids.payment_id), 2)

    def test_constraints_keep_one_payment_per_line(self):
        self._record()
        alice_line, bob_line = self._line(self.batch, self.alice), self._line(self.batch, self.bob)
        with self.assertRaises(Exception) as caught, self.env.cr.savepoint():
            bob_line.payment_id = alice_line.payment_id
            bob_line.flush_recordset()
        self.assertIn("payment_uniq", str(caught.exception))

    def test_needs_a_journal_and_invoicing_rights(self):
        self.account.journal_id = False
        with self.assertRaises(UserError) as caught:
            self._record()
        self.assertIn("payments journal", str(caught.exception))
        self.account.journal_id = self.journal
        with self.assertRaises(AccessError) as caught:
            self._record(user=self.gc_manager)
        self.assertIn("Invoicing", str(caught.exception))
        with self.assertRaises(AccessError):
            self._record(user=self.gc_user)
        self.assertFalse(self.batch.line_ids.payment_id)

    def test_server_action_records_several_batches_with_one_message(self):
        server_action = self.env.ref("gocardless_sync.gocardless_export_action_record_payments")
        self.assertEqual(server_action.binding_model_id.model, "gocardless.export")
        self.assertEqual(server_action.binding_view_types, "list")
        self.assertEqual(
            server_action.groups_id, self.env.ref("gocardless_sync.group_gocardless_manager")
        )
        carol = self._partner("Carol", email="carol@example.com")
        self._invoice(carol, 7.25, self.gbp)
        self._mandate(carol)
        second = self._export(carol)
        batches = self.batch | second
        action = (
            server_action.with_user(self.gc_accountant)
            .with_context(active_model="gocardless.export", active_ids=batches.ids)
            .run()
        )
        self.assertEqual(action["params"]["type"], "success")
        # one message for both batches: the count, the batches and the totals per currency
        self.assertEqual(
            action["params"]["message"],
            "3 payments recorded in 2 batches (0.30\xa0€, £\xa0127.25).",
        )
        self.assertEqual(len(batches.line_ids.payment_id), 3)
        for batch in batches:
            with self.subTest(batch=batch.name):
                self.assertIn("added in", batch.message_ids[0].body)
        # again: nothing to record, said once
        again = (
            server_action.with_user(self.gc_accountant)
            .with_context(active_model="gocardless.export", active_ids=batches.ids)
            .run()
        )
        self.assertIn("Nothing to record", again["params"]["message"])
        # only GoCardless Managers see it
        with self.assertRaises(AccessError):
            server_action.with_user(self.gc_user).with_context(
                active_model="gocardless.export", active_ids=batches.ids
            ).run()
        self.assertEqual(len(batches.line_ids.payment_id), 3)

    def test_server_actions_live_in_their_data_file(self):
        with file_open("gocardless_sync/data/ir_actions_server.xml", "rb") as handle:
            ids = set(etree.parse(handle).xpath("//record[@model='ir.actions.server']/@id"))
        self.assertLessEqual(
            {
                "res_partner_action_gocardless_export_balances",
                "gocardless_export_action_record_payments",
            },
            ids,
        )

"""A balance export's lock: collecting, recording and refreshing a batch, and applying
GoCardless events about its payments, never write the same rows at once. Webhooks that
arrive while a collection runs wait for it (the retry applies them), so the log stays clean:
no "duplicate key", no "could not serialize".

A collection "running in another transaction" is the transaction that holds the batch's
lock, ``pg_try_advisory_xact_lock(const.LOCK_EXPORT, batch id)``: the tests take that lock in
a second PostgreSQL connection (a test's own data is invisible to any other connection, so a
real second collection cannot run on it)."""

import uuid

from odoo import SUPERUSER_ID, api
from odoo.exceptions import UserError
from odoo.sql_db import db_connect
from odoo.tests import HttpCase, TransactionCase, tagged

from ..models.gocardless_event import REFUSED_LOCKS_KEY
from ..services import const
from ..tools import to_minor_units
from .common import GoCardlessEmulatorMixin
from .payment_common import GoCardlessPaymentCase, PaymentDataMixin
from .test_webhook import SECRET, WebhookMixin

RETRY_CRON = "gocardless_sync.ir_cron_gocardless_retry_events"


class LockMixin:
    def _hold_lock(self, batch):
        """Another transaction takes the batch's lock, as a running collection does; return
        its cursor (``rollback()`` ends that "collection")."""
        other = db_connect(self.env.cr.dbname).cursor()
        self.addCleanup(other.close)
        other.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [const.LOCK_EXPORT, batch.id])
        self.assertTrue(other.fetchone()[0], "the test's own transaction holds the lock")
        return other

    def _collected_batch(self, partner):
        """A batch of ``partner`` whose payment GoCardless has (as after an upload), made
        without taking the batch's lock: a lock taken in the test's own transaction would be
        held until the test ends, and no other connection could take it."""
        self._mandate(partner)
        batch = self._export(partner)
        line = batch.line_ids
        remote = self.emulator.add_payment(
            line.mandate_id.gocardless_id,
            to_minor_units(line.amount, line.currency_id),
            currency=line.currency_id.name,
            metadata={"odoo_ref": line.reference},
        )
        self.env["gocardless.payment"]._gocardless_store(
            self.account, [self.emulator.payments[remote["id"]]], {line.reference: line}
        )
        return batch, line.gocardless_payment_id

    def _events_in_a_new_transaction(self):
        """Event application remembers, until its transaction ends, the batches whose lock it
        was refused; a test runs in one transaction, so it forgets them here (in production
        every retry runs in its own transaction)."""
        self.env.cr.postcommit.data.pop(REFUSED_LOCKS_KEY, None)

    def _retry_triggers(self):
        return self.env["ir.cron.trigger"].search([("cron_id", "=", self.env.ref(RETRY_CRON).id)])


@tagged("post_install", "-at_install")
class TestWebhookDuringCollection(
    LockMixin, PaymentDataMixin, WebhookMixin, GoCardlessEmulatorMixin, HttpCase
):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_webhooks()
        cls._setup_payments()
        cls.customer = cls._partner("Locked Customer", email="locked@example.com")
        cls._invoice(cls.customer, 10.50, cls.gbp)

    def setUp(self):
        super().setUp()
        self.batch, self.gc_payment = self._collected_batch(self.customer)
        self.line = self.batch.line_ids
        self.assertEqual(self.gc_payment.status, "pending_submission")
        self.emulator.webhook_target = (self._url(), SECRET)
        self.addCleanup(setattr, self.emulator, "webhook_target", None)

    def _deliver(self, action, payment_id=None):
        """GoCardless moves a payment on and delivers the webhook at once, over HTTP."""
        self.env.flush_all()
        self.emulator.payment_action(payment_id or self.gc_payment.gocardless_id, action)
        self.env.invalidate_all()
        delivery = self.emulator.webhook_deliveries[-1]
        self.assertEqual(delivery["status"], 204)
        return self._events().filtered(lambda event: event.gocardless_id in delivery["event_ids"])

    def test_a_webhook_during_a_collection_waits_for_it(self):
        self.env["ir.cron.trigger"].search([]).unlink()
        collection = self._hold_lock(self.batch)
        with self.assertNoLogs("odoo", level="ERROR"):
            event = self._deliver("submitted")
        # stored, not applied: nothing written while the collection runs
        self.assertEqual(event.state, "new")
        self.assertEqual(event.attempt_count, 0)
        self.assertIn(f"Waiting for {self.batch.name}", event.note)
        self.assertEqual(self.gc_payment.status, "pending_submission")
        # the retry is asked for: at once (the webhook) and a minute later (the busy batch)
        self.assertEqual(len(self._retry_triggers()), 2)
        # a retry while the collection still runs: still waiting, still no error
        with self.assertNoLogs("odoo", level="ERROR"):
            self._retry_events()
        self.assertEqual((event.state, event.attempt_count), ("new", 0))
        # the collection ends: the retry applies the event
        collection.rollback()
        self._events_in_a_new_transaction()
        with self.assertNoLogs("odoo", level="ERROR"):
            self._retry_events()
        self.assertEqual(event.state, "done")
        self.assertEqual(self.gc_payment.status, "submitted")

    def test_events_of_other_batches_are_applied_at_once(self):
        other = self._partner("Free Customer", email="free@example.com")
        self._invoice(other, 4.0, self.gbp)
        self._mandate(other)
        _free_batch, free_payment = self._collected_batch(other)
        self._hold_lock(self.batch)
        event = self._deliver("submitted", free_payment.gocardless_id)
        self.assertEqual(event.state, "done")
        self.assertEqual(free_payment.status, "submitted")


@tagged("post_install", "-at_install")
class TestCollectionLock(LockMixin, GoCardlessPaymentCase):
    def setUp(self):
        super().setUp()
        self.partner = self._partner("Lock Ltd", email="lock@example.com")
        self._invoice(self.partner, 12.0, self.gbp)
        self._mandate(self.partner)
        self.batch = self._export(self.partner)
        self.line = self.batch.line_ids

    def test_polled_payment_of_a_batch_being_collected_waits(self):
        """The case the log showed: the running collection has created a payment in
        GoCardless but not committed it; the retry (or the polling) fetches the payment, finds
        its line by odoo_ref and would store it a second time."""
        remote = self.emulator.add_payment(
            self.line.mandate_id.gocardless_id,
            1200,
            currency="GBP",
            metadata={"odoo_ref": self.line.reference},
        )
        self.emulator.record_event("payments", "created", {"payment": remote["id"]})
        collection = self._hold_lock(self.batch)
        with self.assertNoLogs("odoo", level="ERROR"):
            events = self.env["gocardless.event"]._gocardless_poll(self.account)
        self.assertEqual(events.state, "new")
        self.assertIn("Waiting for", events.note)
        self.assertFalse(self.line.gocardless_payment_ids)
        self.assertFalse(
            self.env["gocardless.payment"].search([("gocardless_id", "=", remote["id"])])
        )
        collection.rollback()
        self._events_in_a_new_transaction()
        self.env.ref(RETRY_CRON).method_direct_trigger()
        self.assertEqual(events.state, "done")
        self.assertEqual(self.line.gocardless_payment_id.gocardless_id, remote["id"])

    def test_collecting_recording_refreshing_wait_for_each_other(self):
        holder = self._hold_lock(self.batch)
        as_accountant = self.batch.with_user(self.gc_accountant)
        for action in (
            "action_collect",
            "action_record_payments",
            "action_refresh_from_gocardless",
        ):
            with self.subTest(action=action), self.assertRaises(UserError) as caught:
                getattr(as_accountant, action)()
            self.assertIn("right now", str(caught.exception))
        self.assertFalse(self.emulator.requests)  # refused before any GoCardless call
        holder.rollback()
        self.env["ir.cron.trigger"].search([]).unlink()
        as_accountant.action_collect()
        self.assertTrue(self.line.gocardless_payment_id)
        # the events that waited meanwhile are applied once the collection commits
        self.assertTrue(self._retry_triggers())
        self.assertGreater(self.batch.lock_count, 0)


@tagged("post_install", "-at_install")
class TestLockSeesThePreviousHolder(GoCardlessEmulatorMixin, TransactionCase):
    """Under REPEATABLE READ, a transaction that began before the previous lock holder
    committed would not see what it wrote: it gets "busy", not the lock. Needs committed
    rows, so it works on its own connections and deletes what it committed."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_gocardless()

    def _cursor(self):
        cursor = db_connect(self.env.cr.dbname).cursor()
        self.addCleanup(cursor.close)
        return cursor

    def _batch(self, cursor):
        return api.Environment(cursor, SUPERUSER_ID, {})["gocardless.export"].browse(self.batch_id)

    def test_a_stale_transaction_does_not_get_the_lock(self):
        setup = self._cursor()
        setup.execute(
            """
            INSERT INTO gocardless_export
                   (name, account_id, company_id, exported_at, state, lock_count,
                    reconcile_invoices)
            VALUES (%s, %s, %s, now() at time zone 'UTC', 'draft', 0, true)
            RETURNING id
            """,
            [f"GCX-LOCK-{uuid.uuid4().hex[:8]}", self.account.id, self.account.company_id.id],
        )
        self.batch_id = setup.fetchone()[0]
        setup.commit()

        def delete():
            setup.execute("DELETE FROM gocardless_export WHERE id = %s", [self.batch_id])
            setup.commit()

        self.addCleanup(delete)
        stale = self._cursor()
        stale.execute("SELECT 1")  # its snapshot is taken now
        first = self._cursor()
        self.assertTrue(self._batch(first)._gocardless_try_lock())
        first.commit()  # the previous holder commits after the stale transaction began
        with self.assertNoLogs("odoo", level="ERROR"):
            self.assertFalse(self._batch(stale)._gocardless_try_lock())
        stale.rollback()
        fresh = self._cursor()
        self.assertTrue(self._batch(fresh)._gocardless_try_lock())
        fresh.execute("SELECT lock_count FROM gocardless_export WHERE id = %s", [self.batch_id])
        self.assertEqual(fresh.fetchone()[0], 2)
        fresh.rollback()

from datetime import date
from decimal import Decimal
from unittest.mock import patch

import psycopg2
from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..models import gocardless_export_collector
from ..services import const
from ..tools import to_minor_units
from .payment_common import GoCardlessPaymentCase


class CollectionMixin:
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # four customers with open invoices (GBP); each test gives mandates to those it needs
        cls.customers = cls.env["res.partner"]
        for n, amount in enumerate([10.5, 0.3, 1234567.89, 7.0]):
            partner = cls._partner(f"Customer {n}", email=f"c{n}@example.com")
            cls._invoice(partner, amount, cls.gbp)
            cls.customers |= partner

    def setUp(self):
        super().setUp()
        # These tests are about amounts in minor units (0.30, 1,234,567.89...), not about
        # GoCardless's per-payment limits, which the emulator enforces by default.
        self.emulator.payment_limits.clear()

    def _setup_batch(self, count=4, charge_date=None, offset=0):
        self.partners = self.customers[offset : offset + count]
        for partner in self.partners:
            self._mandate(partner)
        self.batch = self._export(self.partners, charge_date=charge_date)
        self.lines = self.batch.line_ids.sorted("sequence")
        return self.batch

    def _upload(self, line, **overrides):
        """What GoCardless does with one row of the uploaded file."""
        values = {
            "metadata": {"odoo_ref": line.reference},
            "charge_date": "2025-03-06",
        }
        values.update(overrides)
        amount = values.pop("amount", to_minor_units(line.amount, line.currency_id))
        currency = values.pop("currency", line.currency_id.name)
        return self.emulator.add_payment(
            line.mandate_id.gocardless_id, amount, currency=currency, **values
        )

    def _refresh_batch(self):
        return self.env["gocardless.export.collector"]._gocardless_refresh(
            self.batch, self.account._gocardless_api()
        )

    def _collect(self, user=None):
        return self.batch.with_user(user or self.gc_accountant).action_collect()

    def _created_payments(self):
        return [p for p in self.emulator.payments.values()]

    def _payment_creates(self):
        return [
            r for r in self.emulator.requests if r["method"] == "POST" and r["path"] == "/payments"
        ]


@tagged("post_install", "-at_install")
class TestCollectThroughApi(CollectionMixin, GoCardlessPaymentCase):
    def test_collect_creates_payments_with_reference_as_key(self):
        self._setup_batch(count=3, charge_date=date(2025, 3, 10))
        action = self._collect()
        self.assertEqual(action["params"]["type"], "success")
        self.assertIn("3 GoCardless payments created", action["params"]["message"])
        created = self._created_payments()
        self.assertEqual(len(created), 3)
        by_ref = {p["metadata"]["odoo_ref"]: p for p in created}
        self.assertEqual(set(by_ref), set(self.lines.mapped("reference")))
        minor = {"Customer 0": 1050, "Customer 1": 30, "Customer 2": 123456789}
        for line in self.lines:
            with self.subTest(line=line.reference):
                remote = by_ref[line.reference]
                self.assertEqual(remote["amount"], minor[line.partner_id.name])
                self.assertEqual(remote["currency"], "GBP")
                self.assertEqual(remote["links"]["mandate"], line.mandate_id.gocardless_id)
                self.assertEqual(remote["charge_date"], "2025-03-10")
                self.assertEqual(remote["description"], line.description)
                gc_payment = line.gocardless_payment_id
                self.assertEqual(gc_payment.gocardless_id, remote["id"])
                self.assertEqual(gc_payment.status, "pending_submission")
                self.assertEqual(gc_payment.amount, line.amount)
                self.assertEqual(gc_payment.partner_id, line.partner_id)
                self.assertEqual(gc_payment.odoo_ref, line.reference)
                self.assertEqual(gc_payment.export_id, self.batch)
                self.assertEqual(
                    gc_payment.dashboard_url,
                    f"https://manage-sandbox.gocardless.com/payments/{remote['id']}",
                )
        for request in self._payment_creates():
            body = request["body"]["payments"]
            self.assertEqual(request["headers"]["Idempotency-Key"], body["metadata"]["odoo_ref"])
            self.assertIsInstance(body["amount"], int)
        # run again: nothing new anywhere
        again = self._collect()
        self.assertIn("Nothing to collect", again["params"]["message"])
        self.assertEqual(len(self.emulator.payments), 3)
        self.assertEqual(len(self._payment_creates()), 3)
        self.assertEqual(
            self.partners[0].gocardless_payment_ids, self.lines[0].gocardless_payment_id
        )

    def test_fault_in_the_middle_then_rerun_without_duplicates(self):
        self._setup_batch(count=4)
        # the third create fails on every attempt (the adapter retries a JSON 5xx twice)
        self.emulator.inject_fault("server_error", times=3, skip=2, method="POST", path="/payments")
        action = self._collect()
        self.assertEqual(action["params"]["type"], "danger")
        message = action["params"]["message"]
        self.assertIn("2 GoCardless payments created", message)
        self.assertIn(f"Stopped at {self.lines[2].reference}", message)
        self.assertIn("unavailable", message)
        self.assertIn("nothing is created twice", message)
        self.assertTrue(self.lines[0].gocardless_payment_id)
        self.assertTrue(self.lines[1].gocardless_payment_id)
        self.assertFalse(self.lines[2].gocardless_payment_id)
        self.assertFalse(self.lines[3].gocardless_payment_id)
        self.assertEqual(len(self.emulator.payments), 2)
        self.assertEqual(self.batch.collected_count, 2)
        self.assertIn("Stopped at", self.batch.message_ids[0].body)
        # re-run: the rest is created, nothing twice
        action = self._collect()
        self.assertEqual(action["params"]["type"], "success")
        self.assertIn("2 GoCardless payments created", action["params"]["message"])
        self.assertEqual(len(self.emulator.payments), 4)
        refs = sorted(p["metadata"]["odoo_ref"] for p in self.emulator.payments.values())
        self.assertEqual(refs, sorted(self.lines.mapped("reference")))
        self.assertEqual(len(self.lines.gocardless_payment_ids), 4)

    def test_lost_answer_then_rerun_without_duplicates(self):
        """GoCardless creates the payment but the answer is lost (every attempt): the message
        says the outcome is unknown and that the next run finds it; the re-run finds it
        again (idempotency key / odoo_ref) instead of creating a second one."""
        self._setup_batch(count=3)
        self.emulator.inject_fault("drop", times=3, skip=1, method="POST", path="/payments")
        action = self._collect()
        self.assertEqual(action["params"]["type"], "danger")
        message = action["params"]["message"]
        self.assertIn("1 GoCardless payment created.", message)
        self.assertIn(f"Stopped at {self.lines[1].reference}", message)
        self.assertIn("refused or dropped", message)
        self.assertIn("whether it created this payment is unknown", message)
        self.assertIn("finds this payment by its reference", message)
        self.assertNotIn("Nothing was changed", message)
        self.assertTrue(self.lines[0].gocardless_payment_id)
        self.assertFalse(self.lines[1].gocardless_payment_id)
        # GoCardless did create the second one
        self.assertEqual(len(self.emulator.payments), 2)
        self._collect()
        self.assertEqual(len(self.emulator.payments), 3)
        self.assertEqual(len(self.lines.gocardless_payment_ids), 3)
        self.assertEqual(
            sorted(self.lines.gocardless_payment_ids.mapped("gocardless_id")),
            sorted(self.emulator.payments),
        )

    def test_a_refused_line_does_not_stop_the_others(self):
        self._setup_batch(count=3)
        # cancelled in GoCardless, still usable in Odoo (not synced yet)
        self.emulator.mandate_action(self.lines[0].mandate_id.gocardless_id, "cancelled")
        # removed in Odoo
        self.lines[1].mandate_id.active = False
        action = self._collect()
        self.assertEqual(action["params"]["type"], "warning")
        self.assertIn("1 GoCardless payment created.", action["params"]["message"])
        self.assertIn("mandate", self.lines[0].collect_error.lower())
        self.assertIn("cannot take payments", self.lines[1].collect_error)
        self.assertFalse(self.lines[0].gocardless_payment_id)
        self.assertTrue(self.lines[2].gocardless_payment_id)
        self.assertEqual(len(self.emulator.payments), 1)

    def test_charge_date_moved_forward_at_collection(self):
        self._setup_batch(count=1, charge_date=date(2025, 3, 6))
        line = self.lines
        line.mandate_id.next_possible_charge_date = date(2025, 3, 12)  # refreshed by a sync
        self._collect()
        remote = next(iter(self.emulator.payments.values()))
        self.assertEqual(remote["charge_date"], "2025-03-12")
        self.assertEqual(line.charge_date, date(2025, 3, 12))
        self.assertIn("03/12/2025", line.note)

    def test_only_managers_collect(self):
        self._setup_batch(count=1)
        for user in (self.gc_user, self.gc_supervisor):
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError) as caught:
                    self._collect(user=user)
                self.assertEqual(
                    str(caught.exception),
                    "Only GoCardless Managers can export balances, record and collect "
                    "payments. Ask an administrator for the GoCardless Manager right.",
                )
        self.assertFalse(self.emulator.payments)


@tagged("post_install", "-at_install")
class TestCollectionSafety(CollectionMixin, GoCardlessPaymentCase):
    """What can go wrong between an export and its collection, and per line."""

    def test_a_balance_paid_since_the_export_is_neither_collected_nor_recorded(self):
        self._setup_batch(count=3)
        # customer 0 gets a credit note for all of it, customer 1 for a part
        self._invoice(self.partners[0], 10.5, self.gbp, move_type="out_refund")
        self._invoice(self.partners[1], 0.1, self.gbp, move_type="out_refund")
        action = self._collect()
        self.assertEqual(action["params"]["type"], "warning")
        self.assertIn("1 GoCardless payment created.", action["params"]["message"])
        self.assertEqual(len(self.emulator.payments), 1)
        self.assertIn("open balance is now", self.lines[0].collect_error)
        self.assertIn("£\xa00.00", self.lines[0].collect_error)
        self.assertIn("£\xa00.20", self.lines[1].collect_error)
        self.assertTrue(self.lines[2].gocardless_payment_id)
        action = self.batch.with_user(self.gc_accountant).action_record_payments()
        self.assertIn("1 payment recorded (£\xa01,234,567.89)", action["params"]["message"])
        self.assertIn(self.lines[0].reference, action["params"]["message"])
        self.assertEqual(action["params"]["type"], "warning")
        self.assertFalse(self.lines[:2].payment_id)
        self.assertTrue(self.lines[2].payment_id)

    def test_a_recorded_line_is_collected_as_recorded(self):
        """Recording first pays the invoices: the balance is then 0, and that is no reason
        not to collect what was recorded."""
        self._setup_batch(count=1)
        self.batch.with_user(self.gc_accountant).action_record_payments()
        self.assertEqual(self.lines.payment_id.state, "in_process")
        action = self._collect()
        self.assertEqual(action["params"]["type"], "success")
        self.assertTrue(self.lines.gocardless_payment_id)

    def test_a_refused_line_is_not_recorded_and_can_be_excluded(self):
        self._setup_batch(count=2)
        refused, kept = self.lines
        self.emulator.mandate_action(refused.mandate_id.gocardless_id, "cancelled")
        self._collect()
        self.assertTrue(refused.collect_error)
        action = self.batch.with_user(self.gc_accountant).action_record_payments()
        self.assertIn(f"{refused.reference}: GoCardless refused it", action["params"]["message"])
        self.assertFalse(refused.payment_id)
        self.assertTrue(kept.payment_id)
        self.assertEqual(self.batch.state, "in_progress")
        # a recorded line cannot be excluded
        with self.assertRaises(UserError):
            kept.with_user(self.gc_accountant).action_exclude()
        # a supervisor cannot exclude
        with self.assertRaises(AccessError):
            refused.with_user(self.gc_supervisor).action_exclude()
        refused.with_user(self.gc_accountant).action_exclude()
        self.assertTrue(refused.excluded)
        self.assertFalse(kept.excluded)
        self.assertEqual(self.batch.state, "done")
        self.assertEqual(self.batch.line_count, 1)
        self.assertNotIn(refused.reference, self.batch.csv_attachment_id.raw.decode())
        self.assertIn(kept.reference, self.batch.csv_attachment_id.raw.decode())
        self.assertEqual(self.batch._gocardless_totals(), {self.gbp: Decimal("0.30")})
        self.assertIn("Excluded from the batch", self.batch.message_ids[0].body)
        # excluded lines are neither collected nor recorded, and their balance is exported again
        self.assertIn("Nothing to collect", self._collect()["params"]["message"])
        batch = self._export(self.partners[0])
        self.assertEqual(len(batch.line_ids), 1)
        self.assertFalse(self._skip(batch, self.partners[0]))

    def test_a_line_uploaded_meanwhile_cannot_be_excluded(self):
        self._setup_batch(count=1)
        self._upload(self.lines)  # the file uploaded in the dashboard meanwhile
        with self.assertRaises(UserError) as caught:
            self.lines.with_user(self.gc_accountant).action_exclude()
        self.assertIn("GoCardless is collecting it", str(caught.exception))
        self.assertFalse(self.lines.excluded)
        # GoCardless unreachable: nothing is excluded without knowing
        self._setup_batch(count=2, offset=1)
        self.emulator.inject_fault("server_error", times=5, path="/payments")
        with self.assertRaises(UserError) as caught:
            self.lines[1].with_user(self.gc_accountant).action_exclude()
        self.assertIn("could not tell", str(caught.exception))
        self.assertFalse(self.lines[1].excluded)

    def test_deleting_a_batch_asks_gocardless_first(self):
        self._setup_batch(count=1)
        self._upload(self.lines)  # the file uploaded in the dashboard meanwhile
        with self.assertRaises(UserError) as caught:
            self.batch.with_user(self.gc_accountant).action_gocardless_delete()
        self.assertIn("exist in GoCardless", str(caught.exception))
        self.assertTrue(self.batch.exists())
        # a batch GoCardless knows nothing of can go
        self._setup_batch(count=1, offset=1)
        batch, name = self.batch, self.batch.name
        action = batch.with_user(self.gc_accountant).action_gocardless_delete()
        self.assertFalse(batch.exists())
        self.assertEqual(action["params"]["message"], f"{name} deleted.")
        self.assertEqual(action["params"]["next"]["res_model"], "gocardless.export")
        # GoCardless unreachable: nothing is deleted without knowing
        self._setup_batch(count=1, offset=2)
        self.emulator.inject_fault("server_error", times=5, path="/payments")
        with self.assertRaises(UserError) as caught:
            self.batch.with_user(self.gc_accountant).action_gocardless_delete()
        self.assertIn("could not tell", str(caught.exception))
        self.assertTrue(self.batch.exists())
        # only Managers delete
        with self.assertRaises(AccessError):
            self.batch.with_user(self.gc_supervisor).action_gocardless_delete()

    def test_unlink_never_calls_gocardless(self):
        """Deleting (unlink: RPC, Odoo's own Delete) refuses what Odoo knows is started, and
        asks GoCardless nothing; the batch's Delete asks first."""
        self._setup_batch(count=2)
        self.emulator.requests.clear()
        self.batch.with_user(self.gc_accountant).action_record_payments()
        with self.assertRaises(UserError) as caught:
            self.batch.with_user(self.gc_accountant).unlink()
        self.assertIn("recorded in Odoo", str(caught.exception))
        self._setup_batch(count=1, offset=2)
        batch = self.batch
        self._upload(self.lines)  # unknown to Odoo: unlink does not find out
        self.emulator.requests.clear()
        batch.with_user(self.gc_accountant).unlink()
        self.assertFalse(batch.exists())
        self.assertFalse(self.emulator.requests)

    def test_the_batch_screens_delete_through_gocardless(self):
        form = self.env.ref("gocardless_sync.gocardless_export_view_form")
        listing = self.env.ref("gocardless_sync.gocardless_export_view_list")
        self.assertEqual(form.get_combined_arch().count('name="action_gocardless_delete"'), 1)
        self.assertIn('delete="0"', form.arch_db)
        self.assertIn('delete="0"', listing.arch_db)
        server_action = self.env.ref("gocardless_sync.gocardless_export_action_delete")
        self.assertEqual(server_action.binding_model_id.model, "gocardless.export")
        self.assertEqual(server_action.binding_view_types, "list")
        self._setup_batch(count=1)
        batch = self.batch
        server_action.with_user(self.gc_accountant).with_context(
            active_model="gocardless.export", active_ids=batch.ids
        ).run()
        self.assertFalse(batch.exists())

    def test_a_charge_date_passed_at_collection_means_as_soon_as_possible(self):
        self._setup_batch(count=2, charge_date=date(2025, 3, 5))
        self.lines[1].mandate_id.next_possible_charge_date = date(2025, 3, 12)
        with freeze_time("2025-03-07 09:00:00"):
            self._collect()
        second = self.emulator.payments[self.lines[1].gocardless_payment_id.gocardless_id]
        self.assertFalse(self.lines[0].charge_date)
        self.assertIn("had passed", self.lines[0].note)
        self.assertIn("as soon as possible", self.lines[0].note)
        self.assertEqual(second["charge_date"], "2025-03-12")
        self.assertEqual(self.lines[1].charge_date, date(2025, 3, 12))
        creates = [r["body"]["payments"] for r in self._payment_creates()]
        self.assertNotIn("charge_date", creates[0])
        self.assertEqual(creates[1]["charge_date"], "2025-03-12")

    def test_a_line_error_does_not_stop_the_run_an_account_error_does(self):
        self._setup_batch(count=3)
        # GoCardless answers the first line's create (lines go in sequence order) with a 404
        self.emulator.inject_fault("not_found", times=1, method="POST", path="/payments")
        action = self._collect()
        self.assertIn("2 GoCardless payments created", action["params"]["message"])
        self.assertTrue(self.lines[0].collect_error)
        self.assertIn("(404)", self.lines[0].collect_error)
        self.assertFalse(self.lines[0].gocardless_payment_ids)
        self.assertTrue(self.lines[1:].gocardless_payment_ids)
        self.assertNotIn("Stopped", action["params"]["message"])
        # a revoked token stops the run at once
        self._setup_batch(count=1, offset=3)
        self.emulator.inject_fault("unauthorized", times=1, method="POST", path="/payments")
        action = self._collect()
        self.assertEqual(action["params"]["type"], "danger")
        self.assertIn(f"Stopped at {self.lines[0].reference}", action["params"]["message"])
        self.assertFalse(self.lines.gocardless_payment_ids)

    def test_a_run_is_capped_by_count_and_time(self):
        self._setup_batch(count=3)
        with patch.object(gocardless_export_collector, "COLLECT_MAX_PER_RUN", 1):
            action = self._collect()
        self.assertIn("1 GoCardless payment created.", action["params"]["message"])
        self.assertIn("2 lines remain: run Collect again", action["params"]["message"])
        self.assertEqual(self.batch.collected_count, 1)
        with patch.object(gocardless_export_collector, "COLLECT_MAX_PER_RUN", 1):
            action = self._collect()
        self.assertIn("1 line remains: run Collect again", action["params"]["message"])
        self.batch.invalidate_recordset(["collected_count"])
        self.assertEqual(self.batch.collected_count, 2)
        self._setup_batch(count=1, offset=3)
        with patch.object(gocardless_export_collector, "COLLECT_TIME_BUDGET", -1):
            action = self._collect()
        self.assertIn("0 GoCardless payments created", action["params"]["message"])
        self.assertIn("1 line remains", action["params"]["message"])
        self.assertFalse(self.lines.gocardless_payment_ids)

    def test_a_payment_on_another_customers_mandate_is_not_linked(self):
        self._setup_batch(count=2)
        # an edited file: line 0's reference on customer 1's mandate
        foreign = self.emulator.add_payment(
            self.lines[1].mandate_id.gocardless_id,
            1050,
            currency="GBP",
            metadata={"odoo_ref": self.lines[0].reference},
        )
        self.batch.with_user(self.gc_accountant).action_refresh_from_gocardless()
        self.assertFalse(self.lines[0].gocardless_payment_id)
        stored = self.env["gocardless.payment"].search([("gocardless_id", "=", foreign["id"])])
        self.assertTrue(stored)
        self.assertFalse(stored.export_line_id)
        self.assertEqual(stored.partner_id, self.partners[1])
        note = self.batch.message_ids[0].body
        self.assertIn(f"{foreign['id']} carries the reference {self.lines[0].reference}", note)


@tagged("post_install", "-at_install")
class TestCollectionAgreesWithGoCardless(CollectionMixin, GoCardlessPaymentCase):
    """What GoCardless did during a collection stays recorded in Odoo, whatever fails after
    the API call, and the messages never say that nothing changed."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.no_email_accountant = cls._new_user(
            "gc_no_email",
            "base.group_user,gocardless_sync.group_gocardless_manager,"
            "account.group_account_invoice",
            email=False,
        )

    def test_a_manager_without_email_collects_and_records(self):
        """Odoo refuses chatter messages from a user without email address: the collection
        note must not undo (roll back) the payments GoCardless created."""
        self.assertFalse(self.no_email_accountant.email)
        self._setup_batch(count=2)
        action = self._collect(user=self.no_email_accountant)
        self.assertEqual(action["params"]["type"], "success")
        self.assertEqual(len(self.emulator.payments), 2)
        self.assertEqual(len(self.lines.gocardless_payment_ids), 2)
        note = self.batch.message_ids[0]
        self.assertIn("2 GoCardless payments created", note.body)
        self.assertEqual(note.author_id, self.no_email_accountant.partner_id)
        action = self.batch.with_user(self.no_email_accountant).action_record_payments()
        self.assertEqual(action["params"]["type"], "success")
        self.assertEqual(len(self.lines.payment_id), 2)
        self.assertIn("2 payments added", self.batch.message_ids[0].body)

    def test_a_failure_after_the_create_keeps_what_gocardless_did(self):
        self._setup_batch(count=2)
        # the currency is archived in Odoo after the export: GoCardless creates the payments,
        # Odoo cannot store them
        self.gbp.active = False
        action = self._collect()
        self.assertEqual(len(self.emulator.payments), 2)
        self.assertFalse(self.lines.gocardless_payment_ids)
        for line, remote in zip(self.lines, self.emulator.payments.values(), strict=True):
            with self.subTest(line=line.reference):
                self.assertIn(f"GoCardless created payment {remote['id']}", line.collect_error)
                self.assertIn("Refresh from GoCardless records it", line.collect_error)
        self.assertIn("0 GoCardless payments created", action["params"]["message"])
        # once the currency is back, the refresh records them; nothing is created twice
        self.gbp.active = True
        self.batch.with_user(self.gc_accountant).action_refresh_from_gocardless()
        self.assertEqual(len(self.lines.gocardless_payment_ids), 2)
        self._collect()
        self.assertEqual(len(self.emulator.payments), 2)
        self.assertEqual(len(self._payment_creates()), 2)

    def test_a_stop_after_creates_never_says_nothing_changed(self):
        self._setup_batch(count=3)
        self.emulator.inject_fault("rate_limit", times=1, skip=1, method="POST", path="/payments")
        # no waiting for the rate-limit window: the run stops at once
        action = (
            self.batch.with_user(self.gc_accountant)
            .with_context(gocardless_max_rate_limit_wait=-1)
            .action_collect()
        )
        message = action["params"]["message"]
        self.assertEqual(action["params"]["type"], "danger")
        self.assertIn("1 GoCardless payment created.", message)
        self.assertIn(f"Stopped at {self.lines[1].reference}", message)
        self.assertIn("rate limit", message)
        self.assertNotIn("Nothing was changed", message)
        self.assertIn("The payments created so far are recorded", message)
        self.assertEqual(len(self.lines.gocardless_payment_ids), 1)

    def test_an_account_problem_is_checked_before_any_create(self):
        self._setup_batch(count=1)
        self.account.access_token = False
        with self.assertRaises(UserError):
            self._collect()
        self.assertFalse(self._payment_creates())


@tagged("post_install", "-at_install")
class TestRefreshAfterFileUpload(CollectionMixin, GoCardlessPaymentCase):
    def test_refresh_matches_by_odoo_ref(self):
        self._setup_batch(count=3)
        first = self._upload(self.lines[0])
        second = self._upload(self.lines[1], status="confirmed")
        # a payment of someone else on the same mandate, and one from an old batch
        self.emulator.add_payment(self.lines[0].mandate_id.gocardless_id, 999)
        self.emulator.add_payment(
            self.lines[2].mandate_id.gocardless_id, 500, metadata={"odoo_ref": "GCX99999-0001"}
        )
        action = self.batch.with_user(self.gc_accountant).action_refresh_from_gocardless()
        self.assertIn("2 of 3 lines", action["params"]["message"])
        self.assertEqual(self.lines[0].gocardless_payment_id.gocardless_id, first["id"])
        self.assertEqual(self.lines[1].gocardless_payment_id.gocardless_id, second["id"])
        self.assertEqual(self.lines[1].gocardless_status, "confirmed")
        self.assertFalse(self.lines[2].gocardless_payment_id)
        self.assertEqual(self.env["gocardless.payment"].search_count([]), 2)
        # GoCardless moves on; a refresh follows, and never twice the same record
        self.emulator.payment_action(first["id"], "submitted")
        self.batch.action_refresh_from_gocardless()
        self.assertEqual(self.lines[0].gocardless_status, "submitted")
        self.assertEqual(self.env["gocardless.payment"].search_count([]), 2)
        # collecting through the API afterwards creates only the missing one
        self._collect()
        self.assertEqual(len(self._payment_creates()), 1)
        self.assertEqual(self.batch.collected_count, 3)

    def test_a_line_collected_twice_is_reported(self):
        self._setup_batch(count=1)
        self._collect()
        first = self.lines.gocardless_payment_id
        second = self._upload(self.lines)  # the file uploaded as well
        self.batch.action_refresh_from_gocardless()
        self.assertEqual(self.lines.gocardless_payment_ids, first)
        duplicate = self.env["gocardless.payment"].search([("gocardless_id", "=", second["id"])])
        self.assertTrue(duplicate)
        self.assertFalse(duplicate.export_line_id)
        self.assertEqual(duplicate.partner_id, self.lines.partner_id)
        note = self.batch.message_ids[0].body
        self.assertIn(f"another payment, {second['id']}, for {self.lines.reference}", note)
        self.assertIn("collected twice", note)

    def test_refresh_lists_per_mandate_or_by_date(self):
        self._setup_batch(count=2)
        self._upload(self.lines[0])
        self._refresh_batch()
        queries = [r["query"] for r in self.emulator.requests if r["path"] == "/payments"]
        self.assertEqual(
            sorted(query["mandate"] for query in queries),
            sorted(self.lines.mandate_id.mapped("gocardless_id")),
        )
        self.assertTrue(
            all(query["created_at[gte]"] == "2025-03-02T10:00:00.000Z" for query in queries)
        )
        # beyond a few mandates, one list by creation date (every page)
        self.emulator.requests.clear()
        with patch.object(gocardless_export_collector, "REFRESH_PER_MANDATE_MAX", 1):
            self._refresh_batch()
        queries = [r["query"] for r in self.emulator.requests if r["path"] == "/payments"]
        self.assertEqual(len(queries), 1)
        self.assertNotIn("mandate", queries[0])
        self.assertEqual(self.lines[0].gocardless_status, "pending_submission")

    def test_currency_mismatch_is_reported_and_gocardless_wins(self):
        self._setup_batch(count=2)
        # the file was edited before the upload: another amount, another currency
        self._upload(self.lines[0], amount=2000, currency="EUR")
        self._upload(self.lines[1], amount=31)
        self.batch.action_refresh_from_gocardless()
        gc_payment = self.lines[0].gocardless_payment_id
        self.assertEqual(gc_payment.currency_id, self.eur)
        self.assertEqual(gc_payment.amount, 20.0)
        note = self.batch.message_ids[0].body
        self.assertIn(
            f"{self.lines[0].reference}: GoCardless collects 20.00 EUR instead of 10.50 GBP", note
        )
        self.assertIn(
            f"{self.lines[1].reference}: GoCardless collects 0.31 GBP instead of 0.30 GBP", note
        )
        self.batch.with_user(self.gc_accountant).action_record_payments()
        payment = self.lines[0].payment_id
        self.assertEqual((payment.amount, payment.currency_id), (20.0, self.eur))
        self.assertEqual(gc_payment.account_payment_id, payment)


@tagged("post_install", "-at_install")
class TestPaymentLifecycle(CollectionMixin, GoCardlessPaymentCase):
    def setUp(self):
        super().setUp()
        self._setup_batch(count=2)
        self.batch.with_user(self.gc_accountant).action_record_payments()
        self._collect()
        self.line = self.lines[0]
        self.gc_payment = self.line.gocardless_payment_id
        self.payment = self.line.payment_id
        self.invoice = self.env["account.move"].search(
            [("partner_id", "=", self.line.partner_id.id), ("move_type", "=", "out_invoice")]
        )

    def _event(self, action):
        events = self.emulator.payment_action(self.gc_payment.gocardless_id, action)
        return events[-1]

    def _apply(self, action):
        event = self._event(action)
        status = self.emulator.payments[self.gc_payment.gocardless_id]["status"]
        return self.gc_payment.with_user(self.gc_accountant)._gocardless_apply_status(
            status, event=event
        )

    def test_links_are_one_to_one(self):
        self.assertEqual(self.gc_payment.account_payment_id, self.payment)
        self.assertEqual(self.payment.gocardless_payment_id, self.gc_payment)
        self.assertEqual(self.batch.state, "done")
        # a done batch is no longer counted among the open exports of the integration screen
        self.assertEqual(self.account.export_count, 0)
        other_line = self.lines[1]
        other = other_line.gocardless_payment_id
        # a second GoCardless payment for the same line
        with self.assertRaises(psycopg2.IntegrityError), mute_logger("odoo.sql_db"):
            with self.env.cr.savepoint():
                self.env["gocardless.payment"].create(
                    {
                        "account_id": self.account.id,
                        "gocardless_id": "PM_SECOND",
                        "status": "pending_submission",
                        "currency_id": self.gbp.id,
                        "export_line_id": self.line.id,
                    }
                )
        # an Odoo payment linked to a second GoCardless payment
        with self.assertRaises(psycopg2.IntegrityError), mute_logger("odoo.sql_db"):
            with self.env.cr.savepoint():
                self.env["gocardless.payment"].create(
                    {
                        "account_id": self.account.id,
                        "gocardless_id": "PM_THIRD",
                        "status": "pending_submission",
                        "currency_id": self.gbp.id,
                        "account_payment_id": self.payment.id,
                    }
                )
        # a GoCardless payment whose line is recorded by another Odoo payment
        with self.assertRaises(ValidationError) as caught:
            other.export_line_id = self.line
        self.assertIn("different Odoo payments", str(caught.exception))

    def _reversals(self):
        return self.gc_payment.entry_ids.filtered(lambda entry: entry.kind == "reversal")

    def test_failed_payment_is_reversed_never_cancelled(self):
        self.assertEqual(self.invoice.payment_state, "paid")
        move = self.payment.move_id
        lines_before = move.line_ids.read(["account_id", "debit", "credit", "partner_id"])
        changed = self._apply("failed")
        self.assertEqual(changed, self.gc_payment)
        self.assertEqual(self.gc_payment.status, "failed")
        # the Odoo payment and its entry stay posted, their lines as they were
        self.assertEqual(self.payment.state, "in_process")
        self.assertEqual(move.state, "posted")
        self.assertEqual(
            move.line_ids.read(["account_id", "debit", "credit", "partner_id"]), lines_before
        )
        reversal = self._reversals().move_id
        self.assertEqual(len(reversal), 1)
        self.assertEqual((reversal.state, reversal.reversed_entry_id), ("posted", move))
        self.assertEqual(self.invoice.payment_state, "not_paid")  # due again
        self.assertEqual(self.gc_payment.booking_state, "reversed")
        note = self.payment.message_ids[0].body
        self.assertIn(f"payment {self.gc_payment.gocardless_id} as Failed", note)
        self.assertIn("Reversed by", note)
        # the same status again, or an older one, changes nothing
        self.assertFalse(self.gc_payment._gocardless_apply_status("failed"))
        self.assertFalse(self.gc_payment._gocardless_apply_status("submitted"))
        self.assertEqual(self.gc_payment.status, "failed")
        # its balance is due again: the next export collects it
        batch = self._export(self.line.partner_id)
        self.assertEqual(batch.line_ids.amount, self.line.amount)

    def test_paid_out_then_charged_back(self):
        self._apply("submitted")
        self._apply("confirmed")
        self._apply("paid_out")
        self.assertEqual(self.gc_payment.status, "paid_out")
        self.assertEqual(self.payment.state, "paid")
        self.assertIn("paid the money out", self.payment.message_ids[0].body)
        # an old event arriving late does not move it back
        self.assertFalse(self.gc_payment._gocardless_apply_status("confirmed"))
        self.assertEqual(self.gc_payment.status, "paid_out")
        self._apply("charged_back")
        self.assertEqual(self.gc_payment.status, "charged_back")
        self.assertEqual(self.payment.state, "paid")  # as it was: the reversal says the rest
        self.assertEqual(self.payment.move_id.state, "posted")
        self.assertEqual(len(self._reversals()), 1)
        self.assertEqual(self.invoice.payment_state, "not_paid")
        self.assertIn("Charged back", self.payment.message_ids[0].body)

    def test_charge_back_in_a_locked_period_is_reversed_on_the_first_open_date(self):
        self._apply("paid_out")
        self.company.sudo().hard_lock_date = date(2025, 3, 3)
        self._apply("charged_back")
        self.assertEqual(self.payment.state, "paid")
        self.assertEqual(self.payment.move_id.state, "posted")
        reversal = self._reversals().move_id
        self.assertEqual(reversal.date, date(2025, 3, 4))
        self.assertIn("locked period", reversal.ref)
        self.assertIn("locked period", self.gc_payment.message_ids[0].body)
        self.assertEqual(self.invoice.payment_state, "not_paid")

    def test_cancelled_and_approval_denied(self):
        self._apply("cancelled")
        self.assertEqual(self.payment.move_id.state, "posted")
        self.assertEqual(len(self._reversals()), 1)
        other = self.lines[1].gocardless_payment_id
        other._gocardless_apply_status("customer_approval_denied")
        self.assertEqual(other.booking_state, "reversed")
        self.assertEqual(self.lines[1].payment_id.move_id.state, "posted")

    def test_retry_of_a_failed_payment(self):
        self._apply("failed")
        self.assertEqual(len(self._reversals()), 1)
        # without the retry event a lower status is ignored
        self.assertFalse(self.gc_payment._gocardless_apply_status("pending_submission"))
        retry = self.gc_payment.account_id._gocardless_api().action(
            "payments", "retry", self.gc_payment.gocardless_id
        )
        event = [
            e for e in self.emulator.events.values() if e["action"] == const.PAYMENT_RETRY_ACTION
        ][-1]
        self.gc_payment._gocardless_apply_status(retry["status"], event=event)
        self.assertEqual(self.gc_payment.status, "pending_submission")
        self.assertEqual(self.gc_payment.last_event_id, event["id"])
        # not booked again before GoCardless confirms the payment
        self.assertEqual(self.gc_payment.booking_state, "reversed")
        self.assertEqual(self.invoice.payment_state, "not_paid")
        # the same event twice is applied once
        self.assertFalse(
            self.gc_payment._gocardless_apply_status("pending_submission", event=event)
        )

    def test_an_older_event_arriving_late_changes_nothing(self):
        """A retry is delivered before the failure it retries: the late failure must not
        cancel the Odoo payment of a payment GoCardless is collecting again."""
        failed = dict(self._event("failed"), created_at="2025-03-03T09:00:00.000Z")
        retry = {
            "id": "EVRETRY",
            "action": const.PAYMENT_RETRY_ACTION,
            "created_at": "2025-03-03T09:30:00.000Z",
            "details": {"origin": "api", "cause": "payment_retried"},
        }
        self.assertFalse(self.gc_payment._gocardless_apply_status("pending_submission", retry))
        self.assertEqual(self.gc_payment.last_event_id, "EVRETRY")
        self.assertEqual(str(self.gc_payment.last_event_at), "2025-03-03 09:30:00")
        self.assertFalse(self.gc_payment._gocardless_apply_status("failed", event=failed))
        self.assertEqual(self.gc_payment.status, "pending_submission")
        self.assertEqual(self.gc_payment.last_event_id, "EVRETRY")
        self.assertEqual(self.payment.state, "in_process")
        self.assertEqual(self.invoice.payment_state, "paid")
        # a newer event applies
        submitted = {"id": "EVSUB", "action": "submitted", "created_at": "2025-03-03T09:31:00.000Z"}
        self.assertEqual(
            self.gc_payment._gocardless_apply_status("submitted", event=submitted),
            self.gc_payment,
        )
        self.assertEqual(self.gc_payment.status, "submitted")
        self.assertEqual(str(self.gc_payment.last_event_at), "2025-03-03 09:31:00")

    def test_a_withdrawn_charge_back_books_the_money_again(self):
        self._apply("paid_out")
        self._apply("charged_back")
        self.assertEqual(self.invoice.payment_state, "not_paid")
        changed = self._apply(const.PAYMENT_CHARGEBACK_CANCELLED_ACTION)
        self.assertEqual(changed, self.gc_payment)
        self.assertEqual(self.gc_payment.status, "paid_out")
        self.assertEqual(self.payment.state, "paid")
        self.assertEqual(self.payment.move_id.state, "posted")
        self.assertEqual(
            self.gc_payment.entry_ids.mapped("kind"), ["payment", "reversal", "rebooking"]
        )
        self.assertEqual(self.invoice.payment_state, "paid")
        self.assertIn("withdrew the charge-back", self.payment.message_ids[0].body)
        # without that event a charged-back payment never moves back
        self._apply("charged_back")
        self.assertFalse(self.gc_payment._gocardless_apply_status("paid_out"))
        self.assertEqual(self.gc_payment.status, "charged_back")

    def test_refresh_applies_statuses(self):
        self.emulator.payment_action(self.gc_payment.gocardless_id, "failed")
        self.batch.with_user(self.gc_accountant).action_refresh_from_gocardless()
        self.assertEqual(self.gc_payment.status, "failed")
        self.assertEqual(len(self._reversals()), 1)
        self.assertEqual(self.invoice.payment_state, "not_paid")
        self.gc_payment.with_user(self.gc_accountant).action_refresh()
        self.assertEqual(self.gc_payment.status, "failed")

    def test_failed_before_recording_is_not_recorded(self):
        partner = self._partner("Late", email="late@example.com")
        self._invoice(partner, 9.0, self.gbp)
        self._mandate(partner)
        batch = self._export(partner)
        self.batch = batch
        self._collect()
        gc_payment = batch.line_ids.gocardless_payment_id
        gc_payment._gocardless_apply_status("failed")
        action = batch.with_user(self.gc_accountant).action_record_payments()
        self.assertIn("Nothing to record", action["params"]["message"])
        self.assertIn(batch.line_ids.reference, action["params"]["message"])
        self.assertFalse(batch.line_ids.payment_id)

    def test_unknown_status_is_ignored(self):
        with mute_logger("odoo.addons.gocardless_sync.models.gocardless_payment"):
            self.assertFalse(self.gc_payment._gocardless_apply_status("exploded"))
        self.assertEqual(self.gc_payment.status, "pending_submission")

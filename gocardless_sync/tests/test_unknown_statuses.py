"""Statuses Odoo does not know (GoCardless adds one later, or sends none) never block a run:
they are stored as "unknown" with the value GoCardless sent, never usable, and said."""

from datetime import datetime

from odoo.tests import tagged

from ..services import const
from .push_common import GoCardlessPushCase


@tagged("post_install", "-at_install")
class TestUnknownMandateStatuses(GoCardlessPushCase):
    def setUp(self):
        super().setUp()
        self.partner = self.env["res.partner"].create(
            {"name": "Status Holder", "email": "status@example.com"}
        )
        self.gc_customer = self.emulator.add_customer(
            company_name="Status Holder", email="status@example.com"
        )
        self.gc_new = self.emulator.add_mandate(self.gc_customer["id"], status="active")
        self.gc_null = self.emulator.add_mandate(self.gc_customer["id"], status="active")
        self.gc_good = self.emulator.add_mandate(self.gc_customer["id"], status="active")
        # what a later GoCardless may send: a status added since, and none at all
        self.emulator.mandates[self.gc_new["id"]]["status"] = "suspended_by_bank"
        self.emulator.mandates[self.gc_null["id"]]["status"] = None
        # another customer, synced in the same run
        self.other = self.env["res.partner"].create({"name": "Other", "email": "o@example.com"})
        other_customer = self.emulator.add_customer(company_name="Other", email="o@example.com")
        self.gc_other = self.emulator.add_mandate(other_customer["id"], status="pending_submission")

    def _sync(self):
        wizard = self.env["gocardless.customer.sync.wizard"].create({"missing_policy": "skip"})
        action = wizard.action_sync()
        return self.env["gocardless.sync.log"].browse(action["params"]["next"]["res_id"]), action

    def _mandate(self, gc_mandate):
        return self.env["gocardless.mandate"]._gocardless_find(self.company, gc_mandate["id"])

    def test_the_sync_stores_them_as_unknown_and_goes_on(self):
        with self.assertLogs("odoo.addons.gocardless_sync", level="WARNING") as logs:
            log, action = self._sync()
        self.assertEqual(log.state, "done")
        self.assertEqual(log.matched_count, 2)
        new, null, good = (self._mandate(m) for m in (self.gc_new, self.gc_null, self.gc_good))
        self.assertEqual(
            (new.status, new.raw_status, new.is_usable), ("unknown", "suspended_by_bank", False)
        )
        self.assertEqual((null.status, null.raw_status, null.is_usable), ("unknown", False, False))
        self.assertEqual((good.status, good.is_usable), ("active", True))
        self.assertEqual(self._mandate(self.gc_other).partner_id, self.other)
        self.assertIn("2 mandates have a status Odoo does not know", log.warning_message)
        self.assertIn(f"{self.gc_new['id']} (Unknown (suspended_by_bank))", log.warning_message)
        self.assertIn(f"{self.gc_null['id']} (Unknown (no status))", log.warning_message)
        self.assertIn("2 mandates have a status Odoo does not know", action["params"]["message"])
        self.assertEqual(action["params"]["type"], "warning")
        self.assertTrue([line for line in logs.output if "suspended_by_bank" in line])
        # nothing new: nothing written
        again, _action = self._sync()
        self.assertEqual(again.mandate_count, 0)
        # GoCardless reports a known status again
        self.emulator.mandates[self.gc_new["id"]]["status"] = "active"
        self._sync()
        self.assertEqual((new.status, new.raw_status, new.is_usable), ("active", False, True))
        # the payment actions never offer an unknown one
        usable = self.env["gocardless.mandate"].search(const.USABLE_MANDATE_DOMAIN)
        self.assertNotIn(null, usable)

    def test_an_event_moves_an_unknown_mandate_on(self):
        self._sync()
        null = self._mandate(self.gc_null)
        note = null._gocardless_apply_event("cancelled", datetime(2030, 1, 1))
        self.assertEqual((null.status, null.raw_status), ("cancelled", False))
        self.assertIn("Unknown → Cancelled", note)

    def test_the_link_wizard_shows_and_links_them(self):
        wizard = (
            self.env["gocardless.customer.link.wizard"]
            .with_user(self.contact_manager)
            .create({"partner_id": self.partner.id})
        )
        wizard.action_lookup()
        self.assertIn(f"{self.gc_new['id']} Unknown (suspended_by_bank)", wizard.customer_mandates)
        self.assertIn(f"{self.gc_null['id']} Unknown (no status)", wizard.customer_mandates)
        wizard.action_link()
        statuses = {m.gocardless_id: m.status for m in self.partner.gocardless_mandate_ids}
        self.assertEqual(statuses[self.gc_new["id"]], "unknown")
        self.assertEqual(statuses[self.gc_good["id"]], "active")

    def test_cancelling_an_unknown_mandate(self):
        self._sync()
        new = self._mandate(self.gc_new)
        self.emulator.mandates[self.gc_new["id"]]["status"] = "active"  # GoCardless can cancel
        new.action_gocardless_cancel()
        self.assertEqual((new.status, new.raw_status), ("cancelled", False))


@tagged("post_install", "-at_install")
class TestUnknownPaymentStatuses(GoCardlessPushCase):
    def test_payments_are_stored_and_refreshed(self):
        self.env.ref("base.GBP").active = True
        gc_customer = self.emulator.add_customer(company_name="Payer", email="payer@example.com")
        gc_mandate = self.emulator.add_mandate(gc_customer["id"], status="active")
        gc_payment = self.emulator.add_payment(gc_mandate["id"], 2550, "GBP")
        self.emulator.payments[gc_payment["id"]]["status"] = "held_for_review"
        Payment = self.env["gocardless.payment"]
        api = self.account._gocardless_api()
        # a payment first seen with a status Odoo does not know is kept (it was ignored)
        created, _updated = Payment._gocardless_store(
            self.account, [api.get("payments", gc_payment["id"])]
        )
        self.assertEqual((created.status, created.raw_status), ("unknown", "held_for_review"))
        # a known status moves it on
        self.emulator.payments[gc_payment["id"]]["status"] = "confirmed"
        created.action_refresh()
        self.assertEqual((created.status, created.raw_status), ("confirmed", False))
        # an unknown status cannot be ordered against a known one: kept aside
        self.emulator.payments[gc_payment["id"]]["status"] = "held_again"
        created.action_refresh()
        self.assertEqual((created.status, created.raw_status), ("confirmed", "held_again"))
        self.emulator.payments[gc_payment["id"]]["status"] = None
        created.action_refresh()
        self.assertEqual(created.status, "confirmed")
        self.emulator.payments[gc_payment["id"]]["status"] = "paid_out"
        created.action_refresh()
        self.assertEqual((created.status, created.raw_status), ("paid_out", False))

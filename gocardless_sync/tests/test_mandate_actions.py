from lxml import etree

from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, tagged

from ..services import const
from .common import GoCardlessEmulatorMixin
from .push_common import CONTACTS, GoCardlessPushCase


@tagged("post_install", "-at_install")
class TestMandateActions(GoCardlessPushCase):
    def setUp(self):
        super().setUp()
        self.partner = self.env["res.partner"].create(
            {"name": "Mandate Holder", "email": "holder@example.com"}
        )
        customer = self.emulator.add_customer(company_name="Holder", email="holder@example.com")
        self.gc_active = self.emulator.add_mandate(customer["id"], status="active")
        self.gc_pending = self.emulator.add_mandate(customer["id"], status="pending_submission")
        self.gc_failed = self.emulator.add_mandate(customer["id"], status="failed")
        self.link = self._link_customer(self.partner, customer["id"])
        self.env["gocardless.mandate"]._gocardless_store(
            self.account, list(self.emulator.mandates.values()), self.link
        )
        self.mandates = {m.gocardless_id: m for m in self.link.mandate_ids}
        self.active = self.mandates[self.gc_active["id"]]
        self.emulator.requests.clear()

    def test_remove_takes_the_mandate_off_the_contact_only(self):
        self.active.with_user(self.contact_supervisor).action_gocardless_remove()
        self.assertFalse(self.active.active)
        self.assertNotIn(self.active, self.partner.gocardless_mandate_ids)
        self.assertEqual(self.emulator.mandates[self.gc_active["id"]]["status"], "active")
        self.assertFalse(self.emulator.requests)
        self.assertIn("GoCardless keeps", self.partner.message_ids[0].body)
        # the customer sync refreshes it but keeps it removed
        self.emulator.mandate_action(self.gc_active["id"], "expired")
        self.env["gocardless.customer.sync"]._run(self.account, "skip")
        self.assertEqual(self.active.status, "expired")
        self.assertFalse(self.active.active)

    def test_a_user_cannot_remove(self):
        with self.assertRaises(AccessError):
            self.active.with_user(self.contact_user).action_gocardless_remove()
        self.assertTrue(self.active.active)

    def test_bulk_payment_actions_see_only_usable_mandates(self):
        self.active.action_gocardless_remove()
        Mandate = self.env["gocardless.mandate"]
        domain = [*const.USABLE_MANDATE_DOMAIN, ("partner_id", "=", self.partner.id)]
        for mandates in (Mandate, Mandate.with_context(active_test=False)):
            self.assertEqual(
                mandates.search(domain).mapped("gocardless_id"), [self.gc_pending["id"]]
            )

    def test_cancel_in_gocardless_records_the_new_status(self):
        action = self.active.with_user(self.contact_manager).action_gocardless_cancel()
        self.assertEqual(self.emulator.mandates[self.gc_active["id"]]["status"], "cancelled")
        self.assertEqual(self.active.status, "cancelled")
        self.assertFalse(self.active.is_usable)
        self.assertTrue(self.active.active)  # still on the contact, now cancelled
        self.assertEqual(
            [(r["method"], r["path"]) for r in self.emulator.requests],
            [("POST", f"/mandates/{self.gc_active['id']}/actions/cancel")],
        )
        self.assertIn("Cancelled", action["params"]["message"])
        self.assertIn("Cancelled", self.partner.message_ids[0].body)

    def test_only_managers_cancel(self):
        for user in (self.contact_supervisor, self.contact_user):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.active.with_user(user).action_gocardless_cancel()
        self.assertFalse(self.emulator.requests)
        self.assertEqual(self.active.status, "active")

    def test_a_final_mandate_is_not_sent(self):
        failed = self.mandates[self.gc_failed["id"]]
        with self.assertRaises(UserError) as caught:
            failed.action_gocardless_cancel()
        self.assertIn("already Failed", str(caught.exception))
        self.assertFalse(self.emulator.requests)

    def test_a_cancel_whose_answer_was_lost_is_recorded_on_the_next_click(self):
        self.emulator.inject_fault("drop", method="POST", path="/mandates")
        with self.assertRaises(UserError) as caught:
            self.active.action_gocardless_cancel()
        self.assertIn("did not cancel", str(caught.exception))
        self.assertEqual(self.active.status, "active")
        # GoCardless did cancel it; the second click learns it and records it
        self.active.action_gocardless_cancel()
        self.assertEqual(self.active.status, "cancelled")

    def test_a_refusal_is_explained(self):
        self.emulator.inject_fault("server_error", method="POST", path="/mandates")
        with self.assertRaises(UserError) as caught:
            self.active.action_gocardless_cancel()
        self.assertIn("GoCardless is unavailable", str(caught.exception))
        self.assertEqual(self.active.status, "active")

    def test_a_manager_without_email_cancels_and_odoo_records_it(self):
        """Posting a note needs the author's email; the cancel in GoCardless must be recorded
        in Odoo all the same (before: GoCardless cancelled, Odoo rolled back)."""
        manager = self._new_user(
            "gc_manager_no_email",
            f"{CONTACTS},gocardless_sync.group_gocardless_manager",
            email=False,
        )
        self.assertFalse(manager.email)
        self.active.with_user(manager).action_gocardless_cancel()
        self.assertEqual(self.emulator.mandates[self.gc_active["id"]]["status"], "cancelled")
        self.assertEqual(self.active.status, "cancelled")
        note = self.partner.message_ids[0]
        self.assertIn("is now Cancelled", note.body)
        self.assertEqual(note.author_id, manager.partner_id)  # who did it

    def test_a_supervisor_without_email_removes(self):
        supervisor = self._new_user(
            "gc_supervisor_no_email",
            f"{CONTACTS},gocardless_sync.group_gocardless_supervisor",
            email=False,
        )
        self.active.with_user(supervisor).action_gocardless_remove()
        self.assertFalse(self.active.active)
        self.assertEqual(self.partner.message_ids[0].author_id, supervisor.partner_id)

    def test_remove_asks_first_and_says_what_it_did(self):
        """Remove had no confirmation and no feedback."""
        action = self.active.with_user(self.contact_supervisor).action_gocardless_confirm_remove()
        self.assertEqual(action["res_model"], "gocardless.mandate.confirm.wizard")
        self.assertEqual(action["target"], "new")
        wizard = self.env[action["res_model"]].browse(action["res_id"])
        self.assertIn("will be removed from Mandate Holder in Odoo", wizard.description)
        self.assertIn("GoCardless keeps it (Active there)", wizard.description)
        self.assertTrue(self.active.active)  # nothing done before the confirmation
        done = wizard.with_user(self.contact_supervisor).action_confirm()
        self.assertFalse(self.active.active)
        self.assertEqual(done["tag"], "display_notification")
        self.assertEqual(done["params"]["title"], "Mandate removed")
        self.assertIn(
            f"Mandate {self.gc_active['id']} is removed from Mandate Holder in Odoo",
            done["params"]["message"],
        )
        self.assertIn("GoCardless keeps it (Active there)", done["params"]["message"])
        self.assertEqual(done["params"]["next"], {"type": "ir.actions.act_window_close"})
        self.assertFalse(self.emulator.requests)

    def test_cancel_asks_first_with_buttons_that_say_what_happens(self):
        with self.assertRaises(AccessError):
            self.active.with_user(self.contact_supervisor).action_gocardless_confirm_cancel()
        with self.assertRaises(AccessError):
            self.active.with_user(self.contact_user).action_gocardless_confirm_remove()
        action = self.active.with_user(self.contact_manager).action_gocardless_confirm_cancel()
        wizard = self.env[action["res_model"]].browse(action["res_id"])
        self.assertIn("will be cancelled in GoCardless", wizard.description)
        self.assertFalse(self.emulator.requests)
        form = etree.fromstring(wizard.get_views([(False, "form")])["views"]["form"]["arch"])
        labels = {
            button.get("string"): button.get("invisible")
            for button in form.xpath("//footer/button")
        }
        self.assertEqual(
            labels,
            {
                "Cancel the mandate in GoCardless": "action != 'cancel'",
                "Remove from the contact": "action != 'remove'",
                "Keep it": None,
            },
        )
        wizard.with_user(self.contact_manager).action_confirm()
        self.assertEqual(self.active.status, "cancelled")
        # no Ok / Cancel dialog is left on the mandate buttons
        for model in ("gocardless.mandate", "res.partner"):
            arch = self.env[model].with_user(self.contact_manager).get_views([(False, "form")])
            tree = etree.fromstring(arch["views"]["form"]["arch"])
            for name in ("action_gocardless_confirm_cancel", "action_gocardless_confirm_remove"):
                with self.subTest(model=model, button=name):
                    (button,) = tree.xpath(f"//button[@name='{name}']")
                    self.assertIsNone(button.get("confirm"))

    def test_only_active_mandates_are_green(self):
        arch = self.env["gocardless.mandate"].get_views([(False, "list")])["views"]["list"]["arch"]
        (status,) = etree.fromstring(arch).xpath("//field[@name='status']")
        self.assertEqual(status.get("decoration-success"), "status == 'active'")
        self.assertIn("pending_submission", status.get("decoration-info"))
        self.assertIn("unknown", status.get("decoration-warning"))
        self.assertIn("cancelled", status.get("decoration-danger"))


@tagged("post_install", "-at_install")
class TestMandateActionsTour(GoCardlessEmulatorMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_gocardless()
        cls.manager = cls._new_user(
            "gc_tour_manager",
            f"{CONTACTS},gocardless_sync.group_gocardless_manager",
            password="gc_tour_manager_pw",
        )

    def test_remove_and_cancel_in_the_browser(self):
        partner = self.env["res.partner"].create({"name": "Tour Holder", "email": "t@example.com"})
        customer = self.emulator.add_customer(company_name="Tour Holder", email="t@example.com")
        for reference in ("TOUR-KEEP", "TOUR-REMOVE", "TOUR-CANCEL"):
            self.emulator.add_mandate(customer["id"], status="active", reference=reference)
        link = self._link_customer(partner, customer["id"])
        self.env["gocardless.mandate"]._gocardless_store(
            self.account, list(self.emulator.mandates.values()), link
        )
        self.start_tour(
            f"/odoo/contacts/{partner.id}",
            "gocardless_sync_mandate_actions",
            login="gc_tour_manager",
        )
        mandates = {m.reference: m for m in link.with_context(active_test=False).mandate_ids}
        self.assertTrue(mandates["TOUR-KEEP"].active)
        self.assertFalse(mandates["TOUR-REMOVE"].active)
        self.assertEqual(mandates["TOUR-CANCEL"].status, "cancelled")
        self.assertEqual(mandates["TOUR-KEEP"].status, "active")

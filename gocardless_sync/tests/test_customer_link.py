from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .push_common import GoCardlessPushCase


@tagged("post_install", "-at_install")
class TestLinkOneCustomer(GoCardlessPushCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.partner = cls.env["res.partner"].create(
            {"name": "Ada Lovelace", "email": "ada@example.com"}
        )

    def setUp(self):
        super().setUp()
        self.customer = self.emulator.add_customer(
            given_name="Ada",
            family_name="King",
            company_name="Analytical Engines Ltd",
            email=" Ada@Example.com ",
            address_line1="12 St James's Square",
            city="London",
            postal_code="SW1Y 4JH",
            country_code="GB",
        )
        self.active = self.emulator.add_mandate(self.customer["id"], status="active")
        self.cancelled = self.emulator.add_mandate(
            self.customer["id"], status="cancelled", reference="OLD-REF"
        )
        # another customer, with a mandate, that must not be pulled
        other = self.emulator.add_customer(company_name="Other", email="other@example.com")
        self.emulator.add_mandate(other["id"])

    def _wizard(self, lookup=None, user=None, partner=None):
        partner = partner or self.partner
        Wizard = self.env["gocardless.customer.link.wizard"].with_user(user or self.contact_manager)
        wizard = Wizard.create({"partner_id": partner.id})
        if lookup is not None:
            wizard.lookup = lookup
        return wizard

    def test_lookup_by_email_shows_the_details_then_links(self):
        wizard = self._wizard()
        self.assertEqual(wizard.lookup, "ada@example.com")  # the contact's email by default
        action = wizard.action_lookup()
        self.assertEqual(action["res_id"], wizard.id)
        self.assertEqual(wizard.state, "choose")
        self.assertEqual(wizard.line_id.gocardless_id, self.customer["id"])
        self.assertEqual(wizard.customer_name, "Ada King")
        self.assertEqual(wizard.customer_company_name, "Analytical Engines Ltd")
        self.assertEqual(wizard.customer_email, "Ada@Example.com")
        self.assertEqual(wizard.customer_address, "12 St James's Square\nSW1Y 4JH London\nGB")
        self.assertIn(f"{self.active['id']} Active", wizard.customer_mandates)
        self.assertIn(f"{self.cancelled['id']} Cancelled", wizard.customer_mandates)
        self.assertTrue(wizard.customer_email_matches)
        self.assertFalse(wizard.customer_linked_partner_id)
        self.assertFalse(self.partner.gocardless_customer_ids)  # nothing linked yet

        action = wizard.action_link()

        link = self.partner.gocardless_customer_id
        self.assertEqual(link.gocardless_id, self.customer["id"])
        self.assertEqual(link.company_name, "Analytical Engines Ltd")
        mandates = {m.gocardless_id: m.status for m in self.partner.gocardless_mandate_ids}
        self.assertEqual(mandates, {self.active["id"]: "active", self.cancelled["id"]: "cancelled"})
        self.assertEqual(self.partner.gocardless_sync_decision, "synced")
        self.assertEqual(action["params"]["next"], {"type": "ir.actions.act_window_close"})
        self.assertIn("with 2 mandates.", action["params"]["message"])
        self.assertIn(self.customer["id"], self.partner.message_ids[0].body)

    def test_several_customers_with_one_email_let_the_user_choose(self):
        second = self.emulator.add_customer(company_name="Ada Consulting", email="ADA@example.com")
        wizard = self._wizard("  ada@EXAMPLE.com")
        wizard.action_lookup()
        self.assertEqual(
            wizard.line_ids.mapped("gocardless_id"), [self.customer["id"], second["id"]]
        )
        self.assertFalse(wizard.line_id)
        with self.assertRaises(UserError) as caught:
            wizard.action_link()
        self.assertIn("Choose the GoCardless customer", str(caught.exception))
        wizard.line_id = wizard.line_ids.filtered(lambda line: line.gocardless_id == second["id"])
        self.assertEqual(wizard.customer_company_name, "Ada Consulting")
        action = wizard.action_link()
        self.assertEqual(self.partner.gocardless_customer_id.gocardless_id, second["id"])
        self.assertFalse(self.partner.gocardless_mandate_ids)
        self.assertIn("with 0 mandates.", action["params"]["message"])

    def test_lookup_by_customer_id(self):
        partner = self.env["res.partner"].create({"name": "Someone", "email": "x@example.com"})
        wizard = self._wizard(self.customer["id"].lower(), partner=partner)
        wizard.action_lookup()
        self.assertEqual(wizard.line_id.gocardless_id, self.customer["id"])
        self.assertFalse(wizard.customer_email_matches)  # the form warns about it
        wizard.action_link()
        self.assertEqual(partner.gocardless_customer_id.gocardless_id, self.customer["id"])
        self.assertEqual(len(partner.gocardless_mandate_ids), 2)

    def test_lookup_by_mandate_id(self):
        wizard = self._wizard(f" {self.cancelled['id']} ")
        wizard.action_lookup()
        self.assertEqual(wizard.line_id.gocardless_id, self.customer["id"])
        self.emulator.mandates[self.active["id"]]["links"]["customer"] = "CU_SOMEONE_ELSE"
        action = wizard.action_link()
        self.assertIn("with 1 mandate.", action["params"]["message"])
        self.assertIn("(1 mandate)", self.partner.message_ids[0].body)
        self.assertEqual(self.partner.gocardless_customer_id.gocardless_id, self.customer["id"])

    def test_empty_lookup_uses_every_address_of_the_contact(self):
        partner = self.env["res.partner"].create(
            {
                "name": "Two Addresses",
                "email": "main@example.com",
                "extra_email_ids": [(0, 0, {"email": "other@example.com"})],
            }
        )
        wizard = self._wizard("", partner=partner)
        wizard.action_lookup()
        self.assertEqual(wizard.customer_company_name, "Other")
        self.assertTrue(wizard.customer_email_matches)

    def test_invalid_input_never_reaches_gocardless(self):
        for lookup, expected in {
            "not an id": "neither an email address",
            "CU-12/../x": "neither an email address",
            "bad@": "is not an email address",
        }.items():
            with self.subTest(lookup=lookup):
                with self.assertRaises(UserError) as caught:
                    self._wizard(lookup).action_lookup()
                self.assertIn(expected, str(caught.exception))
        self.assertFalse(self.emulator.requests)

    def test_not_found_is_explained(self):
        for lookup, expected in {
            "nobody@example.com": "No GoCardless customer has the email nobody@example.com",
            "CU0000NOTHERE": "GoCardless has no customer CU0000NOTHERE",
            "MD0000NOTHERE": "GoCardless has no mandate MD0000NOTHERE",
        }.items():
            with self.subTest(lookup=lookup):
                wizard = self._wizard(lookup)
                with self.assertRaises(UserError) as caught:
                    wizard.action_lookup()
                self.assertIn(expected, str(caught.exception))
                self.assertEqual(wizard.state, "lookup")
                self.assertFalse(wizard.line_ids)

    def test_removed_customers_are_explained(self):
        self.emulator.remove_customer(self.customer["id"])
        wizard = self._wizard(self.customer["id"])
        with self.assertRaises(UserError) as caught:
            wizard.action_lookup()
        self.assertIn("was removed from GoCardless (410)", str(caught.exception))
        wizard = self._wizard(self.active["id"])
        with self.assertRaises(UserError) as caught:
            wizard.action_lookup()
        self.assertIn(
            f"belongs to GoCardless customer {self.customer['id']}, which was removed",
            str(caught.exception),
        )
        # an email lookup does not see removed customers
        with self.assertRaises(UserError) as caught:
            self._wizard("ada@example.com").action_lookup()
        self.assertIn("No GoCardless customer has the email", str(caught.exception))

    def test_removed_between_lookup_and_link(self):
        wizard = self._wizard(self.customer["id"])
        wizard.action_lookup()
        self.emulator.remove_customer(self.customer["id"])
        with self.assertRaises(UserError) as caught:
            wizard.action_link()
        self.assertIn("(410)", str(caught.exception))
        self.assertFalse(self.partner.gocardless_customer_ids)

    def test_a_customer_linked_to_another_contact_is_explained(self):
        other = self.env["res.partner"].create({"name": "Charles Babbage"})
        self._link_customer(other, self.customer["id"])
        wizard = self._wizard()
        wizard.action_lookup()
        self.assertEqual(wizard.customer_linked_partner_id, other)
        with self.assertRaises(UserError) as caught:
            wizard.action_link()
        self.assertIn("already linked to Charles Babbage", str(caught.exception))
        self.assertFalse(self.partner.gocardless_customer_ids)

    def test_linking_twice_is_explained(self):
        wizard = self._wizard()
        wizard.action_lookup()
        wizard.action_link()
        wizard = self._wizard(self.customer["id"])
        wizard.action_lookup()
        with self.assertRaises(UserError) as caught:
            wizard.action_link()
        self.assertIn("is already linked to GoCardless customer", str(caught.exception))
        self.assertEqual(len(self.partner.gocardless_customer_ids), 1)

    def test_only_managers_link_by_hand(self):
        with self.assertRaises(AccessError):
            self._wizard(user=self.contact_supervisor)
        wizard = self._wizard()
        with self.assertRaises(AccessError):
            wizard.with_user(self.contact_supervisor).action_lookup()
        action = self.partner.with_user(self.contact_manager).action_gocardless_open_link_wizard()
        self.assertEqual(action["res_model"], "gocardless.customer.link.wizard")
        self.assertEqual(action["context"], {"default_partner_id": self.partner.id})

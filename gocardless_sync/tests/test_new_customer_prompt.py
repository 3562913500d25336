import ast

from lxml import etree

from odoo.tests import HttpCase, tagged

from .common import GoCardlessEmulatorMixin
from .push_common import CONTACTS, GoCardlessPushCase


@tagged("post_install", "-at_install")
class TestNewCustomerPrompt(GoCardlessPushCase):
    def test_who_is_asked(self):
        own = self._new_partner(self.contact_supervisor)
        self.assertTrue(own.with_user(self.contact_supervisor).gocardless_should_prompt())
        managers_own = self._new_partner(self.contact_manager)
        self.assertTrue(managers_own.with_user(self.contact_manager).gocardless_should_prompt())
        # a GoCardless User, or anyone else, is never asked
        users_own = self._new_partner(self.contact_user)
        self.assertFalse(users_own.with_user(self.contact_user).gocardless_should_prompt())
        # contacts someone else created (the sync, an import, another user) are not asked about
        self.assertFalse(managers_own.with_user(self.contact_supervisor).gocardless_should_prompt())
        # a contact person of a company: the company is the customer
        child = self._new_partner(
            self.contact_supervisor, parent_id=self.env["res.partner"].create({"name": "Co"}).id
        )
        self.assertFalse(child.with_user(self.contact_supervisor).gocardless_should_prompt())

    def test_the_account_decides_whether_to_ask(self):
        partner = self._new_partner(self.contact_supervisor).with_user(self.contact_supervisor)
        self.account.prompt_new_customers = False
        self.assertFalse(partner.gocardless_should_prompt())
        self.account.prompt_new_customers = True
        self.account.access_token = False
        self.assertFalse(partner.gocardless_should_prompt())

    def test_asked_once(self):
        for method in ("action_gocardless_decide_later", "action_gocardless_decide_never"):
            partner = self._new_partner(self.contact_supervisor).with_user(self.contact_supervisor)
            with self.subTest(method=method):
                getattr(partner, method)()
                self.assertFalse(partner.gocardless_should_prompt())
        linked = self._new_partner(self.contact_supervisor)
        self._link_customer(linked, "CU_ALREADY")
        self.assertFalse(linked.with_user(self.contact_supervisor).gocardless_should_prompt())

    def test_do_not_synchronize(self):
        partner = self._new_partner(self.contact_supervisor)
        action = partner.with_user(self.contact_supervisor).action_gocardless_decide_never()
        self.assertEqual(partner.gocardless_sync_decision, "never")
        self.assertEqual(action["tag"], "display_notification")
        self.assertFalse(self.emulator.requests)
        # the list action leaves it alone
        self.env["res.partner"].browse(partner.ids).with_user(
            self.contact_manager
        ).action_gocardless_push_many()
        self.assertFalse(self.emulator.customers)
        self.assertFalse(partner.gocardless_customer_ids)

    def test_choose_later_has_a_filter_and_a_banner(self):
        later = self._new_partner(self.contact_supervisor)
        later.with_user(self.contact_supervisor).action_gocardless_decide_later()
        other = self._new_partner(self.contact_supervisor, email="other@example.com")
        self.assertEqual(later.gocardless_sync_decision, "later")
        self.assertFalse(self.emulator.requests)

        Partner = self.env["res.partner"].with_user(self.contact_supervisor)
        search = etree.fromstring(Partner.get_views([(False, "search")])["views"]["search"]["arch"])
        (later_filter,) = search.xpath("//filter[@name='gocardless_sync_later']")
        domain = ast.literal_eval(later_filter.get("domain"))
        found = Partner.search(domain + [("id", "in", (later | other).ids)])
        self.assertEqual(found, later)

        form = etree.fromstring(Partner.get_views([(False, "form")])["views"]["form"]["arch"])
        (banner,) = form.xpath("//div[contains(@class, 'o_gocardless_later_banner')]")
        self.assertIn("gocardless_sync_decision != 'later'", banner.get("invisible"))
        buttons = banner.xpath(".//button/@name")
        # a Supervisor gets the two choices that are theirs to make; a Manager all three
        self.assertEqual(
            buttons, ["action_gocardless_decide_never", "action_gocardless_decide_later"]
        )
        manager_form = etree.fromstring(
            self.env["res.partner"]
            .with_user(self.contact_manager)
            .get_views([(False, "form")])["views"]["form"]["arch"]
        )
        self.assertEqual(
            manager_form.xpath(
                "//div[contains(@class, 'o_gocardless_later_banner')]//button/@name"
            ),
            [
                "action_gocardless_push",
                "action_gocardless_decide_never",
                "action_gocardless_decide_later",
            ],
        )
        # the banner's "Synchronize" is a Manager's push
        later.with_user(self.contact_manager).action_gocardless_push()
        self.assertEqual(later.gocardless_sync_decision, "synced")
        self.assertEqual(len(self.emulator.customers), 1)

    def test_users_without_gocardless_rights_see_no_banner(self):
        plain = self._new_user("plain_contacts", CONTACTS)
        form = etree.fromstring(
            self.env["res.partner"]
            .with_user(plain)
            .get_views([(False, "form")])["views"]["form"]["arch"]
        )
        self.assertFalse(form.xpath("//div[contains(@class, 'o_gocardless_later_banner')]"))
        self.assertFalse(form.xpath("//button[@name='action_gocardless_push']"))


@tagged("post_install", "-at_install")
class TestNewCustomerPromptTour(GoCardlessEmulatorMixin, HttpCase):
    """The browser tour: Contacts > New, save, answer "Synchronize", see the customer ID."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_gocardless()
        cls.account.prompt_new_customers = True
        cls.supervisor = cls._new_user(
            "gc_tour_supervisor",
            f"{CONTACTS},gocardless_sync.group_gocardless_supervisor",
            password="gc_tour_supervisor_pw",
        )

    def test_prompt_synchronize_tour(self):
        self.start_tour(
            "/odoo/contacts/new", "gocardless_sync_new_customer_prompt", login="gc_tour_supervisor"
        )
        partner = self.env["res.partner"].search([("email", "=", "tess.tourist@example.com")])
        self.assertEqual(partner.name, "Tess Tourist")
        self.assertEqual(partner.create_uid, self.supervisor)
        self.assertEqual(partner.gocardless_sync_decision, "synced")
        (customer,) = self.emulator.customers.values()
        self.assertEqual(partner.gocardless_customer_id.gocardless_id, customer["id"])
        self.assertEqual(customer["email"], "tess.tourist@example.com")
        self.assertEqual(customer["metadata"]["odoo_partner_id"], str(partner.id))

    def test_other_forms_are_not_asked_about(self):
        """The question is attached to the contact form only (its js_class): a product saved
        new by the same user gets no GoCardless RPC and no dialog, and Odoo's FormController
        is not patched; a contact saved next, in the same page, is asked about."""
        self._new_user(
            "gc_tour_products",
            f"{CONTACTS},gocardless_sync.group_gocardless_supervisor,product.group_product_manager",
            password="gc_tour_products_pw",
        )
        self.start_tour(
            "/odoo/action-product.product_template_action/new",
            "gocardless_sync_prompt_contacts_only",
            login="gc_tour_products",
        )
        product = self.env["product.template"].search([("name", "=", "GoCardless Tour Widget")])
        self.assertEqual(len(product), 1)
        contact = self.env["res.partner"].search([("email", "=", "watched.contact@example.com")])
        self.assertEqual(contact.gocardless_sync_decision, "never")
        self.assertFalse(self.emulator.requests)

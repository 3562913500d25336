from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from ..services import const
from .common import EMULATOR_TOKEN
from .push_common import CONTACTS, GoCardlessPushCase


@tagged("post_install", "-at_install")
class TestCustomerPush(GoCardlessPushCase):
    def test_push_creates_and_links_the_customer(self):
        country = self.env.ref("base.fr")
        self.env["res.lang"]._activate_lang("fr_FR")
        partner = self._new_partner(
            name="Marie Claire Dupont",
            email="Marie.Dupont@Example.com",
            street="1 rue de la Paix",
            street2="Bâtiment B",
            city="Paris",
            zip="75002",
            country_id=country.id,
            phone="+33 1 23 45 67 89",
            lang="fr_FR",
            ref="C-00042",
            parent_id=self.env["res.partner"].create({"name": "Dupont SA", "is_company": True}).id,
        )
        action = partner.with_user(self.contact_manager).action_gocardless_push()

        (customer,) = self.emulator.customers.values()
        self.assertEqual(customer["given_name"], "Marie Claire")
        self.assertEqual(customer["family_name"], "Dupont")
        self.assertEqual(customer["company_name"], "Dupont SA")
        self.assertEqual(customer["email"], "Marie.Dupont@Example.com")
        self.assertEqual(
            (customer["address_line1"], customer["address_line2"], customer["city"]),
            ("1 rue de la Paix", "Bâtiment B", "Paris"),
        )
        self.assertEqual((customer["postal_code"], customer["country_code"]), ("75002", "FR"))
        self.assertEqual(customer["phone_number"], "+33 1 23 45 67 89")
        self.assertEqual(customer["language"], "fr")
        self.assertEqual(
            customer["metadata"],
            {"odoo_partner_id": str(partner.id), "odoo_partner_ref": "C-00042"},
        )
        link = partner.gocardless_customer_id
        self.assertEqual(link.gocardless_id, customer["id"])
        self.assertEqual(link.account_id, self.account)
        self.assertEqual(link.email, "Marie.Dupont@Example.com")
        self.assertEqual(partner.gocardless_sync_decision, "synced")
        self.assertEqual(action["params"]["type"], "success")
        self.assertIn(customer["id"], action["params"]["message"])
        self.assertIn(customer["id"], partner.message_ids[0].body)
        # the key is the contact's, not the client's random one
        (post,) = self._posts()
        self.assertEqual(post["headers"]["Idempotency-Key"], self._key(partner))

    def test_a_contact_without_reference_sends_no_reference(self):
        partner = self._new_partner(ref=False)
        partner.action_gocardless_push()
        (customer,) = self.emulator.customers.values()
        self.assertEqual(customer["metadata"], {"odoo_partner_id": str(partner.id)})
        self.assertNotIn("False", str(customer["metadata"]))

    def test_a_single_push_refuses_what_the_list_action_skips(self):
        """The same rules as the list action, checked before any call to GoCardless."""
        self.env["res.partner"].create({"name": "Namesake", "email": "JANE.DOE@example.com"})
        shared = self._new_partner()
        self.emulator.add_customer(company_name="Known", email="Known@Example.com")
        self.env["gocardless.customer.sync"]._run(self.account, "skip")
        # created after the sync: GoCardless already has it, Odoo has not linked it
        known = self._new_partner(name="Known", email="known@example.com")
        employee = self.contact_manager.partner_id
        expected = {
            shared: "is also an address of Namesake",
            known: "GoCardless already has a customer with known@example.com",
            employee: "is the contact of a user or of a company of this database",
        }
        posts = len(self._posts())
        for partner, text in expected.items():
            with self.subTest(partner=partner.name), self.assertRaises(UserError) as caught:
                partner.action_gocardless_push()
            self.assertIn(text, str(caught.exception))
        self.assertEqual(len(self._posts()), posts)

    def test_a_company_is_pushed_with_its_company_name(self):
        partner = self._new_partner(name="Acme Ltd", email="ap@acme.example", is_company=True)
        partner.action_gocardless_push()
        (customer,) = self.emulator.customers.values()
        self.assertEqual(customer["company_name"], "Acme Ltd")
        self.assertIsNone(customer["given_name"])
        self.assertEqual(partner.gocardless_customer_id.gocardless_id, customer["id"])

    def test_idempotency_key_is_stable_per_contact_and_database(self):
        first, second = self._new_partner(), self._new_partner(email="other@example.com")
        key = self._key(first)
        self.assertEqual(key, self._key(first))
        self.assertNotEqual(key, self._key(second))
        self.assertLessEqual(len(key), const.IDEMPOTENCY_KEY_MAX_LENGTH)
        self.assertTrue(key.startswith(const.IDEMPOTENCY_KEY_PREFIX))
        # another database (another database.uuid) gets other keys for the same ids
        self.env["ir.config_parameter"].set_param("database.uuid", "another-database")
        self.assertNotEqual(key, self._key(first))

    def test_a_lost_answer_is_retried_with_the_same_key(self):
        """GoCardless creates the customer but the answer is lost: the client retries with
        the contact's key and gets the same customer back."""
        partner = self._new_partner()
        self.emulator.inject_fault("drop", method="POST", path="/customers")
        partner.action_gocardless_push()
        self.assertEqual(len(self.emulator.customers), 1)
        posts = self._posts()
        self.assertEqual(len(posts), 2)
        self.assertEqual(
            {post["headers"]["Idempotency-Key"] for post in posts},
            {self._key(partner)},
        )
        (customer_id,) = self.emulator.customers
        self.assertEqual(partner.gocardless_customer_id.gocardless_id, customer_id)

    def test_a_second_click_after_a_failure_creates_no_second_customer(self):
        partner = self._new_partner()
        # every answer lost: GoCardless created the customer, Odoo never heard of it
        self.emulator.inject_fault("drop", times=3, method="POST", path="/customers")
        with self.assertRaises(UserError) as caught:
            partner.action_gocardless_push()
        # the answer was lost: GoCardless may have created it, and the user is told so
        self.assertIn("whether it created the customer is unknown", str(caught.exception))
        self.assertIn("could not reach GoCardless", str(caught.exception))
        self.assertIn("never creates a second one", str(caught.exception))
        self.assertFalse(partner.gocardless_customer_ids)
        self.assertFalse(partner.gocardless_sync_decision)
        self.assertEqual(len(self.emulator.customers), 1)
        # the user clicks again
        partner.action_gocardless_push()
        self.assertEqual(len(self.emulator.customers), 1)
        (customer_id,) = self.emulator.customers
        self.assertEqual(partner.gocardless_customer_id.gocardless_id, customer_id)
        # and a third time: already linked, nothing sent
        posts = len(self._posts())
        with self.assertRaises(UserError) as caught:
            partner.action_gocardless_push()
        self.assertIn("already linked", str(caught.exception))
        self.assertEqual(len(self._posts()), posts)
        self.assertEqual(len(self.emulator.customers), 1)

    def test_users_without_email_push_and_odoo_records_it(self):
        """The chatter note needs the author's email: GoCardless created the customer, so
        Odoo must link it all the same (before: the note failed and Odoo rolled back)."""
        for group in ("manager", "supervisor"):
            with self.subTest(group=group):
                user = self._new_user(
                    f"gc_push_{group}_no_email",
                    f"{CONTACTS},gocardless_sync.group_gocardless_{group}",
                    email=False,
                )
                partner = self._new_partner(user, email=f"{group}.no.email@example.com")
                partner.with_user(user).action_gocardless_push()
                (customer,) = [
                    c for c in self.emulator.customers.values() if c["email"] == partner.email
                ]
                self.assertEqual(partner.gocardless_customer_id.gocardless_id, customer["id"])
                self.assertEqual(partner.gocardless_sync_decision, "synced")
                note = partner.message_ids[0]
                self.assertIn(customer["id"], note.body)
                self.assertEqual(note.author_id, user.partner_id)

    def test_a_contact_without_email_is_explained(self):
        partner = self._new_partner(email=False)
        with self.assertRaises(UserError) as caught:
            partner.with_user(self.contact_manager).action_gocardless_push()
        self.assertIn("has no email address", str(caught.exception))
        self.assertFalse(self.emulator.requests)

    def test_gocardless_refusal_is_explained(self):
        partner = self._new_partner(email="jane@localhost")  # GoCardless wants a domain
        with self.assertRaises(UserError) as caught:
            partner.action_gocardless_push()
        message = str(caught.exception)
        self.assertIn("could not be created in GoCardless", message)
        self.assertIn("email", message)
        self.assertFalse(partner.gocardless_customer_ids)

    def test_a_contact_of_another_company_uses_that_company_account(self):
        company_b = self.env["res.company"].create({"name": "GoCardless Push B"})
        account_b = company_b._gocardless_account()
        account_b.write(
            {
                "access_token": EMULATOR_TOKEN,
                "api_base_url": self.emulator.base_url,
                "api_timeout": 2.0,
            }
        )
        partner = self._new_partner(company_id=company_b.id)
        self.contact_manager.company_ids |= company_b
        partner.with_user(self.contact_manager).with_context(
            allowed_company_ids=[self.company.id, company_b.id]
        ).action_gocardless_push()
        self.assertEqual(partner.gocardless_customer_ids.account_id, account_b)
        self.assertEqual(partner.gocardless_customer_ids.company_id, company_b)

    def test_no_token_is_explained(self):
        self.account.access_token = False
        partner = self._new_partner()
        with self.assertRaises(UserError) as caught:
            partner.action_gocardless_push()
        self.assertIn("no access token", str(caught.exception))


@tagged("post_install", "-at_install")
class TestCustomerPushLimits(GoCardlessPushCase):
    def _mapping(self, key, field_name):
        return self.env["gocardless.field.mapping"].create(
            {
                "account_id": self.account.id,
                "source": "metadata",
                "metadata_key": key,
                "partner_field_id": self.env["ir.model.fields"]._get("res.partner", field_name).id,
            }
        )

    def test_a_long_customer_number_is_shortened_and_the_user_told(self):
        partner = self._new_partner(ref="N" * 620)
        action = partner.action_gocardless_push()
        (customer,) = self.emulator.customers.values()
        self.assertEqual(customer["metadata"]["odoo_partner_ref"], "N" * 500)
        message = action["params"]["message"]
        self.assertEqual(action["params"]["type"], "warning")
        self.assertTrue(action["params"]["sticky"])
        self.assertIn("odoo_partner_ref had 620 characters", message)
        self.assertIn("shortened", partner.message_ids[0].body)

    def test_metadata_mappings_are_sent_within_three_keys(self):
        # a mapping on the Reference replaces the default key; the third mapping does not fit
        self._mapping("customer_number", "ref")
        self._mapping("vat_number", "vat")
        self._mapping("website", "website")
        self._mapping("k" * 51, "function")
        partner = self._new_partner(
            ref="C-7", vat="BE0477472701", website="https://doe.example", function="CFO"
        )
        action = partner.action_gocardless_push()
        (customer,) = self.emulator.customers.values()
        self.assertEqual(
            customer["metadata"],
            {
                "odoo_partner_id": str(partner.id),
                "customer_number": "C-7",
                "vat_number": "BE0477472701",
            },
        )
        message = action["params"]["message"]
        self.assertIn("website was left out", message)
        self.assertNotIn("k" * 51, customer["metadata"])
        # an empty mapped value takes no key
        self.assertEqual(len(customer["metadata"]), const.METADATA_MAX_KEYS)

    def test_a_key_too_long_is_left_out_with_a_notice(self):
        self._mapping("k" * 51, "ref")
        partner = self._new_partner(ref="C-8")
        action = partner.action_gocardless_push()
        (customer,) = self.emulator.customers.values()
        self.assertEqual(customer["metadata"], {"odoo_partner_id": str(partner.id)})
        self.assertIn("longer than 50 characters", action["params"]["message"])

    def test_the_sync_reads_back_what_the_push_sent(self):
        """One conversion both ways (services/customer_payload.py): a mapped number and
        checkbox pushed as metadata come back as the same values with the next sync."""
        self._mapping("latitude", "partner_latitude").update_existing = True
        self._mapping("staff", "employee").update_existing = True
        partner = self._new_partner(partner_latitude=51.5072, employee=False, ref=False)
        partner.action_gocardless_push()
        (customer,) = self.emulator.customers.values()
        self.assertEqual(
            customer["metadata"],
            {"odoo_partner_id": str(partner.id), "latitude": "51.5072", "staff": "false"},
        )
        partner.write({"partner_latitude": 48.8566, "employee": True})
        self.env["gocardless.customer.sync"]._run(self.account, "skip")
        self.assertEqual(partner.partner_latitude, 51.5072)
        self.assertFalse(partner.employee)


@tagged("post_install", "-at_install")
class TestPushRoles(GoCardlessPushCase):
    def test_supervisor_pushes_only_a_new_contact_of_their_own(self):
        own = self._new_partner(self.contact_supervisor)
        own.with_user(self.contact_supervisor).action_gocardless_push()
        self.assertEqual(own.gocardless_sync_decision, "synced")
        self.assertTrue(own.gocardless_customer_ids)

        posts = len(self._posts())
        someone_elses = self._new_partner(self.contact_manager, email="else@example.com")
        decided = self._new_partner(self.contact_supervisor, email="later@example.com")
        decided.with_user(self.contact_supervisor).action_gocardless_decide_later()
        for partner in (someone_elses, decided):
            with self.subTest(partner=partner.email), self.assertRaises(AccessError) as caught:
                partner.with_user(self.contact_supervisor).action_gocardless_push()
            self.assertIn("only when you create it", str(caught.exception))
            self.assertFalse(partner.gocardless_customer_ids)
        self.assertEqual(len(self._posts()), posts)

    def test_users_without_supervisor_rights_never_push(self):
        own = self._new_partner(self.contact_user)
        with self.assertRaises(AccessError):
            own.with_user(self.contact_user).action_gocardless_push()
        with self.assertRaises(AccessError):
            own.with_user(self.contact_user).action_gocardless_decide_later()
        self.assertFalse(self.emulator.requests)

    def test_manager_pushes_existing_contacts(self):
        partner = self._new_partner(self.contact_supervisor)
        partner.with_user(self.contact_supervisor).action_gocardless_decide_never()
        partner.with_user(self.contact_manager).action_gocardless_push()
        self.assertEqual(partner.gocardless_sync_decision, "synced")
        self.assertEqual(len(self.emulator.customers), 1)

    def test_a_manager_needs_the_right_to_edit_contacts(self):
        partner = self._new_partner()
        with self.assertRaises(AccessError):
            partner.with_user(self.gc_manager).action_gocardless_push()
        self.assertFalse(self.emulator.requests)

    def test_who_records_which_decision(self):
        partner = self._new_partner(self.contact_supervisor)
        as_supervisor = partner.with_user(self.contact_supervisor)
        with self.assertRaises(AccessError):
            partner.with_user(self.contact_user).write({"gocardless_sync_decision": "later"})
        # "synchronized" only with a link; resetting the question is for Managers
        with self.assertRaises(AccessError):
            as_supervisor.write({"gocardless_sync_decision": "synced"})
        as_supervisor.write({"gocardless_sync_decision": "never"})
        with self.assertRaises(AccessError):
            as_supervisor.write({"gocardless_sync_decision": False})
        partner.with_user(self.contact_manager).write({"gocardless_sync_decision": False})
        self.assertFalse(partner.gocardless_sync_decision)
        # a synchronized contact stays so for a Supervisor
        as_supervisor.action_gocardless_push()
        with self.assertRaises(AccessError):
            as_supervisor.write({"gocardless_sync_decision": "never"})
        self.assertEqual(partner.gocardless_sync_decision, "synced")
        # editing anything else is not affected
        as_supervisor.write({"phone": "+44 1"})
        partner.with_user(self.contact_user).write({"phone": "+44 2"})
        self.assertFalse(partner.copy().gocardless_sync_decision)

    def test_who_records_a_decision_at_creation(self):
        """An import or an RPC create may not record what a write could not."""
        Partner = self.env["res.partner"]
        with self.assertRaises(AccessError):
            Partner.with_user(self.contact_user).create(
                {"name": "Imported", "gocardless_sync_decision": "never"}
            )
        with self.assertRaises(AccessError):
            Partner.with_user(self.contact_supervisor).create(
                {"name": "Imported", "gocardless_sync_decision": "synced"}
            )
        later = Partner.with_user(self.contact_supervisor).create(
            {"name": "Later", "gocardless_sync_decision": "later"}
        )
        self.assertEqual(later.gocardless_sync_decision, "later")
        synced = Partner.with_user(self.contact_manager).create(
            {"name": "Imported by a Manager", "gocardless_sync_decision": "synced"}
        )
        self.assertEqual(synced.gocardless_sync_decision, "synced")
        plain = Partner.with_user(self.contact_user).create({"name": "No decision"})
        self.assertFalse(plain.gocardless_sync_decision)


@tagged("post_install", "-at_install")
class TestPushMany(GoCardlessPushCase):
    def _run_list_action(self, partners, user=None):
        action = self.env.ref("gocardless_sync.res_partner_action_gocardless_push")
        user = user or self.contact_manager
        return (
            action.with_user(user)
            .with_context(
                active_model="res.partner", active_ids=partners.ids, active_id=partners[:1].id
            )
            .run()
        )

    def test_counts_and_one_failure_does_not_undo_the_others(self):
        good_1 = self._new_partner(name="Good One", email="one@example.com")
        # GoCardless refuses this one (an address without a domain)
        failing = self._new_partner(name="Failing Two", email="two@localhost")
        good_3 = self._new_partner(name="Good Three", email="three@example.com")
        linked = self._new_partner(name="Linked Four", email="four@example.com")
        self._link_customer(linked, "CU_LINKED")
        no_email = self._new_partner(name="No Mail", email=False)
        never = self._new_partner(name="Never Six", email="six@example.com")
        never.action_gocardless_decide_never()

        partners = good_1 | failing | good_3 | linked | no_email | never
        action = self._run_list_action(partners)

        message = action["params"]["message"]
        self.assertIn(
            '2 contacts created in GoCardless, 1 already linked, 1 without email, 1 marked "Do '
            'not synchronize", 1 failed.',
            message,
        )
        self.assertIn("Failing Two failed: GoCardless refused the data: email", message)
        self.assertIn("Without email: No Mail", message)
        self.assertEqual(action["params"]["type"], "warning")
        self.assertTrue(good_1.gocardless_customer_id)
        self.assertTrue(good_3.gocardless_customer_id)
        self.assertFalse(failing.gocardless_customer_ids)
        self.assertFalse(failing.gocardless_sync_decision)
        self.assertFalse(never.gocardless_customer_ids)
        self.assertEqual(
            sorted(c["email"] for c in self.emulator.customers.values()),
            ["one@example.com", "three@example.com"],
        )
        # nothing was sent for the linked, email-less and "never" contacts
        self.assertEqual(
            sorted(post["body"]["customers"]["email"] for post in self._posts()),
            ["one@example.com", "three@example.com", "two@localhost"],
        )

    def test_ambiguous_internal_and_known_contacts_are_skipped(self):
        """The list action used to push contacts the sync reports ambiguous, employees' own
        contacts and contacts GoCardless already has: duplicates in GoCardless."""
        Partner = self.env["res.partner"]
        twin_1 = self._new_partner(name="Twin One", email="twins@example.com")
        twin_2 = self._new_partner(name="Twin Two", email="Other@example.com")
        twin_2.extra_email_ids = [(0, 0, {"email": "Twins@Example.com"})]
        outside = Partner.create({"name": "Outside", "email": "shared@example.com"})
        shares_with_outside = self._new_partner(name="Shares", email="shared@example.com")
        employee = self.contact_manager.partner_id
        company = self.env.company.partner_id
        company.email = "office@my-company.example"
        # GoCardless customers the last sync read, not linked (no contact had their email)
        self.emulator.add_customer(company_name="Payer", email="payer@example.com")
        self.emulator.add_customer(company_name="Billing", email="billing@example.com")
        self.env["gocardless.customer.sync"]._run(self.account, "skip")
        # contacts created since, with those addresses
        known = self._new_partner(name="Known Payer", email="PAYER@example.com")
        known_by_extra = self._new_partner(name="Known By Extra", email="main@example.com")
        known_by_extra.extra_email_ids = [(0, 0, {"email": "billing@example.com"})]
        # and a customer linked to another contact since (its email snapshot)
        linked_elsewhere = self._new_partner(name="Linked Elsewhere", email="elsewhere@example.com")
        holder = Partner.create({"name": "Holder", "email": "holder@example.com"})
        self._link_customer(holder, "CU_HOLDER", email="elsewhere@example.com")
        good = self._new_partner(name="Good", email="good@example.com")
        partners = (
            twin_1
            | twin_2
            | shares_with_outside
            | employee
            | company
            | known
            | known_by_extra
            | linked_elsewhere
            | good
        )
        customers_before = len(self.emulator.customers)

        action = self._run_list_action(partners)

        params = action["params"]
        message = params["message"]
        self.assertIn(
            "2 contacts created in GoCardless, 2 users' or companies' own contacts skipped, 2 "
            "skipped: their email is also another contact's, 3 already GoCardless customers: "
            "link them instead.",
            message,
        )
        # Twin Two's own address (the one GoCardless gets) is its alone
        self.assertIn("twins@example.com of Twin One is also an address of Twin Two", message)
        self.assertIn("shared@example.com of Shares is also an address of Outside", message)
        self.assertIn("already has a customer with payer@example.com", message)
        self.assertIn("already has a customer with billing@example.com", message)
        self.assertIn("CU_HOLDER, linked to Holder", message)
        self.assertEqual(params["type"], "warning")
        self.assertTrue(params["sticky"])
        # only the good ones were sent
        self.assertEqual(
            sorted(post["body"]["customers"]["email"] for post in self._posts()),
            ["Other@example.com", "good@example.com"],
        )
        self.assertEqual(len(self.emulator.customers), customers_before + 2)
        self.assertEqual(
            outside.gocardless_customer_ids | twin_1.gocardless_customer_ids,
            self.env["gocardless.customer"],
        )
        # "Link" is offered next: the contacts whose GoCardless customer is not linked yet
        link = params["next"]
        self.assertEqual(link["res_model"], "res.partner")
        self.assertEqual(link["domain"], [("id", "in", (known | known_by_extra).ids)])

    def test_one_known_customer_opens_the_link_wizard(self):
        gc_customer = self.emulator.add_customer(company_name="Payer", email="payer@example.com")
        self.env["gocardless.customer.sync"]._run(self.account, "skip")
        known = self._new_partner(name="Known Payer", email="payer@example.com")
        action = self._run_list_action(known)
        link = action["params"]["next"]
        self.assertEqual(link["res_model"], "gocardless.customer.link.wizard")
        wizard = (
            self.env[link["res_model"]]
            .with_user(self.contact_manager)
            .with_context(**link["context"])
            .create({})
        )
        self.assertEqual((wizard.partner_id, wizard.lookup), (known, gc_customer["id"]))
        wizard.action_lookup()
        wizard.action_link()
        self.assertEqual(known.gocardless_customer_id.gocardless_id, gc_customer["id"])
        self.assertFalse(self._posts())

    def test_a_timeout_during_a_create_says_the_outcome_is_unknown(self):
        partners = self._new_partner(email="first@example.com") | self._new_partner(
            email="second@example.com"
        )
        self.account.api_timeout = 0.3
        self.emulator.inject_fault("timeout", times=3, delay=1, method="POST", path="/customers")
        message = self._run_list_action(partners)["params"]["message"]
        self.assertIn("1 with an unknown outcome", message)
        self.assertIn("whether it created the customer is unknown", message)
        self.assertIn("the next run finds it with the same idempotency key", message)
        # the next run finds it: no second customer
        self.emulator.clear_faults()
        self.account.api_timeout = 2.0
        message = self._run_list_action(partners)["params"]["message"]
        self.assertIn("2 contacts created in GoCardless", message)
        self.assertEqual(
            sorted(c["email"] for c in self.emulator.customers.values()),
            ["first@example.com", "second@example.com"],
        )

    def test_a_failure_of_the_whole_account_stops_the_run(self):
        partners = self.env["res.partner"].browse(
            [self._new_partner(email=f"p{n}@example.com").id for n in range(4)]
        )
        self.emulator.inject_fault("unauthorized", skip=1, method="POST", path="/customers")
        action = self._run_list_action(partners)
        message = action["params"]["message"]
        self.assertIn("1 contact created in GoCardless", message)
        self.assertIn("3 failed", message)
        self.assertIn("refused the access token (401)", message)
        self.assertEqual(message.count("not sent, after: GoCardless refused the access token"), 2)
        # the two contacts after the refusal were not sent at all
        self.assertEqual(len(self._posts()), 2)
        self.assertEqual(len(partners.gocardless_customer_ids), 1)

    def test_a_failure_in_odoo_after_the_creation_keeps_the_others(self):
        """GoCardless answers with a customer Odoo already links elsewhere: that contact's
        savepoint is rolled back, the other contact's link stays."""
        victim = self._new_partner(name="Victim", email="victim@example.com")
        good = self._new_partner(name="Good", email="good@example.com")
        # a customer created earlier with the victim's key, linked meanwhile to someone else
        api = self.account._gocardless_api()
        earlier = api.create_resource(
            "customers",
            {"email": "victim@example.com", "company_name": "Victim"},
            idempotency_key=self._key(victim),
        )
        self._link_customer(self._new_partner(name="Other"), earlier["id"])

        action = self._run_list_action(victim | good)

        self.assertIn("1 contact created in GoCardless", action["params"]["message"])
        self.assertIn("1 failed", action["params"]["message"])
        self.assertIn("Victim failed", action["params"]["message"])
        self.assertFalse(victim.gocardless_customer_ids)
        self.assertEqual(good.gocardless_sync_decision, "synced")
        self.assertTrue(good.gocardless_customer_id)

    def test_only_managers_run_the_list_action(self):
        partner = self._new_partner(self.contact_supervisor)
        with self.assertRaises(AccessError):
            partner.with_user(self.contact_supervisor).action_gocardless_push_many()
        self.assertFalse(self.emulator.requests)
        action = self.env.ref("gocardless_sync.res_partner_action_gocardless_push")
        self.assertEqual(action.binding_model_id.model, "res.partner")
        self.assertEqual(action.binding_view_types, "list")
        self.assertEqual(action.groups_id, self.env.ref(const.GROUP_MANAGER))

    def test_running_it_twice_creates_nothing_more(self):
        partners = self._new_partner(email="a@example.com") | self._new_partner(
            email="b@example.com"
        )
        self._run_list_action(partners)
        action = self._run_list_action(partners)
        self.assertIn(
            "0 contacts created in GoCardless, 2 already linked", action["params"]["message"]
        )
        self.assertEqual(len(self.emulator.customers), 2)

    def _queries(self, function, *args):
        """The number of queries of ``function(*args)``, from a flushed, empty cache."""
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        function(*args)
        self.env.flush_all()
        return self.env.cr.sql_log_count - before

    def test_queries_per_contact_do_not_grow(self):
        """The blockers take a constant number of queries, and the list action a constant
        number per contact pushed (8 today: the link, the decision and the note)."""
        numbers = iter(range(1, 100))

        def new_partners(count):
            return self.env["res.partner"].union(
                *(
                    self._new_partner(name=f"Payer {n}", email=f"payer{n}@example.com")
                    for n in [next(numbers) for _i in range(count)]
                )
            )

        Push = self.env["gocardless.customer.push"]
        # warm up the caches that outlive a transaction (groups, record rules)
        self._queries(self._run_list_action, new_partners(2))
        blockers = [
            self._queries(Push._blockers, new_partners(count), self.account) for count in (2, 6)
        ]
        self.assertEqual(blockers[0], blockers[1])
        runs = [self._queries(self._run_list_action, new_partners(count)) for count in (2, 4, 6)]
        self.assertEqual(runs[2] - runs[1], runs[1] - runs[0], runs)
        self.assertLessEqual((runs[1] - runs[0]) / 2, 8, runs)
        self.assertEqual(len(self.emulator.customers), 14)

from gocardless_emulator.resources import MANDATE_STATUSES
from lxml import etree

from odoo.exceptions import AccessError, UserError
from odoo.sql_db import db_connect
from odoo.tests import HttpCase, tagged
from odoo.tools.misc import file_open

from ..services.const import LOCK_CUSTOMER_SYNC
from .common import GoCardlessCase, GoCardlessEmulatorMixin


class CustomerSyncMixin:
    """Helpers shared by the sync tests (TransactionCase and HttpCase)."""

    def _partner(self, name, email=None, **vals):
        return self.env["res.partner"].create(dict({"name": name, "email": email}, **vals))

    def _gc_customer(self, email, **fields):
        fields.setdefault("given_name", "Given")
        fields.setdefault("family_name", "Family")
        return self.emulator.add_customer(email=email, **fields)

    def _sync(self, policy="skip", user=None):
        wizard = self.env["gocardless.customer.sync.wizard"]
        if user:
            wizard = wizard.with_user(user)
        wizard = wizard.create({"missing_policy": policy})
        action = wizard.action_sync()
        log = self.env["gocardless.sync.log"].browse(action["params"]["next"]["res_id"])
        return log, action

    def _links(self):
        return self.env["gocardless.customer"].search([("account_id", "=", self.account.id)])

    def _line(self, log, gocardless_id):
        return log.line_ids.filtered(lambda line: line.gocardless_id == gocardless_id)


@tagged("post_install", "-at_install")
class TestCustomerSyncMatching(CustomerSyncMixin, GoCardlessCase):
    def test_email_case_and_whitespace(self):
        partner = self._partner("Ada", "ada@example.com")
        customer = self._gc_customer("  Ada@Example.COM ")
        log, action = self._sync()
        self.assertEqual(log.state, "done")
        self.assertEqual((log.matched_count, log.created_count, log.skipped_count), (1, 0, 0))
        self.assertEqual(self._links().partner_id, partner)
        self.assertEqual(self._links().gocardless_id, customer["id"])
        line = self._line(log, customer["id"])
        self.assertEqual(
            (line.outcome, line.reason, line.partner_id), ("link", "email_match", partner)
        )
        self.assertEqual(
            action["params"]["message"],
            "1 GoCardless customer: 1 matched, 0 created, 0 skipped, 0 ambiguous.",
        )
        self.assertEqual((line.match_source, line.match_email), ("main", "ada@example.com"))

    def test_non_ascii_local_part_matches_as_odoo_normalises_it(self):
        """Odoo keeps the case of a non-ASCII local part; the sync used to lower-case it, so
        Jörg@example.com never matched and a duplicate contact was created."""
        partner = self._partner("Jörg", "Jörg@example.com")
        customer = self._gc_customer("Jörg@Example.com")
        partners_before = self.env["res.partner"].search_count([])
        log, _action = self._sync(policy="create")
        self.assertEqual((log.matched_count, log.created_count), (1, 0))
        self.assertEqual(self._line(log, customer["id"]).partner_id, partner)
        self.assertEqual(self.env["res.partner"].search_count([]), partners_before)

    def test_non_ascii_extra_email_matches(self):
        partner = self._partner(
            "Ünal", "office@ünal.example", extra_email_ids=[(0, 0, {"email": "Ünal@Ünal.example"})]
        )
        customer = self._gc_customer("Ünal@ÜNAL.example")
        log, _action = self._sync(policy="create")
        self.assertEqual((log.matched_count, log.created_count), (1, 0))
        self.assertEqual(self._line(log, customer["id"]).partner_id, partner)

    def test_email_only_in_extra_emails(self):
        partner = self._partner(
            "Accounts Co",
            "contact@accounts.example",
            is_company=True,
            extra_email_ids=[(0, 0, {"email": "billing@accounts.example"})],
        )
        customer = self._gc_customer("Billing@Accounts.example", company_name="Accounts Co")
        log, _action = self._sync()
        self.assertEqual(log.matched_count, 1)
        self.assertEqual(self._line(log, customer["id"]).partner_id, partner)

    def test_links_through_an_extra_email_are_marked(self):
        """Anyone who edits contacts may add an extra email: a Manager sees, in the preview
        and in the log, which links come from one (and which address)."""
        main = self._partner("Main Co", "main@example.com")
        extra = self._partner(
            "Extra Co",
            "office@extra.example",
            extra_email_ids=[(0, 0, {"email": "Payer@Example.com", "label": "Billing"})],
        )
        by_main = self._gc_customer("main@example.com")
        by_extra = self._gc_customer("payer@example.com")
        self._gc_customer("nobody@example.com")
        wizard = self.env["gocardless.customer.sync.wizard"].create({"missing_policy": "skip"})
        wizard.action_preview()
        self.assertEqual(wizard.extra_email_count, 1)
        lines = {line.gocardless_id: line for line in wizard.line_ids}
        self.assertEqual(
            (lines[by_extra["id"]].match_source, lines[by_extra["id"]].match_email),
            ("extra", "payer@example.com"),
        )
        self.assertEqual(lines[by_extra["id"]].reason, "extra_email_match")
        self.assertEqual(lines[by_extra["id"]].partner_id, extra)
        self.assertEqual(lines[by_main["id"]].match_source, "main")
        self.assertFalse(
            [line for line in wizard.line_ids if line.outcome == "skip" and line.match_source]
        )
        self.assertIn("1 of them is matched through an extra email", wizard.summary)
        log = self.env["gocardless.sync.log"].browse(
            wizard.action_sync()["params"]["next"]["res_id"]
        )
        self.assertEqual(log.extra_email_count, 1)
        self.assertEqual(
            (
                self._line(log, by_extra["id"]).match_source,
                self._line(log, by_extra["id"]).partner_id,
            ),
            ("extra", extra),
        )
        self.assertEqual(self._line(log, by_main["id"]).partner_id, main)
        self.assertEqual(
            self.env["gocardless.sync.log.line"]
            .search([("log_id", "=", log.id), ("match_source", "=", "extra")])
            .gocardless_id,
            by_extra["id"],
        )
        # the next run: already linked by ID, no longer a match by email
        log, action = self._sync()
        self.assertEqual(log.extra_email_count, 0)
        self.assertFalse(self._line(log, by_extra["id"]).match_source)

    def test_main_email_field_with_two_addresses(self):
        partner = self._partner("Two Mails", "first@two.example, Second@Two.example")
        customer = self._gc_customer("second@two.example")
        log, _action = self._sync()
        self.assertEqual(self._line(log, customer["id"]).partner_id, partner)

    def test_an_email_of_two_contacts_is_ambiguous(self):
        first = self._partner("First", "shared@example.com")
        second = self._partner("Second", "other@example.com")
        second.extra_email_ids = [(0, 0, {"email": "SHARED@example.com"})]
        customer = self._gc_customer("shared@example.com")
        log, action = self._sync(policy="create")
        self.assertEqual(log.ambiguous_count, 1)
        self.assertEqual(log.created_count, 0)
        self.assertFalse(self._links())
        line = self._line(log, customer["id"])
        self.assertEqual(line.outcome, "ambiguous")
        self.assertEqual(line.candidate_partner_ids, first | second)
        self.assertEqual(action["params"]["type"], "warning")

    def test_archived_match_is_reported_not_duplicated(self):
        archived = self._partner("Old", "old@example.com")
        archived.action_archive()
        customer = self._gc_customer("old@example.com")
        partners_before = self.env["res.partner"].with_context(active_test=False).search_count([])
        log, _action = self._sync(policy="create")
        self.assertEqual((log.skipped_count, log.created_count), (1, 0))
        line = self._line(log, customer["id"])
        self.assertEqual((line.outcome, line.reason), ("skip", "archived_match"))
        self.assertEqual(line.candidate_partner_ids, archived)
        self.assertEqual(
            self.env["res.partner"].with_context(active_test=False).search_count([]),
            partners_before,
        )

    def test_customer_without_email(self):
        customer = self.emulator.add_customer(company_name="No Mail Ltd")
        log, _action = self._sync(policy="skip")
        self.assertEqual(self._line(log, customer["id"]).reason, "no_email_skipped")
        log, _action = self._sync(policy="create")
        line = self._line(log, customer["id"])
        self.assertEqual((line.outcome, line.reason), ("create", "no_email_created"))
        self.assertEqual(line.partner_id.name, "No Mail Ltd")
        self.assertFalse(line.partner_id.email)

    def test_other_company_contacts_do_not_match(self):
        other_company = self.env["res.company"].create({"name": "Elsewhere Ltd"})
        self._partner("Elsewhere", "elsewhere@example.com", company_id=other_company.id)
        shared = self._partner("Shared", "shared-contact@example.com", company_id=False)
        self._gc_customer("elsewhere@example.com")
        customer = self._gc_customer("shared-contact@example.com")
        log, _action = self._sync(policy="skip")
        self.assertEqual((log.matched_count, log.skipped_count), (1, 1))
        self.assertEqual(self._line(log, customer["id"]).partner_id, shared)

    def test_linked_customer_is_updated_even_if_its_email_changed(self):
        partner = self._partner("Linked", "linked@example.com")
        customer = self._gc_customer("linked@example.com")
        self._sync()
        self.emulator.customers[customer["id"]]["email"] = "new-address@example.com"
        self.emulator.customers[customer["id"]]["family_name"] = "Renamed"
        log, _action = self._sync(policy="create")
        self.assertEqual((log.matched_count, log.created_count), (1, 0))
        link = self._links()
        self.assertEqual(len(link), 1)
        self.assertEqual(link.partner_id, partner)
        self.assertEqual(link.email, "new-address@example.com")
        self.assertEqual(link.family_name, "Renamed")
        self.assertEqual(self._line(log, customer["id"]).reason, "already_linked")


@tagged("post_install", "-at_install")
class TestCustomerSyncPolicies(CustomerSyncMixin, GoCardlessCase):
    def test_skip_policy_creates_nothing(self):
        self._gc_customer("nobody@example.com")
        partners_before = self.env["res.partner"].search_count([])
        log, _action = self._sync(policy="skip")
        self.assertEqual((log.skipped_count, log.created_count), (1, 0))
        self.assertEqual(self.env["res.partner"].search_count([]), partners_before)
        self.assertFalse(self._links())

    def test_create_policy_creates_companies_and_persons(self):
        self.env.ref("base.lang_fr").active = True
        company = self.emulator.add_customer(
            email="Office@Hamilton.example",
            company_name="Hamilton Trading Ltd.",
            given_name="Frank",
            family_name="Osborne",
            address_line1="221B Baker Street",
            address_line2="Marylebone",
            address_line3="City of Westminster",
            city="London",
            postal_code="NW1 6XE",
            country_code="GB",
            phone_number="+44 20 7946 0000",
            language="en",
        )
        person = self.emulator.add_customer(
            email="marie@example.fr",
            given_name="Marie",
            family_name="Curie",
            city="Paris",
            country_code="FR",
            language="fr",
        )
        log, _action = self._sync(policy="create")
        self.assertEqual((log.created_count, log.matched_count), (2, 0))
        new_company = self._line(log, company["id"]).partner_id
        self.assertTrue(new_company.is_company)
        self.assertEqual(new_company.name, "Hamilton Trading Ltd.")
        self.assertEqual(new_company.email, "Office@Hamilton.example")
        self.assertEqual(new_company.street, "221B Baker Street")
        self.assertEqual(new_company.street2, "Marylebone, City of Westminster")
        self.assertEqual(new_company.zip, "NW1 6XE")
        self.assertEqual(new_company.country_id, self.env.ref("base.uk"))
        self.assertEqual(new_company.phone, "+44 20 7946 0000")
        self.assertEqual(new_company.company_id, self.company)
        new_person = self._line(log, person["id"]).partner_id
        self.assertFalse(new_person.is_company)
        self.assertEqual(new_person.name, "Marie Curie")
        self.assertEqual(new_person.country_id, self.env.ref("base.fr"))
        self.assertEqual(new_person.lang, "fr_FR")
        self.assertEqual(self._links().partner_id, new_company | new_person)

    def test_two_new_customers_with_one_email_share_one_contact(self):
        first = self._gc_customer("twins@example.com")
        second = self._gc_customer("TWINS@example.com")
        log, action = self._sync(policy="create")
        self.assertEqual((log.created_count, log.new_partner_count), (2, 1))
        # "2 created", but only one new contact: the message says both
        self.assertIn("2 created (1 new contact)", action["params"]["message"])
        partner = self._line(log, first["id"]).partner_id
        self.assertEqual(self._line(log, second["id"]).partner_id, partner)
        self.assertEqual(self._line(log, second["id"]).reason, "same_email_as_new_customer")
        self.assertEqual(len(self._links()), 2)

    def test_field_mapping_on_create_and_on_update(self):
        ref_field = self.env.ref("base.field_res_partner__ref")
        comment_field = self.env.ref("base.field_res_partner__function")
        self.env["gocardless.field.mapping"].create(
            [
                {
                    "account_id": self.account.id,
                    "source": "metadata",
                    "metadata_key": "customer_number",
                    "partner_field_id": ref_field.id,
                    "update_existing": True,
                },
                {
                    "account_id": self.account.id,
                    "source": "field",
                    "customer_field": "family_name",
                    "partner_field_id": comment_field.id,
                },
            ]
        )
        matched = self._partner("Matched", "matched@example.com", function="Keep me")
        self._gc_customer("matched@example.com", metadata={"customer_number": "C-001"})
        new = self._gc_customer(
            "new@example.com", family_name="Newman", metadata={"customer_number": "C-002"}
        )
        log, _action = self._sync(policy="create")
        self.assertEqual(matched.ref, "C-001")
        self.assertEqual(matched.function, "Keep me")  # that mapping is for creation only
        created = self._line(log, new["id"]).partner_id
        self.assertEqual((created.ref, created.function), ("C-002", "Newman"))

    def test_mandates_in_every_status(self):
        partner = self._partner("Mandates", "mandates@example.com")
        customer = self._gc_customer("mandates@example.com")
        # the ten documented statuses (docs/gocardless_api.md), as the emulator knows them
        statuses = list(MANDATE_STATUSES)
        self.assertEqual(len(statuses), 10)
        for status in statuses:
            self.emulator.add_mandate(customer["id"], status=status)
        other = self._gc_customer("unmatched@example.com")
        self.emulator.add_mandate(other["id"], status="active")
        log, _action = self._sync(policy="skip")
        mandates = partner.gocardless_mandate_ids
        self.assertEqual(sorted(mandates.mapped("status")), sorted(statuses))
        self.assertEqual(
            set(mandates.filtered("is_usable").mapped("status")),
            {"pending_customer_approval", "pending_submission", "submitted", "active"},
        )
        self.assertEqual(log.mandate_count, 10)
        # the skipped customer's mandate is not stored
        self.assertEqual(
            self.env["gocardless.mandate"].search_count([("account_id", "=", self.account.id)]),
            10,
        )
        mandate = mandates.filtered(lambda m: m.status == "active")
        self.assertEqual(mandate.scheme, "bacs")
        self.assertEqual(mandate.currency_code, "GBP")
        self.assertTrue(mandate.next_possible_charge_date)

    def test_resync_refreshes_mandates_and_changes_nothing_else(self):
        self._partner("Again", "again@example.com")
        customer = self._gc_customer("again@example.com")
        mandate = self.emulator.add_mandate(customer["id"], status="pending_submission")
        first, _action = self._sync(policy="create")
        link = self._links()
        stamp = link.write_date, link.last_synced_at
        second, _action = self._sync(policy="create")
        self.assertEqual((second.matched_count, second.created_count), (1, 0))
        self.assertEqual(second.mandate_count, 0)
        self.assertEqual((link.write_date, link.last_synced_at), stamp)
        self.assertEqual(len(self._links()), 1)
        self.emulator.mandate_action(mandate["id"], "submitted")
        self.emulator.mandate_action(mandate["id"], "active")
        third, _action = self._sync(policy="create")
        self.assertEqual(third.mandate_count, 1)
        self.assertEqual(link.mandate_ids.status, "active")
        self.assertEqual(self.account.last_customer_sync_at, third.finished_at)

    def test_more_than_one_page_of_customers(self):
        self.emulator.seed_customers(1201, mandate_status="active")
        for n in (0, 600, 1200):
            self._partner(f"Seeded {n}", f"customer{n}@example.com")
        log, _action = self._sync(policy="skip")
        self.assertEqual(log.customer_count, 1201)
        self.assertEqual(len(log.line_ids), 1201)
        self.assertEqual((log.matched_count, log.skipped_count), (3, 1198))
        self.assertEqual(len(self._links().mandate_ids), 3)
        pages = [r for r in self.emulator.requests if r["path"] == "/customers"]
        self.assertEqual(len(pages), 3)

    def test_preview_changes_nothing(self):
        self._partner("Preview", "preview@example.com")
        self._gc_customer("preview@example.com")
        self._gc_customer("new-in-preview@example.com")
        self._gc_customer("ambiguous@example.com")
        self._partner("A1", "ambiguous@example.com")
        self._partner("A2", "ambiguous@example.com")
        partners_before = self.env["res.partner"].search_count([])
        logs_before = self.env["gocardless.sync.log"].search_count([])
        wizard = self.env["gocardless.customer.sync.wizard"].create({"missing_policy": "create"})
        action = wizard.action_preview()
        self.assertEqual(action["res_id"], wizard.id)
        # wide, and its cells wrap rather than cut IDs, names and emails (1440 px screens)
        self.assertEqual(action["context"], {"dialog_size": "extra-large"})
        for model in ("gocardless.customer.sync.wizard", "gocardless.sync.log"):
            form = etree.fromstring(
                self.env[model].get_views([(False, "form")])["views"]["form"]["arch"]
            )
            (lines,) = form.xpath("//field[@name='line_ids']/list")
            self.assertIn("o_gocardless_sync_lines", lines.get("class"))
        scss = file_open("gocardless_sync/static/src/scss/sync_lines.scss").read()
        self.assertIn(".o_gocardless_sync_lines", scss)
        self.assertIn("white-space: normal !important", scss)
        self.assertEqual(wizard.state, "preview")
        self.assertEqual(
            (
                wizard.customer_count,
                wizard.matched_count,
                wizard.created_count,
                wizard.skipped_count,
                wizard.ambiguous_count,
            ),
            (3, 1, 1, 0, 1),
        )
        self.assertEqual(len(wizard.line_ids), 3)
        self.assertEqual(len(wizard.line_ids.filtered("candidate_partner_ids")), 1)
        self.assertEqual(self.env["res.partner"].search_count([]), partners_before)
        self.assertEqual(self.env["gocardless.sync.log"].search_count([]), logs_before)
        self.assertFalse(self._links())
        # syncing from the preview gives the same counts
        log = self.env["gocardless.sync.log"].browse(
            wizard.action_sync()["params"]["next"]["res_id"]
        )
        self.assertEqual(
            (log.matched_count, log.created_count, log.skipped_count, log.ambiguous_count),
            (1, 1, 0, 1),
        )

    def test_only_managers_sync(self):
        self._gc_customer("someone@example.com")
        with self.assertRaises(AccessError):
            self._sync(user=self.gc_user)
        with self.assertRaises(AccessError):
            self._sync(user=self.gc_supervisor)
        log, _action = self._sync(user=self.gc_manager)
        self.assertEqual(log.state, "done")
        self.assertEqual(log.user_id, self.gc_manager)
        # a GoCardless User reads the history
        self.assertEqual(log.with_user(self.gc_user).customer_count, 1)


@tagged("post_install", "-at_install")
class TestCustomerSyncFaults(CustomerSyncMixin, GoCardlessEmulatorMixin, HttpCase):
    """Faults, concurrency and the scheduled action. An HttpCase, because it runs the
    registry in test mode: the failed run's log, written through its own cursor, then lands
    in this test's transaction instead of being committed to the database."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_gocardless()

    def _seed_two_pages(self):
        self.emulator.seed_customers(600, mandate_status="active")
        self._partner("Page one", "customer1@example.com")
        self._partner("Page two", "customer550@example.com")

    def _sync_expecting_error(self, policy="create", context=None):
        """Run the wizard's sync like a request would: the error reaches the caller; the run's
        own writes are undone by its savepoint or were never made."""
        wizard = (
            self.env["gocardless.customer.sync.wizard"]
            .with_context(**(context or {}))
            .create({"missing_policy": policy})
        )
        try:
            wizard.action_sync()
        except UserError as error:
            return str(error)
        self.fail("the sync should have failed")

    def _failed_logs(self):
        return self.env["gocardless.sync.log"].search(
            [("account_id", "=", self.account.id), ("state", "=", "failed")]
        )

    def _assert_fault_handled(self, kind, expected, times=1, context=None, **fault):
        self._seed_two_pages()
        partners_before = self.env["res.partner"].search_count([])
        self.emulator.inject_fault(
            kind, times=times, skip=1, method="GET", path="/customers", **fault
        )
        message = self._sync_expecting_error(context=context)
        self.assertIn(expected, message)
        self.assertFalse(self._links(), "nothing may be applied from a failed run")
        self.assertEqual(self.env["res.partner"].search_count([]), partners_before)
        failed = self._failed_logs()
        self.assertEqual(len(failed), 1)
        self.assertEqual(failed.error_message, message)
        self.assertFalse(failed.line_ids)
        self.assertFalse(self.account.last_customer_sync_at)
        # the same run again, once GoCardless is back: complete and without duplicates
        self.emulator.clear_faults()
        log, _action = self._sync(policy="create")
        self.assertEqual((log.matched_count, log.created_count), (2, 598))
        self.assertEqual(len(self._links()), 600)
        log, _action = self._sync(policy="create")
        self.assertEqual((log.matched_count, log.created_count), (600, 0))
        self.assertEqual(len(self._links()), 600)

    def test_json_500_on_page_two(self):
        self._assert_fault_handled("server_error", "unavailable right now", times=3)

    def test_html_502_on_page_two(self):
        self._assert_fault_handled("html_502", "unavailable right now", times=3)

    def test_rate_limit_on_page_two(self):
        # no waiting for the rate-limit window in a test: the user is told when to retry
        self._assert_fault_handled(
            "rate_limit", "retry after", context={"gocardless_max_rate_limit_wait": 0}
        )

    def test_unauthorized_on_page_two(self):
        self._assert_fault_handled("unauthorized", "refused the access token")

    def test_timeout_on_page_two(self):
        self.account.api_timeout = 0.3
        self._assert_fault_handled("timeout", "did not answer in time", times=3, delay=1)

    def test_dropped_connection_on_page_two(self):
        self._assert_fault_handled("drop", "could not reach GoCardless", times=3)

    def test_fault_while_reading_mandates(self):
        self._seed_two_pages()
        self.emulator.inject_fault("server_error", times=3, method="GET", path="/mandates")
        self.assertIn("unavailable right now", self._sync_expecting_error())
        self.assertFalse(self._links())
        self.assertEqual(len(self._failed_logs()), 1)

    def test_a_second_sync_while_one_runs_is_refused(self):
        self._gc_customer("busy@example.com")
        # another session (another worker running a sync) holds the account's lock
        other = db_connect(self.env.cr.dbname).cursor()
        try:
            other.execute("SELECT pg_advisory_lock(%s, %s)", [LOCK_CUSTOMER_SYNC, self.account.id])
            message = self._sync_expecting_error()
            self.assertIn("already running", message)
            self.assertFalse(self._links())
            requests_while_locked = len(self.emulator.requests)
        finally:
            other.execute("SELECT pg_advisory_unlock_all()")
            other.close()
        self.assertEqual(requests_while_locked, 0, "a refused sync must not call GoCardless")
        log, _action = self._sync()
        self.assertEqual(log.state, "done")

    def test_scheduled_action(self):
        self.account.sync_policy = "create"
        linked = self._partner("Cron linked", "cron@example.com")
        customer = self._gc_customer("cron@example.com")
        mandate = self.emulator.add_mandate(customer["id"], status="pending_submission")
        self._gc_customer("cron-new@example.com")
        cron = self.env.ref("gocardless_sync.ir_cron_gocardless_sync_customers")
        self.assertTrue(cron.active)
        cron.method_direct_trigger()
        log = self.env["gocardless.sync.log"].search(
            [("account_id", "=", self.account.id)], limit=1
        )
        self.assertEqual((log.trigger, log.policy, log.state), ("cron", "create", "done"))
        self.assertEqual((log.matched_count, log.created_count), (1, 1))
        self.assertEqual(linked.gocardless_mandate_ids.status, "pending_submission")
        # the next run refreshes the mandate statuses of linked customers
        self.emulator.mandate_action(mandate["id"], "cancelled")
        cron.method_direct_trigger()
        self.assertEqual(linked.gocardless_mandate_ids.status, "cancelled")
        self.assertFalse(linked.gocardless_mandate_ids.is_usable)

    def test_scheduled_action_logs_a_failing_account_and_goes_on(self):
        company_b = self.env["res.company"].create({"name": "Second GoCardless Co"})
        account_b = company_b._gocardless_account()
        # company B's token was revoked: its run fails, company A's still happens
        account_b.write({"access_token": "revoked-token", "api_base_url": self.emulator.base_url})
        self._gc_customer("both@example.com")
        self.env.ref("gocardless_sync.ir_cron_gocardless_sync_customers").method_direct_trigger()
        logs = self.env["gocardless.sync.log"].search(
            [("account_id", "in", (self.account | account_b).ids)]
        )
        failed = logs.filtered(lambda log: log.state == "failed")
        self.assertEqual(failed.account_id, account_b)
        self.assertEqual(failed.trigger, "cron")
        self.assertIn("refused the access token", failed.error_message)
        done = logs - failed
        self.assertEqual((done.account_id, done.customer_count), (self.account, 1))

import logging

from odoo import Command
from odoo.exceptions import AccessError
from odoo.modules.neutralize import get_neutralization_queries
from odoo.tests import HttpCase, tagged
from odoo.tests.common import JsonRpcException

from .common import EMULATOR_TOKEN, OPERATIONS, GoCardlessCase, GoCardlessEmulatorMixin

# group -> model -> the operations it may perform (anything else is refused)
EXPECTED_ACCESS = {
    "user": {
        "gocardless.account": {"read"},
        "gocardless.customer": {"read"},
        "gocardless.mandate": {"read"},
        "res.partner.email": {"read"},
    },
    "supervisor": {
        "gocardless.account": {"read"},
        # only reads links (its push makes its own link inside the push); writes a mandate
        # only to remove it (guarded in write)
        "gocardless.customer": {"read"},
        "gocardless.mandate": {"read", "write"},
        "res.partner.email": {"read"},
    },
    "manager": {
        "gocardless.account": {"read", "write"},
        "gocardless.customer": {"read", "write", "create", "unlink"},
        "gocardless.mandate": {"read", "write", "create", "unlink"},
        "res.partner.email": {"read"},
    },
    "internal_user": {
        "gocardless.account": set(),
        "gocardless.customer": set(),
        "gocardless.mandate": set(),
        "res.partner.email": {"read"},
    },
    "contact_creator": {
        "gocardless.account": set(),
        "gocardless.customer": set(),
        "gocardless.mandate": set(),
        "res.partner.email": set(OPERATIONS),
    },
}


@tagged("post_install", "-at_install")
class TestAccessMatrix(GoCardlessCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.users = {
            "user": cls.gc_user,
            "supervisor": cls.gc_supervisor,
            "manager": cls.gc_manager,
            "internal_user": cls._new_user("plain_user", "base.group_user"),
            "contact_creator": cls._new_user(
                "contact_creator", "base.group_user,base.group_partner_manager"
            ),
        }
        cls.partner = cls.env["res.partner"].create({"name": "Matrix", "email": "m@example.com"})

    def test_access_rights_matrix(self):
        self._assert_access_matrix(self.users, EXPECTED_ACCESS)

    def test_matrix_holds_for_real_operations(self):
        """The ACLs above, exercised: create, write and unlink as each GoCardless group."""
        customer_vals = {
            "account_id": self.account.id,
            "partner_id": self.partner.id,
            "gocardless_id": "CU_MATRIX",
        }
        Customer = self.env["gocardless.customer"]
        for user in (self.gc_user, self.gc_supervisor):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                Customer.with_user(user).create(customer_vals)
        customer = Customer.with_user(self.gc_manager).create(customer_vals)
        with self.assertRaises(AccessError):
            customer.with_user(self.gc_supervisor).write({"email": "m@example.com"})
        with self.assertRaises(AccessError):
            customer.with_user(self.gc_supervisor).unlink()
        customer.with_user(self.gc_manager).write({"email": "m@example.com"})
        customer.with_user(self.gc_manager).unlink()
        self.assertFalse(customer.exists())
        with self.assertRaises(AccessError):
            self.account.with_user(self.gc_supervisor).write({"sync_policy": "create"})
        self.account.with_user(self.gc_manager).write({"sync_policy": "create"})
        self.assertEqual(self.account.sync_policy, "create")

    def test_plain_users_read_and_export_contacts(self):
        """A user without GoCardless rights reads every GoCardless field of a linked contact
        that is offered to them (as an export or an RPC read would): the links, mandates and
        payments are simply not offered."""
        self._link_customer(self.partner, gocardless_id="CU_PLAIN")
        plain = self.users["contact_creator"]
        offered = self.env["res.partner"].with_user(plain).fields_get()
        ours = [name for name in offered if name.startswith(("gocardless", "extra_email"))]
        self.assertEqual(sorted(ours), ["extra_email_ids", "gocardless_sync_decision"])
        values = self.partner.with_user(plain).read(["name", *ours])[0]
        self.assertEqual(values["name"], "Matrix")
        # a GoCardless user sees the link
        self.assertEqual(
            self.partner.with_user(self.gc_user).gocardless_customer_ids.gocardless_id, "CU_PLAIN"
        )

    def test_supervisors_only_remove_mandates(self):
        """A Supervisor cannot re-point a mandate (to debit another contact) nor revive it."""
        other = self.env["res.partner"].create({"name": "Other contact"})
        customer = self._link_customer(self.partner, gocardless_id="CU_SUP")
        other_customer = self._link_customer(other, gocardless_id="CU_OTHER")
        mandate = self.env["gocardless.mandate"].create(
            {"customer_id": customer.id, "gocardless_id": "MD_SUP", "status": "cancelled"}
        )
        # removing writes a note on the contact: a Supervisor who may edit contacts
        supervisor = self._new_user(
            "gc_contact_supervisor",
            "base.group_user,base.group_partner_manager,"
            "gocardless_sync.group_gocardless_supervisor",
        )
        as_supervisor = mandate.with_user(supervisor)
        for vals in (
            {"customer_id": other_customer.id},
            {"status": "active"},
            {"next_possible_charge_date": "2030-01-01"},
        ):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                as_supervisor.write(vals)
        as_supervisor.action_gocardless_remove()
        self.assertFalse(mandate.active)
        with self.assertRaises(AccessError):
            as_supervisor.write({"active": True})
        mandate.with_user(self.gc_manager).write({"active": True})
        self.assertEqual((mandate.customer_id, mandate.status), (customer, "cancelled"))

    def test_only_system_administrators_change_the_connection(self):
        with self.assertRaises(AccessError):
            self.account.with_user(self.gc_manager).write({"environment": "live"})
        with self.assertRaises(AccessError):
            self.account.with_user(self.gc_manager).write({"api_base_url": "https://evil.example"})
        with self.assertRaises(AccessError):
            self.account.with_user(self.gc_manager).write({"access_token": "stolen"})
        self.assertEqual(self.account.environment, "sandbox")

    def test_administrators_create_companies_with_their_account(self):
        """Not as superuser: the administrator (and the Access Rights group) may create
        companies; their GoCardless account comes along, empty."""
        admin = self.env.ref("base.user_admin")
        company = (
            self.env["res.company"]
            .with_user(admin)
            .with_context(allowed_company_ids=admin.company_ids.ids)
            .create({"name": "Created by the administrator"})
        )
        erp_manager = self._new_user(
            "gc_erp_manager", "base.group_user,base.group_erp_manager,base.group_partner_manager"
        )
        company_2 = (
            self.env["res.company"].with_user(erp_manager).create({"name": "By ERP manager"})
        )
        for new_company in (company, company_2):
            account = new_company.sudo()._gocardless_account()
            self.assertTrue(account)
            self.assertFalse(account.has_access_token)

    def test_accounting_administrators_are_gocardless_managers(self):
        accountant = self._new_user("gc_accountant", "account.group_account_manager")
        self.assertTrue(accountant.has_group("gocardless_sync.group_gocardless_manager"))
        self.assertTrue(accountant.has_group("gocardless_sync.group_gocardless_user"))

    def test_manager_cannot_read_secrets_through_the_orm(self):
        self.account.webhook_secret = "whsec-test"
        account = self.account.with_user(self.gc_manager)
        for field in ("access_token", "webhook_secret", "api_base_url"):
            with self.subTest(field=field):
                with self.assertRaises(AccessError):
                    account.read([field])
                with self.assertRaises(AccessError):
                    account.search_read([], [field])
                with self.assertRaises(AccessError):
                    account.search([(field, "=", EMULATOR_TOKEN)])
                self.assertNotIn(field, account.fields_get())
        # what the manager may know: whether they are set
        self.assertTrue(account.has_access_token)
        self.assertTrue(account.has_webhook_secret)
        exporter = self._new_user(
            "gc_exporter",
            "base.group_user,base.group_allow_export,gocardless_sync.group_gocardless_manager",
        )
        with self.assertRaises(AccessError):
            self.account.with_user(exporter).export_data(["access_token"])

    def test_secrets_never_reach_logs_or_chatter(self):
        self.account.access_token = "secret-token-that-must-not-leak"
        with self.assertLogs("odoo.addons.gocardless_sync", level=logging.DEBUG) as logs:
            logging.getLogger("odoo.addons.gocardless_sync").debug("marker")
            with self.assertRaises(Exception) as caught:
                self.account.action_test_connection()
        self.assertNotIn("secret-token-that-must-not-leak", str(caught.exception))
        self.assertFalse([line for line in logs.output if "must-not-leak" in line])
        messages = self.env["mail.message"].search(
            [("model", "=", "gocardless.account"), ("res_id", "=", self.account.id)]
        )
        tracked = messages.tracking_value_ids
        self.assertFalse([v for v in tracked.mapped("old_value_char") if v and "leak" in v])
        self.assertFalse([v for v in tracked.mapped("new_value_char") if v and "leak" in v])
        self.assertFalse([b for b in messages.mapped("body") if b and "leak" in b])

    def test_neutralize_wipes_the_secrets(self):
        self.account.webhook_secret = "whsec-prod"
        queries = list(get_neutralization_queries(["gocardless_sync"]))
        self.assertEqual(len(queries), 1)
        self.env.flush_all()
        for query in queries:
            self.env.cr.execute(query)
        self.env.invalidate_all()
        self.assertFalse(self.account.access_token)
        self.assertFalse(self.account.webhook_secret)
        self.assertFalse(self.account.has_access_token)
        self.assertFalse(self.account.has_webhook_secret)
        self.assertEqual(self.account.connection_state, "unknown")


CONTACTS = "base.group_user,base.group_partner_manager"


@tagged("post_install", "-at_install")
class TestOnlyManagersLink(GoCardlessCase):
    """Who may create, re-point or delete integration records and mandates: Managers only.
    Every write path, as each GoCardless group (all of them may edit contacts, so that only
    the GoCardless rights decide): otherwise a Supervisor could link any contact to any
    GoCardless customer, and the next export would collect its debt from that payer's bank."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.users = {
            group: cls._new_user(
                f"gc_link_{group}", f"{CONTACTS},gocardless_sync.group_gocardless_{group}"
            )
            for group in ("user", "supervisor", "manager")
        }
        Partner = cls.env["res.partner"]
        cls.debtor = Partner.create({"name": "Debtor", "email": "debtor@example.com"})
        cls.payer = Partner.create({"name": "Payer", "email": "payer@example.com"})
        cls.payer_link = cls.env["gocardless.customer"].create(
            {"account_id": cls.account.id, "partner_id": cls.payer.id, "gocardless_id": "CU_PAYER"}
        )
        cls.payer_mandate = cls.env["gocardless.mandate"].create(
            {"customer_id": cls.payer_link.id, "gocardless_id": "MD_PAYER", "status": "active"}
        )
        cls.debtor_link = cls.env["gocardless.customer"].create(
            {
                "account_id": cls.account.id,
                "partner_id": cls.debtor.id,
                "gocardless_id": "CU_DEBTOR",
            }
        )

    def _write_paths(self, user):
        """(name, callable) of every way to create, re-point or delete a link or a mandate."""
        Customer = self.env["gocardless.customer"].with_user(user)
        Mandate = self.env["gocardless.mandate"].with_user(user)
        payer_link = self.payer_link.with_user(user)
        payer_mandate = self.payer_mandate.with_user(user)
        debtor = self.debtor.with_user(user)
        new_link = {
            "account_id": self.account.id,
            "partner_id": self.debtor.id,
            "gocardless_id": "CU_UNLINKED",
        }
        return [
            ("customer create", lambda: Customer.create(new_link)),
            ("customer write partner_id", lambda: payer_link.write({"partner_id": self.debtor.id})),
            ("customer write gocardless_id", lambda: payer_link.write({"gocardless_id": "CU_X"})),
            ("customer unlink", lambda: payer_link.unlink()),
            (
                "customer through the contact",
                lambda: debtor.write({"gocardless_customer_ids": [Command.create(new_link)]}),
            ),
            (
                "customer moved through the contact",
                lambda: debtor.write(
                    {"gocardless_customer_ids": [Command.link(self.payer_link.id)]}
                ),
            ),
            (
                "mandate create",
                lambda: Mandate.create(
                    {
                        "customer_id": self.debtor_link.id,
                        "gocardless_id": "MD_NEW",
                        "status": "active",
                    }
                ),
            ),
            (
                "mandate write customer_id",
                lambda: payer_mandate.write({"customer_id": self.debtor_link.id}),
            ),
            ("mandate write gocardless_id", lambda: payer_mandate.write({"gocardless_id": "MD_X"})),
            ("mandate unlink", lambda: payer_mandate.unlink()),
            (
                "mandate moved through the contact",
                lambda: debtor.write(
                    {"gocardless_mandate_ids": [Command.link(self.payer_mandate.id)]}
                ),
            ),
        ]

    def _assert_unchanged(self):
        self.assertEqual(self.payer_link.exists().partner_id, self.payer)
        self.assertEqual(self.payer_link.gocardless_id, "CU_PAYER")
        self.assertEqual(self.payer_mandate.exists().customer_id, self.payer_link)
        self.assertEqual(self.payer_mandate.partner_id, self.payer)
        self.assertEqual(self.payer_mandate.gocardless_id, "MD_PAYER")
        self.assertEqual(self.debtor.gocardless_customer_ids, self.debtor_link)
        self.assertFalse(self.debtor_link.mandate_ids)

    def test_users_and_supervisors_never_link(self):
        for group in ("user", "supervisor"):
            for name, path in self._write_paths(self.users[group]):
                with self.subTest(group=group, path=name), self.env.cr.savepoint() as sp:
                    with self.assertRaises(AccessError):
                        path()
                    self.env.invalidate_all()
                    self._assert_unchanged()
                    sp.rollback()  # each path alone, whatever the previous one did
                    self.env.invalidate_all()

    def test_users_and_supervisors_never_import_links(self):
        rows = {
            "gocardless.customer": (
                ["account_id/.id", "partner_id/.id", "gocardless_id"],
                [[str(self.account.id), str(self.debtor.id), "CU_IMPORTED"]],
            ),
            "gocardless.mandate": (
                ["customer_id/.id", "gocardless_id", "status"],
                [[str(self.debtor_link.id), "MD_IMPORTED", "active"]],
            ),
            # an import that updates existing records: re-points them
            "gocardless.customer ": (
                ["id", "partner_id/.id"],
                [[self._xmlid(self.payer_link), str(self.debtor.id)]],
            ),
            "gocardless.mandate ": (
                ["id", "customer_id/.id"],
                [[self._xmlid(self.payer_mandate), str(self.debtor_link.id)]],
            ),
        }
        for group in ("user", "supervisor", "manager"):
            for model, (fields, data) in rows.items():
                with self.subTest(group=group, model=model), self.env.cr.savepoint() as sp:
                    result = self.env[model.strip()].with_user(self.users[group]).load(fields, data)
                    if group == "manager":
                        self.assertTrue(result["ids"], result["messages"])
                    else:
                        self.assertFalse(result["ids"])
                        self.assertEqual(
                            [message["type"] for message in result["messages"]], ["error"]
                        )
                        self.env.invalidate_all()
                        self._assert_unchanged()
                    sp.rollback()
                    self.env.invalidate_all()
        self.assertFalse(
            self.env["gocardless.customer"].search([("gocardless_id", "=", "CU_IMPORTED")])
        )

    def _xmlid(self, record):
        return record.export_data(["id"])["datas"][0][0]

    def test_managers_link_by_every_path(self):
        manager = self.users["manager"]
        for name, path in self._write_paths(manager):
            with self.subTest(path=name), self.env.cr.savepoint() as sp:
                path()
                sp.rollback()
                self.env.invalidate_all()
        self._assert_unchanged()
        # and for real
        self.payer_mandate.with_user(manager).write({"customer_id": self.debtor_link.id})
        self.assertEqual(self.payer_mandate.partner_id, self.debtor)


@tagged("post_install", "-at_install")
class TestMultiCompany(GoCardlessCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.env["res.company"].create({"name": "GoCardless Company B"})
        cls.account_b = cls.company_b._gocardless_account()
        cls.account_b.access_token = "token-of-company-b"
        partner_a = cls.env["res.partner"].create(
            {"name": "A's customer", "company_id": cls.company.id}
        )
        partner_b = cls.env["res.partner"].create(
            {"name": "B's customer", "company_id": cls.company_b.id}
        )
        cls.customer_a = cls.env["gocardless.customer"].create(
            {"account_id": cls.account.id, "partner_id": partner_a.id, "gocardless_id": "CU_A"}
        )
        cls.mandate_a = cls.env["gocardless.mandate"].create(
            {"customer_id": cls.customer_a.id, "gocardless_id": "MD_A", "status": "active"}
        )
        customer_b = cls.env["gocardless.customer"].create(
            {"account_id": cls.account_b.id, "partner_id": partner_b.id, "gocardless_id": "CU_A"}
        )
        cls.mandate_b = cls.env["gocardless.mandate"].create(
            {"customer_id": customer_b.id, "gocardless_id": "MD_A", "status": "active"}
        )
        cls.manager_b = cls._new_user(
            "gc_manager_b",
            "base.group_user,gocardless_sync.group_gocardless_manager",
            company=cls.company_b,
        )

    def test_same_gocardless_ids_in_two_companies(self):
        # IDs are unique per company, not across companies
        self.assertEqual(self.mandate_b.company_id, self.company_b)
        self.assertEqual(self.mandate_a.company_id, self.company)

    def test_company_b_never_sees_company_a(self):
        env_b = self.env(user=self.manager_b)
        self.assertEqual(env_b["gocardless.account"].search([]), self.account_b)
        self.assertEqual(env_b["gocardless.customer"].search([]).company_id, self.company_b)
        self.assertEqual(env_b["gocardless.mandate"].search([]), self.mandate_b)
        for record in (self.account, self.customer_a, self.mandate_a):
            with self.subTest(model=record._name), self.assertRaises(AccessError):
                record.with_user(self.manager_b).read(["display_name"])
        with self.assertRaises(AccessError):
            self.account.with_user(self.manager_b).write({"sync_policy": "create"})

    def test_overview_opens_the_current_company_account(self):
        action = self.env["gocardless.account"].with_user(self.manager_b).action_open_overview()
        self.assertEqual(action["res_id"], self.account_b.id)

    def test_a_link_needs_a_partner_of_the_same_company(self):
        partner_b = self.env["res.partner"].create(
            {"name": "Only B", "company_id": self.company_b.id}
        )
        with self.assertRaises(Exception):  # noqa: B017 - check_company's UserError
            self.env["gocardless.customer"].create(
                {"account_id": self.account.id, "partner_id": partner_b.id, "gocardless_id": "X"}
            )


@tagged("post_install", "-at_install")
class TestSecretsOverRpc(GoCardlessEmulatorMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_gocardless()
        cls.manager = cls._new_user(
            "gc_rpc_manager",
            "base.group_user,gocardless_sync.group_gocardless_manager",
            password="gc_rpc_manager_pw",
        )

    def _call_kw(self, model, method, args, kwargs=None):
        return self.make_jsonrpc_request(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": args, "kwargs": kwargs or {}},
        )

    def test_manager_cannot_read_the_token_over_rpc(self):
        self.authenticate("gc_rpc_manager", "gc_rpc_manager_pw")
        for field in ("access_token", "webhook_secret"):
            with self.subTest(field=field), self.assertRaises(JsonRpcException) as caught:
                self._call_kw("gocardless.account", "read", [self.account.ids, [field]])
            self.assertEqual(str(caught.exception), "odoo.exceptions.AccessError")
        # the form the manager opens does not carry the token either
        result = self._call_kw(
            "gocardless.account",
            "web_read",
            [self.account.ids],
            {"specification": {"display_name": {}, "has_access_token": {}}},
        )
        self.assertEqual(result[0]["has_access_token"], True)
        self.assertNotIn(EMULATOR_TOKEN, str(result))
        views = self._call_kw("gocardless.account", "get_views", [], {"views": [[False, "form"]]})
        form_fields = views["models"]["gocardless.account"]["fields"]
        self.assertNotIn("access_token", form_fields)
        self.assertNotIn("webhook_secret", form_fields)

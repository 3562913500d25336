from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import OPERATIONS
from .payment_common import GoCardlessPaymentCase

EXPORT_MODELS = ("gocardless.export", "gocardless.export.line", "gocardless.export.skip")

# group -> model -> the operations it may perform (anything else is refused)
EXPECTED_ACCESS = {
    "user": {
        **{model: {"read"} for model in EXPORT_MODELS},
        "gocardless.payment": {"read"},
    },
    "supervisor": {
        **{model: {"read"} for model in EXPORT_MODELS},
        "gocardless.payment": {"read"},
    },
    "manager": {
        **{model: set(OPERATIONS) for model in EXPORT_MODELS},
        "gocardless.payment": {"read", "write", "create"},
    },
    "internal_user": {
        **{model: set() for model in EXPORT_MODELS},
        "gocardless.payment": set(),
    },
}


@tagged("post_install", "-at_install")
class TestPaymentAccess(GoCardlessPaymentCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.users = {
            "user": cls.gc_user,
            "supervisor": cls.gc_supervisor,
            "manager": cls.gc_manager,
            "internal_user": cls._new_user("plain_payments_user", "base.group_user"),
        }

    def setUp(self):
        super().setUp()
        self.partner = self._partner("Access", email="access@example.com")
        self._invoice(self.partner, 25.0, self.gbp)
        self._mandate(self.partner)

    def test_access_rights_matrix(self):
        self._assert_access_matrix(self.users, EXPECTED_ACCESS)

    def test_who_exports_records_and_collects(self):
        for user in (self.gc_user, self.gc_supervisor, self.users["internal_user"]):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.partner.with_user(user).action_gocardless_export_balances()
        # a GoCardless Manager without the Invoicing right cannot read receivables
        with self.assertRaises(AccessError) as caught:
            self.partner.with_user(self.gc_manager).action_gocardless_export_balances()
        self.assertIn("Invoicing", str(caught.exception))
        batch = self._export(self.partner)  # GoCardless Manager + Invoicing
        # GoCardless users and supervisors read batches, lines and payments, change nothing
        for user in (self.gc_user, self.gc_supervisor):
            with self.subTest(user=user.login):
                as_user = batch.with_user(user)
                self.assertEqual(as_user.line_ids.reference, batch.line_ids.reference)
                self.assertTrue(as_user.action_download_csv()["url"])
                for action in (
                    "action_record_payments",
                    "action_collect",
                    "action_refresh_from_gocardless",
                ):
                    with self.assertRaises(AccessError):
                        getattr(as_user, action)()
                with self.assertRaises(AccessError):
                    as_user.charge_date = "2025-03-20"
        self.assertFalse(batch.line_ids.payment_id)
        self.assertFalse(self.emulator.payments)
        batch.with_user(self.gc_accountant).action_collect()
        gc_payment = batch.line_ids.gocardless_payment_id
        self.assertEqual(gc_payment.with_user(self.gc_user).status, "pending_submission")
        with self.assertRaises(AccessError):
            gc_payment.with_user(self.gc_user)._gocardless_apply_status("failed")
        with self.assertRaises(AccessError):
            gc_payment.with_user(self.gc_user).action_refresh()

    def test_reversing_an_odoo_payment_needs_invoicing_rights(self):
        batch = self._export(self.partner)
        batch.with_user(self.gc_accountant).action_record_payments()
        batch.with_user(self.gc_accountant).action_collect()
        gc_payment = batch.line_ids.gocardless_payment_id
        with self.assertRaises(AccessError) as caught:
            gc_payment.with_user(self.gc_manager)._gocardless_apply_status("failed")
        self.assertIn("Invoicing rights", str(caught.exception))
        self.assertEqual(gc_payment.status, "pending_submission")  # nothing applied
        gc_payment.with_user(self.gc_accountant)._gocardless_apply_status("failed")
        self.assertEqual(gc_payment.booking_state, "reversed")

    def test_other_company_data_is_invisible(self):
        batch = self._export(self.partner)
        batch.with_user(self.gc_accountant).action_collect()
        other_company = self.env["res.company"].create({"name": "Other GoCardless Co"})
        other_user = self._new_user(
            "gc_other_company",
            "base.group_user,gocardless_sync.group_gocardless_manager,"
            "account.group_account_invoice",
            company=other_company,
        )
        Export = self.env["gocardless.export"].with_user(other_user)
        self.assertFalse(Export.search([]))
        self.assertFalse(self.env["gocardless.export.line"].with_user(other_user).search([]))
        self.assertFalse(self.env["gocardless.payment"].with_user(other_user).search([]))
        with self.assertRaises(AccessError):
            batch.with_user(other_user).read(["name"])
        # with both companies allowed, and the other one current, the batch is readable
        other_user.company_ids = [Command.link(self.company.id)]
        self.assertEqual(
            Export.with_context(allowed_company_ids=[other_company.id, self.company.id]).search(
                [("id", "=", batch.id)]
            ),
            batch,
        )

    def test_views_open_for_every_group(self):
        batch = self._export(self.partner)
        for user in (self.gc_user, self.gc_manager, self.gc_accountant):
            for model in ("gocardless.export", "gocardless.payment"):
                with self.subTest(user=user.login, model=model):
                    views = (
                        self.env[model]
                        .with_user(user)
                        .get_views([(False, "list"), (False, "form"), (False, "search")])
                    )
                    self.assertIn("form", views["views"])
            with self.subTest(user=user.login, model="res.partner"):
                arch = (
                    self.env["res.partner"]
                    .with_user(user)
                    .get_views([(False, "form")])["views"]["form"]["arch"]
                )
                self.assertIn("gocardless_payment_ids", arch)
        self.assertTrue(batch.with_user(self.gc_user).totals)

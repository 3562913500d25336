from odoo.tests import HttpCase, tagged

from .common import GoCardlessEmulatorMixin

# long, as a real public address may be: the webhook URL in Settings must still show whole
LONG_BASE_URL = "https://direct-debit.accounts-department.example-company-holdings.co.uk"


class ScreensMixin(GoCardlessEmulatorMixin):
    """The data the screens tour reads: a tested connection, no customer sync yet, and a
    contact with an active and a pending mandate."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_gocardless()
        icp = cls.env["ir.config_parameter"].sudo()
        icp.set_param("web.base.url", LONG_BASE_URL)
        icp.set_param("web.base.url.freeze", True)  # logging in must not overwrite it

    def setUp(self):
        super().setUp()
        self.account.action_test_connection()
        self.partner = self.env["res.partner"].create(
            {"name": "Screen Customer", "email": "screen@example.com"}
        )
        customer = self.emulator.add_customer(email="screen@example.com", company_name="Screen")
        link = self.env["gocardless.customer"].create(
            {
                "account_id": self.account.id,
                "partner_id": self.partner.id,
                "gocardless_id": customer["id"],
            }
        )
        # IDs and references as long as GoCardless's usual ones (14 and 16 characters)
        mandates = []
        for status, mandate_id, reference in (
            ("active", "MD00SCREENACT1", "SCREENLTD-9KTMR3"),
            ("pending_submission", "MD00SCREENPND1", "SCREENLTD-4XQW7P"),
        ):
            data = dict(self.emulator.add_mandate(customer["id"], status=status), id=mandate_id)
            data["reference"] = reference
            mandates.append(data)
        self.env["gocardless.mandate"]._gocardless_store(self.account, mandates, link)

    def test_screens(self):
        self.assertFalse(self.account.last_customer_sync_at)
        self.assertEqual(self.account.connection_state, "ok")
        self.assertEqual(len(self.partner.gocardless_mandate_ids), 2)
        self.assertTrue(self.account.webhook_url.startswith(LONG_BASE_URL))
        self.start_tour(
            f"/odoo/contacts/{self.partner.id}", "gocardless_sync_screens", login="admin"
        )
        # looking at the screens (Settings included) changed nothing
        self.assertEqual(self.account.connection_state, "ok")


@tagged("post_install", "-at_install")
class TestScreensAt1440(ScreensMixin, HttpCase):
    browser_size = "1440x900"


@tagged("post_install", "-at_install")
class TestScreensAt1024(ScreensMixin, HttpCase):
    browser_size = "1024x768"

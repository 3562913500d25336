import socket

from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged

from ..services.api import GoCardlessAPI, GoCardlessError
from .common import EMULATOR_TOKEN, GoCardlessCase


def _closed_port_url():
    """A local URL where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@tagged("post_install", "-at_install")
class TestAccountConnection(GoCardlessCase):
    def test_every_company_has_one_account(self):
        self.assertEqual(len(self.account), 1)
        other = self.env["res.company"].create({"name": "GoCardless Second Co"})
        accounts = self.env["gocardless.account"].search([("company_id", "=", other.id)])
        self.assertEqual(len(accounts), 1)
        self.assertEqual(accounts.environment, "sandbox")
        self.assertEqual(other._gocardless_ensure_account(), accounts)

    def test_test_connection_shows_the_creditor(self):
        action = self.account.action_test_connection()
        creditor = self.emulator.creditor
        self.assertEqual(action["params"]["type"], "success")
        self.assertIn(creditor["name"], action["params"]["message"])
        self.assertEqual(self.account.connection_state, "ok")
        self.assertEqual(self.account.creditor_name, creditor["name"])
        self.assertEqual(self.account.creditor_gocardless_id, creditor["id"])
        self.assertTrue(self.account.connection_checked_at)
        # the request really went to the emulator, with the token as a bearer
        request = self.emulator.requests[-1]
        self.assertEqual(request["path"], "/creditors")
        self.assertEqual(request["headers"].get("Authorization"), f"Bearer {EMULATOR_TOKEN}")

    def test_changing_the_token_resets_the_connection_state(self):
        self.account.action_test_connection()
        self.assertEqual(self.account.connection_state, "ok")
        self.account.access_token = "another-token"
        self.assertEqual(self.account.connection_state, "unknown")

    def test_writing_the_same_settings_keeps_the_connection_state(self):
        self.account.action_test_connection()
        self.account.write(
            {
                "access_token": self.account.access_token,
                "environment": self.account.environment,
                "api_base_url": self.account.api_base_url,
            }
        )
        self.assertEqual(self.account.connection_state, "ok")
        # an empty URL written as "" is the same as no URL (False)
        self.account.write({"api_base_url": False})
        self.account.write({"connection_state": "ok"})
        self.account.api_base_url = ""
        self.assertEqual(self.account.connection_state, "ok")

    def test_saving_settings_unchanged_keeps_the_connection_state(self):
        """Saving Settings (also through its "Open GoCardless" button, which saves first)
        sends every field again, as the web client does: nothing changed, nothing reset."""
        self.account.action_test_connection()
        Form(self.env["res.config.settings"]).save().execute()
        self.assertEqual(self.account.connection_state, "ok")
        settings = Form(self.env["res.config.settings"]).save()
        action = settings.action_gocardless_open_account()
        self.assertEqual(
            (action["res_model"], action["res_id"]), (self.account._name, self.account.id)
        )
        self.assertEqual(self.account.connection_state, "ok")
        self.assertTrue(self.account.creditor_name)

    def test_changing_the_connection_in_settings_resets_the_state(self):
        changes = {
            "gocardless_access_token": "another-token",
            "gocardless_environment": "live",
            "gocardless_api_base_url": "http://127.0.0.1:1",
        }
        for field, value in changes.items():
            with self.subTest(field=field):
                self.account.action_test_connection()
                self.assertEqual(self.account.connection_state, "ok")
                with Form(self.env["res.config.settings"]) as settings:
                    setattr(settings, field, value)
                self.assertEqual(self.account.connection_state, "unknown")
                # back to the emulator for the next round
                self.account.write(
                    {
                        "access_token": EMULATOR_TOKEN,
                        "environment": "sandbox",
                        "api_base_url": self.emulator.base_url,
                    }
                )

    def test_wrong_token_is_a_clear_user_error(self):
        self.account.access_token = "definitely-wrong-token"
        with self.assertRaises(UserError) as caught:
            self.account.action_test_connection()
        message = str(caught.exception)
        self.assertIn("refused the access token", message)
        self.assertIn("Settings > GoCardless", message)
        self.assertNotIn("definitely-wrong-token", message)
        self.assertNotEqual(self.account.connection_state, "ok")

    def test_missing_token_is_a_clear_user_error(self):
        self.account.access_token = False
        with self.assertRaisesRegex(UserError, "no access token"):
            self.account.action_test_connection()

    def test_unreachable_api_is_a_clear_user_error(self):
        self.account.api_base_url = _closed_port_url()
        with self.assertRaisesRegex(UserError, "could not reach GoCardless"):
            self.account.action_test_connection()

    def test_gocardless_unavailable(self):
        # an HTML 502 from the edge proxy, on every one of the client's 3 attempts
        self.emulator.inject_fault("html_502", times=3)
        with self.assertRaisesRegex(UserError, "unavailable right now"):
            self.account.action_test_connection()

    def test_json_500_once_is_retried(self):
        self.emulator.inject_fault("server_error", times=1)
        action = self.account.action_test_connection()
        self.assertEqual(action["params"]["type"], "success")
        self.assertEqual(
            [r["status"] for r in self.emulator.requests if r["path"] == "/creditors"],
            [500, 200],
        )

    def test_rate_limited(self):
        self.emulator.inject_fault("rate_limit", times=5)
        account = self.account.with_context(gocardless_max_rate_limit_wait=0)
        with self.assertRaisesRegex(UserError, r"rate limit is reached.*retry after \d+ seconds"):
            account.action_test_connection()

    def test_timeout(self):
        self.account.api_timeout = 0.3
        self.emulator.inject_fault("timeout", times=3, delay=1)
        with self.assertRaisesRegex(UserError, "did not answer in time"):
            self.account.action_test_connection()

    def test_test_connection_needs_a_manager(self):
        with self.assertRaises(AccessError):
            self.account.with_user(self.gc_user).action_test_connection()
        action = self.account.with_user(self.gc_manager).action_test_connection()
        self.assertEqual(action["params"]["type"], "success")

    def test_overview_opens_the_company_account(self):
        action = self.env["gocardless.account"].with_user(self.gc_user).action_open_overview()
        self.assertEqual(action["res_model"], "gocardless.account")
        self.assertEqual(action["res_id"], self.account.id)


@tagged("post_install", "-at_install")
class TestApiAdapter(GoCardlessCase):
    """The service layer alone, with a recording sleep instead of real waiting."""

    def _api(self, **kwargs):
        self.waits = []
        return GoCardlessAPI(
            EMULATOR_TOKEN,
            base_url=self.emulator.base_url,
            timeout=2,
            sleep=self.waits.append,
            **kwargs,
        )

    def test_rate_limit_retried_when_the_reset_is_near(self):
        api = self._api(max_rate_limit_wait=120)
        api.get_creditor()  # a successful answer tells when the window resets
        self.emulator.inject_fault("rate_limit", times=1)
        self.assertTrue(api.get_creditor())
        self.assertEqual(len(self.waits), 1)
        self.assertLessEqual(self.waits[0], 61)

    def test_rate_limit_not_waited_for_when_far(self):
        api = self._api(max_rate_limit_wait=0)
        api.get_creditor()
        self.emulator.inject_fault("rate_limit", times=1)
        with self.assertRaises(GoCardlessError) as caught:
            api.get_creditor()
        self.assertEqual(caught.exception.kind, GoCardlessError.KIND_RATE_LIMIT)
        self.assertIsNotNone(caught.exception.retry_after)
        self.assertEqual(self.waits, [])

    def test_json_5xx_retries_are_bounded(self):
        api = self._api()
        self.emulator.inject_fault("server_error", times=10)
        with self.assertRaises(GoCardlessError) as caught:
            api.get_creditor()
        self.assertEqual(caught.exception.kind, GoCardlessError.KIND_UNAVAILABLE)
        self.assertEqual(len(self.waits), 2)  # 3 attempts in all

    def test_actions_are_never_retried(self):
        api = self._api()
        customer = self.emulator.add_customer(given_name="Ada", family_name="Lovelace")
        mandate = self.emulator.add_mandate(customer["id"], status="active")
        self.emulator.inject_fault("server_error", times=1, method="POST")
        with self.assertRaises(GoCardlessError):
            api.action("mandates", "cancel", mandate["id"])
        self.assertEqual(self.waits, [])
        self.assertEqual(self.emulator.mandates[mandate["id"]]["status"], "active")

    def test_not_found_and_gone(self):
        api = self._api()
        with self.assertRaises(GoCardlessError) as caught:
            api.get("customers", "CU_DOES_NOT_EXIST")
        self.assertEqual(caught.exception.kind, GoCardlessError.KIND_NOT_FOUND)
        customer = self.emulator.add_customer(email="gone@example.com", company_name="Gone Ltd")
        self.emulator.remove_customer(customer["id"])
        with self.assertRaises(GoCardlessError) as caught:
            api.get("customers", customer["id"])
        self.assertEqual(caught.exception.kind, GoCardlessError.KIND_GONE)

    def test_create_with_idempotency_key_returns_the_first(self):
        api = self._api()
        params = {"email": "twice@example.com", "given_name": "Twi", "family_name": "Ce"}
        first = api.create_resource("customers", params, idempotency_key="odoo-partner-42")
        second = api.create_resource("customers", params, idempotency_key="odoo-partner-42")
        self.assertEqual(first["id"], second["id"])
        self.assertEqual(len(self.emulator.customers), 1)

    def test_list_all_returns_records_oldest_first(self):
        """GoCardless lists newest first and promises no order: the adapter sorts by
        created_at, then ID, so that no caller depends on the API's order."""
        late = self.emulator.add_customer(company_name="Late", created_at="2025-03-01T00:00:00Z")
        early = self.emulator.add_customer(company_name="Early", created_at="2025-01-01T00:00:00Z")
        same = [
            self.emulator.add_customer(company_name=f"Same {n}", created_at="2025-02-01T00:00:00Z")
            for n in range(3)
        ]
        records = self._api().list_all("customers", page_size=2)
        self.assertEqual(
            [record["id"] for record in records],
            [early["id"], *sorted(customer["id"] for customer in same), late["id"]],
        )
        api_order = [
            r["query"].get("after") for r in self.emulator.requests if r["path"] == "/customers"
        ]
        self.assertEqual(len(api_order), 3)  # five records, two a page

    def test_list_all_follows_every_page(self):
        self.emulator.seed_customers(1201, mandate_status=None)
        api = self._api()
        records = api.list_all("customers")
        self.assertEqual(len(records), 1201)
        self.assertEqual(len({record["id"] for record in records}), 1201)
        pages = [r for r in self.emulator.requests if r["path"] == "/customers"]
        self.assertEqual(len(pages), 3)
        self.assertEqual(pages[0]["query"].get("limit"), "500")

"""Shared set-up of the addon's tests: a local GoCardless emulator and the company's account.

The GoCardless API is faked only at the HTTP boundary: the real ``gocardless_pro`` client of
the addon talks to ``gocardless_emulator`` served on 127.0.0.1 on a free port. One emulator
serves the whole test process; every test starts with it empty (``reset``).
"""

from odoo.tests import TransactionCase, new_test_user

from gocardless_emulator import Emulator

EMULATOR_TOKEN = "emulator-test-token"
# the operations of an access-rights matrix
OPERATIONS = ("read", "write", "create", "unlink")
_emulator = None


def get_emulator():
    """The process-wide emulator, started on first use."""
    global _emulator
    if _emulator is None:
        # rate_limit=None: the tests inject 429s explicitly; a shared one-minute window across
        # the whole suite would make results depend on test order.
        _emulator = Emulator(
            access_token=EMULATOR_TOKEN,
            creditor_name="Emulated Creditor Ltd",
            rate_limit=None,
        ).start(host="127.0.0.1", port=0)
    return _emulator


class GoCardlessEmulatorMixin:
    """Points the current company's GoCardless account at a clean emulator."""

    @classmethod
    def _setup_gocardless(cls):
        cls.emulator = get_emulator()
        cls.emulator.reset()
        cls.company = cls.env.company
        cls.account = cls.env["gocardless.account"].search([("company_id", "=", cls.company.id)])
        cls.account.write(
            {
                "environment": "sandbox",
                "access_token": EMULATOR_TOKEN,
                "api_base_url": cls.emulator.base_url,
                # short, so that timeout tests do not wait 30 s per attempt
                "api_timeout": 2.0,
            }
        )

    def setUp(self):
        super().setUp()
        self.emulator.reset()
        self.addCleanup(self.emulator.reset)

    @classmethod
    def _new_user(cls, login, groups, company=None, **kwargs):
        company = company or cls.env.company
        return new_test_user(
            cls.env,
            login=login,
            groups=groups,
            company_id=company.id,
            company_ids=[(6, 0, company.ids)],
            **kwargs,
        )

    def _assert_access_matrix(self, users, expected):
        """``expected``: {user key of ``users``: {model: operations allowed}}; every other
        operation of ``OPERATIONS`` must be refused."""
        for group, models in expected.items():
            user = users[group]
            for model, allowed in models.items():
                for operation in OPERATIONS:
                    with self.subTest(group=group, model=model, operation=operation):
                        self.assertEqual(
                            self.env[model].with_user(user).has_access(operation),
                            operation in allowed,
                        )

    def _link_customer(self, partner, gocardless_id="CU0001", **vals):
        """An integration record created directly (for tests that need one as data)."""
        return self.env["gocardless.customer"].create(
            dict(
                {
                    "account_id": self.account.id,
                    "partner_id": partner.id,
                    "gocardless_id": gocardless_id,
                    "email": partner.email,
                },
                **vals,
            )
        )


class GoCardlessCase(GoCardlessEmulatorMixin, TransactionCase):
    """TransactionCase with the emulator, the account and one user per GoCardless group."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_gocardless()
        cls.gc_user = cls._new_user(
            "gc_user", "base.group_user,gocardless_sync.group_gocardless_user"
        )
        cls.gc_supervisor = cls._new_user(
            "gc_supervisor", "base.group_user,gocardless_sync.group_gocardless_supervisor"
        )
        cls.gc_manager = cls._new_user(
            "gc_manager", "base.group_user,gocardless_sync.group_gocardless_manager"
        )

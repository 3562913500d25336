"""The matching engine alone: a pure function, no database, no emulator."""

from odoo.tests import BaseCase, tagged
from odoo.tools import email_normalize, email_normalize_all

from ..services.matching import (
    AMBIGUOUS,
    CREATE,
    LINK,
    SKIP,
    UPDATE,
    normalize_email,
    normalize_emails,
    odoo_email_normalize,
    odoo_email_normalize_all,
    plan_customer_sync,
)

# Inputs on which the matching's copy of Odoo's rule must give what Odoo gives
TRICKY_EMAILS = [
    "ada@example.com",
    "  Ada@Example.COM ",
    "ADA@EXAMPLE.COM",
    "\tada@example.com\n",
    "Jörg@example.com",
    "Jörg@Example.COM",
    "JÖRG@EXAMPLE.COM",
    "jörg@bücher.example",
    "Jörg@BÜCHER.Example",
    "josé.garcía@ejemplo.es",
    "ß@example.com",
    "İstanbul@Example.com",
    "用户@例子.广告",
    "Ελληνικά@ΠΑΡΆΔΕΙΓΜΑ.δοκιμή",
    "user+Tag@Example.com",
    "o'brien@example.com",
    '"Ada L." <Ada@Example.com>',
    "Ada Lovelace <ADA@example.com>",
    "Jörg Müller <Jörg@Example.com>",
    "<ada@example.com>",
    "Ada ada@example.com",
    "a b@example.com",
    "ada@example.com, Bob@Example.com",
    'ada@example.com; "Bob" <Bob@Example.com>',
    "ada@example.com,ada@example.com",
    "x@example.com (a comment)",
    "@example.com",
    "name @example.com",
    "a@",
    "a@b",
    "ada@@example.com",
    "ada@exa mple.com",
    "not an email",
    "",
    "   ",
    "=?utf-8?q?J=C3=B6rg?= <jorg@example.com>",
]


@tagged("post_install", "-at_install")
class TestEmailNormalisation(BaseCase):
    def test_the_copy_of_odoos_rule_is_odoos_rule(self):
        for text in TRICKY_EMAILS:
            with self.subTest(text=text):
                self.assertEqual(odoo_email_normalize(text), email_normalize(text))
                self.assertEqual(
                    odoo_email_normalize(text, strict=False), email_normalize(text, strict=False)
                )
                self.assertEqual(odoo_email_normalize_all(text), email_normalize_all(text))

    def test_one_rule_on_both_sides(self):
        # Odoo keeps the case of a non-ASCII local part: so does the sync
        self.assertEqual(normalize_email("Jörg@Example.com"), "Jörg@example.com")
        self.assertEqual(normalize_emails("Jörg@Example.com"), ["Jörg@example.com"])
        self.assertNotEqual(
            normalize_email("Jörg@example.com"), normalize_email("jörg@example.com")
        )
        self.assertEqual(normalize_email("jörg@BÜCHER.example"), "jörg@bücher.example")
        self.assertEqual(
            normalize_emails('First@Two.example, "Second" <SECOND@two.example>, first@two.example'),
            ["first@two.example", "second@two.example"],
        )
        self.assertEqual(normalize_emails(None), [])
        self.assertEqual(normalize_emails("@example.com, a@"), [])


@tagged("post_install", "-at_install")
class TestMatchingPlan(BaseCase):
    def _plan(self, customers, index=None, linked=None, policy="skip", archived=None):
        return {
            d.gocardless_id: d
            for d in plan_customer_sync(customers, index or {}, linked or {}, policy, archived)
        }

    def test_normalize_email(self):
        self.assertEqual(normalize_email("  Ada@Example.COM "), "ada@example.com")
        # as Odoo reads it: a display name before the address (the sync used to refuse it)
        self.assertEqual(normalize_email("a b@example.com"), "b@example.com")
        for bad in (None, "", "   ", "no-at-sign", "@example.com", "a@", "a@x.com, b@x.com", 42):
            with self.subTest(bad=bad):
                self.assertIsNone(normalize_email(bad))

    def test_outcomes(self):
        customers = [
            {"id": "CU1", "email": "linked-but-changed@example.com"},
            {"id": "CU2", "email": " One@Example.com"},
            {"id": "CU3", "email": "two@example.com"},
            {"id": "CU4", "email": "nobody@example.com"},
            {"id": "CU5", "email": None},
            {"id": "CU6", "email": "archived@example.com"},
        ]
        index = {"one@example.com": {10}, "two@example.com": {20, 21}}
        plan = self._plan(
            customers,
            index,
            linked={"CU1": 99},
            archived={"archived@example.com": {30}},
        )
        self.assertEqual((plan["CU1"].outcome, plan["CU1"].partner_id), (UPDATE, 99))
        self.assertEqual((plan["CU2"].outcome, plan["CU2"].partner_id), (LINK, 10))
        self.assertEqual((plan["CU3"].outcome, plan["CU3"].candidates), (AMBIGUOUS, (20, 21)))
        self.assertIsNone(plan["CU3"].partner_id)
        self.assertEqual((plan["CU4"].outcome, plan["CU4"].reason), (SKIP, "no_match_skipped"))
        self.assertEqual((plan["CU5"].outcome, plan["CU5"].reason), (SKIP, "no_email_skipped"))
        self.assertEqual((plan["CU6"].outcome, plan["CU6"].candidates), (SKIP, (30,)))
        self.assertEqual(plan["CU6"].reason, "archived_match")

    def test_links_through_an_extra_email_are_flagged(self):
        customers = [
            {"id": "CU1", "email": "main@example.com"},
            {"id": "CU2", "email": "Billing@Example.com"},
            {"id": "CU3", "email": "linked@example.com"},
        ]
        plan = {
            d.gocardless_id: d
            for d in plan_customer_sync(
                customers,
                {"main@example.com": {1}, "billing@example.com": {2}, "linked@example.com": {3}},
                {"CU3": 3},
                "skip",
                extra_index={"billing@example.com": {2}, "linked@example.com": {3}},
            )
        }
        self.assertFalse(plan["CU1"].via_extra_email)
        self.assertEqual(plan["CU1"].reason, "email_match")
        self.assertEqual(
            (plan["CU2"].outcome, plan["CU2"].partner_id, plan["CU2"].via_extra_email),
            (LINK, 2, True),
        )
        self.assertEqual(plan["CU2"].reason, "extra_email_match")
        # linked by GoCardless ID: not a match by email at all
        self.assertEqual((plan["CU3"].outcome, plan["CU3"].via_extra_email), (UPDATE, False))

    def test_create_policy(self):
        customers = [
            {"id": "CU1", "email": "new@example.com"},
            {"id": "CU2", "email": "NEW@example.com"},
            {"id": "CU3"},
            {"id": "CU4"},
            {"id": "CU5", "email": "archived@example.com"},
        ]
        plan = self._plan(customers, policy="create", archived={"archived@example.com": {7}})
        self.assertEqual((plan["CU1"].outcome, plan["CU1"].create_group), (CREATE, "CU1"))
        self.assertEqual((plan["CU2"].outcome, plan["CU2"].create_group), (CREATE, "CU1"))
        self.assertEqual(plan["CU2"].reason, "same_email_as_new_customer")
        # customers without email are never grouped together
        self.assertEqual(plan["CU3"].create_group, "CU3")
        self.assertEqual(plan["CU4"].create_group, "CU4")
        # an archived match is never duplicated, whatever the policy
        self.assertEqual(plan["CU5"].outcome, SKIP)

    def test_linked_wins_over_email(self):
        plan = self._plan(
            [{"id": "CU1", "email": "shared@example.com"}],
            {"shared@example.com": {1, 2}},
            linked={"CU1": 3},
        )
        self.assertEqual((plan["CU1"].outcome, plan["CU1"].partner_id), (UPDATE, 3))

    def test_plan_keeps_the_order_and_rejects_unknown_policies(self):
        customers = [{"id": f"CU{n}", "email": f"c{n}@example.com"} for n in range(5)]
        decisions = plan_customer_sync(customers, {}, {}, "skip")
        self.assertEqual([d.gocardless_id for d in decisions], [c["id"] for c in customers])
        with self.assertRaises(ValueError):
            plan_customer_sync(customers, {}, {}, "merge")

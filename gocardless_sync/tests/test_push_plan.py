"""Who the push leaves out, and the list action's result: pure functions, no database."""

from odoo.tests import BaseCase, tagged

from ..services import push_plan as plan
from ..services.api import GoCardlessError


def contact(id_, main, *extra):
    return plan.Contact(id_, main, (main, *extra) if main else ())


@tagged("post_install", "-at_install")
class TestPushPlan(BaseCase):
    def test_each_rule(self):
        contacts = [
            contact(1, "linked@example.com"),
            contact(2, None),
            contact(3, "employee@example.com"),
            contact(4, "shared@example.com"),
            contact(5, "main@example.com", "billing@example.com"),
            contact(6, "taken@example.com"),
            contact(7, "good@example.com", "other@example.com"),
        ]
        blockers = plan.plan_blockers(
            contacts,
            linked_ids={1},
            internal_ids={3},
            holders={
                "shared@example.com": {4, 9, 8},
                "good@example.com": {7},  # its own address only
                "employee@example.com": {3, 9},
            },
            known={
                "billing@example.com": ("CU_BILLING", None),
                "taken@example.com": ("CU_TAKEN", 42),
            },
        )
        self.assertEqual(
            blockers,
            {
                1: plan.Blocker(plan.LINKED),
                2: plan.Blocker(plan.NO_EMAIL),
                # a user's contact, even when another contact shares its address
                3: plan.Blocker(plan.INTERNAL),
                4: plan.Blocker(plan.SHARED_EMAIL, "shared@example.com", other_ids=(8, 9)),
                # known through an extra address
                5: plan.Blocker(
                    plan.KNOWN_CUSTOMER, "billing@example.com", gocardless_id="CU_BILLING"
                ),
                6: plan.Blocker(
                    plan.KNOWN_CUSTOMER, "taken@example.com", "CU_TAKEN", other_ids=(42,)
                ),
            },
        )

    def test_rules_apply_in_order(self):
        """A linked contact is "linked" whatever else holds; a shared address comes before a
        known customer; the main address's known customer before an extra one's."""
        known = {
            "a@example.com": ("CU_A", None),
            "b@example.com": ("CU_B", None),
        }
        blockers = plan.plan_blockers(
            [
                contact(1, "a@example.com"),
                contact(2, "a@example.com"),
                contact(3, "b@example.com", "a@example.com"),
            ],
            linked_ids={1},
            internal_ids={1},
            holders={"a@example.com": {1, 2}},
            known=known,
        )
        self.assertEqual(blockers[1].code, plan.LINKED)
        self.assertEqual(
            blockers[2], plan.Blocker(plan.SHARED_EMAIL, "a@example.com", other_ids=(1,))
        )
        self.assertEqual(blockers[3].gocardless_id, "CU_B")

    def test_lookups_only_for_contacts_with_an_email_and_no_link(self):
        self.assertFalse(plan.needs_lookup(contact(1, "a@example.com"), {1}))
        self.assertFalse(plan.needs_lookup(contact(2, None), set()))
        self.assertFalse(plan.needs_lookup(plan.Contact(3, ""), set()))
        self.assertTrue(plan.needs_lookup(contact(4, "a@example.com"), {1}))
        # without lookups, only the first two rules apply
        self.assertEqual(
            plan.plan_blockers([contact(1, "a@example.com"), contact(2, None)], {1}),
            {1: plan.Blocker(plan.LINKED), 2: plan.Blocker(plan.NO_EMAIL)},
        )
        self.assertEqual(plan.plan_blockers([contact(4, "a@example.com")], set()), {})

    def test_outcome_unknown_only_when_the_answer_was_lost(self):
        self.assertEqual(
            plan.OUTCOME_UNKNOWN_KINDS,
            {GoCardlessError.KIND_TIMEOUT, GoCardlessError.KIND_NETWORK},
        )

    def test_result_counts_problems_and_contacts_to_link(self):
        result = plan.PushResult()
        self.assertEqual(result.counts(), [("pushed", 0)])
        self.assertFalse(result.problems)
        result.pushed.append("A")
        result.skipped[plan.NEVER].append(("B", None))
        result.skipped[plan.LINKED].append(("C", plan.Blocker(plan.LINKED)))
        self.assertEqual(result.counts(), [("pushed", 1), (plan.LINKED, 1), (plan.NEVER, 1)])
        self.assertFalse(result.problems)  # nothing the user must act on
        free = plan.Blocker(plan.KNOWN_CUSTOMER, "d@example.com", "CU_D")
        taken = plan.Blocker(plan.KNOWN_CUSTOMER, "e@example.com", "CU_E", other_ids=(9,))
        result.skipped[plan.KNOWN_CUSTOMER] += [("D", free), ("E", taken)]
        result.failed.append(("F", "refused"))
        result.unknown.append(("G", "timeout"))
        self.assertTrue(result.problems)
        self.assertEqual(
            result.counts(),
            [
                ("pushed", 1),
                (plan.LINKED, 1),
                (plan.NEVER, 1),
                (plan.KNOWN_CUSTOMER, 2),
                ("unknown", 1),
                ("failed", 1),
            ],
        )
        # a customer linked to another contact is not offered "Link"
        self.assertEqual(result.to_link(), ["D"])
        for kind in ("notices", "failed", "unknown"):
            with self.subTest(kind=kind):
                only = plan.PushResult()
                getattr(only, kind).append(("X", "why"))
                self.assertTrue(only.problems)
        shared = plan.PushResult()
        shared.skipped[plan.SHARED_EMAIL].append(("X", plan.Blocker(plan.SHARED_EMAIL)))
        self.assertTrue(shared.problems)

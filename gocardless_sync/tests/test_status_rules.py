"""The status rule of mandates and payments alone: a pure function, no database."""

from datetime import datetime

from odoo.tests import BaseCase, tagged

from ..services import const, status_rules
from ..services.status_rules import (
    BACKWARDS,
    DUPLICATE,
    MANDATE,
    MOVED,
    OLDER,
    PAYMENT,
    REVIVED,
    UNCHANGED,
    UNKNOWN,
    decide,
    event_status,
)

T1 = datetime(2025, 3, 3, 9, 0, 0)
T2 = datetime(2025, 3, 3, 9, 30, 0)


@tagged("post_install", "-at_install")
class TestStatusRules(BaseCase):
    def test_one_action_table_per_kind(self):
        self.assertEqual(event_status(MANDATE, "reinstated"), "active")
        self.assertEqual(event_status(MANDATE, "replaced"), "cancelled")
        self.assertIsNone(event_status(MANDATE, "created"))
        self.assertEqual(event_status(PAYMENT, "customer_approval_granted"), "pending_submission")
        self.assertEqual(
            event_status(PAYMENT, const.PAYMENT_CHARGEBACK_CANCELLED_ACTION), "paid_out"
        )
        self.assertIsNone(event_status(PAYMENT, "created"))
        # every status an action brings is a status the kind knows and orders
        for kind, known in (
            (MANDATE, const.KNOWN_MANDATE_STATUSES),
            (PAYMENT, const.KNOWN_PAYMENT_STATUSES),
        ):
            rules = status_rules.RULES[kind]
            with self.subTest(kind=kind):
                self.assertLessEqual(set(rules.event_status.values()), set(rules.rank))
                self.assertEqual(set(rules.rank), known)

    def test_forward_only(self):
        decision = decide(PAYMENT, "pending_submission", "confirmed", action="confirmed")
        self.assertEqual((decision.outcome, decision.status), (MOVED, "confirmed"))
        self.assertTrue(decision.changes_status)
        decision = decide(PAYMENT, "paid_out", "confirmed", action="confirmed")
        self.assertEqual((decision.outcome, decision.status), (BACKWARDS, None))
        self.assertFalse(decision.changes_status)
        self.assertEqual(decide(MANDATE, "active", "submitted").outcome, BACKWARDS)
        self.assertEqual(decide(MANDATE, "submitted", "active").outcome, MOVED)

    def test_same_rank_moves_mandates_not_payments(self):
        # a mandate is suspended by its payer and comes back
        self.assertEqual(
            decide(MANDATE, "active", "suspended_by_payer").status, "suspended_by_payer"
        )
        self.assertEqual(decide(MANDATE, "suspended_by_payer", "active").status, "active")
        # a payment's end is final: a failure never replaces a cancellation
        self.assertEqual(decide(PAYMENT, "cancelled", "failed").outcome, BACKWARDS)

    def test_revivals(self):
        retry = const.PAYMENT_RETRY_ACTION
        decision = decide(PAYMENT, "failed", "pending_submission", action=retry)
        self.assertEqual((decision.outcome, decision.status), (REVIVED, "pending_submission"))
        # a revival only revives from its statuses
        self.assertEqual(
            decide(PAYMENT, "paid_out", "pending_submission", action=retry).outcome, BACKWARDS
        )
        back = const.PAYMENT_CHARGEBACK_CANCELLED_ACTION
        self.assertEqual(decide(PAYMENT, "charged_back", "paid_out", action=back).outcome, REVIVED)
        self.assertEqual(decide(PAYMENT, "charged_back", "paid_out").outcome, BACKWARDS)
        # a mandate is reinstated from any end
        for ended in ("cancelled", "expired", "failed"):
            with self.subTest(ended=ended):
                decision = decide(MANDATE, ended, "active", action="reinstated")
                self.assertEqual((decision.outcome, decision.status), (REVIVED, "active"))
        self.assertEqual(
            decide(MANDATE, "cancelled", "submitted", action="submitted").outcome, BACKWARDS
        )

    def test_older_and_duplicate_events_change_nothing(self):
        older = decide(PAYMENT, "pending_submission", "failed", event_at=T1, last_event_at=T2)
        self.assertEqual((older.outcome, older.status, older.record_event), (OLDER, None, False))
        same_time = decide(PAYMENT, "pending_submission", "failed", event_at=T2, last_event_at=T2)
        self.assertEqual(same_time.outcome, MOVED)
        retry = const.PAYMENT_RETRY_ACTION
        duplicate = decide(
            PAYMENT,
            "failed",
            "pending_submission",
            action=retry,
            event_id="EV1",
            last_event_id="EV1",
        )
        self.assertEqual((duplicate.outcome, duplicate.record_event), (DUPLICATE, False))
        self.assertEqual(
            decide(MANDATE, "submitted", "active", event_at=T1, last_event_at=T2).outcome, OLDER
        )

    def test_every_event_not_older_becomes_the_newest_seen(self):
        for decision in (
            decide(PAYMENT, "submitted", "submitted", event_at=T2, last_event_at=T1),
            decide(PAYMENT, "paid_out", "submitted", event_at=T2, event_id="EV2"),
            decide(MANDATE, "active", None, action="created", event_at=T2),
            decide(MANDATE, "cancelled", "submitted", action="submitted", event_at=T2),
            decide(MANDATE, "submitted", "active", event_at=T2),
        ):
            with self.subTest(decision=decision):
                self.assertTrue(decision.record_event)
        self.assertEqual(decide(MANDATE, "active", None, action="created").outcome, UNCHANGED)
        # a status read from the API (no event) has no time to record
        self.assertFalse(decide(PAYMENT, "submitted", "confirmed").record_event)

    def test_unknown_statuses(self):
        # a status Odoo does not know cannot be ordered against a known one
        self.assertEqual(decide(PAYMENT, "confirmed", "held_for_review").outcome, UNKNOWN)
        self.assertFalse(status_rules.is_known(PAYMENT, const.UNKNOWN_STATUS))
        # a status held as unknown has no rank: any known status replaces it
        for kind, new in ((PAYMENT, "pending_customer_approval"), (MANDATE, "cancelled")):
            with self.subTest(kind=kind):
                decision = decide(kind, const.UNKNOWN_STATUS, new)
                self.assertEqual((decision.outcome, decision.status), (MOVED, new))

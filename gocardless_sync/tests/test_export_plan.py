"""The balance export's plan alone: a pure function of plain values, no database."""

from datetime import date, datetime
from decimal import Decimal

from odoo.tests import BaseCase, tagged

from ..services import export_plan
from ..services.export_plan import Mandate, plan_export

GBP, EUR, USD, JPY = 1, 2, 3, 4
CURRENCIES = {GBP: "GBP", EUR: "EUR", USD: "USD", JPY: "JPY"}


def mandate(id_, partner_id, status="active", scheme="bacs", active=True, **fields):
    return Mandate(id_, f"MD{id_}", status, active, scheme, partner_id, **fields)


def plan(balances, mandates, **kwargs):
    partner_ids = kwargs.pop("partner_ids", sorted({key[0] for key in balances}))
    return plan_export(partner_ids, balances, CURRENCIES, USD, mandates, **kwargs)


@tagged("post_install", "-at_install")
class TestExportPlan(BaseCase):
    def test_a_line_per_balance_with_its_mandate(self):
        result = plan(
            {(1, GBP): Decimal("69.75"), (1, EUR): Decimal("50.00")},
            {1: [mandate(10, 1, scheme="bacs"), mandate(11, 1, scheme="sepa_core")]},
        )
        self.assertFalse(result.skips)
        self.assertEqual(
            [(line.currency, line.amount, line.mandate.id) for line in result.lines],
            [("EUR", Decimal("50.00"), 11), ("GBP", Decimal("69.75"), 10)],
        )
        self.assertEqual(result.lines[0].notes, [])
        self.assertIsNone(result.lines[0].charge_date)

    def test_every_skip_reason_in_order(self):
        result = plan(
            {
                (1, GBP): Decimal("10"),  # no mandate
                (2, GBP): Decimal("11"),  # cancelled mandate
                (3, GBP): Decimal("12"),  # removed in Odoo
                (4, GBP): Decimal("-3"),  # in credit
                (6, EUR): Decimal("13"),  # a bacs mandate collects GBP
                (7, JPY): Decimal("1400"),  # GoCardless does not collect JPY
                (8, GBP): Decimal("0.004"),  # less than a penny
                (9, GBP): Decimal("20"),  # already being collected
            },
            {
                2: [mandate(20, 2, status="cancelled")],
                3: [mandate(30, 3, active=False)],
                4: [mandate(40, 4)],
                5: [mandate(50, 5)],
                6: [mandate(60, 6)],
                7: [mandate(70, 7)],
                8: [mandate(80, 8)],
                9: [mandate(90, 9)],
            },
            partner_ids=[1, 2, 3, 4, 5, 6, 7, 8, 9],
            pending={(9, GBP): "GCX00001-0001-ABCDEF"},
        )
        self.assertFalse(result.lines)
        skips = {skip.partner_id: skip for skip in result.skips}
        self.assertEqual(
            {partner: (skip.reason, skip.detail) for partner, skip in skips.items()},
            {
                1: ("no_mandate", export_plan.DETAIL_NO_MANDATE),
                2: ("mandate_not_usable", export_plan.DETAIL_MANDATES_NOT_USABLE),
                3: ("mandate_not_usable", export_plan.DETAIL_MANDATES_NOT_USABLE),
                4: ("nothing_due", export_plan.DETAIL_IN_CREDIT),
                5: ("nothing_due", export_plan.DETAIL_NOTHING_DUE),
                6: ("currency_not_supported", export_plan.DETAIL_OTHER_CURRENCY),
                7: ("currency_not_supported", export_plan.DETAIL_CURRENCY_NOT_COLLECTED),
                8: ("nothing_due", export_plan.DETAIL_BELOW_MINOR_UNIT),
                9: ("pending_export", export_plan.DETAIL_PENDING),
            },
        )
        # an entity without any open entry: 0 in the company's currency
        self.assertEqual((skips[5].currency_id, skips[5].amount), (USD, Decimal(0)))
        self.assertEqual(skips[2].params["mandates"], [("MD20", "cancelled", True)])
        self.assertEqual(skips[3].params["mandates"], [("MD30", "active", False)])
        self.assertEqual(skips[6].params, {"currency": "EUR", "collected": [("GBP", "bacs")]})
        self.assertEqual(skips[8].params, {"currency": "GBP", "unit": Decimal("0.01")})
        self.assertEqual(skips[9].params["reference"], "GCX00001-0001-ABCDEF")
        self.assertEqual(skips[1].amount, Decimal("10"))

    def test_amounts_are_rounded_down_to_the_iso_unit_and_said(self):
        line = plan({(1, GBP): Decimal("25.505")}, {1: [mandate(10, 1)]}).lines[0]
        self.assertEqual((line.amount, line.balance), (Decimal("25.50"), Decimal("25.505")))
        self.assertEqual(
            line.notes,
            [
                (
                    export_plan.NOTE_ROUNDED,
                    {"balance": Decimal("25.505"), "amount": Decimal("25.50"), "currency": "GBP"},
                )
            ],
        )
        exact = plan({(1, GBP): Decimal("25.500")}, {1: [mandate(10, 1)]}).lines[0]
        self.assertEqual(exact.notes, [])
        self.assertEqual(export_plan.collectable_amount(Decimal("0.309"), "EUR"), Decimal("0.30"))
        with self.assertRaises(ValueError):
            export_plan.collectable_amount(Decimal("10"), "JPY")

    def test_mandate_pick(self):
        old, new = datetime(2024, 1, 1), datetime(2024, 6, 1)
        contact_active = mandate(1, 20, created_at=new)
        own_pending = mandate(2, 10, status="pending_submission", created_at=old)
        own_old = mandate(3, 10, created_at=old)
        own_new = mandate(4, 10, created_at=new)
        pick = export_plan.pick_mandate
        # the entity's own mandate, even pending, before a contact's active one
        self.assertEqual(pick(10, [contact_active, own_pending]), own_pending)
        # an active one before a pending one, then the newest, then the highest id
        self.assertEqual(pick(10, [own_pending, own_old]), own_old)
        self.assertEqual(pick(10, [own_old, own_new, own_pending]), own_new)
        self.assertEqual(pick(10, [mandate(5, 10), mandate(6, 10)]).id, 6)
        # the plan picks among the usable mandates of the currency only
        result = plan(
            {(10, GBP): Decimal("5")},
            {10: [mandate(7, 10, status="cancelled", created_at=new), own_old]},
        )
        self.assertEqual(result.lines[0].mandate, own_old)

    def test_charge_date_rule(self):
        earliest = date(2025, 3, 6)
        self.assertEqual(export_plan.line_charge_date(None, earliest), (None, False))
        self.assertEqual(export_plan.line_charge_date(date(2025, 3, 4), earliest), (earliest, True))
        self.assertEqual(
            export_plan.line_charge_date(date(2025, 3, 20), earliest), (date(2025, 3, 20), False)
        )
        line = plan(
            {(1, GBP): Decimal("5")},
            {1: [mandate(10, 1, next_possible_charge_date=earliest)]},
            charge_date=date(2025, 3, 4),
        ).lines[0]
        self.assertEqual(line.charge_date, earliest)
        self.assertEqual(
            line.notes,
            [(export_plan.NOTE_DATE_MOVED, {"chosen": date(2025, 3, 4), "earliest": earliest})],
        )

    def test_charge_date_at_collection(self):
        today = date(2025, 3, 7)
        rule = export_plan.collect_charge_date
        self.assertEqual(rule(None, date(2025, 3, 12), today), (None, None))
        # passed: as soon as possible, or the next possible date when that is still to come
        self.assertEqual(rule(date(2025, 3, 5), None, today), (None, export_plan.NOTE_DATE_PASSED))
        self.assertEqual(rule(date(2025, 3, 5), date(2025, 3, 6), today)[0], None)
        self.assertEqual(
            rule(date(2025, 3, 5), date(2025, 3, 12), today),
            (date(2025, 3, 12), export_plan.NOTE_DATE_PASSED),
        )
        # earlier than the mandate's current next possible date: moved
        self.assertEqual(
            rule(date(2025, 3, 10), date(2025, 3, 12), today),
            (date(2025, 3, 12), export_plan.NOTE_DATE_MOVED),
        )
        self.assertEqual(
            rule(date(2025, 3, 20), date(2025, 3, 12), today), (date(2025, 3, 20), None)
        )

    def test_balance_shortfalls(self):
        balances = {(1, GBP): Decimal("10.50"), (2, GBP): Decimal("0.20")}
        lines = [
            ("a", 1, GBP, Decimal("10.50")),  # still due
            ("b", 2, GBP, Decimal("0.30")),  # credited in part
            ("c", 3, GBP, Decimal("7.00")),  # paid: no open balance at all
            ("d", 1, EUR, Decimal("1.00")),  # another currency
        ]
        self.assertEqual(
            export_plan.balance_shortfalls(lines, balances),
            {"b": Decimal("0.20"), "c": Decimal(0), "d": Decimal(0)},
        )

    def test_usable_and_lines_by_name(self):
        self.assertTrue(export_plan.is_usable("pending_customer_approval", True))
        self.assertFalse(export_plan.is_usable("active", False))
        self.assertFalse(export_plan.is_usable("unknown", True))
        result = plan(
            {(1, GBP): Decimal("1"), (2, GBP): Decimal("2")},
            {1: [mandate(10, 1)], 2: [mandate(20, 2)]},
            names={1: "zed Ltd", 2: "Acme"},
        )
        self.assertEqual([line.partner_id for line in result.lines], [2, 1])

"""Amounts at GoCardless use the ISO 4217 minor unit of the currency (2 for every currency
GoCardless collects), never the rounding an administrator gives the currency in Odoo."""

import io
from decimal import Decimal

import openpyxl

from odoo import Command
from odoo.tests import tagged

from ..services import const
from ..tools import (
    format_amount,
    from_minor_units,
    minor_unit,
    to_decimal,
    to_gocardless_amount,
    to_minor_units,
)
from .payment_common import GoCardlessPaymentCase


@tagged("post_install", "-at_install")
class TestMinorUnits(GoCardlessPaymentCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # an administrator gives pounds three decimals in Odoo
        cls.gbp.rounding = 0.001

    def test_odoo_rounding_is_finer(self):
        self.assertEqual(self.gbp.decimal_places, 3)

    def _receivable(self, partner, amount):
        """A posted entry that leaves ``amount`` (a str, GBP, any number of decimals) open on
        the partner's receivable (an invoice line's price would be cut to 2 decimals)."""
        receivable = self.env["account.account"].search(
            [("company_ids", "in", self.company.id), ("account_type", "=", "asset_receivable")],
            limit=1,
        )
        income = self.env["account.account"].search(
            [("company_ids", "in", self.company.id), ("account_type", "=", "income")], limit=1
        )
        value = float(amount)
        move = self.env["account.move"].create(
            {
                "move_type": "entry",
                "date": "2025-01-10",
                "journal_id": self.sale_journal.id,
                "currency_id": self.gbp.id,
                "line_ids": [
                    Command.create(
                        {"account_id": receivable.id, "partner_id": partner.id, "name": "Due",
                         "currency_id": self.gbp.id, "amount_currency": value}
                    ),
                    Command.create(
                        {"account_id": income.id, "name": "Sales", "currency_id": self.gbp.id,
                         "amount_currency": -value}
                    ),
                ],
            }
        )  # fmt: skip
        move.action_post()
        return move

    def test_conversions_ignore_odoo_rounding(self):
        gbp = self.gbp
        self.assertEqual(minor_unit(gbp), 2)
        self.assertEqual(minor_unit("SEK"), 2)
        self.assertEqual(set(const.CURRENCY_MINOR_UNITS), const.SUPPORTED_CURRENCIES)
        with self.assertRaises(ValueError):
            minor_unit("JPY")
        self.assertEqual(to_minor_units(25.5, gbp), 2550)
        self.assertEqual(to_minor_units(Decimal("25.50"), gbp), 2550)
        self.assertIsInstance(to_minor_units(25.5, gbp), int)
        self.assertEqual(from_minor_units(2550, gbp), Decimal("25.50"))
        self.assertEqual(str(from_minor_units(2550, gbp)), "25.50")
        self.assertEqual(from_minor_units("4500.0", gbp), Decimal("45.00"))
        with self.assertRaises(ValueError):
            from_minor_units("4500.5", gbp)
        self.assertEqual(format_amount(25.5, gbp), "25.50")
        # Odoo holds a third decimal; GoCardless collects two: rounded down, never scaled
        self.assertEqual(to_decimal(25.505, gbp), Decimal("25.505"))
        self.assertEqual(to_gocardless_amount(25.505, gbp), Decimal("25.50"))
        self.assertEqual(to_gocardless_amount(Decimal("25.509"), gbp), Decimal("25.50"))
        with self.assertRaises(ValueError):
            to_minor_units(Decimal("25.505"), gbp)

    def test_collected_in_pence_and_read_back_in_pounds(self):
        partner = self._partner("Pence Ltd", email="pence@example.com")
        self._invoice(partner, 25.50, self.gbp)
        self._mandate(partner)
        batch = self._export(partner)
        line = batch.line_ids
        self.assertEqual(to_gocardless_amount(line.amount, self.gbp), Decimal("25.50"))
        self.assertFalse(line.note)
        # the files carry major units with the ISO decimals
        self.assertIn(b",25.50,GBP,", batch.csv_attachment_id.raw)
        batch.with_user(self.gc_accountant).action_download_xlsx()
        sheet = openpyxl.load_workbook(io.BytesIO(batch.xlsx_attachment_id.raw)).active
        self.assertEqual((sheet["G2"].value, sheet["G2"].number_format), (25.5, "0.00"))
        # collected through the API: GoCardless receives pence
        batch.with_user(self.gc_accountant).action_collect()
        creates = [r for r in self.emulator.requests if r["method"] == "POST"]
        self.assertEqual(creates[0]["body"]["payments"]["amount"], 2550)
        remote = next(iter(self.emulator.payments.values()))
        self.assertEqual(remote["amount"], 2550)
        # and Odoo reads pounds back
        gc_payment = line.gocardless_payment_id
        self.assertEqual(to_decimal(gc_payment.amount, self.gbp), Decimal("25.500"))
        self.assertFalse(self._mismatch_notes(batch))
        # recorded as one balanced entry of 25.50
        batch.with_user(self.gc_accountant).action_record_payments()
        payment = line.payment_id
        self.assertEqual(to_decimal(payment.amount, self.gbp), Decimal("25.500"))
        self._assert_balanced(payment.move_id)

    def test_more_decimals_than_gocardless_are_rounded_down_and_said(self):
        partner = self._partner("Fraction plc", email="fraction@example.com")
        self._receivable(partner, "25.505")
        self._mandate(partner)
        tiny = self._partner("Tiny", email="tiny@example.com")
        self._receivable(tiny, "0.004")
        self._mandate(tiny)
        batch = self._export(partner | tiny)
        line = batch.line_ids
        self.assertEqual(line.partner_id, partner)
        self.assertEqual(to_decimal(line.balance, self.gbp), Decimal("25.505"))
        self.assertEqual(to_gocardless_amount(line.amount, self.gbp), Decimal("25.50"))
        self.assertIn("25.505 GBP", line.note)
        self.assertIn("25.50 is collected (rounded down)", line.note)
        self.assertIn(b",25.50,GBP,", batch.csv_attachment_id.raw)
        # below one penny: nothing GoCardless could collect
        skip = self._skip(batch, tiny)
        self.assertEqual(skip.reason, "nothing_due")
        self.assertIn("smallest amount", skip.detail)
        self.assertIn("0.01", skip.detail)
        # the note keeps the rounding when the charge date moves the line's date
        batch.with_user(self.gc_accountant).charge_date = "2025-03-04"
        self.assertIn("rounded down", line.note)
        self.assertIn("next possible charge date", line.note)
        # the balance (25.505) still covers what is collected (25.50)
        batch.with_user(self.gc_accountant).action_collect()
        self.assertFalse(line.collect_error)
        remote = self.emulator.payments[line.gocardless_payment_id.gocardless_id]
        self.assertEqual(remote["amount"], 2550)
        batch.with_user(self.gc_accountant).action_record_payments()
        self._assert_balanced(line.payment_id.move_id)

    def _mismatch_notes(self, batch):
        return batch.message_ids.filtered(lambda message: "differ" in (message.body or ""))

    def _assert_balanced(self, move):
        self.assertEqual(move.state, "posted")
        lines = move.line_ids
        self.assertEqual(
            sum(to_decimal(line.debit, self.usd) for line in lines),
            sum(to_decimal(line.credit, self.usd) for line in lines),
        )
        self.assertEqual(sum(to_decimal(line.amount_currency, self.gbp) for line in lines), 0)

import io
import re
from contextlib import contextmanager
from datetime import date
from decimal import Decimal

import openpyxl

from odoo.exceptions import UserError
from odoo.tests import TransactionCase, tagged

from ..common import database_tag
from ..models.gocardless_export import REFERENCE_TAG_PURPOSE
from ..services import const, export_files
from ..tools import format_amount, from_minor_units, to_decimal, to_minor_units
from .payment_common import GoCardlessPaymentCase


@tagged("post_install", "-at_install")
class TestMoney(TransactionCase):
    def test_decimal_conversions(self):
        gbp = self.env.ref("base.GBP")
        self.assertEqual(to_decimal(0.1 + 0.2, gbp), Decimal("0.30"))
        self.assertEqual(str(to_decimal(0.1 + 0.2, gbp)), "0.30")
        self.assertEqual(to_decimal(1234567.89, gbp), Decimal("1234567.89"))
        self.assertEqual(to_decimal(2.675, gbp), Decimal("2.68"))  # half-up, not float's 2.67
        self.assertEqual(to_minor_units(Decimal("1234567.89"), gbp), 123456789)
        self.assertEqual(to_minor_units(0.1 + 0.2, gbp), 30)
        self.assertEqual(to_minor_units(Decimal("10.5"), gbp), 1050)
        self.assertIsInstance(to_minor_units(Decimal("10.5"), gbp), int)
        self.assertEqual(from_minor_units(123456789, gbp), Decimal("1234567.89"))
        self.assertEqual(format_amount(Decimal("10.5"), gbp), "10.50")
        self.assertEqual(format_amount(1234567.89, gbp), "1234567.89")


@tagged("post_install", "-at_install")
class TestBalanceExport(GoCardlessPaymentCase):
    def test_amounts_are_exact_and_totals_add_up(self):
        small = self._partner("Small Ltd", email="small@example.com")
        large = self._partner("Large plc", email="large@example.com")
        self._invoice(small, 0.10, self.gbp)
        self._invoice(small, 0.20, self.gbp)
        self._invoice(large, 1234567.89, self.gbp)
        self._mandate(small)
        self._mandate(large)
        batch = self._export(small | large)
        self.assertRegex(batch.name, r"^GCX\d{5}$")
        self.assertEqual(len(batch.line_ids), 2)
        small_line, large_line = self._line(batch, small), self._line(batch, large)
        self.assertEqual(to_decimal(small_line.amount, self.gbp), Decimal("0.30"))
        self.assertEqual(to_decimal(large_line.amount, self.gbp), Decimal("1234567.89"))
        self.assertEqual(small_line.currency_id, self.gbp)
        self.assertEqual(batch._gocardless_totals(), {self.gbp: Decimal("1234568.19")})
        self.assertEqual(
            sum(to_decimal(line.amount, line.currency_id) for line in batch.line_ids),
            Decimal("1234568.19"),
        )
        self.assertIn("1,234,568.19", batch.totals)
        # lines are sorted by customer name; references are <batch>-<sequence>-<database tag>
        self.assertEqual(batch.line_ids.sorted("sequence").partner_id, large | small)
        tag = database_tag(batch.env, REFERENCE_TAG_PURPOSE)
        self.assertEqual(large_line.reference, f"{batch.name}-0001-{tag}")
        self.assertEqual(small_line.reference, f"{batch.name}-0002-{tag}")
        self.assertFalse(batch.skip_ids)
        self.assertEqual(batch.state, "draft")

    def test_balance_per_currency_and_credit_notes(self):
        partner = self._partner("Two Currencies", email="two@example.com")
        self._invoice(partner, 100.00, self.gbp)
        self._invoice(partner, 30.25, self.gbp, move_type="out_refund")
        self._invoice(partner, 50.00, self.eur)
        self._mandate(partner, scheme="bacs")
        self._mandate(partner, scheme="sepa_core")
        batch = self._export(partner)
        self.assertEqual(
            {
                line.currency_id.name: to_decimal(line.amount, line.currency_id)
                for line in batch.line_ids
            },
            {"GBP": Decimal("69.75"), "EUR": Decimal("50.00")},
        )
        eur_line = self._line(batch, partner, self.eur)
        self.assertEqual(eur_line.mandate_id.scheme, "sepa_core")
        self.assertEqual(self._line(batch, partner, self.gbp).mandate_id.scheme, "bacs")

    def test_draft_and_reconciled_entries_are_not_due(self):
        partner = self._partner("Drafts", email="drafts@example.com")
        self._invoice(partner, 40.0, self.gbp)
        draft = self._invoice(partner, 999.0, self.gbp)
        draft.button_draft()
        paid = self._invoice(partner, 500.0, self.gbp)
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=paid.ids
        ).create({"journal_id": self.journal.id})._create_payments()
        self._mandate(partner)
        batch = self._export(partner)
        self.assertEqual(to_decimal(batch.line_ids.amount, self.gbp), Decimal("40.00"))

    def test_every_skip_reason(self):
        no_mandate = self._partner("No Mandate", email="none@example.com")
        self._invoice(no_mandate, 10.0, self.gbp)
        cancelled = self._partner("Cancelled Mandate", email="cancelled@example.com")
        self._invoice(cancelled, 11.0, self.gbp)
        self._mandate(cancelled, status="cancelled")
        removed = self._partner("Removed Mandate", email="removed@example.com")
        self._invoice(removed, 12.0, self.gbp)
        self._mandate(removed, active=False)
        in_credit = self._partner("In Credit", email="credit@example.com")
        self._invoice(in_credit, 5.0, self.gbp)
        self._invoice(in_credit, 8.0, self.gbp, move_type="out_refund")
        self._mandate(in_credit)
        nothing = self._partner("Nothing", email="nothing@example.com")
        self._mandate(nothing)
        wrong_currency = self._partner("Euro Debtor", email="euro@example.com")
        self._invoice(wrong_currency, 13.0, self.eur)
        self._mandate(wrong_currency, scheme="bacs")
        jpy = self._activate_currency("JPY", 150.0)
        yen = self._partner("Yen Debtor", email="yen@example.com")
        self._invoice(yen, 1400.0, jpy)
        self._mandate(yen)
        ok = self._partner("Good Payer", email="good@example.com")
        self._invoice(ok, 14.0, self.gbp)
        self._mandate(ok)
        partners = (
            no_mandate | cancelled | removed | in_credit | nothing | wrong_currency | yen | ok
        )
        batch = self._export(partners)
        self.assertEqual(batch.line_ids.partner_id, ok)
        expected = {
            no_mandate: ("no_mandate", self.gbp, Decimal("10.00")),
            cancelled: ("mandate_not_usable", self.gbp, Decimal("11.00")),
            removed: ("mandate_not_usable", self.gbp, Decimal("12.00")),
            in_credit: ("nothing_due", self.gbp, Decimal("-3.00")),
            nothing: ("nothing_due", self.usd, Decimal("0.00")),
            wrong_currency: ("currency_not_supported", self.eur, Decimal("13.00")),
            yen: ("currency_not_supported", jpy, to_decimal(1400.0, jpy)),
        }
        self.assertEqual(len(batch.skip_ids), len(expected))
        for partner, (reason, currency, amount) in expected.items():
            with self.subTest(partner=partner.name):
                skip = self._skip(batch, partner)
                self.assertEqual(len(skip), 1)
                self.assertEqual(skip.reason, reason)
                self.assertEqual(skip.currency_id, currency)
                self.assertEqual(to_decimal(skip.amount, currency), amount)
                self.assertTrue(skip.detail)
        self.assertIn("cancelled", self._skip(batch, cancelled).detail.lower())
        self.assertIn("removed", self._skip(batch, removed).detail.lower())
        self.assertIn("GBP (bacs)", self._skip(batch, wrong_currency).detail)
        self.assertIn("JPY", self._skip(batch, yen).detail)
        self.assertEqual(self._skip(batch, in_credit).detail, "In credit")
        self.assertEqual(batch.skip_count, 7)

    def test_exporting_says_what_came_out(self):
        good = self._partner("Good", email="good@example.com")
        self._invoice(good, 10.0, self.gbp)
        self._mandate(good)
        other = self._partner("Other Good", email="other-good@example.com")
        self._invoice(other, 11.0, self.gbp)
        self._mandate(other)
        no_mandate = self._partner("No Mandate", email="none@example.com")
        self._invoice(no_mandate, 12.0, self.gbp)
        batch = self._export(good | no_mandate)
        params = self.export_action["params"]
        self.assertEqual(params["type"], "success")
        self.assertEqual(params["title"], batch.name)
        self.assertEqual(
            params["message"],
            f"{batch.name} created: 1 line to collect; 1 balance skipped (No mandate (1)).",
        )
        # the toast then opens the batch
        self.assertEqual(params["next"]["res_model"], "gocardless.export")
        self.assertEqual(params["next"]["res_id"], batch.id)
        batch.unlink()
        batch = self._export(good | other)
        self.assertEqual(
            self.export_action["params"]["message"], f"{batch.name} created: 2 lines to collect."
        )

    def test_nothing_to_collect_creates_no_batch_and_says_why(self):
        no_mandate = self._partner("No Mandate", email="none@example.com")
        self._invoice(no_mandate, 10.0, self.gbp)
        other = self._partner("No Mandate Either", email="neither@example.com")
        self._invoice(other, 10.0, self.gbp)
        nothing = self._partner("Nothing", email="nothing@example.com")
        self._mandate(nothing)
        exports = self.env["gocardless.export"].search_count([])
        self.assertFalse(self._export(no_mandate | other | nothing))
        self.assertEqual(self.env["gocardless.export"].search_count([]), exports)
        params = self.export_action["params"]
        self.assertEqual(params["type"], "warning")
        self.assertTrue(params["sticky"])
        self.assertNotIn("next", params)
        self.assertEqual(
            params["message"],
            "Nothing to collect, so no batch was created. Balances left out: No mandate (2), "
            "Nothing due or in credit (1).",
        )
        # from the integration screen too
        action = self.account.with_user(self.gc_accountant).action_export_balances()
        self.assertFalse(self._batch_of(action))
        self.assertIn("Nothing due or in credit (1)", action["params"]["message"])
        self.assertEqual(self.env["gocardless.export"].search_count([]), exports)

    def test_a_balance_already_being_collected_is_skipped(self):
        partner = self._partner("Twice", email="twice@example.com")
        self._invoice(partner, 20.0, self.gbp)
        self._mandate(partner)
        first = self._export(partner)
        # another customer's balance, so that the second export has a line (and a batch)
        other = self._partner("Other", email="other@example.com")
        self._invoice(other, 5.0, self.gbp)
        self._mandate(other)
        second = self._export(partner | other)
        self.assertEqual(second.line_ids.partner_id, other)
        skip = self._skip(second, partner)
        self.assertEqual(skip.reason, "pending_export")
        self.assertIn(first.line_ids.reference, skip.detail)
        # once recorded in Odoo the balance is paid: nothing due any more
        (first | second).with_user(self.gc_accountant).action_record_payments()
        self.assertFalse(self._export(partner))
        self.assertIn("Nothing due or in credit (1)", self.export_action["params"]["message"])

    def test_commercial_entity_and_mandate_choice(self):
        company = self._partner("Acme Group", is_company=True, email="acme@example.com")
        contact = self._partner("Ann Accounts", parent_id=company.id, email="ann@example.com")
        self._invoice(contact, 70.0, self.gbp)  # invoices live on the commercial entity
        self._invoice(company, 30.0, self.gbp)
        contact_mandate = self._mandate(contact, status="active")
        batch = self._export(contact)
        line = batch.line_ids
        self.assertEqual(line.partner_id, company)
        self.assertEqual(to_decimal(line.amount, self.gbp), Decimal("100.00"))
        self.assertEqual(line.mandate_id, contact_mandate)
        # the entity's own usable mandate wins over a contact's, even a pending one
        line.export_id.unlink()
        own = self._mandate(company, status="pending_submission")
        self.assertEqual(self._export(company | contact).line_ids.mandate_id, own)

    def test_active_mandate_preferred_then_newest(self):
        partner = self._partner("Many Mandates", email="many@example.com")
        self._invoice(partner, 10.0, self.gbp)
        pending = self._mandate(partner, status="submitted")
        customer = pending.customer_id
        older = self._mandate(partner, customer=customer, gocardless_created_at="2024-01-01")
        newer = self._mandate(partner, customer=customer, gocardless_created_at="2024-06-01")
        self.assertTrue(older and pending)
        self.assertEqual(self._export(partner).line_ids.mandate_id, newer)

    def test_charge_date_rule(self):
        partner = self._partner("Dated", email="dated@example.com")
        self._invoice(partner, 10.0, self.gbp)
        mandate = self._mandate(partner)  # bacs: next possible 3 working days later
        self.assertEqual(mandate.next_possible_charge_date, date(2025, 3, 6))
        asap = self._export(partner)
        self.assertFalse(asap.line_ids.charge_date)
        self.assertFalse(asap.line_ids.note)
        asap.unlink()
        early = self._export(partner, charge_date=date(2025, 3, 4))
        self.assertEqual(early.line_ids.charge_date, date(2025, 3, 6))
        self.assertIn("03/04/2025", early.line_ids.note)
        self.assertIn("03/06/2025", early.line_ids.note)
        # the date can change while nothing is recorded: lines and files follow
        early.with_user(self.gc_accountant).charge_date = date(2025, 3, 20)
        self.assertEqual(early.line_ids.charge_date, date(2025, 3, 20))
        self.assertFalse(early.line_ids.note)
        self.assertIn(b",2025-03-20,", early.csv_attachment_id.raw)
        self.assertFalse(early.xlsx_attachment_id)
        with self.assertRaises(UserError) as caught:
            early.charge_date = date(2025, 3, 2)
        self.assertIn("in the past", str(caught.exception))
        early.with_user(self.gc_accountant).action_record_payments()
        with self.assertRaises(UserError) as caught:
            early.charge_date = date(2025, 3, 25)
        self.assertIn("cannot change", str(caught.exception))

    def test_export_from_the_integration_screen_takes_every_linked_contact(self):
        linked = self._partner("Linked", email="linked@example.com")
        self._invoice(linked, 10.0, self.gbp)
        self._mandate(linked)
        unlinked = self._partner("Unlinked", email="unlinked@example.com")
        self._invoice(unlinked, 10.0, self.gbp)
        action = self.account.with_user(self.gc_accountant).action_export_balances()
        batch = self._batch_of(action)
        self.assertEqual(batch.line_ids.partner_id, linked)
        self.assertNotIn(unlinked, batch.skip_ids.partner_id)
        self.assertEqual(self.account.export_count, 1)
        self.assertEqual(
            self.account.action_open_exports()["domain"], [("account_id", "=", self.account.id)]
        )

    def test_contacts_server_action(self):
        server_action = self.env.ref(
            "gocardless_sync.res_partner_action_gocardless_export_balances"
        )
        self.assertEqual(server_action.binding_model_id.model, "res.partner")
        self.assertIn(
            self.env.ref("gocardless_sync.group_gocardless_manager"), server_action.groups_id
        )
        partner = self._partner("Via Action", email="action@example.com")
        self._invoice(partner, 12.5, self.gbp)
        self._mandate(partner)
        action = (
            server_action.with_user(self.gc_accountant)
            .with_context(active_model="res.partner", active_ids=partner.ids, active_id=partner.id)
            .run()
        )
        batch = self._batch_of(action)
        self.assertEqual(to_decimal(batch.line_ids.amount, self.gbp), Decimal("12.50"))

    def test_batch_with_payments_cannot_be_deleted(self):
        partner = self._partner("Kept", email="kept@example.com")
        self._invoice(partner, 10.0, self.gbp)
        self._mandate(partner)
        batch = self._export(partner)
        batch.with_user(self.gc_accountant).action_record_payments()
        with self.assertRaises(UserError):
            batch.unlink()


@tagged("post_install", "-at_install")
class TestExportFiles(GoCardlessPaymentCase):
    def _known_batch(self):
        """Two customers, one with a long company name, one charge date moved."""
        self.alice = self._partner("Alice Smith", email="alice@example.com")
        self.bob = self._partner("Bob, Jones & Co", email="bob@example.com")
        self._invoice(self.alice, 0.10, self.gbp)
        self._invoice(self.alice, 0.20, self.gbp)
        self._invoice(self.bob, 1234567.89, self.gbp)
        self.alice_mandate = self._mandate(self.alice)
        self.bob_mandate = self._mandate(self.bob)
        self.bob_mandate.customer_id.company_name = "B" * 120
        return self._export(self.alice | self.bob, charge_date=date(2025, 3, 4))

    def test_csv_byte_for_byte(self):
        batch = self._known_batch()
        a, b = self.alice_mandate, self.bob_mandate
        name, tag = batch.name, database_tag(batch.env, REFERENCE_TAG_PURPOSE)
        expected = (
            "mandate.id,customer.id,customer.given_name,customer.family_name,"
            "customer.company_name,customer.email,payment.amount,payment.currency,"
            "payment.description,payment.charge_date,payment.metadata.odoo_ref\r\n"
            f"{a.gocardless_id},{a.customer_id.gocardless_id},Given,Alice Smith,,"
            f"alice@example.com,0.30,GBP,Account balance {name}-0001-{tag},2025-03-06,"
            f"{name}-0001-{tag}\r\n"
            f'{b.gocardless_id},{b.customer_id.gocardless_id},Given,"Bob, Jones & Co",'
            f"{'B' * 100},bob@example.com,1234567.89,GBP,Account balance {name}-0002-{tag},"
            f"2025-03-06,{name}-0002-{tag}\r\n"
        ).encode()
        self.assertEqual(batch.csv_attachment_id.raw, expected)
        self.assertEqual(batch.csv_attachment_id.name, f"{name}.csv")
        self.assertEqual(batch.csv_attachment_id.res_model, "gocardless.export")
        self.assertEqual(batch.csv_attachment_id.res_id, batch.id)
        action = batch.action_download_csv()
        self.assertEqual(action["url"], f"/web/content/{batch.csv_attachment_id.id}?download=true")

    def test_xlsx_cell_by_cell(self):
        batch = self._known_batch()
        a, b = self.alice_mandate, self.bob_mandate
        name, tag = batch.name, database_tag(batch.env, REFERENCE_TAG_PURPOSE)
        self.assertFalse(batch.xlsx_attachment_id)  # built on its first download
        action = batch.with_user(self.gc_accountant).action_download_xlsx()
        self.assertEqual(action["url"], f"/web/content/{batch.xlsx_attachment_id.id}?download=true")
        self.assertEqual(batch.xlsx_attachment_id.name, f"{name}.xlsx")
        workbook = openpyxl.load_workbook(io.BytesIO(batch.xlsx_attachment_id.raw))
        sheet = workbook.active
        rows = list(sheet.iter_rows())
        self.assertEqual(len(rows), 3)
        self.assertEqual(tuple(cell.value for cell in rows[0]), const.BULK_IMPORT_COLUMNS)
        expected = [
            [a.gocardless_id, a.customer_id.gocardless_id, "Given", "Alice Smith", None,
             "alice@example.com", 0.3, "GBP", f"Account balance {name}-0001-{tag}", "2025-03-06",
             f"{name}-0001-{tag}"],
            [b.gocardless_id, b.customer_id.gocardless_id, "Given", "Bob, Jones & Co", "B" * 100,
             "bob@example.com", 1234567.89, "GBP", f"Account balance {name}-0002-{tag}",
             "2025-03-06", f"{name}-0002-{tag}"],
        ]  # fmt: skip
        for row, values in zip(rows[1:], expected, strict=True):
            for column, cell, value in zip(const.BULK_IMPORT_COLUMNS, row, values, strict=True):
                with self.subTest(column=column, row=cell.row):
                    self.assertEqual(cell.value, value)
                    if column == "payment.amount":
                        self.assertEqual(cell.data_type, "n")
                        self.assertEqual(cell.number_format, "0.00")
                    elif value is not None:
                        # IDs and dates are text, so that a spreadsheet keeps them as they are
                        self.assertEqual(cell.data_type, "s")
                        self.assertEqual(cell.number_format, "@")
                    self.assertLessEqual(len(str(cell.value or "")), 100)
        # every column is as wide as its longest cell (plus a margin), within bounds; the
        # header row stays visible
        self.assertEqual(sheet.freeze_panes, "A2")
        for index, column in enumerate(const.BULK_IMPORT_COLUMNS, start=1):
            with self.subTest(width=column):
                letter = openpyxl.utils.get_column_letter(index)
                longest = max(len(str(row[index - 1].value or "")) for row in rows)
                self.assertEqual(
                    sheet.column_dimensions[letter].width,
                    min(60, max(8, longest + 2)),
                )
        self.assertEqual(sheet.column_dimensions["E"].width, 60)  # 100 characters: capped
        self.assertEqual(sheet.column_dimensions["A"].width, len(a.gocardless_id) + 2)

    def test_formulas_from_customer_names_are_never_formulas(self):
        """Names come from GoCardless customers (anyone with a payment page writes them):
        a spreadsheet must show them as text, never run them."""
        row = dict.fromkeys(const.BULK_IMPORT_COLUMNS, "x")
        row.update(
            {
                "customer.given_name": '=HYPERLINK("http://evil.example","Click")',
                "customer.family_name": "+1+2",
                "customer.company_name": "@SUM(A1)",
                "customer.email": "-2+3@example.com",
                "payment.description": "\tTab",
                "payment.amount": Decimal("10.50"),
                "payment.charge_date": None,
            }
        )
        csv_text = export_files.build_csv([row]).decode()
        self.assertIn(""""'=HYPERLINK(""http://evil.example"",""Click"")",""", csv_text)
        self.assertIn(",'+1+2,'@SUM(A1),'-2+3@example.com,10.50,x,'\tTab,,x\r\n", csv_text)
        sheet = openpyxl.load_workbook(io.BytesIO(export_files.build_xlsx([row]))).active
        for cell_name, value in (
            ("C2", '\'=HYPERLINK("http://evil.example","Click")'),
            ("D2", "'+1+2"),
            ("E2", "'@SUM(A1)"),
            ("F2", "'-2+3@example.com"),
        ):
            with self.subTest(cell=cell_name):
                self.assertEqual(sheet[cell_name].value, value)
                self.assertEqual(sheet[cell_name].data_type, "s")
        # ordinary text keeps its value
        self.assertEqual(export_files.build_csv([dict(row, **{"customer.given_name": "Ann"})])
                         .decode().splitlines()[1].split(",")[2], "Ann")  # fmt: skip

    def test_references_are_unique_to_the_database(self):
        """A reference is an idempotency key and the odoo_ref GoCardless payments are found
        by: two databases on one GoCardless account must never share one."""
        partner = self._partner("Tagged", email="tagged@example.com")
        self._invoice(partner, 5.0, self.gbp)
        self._mandate(partner)
        batch = self._export(partner)
        tag = database_tag(batch.env, REFERENCE_TAG_PURPOSE)
        self.assertRegex(tag, r"^[0-9A-F]{6}$")
        self.assertEqual(batch.line_ids.reference, f"{batch.name}-0001-{tag}")
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("database.uuid", "another-database")
        self.assertNotEqual(database_tag(batch.env, REFERENCE_TAG_PURPOSE), tag)

    def test_service_formats_zero_decimal_amounts(self):
        row = dict.fromkeys(const.BULK_IMPORT_COLUMNS, "x")
        row.update({"payment.amount": Decimal("1400"), "payment.charge_date": None})
        csv_bytes = export_files.build_csv([row])
        self.assertTrue(csv_bytes.endswith(b",1400,x,x,,x\r\n"))
        sheet = openpyxl.load_workbook(io.BytesIO(export_files.build_xlsx([row]))).active
        self.assertEqual(sheet["G2"].number_format, "0")
        self.assertIsNone(sheet["J2"].value)


@tagged("post_install", "-at_install")
class TestExportQueries(GoCardlessPaymentCase):
    """The export reads balances with one grouped query and inserts its lines with one
    statement: its query count does not grow with the number of customers."""

    def _customers(self, count, offset):
        partners = self.env["res.partner"].create(
            [{"name": f"Bulk {offset + n}"} for n in range(count)]
        )
        receivable = self.env["account.account"].search(
            [("company_ids", "in", self.company.id), ("account_type", "=", "asset_receivable")],
            limit=1,
        )
        income = self.env["account.account"].search(
            [("company_ids", "in", self.company.id), ("account_type", "=", "income")], limit=1
        )
        debits = [Decimal(1000 + n) / 100 for n in range(count)]  # 10.00, 10.01, ...
        lines = [
            (0, 0, {"account_id": receivable.id, "partner_id": partner.id,
                    "debit": float(debit), "credit": 0.0, "name": "Balance"})
            for debit, partner in zip(debits, partners, strict=True)
        ]  # fmt: skip
        lines.append(
            (0, 0, {"account_id": income.id, "debit": 0.0, "credit": float(sum(debits)),
                    "name": "Sales"})
        )  # fmt: skip
        move = self.env["account.move"].create(
            {
                "move_type": "entry",
                "date": "2025-01-10",
                "journal_id": self.sale_journal.id,
                "line_ids": lines,
            }
        )
        move.action_post()
        customers = self.env["gocardless.customer"].create(
            [{"account_id": self.account.id, "partner_id": partner.id,
              "gocardless_id": f"CUQ{offset + n}"} for n, partner in enumerate(partners)]
        )  # fmt: skip
        self.env["gocardless.mandate"].create(
            [{"customer_id": customer.id, "gocardless_id": f"MDQ{offset + n}", "status": "active",
              "scheme": "ach", "next_possible_charge_date": "2025-03-05"}
             for n, customer in enumerate(customers)]
        )  # fmt: skip
        return partners

    @contextmanager
    def _queries(self):
        queries = []
        with contextmanager(self._patchExecute)(queries):
            yield queries

    def _export_queries(self, partners):
        partners = partners.with_user(self.gc_accountant)
        self.env.invalidate_all()
        with self._queries() as queries:
            partners.action_gocardless_export_balances()
        return queries

    def test_query_count_does_not_grow_with_customers(self):
        partners = self._customers(1000, 0)
        Export = self.env["gocardless.export"]
        self._export_queries(partners[:5])  # warm up caches (sequence, groups)
        Export.search([]).unlink()
        small_queries = self._export_queries(partners[:100])
        self.assertEqual(len(Export.search([]).line_ids), 100)
        Export.search([]).unlink()
        large_queries = self._export_queries(partners)

        def inserts(queries, table):
            return [q for q in queries if re.match(rf'\s*INSERT INTO "{table}"', q)]

        self.assertEqual(len(inserts(small_queries, "gocardless_export_line")), 1)
        self.assertEqual(len(inserts(large_queries, "gocardless_export_line")), 1)
        self.assertEqual(len(large_queries), len(small_queries))
        balance_reads = [q for q in large_queries if 'FROM "account_move_line"' in q]
        self.assertEqual(len(balance_reads), 1, balance_reads)
        self.assertIn("GROUP BY", balance_reads[0])
        batch = self.env["gocardless.export"].search([], limit=1)
        self.assertEqual(len(batch.line_ids), 1000)

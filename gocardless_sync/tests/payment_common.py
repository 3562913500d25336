"""Set-up shared by the balance export and payment tests: currencies, the payments journal,
an accountant who is also GoCardless Manager, invoices, and mandates that exist both in the
emulator and in Odoo."""

from freezegun import freeze_time

from odoo import Command, fields

from .common import GoCardlessCase

# Every date in these tests is explicit; "today" is frozen here (a Monday).
TODAY = "2025-03-03"


class PaymentDataMixin:
    """Payments set-up and data helpers, for TransactionCase and HttpCase tests alike."""

    @classmethod
    def _setup_payments(cls):
        cls.usd = cls.company.currency_id
        cls.gbp = cls._activate_currency("GBP", 0.8)
        cls.eur = cls._activate_currency("EUR", 0.9)
        cls.journal = cls.env["account.journal"].search(
            [("company_id", "=", cls.company.id), ("code", "=", "BNK1")], limit=1
        )
        cls.account.journal_id = cls.journal
        cls.gc_accountant = cls._new_user(
            "gc_accountant",
            "base.group_user,gocardless_sync.group_gocardless_manager,"
            "account.group_account_invoice",
        )
        cls.sale_journal = cls.env["account.journal"].search(
            [("company_id", "=", cls.company.id), ("type", "=", "sale")], limit=1
        )

    @classmethod
    def _activate_currency(cls, code, rate):
        currency = (
            cls.env["res.currency"]
            .with_context(active_test=False)
            .search([("name", "=", code)], limit=1)
        )
        currency.rate_ids.unlink()
        currency.write(
            {
                "active": True,
                "rate_ids": [
                    Command.create(
                        {"name": "2020-01-01", "rate": rate, "company_id": cls.company.id}
                    )
                ],
            }
        )
        return currency

    # -- data ----------------------------------------------------------------------------
    @classmethod
    def _partner(cls, name, **vals):
        return cls.env["res.partner"].create(dict({"name": name}, **vals))

    @classmethod
    def _invoice(cls, partner, amount, currency=None, date="2025-01-10", move_type="out_invoice"):
        """A posted customer invoice (or credit note) of one untaxed line."""
        move = cls.env["account.move"].create(
            {
                "move_type": move_type,
                "partner_id": partner.id,
                "invoice_date": date,
                "date": date,
                "invoice_date_due": date,
                "currency_id": (currency or cls.usd).id,
                "journal_id": cls.sale_journal.id,
                "invoice_line_ids": [
                    Command.create(
                        {"name": "Service", "quantity": 1, "price_unit": amount, "tax_ids": []}
                    )
                ],
            }
        )
        move.action_post()
        return move

    def _mandate(self, partner, scheme="bacs", status="active", customer=None, **fields_):
        """A mandate in the emulator and the same mandate (and customer) in Odoo."""
        if customer is None:
            gc_customer = self.emulator.add_customer(
                email=partner.email or f"{partner.id}@example.com",
                given_name="Given",
                family_name=partner.name,
            )
            customer = self._link_customer(
                partner,
                gocardless_id=gc_customer["id"],
                given_name="Given",
                family_name=partner.name,
                email=gc_customer["email"],
            )
        gc_mandate = self.emulator.add_mandate(customer.gocardless_id, status=status, scheme=scheme)
        vals = self.env["gocardless.mandate"]._gocardless_vals_from_api(gc_mandate)
        vals.update(customer_id=customer.id, **fields_)
        return self.env["gocardless.mandate"].create(vals)

    def _export(self, partners, user=None, charge_date=None):
        """Export as the accountant; return the batch, or an empty recordset when nothing
        could be collected (no batch is created then). The action is kept in
        ``self.export_action``."""
        partners = partners.with_user(user or self.gc_accountant)
        self.export_action = partners.action_gocardless_export_balances(charge_date=charge_date)
        return self._batch_of(self.export_action)

    def _batch_of(self, action):
        """The batch an export's toast opens next (empty when it opens none)."""
        self.assertEqual(action["tag"], "display_notification")
        opened = action["params"].get("next")
        if opened:
            self.assertEqual(opened["res_model"], "gocardless.export")
        return self.env["gocardless.export"].browse(opened["res_id"] if opened else [])

    def _line(self, batch, partner, currency=None):
        return batch.line_ids.filtered(
            lambda line: (
                line.partner_id == partner and (currency is None or line.currency_id == currency)
            )
        )

    def _skip(self, batch, partner, currency=None):
        return batch.skip_ids.filtered(
            lambda skip: (
                skip.partner_id == partner and (currency is None or skip.currency_id == currency)
            )
        )

    @staticmethod
    def _today():
        return fields.Date.to_date(TODAY)


class GoCardlessPaymentCase(PaymentDataMixin, GoCardlessCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_payments()

    def setUp(self):
        super().setUp()
        freezer = freeze_time(TODAY + " 10:00:00")
        freezer.start()
        self.addCleanup(freezer.stop)

"""Set-up and checks shared by the ledger tests: a customer with an invoice and a mandate, a
balance exported and collected through the emulator, GoCardless's events read by polling,
and the accountant's checks (balanced entries, nothing posted ever changed, the clearing
account, open invoices)."""

from contextlib import nullcontext
from decimal import Decimal

from freezegun import freeze_time

from ..tools import to_decimal


class LedgerMixin:
    """For GoCardlessPaymentCase (TransactionCase) and PaymentDataMixin HttpCase tests."""

    INVOICE_AMOUNT = 80.0

    def _setup_ledger_customer(self, name="Ledger Customer", amount=None):
        """A customer with one open GBP invoice and an active Bacs mandate."""
        partner = self._partner(name, email=f"{name.lower().replace(' ', '.')}@example.com")
        invoice = self._invoice(partner, amount or self.INVOICE_AMOUNT, self.gbp)
        self._mandate(partner)
        return partner, invoice

    def _collect_balance(self, partner, record=None):
        """Export ``partner``'s balance and collect it through the API (recorded first as an
        Odoo payment when ``record``, or by default when the account records at export).
        Returns (batch, line, GoCardless payment)."""
        batch = self._export(partner)
        if record is None:
            record = self.account.payment_recording == "export"
        if record:
            batch.with_user(self.gc_accountant).action_record_payments()
        batch.with_user(self.gc_accountant).action_collect()
        line = batch.line_ids
        return batch, line, line.gocardless_payment_id

    def _gocardless(self, payment, *actions, at=None):
        """Steps of a payment's life in GoCardless (the emulator records the events), at the
        time ``at`` (a freezegun time) when given."""
        events = []
        with freeze_time(at) if at else nullcontext():
            for action in actions:
                events += self.emulator.payment_action(payment.gocardless_id, action)
        return events

    def _pay_out(self, currency="GBP", at=None, **kwargs):
        """A GoCardless payout (the emulator's ``pay_out``) at the time ``at``."""
        with freeze_time(at) if at else nullcontext():
            return self.emulator.pay_out(currency, **kwargs)

    def _poll(self, at=None):
        """The scheduled polling: every event since the last one polled, applied."""
        self.env.flush_all()
        with freeze_time(at) if at else nullcontext():
            events = self.env["gocardless.event"]._gocardless_poll(self.account)
        self.env.invalidate_all()
        return events

    # -- the accountant's checks ---------------------------------------------------------
    def _clearing(self):
        return self.account._gocardless_clearing_account()

    def _snapshot(self, moves):
        """What must never change in posted entries: state, date, and every line."""
        return {
            move.id: (
                move.state,
                move.date,
                [
                    (
                        line.account_id.id,
                        line.partner_id.id,
                        to_decimal(line.debit, line.company_currency_id),
                        to_decimal(line.credit, line.company_currency_id),
                        to_decimal(line.amount_currency, line.currency_id),
                    )
                    for line in move.line_ids.sorted("id")
                ],
            )
            for move in moves
        }

    def _assert_unchanged(self, snapshot):
        moves = self.env["account.move"].browse(list(snapshot))
        self.assertEqual(self._snapshot(moves), snapshot, "a posted entry was changed")

    def _assert_balanced(self, moves):
        for move in moves:
            currency = move.company_currency_id
            debit = sum((to_decimal(line.debit, currency) for line in move.line_ids), Decimal(0))
            credit = sum((to_decimal(line.credit, currency) for line in move.line_ids), Decimal(0))
            self.assertEqual(debit, credit, f"{move.name} is not balanced")
            self.assertEqual(move.state, "posted")

    def _clearing_lines(self, gc_payment):
        return gc_payment.move_ids.line_ids.filtered(
            lambda line: line.account_id == self._clearing()
        )

    def _open_clearing(self, gc_payment):
        """{'debit'|'credit': Decimal residual} of the payment's open clearing lines, in the
        payment's currency."""
        lines = self._clearing_lines(gc_payment).filtered(lambda line: not line.reconciled)
        currency = gc_payment.currency_id
        return sorted(to_decimal(line.amount_residual_currency, currency) for line in lines)

    def _clearing_balance(self, gc_payment):
        currency = gc_payment.currency_id
        return sum(
            (
                to_decimal(line.amount_currency, currency)
                for line in self._clearing_lines(gc_payment)
            ),
            Decimal(0),
        )

    def _residual(self, invoice):
        return to_decimal(invoice.amount_residual, invoice.currency_id)

    def _kinds(self, gc_payment):
        return gc_payment.entry_ids.mapped("kind")

"""18.0.1.2.0: the ledger lists every entry booked for a GoCardless payment
(``gocardless.payment.entry``). The Odoo payments recorded before are listed first, so that
reversals and payouts find their entries (a payment cancelled by the earlier versions has no
posted entry and is left as it was)."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    payments = env["gocardless.payment"].search([("account_payment_id", "!=", False)])
    payments._gocardless_ensure_payment_entries()

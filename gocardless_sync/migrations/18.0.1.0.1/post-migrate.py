"""18.0.1.0.1: extra emails are normalised with Odoo's own rule.

The customer sync now normalises every address as Odoo's ``email_normalize`` does (an ASCII
local part is lower-cased, a non-ASCII one is kept as typed; the domain is lower-cased), on the
GoCardless side as on the Odoo side. The normalised extra emails stored before are computed
again with that rule, so that "Jörg@example.com" matches "Jörg@example.com" and nothing else.
"""

import logging

from odoo import SUPERUSER_ID, api

_logger = logging.getLogger(__name__)


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    emails = env["res.partner.email"].search([])
    # recompute the stored field (no write: no chatter note, no constraint on the address)
    env.add_to_compute(emails._fields["email_normalized"], emails)
    emails.flush_recordset(["email_normalized"])
    _logger.info("gocardless_sync: %s extra emails normalised again", len(emails))

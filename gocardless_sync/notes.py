"""Chatter notes that record what was done and can never undo it.

After GoCardless did something (created a customer, cancelled a mandate), the note that says
so must not be able to fail the action: Odoo and GoCardless would then disagree. Odoo's
``message_post`` refuses an author without an email address ("configure the sender's email
address") and needs write access to the document; ``_message_log_batch``, the way Odoo itself
logs tracking notes, needs neither, notifies nobody and keeps the current user as the author
(who) and the time (when). Callers check their own rights before they act.
"""

import logging

_logger = logging.getLogger(__name__)


def log_note(records, body):
    """Log ``body`` (text, escaped; or Markup) as an internal note on each of ``records``
    (a ``mail.thread`` recordset), by the current user; ``body`` may also be a dict
    {record id: body}, one note per record in one batch. Never raises: the notes are written
    in a savepoint, and a failure is logged and swallowed, so the action they record stands."""
    bodies = body if isinstance(body, dict) else {record.id: body for record in records}
    records = records.filtered(lambda record: bodies.get(record.id))
    if not records:
        return records.env["mail.message"]
    try:
        with records.env.cr.savepoint():
            return records._message_log_batch(bodies)
    except Exception:
        _logger.exception("Could not log a note on %s: %s", records, bodies)
        return records.env["mail.message"]

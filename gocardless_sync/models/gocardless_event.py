"""GoCardless events: what GoCardless tells Odoo happened, from webhooks or polling.

Every event is stored once per account (GoCardless event ID unique per account), then applied
by :meth:`GoCardlessEvent._gocardless_process`, each in its own savepoint: an event that fails
stays in the "error" state with the message and is retried by a scheduled action; the others
are unaffected. Webhooks and polling share this code and its de-duplication.
"""

import json
import logging
import time
from datetime import timedelta

from psycopg2 import IntegrityError

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import mute_logger

from ..services import const, status_rules
from ..services.api import GoCardlessError
from ..tools import parse_datetime

_logger = logging.getLogger(__name__)

# Stop applying events of one webhook delivery after this many seconds: GoCardless waits 10 s
# for the answer; what is left stays "new" and the retry scheduled action applies it.
WEBHOOK_PROCESS_BUDGET = 5.0
# Give up retrying an event after this many failed attempts (it stays visible as an error).
MAX_ATTEMPTS = 10
# The first polling of an account reads the events of this many hours only: the customer
# sync brings the current state; polling is there to catch up with missed webhooks.
FIRST_POLL_HOURS = 24
# Events that waited for a balance export's lock are tried again after this long (also when
# the lock's holder does not trigger the retry itself).
BUSY_RETRY_DELAY = timedelta(minutes=1)
# The balance exports whose lock this transaction was refused (cursor.postcommit.data key).
REFUSED_LOCKS_KEY = "gocardless_sync.refused_export_locks"


class Deferred(Exception):
    """The event cannot be applied now: it stays "To apply" (no attempt counted), with the
    exception's text as its note, for the retry scheduled action."""


class FetchDeferred(Deferred):
    """Applying the event needs a GoCardless API call, which a webhook delivery leaves to
    the retry scheduled action (the delivery must be answered quickly)."""


class BatchBusy(Deferred):
    """The event is about payments of a balance export whose lock another transaction
    holds (a collection, a recording, a refresh, other events): applying it now would write
    what that transaction writes."""


class GoCardlessEvent(models.Model):
    _name = "gocardless.event"
    _description = "GoCardless Event"
    _order = "gocardless_created_at desc, id desc"
    _rec_name = "gocardless_id"
    _check_company_auto = True

    account_id = fields.Many2one(
        "gocardless.account", required=True, ondelete="cascade", index=True, readonly=True
    )
    company_id = fields.Many2one(
        related="account_id.company_id", store=True, index=True, precompute=True
    )
    gocardless_id = fields.Char(string="GoCardless ID", required=True, readonly=True)
    resource_type = fields.Char(readonly=True, index=True)
    action = fields.Char(readonly=True)
    resource_gocardless_id = fields.Char(
        string="Resource", readonly=True, index=True, help="The ID of the resource it is about."
    )
    gocardless_created_at = fields.Datetime(string="Happened at", readonly=True)
    description = fields.Char(readonly=True)
    cause = fields.Char(readonly=True)
    origin = fields.Char(readonly=True)
    reason_code = fields.Char(readonly=True)
    payload = fields.Text(readonly=True, help="The event as GoCardless sent it (JSON).")
    source = fields.Selection(
        [("webhook", "Webhook"), ("poll", "Polling")], required=True, readonly=True
    )
    webhook_id = fields.Char(readonly=True)
    state = fields.Selection(
        [
            ("new", "To apply"),
            ("done", "Applied"),
            ("ignored", "Nothing to do"),
            ("error", "Error"),
        ],
        default="new",
        required=True,
        readonly=True,
        index=True,
    )
    note = fields.Char(readonly=True, help="What applying the event did, or why it did nothing.")
    error_message = fields.Text(readonly=True)
    attempt_count = fields.Integer(readonly=True)
    processed_at = fields.Datetime(readonly=True)

    _sql_constraints = [
        (
            "gocardless_id_account_uniq",
            "unique(account_id, gocardless_id)",
            "This GoCardless event is already recorded for this account.",
        ),
    ]

    # -- ingestion -----------------------------------------------------------------------
    @api.model
    def _gocardless_ingest(self, account, events_data, source, webhook_id=None):
        """Store the events not seen yet for ``account``; return the new records.

        Replays (the same event ID again, by webhook or polling) store nothing, also when a
        webhook and the polling store the same event at the same moment."""
        ids = [data["id"] for data in events_data]
        known = set(
            self.with_context(active_test=False)
            .search([("account_id", "=", account.id), ("gocardless_id", "in", ids)])
            .mapped("gocardless_id")
        )
        vals_list, seen = [], set()
        for data in events_data:
            if data["id"] in known or data["id"] in seen:
                continue
            seen.add(data["id"])
            vals_list.append(self._gocardless_vals_from_api(account, data, source, webhook_id))
        return self._gocardless_create_new(vals_list)

    @api.model
    def _gocardless_create_new(self, vals_list):
        """Create the events, skipping those another transaction stored meanwhile (the unique
        constraint): in one batch, or one by one when the batch meets such a duplicate."""
        if not vals_list:
            return self.browse()
        try:
            with self.env.cr.savepoint(), mute_logger("odoo.sql_db"):
                return self.create(vals_list)
        except IntegrityError:
            _logger.info("GoCardless events stored meanwhile by another transaction: one by one")
        created = self.browse()
        for vals in vals_list:
            try:
                with self.env.cr.savepoint(), mute_logger("odoo.sql_db"):
                    created |= self.create(vals)
            except IntegrityError:
                _logger.info("GoCardless event %s already stored", vals["gocardless_id"])
        return created

    @api.model
    def _gocardless_vals_from_api(self, account, data, source, webhook_id=None):
        links = data.get("links") or {}
        details = data.get("details") or {}
        resource_type = data.get("resource_type") or ""
        singular = const.EVENT_RESOURCE_LINK.get(resource_type)
        return {
            "account_id": account.id,
            "gocardless_id": data["id"],
            "resource_type": resource_type,
            "action": data.get("action") or "",
            "resource_gocardless_id": links.get(singular) if singular else False,
            "gocardless_created_at": parse_datetime(data.get("created_at")),
            "description": (details.get("description") or "")[:500] or False,
            "cause": details.get("cause") or False,
            "origin": details.get("origin") or False,
            "reason_code": details.get("reason_code") or False,
            "payload": json.dumps(data, sort_keys=True),
            "source": source,
            "webhook_id": webhook_id or False,
        }

    def _data(self):
        self.ensure_one()
        return json.loads(self.payload or "{}")

    def _created_at_key(self):
        """The event's creation time as GoCardless wrote it (ISO, milliseconds included),
        to order events of the same second."""
        self.ensure_one()
        return self._data().get("created_at") or fields.Datetime.to_string(
            self.gocardless_created_at or fields.Datetime.now()
        )

    # -- processing ----------------------------------------------------------------------
    def _gocardless_process(self, budget=None, fetch=True):
        """Apply these events, oldest first, each in its own savepoint.

        :param budget: stop after this many seconds (the rest stays "new")
        :param fetch: when False (a webhook delivery), events that need a GoCardless API call
            (an unknown mandate or payment) stay "new" for the retry scheduled action
        :return: the events left unprocessed because of the budget
        """
        start = time.monotonic()
        events = self.with_context(gocardless_event_fetch=fetch).sorted(
            lambda event: (event._created_at_key(), event.id)
        )
        left, busy = self.browse(), False
        for index, event in enumerate(events):
            if budget is not None and time.monotonic() - start > budget:
                left = events[index:]
                break
            busy = isinstance(event._gocardless_process_one(), BatchBusy) or busy
        if busy:
            self._gocardless_trigger_retry(BUSY_RETRY_DELAY)
        return left

    @api.model
    def _gocardless_trigger_retry(self, delay=None):
        """Ask the scheduled action "GoCardless: retry events" to run once this transaction
        commits, or ``delay`` (a timedelta) later."""
        at = fields.Datetime.now() + delay if delay else None
        self.env.ref("gocardless_sync.ir_cron_gocardless_retry_events")._trigger(at)

    def _gocardless_process_one(self):
        """Apply this event in a savepoint; return the ``Deferred`` exception when it has to
        wait, else None."""
        self.ensure_one()
        try:
            with self.env.cr.savepoint():
                state, note = self._gocardless_apply()
        except Deferred as deferred:
            self.note = str(deferred)
            return deferred
        except (GoCardlessError, UserError) as error:
            message = (
                self.account_id._gocardless_error_message(error)
                if isinstance(error, GoCardlessError)
                else str(error)
            )
            self._gocardless_mark_error(message)
        except Exception as error:  # a bug or a database error: keep the event, say why
            _logger.exception("Applying GoCardless event %s failed", self.gocardless_id)
            self._gocardless_mark_error(f"{type(error).__name__}: {error}")
        else:
            self.write(
                {
                    "state": state,
                    "note": note,
                    "error_message": False,
                    "attempt_count": self.attempt_count + 1,
                    "processed_at": fields.Datetime.now(),
                }
            )

    def _gocardless_mark_error(self, message):
        self.write(
            {
                "state": "error",
                "error_message": message,
                "attempt_count": self.attempt_count + 1,
                "processed_at": fields.Datetime.now(),
            }
        )

    def _gocardless_apply(self):
        """Apply one event; return (state, note). Raise to leave it in error."""
        handler = getattr(self, f"_gocardless_apply_{self.resource_type}", None)
        if handler is None:
            return "ignored", _("Odoo does not use %(type)s events.", type=self.resource_type)
        return handler()

    def _gocardless_apply_mandates(self):
        mandate_id = self.resource_gocardless_id
        mandate = self.env["gocardless.mandate"]._gocardless_find(self.company_id, mandate_id)
        data = self._data()
        new_mandate_id = (data.get("links") or {}).get("new_mandate")
        if not mandate:
            try:
                mandate = self._gocardless_fetch_mandate(mandate_id)
            except GoCardlessError as error:
                if error.kind not in (GoCardlessError.KIND_NOT_FOUND, GoCardlessError.KIND_GONE):
                    raise  # GoCardless unreachable: keep the event in error, retry later
                return "ignored", _(
                    "GoCardless does not know mandate %(mandate)s (any more).", mandate=mandate_id
                )
            if not mandate:
                return "ignored", _(
                    "Mandate %(mandate)s belongs to no GoCardless customer linked in Odoo.",
                    mandate=mandate_id,
                )
            note = _("Mandate %(mandate)s fetched from GoCardless.", mandate=mandate_id)
            mandate.last_event_at = self.gocardless_created_at
        else:
            note = mandate._gocardless_apply_event(self.action, self.gocardless_created_at)
        if new_mandate_id:
            replacement = self._gocardless_link_replacement(mandate, new_mandate_id)
            note = _("%(note)s Replaced by %(new)s.", note=note, new=replacement.gocardless_id)
        return "done", note

    def _gocardless_fetch(self, resource, gocardless_id):
        """GET one resource from GoCardless, unless this processing may not call the API
        (webhook delivery): then the event waits for the retry scheduled action."""
        if not self.env.context.get("gocardless_event_fetch", True):
            raise FetchDeferred(
                _(
                    "Waiting for %(id)s to be fetched from GoCardless by the scheduled action "
                    '"GoCardless: retry events".',
                    id=gocardless_id,
                )
            )
        return self.account_id._gocardless_api().get(resource, gocardless_id)

    def _gocardless_fetch_mandate(self, mandate_id, customer=None):
        """Fetch an unknown mandate; store it when its customer is linked in Odoo."""
        account = self.account_id
        data = self._gocardless_fetch("mandates", mandate_id)
        customer_gc_id = (data.get("links") or {}).get("customer")
        if customer is None and customer_gc_id:
            customer = self.env["gocardless.customer"]._gocardless_find(
                account.company_id, customer_gc_id
            )
        if not customer:
            return self.env["gocardless.mandate"]
        created, _updated = self.env["gocardless.mandate"]._gocardless_store(
            account, [data], customer
        )
        return created or self.env["gocardless.mandate"]._gocardless_find(
            account.company_id, mandate_id
        )

    def _gocardless_link_replacement(self, mandate, new_mandate_id):
        """A replaced mandate: the new one belongs to the same customer."""
        replacement = self.env["gocardless.mandate"]._gocardless_find(
            self.company_id, new_mandate_id
        )
        if not replacement:
            replacement = self._gocardless_fetch_mandate(new_mandate_id, mandate.customer_id)
        mandate.new_mandate_id = replacement
        return replacement

    def _gocardless_apply_payments(self):
        """A payment event: the status goes through ``gocardless.payment`` 's single entry
        point (never backwards, the Odoo payment undone or validated). An unknown payment is
        fetched first and kept when Odoo knows its mandate or its export line (odoo_ref)."""
        payment_id = self.resource_gocardless_id
        payment = self.env["gocardless.payment"]._gocardless_find(self.company_id, payment_id)
        note = False
        self._gocardless_wait_for(payment.export_id)
        if not payment:
            try:
                data = self._gocardless_fetch("payments", payment_id)
            except GoCardlessError as error:
                if error.kind not in (GoCardlessError.KIND_NOT_FOUND, GoCardlessError.KIND_GONE):
                    raise
                return "ignored", _(
                    "GoCardless does not know payment %(payment)s (any more).", payment=payment_id
                )
            payment = self._gocardless_store_unknown_payment(data, event=self._data())
            if not payment:
                return "ignored", _(
                    "Payment %(payment)s was not collected from Odoo and its mandate is not "
                    "in Odoo.",
                    payment=payment_id,
                )
            note = _("Payment %(payment)s fetched from GoCardless.", payment=payment_id)
        # notes show the statuses as users see them ("Paid out"), not their keys
        labels = dict(payment._fields["status"]._description_selection(self.env))
        status = status_rules.event_status(status_rules.PAYMENT, self.action)
        if not status:
            return "done", note or _(
                "Status unchanged (%(status)s).", status=labels.get(payment.status, payment.status)
            )
        old = payment.status
        if payment._gocardless_apply_status(status, event=self._data()):
            return "done", _(
                "Status %(old)s → %(new)s.",
                old=labels.get(old, old),
                new=labels.get(payment.status, payment.status),
            )
        return "done", note or _(
            "Status stays %(status)s (the event is older or already applied).",
            status=labels.get(payment.status, payment.status),
        )

    def _gocardless_store_unknown_payment(self, data, event=None):
        """Store a payment Odoo did not know, when it belongs here: its odoo_ref names an
        export line of this account, or its mandate is in Odoo (``event`` dates what its
        status books). Returns it or nothing."""
        account = self.account_id
        reference = (data.get("metadata") or {}).get(const.BULK_IMPORT_METADATA_KEY)
        lines = self.env["gocardless.export.line"]
        if reference:
            lines = lines.search(
                [
                    ("export_id.account_id", "=", account.id),
                    ("reference", "=", reference),
                    ("excluded", "=", False),
                ]
            )
        self._gocardless_wait_for(lines.export_id)
        mandate_id = (data.get("links") or {}).get("mandate")
        known_mandate = bool(mandate_id) and bool(
            self.env["gocardless.mandate"]._gocardless_find(account.company_id, mandate_id)
        )
        if not lines and not known_mandate:
            return self.env["gocardless.payment"]
        created, updated = self.env["gocardless.payment"]._gocardless_store(
            account, [data], {line.reference: line for line in lines}, event=event
        )
        return created or updated

    def _gocardless_wait_for(self, batches):
        """Take the lock of the balance exports whose payments this event writes (see
        ``gocardless.export._gocardless_try_lock``), or raise ``BatchBusy``: the event then
        waits for the retry, and nothing conflicts with the running collection.

        A batch refused once stays refused until this transaction ends (remembered in the
        cursor's per-transaction ``postcommit.data``): if its holder commits meanwhile, this
        transaction does not see what it wrote, and asking again would only cost queries."""
        refused = self.env.cr.postcommit.data.setdefault(REFUSED_LOCKS_KEY, set())
        for batch in batches:
            if batch.id in refused or not batch._gocardless_try_lock():
                refused.add(batch.id)
                raise BatchBusy(
                    _(
                        "Waiting for %(batch)s, which is being collected, recorded or "
                        'refreshed right now: the scheduled action "GoCardless: retry '
                        'events" applies this event once that is done.',
                        batch=batch.name,
                    )
                )

    def _gocardless_apply_customers(self):
        customer = self.env["gocardless.customer"]._gocardless_find(
            self.company_id, self.resource_gocardless_id or []
        )
        if not customer:
            return "ignored", _("This customer is not linked in Odoo.")
        if self.action in const.CUSTOMER_REMOVED_ACTIONS:
            customer.active = False
            return "done", _("Customer removed from GoCardless: its link is archived.")
        return "ignored", _("Nothing to update for this customer event.")

    def _gocardless_apply_refunds(self):
        """A refund event (the ledger): the refund is stored (fetched first when unknown)
        when Odoo follows its payment, and booked or reversed as its status says."""
        refund_id = self.resource_gocardless_id
        Refund = self.env["gocardless.refund"]
        refund = Refund._gocardless_find(self.company_id, refund_id or [])
        data = self._data()
        if self.action == const.REFUND_SETTLED_ACTION and refund:
            payout = (data.get("links") or {}).get("payout")
            refund.settled_payout_gocardless_id = payout or refund.settled_payout_gocardless_id
            return "done", _("Deducted from payout %(payout)s.", payout=payout or "-")
        if not refund:
            try:
                refund_data = self._gocardless_fetch("refunds", refund_id)
            except GoCardlessError as error:
                if error.kind not in (GoCardlessError.KIND_NOT_FOUND, GoCardlessError.KIND_GONE):
                    raise
                return "ignored", _(
                    "GoCardless does not know refund %(refund)s (any more).", refund=refund_id
                )
            payment_id = (refund_data.get("links") or {}).get("payment")
            payment = self.env["gocardless.payment"]._gocardless_find(
                self.company_id, payment_id or []
            )
            if not payment:
                return "ignored", _(
                    "Refund %(refund)s is of payment %(payment)s, which Odoo does not follow.",
                    refund=refund_id,
                    payment=payment_id or "-",
                )
            self._gocardless_wait_for(payment.export_id)
            refund = Refund._gocardless_store(self.account_id, refund_data, payment, event=data)
            note = _("Refund %(refund)s fetched from GoCardless.", refund=refund_id)
        else:
            self._gocardless_wait_for(refund.payment_id.export_id)
            note = False
        if self.action == const.REFUND_SETTLED_ACTION:
            refund.settled_payout_gocardless_id = (data.get("links") or {}).get("payout")
        labels = dict(refund._fields["status"]._description_selection(self.env))
        status = status_rules.event_status(status_rules.REFUND, self.action)
        old = refund.status
        if status and refund._gocardless_apply_status(status, event=data):
            return "done", _(
                "Refund status %(old)s → %(new)s.",
                old=labels.get(old, old),
                new=labels.get(refund.status, refund.status),
            )
        return "done", note or _(
            "Refund status stays %(status)s.", status=labels.get(refund.status, refund.status)
        )

    # -- scheduled actions ---------------------------------------------------------------
    @api.model
    def _cron_retry(self):
        """Scheduled action "GoCardless: retry events": apply the events that failed or were
        left over by a busy webhook delivery."""
        events = self.search(
            [("state", "in", ("new", "error")), ("attempt_count", "<", MAX_ATTEMPTS)]
        )
        events._gocardless_process()

    def action_retry(self):
        """Retry button of the Events list (GoCardless Managers)."""
        self.check_access("write")
        self.filtered(lambda event: event.state in ("new", "error"))._gocardless_process()

    @api.model
    def _cron_poll(self):
        """Scheduled action "GoCardless: poll events": read every event since the last one
        seen, for every account with a token, and apply it like a webhook would."""
        for account in self.env["gocardless.account"].search([("access_token", "!=", False)]):
            try:
                with self.env.cr.savepoint():
                    self._gocardless_poll(account)
            except UserError as error:
                _logger.warning(
                    "Polling GoCardless events of %s failed: %s", account.company_id.name, error
                )
            except Exception:  # one account's failure must not stop the others'
                _logger.exception("Polling GoCardless events of %s failed", account.company_id.name)

    @api.model
    def _gocardless_poll(self, account):
        """Read the events created since the account's last polled event (all pages), store
        the new ones and apply them. Returns the new events."""
        # >=: events of the same second as the last one are read again, de-duplicated. The
        # first time, only the last FIRST_POLL_HOURS (not the account's whole history).
        since = account.last_event_polled_at or fields.Datetime.now() - timedelta(
            hours=FIRST_POLL_HOURS
        )
        params = {"created_at[gte]": since.strftime("%Y-%m-%dT%H:%M:%S.000Z")}
        try:
            events_data = account._gocardless_api().list_all("events", params)
        except GoCardlessError as error:
            raise account._gocardless_user_error(error) from error
        events = self._gocardless_ingest(account, events_data, "poll")
        events._gocardless_process()
        newest = max(
            (parse_datetime(data.get("created_at")) for data in events_data), default=False
        )
        if newest and (not account.last_event_polled_at or newest > account.last_event_polled_at):
            account.last_event_polled_at = newest
        return events

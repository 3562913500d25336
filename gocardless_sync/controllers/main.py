"""The GoCardless webhook endpoint: POST /gocardless/webhook.

GoCardless signs the raw body with the endpoint's secret (HMAC-SHA256, lowercase hex, header
``Webhook-Signature``). The signature is checked against the webhook secret of every
configured account, in constant time; the account whose secret matches owns the events.
Answers: 413 for a body over 1 MiB (however it is sent: with a Content-Length or chunked,
never read past 1 MiB + 1 byte), 498 for a missing or wrong signature (nothing stored,
nothing parsed), 400 for a signed body that is not GoCardless's events shape, 204 otherwise
(also for a replay). The raw body is read before Odoo parses forms (see ``ir_http``), so a
Content-Type other than JSON does not change the bytes that were signed.
"""

import hashlib
import hmac
import json
import logging

from odoo import http
from odoo.http import request

from ..models.gocardless_event import WEBHOOK_PROCESS_BUDGET
from ..models.ir_http import RAW_BODY_ROUTING_KEY
from ..services import const
from ..tools import parse_datetime

_logger = logging.getLogger(__name__)

WEBHOOK_ROUTE = const.WEBHOOK_PATH


def sign(body, secret):
    """Lowercase hex HMAC-SHA256 of ``body`` (bytes) with ``secret``, as GoCardless signs."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


# GoCardless's deliveries nest a few levels (events > event > details); far deeper JSON is
# not theirs, and would only risk Python's recursion limit further on (storing, re-reading).
MAX_JSON_DEPTH = 32
# the details Odoo reads (text or null when present); others (numbers, booleans) are kept as is
DETAILS_READ = ("description", "cause", "origin", "reason_code")


def _within_depth(value, limit=MAX_JSON_DEPTH):
    """True when ``value`` (parsed JSON) nests at most ``limit`` levels; iterative."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return False
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return True


def _is_text(value):
    return isinstance(value, str) and bool(value)


def _is_object(value):
    """A JSON object, or absent / null (GoCardless leaves out what does not apply)."""
    return value is None or isinstance(value, dict)


def _valid_event(event):
    """True when ``event`` has the shape of a GoCardless event, as far as Odoo reads it:
    text ``id``, ``action``, ``resource_type`` and ``created_at`` (a timestamp); ``links``
    an object of IDs; ``details`` an object whose keys read by Odoo are text."""
    if not isinstance(event, dict):
        return False
    if not all(_is_text(event.get(key)) for key in ("id", "action", "created_at")):
        return False
    if not isinstance(event.get("resource_type"), str) or not parse_datetime(event["created_at"]):
        return False
    links, details = event.get("links"), event.get("details")
    if not _is_object(links) or not _is_object(details):
        return False
    if not all(link is None or isinstance(link, str) for link in (links or {}).values()):
        return False
    details = details or {}
    return all(details.get(key) is None or isinstance(details[key], str) for key in DETAILS_READ)


def _valid_events(payload):
    """True when ``payload`` has GoCardless's webhook shape: {"events": [event, ...],
    "meta": {"webhook_id": "WB..."}}, nesting at most ``MAX_JSON_DEPTH`` levels."""
    if not isinstance(payload, dict) or not isinstance(payload.get("events"), list):
        return False
    meta = payload.get("meta")
    if not _is_object(meta):
        return False
    webhook_id = (meta or {}).get("webhook_id")
    if not (webhook_id is None or isinstance(webhook_id, str)):
        return False
    return _within_depth(payload) and all(_valid_event(event) for event in payload["events"])


def _parse(body):
    """The events payload of ``body``, or None when it is not GoCardless's shape."""
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    return payload if _valid_events(payload) else None


class GoCardlessWebhookController(http.Controller):
    @http.route(
        WEBHOOK_ROUTE,
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        save_session=False,
        # read raw and capped before Odoo parses anything (413 beyond the cap)
        **{RAW_BODY_ROUTING_KEY: const.WEBHOOK_MAX_BODY},
    )
    def gocardless_webhook(self, **_form_params):
        # form parameters, if the body looked like a form, are ignored: the body is JSON
        httprequest = request.httprequest
        body = httprequest.get_data()  # read (at most the cap) and cached before dispatch

        signature = httprequest.headers.get("Webhook-Signature") or ""
        account_sudo = self._account_for_signature(body, signature)
        if not account_sudo:
            _logger.warning("GoCardless webhook refused: missing or invalid signature")
            return request.make_response("Invalid signature", status=498)

        payload = _parse(body)
        if payload is None:
            _logger.warning("GoCardless webhook refused: not an events payload")
            return request.make_response("Not a GoCardless events payload", status=400)

        webhook_id = (payload.get("meta") or {}).get("webhook_id")
        events_sudo = (
            request.env["gocardless.event"]
            .sudo()
            ._gocardless_ingest(account_sudo, payload["events"], "webhook", webhook_id=webhook_id)
        )
        # Answer quickly: no GoCardless API call here, and at most a budget of work; what is
        # left (unknown resources to fetch, or more than the budget) is applied at once by the
        # retry scheduled action, triggered now.
        events_sudo._gocardless_process(budget=WEBHOOK_PROCESS_BUDGET, fetch=False)
        if events_sudo.filtered(lambda event: event.state == "new"):
            request.env.ref("gocardless_sync.ir_cron_gocardless_retry_events").sudo()._trigger()
        return request.make_response("", status=204)

    def _account_for_signature(self, body, signature):
        """The account whose webhook secret signed ``body`` (sudo), or an empty recordset.

        Every configured secret is compared (constant-time comparisons, no early exit), so the
        time taken does not tell which account, if any, nearly matched."""
        accounts_sudo = (
            request.env["gocardless.account"].sudo().search([("webhook_secret", "!=", False)])
        )
        signature = signature.strip().lower().encode("utf-8", "replace")
        matched = accounts_sudo.browse()
        for account_sudo in accounts_sudo:
            expected = sign(body, account_sudo.webhook_secret).encode()
            if hmac.compare_digest(expected, signature):
                matched |= account_sudo
        return matched[:1]

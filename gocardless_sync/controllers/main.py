"""The GoCardless webhook endpoint: POST /gocardless/webhook.

GoCardless signs the raw body with the endpoint's secret (HMAC-SHA256, lowercase hex, header
``Webhook-Signature``). The signature is checked against the webhook secret of every
configured account, in constant time; the account whose secret matches owns the events.
Answers: 498 for a missing or wrong signature (nothing stored), 413 for a body over 1 MiB,
400 for a body that is not GoCardless's events shape, 204 otherwise (also for a replay).
"""

import hashlib
import hmac
import json
import logging

from werkzeug.exceptions import RequestEntityTooLarge

from odoo import http
from odoo.http import request

from .. import const
from ..models.gocardless_event import WEBHOOK_PROCESS_BUDGET

_logger = logging.getLogger(__name__)

WEBHOOK_ROUTE = "/gocardless/webhook"


def sign(body, secret):
    """Lowercase hex HMAC-SHA256 of ``body`` (bytes) with ``secret``, as GoCardless signs."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _valid_events(payload):
    """True when ``payload`` has GoCardless's webhook shape: {"events": [{id, resource_type,
    action, ...}, ...]}."""
    if not isinstance(payload, dict) or not isinstance(payload.get("events"), list):
        return False
    for event in payload["events"]:
        if not isinstance(event, dict):
            return False
        if not all(isinstance(event.get(key), str) and event[key] for key in ("id", "action")):
            return False
        if not isinstance(event.get("resource_type"), str):
            return False
        if not isinstance(event.get("links", {}), dict):
            return False
    return True


class GoCardlessWebhookController(http.Controller):
    @http.route(
        WEBHOOK_ROUTE,
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        save_session=False,
    )
    def gocardless_webhook(self):
        httprequest = request.httprequest
        if (httprequest.content_length or 0) > const.WEBHOOK_MAX_BODY:
            return request.make_response("Payload too large", status=413)
        # also bounds a body sent without Content-Length (chunked)
        httprequest.max_content_length = const.WEBHOOK_MAX_BODY
        try:
            body = httprequest.get_data(cache=False)
        except RequestEntityTooLarge:
            return request.make_response("Payload too large", status=413)

        signature = httprequest.headers.get("Webhook-Signature") or ""
        account_sudo = self._account_for_signature(body, signature)
        if not account_sudo:
            _logger.warning("GoCardless webhook refused: missing or invalid signature")
            return request.make_response("Invalid signature", status=498)

        try:
            payload = json.loads(body)
        except (UnicodeDecodeError, ValueError):
            payload = None
        if not _valid_events(payload):
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

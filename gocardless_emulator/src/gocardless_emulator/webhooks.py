"""Webhook signing and delivery (standard library only)."""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request

DELIVERY_TIMEOUT = 5.0


def sign_webhook(body: bytes, secret: str) -> str:
    """Lowercase hex HMAC-SHA256 of the raw body, keyed with the endpoint's secret."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    return hmac.new(secret.encode("utf-8"), bytes(body), hashlib.sha256).hexdigest()


def webhook_body(events: list[dict], webhook_id: str) -> bytes:
    payload = {"events": events, "meta": {"webhook_id": webhook_id}}
    return json.dumps(payload, separators=(",", ":")).encode("utf-8")


def post(url: str, secret: str, body: bytes, timeout: float = DELIVERY_TIMEOUT):
    """POST a webhook body. Returns ``(status, response_body)``; never raises.

    HTTP error statuses are returned as they are; when no HTTP response arrives at all
    (connection refused, timeout) the status is ``0`` and the body is the error text.
    """
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "Webhook-Signature": sign_webhook(body, secret),
            "User-Agent": "gocardless-emulator-webhooks",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        try:
            content = error.read()
        except Exception:  # pragma: no cover - a broken error body
            content = b""
        return error.code, content
    except (urllib.error.URLError, OSError) as error:
        return 0, str(getattr(error, "reason", error)).encode("utf-8")

"""API error responses, shaped like the error fixtures.

Every body is ``{"error": {"type", "code", "message", "documentation_url", "request_id",
"errors"}}`` with ``code`` equal to the HTTP status. Items of ``errors`` carry ``reason`` and
``message`` (invalid_state, invalid_api_usage) or ``field``, ``message`` and
``request_pointer`` (validation_failed), because the client indexes those keys directly.
"""

from __future__ import annotations

import uuid

DOCS = "https://developer.gocardless.com/api-reference#"


class ApiProblem(Exception):
    """Raised by the emulator's request handlers; turned into a JSON error response."""

    def __init__(
        self,
        status: int,
        error_type: str,
        message: str,
        errors: list[dict] | None = None,
        slug: str | None = None,
        headers: dict | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.message = message
        self.errors = errors if errors is not None else []
        self.slug = slug or error_type
        self.headers = headers or {}

    def body(self, request_id: str | None = None) -> dict:
        return {
            "error": {
                "code": self.status,
                "documentation_url": DOCS + self.slug,
                "errors": self.errors,
                "message": self.message,
                "request_id": request_id or str(uuid.uuid4()),
                "type": self.error_type,
            }
        }


def _one_reason(status, error_type, reason, message, slug=None, headers=None) -> ApiProblem:
    """An error with one item: ``{"reason": reason, "message": message}``."""
    return ApiProblem(
        status,
        error_type,
        message,
        [{"reason": reason, "message": message}],
        slug=slug or reason,
        headers=headers,
    )


def not_found(message: str = "Resource not found") -> ApiProblem:
    # 404 is invalid_api_usage with reason not_found (for unknown paths and IDs alike).
    return _one_reason(404, "invalid_api_usage", "not_found", message)


def customer_gone() -> ApiProblem:
    return _one_reason(
        410,
        "invalid_api_usage",
        "customer_removed",
        "This customer data has been removed",
        slug="customer_data_removed",
    )


def payout_items_gone() -> ApiProblem:
    return _one_reason(
        410,
        "invalid_api_usage",
        "gone",
        "Payout items can only be retrieved for payouts created in the last 6 months.",
        slug="payout_items_gone",
    )


def unauthorized() -> ApiProblem:
    return _one_reason(401, "invalid_api_usage", "unauthorized", "Unauthorized")


def rate_limited(headers: dict | None = None) -> ApiProblem:
    return _one_reason(
        429, "invalid_api_usage", "rate_limit_exceeded", "Rate limit exceeded", headers=headers
    )


def internal_error(message: str = "Uh-oh! Something went wrong (emulated internal error)"):
    return _one_reason(500, "gocardless", "internal_server_error", message, slug="internal_error")


def invalid_state(reason: str, message: str) -> ApiProblem:
    return _one_reason(422, "invalid_state", reason, message)


def idempotency_conflict(resource_id: str) -> ApiProblem:
    message = "A resource has already been created with this idempotency key"
    return ApiProblem(
        409,
        "invalid_state",
        message,
        [
            {
                "reason": "idempotent_creation_conflict",
                "message": message,
                "links": {"conflicting_resource_id": resource_id},
            }
        ],
        slug="idempotent_creation_conflict",
    )


def field_error(envelope: str, field: str, message: str) -> dict:
    pointer_path = field.replace("[", "/").replace("]", "")
    return {
        "field": field,
        "message": message,
        "request_pointer": f"/{envelope}/{pointer_path}" if envelope else f"/{pointer_path}",
    }


def validation_failed(errors: list[dict]) -> ApiProblem:
    return ApiProblem(422, "validation_failed", "Validation failed", errors)


def bad_request(message: str, errors: list[dict] | None = None, slug: str = "") -> ApiProblem:
    """400 invalid_api_usage (bad document structure, bad query parameter, bad limit)."""
    return ApiProblem(
        400,
        "invalid_api_usage",
        message,
        errors
        if errors is not None
        else [{"reason": slug or "invalid_api_usage", "message": message}],
        slug=slug or "invalid_api_usage",
    )


def document_structure(detail: str, pointer: str | None = None) -> ApiProblem:
    item = {"reason": "invalid_document_structure", "message": detail}
    if pointer:
        item["request_pointer"] = pointer
    return bad_request("Invalid document structure", [item], slug="invalid_document_structure")

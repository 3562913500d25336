"""The one door to the GoCardless API.

Builds a ``gocardless_pro.Client`` for an account and turns every way a call can fail into a
single :class:`GoCardlessError` whose ``kind`` says what happened, so that the Odoo layer can
tell the user what to do. This module imports nothing from Odoo: it is plain Python, tested
through the models against the local emulator.

Retries: the client itself retries network errors and non-JSON bodies (3 attempts) for
list/get/create/update, reusing the create's idempotency key. This adapter adds bounded
retries of *idempotent* calls (reads, and creates carrying the caller's idempotency key) on a
JSON 429 (waiting until ``ratelimit-reset`` when it is known and near) and on a JSON 5xx. Actions
(cancel, retry, reinstate) are never retried.
"""

import email.utils
import logging
import time
from datetime import datetime, timezone

import requests

from . import const

_logger = logging.getLogger(__name__)

try:
    import gocardless_pro
    from gocardless_pro import errors as gc_errors
except ImportError:  # pragma: no cover - the manifest's external_dependencies say why
    gocardless_pro = gc_errors = None


class GoCardlessError(Exception):
    """A GoCardless call failed. ``kind`` is one of the ``KIND_*`` constants.

    ``str(error)`` is an English technical summary for logs; the Odoo layer turns ``kind`` and
    the attributes into a translated message. Never holds the access token.
    """

    KIND_CONFIG = "config"  # no token / no URL configured
    KIND_AUTH = "auth"  # 401: token wrong, revoked or for the other environment
    KIND_PERMISSION = "permission"  # 403
    KIND_RATE_LIMIT = "rate_limit"  # 429; retry_after seconds
    KIND_UNAVAILABLE = "unavailable"  # 5xx, HTML error page, malformed body
    KIND_TIMEOUT = "timeout"
    KIND_NETWORK = "network"  # connection refused / dropped / DNS
    KIND_NOT_FOUND = "not_found"  # 404
    KIND_GONE = "gone"  # 410: a removed customer
    KIND_VALIDATION = "validation"  # 422 validation_failed (field errors)
    KIND_INVALID_STATE = "invalid_state"  # 409/422 invalid_state (reasons)
    KIND_API = "api"  # any other API error

    # failures that concern the whole account, not one customer or payment: a run over many
    # records (a push of many contacts, a collection) stops there
    ACCOUNT_WIDE_KINDS = frozenset(
        {
            KIND_AUTH,
            KIND_PERMISSION,
            KIND_RATE_LIMIT,
            KIND_UNAVAILABLE,
            KIND_TIMEOUT,
            KIND_NETWORK,
            KIND_CONFIG,
        }
    )

    def __init__(
        self,
        kind,
        summary,
        *,
        status=None,
        retry_after=None,
        request_id=None,
        details=None,
        reasons=None,
        json_body=False,
    ):
        super().__init__(summary)
        self.kind = kind
        self.summary = summary
        self.status = status
        self.retry_after = retry_after
        self.request_id = request_id
        # [(field or None, message)] from the API's error items
        self.details = details or []
        # reasons of invalid_state / invalid_api_usage items, e.g. "mandate_is_inactive"
        self.reasons = reasons or []
        # True when GoCardless answered with a JSON error body (not a proxy's HTML page)
        self.json_body = json_body

    @property
    def retryable(self):
        """True when trying again later may succeed without changing anything."""
        return self.kind in (
            self.KIND_RATE_LIMIT,
            self.KIND_UNAVAILABLE,
            self.KIND_TIMEOUT,
            self.KIND_NETWORK,
        )


def _seconds_until(http_date, now=None):
    """Seconds from now until an HTTP-date (``ratelimit-reset``); None when unparsable."""
    if not http_date:
        return None
    try:
        reset = email.utils.parsedate_to_datetime(http_date)
    except (TypeError, ValueError):
        return None
    if reset.tzinfo is None:
        reset = reset.replace(tzinfo=timezone.utc)
    now = now or datetime.now(timezone.utc)
    return max(0.0, (reset - now).total_seconds())


class GoCardlessAPI:
    """A configured GoCardless client with error translation and bounded retries."""

    def __init__(
        self,
        access_token,
        environment="sandbox",
        base_url=None,
        timeout=const.DEFAULT_TIMEOUT,
        max_attempts=const.MAX_API_ATTEMPTS,
        max_rate_limit_wait=const.MAX_RATE_LIMIT_WAIT,
        sleep=time.sleep,
    ):
        if gocardless_pro is None:
            raise GoCardlessError(
                GoCardlessError.KIND_CONFIG, "the gocardless_pro package is not installed"
            )
        if not access_token:
            raise GoCardlessError(GoCardlessError.KIND_CONFIG, "no access token configured")
        self.environment = environment
        self.base_url = base_url or None
        self.timeout = timeout
        self.max_attempts = max(1, max_attempts)
        self.max_rate_limit_wait = max_rate_limit_wait
        self._sleep = sleep
        self.client = gocardless_pro.Client(
            access_token=access_token,
            environment=None if self.base_url else environment,
            base_url=self.base_url,
            timeout=timeout,
        )

    # -- generic calls -------------------------------------------------------------------
    def call(self, func, *args, idempotent=True, **kwargs):
        """Run one client call, translating its errors; retry it when ``idempotent``."""
        attempt = 0
        while True:
            attempt += 1
            try:
                return func(*args, **kwargs)
            except Exception as exc:
                error = self.translate(exc)
                wait = self._retry_wait(error, attempt) if idempotent else None
                if wait is None:
                    raise error from exc
                _logger.info(
                    "GoCardless %s (attempt %s/%s), retrying in %.1f s",
                    error.kind,
                    attempt,
                    self.max_attempts,
                    wait,
                )
                self._sleep(wait)

    def _retry_wait(self, error, attempt):
        """Seconds to wait before the next attempt, or None to give up now."""
        if attempt >= self.max_attempts:
            return None
        if error.kind == GoCardlessError.KIND_RATE_LIMIT:
            # Wait for the window to reset only when we know when that is and it is near.
            if error.retry_after is not None and error.retry_after <= self.max_rate_limit_wait:
                return error.retry_after + 0.1
            return None
        if error.kind == GoCardlessError.KIND_UNAVAILABLE and error.json_body:
            # a JSON 5xx: the client does not retry it (non-JSON bodies it already retried).
            return 0.25 * 2 ** (attempt - 1)
        return None

    def translate(self, exc):
        """Map any exception of a client call to a GoCardlessError."""
        if isinstance(exc, GoCardlessError):
            return exc
        if isinstance(exc, requests.Timeout):
            return GoCardlessError(
                GoCardlessError.KIND_TIMEOUT, f"no answer within {self.timeout} s"
            )
        if isinstance(exc, requests.ConnectionError):
            return GoCardlessError(
                GoCardlessError.KIND_NETWORK, f"could not connect: {type(exc).__name__}"
            )
        if isinstance(exc, requests.RequestException):
            return GoCardlessError(GoCardlessError.KIND_NETWORK, f"request failed: {exc}")
        if gc_errors is not None and isinstance(exc, gc_errors.MalformedResponseError):
            status = getattr(exc, "status_code", None)
            return GoCardlessError(
                GoCardlessError.KIND_UNAVAILABLE,
                f"malformed (non-JSON) answer, HTTP {status}",
                status=status,
            )
        if gc_errors is not None and isinstance(exc, gc_errors.ApiError):
            return self._translate_api_error(exc)
        return GoCardlessError(GoCardlessError.KIND_API, f"{type(exc).__name__}: {exc}")

    def _translate_api_error(self, exc):
        status = exc.code
        items = exc.errors or []
        details = [(item.get("field"), item.get("message") or "") for item in items]
        reasons = [item.get("reason") for item in items if item.get("reason")]
        common = {
            "status": status,
            "request_id": exc.request_id,
            "details": details,
            "reasons": reasons,
            "json_body": True,
        }
        summary = f"HTTP {status} {exc.type}: {exc.message}"
        if isinstance(exc, gc_errors.AuthenticationError):
            kind = GoCardlessError.KIND_AUTH
        elif isinstance(exc, gc_errors.PermissionsError):
            kind = GoCardlessError.KIND_PERMISSION
        elif isinstance(exc, gc_errors.RateLimitError):
            kind = GoCardlessError.KIND_RATE_LIMIT
            common["retry_after"] = self.rate_limit_reset_in()
        elif isinstance(exc, gc_errors.GoCardlessInternalError) or (status or 0) >= 500:
            kind = GoCardlessError.KIND_UNAVAILABLE
        elif status == 410:
            kind = GoCardlessError.KIND_GONE
        elif status == 404:
            kind = GoCardlessError.KIND_NOT_FOUND
        elif isinstance(exc, gc_errors.ValidationFailedError):
            kind = GoCardlessError.KIND_VALIDATION
        elif isinstance(exc, gc_errors.InvalidStateError):
            kind = GoCardlessError.KIND_INVALID_STATE
        else:
            kind = GoCardlessError.KIND_API
        return GoCardlessError(kind, summary, **common)

    def rate_limit_reset_in(self):
        """Seconds until the rate-limit window of the last successful answer resets."""
        reset = self.client._api_client.rate_limit.reset
        return _seconds_until(reset)

    @property
    def rate_limit(self):
        return self.client._api_client.rate_limit

    # -- resources -----------------------------------------------------------------------
    def _service(self, name):
        return getattr(self.client, name)

    def iter_pages(self, resource, params=None, page_size=const.PAGE_SIZE):
        """Yield each page of a list as a list of plain dicts, following ``after`` cursors."""
        service = self._service(resource)
        query = dict(params or {}, limit=page_size)
        while True:
            page = self.call(service.list, params=dict(query))
            yield [record.attributes for record in page.records]
            if not page.after:
                return
            query["after"] = page.after

    def list_all(self, resource, params=None, page_size=const.PAGE_SIZE):
        """Every record of a list (all pages) as plain dicts, OLDEST FIRST (by ``created_at``,
        then ID): GoCardless lists newest first and promises no order, so callers get the
        addon's own order whatever the API's."""
        records = []
        for page in self.iter_pages(resource, params, page_size):
            records.extend(page)
        records.sort(key=lambda record: (record.get("created_at") or "", record.get("id") or ""))
        return records

    def get(self, resource, identity):
        return self.call(self._service(resource).get, identity).attributes

    def create_resource(self, resource, params, idempotency_key=None):
        """Create a resource. With a caller's key, a repeat returns the first resource."""
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        return self.call(
            self._service(resource).create,
            params=params,
            headers=headers,
            idempotent=bool(idempotency_key),
        ).attributes

    def action(self, resource, action, identity, params=None):
        """A state action (cancel, reinstate, retry): never retried automatically."""
        method = getattr(self._service(resource), action)
        return self.call(method, identity, params=params, idempotent=False).attributes

    def get_creditor(self):
        """The account's creditor (an access token belongs to exactly one)."""
        records = self.call(self.client.creditors.list, params={"limit": 1}).records
        return records[0].attributes if records else None

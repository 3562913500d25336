"""Shapes of the resources the emulator serves, and the constants they depend on.

Every builder returns a dict with exactly the keys of the matching example resource in
``fixtures/`` (values ``None`` where they do not apply). Nested objects that the client wraps
in helper classes (``fx``, ``consent_parameters``, ``details``, ``source``...) are always
dicts, never ``None``, because ``gocardless_pro`` calls ``.get`` on them. The one exception to
"exactly the keys" is ``links``: like GoCardless, a ``links`` object only carries the links
that apply.
"""

from __future__ import annotations

import copy
import datetime as _dt
import re

SCHEME_CURRENCY = {
    "bacs": "GBP",
    "sepa_core": "EUR",
    "autogiro": "SEK",
    "becs": "AUD",
    "becs_nz": "NZD",
    "betalingsservice": "DKK",
    "pad": "CAD",
    "ach": "USD",
}
SCHEME_COUNTRY = {
    "bacs": "GB",
    "sepa_core": "FR",
    "autogiro": "SE",
    "becs": "AU",
    "becs_nz": "NZ",
    "betalingsservice": "DK",
    "pad": "CA",
    "ach": "US",
}
CURRENCIES = ("AUD", "CAD", "DKK", "EUR", "GBP", "NZD", "SEK", "USD")

MANDATE_STATUSES = (
    "pending_customer_approval",
    "pending_submission",
    "submitted",
    "active",
    "suspended_by_payer",
    "failed",
    "cancelled",
    "expired",
    "consumed",
    "blocked",
)
# Payments can be created on these (else ``mandate_is_inactive``).
MANDATE_PAYABLE = ("pending_customer_approval", "pending_submission", "submitted", "active")
# Cancelling a mandate in one of these fails with ``cancellation_failed``.
MANDATE_FINAL = ("cancelled", "failed", "expired", "consumed", "blocked")
# ``reinstate`` works only from these.
MANDATE_REINSTATABLE = ("cancelled", "expired")

PAYMENT_STATUSES = (
    "pending_customer_approval",
    "pending_submission",
    "submitted",
    "confirmed",
    "paid_out",
    "cancelled",
    "customer_approval_denied",
    "failed",
    "charged_back",
)
PAYMENT_CANCELLABLE = ("pending_customer_approval", "pending_submission")
PAYOUT_STATUSES = ("pending", "paid", "bounced")

# Working days between "now" and the earliest charge date, by scheme (an approximation:
# GoCardless computes this from bank calendars; the emulator only skips weekends).
SCHEME_LEAD_DAYS = {"bacs": 3, "ach": 2, "pad": 3, "becs": 2, "becs_nz": 2}
DEFAULT_LEAD_DAYS = 2

BANK_NAMES = {
    "GB": "BARCLAYS BANK PLC",
    "FR": "BNP PARIBAS",
    "DE": "DEUTSCHE BANK AG",
    "SE": "SWEDBANK AB",
    "DK": "DANSKE BANK A/S",
    "AU": "COMMONWEALTH BANK OF AUSTRALIA",
    "NZ": "ANZ BANK NEW ZEALAND",
    "CA": "ROYAL BANK OF CANADA",
    "US": "JPMORGAN CHASE BANK",
}

CUSTOMER_FIELDS = (
    "address_line1",
    "address_line2",
    "address_line3",
    "city",
    "company_name",
    "country_code",
    "danish_identity_number",
    "email",
    "family_name",
    "given_name",
    "language",
    "metadata",
    "phone_number",
    "postal_code",
    "region",
    "swedish_identity_number",
)

_TIMESTAMP_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


def format_timestamp(moment: _dt.datetime) -> str:
    """GoCardless style: ``2014-01-01T12:00:00.000Z`` (UTC, milliseconds)."""
    moment = moment.astimezone(_dt.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_timestamp(value: str) -> _dt.datetime:
    """Parse an ISO 8601 timestamp or a bare date (taken as midnight UTC)."""
    text = str(value).strip()
    if len(text) == 10:
        moment = _dt.datetime.strptime(text, "%Y-%m-%d")
    else:
        moment = _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_dt.timezone.utc)
    return moment


def normalize_timestamp(value) -> str:
    """Any accepted timestamp (str or datetime) -> the canonical string form."""
    if isinstance(value, _dt.datetime):
        return format_timestamp(value if value.tzinfo else value.replace(tzinfo=_dt.timezone.utc))
    text = str(value)
    if _TIMESTAMP_RE.match(text):
        return text
    return format_timestamp(parse_timestamp(text))


def add_working_days(start: _dt.date, days: int) -> _dt.date:
    current = start
    while days > 0:
        current += _dt.timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current


def major_units(amount_minor: int) -> str:
    """``4500`` -> ``"45.0"``, ``1050`` -> ``"10.5"``, ``-1234`` -> ``"-12.34"``.

    The payout_items fixture shows amounts as strings like ``"45.0"``.
    """
    sign = "-" if amount_minor < 0 else ""
    whole, cents = divmod(abs(int(amount_minor)), 100)
    if cents == 0:
        return f"{sign}{whole}.0"
    text = f"{cents:02d}".rstrip("0")
    return f"{sign}{whole}.{text}"


def _fx():
    return {
        "estimated_exchange_rate": None,
        "exchange_rate": None,
        "fx_amount": None,
        "fx_currency": None,
    }


def customer(resource_id: str, created_at: str, fields: dict) -> dict:
    resource = {name: None for name in CUSTOMER_FIELDS}
    resource["metadata"] = {}
    resource["created_at"] = created_at
    resource["id"] = resource_id
    resource.update(fields)
    return resource


def bank_account(resource_id: str, created_at: str, fields: dict) -> dict:
    resource = {
        "account_holder_name": None,
        "account_number_ending": None,
        "account_type": None,
        "bank_account_token": None,
        "bank_name": None,
        "country_code": None,
        "created_at": created_at,
        "currency": None,
        "enabled": True,
        "id": resource_id,
        "links": {},
        "metadata": {},
        "payer_name_verification_result": None,
        "trusted_recipient": False,
    }
    resource.update(fields)
    return resource


def consent_parameters() -> dict:
    return {
        "end_date": None,
        "max_amount_per_payment": None,
        "max_amount_per_period": None,
        "max_payments_per_period": None,
        "period": None,
        "start_date": None,
    }


def mandate(resource_id: str, created_at: str, fields: dict) -> dict:
    resource = {
        "authorisation_source": None,
        "consent_parameters": consent_parameters(),
        "consent_type": None,
        "created_at": created_at,
        "funds_settlement": "managed",
        "id": resource_id,
        "links": {},
        "mandate_type": "bank_debit",
        "metadata": {},
        "next_possible_charge_date": None,
        "next_possible_standard_ach_charge_date": None,
        "payments_require_approval": False,
        "reference": None,
        "scheme": None,
        "status": None,
        "verified_at": None,
    }
    resource.update(fields)
    return resource


def payment(resource_id: str, created_at: str, fields: dict) -> dict:
    resource = {
        "amount": None,
        "amount_refunded": 0,
        "app_fee": None,
        "charge_date": None,
        "created_at": created_at,
        "currency": None,
        "description": None,
        "faster_ach": None,
        "fx": _fx(),
        "id": resource_id,
        "links": {},
        "metadata": {},
        "reference": None,
        "retry_if_possible": False,
        "scheme": None,
        "status": None,
    }
    resource.update(fields)
    return resource


def payout(resource_id: str, created_at: str, fields: dict) -> dict:
    resource = {
        "amount": 0,
        "arrival_date": None,
        "created_at": created_at,
        "currency": None,
        "deducted_fees": 0,
        "fx": _fx(),
        "id": resource_id,
        "links": {},
        "metadata": {},
        "payout_type": "merchant",
        "reference": None,
        "status": "pending",
        "tax_currency": None,
    }
    resource.update(fields)
    return resource


def payout_item(fields: dict) -> dict:
    resource = {"amount": None, "links": {}, "taxes": [], "type": None}
    resource.update(fields)
    return resource


EVENT_DETAIL_KEYS = (
    "bank_account_id",
    "cause",
    "currency",
    "description",
    "item_count",
    "not_retried_reason",
    "origin",
    "property",
    "reason_code",
    "scheme",
    "will_attempt_retry",
)


def event(resource_id: str, created_at: str, fields: dict) -> dict:
    details = dict.fromkeys(EVENT_DETAIL_KEYS)
    details.update(fields.pop("details", None) or {})
    resource = {
        "action": None,
        "created_at": created_at,
        "customer_notifications": [],
        "details": details,
        "id": resource_id,
        "links": {},
        "metadata": {},
        "resource_metadata": {},
        "resource_type": None,
        "source": {"name": None, "type": None},
    }
    resource.update(fields)
    return resource


def creditor(resource_id: str, created_at: str, name: str) -> dict:
    def scheme_identifier(suffix: str, scheme: str, currency: str, reference: str) -> dict:
        return {
            "address_line1": "1 Emulator Street",
            "address_line2": None,
            "address_line3": None,
            "can_specify_mandate_reference": False,
            "city": "London",
            "country_code": "GB",
            "created_at": created_at,
            "currency": currency,
            "email": "payments@creditor.example.com",
            "id": "SU" + suffix,
            "minimum_advance_notice": 3,
            "name": name,
            "phone_number": "+44 20 7946 0000",
            "postal_code": "EC1V 7LQ",
            "reference": reference,
            "region": None,
            "scheme": scheme,
            "status": "active",
        }

    return {
        "address_line1": "1 Emulator Street",
        "address_line2": None,
        "address_line3": None,
        "bank_reference_prefix": "EMU",
        "can_create_refunds": False,
        "city": "London",
        "country_code": "GB",
        "created_at": created_at,
        "creditor_type": "company",
        "custom_payment_pages_enabled": False,
        "fx_payout_currency": None,
        "id": resource_id,
        "links": {
            "default_eur_payout_account": "BA0000CREUR001",
            "default_gbp_payout_account": "BA0000CRGBP001",
        },
        "logo_url": None,
        "mandate_imports_enabled": False,
        "merchant_responsible_for_notifications": False,
        "name": name,
        "postal_code": "EC1V 7LQ",
        "region": None,
        "scheme_identifiers": [
            scheme_identifier("0000EMUBACS1", "bacs", "GBP", "123456"),
            scheme_identifier("0000EMUSEPA1", "sepa_core", "EUR", "GB00ZZZEMU000001"),
        ],
        "verification_status": "successful",
    }


def deep_copy(resource: dict) -> dict:
    return copy.deepcopy(resource)

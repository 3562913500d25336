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
    "pay_to": "AUD",
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
    "pay_to": "AU",
}
# The scheme a mandate request of each currency gets when it names none.
CURRENCY_SCHEME = {
    "AUD": "becs",
    "CAD": "pad",
    "DKK": "betalingsservice",
    "EUR": "sepa_core",
    "GBP": "bacs",
    "NZD": "becs_nz",
    "SEK": "autogiro",
    "USD": "ach",
}
# Mandates of these schemes are submitted with their first payment and activated when it is
# confirmed (the others are submitted on their own).
FIRST_PAYMENT_SCHEMES = ("sepa_core", "ach", "becs", "becs_nz")
# Only PayTo mandates can be suspended by the payer.
PAYER_SUSPENDABLE_SCHEMES = ("pay_to",)
# Default per-payment limits in minor units, (minimum, maximum), from GoCardless's support
# article on transaction limits; ACH is not in that article (assumed 1-10,000 USD), PayTo has
# no default limit here.
SCHEME_LIMITS = {
    "autogiro": (1000, 5000000),
    "bacs": (100, 500000),
    "becs": (200, 1000000),
    "becs_nz": (200, 1000000),
    "betalingsservice": (1000, 5000000),
    "pad": (200, 500000),
    "sepa_core": (100, 500000),
    "ach": (100, 1000000),
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
# Mandates that cannot take payments any more (a disabled bank account leaves them alone).
MANDATE_FINAL = ("cancelled", "failed", "expired", "consumed", "blocked")
# ``reinstate`` works at most this many times on one mandate.
MAX_REINSTATEMENTS = 10
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
# ``POST /payments/ID/actions/cancel`` works only from this status.
PAYMENT_CANCELLABLE = ("pending_submission",)
# A mandate that ends cancels its payments in these statuses.
PAYMENT_CASCADE_CANCELLED = ("pending_customer_approval", "pending_submission")
# Payments can be refunded in these statuses.
PAYMENT_REFUNDABLE = ("confirmed", "paid_out")
MAX_PAYMENT_RETRIES = 3
PAYOUT_STATUSES = ("pending", "paid", "bounced")
REFUND_STATUSES = (
    "created",
    "pending_submission",
    "submitted",
    "paid",
    "cancelled",
    "bounced",
    "funds_returned",
)
BILLING_REQUEST_STATUSES = ("pending", "ready_to_fulfil", "fulfilling", "fulfilled", "cancelled")
BILLING_REQUEST_OPEN = ("pending", "ready_to_fulfil")

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


def minor_units_text(amount_minor: int) -> str:
    """A payout item amount: MINOR units as a string with one decimal place.

    ``4500`` (45.00) -> ``"4500.0"``, ``-120`` -> ``"-120.0"``, ``0`` -> ``"0.0"``.
    """
    return f"{int(amount_minor)}.0"


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
    """An event. Like GoCardless's, it is sparse: ``details`` holds only the keys given (no
    ``null`` placeholders), ``source`` only when given, and ``customer_notifications`` is
    left out."""
    details = {key: value for key, value in (fields.pop("details", None) or {}).items()}
    resource = {
        "action": None,
        "created_at": created_at,
        "details": {key: value for key, value in details.items() if value is not None},
        "id": resource_id,
        "links": {},
        "metadata": {},
        "resource_metadata": {},
        "resource_type": None,
    }
    resource.update(fields)
    if resource.get("source") is None:
        resource.pop("source", None)
    return resource


def refund(resource_id: str, created_at: str, fields: dict) -> dict:
    resource = {
        "amount": None,
        "created_at": created_at,
        "currency": None,
        "fx": _fx(),
        "id": resource_id,
        "links": {},
        "metadata": {},
        "reference": None,
        "status": "created",
    }
    resource.update(fields)
    return resource


MANDATE_REQUEST_FIELDS = (
    "authorisation_source",
    "consent_type",
    "constraints",
    "currency",
    "description",
    "funds_settlement",
    "metadata",
    "payer_requested_dual_signature",
    "scheme",
    "sweeping",
    "verify",
)


def mandate_request(fields: dict) -> dict:
    resource = {
        "authorisation_source": None,
        "consent_type": None,
        "constraints": None,
        "currency": None,
        "description": None,
        "funds_settlement": "managed",
        "links": {},
        "metadata": {},
        "payer_requested_dual_signature": False,
        "scheme": None,
        "sweeping": False,
        "verify": "recommended",
    }
    resource.update(fields)
    return resource


def billing_request(resource_id: str, created_at: str, fields: dict) -> dict:
    """A Billing Request with a mandate request only (``payment_request``,
    ``subscription_request`` and ``instalment_schedule_request`` are ``null``, as GoCardless
    sends them when absent)."""
    resource = {
        "actions": [],
        "created_at": created_at,
        "fallback_enabled": False,
        "fallback_occurred": False,
        "id": resource_id,
        "instalment_schedule_request": None,
        "links": {},
        "mandate_request": None,
        "metadata": {},
        "payment_context_code": None,
        "payment_purpose_code": None,
        "payment_request": None,
        "purpose_code": None,
        "resources": {"customer": None, "customer_bank_account": None},
        "status": "pending",
        "subscription_request": None,
    }
    resource.update(fields)
    return resource


BILLING_REQUEST_CUSTOMER_KEYS = (
    "company_name",
    "created_at",
    "email",
    "family_name",
    "given_name",
    "id",
    "language",
    "metadata",
    "phone_number",
)
BILLING_DETAIL_KEYS = (
    "address_line1",
    "address_line2",
    "address_line3",
    "city",
    "country_code",
    "danish_identity_number",
    "postal_code",
    "region",
    "swedish_identity_number",
)


def billing_request_customer(customer: dict) -> dict:
    """The customer as a Billing Request's ``resources.customer`` shows it."""
    return {key: copy.deepcopy(customer.get(key)) for key in BILLING_REQUEST_CUSTOMER_KEYS}


def customer_billing_detail(detail_id: str, customer: dict, schemes: list) -> dict:
    """``resources.customer_billing_detail``: the customer's address, under its own ID."""
    detail = {key: customer.get(key) for key in BILLING_DETAIL_KEYS}
    detail.update(
        {
            "created_at": customer["created_at"],
            "id": detail_id,
            "ip_address": None,
            "schemes": list(schemes),
        }
    )
    return detail


def billing_request_bank_account(account: dict) -> dict:
    keys = (
        "account_holder_name",
        "account_number_ending",
        "account_type",
        "bank_account_token",
        "bank_name",
        "country_code",
        "created_at",
        "currency",
        "enabled",
        "id",
        "links",
        "metadata",
        "payer_name_verification_result",
    )
    return {key: copy.deepcopy(account.get(key)) for key in keys}


PREFILLED_CUSTOMER_KEYS = (
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
    "phone_number",
    "postal_code",
    "region",
    "swedish_identity_number",
)
FLOW_OPTION_KEYS = (
    "auto_fulfil",
    "exit_uri",
    "language",
    "lock_bank_account",
    "lock_currency",
    "lock_customer_details",
    "redirect_uri",
    "show_redirect_buttons",
    "show_success_redirect_button",
    "skip_success_screen",
)


def billing_request_flow(resource_id: str, created_at: str, fields: dict) -> dict:
    prefilled = dict.fromkeys(PREFILLED_CUSTOMER_KEYS)
    prefilled.update(fields.pop("prefilled_customer", None) or {})
    resource = {
        "authorisation_url": None,
        "auto_fulfil": True,
        "created_at": created_at,
        "customer_details_captured": False,
        "exit_uri": None,
        "expires_at": None,
        "id": resource_id,
        "language": None,
        "links": {},
        "lock_bank_account": False,
        "lock_currency": False,
        "lock_customer_details": False,
        "prefilled_bank_account": {"account_type": None},
        "prefilled_customer": prefilled,
        "redirect_uri": None,
        "session_token": None,
        "show_redirect_buttons": False,
        "show_success_redirect_button": False,
        "skip_success_screen": False,
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
        "can_create_refunds": True,
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

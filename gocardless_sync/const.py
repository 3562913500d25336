"""GoCardless API constants: statuses, schemes, limits and dashboard URLs.

Facts come from API_NOTES.md (checked against the gocardless-pro client and GoCardless's
own fixtures); names here are used by the services, the models and the tests alike.
"""

API_VERSION = "2015-07-06"
# Seconds the client waits for an answer before raising requests.Timeout (the client's
# own default is 60 s; the account can override it, e.g. for tests against the emulator).
DEFAULT_TIMEOUT = 30.0
# Bounded retries of idempotent reads on 429 / JSON 5xx (the client retries only network
# errors and non-JSON bodies itself).
MAX_API_ATTEMPTS = 3
# Never sleep longer than this for a rate limit; beyond it the user is told to retry later.
MAX_RATE_LIMIT_WAIT = 10.0
PAGE_SIZE = 500  # the API's maximum page size

ENVIRONMENTS = [("sandbox", "Sandbox"), ("live", "Live")]

MANDATE_STATUSES = [
    ("pending_customer_approval", "Pending customer approval"),
    ("pending_submission", "Pending submission"),
    ("submitted", "Submitted"),
    ("active", "Active"),
    ("suspended_by_payer", "Suspended by payer"),
    ("failed", "Failed"),
    ("cancelled", "Cancelled"),
    ("expired", "Expired"),
    ("consumed", "Consumed"),
    ("blocked", "Blocked"),
]
# Payments can be created only on mandates in these statuses (else mandate_is_inactive).
USABLE_MANDATE_STATUSES = frozenset(
    {"pending_customer_approval", "pending_submission", "submitted", "active"}
)

PAYMENT_STATUSES = [
    ("pending_customer_approval", "Pending customer approval"),
    ("pending_submission", "Pending submission"),
    ("submitted", "Submitted"),
    ("confirmed", "Confirmed"),
    ("paid_out", "Paid out"),
    ("cancelled", "Cancelled"),
    ("customer_approval_denied", "Customer approval denied"),
    ("failed", "Failed"),
    ("charged_back", "Charged back"),
]

# The currency each direct-debit scheme collects in.
SCHEME_CURRENCY = {
    "ach": "USD",
    "autogiro": "SEK",
    "bacs": "GBP",
    "becs": "AUD",
    "becs_nz": "NZD",
    "betalingsservice": "DKK",
    "pad": "CAD",
    "sepa_core": "EUR",
}
SUPPORTED_CURRENCIES = frozenset(SCHEME_CURRENCY.values())

# Metadata limits on every resource.
METADATA_MAX_KEYS = 3
METADATA_KEY_MAX_LENGTH = 50
METADATA_VALUE_MAX_LENGTH = 500

DASHBOARD_URLS = {
    "live": "https://manage.gocardless.com",
    "sandbox": "https://manage-sandbox.gocardless.com",
}


def dashboard_url(environment, plural, gocardless_id):
    """The GoCardless dashboard page of one resource, e.g. ('live', 'customers', 'CU1')."""
    base = DASHBOARD_URLS.get(environment, DASHBOARD_URLS["sandbox"])
    return f"{base}/{plural}/{gocardless_id}"


# Events: the link that names the resource an event is about, per resource_type.
EVENT_RESOURCE_LINK = {
    "mandates": "mandate",
    "payments": "payment",
    "customers": "customer",
    "payouts": "payout",
    "refunds": "refund",
    "subscriptions": "subscription",
    "instalment_schedules": "instalment_schedule",
    "creditors": "creditor",
}
CUSTOMER_REMOVED_ACTIONS = frozenset({"removed", "customer_removed"})

# The status a mandate has after each event action. Actions not listed here (created,
# transferred, customer_approval_granted, ...) leave the status as it is.
MANDATE_EVENT_STATUS = {
    "submitted": "submitted",
    "active": "active",
    "reinstated": "active",
    "resubmission_requested": "pending_submission",
    "suspended_by_payer": "suspended_by_payer",
    "cancelled": "cancelled",
    "failed": "failed",
    "expired": "expired",
    "consumed": "consumed",
    "blocked": "blocked",
    "replaced": "cancelled",
}
# Progress of a mandate: an event never moves a mandate to a lower rank, except the actions
# that bring an ended mandate back (MANDATE_REVIVAL_ACTIONS).
MANDATE_STATUS_RANK = {
    "pending_customer_approval": 1,
    "pending_submission": 2,
    "submitted": 3,
    "active": 4,
    "suspended_by_payer": 4,
    "cancelled": 5,
    "failed": 5,
    "expired": 5,
    "consumed": 5,
    "blocked": 5,
}
MANDATE_REVIVAL_ACTIONS = frozenset({"reinstated", "resubmission_requested"})

# Webhook deliveries larger than this are refused (413).
WEBHOOK_MAX_BODY = 1024 * 1024

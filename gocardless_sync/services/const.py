"""The addon's constants: GoCardless's statuses, schemes, currencies, limits and dashboard
URLs, and the Odoo-side names (groups, locks) that several modules share.

The GoCardless facts are those of docs/gocardless_api.md. This module lives in ``services``
and imports nothing, so that the services layer stays importable without Odoo; the models
import it as ``from ..services import const``.
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

# A mandate or payment status Odoo does not know (one GoCardless adds later, or none at all)
# is stored as this one, with the value GoCardless sent kept in ``raw_status``: never usable,
# never failing a run. It is the last entry of both status lists below.
UNKNOWN_STATUS = "unknown"

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
    (UNKNOWN_STATUS, "Unknown"),
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
    (UNKNOWN_STATUS, "Unknown"),
]
# The statuses GoCardless documents (the lists above without "unknown").
KNOWN_MANDATE_STATUSES = frozenset(key for key, _label in MANDATE_STATUSES) - {UNKNOWN_STATUS}
KNOWN_PAYMENT_STATUSES = frozenset(key for key, _label in PAYMENT_STATUSES) - {UNKNOWN_STATUS}


def read_status(value, known):
    """(status, raw_status) of a status GoCardless sent, for a set of ``known`` statuses:
    (value, False) when known, else (UNKNOWN_STATUS, the value as text or False)."""
    if value in known:
        return value, False
    return UNKNOWN_STATUS, (str(value) if value not in (None, "") else False)


# -- the status rule (services/status_rules.py) -------------------------------------------
# Per kind (mandates, payments): ONE table of the status each event action brings, the order
# of the statuses (an event never moves a status to a lower rank) and the revivals, the only
# actions that may move a status back, with the statuses they revive from.

# The order of payment statuses: a status never replaces one of a higher rank, nor another of
# the same rank (events and webhooks arrive in any order). Rank 5 ends a payment without
# money; a charge-back comes after a payout.
PAYMENT_STATUS_RANK = {
    "pending_customer_approval": 0,
    "pending_submission": 1,
    "submitted": 2,
    "confirmed": 3,
    "paid_out": 4,
    "cancelled": 5,
    "customer_approval_denied": 5,
    "failed": 5,
    "charged_back": 6,
}
# GoCardless will not (or no longer) collect these payments: the Odoo payment is undone.
PAYMENT_FAILED_STATUSES = frozenset(
    {"failed", "charged_back", "cancelled", "customer_approval_denied"}
)
# The payment event action of a retry (failed -> pending_submission).
PAYMENT_RETRY_ACTION = "resubmission_requested"
# The payment event action of a charge-back the payer's bank withdrew (charged_back -> paid_out).
PAYMENT_CHARGEBACK_CANCELLED_ACTION = "chargeback_cancelled"
# The only moves back in PAYMENT_STATUS_RANK: {event action: statuses it revives a payment from}.
PAYMENT_REVIVAL_ACTIONS = {
    PAYMENT_RETRY_ACTION: frozenset({"failed"}),
    PAYMENT_CHARGEBACK_CANCELLED_ACTION: frozenset({"charged_back"}),
}
# The status a payment has after each event action (others leave it as it is).
PAYMENT_EVENT_STATUS = {
    "customer_approval_granted": "pending_submission",
    "customer_approval_denied": "customer_approval_denied",
    "submitted": "submitted",
    "confirmed": "confirmed",
    "paid_out": "paid_out",
    "cancelled": "cancelled",
    "failed": "failed",
    "charged_back": "charged_back",
    "resubmission_requested": "pending_submission",
    "chargeback_cancelled": "paid_out",
}

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
# Progress of a mandate: an event never moves a mandate to a lower rank. Unlike a payment, a
# mandate moves between statuses of the same rank (active and suspended by the payer, both
# ways; one end for another).
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
# The actions that bring a mandate back (a reinstatement, a resubmission), from any status.
MANDATE_REVIVAL_ACTIONS = {
    action: frozenset(MANDATE_STATUS_RANK) | {UNKNOWN_STATUS}
    for action in ("reinstated", "resubmission_requested")
}

# -- the ledger: when payments are booked, reversals, refunds ----------------------------
# When an Odoo payment is recorded for a GoCardless payment (gocardless.account field
# payment_recording): by "Add balances as payments" (the default), or by the event that moves
# the GoCardless payment to confirmed, or to paid out.
PAYMENT_RECORDING_EXPORT = "export"
PAYMENT_RECORDING_CONFIRMED = "confirmed"
PAYMENT_RECORDING_PAID_OUT = "paid_out"
PAYMENT_RECORDINGS = [
    (PAYMENT_RECORDING_EXPORT, "When the balances are added as payments"),
    (PAYMENT_RECORDING_CONFIRMED, "When GoCardless confirms the payment"),
    (PAYMENT_RECORDING_PAID_OUT, "When GoCardless pays it out"),
]
# The GoCardless statuses at which a payment is booked by events, per recording choice. With
# "export", a payment that has no line to add (made outside Odoo, or booked again after a
# retry) is booked when GoCardless confirms it.
PAYMENT_BOOKING_STATUSES = {
    PAYMENT_RECORDING_EXPORT: frozenset({"confirmed", "paid_out"}),
    PAYMENT_RECORDING_CONFIRMED: frozenset({"confirmed", "paid_out"}),
    PAYMENT_RECORDING_PAID_OUT: frozenset({"paid_out"}),
}
# Where a GoCardless payment stands in the books (gocardless.payment.booking_state).
BOOKING_STATES = [
    ("to_record", "To add as payment"),
    ("waiting", "Waiting for GoCardless"),
    ("booked", "Booked"),
    ("reversed", "Reversed"),
    ("not_booked", "Not booked"),
]
# The entries booked for a GoCardless payment (gocardless.payment.entry.kind): the entry of
# its Odoo payment, a reversal (failure, cancellation, charge-back), the money booked again
# (a withdrawn charge-back, a retry that succeeds), a refund's Odoo payment and its reversal.
ENTRY_KIND_PAYMENT = "payment"
ENTRY_KIND_REVERSAL = "reversal"
ENTRY_KIND_REBOOKING = "rebooking"
ENTRY_KIND_REFUND = "refund"
ENTRY_KIND_REFUND_REVERSAL = "refund_reversal"
ENTRY_KINDS = [
    (ENTRY_KIND_PAYMENT, "Payment"),
    (ENTRY_KIND_REVERSAL, "Reversal"),
    (ENTRY_KIND_REBOOKING, "Booked again"),
    (ENTRY_KIND_REFUND, "Refund"),
    (ENTRY_KIND_REFUND_REVERSAL, "Refund reversed"),
]
# Entries that put a payment's money in the books, and those that take it out again.
ENTRY_KINDS_BOOKING = frozenset({ENTRY_KIND_PAYMENT, ENTRY_KIND_REBOOKING})
# The payment event of a charge-back GoCardless took back in a payout (its deduction).
PAYMENT_CHARGEBACK_SETTLED_ACTION = "chargeback_settled"

# Refunds (RF...): GoCardless's statuses, their order, the events that bring them.
REFUND_STATUSES = [
    ("created", "Created"),
    ("pending_submission", "Pending submission"),
    ("submitted", "Submitted"),
    ("paid", "Paid"),
    ("cancelled", "Cancelled"),
    ("bounced", "Bounced"),
    ("funds_returned", "Funds returned"),
    (UNKNOWN_STATUS, "Unknown"),
]
KNOWN_REFUND_STATUSES = frozenset(key for key, _label in REFUND_STATUSES) - {UNKNOWN_STATUS}
REFUND_STATUS_RANK = {
    "created": 0,
    "pending_submission": 1,
    "submitted": 2,
    "paid": 3,
    "cancelled": 4,
    "bounced": 4,
    "funds_returned": 5,
}
# The money of these refunds never reached the customer: a booked refund is reversed.
REFUND_FAILED_STATUSES = frozenset({"cancelled", "bounced", "funds_returned"})
REFUND_EVENT_STATUS = {
    "created": "created",
    "submitted": "submitted",
    "paid": "paid",
    "cancelled": "cancelled",
    "failed": "bounced",
    "funds_returned": "funds_returned",
}
# The refund event of a refund GoCardless deducted from a payout.
REFUND_SETTLED_ACTION = "refund_settled"

# Why a partner's balance is left out of a balance export.
EXPORT_SKIP_REASONS = [
    ("no_mandate", "No mandate"),
    ("mandate_not_usable", "Mandate not usable"),
    ("nothing_due", "Nothing due or in credit"),
    ("currency_not_supported", "Currency not supported"),
    ("pending_export", "Already being collected"),
]
# Dashboard bulk payment import (Payments > Import): its columns, in this order. The last
# one is the metadata column that carries the export line's reference.
BULK_IMPORT_METADATA_KEY = "odoo_ref"
BULK_IMPORT_COLUMNS = (
    "mandate.id",
    "customer.id",
    "customer.given_name",
    "customer.family_name",
    "customer.company_name",
    "customer.email",
    "payment.amount",
    "payment.currency",
    "payment.description",
    "payment.charge_date",
    f"payment.metadata.{BULK_IMPORT_METADATA_KEY}",
)
BULK_IMPORT_CELL_MAX_LENGTH = 100

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
# The ISO 4217 minor unit (number of decimals) of every currency GoCardless collects. Amounts
# at the API are integers in this unit (1050 = 10.50 GBP), and the files carry amounts with
# these decimals, whatever rounding an administrator gives the currency in Odoo.
CURRENCY_MINOR_UNITS = {
    "AUD": 2,
    "CAD": 2,
    "DKK": 2,
    "EUR": 2,
    "GBP": 2,
    "NZD": 2,
    "SEK": 2,
    "USD": 2,
}

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

# The webhook endpoint's path (the URL to give GoCardless is the database's base URL + it).
WEBHOOK_PATH = "/gocardless/webhook"
# Webhook deliveries larger than this are refused (413).
WEBHOOK_MAX_BODY = 1024 * 1024

# -- pushing customers to GoCardless (new-customer prompt, "Synchronize with GoCardless") ----
# What the user decided about creating a contact in GoCardless (res.partner field
# gocardless_sync_decision; empty = not asked yet).
SYNC_DECISIONS = [
    ("synced", "Synchronized"),
    ("never", "Do not synchronize"),
    ("later", "Choose later"),
]
# Metadata keys the addon writes on the customers it creates. GoCardless accepts at most
# METADATA_MAX_KEYS keys per resource: these two come first, then the account's metadata
# field mappings (so that a later customer sync reads the same values back).
METADATA_PARTNER_ID_KEY = "odoo_partner_id"
METADATA_PARTNER_REF_KEY = "odoo_partner_ref"  # the contact's Reference (customer number)
# Customers have no "reference" field of their own (mandate and payment references, with
# their per-scheme rules, belong to the mandate and payment flows): the only limits that
# apply to a customer the addon creates are the metadata ones above.
# Languages GoCardless accepts for a customer (ISO 639-1); others are left out.
CUSTOMER_LANGUAGES = frozenset({"da", "de", "en", "es", "fr", "it", "nb", "nl", "pt", "sl", "sv"})
# Idempotency keys: the client's own are uuid4 strings (36 characters), so that length is
# known to be accepted; no documented maximum was found. The addon's
# keys are a prefix and a hash, cut to this length.
IDEMPOTENCY_KEY_MAX_LENGTH = 36
IDEMPOTENCY_KEY_PREFIX = "odoo-"

# Mandates that bulk payment actions may offer: usable (payments can be created on them)
# and not removed from the contact in Odoo (archived). Use it with active_test or without.
USABLE_MANDATE_DOMAIN = [("is_usable", "=", True), ("active", "=", True)]
# GoCardless refuses to cancel a mandate in these statuses (cancellation_failed).
MANDATE_FINAL_STATUSES = frozenset({"cancelled", "failed", "expired", "consumed", "blocked"})

# The GoCardless groups (security/gocardless_security.xml); Manager implies Supervisor.
GROUP_SUPERVISOR = "gocardless_sync.group_gocardless_supervisor"
GROUP_MANAGER = "gocardless_sync.group_gocardless_manager"

# First keys of the PostgreSQL advisory locks the addon takes (common.try_lock); the second
# key is the id of the record locked. One value per kind of work, shared by every server.
LOCK_CUSTOMER_SYNC = 0x6763  # "gc": one customer sync per account (key: account id)
LOCK_EXPORT = 0x6765  # "ge": one recording or collection per batch (key: export id)

"""What each lifecycle step does to a resource, and the event it records.

The causes, descriptions and reason codes follow the style of GoCardless's events; they are
plausible examples, not an exhaustive or authoritative catalogue.
"""

from __future__ import annotations

from typing import NamedTuple


class Step(NamedTuple):
    status: str | None  # new status, or None to leave it unchanged
    origin: str
    cause: str
    description: str
    reason_codes: dict | None = None  # scheme -> reason_code


MANDATE_STEPS = {
    "customer_approval_granted": Step(
        "pending_submission",
        "customer",
        "customer_approval_granted",
        "The customer granted approval for this mandate.",
    ),
    "customer_approval_skipped": Step(
        "pending_submission",
        "customer",
        "customer_approval_skipped",
        "The customer skipped approval for this mandate.",
    ),
    "submitted": Step(
        "submitted",
        "gocardless",
        "mandate_submitted",
        "The mandate has been submitted to the banks.",
    ),
    "active": Step(
        "active",
        "gocardless",
        "mandate_activated",
        "The time window after submission for the banks to refuse a mandate has ended without "
        "any errors being received, so this mandate is now active.",
    ),
    "cancelled": Step(
        "cancelled",
        "bank",
        "mandate_cancelled",
        "The mandate was cancelled at a bank branch.",
        {"bacs": "ADDACS-1", "sepa_core": "MD01"},
    ),
    "failed": Step(
        "failed",
        "bank",
        "bank_account_closed",
        "The bank account for this mandate has been closed.",
        {"bacs": "AUDDIS-B", "sepa_core": "AC04"},
    ),
    "expired": Step(
        "expired",
        "gocardless",
        "mandate_expired",
        "The mandate is being marked as expired, because no payments have been collected "
        "against it for the dormancy period of your service user number.",
    ),
    "resubmission_requested": Step(
        "pending_submission",
        "api",
        "mandate_reinstated",
        "An attempt to reinstate this mandate was requested.",
    ),
    "reinstated": Step(
        "active", "gocardless", "mandate_reinstated", "The mandate has been reinstated."
    ),
    "suspended_by_payer": Step(
        "suspended_by_payer",
        "payer",
        "mandate_suspended_by_payer",
        "The customer has suspended this mandate.",
    ),
    "blocked": Step("blocked", "gocardless", "mandate_blocked", "The mandate has been blocked."),
    "consumed": Step(
        "consumed",
        "gocardless",
        "mandate_consumed",
        "The mandate has been consumed and cannot be used for further payments.",
    ),
    "transferred": Step(
        None,
        "bank",
        "bank_account_transferred",
        "The customer's bank account was transferred to a different bank or building society.",
        {"bacs": "ADDACS-3"},
    ),
    "replaced": Step(
        "cancelled",
        "gocardless",
        "mandate_replaced",
        "The mandate has been cancelled and replaced by a new mandate.",
    ),
}

# Mandate steps that only apply to a mandate in one status.
MANDATE_STEP_FROM = {
    "customer_approval_granted": ("pending_customer_approval",),
    "customer_approval_skipped": ("pending_customer_approval",),
}

# Mandate steps after which the mandate's pending payments are cancelled (each payment
# cancellation event links the mandate event as ``parent_event``).
MANDATE_CASCADE = ("cancelled", "failed", "expired", "blocked")

MANDATE_CREATED = Step(
    "pending_submission", "payer", "mandate_created", "Mandate created via a billing request."
)

API_MANDATE_CANCEL = Step(
    "cancelled", "api", "mandate_cancelled", "The mandate was cancelled at your request."
)
API_MANDATE_REINSTATE = MANDATE_STEPS["resubmission_requested"]

PAYMENT_STEPS = {
    "customer_approval_granted": Step(
        "pending_submission",
        "customer",
        "customer_approval_granted",
        "The customer granted approval for this payment.",
    ),
    "submitted": Step(
        "submitted",
        "gocardless",
        "payment_submitted",
        "Payment submitted to the banks. As a result, it can no longer be cancelled.",
    ),
    "confirmed": Step(
        "confirmed",
        "gocardless",
        "payment_confirmed",
        "Enough time has passed since the payment was submitted for the banks to return an "
        "error, so this payment is now confirmed.",
    ),
    "paid_out": Step(
        "paid_out", "gocardless", "payment_paid_out", "The payment has been paid out by GoCardless."
    ),
    "failed": Step(
        "failed",
        "bank",
        "insufficient_funds",
        "The customer's account had insufficient funds to make this payment.",
        {"bacs": "ARUDD-0", "sepa_core": "AM04"},
    ),
    "charged_back": Step(
        "charged_back",
        "bank",
        "authorisation_disputed",
        "The customer has disputed having authorised you to set up a Direct Debit with them.",
        {"bacs": "DDICA-5", "sepa_core": "MD06"},
    ),
    "chargeback_cancelled": Step(
        "paid_out",
        "bank",
        "chargeback_cancelled",
        "The customer's bank has cancelled the chargeback request. This is almost always at "
        "the request of the merchant.",
    ),
    "cancelled": Step("cancelled", "gocardless", "payment_cancelled", "The payment was cancelled."),
    "resubmission_requested": Step(
        "pending_submission",
        "gocardless",
        "payment_autoretried",
        "The payment will be retried automatically (GoCardless Success+).",
    ),
    "customer_approval_denied": Step(
        "customer_approval_denied",
        "customer",
        "customer_approval_denied",
        "The customer denied approval for this payment.",
    ),
}

API_PAYMENT_CREATE = Step(None, "api", "payment_created", "Payment created via the API.")
API_PAYMENT_CANCEL = Step(
    "cancelled", "api", "payment_cancelled", "The payment was cancelled at your request."
)
API_PAYMENT_RETRY = Step(
    "pending_submission", "api", "payment_retried", "This payment was retried via the API."
)
PAYMENT_STEP_FROM = {"customer_approval_granted": ("pending_customer_approval",)}
LATE_FAILURE_SETTLED = Step(
    None,
    "gocardless",
    "late_failure_settled",
    "This payment was a late failure after it was paid out; it has been debited from a payout.",
)
CHARGEBACK_SETTLED = Step(
    None,
    "gocardless",
    "chargeback_settled",
    "This payment was charged back after it was paid out; it has been debited from a payout.",
)
CASCADE_PAYMENT_CANCEL = {
    "cancelled": "mandate_cancelled",
    "failed": "mandate_failed",
    "expired": "mandate_expired",
    "blocked": "mandate_blocked",
}

PAYOUT_STEPS = {
    "paid": Step(
        "paid",
        "gocardless",
        "payout_paid",
        "GoCardless has transferred the payout to the creditor's bank account.",
    ),
    "bounced": Step(
        "bounced",
        "bank",
        "payout_bounced",
        "The payout was returned by the creditor's bank.",
    ),
}

CUSTOMER_REMOVED = Step(None, "api", "customer_removed", "The customer was removed via the API.")
CUSTOMER_CREATED = Step(None, "api", "customer_created", "The customer was created.")

REFUND_CREATED = Step("created", "api", "refund_created", "The refund has been created.")
REFUND_STEPS = {
    "submitted": Step(
        "submitted", "gocardless", "refund_submitted", "The refund has been submitted to the banks."
    ),
    "paid": Step("paid", "gocardless", "refund_paid", "The refund has been paid to the customer."),
    "failed": Step(
        "bounced",
        "bank",
        "refund_failed",
        "The refund did not reach the customer; the money will be returned to you.",
    ),
    "cancelled": Step("cancelled", "gocardless", "refund_cancelled", "The refund was cancelled."),
    "funds_returned": Step(
        "funds_returned",
        "gocardless",
        "refund_funds_returned",
        "The money of a failed refund has been returned to you.",
    ),
}
REFUND_SETTLED = Step(
    None, "gocardless", "refund_settled", "The refund has been deducted from a payout."
)

# Billing request events: (origin, cause, description) per action.
BILLING_REQUEST_EVENTS = {
    "created": ("api", "billing_request_created", "This billing request has been created."),
    "flow_created": (
        "api",
        "billing_request_flow_created",
        "A billing request flow has been created against this billing request.",
    ),
    "flow_visited": (
        "payer",
        "billing_request_flow_visited",
        "The payer opened the billing request flow.",
    ),
    "flow_exited": (
        "payer",
        "billing_request_flow_exited",
        "The payer left the billing request flow without completing it.",
    ),
    "collect_customer_details": (
        "payer",
        "billing_request_collect_customer_details",
        "The customer details have been collected for this billing request.",
    ),
    "collect_bank_account": (
        "payer",
        "billing_request_collect_bank_account",
        "The bank account details have been collected for this billing request.",
    ),
    "payer_details_confirmed": (
        "payer",
        "billing_request_payer_details_confirmed",
        "The payer has confirmed all their details for this billing request.",
    ),
    "fulfilled": (
        "gocardless",
        "billing_request_fulfilled",
        "This billing request has been fulfilled, and the resources have been created.",
    ),
    "cancelled": ("api", "billing_request_cancelled", "This billing request has been cancelled."),
}

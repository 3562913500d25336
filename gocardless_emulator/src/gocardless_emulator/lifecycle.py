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

# Mandate steps after which the mandate's pending payments are cancelled (each payment
# cancellation event links the mandate event as ``parent_event``).
MANDATE_CASCADE = ("cancelled", "failed", "expired", "blocked")

API_MANDATE_CANCEL = Step(
    "cancelled", "api", "mandate_cancelled", "The mandate was cancelled at your request."
)
API_MANDATE_REINSTATE = MANDATE_STEPS["resubmission_requested"]

PAYMENT_STEPS = {
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


# Fee the emulator deducts when a payment is paid out (minor units): 1% + 20, capped at 400.
def gocardless_fee(amount: int) -> int:
    return min(20 + amount // 100, 400)

"""The customer-sync plan: which Odoo contact each GoCardless customer belongs to.

A pure function of (GoCardless customers, an email -> partners index, existing links, policy):
no Odoo, no I/O, so every rule is testable alone and the models only apply the plan.

Rules (issue "Customer sync"):
- a customer already linked by its GoCardless ID is updated, even if its email changed;
- else it matches a contact when its email, trimmed and case-insensitive, equals one of the
  contact's addresses (main email, each address of a multi-address main email, extra emails);
- an email that belongs to several contacts is ambiguous: never linked automatically;
- a match on an archived contact only is reported and skipped, never duplicated;
- a customer without email is unmatched; unmatched customers are created (policy "create")
  or skipped (policy "skip"). Several unmatched customers with one email get one new contact.
"""

from dataclasses import dataclass, field

POLICY_CREATE = "create"
POLICY_SKIP = "skip"

# outcomes
UPDATE = "update"  # already linked by GoCardless ID: refresh the integration record
LINK = "link"  # matched by email: create the integration record on that contact
CREATE = "create"  # no match, policy create: create a contact and link it
SKIP = "skip"  # left alone (no match with policy skip, or archived match)
AMBIGUOUS = "ambiguous"  # several contacts hold the email

# reasons (stable codes; the Odoo layer translates them)
REASON_LINKED = "already_linked"
REASON_EMAIL = "email_match"
REASON_NEW = "no_match_created"
REASON_NEW_SAME_EMAIL = "same_email_as_new_customer"
REASON_NO_MATCH = "no_match_skipped"
REASON_NO_EMAIL_CREATED = "no_email_created"
REASON_NO_EMAIL_SKIPPED = "no_email_skipped"
REASON_ARCHIVED = "archived_match"
REASON_AMBIGUOUS = "several_contacts"


def normalize_email(value):
    """Trim and lower-case one address; None when it is empty or not an address."""
    if not value or not isinstance(value, str):
        return None
    value = value.strip().lower()
    if value.count("@") != 1 or value.startswith("@") or value.endswith("@") or " " in value:
        return None
    return value


@dataclass(frozen=True)
class Decision:
    """What to do with one GoCardless customer."""

    gocardless_id: str
    outcome: str
    reason: str
    email: str | None = None
    partner_id: int | None = None  # the contact linked or updated (None for create/skip)
    candidates: tuple = field(default=())  # contact ids: ambiguous or archived matches
    # customers created together share one new contact: the GoCardless ID of the first
    create_group: str | None = None


def plan_customer_sync(customers, email_index, linked, policy, archived_index=None):
    """Plan the sync of GoCardless customers.

    :param customers: GoCardless customer dicts (``id``, ``email``, ...), in API order
    :param email_index: {normalised email: set of active contact ids holding it}
    :param linked: {GoCardless customer ID: contact id} of existing integration records
    :param policy: POLICY_CREATE or POLICY_SKIP, for customers that match no contact
    :param archived_index: {normalised email: set of archived contact ids holding it}
    :return: a list of :class:`Decision`, one per customer, in the same order
    """
    if policy not in (POLICY_CREATE, POLICY_SKIP):
        raise ValueError(f"unknown policy {policy!r}")
    archived_index = archived_index or {}
    decisions = []
    new_contact_by_email = {}  # email -> GoCardless ID of the customer that creates it
    for customer in customers:
        gocardless_id = customer["id"]
        email = normalize_email(customer.get("email"))
        if gocardless_id in linked:
            decisions.append(
                Decision(gocardless_id, UPDATE, REASON_LINKED, email, linked[gocardless_id])
            )
            continue
        partners = email_index.get(email, ()) if email else ()
        if len(partners) == 1:
            (partner_id,) = partners
            decisions.append(Decision(gocardless_id, LINK, REASON_EMAIL, email, partner_id))
            continue
        if len(partners) > 1:
            decisions.append(
                Decision(
                    gocardless_id,
                    AMBIGUOUS,
                    REASON_AMBIGUOUS,
                    email,
                    candidates=tuple(sorted(partners)),
                )
            )
            continue
        archived = archived_index.get(email, ()) if email else ()
        if archived:
            decisions.append(
                Decision(
                    gocardless_id,
                    SKIP,
                    REASON_ARCHIVED,
                    email,
                    candidates=tuple(sorted(archived)),
                )
            )
            continue
        if policy == POLICY_SKIP:
            reason = REASON_NO_MATCH if email else REASON_NO_EMAIL_SKIPPED
            decisions.append(Decision(gocardless_id, SKIP, reason, email))
            continue
        if email and email in new_contact_by_email:
            decisions.append(
                Decision(
                    gocardless_id,
                    CREATE,
                    REASON_NEW_SAME_EMAIL,
                    email,
                    create_group=new_contact_by_email[email],
                )
            )
            continue
        if email:
            new_contact_by_email[email] = gocardless_id
        reason = REASON_NEW if email else REASON_NO_EMAIL_CREATED
        decisions.append(Decision(gocardless_id, CREATE, reason, email, create_group=gocardless_id))
    return decisions

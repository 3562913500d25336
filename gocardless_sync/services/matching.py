"""The customer-sync plan: which Odoo contact each GoCardless customer belongs to.

A pure function of (GoCardless customers, an email -> partners index, existing links, policy):
no Odoo, no I/O, so every rule is testable alone and the models only apply the plan.

Rules (issue "Customer sync"):
- a customer already linked by its GoCardless ID is updated, even if its email changed;
- else it matches a contact when its email, normalised with Odoo's own rule (see
  :func:`normalize_email`), equals one of the contact's addresses, normalised the same way
  (main email, each address of a multi-address main email, extra emails);
- an email that belongs to several contacts is ambiguous: never linked automatically;
- a match on an archived contact only is reported and skipped, never duplicated;
- a customer without email is unmatched; unmatched customers are created (policy "create")
  or skipped (policy "skip"). Several unmatched customers with one email get one new contact.
"""

import email.utils
import re
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
REASON_EXTRA_EMAIL = "extra_email_match"  # matched through an extra email, not the main one
REASON_NEW = "no_match_created"
REASON_NEW_SAME_EMAIL = "same_email_as_new_customer"
REASON_NO_MATCH = "no_match_skipped"
REASON_NO_EMAIL_CREATED = "no_email_created"
REASON_NO_EMAIL_SKIPPED = "no_email_skipped"
REASON_ARCHIVED = "archived_match"
REASON_AMBIGUOUS = "several_contacts"


# -- email normalisation: Odoo's own rule --------------------------------------------------
# One rule on both sides of the match: GoCardless's customers and Odoo's contacts. It is the
# rule of Odoo's ``odoo.tools.mail.email_normalize`` / ``email_normalize_all``, reproduced here
# line for line so that this module imports nothing from Odoo (a test compares the two on a
# table of tricky inputs): the address is taken out of "Name <address>" forms; an ASCII local
# part is lower-cased, a non-ASCII one (SMTPUTF8) is kept as it is; the domain is lower-cased.
# So "Jörg@Example.com" is "Jörg@example.com", never "jörg@example.com".

# odoo.tools.mail.email_re
_EMAIL_RE = re.compile(r"""([a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\.[a-zA-Z]{2,63})""", re.VERBOSE)

if hasattr(email.utils, "supports_strict_parsing"):  # as odoo.tools.mail.getaddresses

    def _getaddresses(fieldvalues):
        return email.utils.getaddresses(fieldvalues, strict=False)

else:  # pragma: no cover - older Python versions
    _getaddresses = email.utils.getaddresses


def _split_tuples(text):
    """odoo.tools.mail.email_split_tuples: (name, address) pairs found in ``text``."""

    def parse_based_on_spaces(pair):
        name, address = pair
        if not name and address and " " in address:
            inside_pairs = _getaddresses([address.replace(" ", ",")])
            name_parts, found = [], False
            for inside in inside_pairs:
                if inside[1] and "@" not in inside[1]:
                    name_parts.append(inside[1])
                if inside[1] and "@" in inside[1]:
                    found = inside[1]
            name, address = (" ".join(name_parts), found) if found else (name, address)
        return name, address

    if not text:
        return []
    valid_pairs = [
        (addr[0], addr[1]) for addr in _getaddresses([text]) if addr[1] and "@" in addr[1]
    ]
    if any(pair[1].startswith("@") for pair in valid_pairs):
        filtered = [
            found for found in _EMAIL_RE.findall(text) if found and not found.startswith("@")
        ]
        if filtered:
            valid_pairs = [("", found) for found in filtered]
    return list(map(parse_based_on_spaces, valid_pairs))


def _normalize_one(address):
    """odoo.tools.mail._normalize_email: an ASCII local part is lower-cased, a non-ASCII one
    is kept as it is; the domain is lower-cased."""
    local_part, at, domain = address.rpartition("@")
    if local_part.isascii():
        local_part = local_part.lower()
    return local_part + at + domain.lower()


def odoo_email_normalize(text, strict=True):
    """Exactly ``odoo.tools.email_normalize(text, strict)``: False when no address (or, with
    ``strict``, more than one) is found."""
    addresses = [address for _name, address in _split_tuples(text)] if text else []
    if not addresses or (strict and len(addresses) != 1):
        return False
    return _normalize_one(addresses[0])


def odoo_email_normalize_all(text):
    """Exactly ``odoo.tools.email_normalize_all(text)``: every address found, normalised."""
    if not text:
        return []
    return list(filter(None, [_normalize_one(address) for _name, address in _split_tuples(text)]))


def _is_address(normalized):
    """Something before and after the "@": Odoo's parser also returns "@example.com"."""
    local_part, _at, domain = normalized.rpartition("@")
    return bool(local_part) and bool(domain)


def normalize_email(value):
    """One address (a GoCardless customer's email, an extra email, a lookup) normalised with
    Odoo's rule; None when it is empty, not a string, not one single address."""
    if not value or not isinstance(value, str):
        return None
    normalized = odoo_email_normalize(value, strict=True)
    return normalized if normalized and _is_address(normalized) else None


def normalize_emails(value):
    """Every address of a field that may hold several (a contact's main email), normalised
    with Odoo's rule, in order and without repeats."""
    if not value or not isinstance(value, str):
        return []
    return list(dict.fromkeys(a for a in odoo_email_normalize_all(value) if _is_address(a)))


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
    # a link made through one of the contact's extra emails (not its main email): shown in
    # the preview and the log, since anyone who edits contacts may add extra emails
    via_extra_email: bool = False


def plan_customer_sync(
    customers, email_index, linked, policy, archived_index=None, extra_index=None
):
    """Plan the sync of GoCardless customers.

    :param customers: GoCardless customer dicts (``id``, ``email``, ...), in API order
    :param email_index: {normalised email: set of active contact ids holding it}
    :param linked: {GoCardless customer ID: contact id} of existing integration records
    :param policy: POLICY_CREATE or POLICY_SKIP, for customers that match no contact
    :param archived_index: {normalised email: set of archived contact ids holding it}
    :param extra_index: {normalised email: set of contact ids holding it as an extra email
        only, not in their main email}
    :return: a list of :class:`Decision`, one per customer, in the same order
    """
    if policy not in (POLICY_CREATE, POLICY_SKIP):
        raise ValueError(f"unknown policy {policy!r}")
    archived_index = archived_index or {}
    extra_index = extra_index or {}
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
            via_extra = partner_id in extra_index.get(email, ())
            decisions.append(
                Decision(
                    gocardless_id,
                    LINK,
                    REASON_EXTRA_EMAIL if via_extra else REASON_EMAIL,
                    email,
                    partner_id,
                    via_extra_email=via_extra,
                )
            )
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

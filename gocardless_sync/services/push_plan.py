"""Which contacts the push leaves out, and why: a pure function, no Odoo, no I/O.

The push engine (``gocardless.customer.push``) reads what Odoo knows (links, users' and
companies' contacts, who holds which address, the GoCardless customers known from the
integration records and the last customer sync) and :func:`plan_blockers` decides, with the
same rules for the contact's button, the question after its first save and the list action.
Every rule is checked before any call to GoCardless. In this order:

- ``linked``: already linked to a customer of the account (archived links included);
- ``no_email``: no email address (GoCardless customers are matched by email);
- ``internal``: the contact of a user (an employee, not a customer) or of a company of the
  database;
- ``shared_email``: another active contact of the company (or a shared one) holds the address
  GoCardless would get, in its main or an extra email: the customer sync would find that
  address ambiguous, and pushing both would create two GoCardless customers with it;
- ``known_customer``: a GoCardless customer already has one of the contact's addresses (main
  or extra): pushing would duplicate it; link it instead.
"""

from collections import defaultdict
from dataclasses import dataclass

from .api import GoCardlessError

# blocker codes (stable; the Odoo layer words them)
LINKED = "linked"
NO_EMAIL = "no_email"
INTERNAL = "internal"
SHARED_EMAIL = "shared_email"
KNOWN_CUSTOMER = "known_customer"
NEVER = "never"  # not a blocker: marked "Do not synchronize", which the list action skips
# the order of the skipped counts in the list action's message
SKIP_CODES = (LINKED, NO_EMAIL, NEVER, INTERNAL, SHARED_EMAIL, KNOWN_CUSTOMER)
# GoCardless may have acted when these errors happened (the answer was lost): the outcome
# of a create is unknown until the next run, which the idempotency key makes safe
OUTCOME_UNKNOWN_KINDS = frozenset({GoCardlessError.KIND_TIMEOUT, GoCardlessError.KIND_NETWORK})


@dataclass(frozen=True)
class Contact:
    """A contact to push, as the plan sees it."""

    id: int
    main: str | None  # the normalised first address of its main email (None: no email)
    addresses: tuple = ()  # every normalised address of it, main first (for known_customer)


@dataclass(frozen=True)
class Blocker:
    """Why a contact is not created in GoCardless."""

    code: str  # one of the codes above
    address: str | None = None  # the normalised address concerned
    gocardless_id: str | None = None  # the known GoCardless customer
    other_ids: tuple = ()  # the other holders of the address, or the known customer's contact


def needs_lookup(contact, linked_ids):
    """Whether the blockers after ``no_email`` must be looked up for ``contact`` (the engine
    reads them only for those contacts)."""
    return contact.id not in linked_ids and bool(contact.main)


def plan_blockers(contacts, linked_ids, internal_ids=(), holders=None, known=None):
    """{contact id: Blocker} of the ``contacts`` that must not be created in GoCardless.

    :param linked_ids: ids of the contacts already linked to a customer of the account
    :param internal_ids: ids of the contacts of users and of companies of the database
    :param holders: {normalised address: ids of the active contacts holding it}
    :param known: {normalised address: (GoCardless customer ID, linked contact id or None)}
    """
    holders, known = holders or {}, known or {}
    blockers = {}
    for contact in contacts:
        if contact.id in linked_ids:
            blockers[contact.id] = Blocker(LINKED)
            continue
        if not contact.main:
            blockers[contact.id] = Blocker(NO_EMAIL)
            continue
        others = set(holders.get(contact.main, ())) - {contact.id}
        known_here = [address for address in contact.addresses if address in known]
        if contact.id in internal_ids:
            blockers[contact.id] = Blocker(INTERNAL)
        elif others:
            blockers[contact.id] = Blocker(
                SHARED_EMAIL, contact.main, other_ids=tuple(sorted(others))
            )
        elif known_here:
            gocardless_id, linked_partner_id = known[known_here[0]]
            blockers[contact.id] = Blocker(
                KNOWN_CUSTOMER,
                known_here[0],
                gocardless_id=gocardless_id,
                other_ids=(linked_partner_id,) if linked_partner_id else (),
            )
    return blockers


class PushResult:
    """What the list action did with each contact (the contacts are the caller's objects)."""

    def __init__(self):
        self.pushed = []  # contacts created in GoCardless and linked
        self.failed = []  # (contact, reason)
        self.unknown = []  # (contact, reason): GoCardless did not answer a create
        self.notices = []  # texts about values shortened or left out
        self.skipped = defaultdict(list)  # code of SKIP_CODES: [(contact, Blocker or None)]

    def counts(self):
        """(code, count) pairs of the result's message, in order: "pushed" always, then
        each skip code, "unknown" and "failed" that happened."""
        counts = [("pushed", len(self.pushed))]
        counts.extend((code, len(self.skipped[code])) for code in SKIP_CODES if self.skipped[code])
        counts.extend(
            (code, len(entries))
            for code, entries in (("unknown", self.unknown), ("failed", self.failed))
            if entries
        )
        return counts

    @property
    def problems(self):
        """Whether the user must read the result (a warning that stays)."""
        return bool(
            self.failed
            or self.unknown
            or self.notices
            or self.skipped[SHARED_EMAIL]
            or self.skipped[KNOWN_CUSTOMER]
        )

    def to_link(self):
        """The contacts to link rather than push: a GoCardless customer not linked to any
        contact has one of their addresses."""
        return [
            contact for contact, blocker in self.skipped[KNOWN_CUSTOMER] if not blocker.other_ids
        ]

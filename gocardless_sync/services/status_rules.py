"""The status rule of mandates and payments: what an event (or a status read from the API)
does to the status Odoo holds.

A pure function (no Odoo, no I/O) used by ``gocardless.mandate``, ``gocardless.payment``
and ``gocardless.refund`` alike; the tables it reads are ``services/const.py``'s, one per
kind. The rule:

1. An event already applied (same event ID) or older than the newest event applied
   (``last_event_at``, GoCardless's event time) changes nothing: events arrive late and out
   of order, and an old one must not undo a newer one.
2. A status Odoo does not know (one GoCardless added later, or none) cannot be ordered
   against a known one: it changes nothing (the caller keeps the raw value aside).
3. Otherwise the status moves forward only: to a higher rank (``*_STATUS_RANK``); to another
   status of the same rank only for mandates (active and suspended by the payer, both ways).
   The one way back is a revival (``*_REVIVAL_ACTIONS``): its event action moves the status
   back from the statuses listed for it (a payment's retry after a failure, a withdrawn
   charge-back; a mandate's reinstatement or resubmission). A status Odoo holds as unknown
   has no rank: any known status replaces it.
4. Every event that is not older nor applied already becomes the newest one seen, whether it
   changed the status or not (``Decision.record_event``), so that older ones coming after it
   are ignored.

Outcomes are stable codes; the models word them for users.
"""

from dataclasses import dataclass

from . import const

MANDATE = "mandate"
PAYMENT = "payment"
REFUND = "refund"

# outcomes
MOVED = "moved"  # the status moves forward
REVIVED = "revived"  # the status moves back through a revival action
UNCHANGED = "unchanged"  # the event brings the current status again, or no status at all
BACKWARDS = "backwards"  # it would move the status back: refused
OLDER = "older"  # older than the newest event applied: ignored
DUPLICATE = "duplicate"  # this very event was applied already: ignored
UNKNOWN = "unknown"  # a status Odoo does not know: cannot be ordered, ignored


@dataclass(frozen=True)
class Rules:
    """The tables of one kind."""

    event_status: dict  # {event action: the status it brings}
    rank: dict  # {known status: rank}
    revivals: dict  # {event action: frozenset of statuses it moves back from}
    same_rank_moves: bool  # may a status be replaced by another of the same rank?


RULES = {
    MANDATE: Rules(
        const.MANDATE_EVENT_STATUS,
        const.MANDATE_STATUS_RANK,
        const.MANDATE_REVIVAL_ACTIONS,
        same_rank_moves=True,
    ),
    PAYMENT: Rules(
        const.PAYMENT_EVENT_STATUS,
        const.PAYMENT_STATUS_RANK,
        const.PAYMENT_REVIVAL_ACTIONS,
        same_rank_moves=False,
    ),
    # a refund never comes back: no revival
    REFUND: Rules(
        const.REFUND_EVENT_STATUS,
        const.REFUND_STATUS_RANK,
        {},
        same_rank_moves=False,
    ),
}


@dataclass(frozen=True)
class Decision:
    outcome: str  # one of the outcome codes above
    status: str | None = None  # the status to write (MOVED, REVIVED), else None
    record_event: bool = False  # the event becomes the newest one seen (time and ID)

    @property
    def changes_status(self):
        return self.status is not None


def event_status(kind, action):
    """The status an event ``action`` brings to a resource of ``kind``, or None (the action
    leaves the status as it is): THE action -> status table of each kind."""
    return RULES[kind].event_status.get(action)


def is_known(kind, status):
    return status in RULES[kind].rank


def decide(
    kind,
    current,
    new_status,
    action=None,
    event_at=None,
    last_event_at=None,
    event_id=None,
    last_event_id=None,
):
    """What ``new_status`` does to a resource of ``kind`` whose status is ``current``.

    :param new_status: the status reported (by an event: ``event_status(kind, action)``, or by
        the API); None when the event brings none (its time is still recorded)
    :param action: the event's action (revivals), None for a status read from the API
    :param event_at: when the event happened (comparable with ``last_event_at``), or None
    :param event_id: the event's ID, compared with ``last_event_id`` (None: not compared)
    :return: a :class:`Decision`
    """
    rules = RULES[kind]
    if event_id and event_id == last_event_id:
        return Decision(DUPLICATE)
    if event_at and last_event_at and event_at < last_event_at:
        return Decision(OLDER)
    recorded = bool(event_at or event_id)
    if new_status is None:
        return Decision(UNCHANGED, record_event=recorded)
    if new_status not in rules.rank:
        return Decision(UNKNOWN)
    if new_status == current:
        return Decision(UNCHANGED, record_event=recorded)
    if current in rules.revivals.get(action, ()):
        return Decision(REVIVED, new_status, record_event=recorded)
    if current not in rules.rank:  # unknown: below every known status
        return Decision(MOVED, new_status, record_event=recorded)
    new_rank, current_rank = rules.rank[new_status], rules.rank[current]
    if new_rank > current_rank or (new_rank == current_rank and rules.same_rank_moves):
        return Decision(MOVED, new_status, record_event=recorded)
    return Decision(BACKWARDS, record_event=recorded)

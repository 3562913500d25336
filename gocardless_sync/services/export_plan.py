"""The balance export's plan: which open balances to collect, on which mandate and charge
date, and which to leave out, and why.

A pure function of plain values (no Odoo, no I/O), like ``matching.py`` for the customer
sync: ``gocardless.export`` reads balances, mandates and the lines still being collected in
a few batch queries, calls :func:`plan_export`, translates the reason codes and inserts the
lines. The rules the collection and the recording check again later (a mandate still
usable, the charge date, the balance still due) are the functions below, called with
values read from the records.

Rules:
- a balance belongs to a commercial entity and a currency; the mandates of the entity and of
  all its contacts count;
- skipped, checked in this order (``const.EXPORT_SKIP_REASONS``): nothing due or in credit
  (an entity without any open entry is listed with 0 in the company's currency); a currency
  GoCardless does not collect; less than the smallest amount GoCardless collects; no
  mandate; no usable mandate; no usable mandate in the balance's currency; already being
  collected by a line of an earlier export;
- the amount collected is the balance with the currency's ISO 4217 decimals, rounded DOWN
  (never more than is owed), with a note when it had more decimals;
- among usable mandates of the currency: the entity's own before a contact's, an active one
  before a pending one, then the newest;
- the chosen charge date (none: as soon as possible) moves to the mandate's next possible
  charge date when it is earlier, with a note.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_DOWN, Decimal

from . import const

# skip details (stable codes; the Odoo layer words them with their parameters)
DETAIL_NOTHING_DUE = "nothing_due"
DETAIL_IN_CREDIT = "in_credit"
DETAIL_CURRENCY_NOT_COLLECTED = "currency_not_collected"  # currency
DETAIL_BELOW_MINOR_UNIT = "below_minor_unit"  # currency, unit (the smallest amount)
DETAIL_NO_MANDATE = "no_mandate"
DETAIL_MANDATES_NOT_USABLE = "mandates_not_usable"  # mandates: [(ID, status, active)]
DETAIL_OTHER_CURRENCY = "other_currency"  # currency, collected: [(currency or None, scheme)]
DETAIL_PENDING = "pending"  # reference: the line collecting it already

# notes of a line (codes and parameters, in this order)
NOTE_ROUNDED = "rounded"  # balance, amount, currency
NOTE_DATE_MOVED = "date_moved"  # chosen, earliest
NOTE_DATE_PASSED = "date_passed"  # chosen, new (a date, or None: as soon as possible)


@dataclass(frozen=True)
class Mandate:
    """A mandate as the plan reads it."""

    id: int
    gocardless_id: str
    status: str
    active: bool  # False: removed from its contact in Odoo
    scheme: str
    partner_id: int  # the contact (or entity) it belongs to
    next_possible_charge_date: date | None = None
    created_at: datetime | None = None
    customer_id: int | None = None

    @property
    def usable(self):
        return is_usable(self.status, self.active)

    @property
    def currency(self):
        return scheme_currency(self.scheme)


@dataclass
class Line:
    partner_id: int
    currency_id: int
    currency: str  # ISO code
    amount: Decimal  # what GoCardless collects (ISO decimals)
    balance: Decimal  # the open balance (Odoo's decimals)
    mandate: Mandate
    charge_date: date | None
    notes: list = field(default_factory=list)  # [(NOTE_*, {parameters})]


@dataclass
class Skip:
    partner_id: int
    currency_id: int
    amount: Decimal
    reason: str  # a key of const.EXPORT_SKIP_REASONS
    detail: str  # DETAIL_*
    params: dict = field(default_factory=dict)


@dataclass
class Plan:
    lines: list  # [Line], by customer name then currency
    skips: list  # [Skip], in the order of the entities given, then currency


def is_usable(status, active):
    """Payments can be created on the mandate from Odoo: a usable status, not removed from its
    contact in Odoo (as ``const.USABLE_MANDATE_DOMAIN``)."""
    return bool(active) and status in const.USABLE_MANDATE_STATUSES


def scheme_currency(scheme):
    """The currency a direct-debit scheme collects in, or None."""
    return const.SCHEME_CURRENCY.get(scheme or "")


def smallest_amount(currency):
    """The smallest amount GoCardless collects in ``currency`` (an ISO code): 0.01 GBP."""
    return Decimal(1).scaleb(-const.CURRENCY_MINOR_UNITS[currency])


def collectable_amount(balance, currency):
    """``balance`` (a Decimal) with the ISO 4217 decimals of ``currency``, rounded DOWN
    (25.505 -> 25.50): never more than is owed. ValueError for a currency GoCardless does
    not collect."""
    if currency not in const.CURRENCY_MINOR_UNITS:
        raise ValueError(f"GoCardless does not collect {currency}")
    return Decimal(balance).quantize(smallest_amount(currency), rounding=ROUND_DOWN)


def pick_mandate(partner_id, mandates):
    """Among usable ``mandates``, the one to collect on: the entity's own (``partner_id``)
    before its contacts' ones, an active mandate before a pending one, then the newest."""
    return min(
        mandates,
        key=lambda mandate: (
            mandate.partner_id != partner_id,
            mandate.status != "active",
            -(mandate.created_at.timestamp() if mandate.created_at else 0),
            -mandate.id,
        ),
    )


def line_charge_date(chosen, earliest):
    """(charge date, moved) of a line at the export: the ``chosen`` date (None: as soon as
    possible), moved to the mandate's next possible charge date ``earliest`` when earlier."""
    if chosen and earliest and chosen < earliest:
        return earliest, True
    return chosen or None, False


def collect_charge_date(chosen, earliest, today):
    """(charge date to send, note code or None) when a line is collected through the API:
    GoCardless refuses a past date and one before the mandate's current next possible
    charge date. A date that has passed becomes as soon as possible (None), or ``earliest``
    when that is today or later; an earlier date than ``earliest`` moves to it."""
    if not chosen:
        return None, None
    if chosen < today:
        return (earliest if earliest and earliest >= today else None), NOTE_DATE_PASSED
    new_date, moved = line_charge_date(chosen, earliest)
    return new_date, NOTE_DATE_MOVED if moved else None


def rounding_note(balance, amount, currency):
    """The NOTE_ROUNDED note of a line whose ``balance`` had more decimals than the
    ``amount`` GoCardless collects, or None."""
    if balance is None or Decimal(amount) == Decimal(balance):
        return None
    return NOTE_ROUNDED, {"balance": balance, "amount": amount, "currency": currency}


def balance_shortfalls(lines, balances):
    """{key: balance now} of the ``lines`` whose customer's open balance is now below the
    line's amount (paid or credited since the export): collecting or recording the exported
    amount would take too much.

    :param lines: [(key, partner id, currency id, amount)]
    :param balances: {(partner id, currency id): Decimal} open balances now
    """
    shortfalls = {}
    for key, partner_id, currency_id, amount in lines:
        now = balances.get((partner_id, currency_id), Decimal(0))
        if now < amount:
            shortfalls[key] = now
    return shortfalls


def plan_export(
    partner_ids,
    balances,
    currencies,
    default_currency_id,
    mandates,
    pending=None,
    names=None,
    charge_date=None,
):
    """What to collect and what to leave out.

    :param partner_ids: the commercial entities exported, in order
    :param balances: {(partner id, currency id): Decimal} their open receivable balances
    :param currencies: {currency id: ISO code} of every currency in ``balances`` and the
        default one
    :param default_currency_id: the company's currency (an entity without open entries is
        listed with 0 in it)
    :param mandates: {entity id: [Mandate]}: every mandate of the entity and of its contacts
        (archived and unusable ones too)
    :param pending: {(partner id, currency id): reference} of lines of earlier exports still
        being collected
    :param names: {partner id: name}, for the order of the lines
    :param charge_date: the date chosen for the export, or None (as soon as possible)
    :return: a :class:`Plan`
    """
    pending = pending or {}
    names = names or {}
    per_partner = {}
    for (partner_id, currency_id), amount in balances.items():
        per_partner.setdefault(partner_id, []).append((currency_id, amount))
    lines, skips = [], []
    for partner_id in partner_ids:
        partner_balances = per_partner.get(partner_id) or [(default_currency_id, Decimal(0))]
        partner_mandates = mandates.get(partner_id, [])
        for currency_id, amount in sorted(partner_balances, key=lambda item: currencies[item[0]]):
            outcome = _plan_balance(
                partner_id,
                currency_id,
                currencies[currency_id],
                amount,
                partner_mandates,
                pending,
                charge_date,
            )
            (lines if isinstance(outcome, Line) else skips).append(outcome)
    lines.sort(key=lambda line: (names.get(line.partner_id, "").lower(), line.currency))
    return Plan(lines, skips)


def _plan_balance(partner_id, currency_id, code, amount, mandates, pending, charge_date):
    """The Line or Skip of one balance."""

    def skip(reason, detail, **params):
        return Skip(partner_id, currency_id, amount, reason, detail, params)

    if amount <= 0:
        return skip("nothing_due", DETAIL_NOTHING_DUE if not amount else DETAIL_IN_CREDIT)
    if code not in const.SUPPORTED_CURRENCIES:
        return skip("currency_not_supported", DETAIL_CURRENCY_NOT_COLLECTED, currency=code)
    collected = collectable_amount(amount, code)
    if collected <= 0:
        return skip(
            "nothing_due", DETAIL_BELOW_MINOR_UNIT, currency=code, unit=smallest_amount(code)
        )
    if not mandates:
        return skip("no_mandate", DETAIL_NO_MANDATE)
    usable = [mandate for mandate in mandates if mandate.usable]
    if not usable:
        states = [(mandate.gocardless_id, mandate.status, mandate.active) for mandate in mandates]
        return skip("mandate_not_usable", DETAIL_MANDATES_NOT_USABLE, mandates=states)
    matching = [mandate for mandate in usable if mandate.currency == code]
    if not matching:
        collected_in = sorted({(mandate.currency, mandate.scheme) for mandate in usable}, key=str)
        return skip(
            "currency_not_supported", DETAIL_OTHER_CURRENCY, currency=code, collected=collected_in
        )
    if (partner_id, currency_id) in pending:
        return skip("pending_export", DETAIL_PENDING, reference=pending[(partner_id, currency_id)])
    mandate = pick_mandate(partner_id, matching)
    date_, moved = line_charge_date(charge_date, mandate.next_possible_charge_date)
    notes = [note for note in (rounding_note(amount, collected, code),) if note]
    if moved:
        notes.append((NOTE_DATE_MOVED, {"chosen": charge_date, "earliest": date_}))
    return Line(partner_id, currency_id, code, collected, amount, mandate, date_, notes)

"""Small conversions between GoCardless JSON values and Odoo field values, and money."""

from datetime import date, datetime, timezone
from decimal import ROUND_HALF_UP, Decimal

from .services import const, export_plan


def parse_datetime(value):
    """GoCardless timestamp ("2014-01-01T12:00:00.000Z") -> naive UTC datetime, or False."""
    if not value:
        return False
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return False
    if parsed.tzinfo:
        parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
    return parsed.replace(microsecond=0)


def parse_date(value):
    """GoCardless date ("2014-10-27") -> date, or False."""
    if not value:
        return False
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        return False


def changed_vals(record, vals):
    """The subset of ``vals`` that differs from ``record`` (one record): {} = nothing to write.

    Many2one values are compared by id; empty values (False, None, "") are equal.
    """
    record.ensure_one()
    changes = {}
    for name, value in vals.items():
        current = record[name]
        if record._fields[name].type == "many2one":
            current = current.id
        if (current or False) != (value or False):
            changes[name] = value
    return changes


# -- money: Decimal in the code, integer minor units for the API -------------------------
# Two precisions meet here. Odoo's own, the currency's rounding (which an administrator can
# change), for what Odoo stores and sums: ``to_decimal``. GoCardless's, the ISO 4217 minor
# unit of ``const.CURRENCY_MINOR_UNITS``, for everything sent to or read from GoCardless (API
# amounts, the bulk-import files): ``minor_unit`` and the functions after it. Never float
# arithmetic on amounts, never Odoo's rounding at the API.


def _quantum(decimals):
    return Decimal(1).scaleb(-decimals)


def to_decimal(value, currency):
    """An amount (float from the ORM, Decimal, int or str) as a Decimal rounded like
    ``currency`` in Odoo (``res.currency``): 0.1 + 0.2 -> Decimal("0.30"), never
    0.30000000000000004.

    Floats go through ``currency.round`` (Odoo's half-up rounding with its float tolerance)
    and their shortest ``repr``, which is exact for every amount a currency can hold.
    """
    if isinstance(value, float):
        value = repr(currency.round(value))
    return Decimal(value or 0).quantize(_quantum(currency.decimal_places), rounding=ROUND_HALF_UP)


def minor_unit(currency):
    """The ISO 4217 minor unit (number of decimals) GoCardless uses for ``currency``, a
    ``res.currency`` or an ISO code (2 for GBP). ValueError for a currency GoCardless does
    not collect."""
    code = currency if isinstance(currency, str) else currency.name
    try:
        return const.CURRENCY_MINOR_UNITS[code]
    except KeyError:
        raise ValueError(f"GoCardless does not collect {code}") from None


def to_gocardless_amount(value, currency):
    """An Odoo amount as GoCardless can collect it: a Decimal with the currency's ISO
    decimals. An amount with more decimals (Odoo's rounding set finer than the ISO unit) is
    rounded DOWN, toward zero (25.505 -> 25.50), so that never more than a balance is
    collected; it is never scaled."""
    return export_plan.collectable_amount(to_decimal(value, currency), currency.name)


def to_minor_units(amount, currency):
    """Major units -> integer minor units for the API (10.50 GBP -> 1050), with the ISO
    decimals of ``currency`` whatever its rounding in Odoo. ValueError when the amount has
    more decimals than that unit: round it first (``to_gocardless_amount``), visibly."""
    decimals = minor_unit(currency)
    exact = to_decimal(amount, currency)
    if exact != exact.quantize(_quantum(decimals)):
        raise ValueError(f"{exact} {currency.name} has more than {decimals} decimals")
    return int(exact.scaleb(decimals))


def from_minor_units(value, currency):
    """Minor units from the API (an int, or a string such as "1050" or "1050.0") -> Decimal
    major units with the ISO decimals of ``currency`` (1050 GBP -> Decimal("10.50"))."""
    decimals = minor_unit(currency)
    units = Decimal(str(value if value is not None else 0))
    if units != units.to_integral_value():
        raise ValueError(f"{value!r} is not a whole number of minor units")
    return units.scaleb(-decimals).quantize(_quantum(decimals))


def format_amount(amount, currency):
    """An amount as GoCardless reads it in files and messages: plain major units with the
    currency's ISO decimals, no grouping: "1234567.89"."""
    return f"{to_gocardless_amount(amount, currency):f}"

"""Small conversions between GoCardless JSON values and Odoo field values."""

from datetime import date, datetime, timezone
from decimal import ROUND_HALF_UP, Decimal


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


def _quantum(currency):
    return Decimal(1).scaleb(-currency.decimal_places)


def to_decimal(value, currency):
    """An amount (float from the ORM, Decimal, int or str) as a Decimal rounded like
    ``currency`` (``res.currency``): 0.1 + 0.2 -> Decimal("0.30"), never 0.30000000000000004.

    Floats go through ``currency.round`` (Odoo's half-up rounding with its float tolerance)
    and their shortest ``repr``, which is exact for every amount a currency can hold.
    """
    if isinstance(value, float):
        value = repr(currency.round(value))
    return Decimal(value or 0).quantize(_quantum(currency), rounding=ROUND_HALF_UP)


def to_minor_units(amount, currency):
    """Decimal major units -> integer minor units for the API (10.50 GBP -> 1050)."""
    return int(to_decimal(amount, currency).scaleb(currency.decimal_places))


def from_minor_units(value, currency):
    """Integer minor units from the API -> Decimal major units (1050 -> Decimal("10.50"))."""
    return to_decimal(Decimal(int(value)).scaleb(-currency.decimal_places), currency)


def format_amount(amount, currency):
    """Plain major units with the currency's decimals, no grouping: "1234567.89"."""
    return f"{to_decimal(amount, currency):f}"

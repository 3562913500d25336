"""Small conversions between GoCardless JSON values and Odoo field values."""

from datetime import date, datetime, timezone


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

"""Bulk INSERT for the addon's own tables, where the ORM's create is too slow.

10,000 sync log lines or export lines take seconds with ``create``; one
``INSERT ... SELECT ... FROM unnest(...)`` takes a fraction of that. The values are complete
and consistent by construction (the callers build them), and the SQL constraints of the table
still apply.
"""

from odoo import fields
from odoo.tools import SQL


def insert_rows(env, model_name, constants, columns, returning=()):
    """Insert rows into ``model_name``'s table with ONE statement; return the ``returning``
    columns of the new rows (a list of tuples), or [] when nothing is inserted.

    :param constants: {column: value} the same for every row.
    :param columns: {column: (SQL type, [value per row])}, every list as long.
    :param returning: column names to return, e.g. ("id", "sequence").

    ``create_uid``/``write_uid`` (the current user) and ``create_date``/``write_date`` (now)
    are set; the model's cache is invalidated.
    """
    Model = env[model_name]
    if not columns or not len(next(iter(columns.values()))[1]):
        return []
    now = fields.Datetime.now()
    fixed = dict(constants, create_uid=env.uid, write_uid=env.uid, create_date=now, write_date=now)
    names = list(fixed) + list(columns)
    query = SQL(
        "INSERT INTO %(table)s (%(columns)s)"
        " SELECT %(constants)s, u.* FROM unnest(%(arrays)s) AS u",
        table=SQL.identifier(Model._table),
        columns=SQL(", ").join(SQL.identifier(name) for name in names),
        constants=SQL(", ").join(SQL("%s", value) for value in fixed.values()),
        arrays=SQL(", ").join(
            SQL(f"%s::{sql_type}[]", values) for sql_type, values in columns.values()
        ),
    )
    if returning:
        query = SQL(
            "%s RETURNING %s", query, SQL(", ").join(SQL.identifier(name) for name in returning)
        )
    env.cr.execute(query)
    rows = env.cr.fetchall() if returning else []
    Model.invalidate_model()
    return rows

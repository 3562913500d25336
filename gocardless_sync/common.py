"""Pieces every part of the addon shares, written once: the Manager check, the user
notification, the PostgreSQL advisory locks and the database tag.

They need an Odoo environment but no model of their own, so they are plain functions taking
``env`` (or returning an action dict), called from the models and wizards.
"""

import hashlib

from odoo import _
from odoo.exceptions import AccessError, UserError

from .services import const


def is_manager(env):
    """True for a GoCardless Manager (Accounting administrators are Managers) or superuser."""
    return env.su or env.user.has_group(const.GROUP_MANAGER)


def check_manager(env, can):
    """Refuse an action to anyone but a GoCardless Manager. ``can`` completes "Only GoCardless
    Managers can ..." (translated, e.g. ``_("sync customers")``); the message then says what to
    ask for."""
    if not is_manager(env):
        raise AccessError(
            _(
                "Only GoCardless Managers can %(can)s. Ask an administrator for the GoCardless "
                "Manager right.",
                can=can,
            )
        )


def notification(title, message, kind="info", sticky=False, next_action=None):
    """The client action of an Odoo notification (toast), followed by ``next_action``
    (default: reload the current view; pass {"type": "ir.actions.act_window_close"} to close
    a dialog, or any action dict; False: nothing follows, the screen stays as it is)."""
    params = {"type": kind, "title": title, "message": message, "sticky": sticky}
    if next_action is not False:
        params["next"] = next_action or {"type": "ir.actions.client", "tag": "soft_reload"}
    return {"type": "ir.actions.client", "tag": "display_notification", "params": params}


def try_lock(env, lock_class, key):
    """Take the transaction-level PostgreSQL advisory lock (``lock_class``, ``key``) without
    waiting; True when taken. Released when the transaction ends, whatever happens, and held
    across every Odoo server sharing the database. Lock classes are ``const.LOCK_*``."""
    env.cr.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [lock_class, key])
    return env.cr.fetchone()[0]


def lock_or_raise(env, lock_class, key, message):
    """:func:`try_lock`, raising ``UserError(message)`` when someone else holds the lock."""
    if not try_lock(env, lock_class, key):
        raise UserError(message)


def wait_lock(env, lock_class, key):
    """Take the transaction-level advisory lock (``lock_class``, ``key``), waiting for its
    holder's transaction to end."""
    env.cr.execute("SELECT pg_advisory_xact_lock(%s, %s)", [lock_class, key])


def database_digest(env, purpose):
    """The SHA-256 (lowercase hex) of this database's ``database.uuid`` and ``purpose``.

    A database duplicated by Odoo gets a new uuid: two databases connected to one GoCardless
    account (production and a copy) never share references or idempotency keys.
    ``database.uuid`` is readable by system administrators only; only its hash leaves here."""
    params_sudo = env["ir.config_parameter"].sudo()
    seed = f"{params_sudo.get_param('database.uuid')}:{purpose}"
    return hashlib.sha256(seed.encode()).hexdigest()


def database_tag(env, purpose):
    """Six upper-case hexadecimal characters proper to this database and ``purpose``: the end
    of every export line reference (``GCX00001-0001-3FA2C1``)."""
    return database_digest(env, purpose)[:6].upper()


def idempotency_key(env, purpose):
    """The Idempotency-Key of one creation in GoCardless: the same for every attempt (double
    click, retry after a lost answer, replayed batch), different per ``purpose`` (say
    ``customers:res.partner:42``) and per database, and no longer than the client's own keys."""
    digest = database_digest(env, purpose)
    return (const.IDEMPOTENCY_KEY_PREFIX + digest)[: const.IDEMPOTENCY_KEY_MAX_LENGTH]

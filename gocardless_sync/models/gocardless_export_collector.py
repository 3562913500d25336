"""Collecting a balance export through the GoCardless API, and refreshing it from GoCardless.

An engine (no data of its own) working on one batch (``gocardless.export``) at a time, under
the batch's lock; one line's collection is ``gocardless.export.line._gocardless_collect``.
"""

import logging
import time
from datetime import timedelta

from odoo import _, api, models

from ..common import check_manager
from ..notes import log_note
from ..services import const
from ..services.api import GoCardlessError
from ..tools import format_amount as plain_amount
from ..tools import to_gocardless_amount
from .gocardless_export import MANAGER_CAN

_logger = logging.getLogger(__name__)

# GoCardless payments are looked up from this long before the export (clock differences).
REFRESH_MARGIN = timedelta(days=1)
# Up to this many mandates, the payments list is read per mandate rather than by date.
REFRESH_PER_MANDATE_MAX = 20
# A collection run creates at most this many GoCardless payments, and starts no new one after
# COLLECT_TIME_BUDGET seconds: a web request has a time limit (limit_time_real, 120 s by
# default) and one create may take seconds with the adapter's retries. The next run goes on
# where it stopped.
COLLECT_MAX_PER_RUN = 100
COLLECT_TIME_BUDGET = 60


class GoCardlessExportCollector(models.AbstractModel):
    _name = "gocardless.export.collector"
    _description = "GoCardless Balance Export Collection"

    # -- Collect through GoCardless ------------------------------------------------------
    @api.model
    def _gocardless_collect(self, batch):
        """ "Collect through GoCardless": create the GoCardless payment of every line of
        ``batch`` that has none, through the API, with the line's reference as idempotency
        key and as metadata ``odoo_ref``.

        Earlier attempts are matched first (payments list, by ``odoo_ref``). Each line is
        created in its own savepoint and its GoCardless payment stored at once. A line that
        cannot be collected (mandate no longer usable, balance paid or credited since the
        export and not recorded, or refused by GoCardless: validation, mandate state, not
        found) is marked and the run goes on; a fault of the account or of GoCardless itself
        (token, permissions, rate limit, unavailable, timeout, network) stops the run: the
        lines already collected stay recorded and a re-run creates nothing twice (same
        idempotency keys). Nothing is raised then, so that the progress is kept. A run
        creates at most ``COLLECT_MAX_PER_RUN`` payments and starts none after
        ``COLLECT_TIME_BUDGET`` seconds.
        """
        batch.ensure_one()
        check_manager(self.env, MANAGER_CAN)
        batch._gocardless_lock()
        account = batch.account_id
        api = account._gocardless_api()
        try:
            self._gocardless_refresh(batch, api)
        except GoCardlessError as error:
            raise account._gocardless_user_error(error) from error
        lines = batch.line_ids.filtered(
            lambda line: not (line.gocardless_payment_ids or line.excluded)
        ).sorted("sequence")
        if not lines:
            return batch._gocardless_notify(
                _("Nothing to collect: every line already has its GoCardless payment."), "info"
            )
        # a balance recorded as paid in Odoo is collected as recorded; the others must
        # still be due
        problems = lines.filtered(lambda line: not line.payment_id)._gocardless_balance_problems()
        collected, refused, stopped = self.env["gocardless.export.line"], [], None
        started = time.monotonic()
        remaining = lines
        for index, line in enumerate(lines):
            if len(collected) >= COLLECT_MAX_PER_RUN or (
                time.monotonic() - started > COLLECT_TIME_BUDGET
            ):
                remaining = lines[index:]
                break
            remaining = lines[index + 1 :]
            if line in problems:
                line.collect_error = problems[line]
                refused.append(line)
                continue
            problem = line._gocardless_collect(api)
            if problem is None:
                collected |= line
            elif isinstance(problem, GoCardlessError):
                stopped = (line, problem)
                remaining = lines[index:]
                break
            else:
                refused.append(line)
        return self._gocardless_collect_report(batch, collected, refused, stopped, remaining)

    @api.model
    def _gocardless_collect_report(self, batch, collected, refused, stopped, remaining):
        """The end of a collection run: one message, noted on the batch (a note that cannot
        fail: the payments GoCardless created must stay recorded) and shown to the user."""
        count = len(collected)
        if count == 1:
            parts = [_("1 GoCardless payment created.")]
        else:
            parts = [_("%(count)s GoCardless payments created.", count=count)]
        if refused:
            parts.append(
                _(
                    "Refused by GoCardless or not collectable (see the lines): %(references)s.",
                    references=", ".join(line.reference for line in refused),
                )
            )
        kind = "success" if not (refused or stopped or remaining) else "warning"
        if stopped:
            parts.append(self._gocardless_stop_text(batch, *stopped))
            kind = "danger"
        elif remaining:
            if len(remaining) == 1:
                parts.append(_("1 line remains: run Collect again to go on."))
            else:
                parts.append(
                    _(
                        "%(count)s lines remain: run Collect again to go on.",
                        count=len(remaining),
                    )
                )
        message = " ".join(parts)
        log_note(batch, message)
        return batch._gocardless_notify(message, kind, sticky=kind != "success")

    @api.model
    def _gocardless_stop_text(self, batch, line, error):
        """Why a collection run stopped at ``line``. Never "nothing was changed": payments
        may have been created before. When the answer to the create itself was lost (timeout,
        dropped connection, GoCardless failing), whether GoCardless created that payment is
        unknown; the next run finds it by its reference (idempotency key, metadata odoo_ref)
        or creates it, never twice."""
        if error.kind in (
            GoCardlessError.KIND_TIMEOUT,
            GoCardlessError.KIND_NETWORK,
            GoCardlessError.KIND_UNAVAILABLE,
        ):
            if error.kind == GoCardlessError.KIND_TIMEOUT:
                problem = _("no answer in time")
            elif error.kind == GoCardlessError.KIND_NETWORK:
                problem = _("the connection was refused or dropped")
            else:
                problem = _("GoCardless is unavailable: %(detail)s", detail=error.summary)
            return _(
                "Stopped at %(reference)s: GoCardless did not answer (%(problem)s), so whether "
                "it created this payment is unknown. The payments created before are "
                "recorded. Run Collect again: it finds this payment by its reference if "
                "GoCardless created it and goes on with the others (nothing is created twice).",
                reference=line.reference,
                problem=problem,
            )
        if error.kind == GoCardlessError.KIND_RATE_LIMIT:
            seconds = int(error.retry_after) + 1 if error.retry_after is not None else 60
            reason = _(
                "GoCardless's rate limit is reached; wait %(seconds)s seconds.", seconds=seconds
            )
        else:
            reason = batch.account_id._gocardless_error_message(error)
        return _(
            "Stopped at %(reference)s: %(error)s The payments created so far are recorded; run "
            "Collect again to finish (nothing is created twice).",
            reference=line.reference,
            error=reason,
        )

    # -- refresh from GoCardless ---------------------------------------------------------
    @api.model
    def _gocardless_refresh(self, batch, api):
        """Read the batch's payments from GoCardless and store them; return them.

        Lists the payments created since the export (per mandate when few mandates are
        concerned, else by creation date; every page) and keeps those whose metadata
        ``odoo_ref`` is a reference of the batch, or that are known already.
        """
        batch.ensure_one()
        lines = batch.line_ids
        if not lines:
            return self.env["gocardless.payment"]
        batch._gocardless_lock()  # it writes the payments, as a collection or an event would
        by_ref = {line.reference: line for line in lines if not line.excluded}
        excluded_refs = set(lines.filtered("excluded").mapped("reference"))
        known = set(lines.gocardless_payment_ids.mapped("gocardless_id"))
        since = (batch.exported_at - REFRESH_MARGIN).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        mandate_ids = sorted(set(lines.mandate_id.mapped("gocardless_id")))
        if len(mandate_ids) <= REFRESH_PER_MANDATE_MAX:
            queries = [{"created_at[gte]": since, "mandate": mandate} for mandate in mandate_ids]
        else:
            queries = [{"created_at[gte]": since}]
        wanted, unwanted = [], []
        for params in queries:
            for data in api.list_all("payments", params):
                ref = (data.get("metadata") or {}).get(const.BULK_IMPORT_METADATA_KEY)
                if ref in by_ref or data["id"] in known:
                    wanted.append(data)
                elif (
                    ref in excluded_refs and data.get("status") not in const.PAYMENT_FAILED_STATUSES
                ):
                    unwanted.append(f"{data['id']} ({ref})")
        if unwanted:
            log_note(
                batch,
                _(
                    "GoCardless collects payments for lines excluded from this batch: "
                    "%(payments)s. Cancel them in the GoCardless dashboard, or their balances "
                    "may be collected twice.",
                    payments=", ".join(unwanted),
                ),
            )
        wanted.sort(key=lambda data: (data.get("created_at") or "", data["id"]))  # oldest first
        Payment = self.env["gocardless.payment"]
        created, updated = Payment._gocardless_store(batch.account_id, wanted, by_ref)
        self._gocardless_note_mismatches(batch, created)
        return created | updated

    @api.model
    def _gocardless_note_mismatches(self, batch, payments):
        """Say on the batch when a GoCardless payment differs from its line (an edited file):
        Odoo records what GoCardless collects."""
        problems = []
        for payment in payments.filtered("export_line_id"):
            line = payment.export_line_id
            if payment.currency_id != line.currency_id or to_gocardless_amount(
                payment.amount, payment.currency_id
            ) != to_gocardless_amount(line.amount, line.currency_id):
                problems.append(
                    _(
                        "%(reference)s: GoCardless collects %(collected)s %(collected_currency)s"
                        " instead of %(amount)s %(currency)s.",
                        reference=line.reference,
                        collected=plain_amount(payment.amount, payment.currency_id),
                        collected_currency=payment.currency_id.name,
                        amount=plain_amount(line.amount, line.currency_id),
                        currency=line.currency_id.name,
                    )
                )
            if payment.mandate_gocardless_id != line.mandate_id.gocardless_id:
                problems.append(
                    _(
                        "%(reference)s: GoCardless collects on mandate %(mandate)s instead of "
                        "%(exported)s.",
                        reference=line.reference,
                        mandate=payment.mandate_gocardless_id or "-",
                        exported=line.mandate_id.gocardless_id,
                    )
                )
        if problems:
            log_note(
                batch,
                _(
                    "GoCardless payments that differ from the export (Odoo records what "
                    "GoCardless collects): %(problems)s",
                    problems=" ".join(problems),
                ),
            )
        return problems

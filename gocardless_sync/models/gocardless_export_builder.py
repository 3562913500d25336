"""The balance export engine: read in batch, plan with services/export_plan.py, create the
batch.

1. the selected contacts' commercial entities, their open receivable balances (ONE grouped
   read whatever their number), their mandates with their customers, and the lines of
   earlier batches still being collected: one query each, record rules applied, plain
   values out (``export_plan.Mandate``, Decimal balances);
2. the pure plan (``export_plan.plan_export``): lines to collect and balances skipped, with
   reason codes that the line and skip models word (``_gocardless_note_text``,
   ``_gocardless_detail_text``);
3. the batch, its lines and its skipped balances (one INSERT each), then its CSV file from
   the same plain values. Nothing at all when no balance can be collected.
"""

import logging
from collections import defaultdict

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..common import check_manager, database_tag, notification
from ..services import const, export_files, export_plan
from ..sql import insert_rows
from ..tools import to_decimal
from .gocardless_export import MANAGER_CAN, REFERENCE_TAG_PURPOSE

_logger = logging.getLogger(__name__)


class GoCardlessExportBuilder(models.AbstractModel):
    _name = "gocardless.export.builder"
    _description = "GoCardless Balance Export Engine"

    # -- entry points --------------------------------------------------------------------
    @api.model
    def _gocardless_export_action(self, account, partners, charge_date=None):
        """Export the balances of ``partners`` for ``account`` and say what came out: a toast
        with the numbers of lines and of skipped balances, which then opens the batch; or,
        when nothing can be collected, no batch at all and a toast that says why (each reason
        with its count)."""
        batch, plan = self._gocardless_export(account, partners, charge_date)
        left_out = self._gocardless_skip_summary(plan.skips)
        if not batch:
            message = _(
                "Nothing to collect, so no batch was created. Balances left out: %(reasons)s.",
                reasons=left_out,
            )
            return notification(
                _("Balance export"), message, "warning", sticky=True, next_action=False
            )
        count = len(plan.lines)
        lines = (
            _("1 line to collect") if count == 1 else _("%(count)s lines to collect", count=count)
        )
        skipped = len(plan.skips)
        if not skipped:
            message = _("%(batch)s created: %(lines)s.", batch=batch.name, lines=lines)
        else:
            message = _(
                "%(batch)s created: %(lines)s; %(skipped)s (%(reasons)s).",
                batch=batch.name,
                lines=lines,
                skipped=(
                    _("1 balance skipped")
                    if skipped == 1
                    else _("%(count)s balances skipped", count=skipped)
                ),
                reasons=left_out,
            )
        opened = batch._get_records_action(name=batch.name, context={})
        return notification(batch.name, message, "success", next_action=opened)

    @api.model
    def _gocardless_skip_summary(self, skips):
        """'No mandate (2), Nothing due or in credit (1)': the reasons of planned skips with
        their counts, in the order of const.EXPORT_SKIP_REASONS."""
        labels = dict(
            self.env["gocardless.export.skip"]._fields["reason"]._description_selection(self.env)
        )
        counts = defaultdict(int)
        for skip in skips:
            counts[skip.reason] += 1
        return ", ".join(
            _("%(reason)s (%(count)s)", reason=labels[reason], count=counts[reason])
            for reason in labels
            if counts[reason]
        )

    @api.model
    def _gocardless_export(self, account, partners, charge_date=None):
        """Export the balances of ``partners`` (any contacts: their commercial entities are
        exported) for ``account``; return ``(batch, plan)`` (an ``export_plan.Plan``). When
        no balance can be collected, no batch is created: ``batch`` is empty and the plan's
        skipped balances say why.

        The number of queries does not depend on the number of partners: one grouped read of
        the balances, one read each for the selection, the mandates, their contacts, the
        customers and the lines still being collected (record rules applied), one INSERT for
        all the lines and one for the skipped balances, then the CSV file. The XLSX file is
        built on its first download.
        """
        account.ensure_one()
        Export = self.env["gocardless.export"]
        check_manager(self.env, MANAGER_CAN)
        Export._check_invoicing(_("Exporting balances"))
        commercial_ids = self._gocardless_commercial_ids(partners)
        if not commercial_ids:
            raise UserError(_("Select at least one contact to export its balance."))
        charge_date = fields.Date.to_date(charge_date) if charge_date else None
        Export._check_charge_date(charge_date, fields.Date.context_today(self))
        plan, customers = self._gocardless_plan(account, commercial_ids, charge_date)
        if not plan.lines:
            _logger.info("GoCardless export: nothing to collect, %s skipped", len(plan.skips))
            return Export, plan
        batch = Export.create({"account_id": account.id, "charge_date": charge_date})
        description = _("Account balance")
        tag = database_tag(self.env, REFERENCE_TAG_PURPOSE)
        references = [f"{batch.name}-{n:04d}-{tag}" for n in range(1, len(plan.lines) + 1)]
        Line, Skip = self.env["gocardless.export.line"], self.env["gocardless.export.skip"]
        batch.flush_recordset()
        common = {"export_id": batch.id, "company_id": account.company_id.id}
        insert_rows(
            self.env,
            "gocardless.export.line",
            common,
            {
                "sequence": ("int4", list(range(1, len(plan.lines) + 1))),
                "reference": ("varchar", references),
                "partner_id": ("int4", [line.partner_id for line in plan.lines]),
                "mandate_id": ("int4", [line.mandate.id for line in plan.lines]),
                "currency_id": ("int4", [line.currency_id for line in plan.lines]),
                "amount": ("numeric", [line.amount for line in plan.lines]),
                "balance": ("numeric", [line.balance for line in plan.lines]),
                "charge_date": ("date", [line.charge_date for line in plan.lines]),
                "description": ("varchar", [f"{description} {ref}" for ref in references]),
                "note": (
                    "varchar",
                    [Line._gocardless_note_text(line.notes) or None for line in plan.lines],
                ),
            },
        )
        insert_rows(
            self.env,
            "gocardless.export.skip",
            common,
            {
                "partner_id": ("int4", [skip.partner_id for skip in plan.skips]),
                "currency_id": ("int4", [skip.currency_id for skip in plan.skips]),
                "amount": ("numeric", [skip.amount for skip in plan.skips]),
                "reason": ("varchar", [skip.reason for skip in plan.skips]),
                "detail": ("varchar", [Skip._gocardless_detail_text(skip) for skip in plan.skips]),
            },
        )
        batch.invalidate_recordset()
        rows = [
            export_files.file_row(
                line.mandate.gocardless_id,
                customers[line.mandate.customer_id],
                line.amount,
                line.currency,
                f"{description} {reference}",
                line.charge_date,
                reference,
            )
            for line, reference in zip(plan.lines, references, strict=True)
        ]
        batch._gocardless_store_files(rows)
        _logger.info(
            "GoCardless export %s: %s lines, %s skipped",
            batch.name,
            len(plan.lines),
            len(plan.skips),
        )
        return batch, plan

    # -- batch reads: the plan's plain inputs --------------------------------------------
    @api.model
    def _gocardless_rows(self, model, domain, field_names):
        """[{field: value}] of the records of ``model`` matching ``domain``, stored fields
        only, raw values (ids for many2one), in ONE query with access rules applied."""
        query = model._search(domain)
        return self.env.execute_query_dict(
            query.select(
                *(
                    SQL(
                        "%s AS %s",
                        model._field_to_sql(query.table, name, query),
                        SQL.identifier(name),
                    )
                    for name in field_names
                )
            )
        )

    @api.model
    def _gocardless_commercial_ids(self, partners):
        """The commercial entities of ``partners``, in one query."""
        if not partners:
            return []
        rows = self._gocardless_rows(
            self.env["res.partner"].with_context(active_test=False),
            [("id", "in", partners.ids)],
            ["commercial_partner_id"],
        )
        return sorted({row["commercial_partner_id"] for row in rows})

    @api.model
    def _gocardless_balances(self, company, commercial_ids):
        """{(commercial partner id, currency id): Decimal} open receivable balances, and
        {currency id: res.currency} of those currencies.

        One grouped read: posted, unreconciled lines of receivable accounts of ``company``,
        ``amount_residual_currency`` (the line's own currency) summed per commercial entity
        and currency.
        """
        groups = self.env["account.move.line"]._read_group(
            [
                ("company_id", "=", company.id),
                ("parent_state", "=", "posted"),
                ("account_type", "=", "asset_receivable"),
                ("reconciled", "=", False),
                ("gocardless_commercial_partner_id", "in", commercial_ids),
            ],
            ["gocardless_commercial_partner_id", "currency_id"],
            ["amount_residual_currency:sum"],
        )
        balances = {
            (partner.id, currency.id): to_decimal(total or 0.0, currency)
            for partner, currency, total in groups
        }
        return balances, {currency.id: currency for _partner, currency, _total in groups}

    @api.model
    def _gocardless_mandates(self, account, commercial_ids):
        """({commercial partner id: [export_plan.Mandate]}, {contact id: name},
        {customer id: customer row}): every mandate (archived and unusable ones too) of the
        entities and of their contacts, with its customer; three queries."""
        mandates = self._gocardless_rows(
            self.env["gocardless.mandate"].with_context(active_test=False),
            [
                ("account_id", "=", account.id),
                ("partner_id.commercial_partner_id", "in", commercial_ids),
            ],
            [
                "id",
                "gocardless_id",
                "status",
                "active",
                "scheme",
                "next_possible_charge_date",
                "gocardless_created_at",
                "partner_id",
                "customer_id",
            ],
        )
        contacts = self._gocardless_rows(
            self.env["res.partner"].with_context(active_test=False),
            [("id", "in", list({row["partner_id"] for row in mandates} | set(commercial_ids)))],
            ["id", "name", "commercial_partner_id"],
        )
        commercial_of = {row["id"]: row["commercial_partner_id"] for row in contacts}
        names = {row["id"]: row["name"] or "" for row in contacts}
        customers = {
            row["id"]: row
            for row in self._gocardless_rows(
                self.env["gocardless.customer"].with_context(active_test=False),
                [("id", "in", list({row["customer_id"] for row in mandates}))],
                ["id", "gocardless_id", "given_name", "family_name", "company_name", "email"],
            )
        }
        by_partner = defaultdict(list)
        for row in mandates:
            by_partner[commercial_of[row["partner_id"]]].append(
                export_plan.Mandate(
                    id=row["id"],
                    gocardless_id=row["gocardless_id"],
                    status=row["status"],
                    active=row["active"],
                    scheme=row["scheme"] or "",
                    partner_id=row["partner_id"],
                    next_possible_charge_date=row["next_possible_charge_date"],
                    created_at=row["gocardless_created_at"],
                    customer_id=row["customer_id"],
                )
            )
        return by_partner, names, customers

    @api.model
    def _gocardless_pending(self, company, commercial_ids):
        """{(partner id, currency id): reference} of lines of earlier batches still being
        collected: not recorded as an Odoo payment, and not failed in GoCardless."""
        rows = self._gocardless_rows(
            self.env["gocardless.export.line"],
            [
                ("company_id", "=", company.id),
                ("partner_id", "in", commercial_ids),
                ("payment_id", "=", False),
                ("excluded", "=", False),
                "|",
                ("gocardless_payment_ids", "=", False),
                (
                    "gocardless_payment_ids.status",
                    "not in",
                    list(const.PAYMENT_FAILED_STATUSES),
                ),
            ],
            ["partner_id", "currency_id", "reference"],
        )
        return {(row["partner_id"], row["currency_id"]): row["reference"] for row in rows}

    @api.model
    def _gocardless_plan(self, account, commercial_ids, charge_date):
        """(``export_plan.Plan``, {customer id: customer row}): the plain inputs read in
        batch, then the pure plan (services/export_plan.py)."""
        company = account.company_id
        balances, currencies = self._gocardless_balances(company, commercial_ids)
        currencies[company.currency_id.id] = company.currency_id
        mandates, names, customers = self._gocardless_mandates(account, commercial_ids)
        plan = export_plan.plan_export(
            commercial_ids,
            balances,
            {currency_id: currency.name for currency_id, currency in currencies.items()},
            company.currency_id.id,
            mandates,
            pending=self._gocardless_pending(company, commercial_ids),
            names=names,
            charge_date=charge_date,
        )
        return plan, customers

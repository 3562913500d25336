from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..notes import log_note
from ..services import const
from ..tools import to_gocardless_amount


class GoCardlessExportLine(models.Model):
    """One balance to collect: a customer's open receivable balance in one currency, on
    one mandate. Its reference identifies it everywhere (file, API idempotency key, payment
    metadata ``odoo_ref``); it is recorded by at most one Odoo payment and collected by at
    most one GoCardless payment."""

    _name = "gocardless.export.line"
    _description = "GoCardless Export Line"
    _order = "export_id desc, sequence, id"
    _rec_name = "reference"
    _check_company_auto = True

    export_id = fields.Many2one(
        "gocardless.export", required=True, ondelete="cascade", index=True, readonly=True
    )
    company_id = fields.Many2one(
        related="export_id.company_id", store=True, index=True, precompute=True
    )
    sequence = fields.Integer(readonly=True)
    reference = fields.Char(
        required=True,
        readonly=True,
        copy=False,
        help="Unique reference of the line: the GoCardless idempotency key and the payment's "
        "metadata odoo_ref.",
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        readonly=True,
        index=True,
        check_company=True,
        help="The commercial entity whose receivable balance is collected.",
    )
    mandate_id = fields.Many2one(
        "gocardless.mandate",
        required=True,
        readonly=True,
        index=True,
        ondelete="restrict",
        check_company=True,
        context={"active_test": False},
    )
    mandate_gocardless_id = fields.Char(related="mandate_id.gocardless_id", string="Mandate ID")
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    amount = fields.Monetary(
        currency_field="currency_id",
        readonly=True,
        help="What GoCardless collects: the open balance with the currency's ISO 4217 "
        "decimals (2 for every GoCardless currency).",
    )
    balance = fields.Monetary(
        string="Open balance",
        currency_field="currency_id",
        readonly=True,
        help="The customer's open receivable balance at the export, with Odoo's rounding of "
        "the currency. When it has more decimals than GoCardless collects, the amount is "
        "rounded down and the note says so.",
    )
    charge_date = fields.Date(readonly=True, help="Empty: GoCardless charges as soon as possible.")
    description = fields.Char(readonly=True, help="The payment description the customer sees.")
    note = fields.Char(readonly=True)
    payment_id = fields.Many2one(
        "account.payment",
        string="Odoo payment",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="set null",
        check_company=True,
    )
    gocardless_payment_ids = fields.One2many(
        "gocardless.payment", "export_line_id", string="GoCardless payments", readonly=True
    )
    gocardless_payment_id = fields.Many2one(
        "gocardless.payment",
        compute="_compute_gocardless_payment_id",
        string="GoCardless payment",
    )
    gocardless_status = fields.Selection(
        const.PAYMENT_STATUSES, compute="_compute_gocardless_payment_id", string="GoCardless status"
    )
    collect_error = fields.Char(string="Collection problem", readonly=True, copy=False)
    excluded = fields.Boolean(
        readonly=True,
        copy=False,
        help="Taken out of the batch (Exclude): never collected nor recorded, left out of the "
        "files, and its balance can be exported again.",
    )

    _sql_constraints = [
        ("reference_uniq", "unique(reference)", "An export line reference is unique."),
        (
            "payment_uniq",
            "unique(payment_id)",
            "An Odoo payment records one export line only.",
        ),
        ("amount_positive", "CHECK(amount > 0)", "An export line collects a positive amount."),
    ]

    def _gocardless_note(self, date_note=False):
        """The line's note: the rounding of its balance when there was one, then
        ``date_note`` (what happened to its charge date)."""
        self.ensure_one()
        Export = self.env["gocardless.export"]
        rounding = (
            Export._gocardless_rounding_note(
                self.balance, to_gocardless_amount(self.amount, self.currency_id), self.currency_id
            )
            if self.balance
            else False
        )
        return Export._gocardless_join_notes(rounding, date_note)

    @api.depends("gocardless_payment_ids.status")
    def _compute_gocardless_payment_id(self):
        for line in self:
            line.gocardless_payment_id = line.gocardless_payment_ids[:1]
            line.gocardless_status = line.gocardless_payment_id.status

    def action_exclude(self):
        """ "Exclude": take lines that GoCardless refused, or whose balance changed, out of
        their batch for good. Only lines without an Odoo payment, and without a GoCardless
        payment that is still going on, can be excluded; GoCardless is asked first whether
        the batch's file was uploaded meanwhile (Refresh from GoCardless)."""
        batches = self.export_id
        batches._check_manager()
        batches._gocardless_refresh_or_refuse(_("Excluding a line"))
        self.invalidate_recordset()
        for line in self:
            if line.excluded:
                continue
            live = line.gocardless_payment_ids.filtered(
                lambda payment: payment.status not in const.PAYMENT_FAILED_STATUSES
            )
            if line.payment_id or live:
                raise UserError(
                    _(
                        "%(reference)s cannot be excluded: it is recorded as an Odoo payment or "
                        "GoCardless is collecting it (%(payment)s). Cancel those first.",
                        reference=line.reference,
                        payment=line.payment_id.display_name or live[:1].gocardless_id,
                    )
                )
        lines = self.filtered(lambda line: not line.excluded)
        if not lines:
            return True
        lines.write({"excluded": True})
        for batch in lines.export_id:
            batch_lines = lines.filtered(lambda line, batch=batch: line.export_id == batch)
            batch._gocardless_store_files(batch._gocardless_file_rows())
            log_note(
                batch,
                _(
                    "Excluded from the batch (never collected nor recorded; the balances can be "
                    "exported again): %(references)s.",
                    references=", ".join(batch_lines.mapped("reference")),
                ),
            )
        return True

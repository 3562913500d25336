from odoo import api, fields, models

from .. import const


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
    amount = fields.Monetary(currency_field="currency_id", readonly=True)
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

    _sql_constraints = [
        ("reference_uniq", "unique(reference)", "An export line reference is unique."),
        (
            "payment_uniq",
            "unique(payment_id)",
            "An Odoo payment records one export line only.",
        ),
        ("amount_positive", "CHECK(amount > 0)", "An export line collects a positive amount."),
    ]

    @api.depends("gocardless_payment_ids.status")
    def _compute_gocardless_payment_id(self):
        for line in self:
            line.gocardless_payment_id = line.gocardless_payment_ids[:1]
            line.gocardless_status = line.gocardless_payment_id.status

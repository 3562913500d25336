from odoo import _, api, fields, models

from ..services import const, export_plan


class GoCardlessExportSkip(models.Model):
    """A customer balance left out of a balance export, and why."""

    _name = "gocardless.export.skip"
    _description = "GoCardless Export Skipped Balance"
    _order = "export_id desc, reason, id"
    _check_company_auto = True

    export_id = fields.Many2one(
        "gocardless.export", required=True, ondelete="cascade", index=True, readonly=True
    )
    company_id = fields.Many2one(
        related="export_id.company_id", store=True, index=True, precompute=True
    )
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, readonly=True, index=True
    )
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    amount = fields.Monetary(
        currency_field="currency_id", readonly=True, help="The open receivable balance."
    )
    reason = fields.Selection(const.EXPORT_SKIP_REASONS, required=True, readonly=True)
    detail = fields.Char(readonly=True)

    @api.model
    def _gocardless_detail_text(self, skip):
        """Why the planned ``skip`` (an ``export_plan.Skip``) is left out, in words."""
        params = skip.params
        if skip.detail == export_plan.DETAIL_NOTHING_DUE:
            return _("Nothing due")
        if skip.detail == export_plan.DETAIL_IN_CREDIT:
            return _("In credit")
        if skip.detail == export_plan.DETAIL_CURRENCY_NOT_COLLECTED:
            return _("GoCardless does not collect %(currency)s.", currency=params["currency"])
        if skip.detail == export_plan.DETAIL_BELOW_MINOR_UNIT:
            return _(
                "Less than the smallest amount GoCardless collects in %(currency)s (%(unit)s).",
                currency=params["currency"],
                unit=f"{params['unit']:f}",
            )
        if skip.detail == export_plan.DETAIL_NO_MANDATE:
            return _("No GoCardless mandate: sync the customers or ask for a mandate.")
        if skip.detail == export_plan.DETAIL_MANDATES_NOT_USABLE:
            labels = dict(
                self.env["gocardless.mandate"]._fields["status"]._description_selection(self.env)
            )
            removed = _("removed from Odoo")
            return ", ".join(
                _(
                    "%(mandate)s is %(status)s",
                    mandate=mandate,
                    status=labels.get(status, status) if active else removed,
                )
                for mandate, status, active in params["mandates"]
            )
        if skip.detail == export_plan.DETAIL_OTHER_CURRENCY:
            return _(
                "The balance is in %(currency)s; the usable mandates collect %(collected)s.",
                currency=params["currency"],
                collected=", ".join(
                    sorted(
                        f"{currency or '?'} ({scheme})" for currency, scheme in params["collected"]
                    )
                ),
            )
        if skip.detail == export_plan.DETAIL_PENDING:
            return _(
                "%(reference)s collects it already: record that line, exclude it, or delete "
                "its batch first.",
                reference=params["reference"],
            )
        return skip.detail

from collections import Counter

from odoo import _, api, fields, models

from ..common import notification
from ..services import matching


class GoCardlessCustomerSyncWizard(models.TransientModel):
    """The customer sync popup of the integration screen: choose what happens to GoCardless
    customers that match no contact, preview, then sync."""

    _name = "gocardless.customer.sync.wizard"
    _description = "GoCardless Customer Sync"

    account_id = fields.Many2one(
        "gocardless.account",
        required=True,
        readonly=True,
        default=lambda self: self.env.company._gocardless_account(),
    )
    missing_policy = fields.Selection(
        [
            ("create", "Create missing customers"),
            ("skip", "Skip missing customers"),
        ],
        string="GoCardless customers without a matching contact",
        required=True,
        default=lambda self: self.env.company._gocardless_account().sync_policy or "skip",
    )
    state = fields.Selection([("choose", "Choose"), ("preview", "Preview")], default="choose")
    customer_count = fields.Integer(string="GoCardless customers", readonly=True)
    matched_count = fields.Integer(string="Matched", readonly=True)
    created_count = fields.Integer(string="To create", readonly=True)
    skipped_count = fields.Integer(string="Skipped", readonly=True)
    ambiguous_count = fields.Integer(string="Ambiguous", readonly=True)
    extra_email_count = fields.Integer(string="Through an extra email", readonly=True)
    new_partner_count = fields.Integer(string="New contacts", readonly=True)
    summary = fields.Char(compute="_compute_summary")
    line_ids = fields.One2many(
        "gocardless.customer.sync.wizard.line", "wizard_id", string="Customers", readonly=True
    )

    @api.depends(
        "customer_count",
        "matched_count",
        "created_count",
        "new_partner_count",
        "skipped_count",
        "ambiguous_count",
        "extra_email_count",
    )
    def _compute_summary(self):
        Log = self.env["gocardless.sync.log"]
        for wizard in self:
            wizard.summary = Log._gocardless_counts_text(
                customers=wizard.customer_count,
                matched=wizard.matched_count,
                created=wizard.created_count,
                new_partners=wizard.new_partner_count,
                skipped=wizard.skipped_count,
                ambiguous=wizard.ambiguous_count,
                extra=wizard.extra_email_count,
            )

    @api.onchange("missing_policy")
    def _onchange_missing_policy(self):
        # a preview made with the other choice no longer describes what will happen
        if self.state == "preview":
            self.state = "choose"

    def action_preview(self):
        """Show what the sync would do, without changing anything."""
        self.ensure_one()
        engine = self.env["gocardless.customer.sync"]
        decisions, by_id = engine._preview(self.account_id, self.missing_policy)
        self.line_ids.unlink()
        counts = Counter(decision.outcome for decision in decisions)
        self.write(
            {
                "state": "preview",
                "customer_count": len(decisions),
                "matched_count": counts[matching.LINK] + counts[matching.UPDATE],
                "created_count": counts[matching.CREATE],
                "skipped_count": counts[matching.SKIP],
                "ambiguous_count": counts[matching.AMBIGUOUS],
                "extra_email_count": sum(decision.via_extra_email for decision in decisions),
                "new_partner_count": len(
                    {d.create_group for d in decisions if d.outcome == matching.CREATE}
                ),
            }
        )
        partner_for = {d.gocardless_id: d.partner_id for d in decisions if d.partner_id}
        engine._insert_lines(
            "gocardless.customer.sync.wizard.line",
            "wizard_id",
            self,
            decisions,
            by_id,
            partner_for,
        )
        return {
            "type": "ir.actions.act_window",
            "name": _("Sync GoCardless customers: preview"),
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
            # wide enough for IDs, emails and names not to be cut (1440 px screens)
            "context": {"dialog_size": "extra-large"},
        }

    def action_sync(self):
        """Run the sync; tell the counts and open the run's log."""
        self.ensure_one()
        log = self.env["gocardless.customer.sync"]._run(
            self.account_id, self.missing_policy, trigger="manual"
        )
        problems = bool(log.ambiguous_count or log.extra_email_count or log.warning_message)
        return notification(
            _("GoCardless customers synced"),
            " ".join(filter(None, [log._counts_text(), log.warning_message])),
            kind="warning" if problems else "success",
            sticky=problems,
            next_action={
                "type": "ir.actions.act_window",
                "res_model": "gocardless.sync.log",
                "res_id": log.id,
                "views": [(False, "form")],
                "target": "current",
            },
        )

from odoo import _, api, fields, models

from ..common import check_manager

ACTIONS = [("remove", "Remove from the contact"), ("cancel", "Cancel in GoCardless")]


class GoCardlessMandateConfirmWizard(models.TransientModel):
    """The confirmation of "Remove" and "Cancel in GoCardless" on a mandate: it says what
    will happen, and its buttons say it too ("Cancel the mandate in GoCardless" / "Keep it"),
    which Odoo's ``confirm`` attribute (Ok / Cancel) cannot, and with translated labels."""

    _name = "gocardless.mandate.confirm.wizard"
    _description = "Confirm a GoCardless Mandate Action"

    mandate_id = fields.Many2one(
        "gocardless.mandate", required=True, readonly=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="mandate_id.company_id")
    action = fields.Selection(ACTIONS, required=True, readonly=True)
    description = fields.Text(compute="_compute_description")

    @api.depends("mandate_id", "action")
    def _compute_description(self):
        for wizard in self:
            mandate = wizard.mandate_id
            values = {
                "mandate": mandate.gocardless_id,
                "contact": mandate.partner_id.display_name,
                "status": mandate._status_label() if mandate else "",
            }
            if wizard.action == "cancel":
                wizard.description = _(
                    "Mandate %(mandate)s of %(contact)s (%(status)s) will be cancelled in "
                    "GoCardless. GoCardless will collect no new payment with it, and only the "
                    "customer can set up a new mandate. This cannot be undone from Odoo.",
                    **values,
                )
            else:
                wizard.description = _(
                    "Mandate %(mandate)s will be removed from %(contact)s in Odoo: no payment "
                    "will be collected with it from Odoo, and the customer sync does not bring "
                    "it back. GoCardless keeps it (%(status)s there): to stop it for good, "
                    "cancel it in GoCardless instead.",
                    **values,
                )

    def action_confirm(self):
        """Do what was confirmed; the mandate's action returns the message that says so."""
        self.ensure_one()
        if self.action == "cancel":
            return self.mandate_id.action_gocardless_cancel()
        return self.mandate_id.action_gocardless_remove()

    @api.model
    def _gocardless_open(self, mandate, action):
        """The confirmation dialog of ``action`` on ``mandate``, after the rights checks (so
        that a user who may not do it is told at once, not after confirming)."""
        mandate.ensure_one()
        mandate.check_access("write")
        if action == "cancel":
            check_manager(self.env, _("cancel mandates"))
        wizard = self.create({"mandate_id": mandate.id, "action": action})
        return {
            "type": "ir.actions.act_window",
            "name": _("Cancel the mandate in GoCardless?")
            if action == "cancel"
            else _("Remove the mandate from the contact?"),
            "res_model": self._name,
            "res_id": wizard.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
        }

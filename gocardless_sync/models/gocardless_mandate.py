import logging
from collections import defaultdict

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError

from ..common import check_manager, is_manager
from ..notes import log_note
from ..services import const, status_rules
from ..services.api import GoCardlessError
from ..tools import changed_vals, parse_date, parse_datetime

_logger = logging.getLogger(__name__)


class GoCardlessMandate(models.Model):
    """A GoCardless mandate (MD...) of a linked customer: the authority to collect."""

    _name = "gocardless.mandate"
    _inherit = ["gocardless.resource.mixin"]
    _description = "GoCardless Mandate"
    _order = "is_usable desc, gocardless_created_at desc, id desc"
    _rec_name = "gocardless_id"
    _check_company_auto = True
    _gocardless_plural = "mandates"

    customer_id = fields.Many2one(
        "gocardless.customer",
        string="GoCardless customer",
        required=True,
        ondelete="cascade",
        index=True,
        check_company=True,
    )
    account_id = fields.Many2one(
        related="customer_id.account_id", store=True, index=True, precompute=True
    )
    company_id = fields.Many2one(
        related="customer_id.company_id", store=True, index=True, precompute=True
    )
    partner_id = fields.Many2one(
        related="customer_id.partner_id", store=True, index=True, string="Contact"
    )
    gocardless_id = fields.Char(string="GoCardless ID", required=True, readonly=True)
    status = fields.Selection(const.MANDATE_STATUSES, required=True, readonly=True)
    raw_status = fields.Char(
        string="Status in GoCardless",
        readonly=True,
        help="The status GoCardless sent, when Odoo does not know it (a status GoCardless "
        "added later, or none): the mandate is then Unknown, and not usable.",
    )
    scheme = fields.Char(readonly=True)
    currency_code = fields.Char(
        compute="_compute_currency_code", help="The currency the mandate's scheme collects in."
    )
    reference = fields.Char(readonly=True)
    next_possible_charge_date = fields.Date(readonly=True)
    gocardless_created_at = fields.Datetime(string="Created in GoCardless", readonly=True)
    is_usable = fields.Boolean(
        string="Usable",
        compute="_compute_is_usable",
        store=True,
        index=True,
        help="Payments can be created on this mandate (pending customer approval, pending "
        "submission, submitted or active).",
    )
    new_mandate_id = fields.Many2one(
        "gocardless.mandate", string="Replaced by", readonly=True, check_company=True
    )
    last_event_at = fields.Datetime(
        string="Last event",
        readonly=True,
        help="When the newest GoCardless event applied to this mandate happened; older events "
        "arriving later do not change it.",
    )
    active = fields.Boolean(default=True)

    _sql_constraints = [
        (
            "gocardless_id_company_uniq",
            "unique(company_id, gocardless_id)",
            "This GoCardless mandate is already recorded for this company.",
        ),
    ]

    @api.depends("status")
    def _compute_is_usable(self):
        for mandate in self:
            mandate.is_usable = mandate.status in const.USABLE_MANDATE_STATUSES

    @api.depends("scheme")
    def _compute_currency_code(self):
        for mandate in self:
            mandate.currency_code = const.SCHEME_CURRENCY.get(mandate.scheme or "", False)

    @api.model
    def _gocardless_vals_from_api(self, data):
        """The fields of a mandate resource (a dict from the API), without its customer."""
        status, raw_status = const.read_status(data.get("status"), const.KNOWN_MANDATE_STATUSES)
        return {
            "gocardless_id": data["id"],
            "status": status,
            "raw_status": raw_status,
            "scheme": data.get("scheme") or False,
            "reference": data.get("reference") or False,
            "next_possible_charge_date": parse_date(data.get("next_possible_charge_date")),
            "gocardless_created_at": parse_datetime(data.get("created_at")),
        }

    @api.model
    def _gocardless_store(self, account, mandates_data, customers):
        """Create or refresh mandates from API dicts, in batch.

        :param account: the gocardless.account they belong to
        :param mandates_data: mandate dicts from the API (any order, any customers)
        :param customers: gocardless.customer records; mandates of other customers are ignored
        :return: (created mandates, updated mandates)
        """
        customer_ids = {customer.gocardless_id: customer.id for customer in customers}
        wanted = [
            data
            for data in mandates_data
            if (data.get("links") or {}).get("customer") in customer_ids
        ]
        if not wanted:
            return self.browse(), self.browse()
        existing = {
            mandate.gocardless_id: mandate
            for mandate in self._gocardless_find(
                account.company_id, [data["id"] for data in wanted]
            )
        }
        to_create, to_write = [], defaultdict(list)
        for data in wanted:
            vals = self._gocardless_vals_from_api(data)
            vals["customer_id"] = customer_ids[data["links"]["customer"]]
            mandate = existing.get(data["id"])
            if not mandate:
                to_create.append(vals)
                continue
            changes = changed_vals(mandate, vals)
            if changes:
                # mandates with the same changes (e.g. all now "active") share one write
                to_write[tuple(sorted(changes.items()))].append(mandate.id)
        updated = self.browse()
        for changes, ids in to_write.items():
            batch = self.browse(ids)
            batch.write(dict(changes))
            updated |= batch
        created = self.create(to_create) if to_create else self.browse()
        for data in wanted:
            if data.get("status") not in const.KNOWN_MANDATE_STATUSES:
                _logger.warning(
                    "GoCardless mandate %s has a status Odoo does not know (%r): stored as "
                    "unknown, not usable",
                    data["id"],
                    data.get("status"),
                )
        return created, updated

    def write(self, vals):
        # Supervisors may write mandates only to remove them from a contact (archive). The
        # rest (status, customer, dates...) comes from GoCardless, through the sync, events
        # and Managers' actions: nobody re-points a mandate to debit another contact.
        if not is_manager(self.env):
            if set(vals) - {"active"} or vals.get("active"):
                raise AccessError(
                    _(
                        "Only GoCardless Managers can change a mandate; you can only remove it "
                        "from the contact."
                    )
                )
        return super().write(vals)

    def _gocardless_apply_event(self, action, event_at):
        """Apply a mandate event (its action and when it happened); return a note.

        The status rule is ``services/status_rules.py``'s (the payments' too): an event older
        than the last one applied, or one that would move the mandate back (e.g. "submitted"
        after "active", anything but a reinstatement after "cancelled"), changes nothing."""
        self.ensure_one()
        new_status = status_rules.event_status(status_rules.MANDATE, action)
        decision = status_rules.decide(
            status_rules.MANDATE,
            self.status,
            new_status,
            action=action,
            event_at=event_at,
            last_event_at=self.last_event_at,
        )
        if decision.outcome == status_rules.OLDER:
            return _("Older than the last event applied: nothing changed.")
        vals = {"last_event_at": event_at} if decision.record_event else {}
        # notes show the statuses as users see them ("Pending submission"), not their keys
        labels = dict(self._fields["status"]._description_selection(self.env))
        old_label = labels.get(self.status, self.status)
        new_label = labels.get(new_status, new_status)
        if decision.changes_status:
            vals.update(status=decision.status, raw_status=False)
            note = _("Status %(old)s → %(new)s.", old=old_label, new=new_label)
        elif decision.outcome == status_rules.BACKWARDS:
            note = _(
                "Would move the mandate back from %(old)s to %(new)s: nothing changed.",
                old=old_label,
                new=new_label,
            )
        else:
            note = _("Status unchanged (%(status)s).", status=old_label)
        if vals:
            self.write(vals)
        return note

    # -- remove from the contact / cancel in GoCardless (issue 5) ------------------------
    def action_gocardless_confirm_remove(self):
        """The "Remove" button: a confirmation that says what removing does."""
        return self.env["gocardless.mandate.confirm.wizard"]._gocardless_open(self, "remove")

    def action_gocardless_confirm_cancel(self):
        """The "Cancel in GoCardless" button: a confirmation that says what cancelling does."""
        return self.env["gocardless.mandate.confirm.wizard"]._gocardless_open(self, "cancel")

    def action_gocardless_remove(self):
        """Remove: take the mandate off its contact in Odoo (archive it). GoCardless keeps
        it; the customer sync never brings it back (it does not write ``active``). Returns a
        notification that says what was done (after the confirmation dialog)."""
        self.check_access("write")
        self.write({"active": False})
        for partner, mandates in self.grouped("partner_id").items():
            ids = ", ".join(mandates.mapped("gocardless_id"))
            log_note(
                partner,
                _(
                    "GoCardless mandate %(mandates)s removed from this contact in Odoo; "
                    "GoCardless keeps it.",
                    mandates=ids,
                )
                if len(mandates) == 1
                else _(
                    "GoCardless mandates %(mandates)s removed from this contact in Odoo; "
                    "GoCardless keeps them.",
                    mandates=ids,
                ),
            )
        if len(self) == 1:
            message = _(
                "Mandate %(mandate)s is removed from %(contact)s in Odoo: no payment will be "
                "collected with it from Odoo. GoCardless keeps it (%(status)s there); cancel it "
                "in GoCardless to stop it for good.",
                mandate=self.gocardless_id,
                contact=self.partner_id.display_name,
                status=self._status_label(),
            )
        else:
            message = _(
                "%(count)s mandates are removed from their contacts in Odoo: no payment will be "
                "collected with them from Odoo. GoCardless keeps them.",
                count=len(self),
            )
        return self.env["res.partner"]._gocardless_notification(
            _("Mandate removed") if len(self) == 1 else _("Mandates removed"),
            message,
            close=True,
        )

    def action_gocardless_cancel(self):
        """Cancel in GoCardless (Managers, after a confirmation): cancel the mandate through
        the API and record its new status."""
        self.ensure_one()
        check_manager(self.env, _("cancel mandates"))
        self.check_access("write")
        if self.status in const.MANDATE_FINAL_STATUSES:
            raise UserError(
                _(
                    "Mandate %(mandate)s is already %(status)s in GoCardless: there is nothing "
                    "to cancel.",
                    mandate=self.gocardless_id,
                    status=self._status_label(),
                )
            )
        account = self.account_id
        api = account._gocardless_api()
        try:
            data = api.action("mandates", "cancel", self.gocardless_id)
        except GoCardlessError as error:
            data = self._gocardless_after_failed_cancel(api, error)
        # GoCardless has acted: record it at once; nothing after this may fail the action
        self._gocardless_store(account, [data], self.customer_id)
        message = _(
            "Mandate %(mandate)s is now %(status)s in GoCardless.",
            mandate=self.gocardless_id,
            status=self._status_label(),
        )
        log_note(self.partner_id, message)
        return self.partner_id._gocardless_notification(_("Mandate cancelled"), message)

    def _gocardless_after_failed_cancel(self, api, error):
        """A cancel GoCardless refused because the mandate is already final (e.g. an earlier
        cancel whose answer was lost, or a cancellation by the payer): read its status, so
        that Odoo records it. Any other failure is raised to the user."""
        if error.kind == GoCardlessError.KIND_INVALID_STATE:
            try:
                data = api.get("mandates", self.gocardless_id)
            except GoCardlessError:
                data = None
            if data and data.get("status") in const.MANDATE_FINAL_STATUSES:
                return data
        raise UserError(
            _(
                "GoCardless did not cancel mandate %(mandate)s. %(reason)s",
                mandate=self.gocardless_id,
                reason=self.account_id._gocardless_error_message(error),
            )
        ) from error

    def _status_label(self):
        """The status as users read it; "Unknown (suspended_by_bank)" for a status Odoo
        does not know."""
        self.ensure_one()
        return self._gocardless_status_label(self.status, self.raw_status)

    @api.model
    def _gocardless_status_label(self, status, raw_status=False):
        """The label of a stored status, or of a status as GoCardless sent it."""
        if status not in const.KNOWN_MANDATE_STATUSES:
            raw_status = raw_status or (status if status != const.UNKNOWN_STATUS else False)
            return _("Unknown (%(status)s)", status=raw_status or _("no status"))
        return dict(self._fields["status"]._description_selection(self.env)).get(status, status)

import logging

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError

from ..common import notification
from ..services import const
from ..services.api import GoCardlessAPI, GoCardlessError

_logger = logging.getLogger(__name__)

# the settings a connection test proves: changing one of them makes it "Not tested" again
CONNECTION_FIELDS = frozenset({"access_token", "environment", "api_base_url"})


class GoCardlessAccount(models.Model):
    """The GoCardless connection of one company: the integration screen.

    Secrets (access token, webhook secret) are readable by system administrators only
    (field ``groups``). Code that needs the token to call the API reads it through
    ``account_sudo`` in :meth:`_gocardless_api` and nowhere else.
    """

    _name = "gocardless.account"
    _description = "GoCardless Account"
    _inherit = ["mail.thread"]
    _check_company_auto = True
    _order = "company_id"

    company_id = fields.Many2one(
        "res.company",
        required=True,
        ondelete="cascade",
        default=lambda self: self.env.company,
        index=True,
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    environment = fields.Selection(
        const.ENVIRONMENTS,
        required=True,
        default="sandbox",
        tracking=True,
        help="Sandbox for tests with a sandbox access token, Live to collect real money.",
    )
    access_token = fields.Char(
        string="Access token",
        groups="base.group_system",
        copy=False,
        help="A read-write access token from the GoCardless dashboard "
        "(Developers > Create > Access token).",
    )
    webhook_secret = fields.Char(
        string="Webhook secret",
        groups="base.group_system",
        copy=False,
        help="The secret of the webhook endpoint created in the GoCardless dashboard "
        "(Developers > Create > Webhook endpoint).",
    )
    # Stored, so that whoever reads the account knows whether the secrets are set without
    # reading them: only system administrators can write the secrets, so the compute always
    # runs with the right to read them.
    has_access_token = fields.Boolean(
        compute="_compute_has_secrets", store=True, string="Access token set"
    )
    has_webhook_secret = fields.Boolean(
        compute="_compute_has_secrets", store=True, string="Webhook secret set"
    )
    api_base_url = fields.Char(
        string="API base URL",
        groups="base.group_system",
        help="Advanced: talk to another API root than GoCardless's own for the environment, "
        "e.g. http://127.0.0.1:4010 for the local emulator. Leave empty in production.",
    )
    api_timeout = fields.Float(
        string="API timeout (s)",
        groups="base.group_system",
        default=const.DEFAULT_TIMEOUT,
        help="Advanced: seconds to wait for each GoCardless answer.",
    )
    webhook_url = fields.Char(
        string="Webhook URL",
        compute="_compute_webhook_url",
        help="Give this URL to GoCardless when you create the webhook endpoint.",
    )
    connection_state = fields.Selection(
        [("unknown", "Not tested"), ("ok", "Connected")],
        default="unknown",
        readonly=True,
        copy=False,
        help="Connected once 'Test connection' succeeded with the current settings; back to "
        "'Not tested' when the token, environment or URL change (saving them unchanged "
        "keeps it).",
    )
    connection_checked_at = fields.Datetime(string="Last tested", readonly=True, copy=False)
    creditor_gocardless_id = fields.Char(string="Creditor ID", readonly=True, copy=False)
    creditor_name = fields.Char(string="Creditor", readonly=True, copy=False)
    last_event_polled_at = fields.Datetime(
        string="Last polled event",
        readonly=True,
        copy=False,
        help="When the newest event read by the scheduled polling happened.",
    )
    last_customer_sync_at = fields.Datetime(string="Last customer sync", readonly=True, copy=False)
    sync_policy = fields.Selection(
        [
            ("create", "Create missing customers"),
            ("skip", "Skip missing customers"),
        ],
        string="Scheduled sync policy",
        required=True,
        default="skip",
        help="What the scheduled customer sync does with a GoCardless customer that matches "
        "no Odoo customer: create it as a new contact, or leave it out.",
    )
    prompt_new_customers = fields.Boolean(
        string="Ask when a new customer is created",
        help="After the first save of a new customer in Contacts, ask whether to create it in "
        "GoCardless now, never, or later.",
    )
    journal_id = fields.Many2one(
        "account.journal",
        string="Payments journal",
        check_company=True,
        domain="[('type', 'in', ('bank', 'cash')), ('company_id', '=', company_id)]",
        help="The journal of the payments recorded for GoCardless collections.",
    )
    customer_ids = fields.One2many("gocardless.customer", "account_id")
    field_mapping_ids = fields.One2many(
        "gocardless.field.mapping",
        "account_id",
        string="Field mapping",
        help="GoCardless customer fields and metadata keys copied into contact fields by the "
        "customer sync.",
    )
    sync_log_ids = fields.One2many("gocardless.sync.log", "account_id", string="Sync history")
    sync_log_count = fields.Integer(compute="_compute_counts")
    linked_customer_count = fields.Integer(compute="_compute_counts")
    usable_mandate_count = fields.Integer(compute="_compute_counts")
    export_count = fields.Integer(compute="_compute_counts")
    payment_count = fields.Integer(compute="_compute_counts")
    # -- the ledger (issue 15): when payments are booked; issue 14: payments made outside Odoo --
    payment_recording = fields.Selection(
        const.PAYMENT_RECORDINGS,
        string="Record payments",
        required=True,
        default=const.PAYMENT_RECORDING_EXPORT,
        tracking=True,
        help="When the Odoo payment of a GoCardless payment is booked. When the balances are "
        "added as payments: by the balance export's button, as soon as the accountant clicks "
        "it. When GoCardless confirms the payment, or when it pays it out: by the GoCardless "
        "event that says so, dated that day; collecting then books nothing, and the batch "
        "and the contact show the payments waiting for GoCardless. Whatever the choice, a "
        "failure or a charge-back after booking is booked as a reversal, never by changing "
        "the payment.",
    )
    book_external_payments = fields.Boolean(
        string="Book payments made outside Odoo",
        tracking=True,
        help="Also book the GoCardless payments that Odoo did not collect (created in the "
        "GoCardless dashboard or by another system), by the same rule as Odoo's own "
        "payments; with 'When the balances are added as payments', when GoCardless confirms "
        "them. Off by default: another system may be booking them already.",
    )

    _sql_constraints = [
        (
            "company_uniq",
            "unique(company_id)",
            "A company has one GoCardless account: edit the existing one.",
        ),
    ]

    @api.depends("company_id.name", "environment")
    def _compute_display_name(self):
        environments = dict(self._fields["environment"]._description_selection(self.env))
        for account in self:
            account.display_name = _(
                "GoCardless %(company)s (%(environment)s)",
                company=account.company_id.name or "",
                environment=environments.get(account.environment, ""),
            )

    @api.depends("access_token", "webhook_secret")
    def _compute_has_secrets(self):
        for account in self:
            account.has_access_token = bool(account.access_token)
            account.has_webhook_secret = bool(account.webhook_secret)

    def _compute_webhook_url(self):
        for account in self:
            account.webhook_url = account.get_base_url().rstrip("/") + const.WEBHOOK_PATH

    def _compute_counts(self):
        customers = dict(
            self.env["gocardless.customer"]._read_group(
                [("account_id", "in", self.ids)], ["account_id"], ["__count"]
            )
        )
        mandates = dict(
            self.env["gocardless.mandate"]._read_group(
                [("account_id", "in", self.ids), ("is_usable", "=", True)],
                ["account_id"],
                ["__count"],
            )
        )
        logs = dict(
            self.env["gocardless.sync.log"]._read_group(
                [("account_id", "in", self.ids)], ["account_id"], ["__count"]
            )
        )
        exports = dict(  # open batches: not every line recorded and collected yet
            self.env["gocardless.export"]._read_group(
                [("account_id", "in", self.ids), ("state", "!=", "done")],
                ["account_id"],
                ["__count"],
            )
        )
        payments = dict(
            self.env["gocardless.payment"]._read_group(
                [("account_id", "in", self.ids)], ["account_id"], ["__count"]
            )
        )
        for account in self:
            account.export_count = exports.get(account, 0)
            account.payment_count = payments.get(account, 0)
            account.sync_log_count = logs.get(account, 0)
            account.linked_customer_count = customers.get(account, 0)
            account.usable_mandate_count = mandates.get(account, 0)

    def write(self, vals):
        if "environment" in vals and not self.env.is_system():
            raise AccessError(
                _(
                    "Only a system administrator can switch GoCardless between sandbox and "
                    "live (Settings > GoCardless)."
                )
            )
        changed = self._gocardless_connection_changed(vals)
        if not changed or "connection_state" in vals:
            return super().write(vals)
        if unchanged := self - changed:
            super(GoCardlessAccount, unchanged).write(vals)
        return super(GoCardlessAccount, changed).write(dict(vals, connection_state="unknown"))

    def _gocardless_connection_changed(self, vals):
        """The accounts of ``self`` whose token, environment or API URL ``vals`` really
        changes. Saving Settings writes every field again: equal values (an empty URL as ""
        or False alike) are not a change and keep a tested connection "Connected"."""
        keys = CONNECTION_FIELDS & set(vals)
        if not keys:
            return self.browse()
        # the token is readable by system administrators only, who alone may write it
        accounts_sudo = self.sudo()
        return self.browse(
            account_sudo.id
            for account_sudo in accounts_sudo
            if any((vals[key] or False) != (account_sudo[key] or False) for key in keys)
        )

    # -- API access ----------------------------------------------------------------------
    def _gocardless_check_configured(self, company=None):
        """Raise a UserError unless this account (of ``company``) has an access token."""
        if not self.has_access_token:
            raise UserError(
                _(
                    "GoCardless is not configured for %(company)s: no access token. "
                    "A system administrator can add one in Settings > GoCardless.",
                    company=(company or self.company_id).name,
                )
            )
        return self

    def _gocardless_api(self):
        """A :class:`GoCardlessAPI` for this account; UserError when not configured."""
        self.ensure_one()
        self._gocardless_check_configured()
        account_sudo = self.sudo()
        return GoCardlessAPI(
            access_token=account_sudo.access_token,
            environment=account_sudo.environment,
            base_url=account_sudo.api_base_url or None,
            timeout=account_sudo.api_timeout or const.DEFAULT_TIMEOUT,
            # how long a call may wait for a rate-limit window to reset before giving up
            max_rate_limit_wait=self.env.context.get(
                "gocardless_max_rate_limit_wait", const.MAX_RATE_LIMIT_WAIT
            ),
        )

    def _gocardless_error_message(self, error):
        """A translated message for a :class:`GoCardlessError`: what happened, what to do."""
        kind = error.kind
        if kind == GoCardlessError.KIND_AUTH:
            return _(
                "GoCardless refused the access token (401). Check the token in "
                "Settings > GoCardless: it may be mistyped, revoked, or meant for the other "
                "environment (sandbox or live)."
            )
        if kind == GoCardlessError.KIND_PERMISSION:
            return _(
                "The GoCardless access token is not allowed to do this (403). Create a "
                "read-write access token in the GoCardless dashboard and save it in Settings."
            )
        if kind == GoCardlessError.KIND_RATE_LIMIT:
            # GoCardless counts requests per minute: without a known reset, a minute is right.
            seconds = int(error.retry_after) + 1 if error.retry_after is not None else 60
            return _(
                "GoCardless's rate limit is reached. Nothing was changed; retry after "
                "%(seconds)s seconds.",
                seconds=seconds,
            )
        if kind == GoCardlessError.KIND_UNAVAILABLE:
            return _(
                "GoCardless is unavailable right now (%(detail)s). Nothing was changed; try "
                "again in a few minutes.",
                detail=error.summary,
            )
        if kind == GoCardlessError.KIND_TIMEOUT:
            return _(
                "GoCardless did not answer in time. Nothing was changed; try again later, or "
                "raise the API timeout in the account's advanced settings."
            )
        if kind == GoCardlessError.KIND_NETWORK:
            return _(
                "Odoo could not reach GoCardless (%(detail)s). Check this server's network "
                "access and, if set, the API base URL.",
                detail=error.summary,
            )
        if kind == GoCardlessError.KIND_NOT_FOUND:
            return _("GoCardless does not know this record (404). Check the ID and try again.")
        if kind == GoCardlessError.KIND_GONE:
            return _("This customer was removed from GoCardless (410) and cannot be used.")
        if kind == GoCardlessError.KIND_VALIDATION:
            problems = "; ".join(
                f"{field}: {message}" if field else message for field, message in error.details
            )
            return _(
                "GoCardless refused the data: %(problems)s. Correct it and try again.",
                problems=problems or error.summary,
            )
        if kind == GoCardlessError.KIND_INVALID_STATE:
            return _(
                "GoCardless refused the action in the record's current state (%(detail)s).",
                detail=", ".join(error.reasons) or error.summary,
            )
        if kind == GoCardlessError.KIND_CONFIG:
            return _(
                "GoCardless is not configured (%(detail)s). A system administrator can set it "
                "up in Settings > GoCardless.",
                detail=error.summary,
            )
        return _("GoCardless answered with an error: %(detail)s", detail=error.summary)

    def _gocardless_user_error(self, error):
        return UserError(self._gocardless_error_message(error))

    # -- the ledger --------------------------------------------------------------------
    def _gocardless_clearing_account(self):
        """The GoCardless clearing account: the outstanding receipts account of the
        GoCardless journal's first incoming payment method (Odoo's default outstanding
        receipts account when the method has none). GoCardless holds the money there between
        the collection and the payout; every entry of the ledger uses it."""
        self.ensure_one()
        journal = self.journal_id
        method_line = journal.inbound_payment_method_line_ids[:1]
        if method_line.payment_account_id:
            return method_line.payment_account_id
        # Odoo's own fallback (account.payment._get_outstanding_account), read on a payment
        # that is never saved
        return (
            self.env["account.payment"]
            .new({"journal_id": journal.id, "company_id": self.company_id.id})
            ._get_outstanding_account("inbound")
        )

    def _gocardless_recording_moment(self):
        """The account's recording moment, as the middle of a sentence ("... records
        payments when GoCardless confirms them")."""
        self.ensure_one()
        return {
            const.PAYMENT_RECORDING_EXPORT: _("when the balances are added as payments"),
            const.PAYMENT_RECORDING_CONFIRMED: _("when GoCardless confirms them"),
            const.PAYMENT_RECORDING_PAID_OUT: _("when GoCardless pays them out"),
        }[self.payment_recording]

    def _gocardless_check_journal(self):
        """The GoCardless journal and its first incoming payment method line; UserError
        when either is missing."""
        self.ensure_one()
        journal = self.journal_id
        if not journal:
            raise UserError(
                _(
                    "Choose the payments journal of GoCardless first (Contacts > GoCardless > "
                    "Overview, or Settings > GoCardless)."
                )
            )
        method_line = journal.inbound_payment_method_line_ids[:1]
        if not method_line:
            raise UserError(
                _(
                    "Journal %(journal)s has no incoming payment method. Add one in its "
                    "Incoming Payments tab.",
                    journal=journal.display_name,
                )
            )
        return journal, method_line

    # -- actions -------------------------------------------------------------------------
    def action_test_connection(self):
        """Ask GoCardless for the creditor: proves the token, environment and URL work."""
        self.ensure_one()
        self.check_access("write")  # a GoCardless Manager's action: it records the result
        api = self._gocardless_api()
        try:
            creditor = api.get_creditor()
        except GoCardlessError as error:
            _logger.info("GoCardless connection test failed for %s: %s", self.company_id, error)
            raise self._gocardless_user_error(error) from error
        if not creditor:
            raise UserError(
                _(
                    "The access token works but GoCardless returned no creditor. Finish the "
                    "account set-up in the GoCardless dashboard, then test again."
                )
            )
        self.write(
            {
                "connection_state": "ok",
                "connection_checked_at": fields.Datetime.now(),
                "creditor_gocardless_id": creditor.get("id"),
                "creditor_name": creditor.get("name"),
            }
        )
        return notification(
            _("Connected to GoCardless"),
            _("Creditor: %(name)s (%(id)s)", name=creditor.get("name"), id=creditor.get("id")),
            kind="success",
        )

    @api.model
    def action_open_overview(self):
        """Contacts > GoCardless > Overview: the current company's integration screen."""
        account = self.search([("company_id", "=", self.env.company.id)], limit=1)
        if not account:
            raise UserError(
                _(
                    "%(company)s has no GoCardless account yet. A system administrator can "
                    "create it by saving the GoCardless section of Settings.",
                    company=self.env.company.name,
                )
            )
        return {
            "type": "ir.actions.act_window",
            "name": _("GoCardless"),
            "res_model": self._name,
            "res_id": account.id,
            "view_mode": "form",
            # read by the web client's breadcrumbs when a URL through the Overview is reloaded
            "views": [(False, "form")],
            "target": "current",
        }

    def action_open_customers(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "gocardless_sync.gocardless_customer_action"
        )
        action["domain"] = [("account_id", "=", self.id)]
        return action

    def action_open_usable_mandates(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "gocardless_sync.gocardless_mandate_action"
        )
        action["domain"] = [("account_id", "=", self.id), ("is_usable", "=", True)]
        return action

    def action_open_customer_sync(self):
        """The customer sync popup."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Sync GoCardless customers"),
            "res_model": "gocardless.customer.sync.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_account_id": self.id, "default_missing_policy": self.sync_policy},
        }

    def action_open_sync_logs(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "gocardless_sync.gocardless_sync_log_action"
        )
        action["domain"] = [("account_id", "=", self.id)]
        return action

    def action_export_balances(self):
        """Export the balances of every contact linked to a GoCardless customer."""
        self.ensure_one()
        linked = self.env["gocardless.customer"]._read_group(
            [("account_id", "=", self.id)], ["partner_id"]
        )
        partners = self.env["res.partner"].browse([partner.id for (partner,) in linked])
        if not partners:
            raise UserError(
                _("No contact is linked to a GoCardless customer yet: run Sync customers first.")
            )
        return self.env["gocardless.export"]._gocardless_export_action(self, partners)

    def action_open_exports(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "gocardless_sync.gocardless_export_action"
        )
        action["domain"] = [("account_id", "=", self.id)]
        action["context"] = {"search_default_open": 1}
        return action

    def action_open_payments(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "gocardless_sync.gocardless_payment_action"
        )
        action["domain"] = [("account_id", "=", self.id)]
        return action

    @api.model
    def _cron_sync_customers(self):
        """Scheduled action "GoCardless: sync customers": every configured account, with its
        own default policy; pulling all mandates refreshes the known ones' statuses. One account
        failing (its failed run is logged in its own transaction) does not
        undo the others: nothing is written before the run's own savepoint."""
        for account in self.search([("access_token", "!=", False)]):
            try:
                self.env["gocardless.customer.sync"]._run(
                    account, account.sync_policy, trigger="cron"
                )
            except UserError as error:
                _logger.warning(
                    "Scheduled GoCardless customer sync of %s failed: %s",
                    account.company_id.name,
                    error,
                )
            except Exception:  # logged by the run; one account must not stop the others
                _logger.exception(
                    "Scheduled GoCardless customer sync of %s failed", account.company_id.name
                )

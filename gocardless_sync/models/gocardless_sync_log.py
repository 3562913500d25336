from datetime import timedelta

from odoo import _, api, fields, models

# Sync logs older than this are deleted by the daily autovacuum (the newest log of each
# account is always kept): each run stores one line per GoCardless customer.
LOG_RETENTION_DAYS = 90


class GoCardlessSyncLog(models.Model):
    """One run of the customer sync (wizard or scheduled action), with one line per
    GoCardless customer. A failed run is kept too (written in its own transaction)."""

    _name = "gocardless.sync.log"
    _description = "GoCardless Customer Sync"
    _order = "started_at desc, id desc"
    _check_company_auto = True

    account_id = fields.Many2one(
        "gocardless.account", required=True, ondelete="cascade", index=True, readonly=True
    )
    company_id = fields.Many2one(
        related="account_id.company_id", store=True, index=True, precompute=True
    )
    user_id = fields.Many2one(
        "res.users", string="Run by", default=lambda self: self.env.user, readonly=True
    )
    trigger = fields.Selection(
        [("manual", "Sync wizard"), ("cron", "Scheduled action")],
        required=True,
        default="manual",
        readonly=True,
    )
    policy = fields.Selection(
        [("create", "Create missing customers"), ("skip", "Skip missing customers")],
        required=True,
        readonly=True,
    )
    state = fields.Selection(
        [("done", "Done"), ("failed", "Failed")], required=True, default="done", readonly=True
    )
    started_at = fields.Datetime(required=True, default=fields.Datetime.now, readonly=True)
    finished_at = fields.Datetime(readonly=True)
    duration = fields.Float(string="Duration (s)", digits=(16, 1), readonly=True)
    customer_count = fields.Integer(string="GoCardless customers", readonly=True)
    matched_count = fields.Integer(string="Matched", readonly=True)
    created_count = fields.Integer(string="Created", readonly=True)
    skipped_count = fields.Integer(string="Skipped", readonly=True)
    ambiguous_count = fields.Integer(string="Ambiguous", readonly=True)
    new_partner_count = fields.Integer(
        string="New contacts",
        readonly=True,
        help="Contacts created for the created customers (customers with one email share one).",
    )
    extra_email_count = fields.Integer(
        string="Matched through an extra email",
        readonly=True,
        help="Customers linked this run through one of the contact's extra emails, not its "
        "main email.",
    )
    mandate_count = fields.Integer(
        string="Mandates stored or refreshed", readonly=True, help="Mandates created or updated."
    )
    error_message = fields.Text(readonly=True)
    warning_message = fields.Text(
        string="Warnings", readonly=True, help="What the run did not fully understand."
    )
    summary = fields.Char(compute="_compute_summary")
    line_ids = fields.One2many("gocardless.sync.log.line", "log_id", string="Customers")

    @api.depends("started_at", "trigger")
    def _compute_display_name(self):
        for log in self:
            log.display_name = _(
                "Customer sync of %(date)s",
                date=fields.Datetime.to_string(log.started_at) if log.started_at else "",
            )

    @api.depends(
        "customer_count",
        "matched_count",
        "created_count",
        "new_partner_count",
        "skipped_count",
        "ambiguous_count",
        "extra_email_count",
        "state",
    )
    def _compute_summary(self):
        for log in self:
            log.summary = log._counts_text()

    def _counts_text(self):
        self.ensure_one()
        return self._gocardless_counts_text(
            customers=self.customer_count,
            matched=self.matched_count,
            created=self.created_count,
            new_partners=self.new_partner_count,
            skipped=self.skipped_count,
            ambiguous=self.ambiguous_count,
            extra=self.extra_email_count,
        )

    @api.model
    def _gocardless_counts_text(
        self, customers, matched, created, new_partners, skipped, ambiguous, extra=0
    ):
        """ "120 GoCardless customers: 40 matched, 78 created (73 new contacts), 2 skipped,
        0 ambiguous." The nouns have one sentence per count (singular, plural), as Odoo
        writes them; also used by the sync wizard's preview."""
        if customers == 1:
            head = _("1 GoCardless customer")
        else:
            head = _("%(count)s GoCardless customers", count=customers)
        if not created:
            created_text = _("0 created")
        elif new_partners == 1:
            created_text = _("%(count)s created (1 new contact)", count=created)
        else:
            created_text = _(
                "%(count)s created (%(contacts)s new contacts)",
                count=created,
                contacts=new_partners,
            )
        text = _(
            "%(customers)s: %(matched)s matched, %(created)s, %(skipped)s skipped, "
            "%(ambiguous)s ambiguous.",
            customers=head,
            matched=matched,
            created=created_text,
            skipped=skipped,
            ambiguous=ambiguous,
        )
        if extra == 1:
            text += " " + _(
                "1 of them is matched through an extra email of its contact, not the main "
                "email: check it."
            )
        elif extra:
            text += " " + _(
                "%(count)s of them are matched through an extra email of their contact, not "
                "the main email: check them.",
                count=extra,
            )
        return text

    @api.autovacuum
    def _gc_old_logs(self):
        """Delete sync logs older than LOG_RETENTION_DAYS, keeping each account's newest."""
        limit = fields.Datetime.now() - timedelta(days=LOG_RETENTION_DAYS)
        newest = self._read_group([], ["account_id"], ["id:max"])
        keep = [log_id for _account, log_id in newest]
        self.search([("started_at", "<", limit), ("id", "not in", keep)]).unlink()

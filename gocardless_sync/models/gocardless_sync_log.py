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
    mandate_count = fields.Integer(
        string="Mandates stored or refreshed", readonly=True, help="Mandates created or updated."
    )
    error_message = fields.Text(readonly=True)
    summary = fields.Char(compute="_compute_summary")
    line_ids = fields.One2many("gocardless.sync.log.line", "log_id", string="Customers")

    @api.depends("started_at", "trigger")
    def _compute_display_name(self):
        for log in self:
            log.display_name = _(
                "Customer sync of %(date)s",
                date=fields.Datetime.to_string(log.started_at) if log.started_at else "",
            )

    @api.depends("matched_count", "created_count", "skipped_count", "ambiguous_count", "state")
    def _compute_summary(self):
        for log in self:
            log.summary = log._counts_text()

    def _counts_text(self):
        self.ensure_one()
        return _(
            "%(matched)s matched, %(created)s created, %(skipped)s skipped, "
            "%(ambiguous)s ambiguous",
            matched=self.matched_count,
            created=self.created_count,
            skipped=self.skipped_count,
            ambiguous=self.ambiguous_count,
        )

    @api.autovacuum
    def _gc_old_logs(self):
        """Delete sync logs older than LOG_RETENTION_DAYS, keeping each account's newest."""
        limit = fields.Datetime.now() - timedelta(days=LOG_RETENTION_DAYS)
        newest = self._read_group([], ["account_id"], ["id:max"])
        keep = [log_id for _account, log_id in newest]
        self.search([("started_at", "<", limit), ("id", "not in", keep)]).unlink()

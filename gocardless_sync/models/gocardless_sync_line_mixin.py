from odoo import fields, models

OUTCOMES = [
    ("update", "Already linked"),
    ("link", "Matched"),
    ("create", "Created"),
    ("skip", "Skipped"),
    ("ambiguous", "Ambiguous"),
]

# the reason codes of services/matching.py, with their labels
REASONS = [
    ("already_linked", "Already linked by GoCardless ID: integration record refreshed"),
    ("email_match", "Email matches this contact"),
    (
        "extra_email_match",
        "Email is an extra email of this contact, not its main email: check the link",
    ),
    ("no_match_created", "No contact has this email: contact created"),
    ("same_email_as_new_customer", "Same email as another new customer: linked to its new contact"),
    ("no_match_skipped", "No contact has this email: skipped"),
    ("no_email_created", "No email in GoCardless: contact created"),
    ("no_email_skipped", "No email in GoCardless: skipped"),
    ("archived_match", "Only an archived contact has this email: skipped, not duplicated"),
    ("several_contacts", "Several contacts have this email: link it by hand"),
]


class GoCardlessSyncLineMixin(models.AbstractModel):
    """What a customer sync did (or, in a preview, would do) with one GoCardless customer.

    Concrete line models add their parent and a ``candidate_partner_ids`` many2many."""

    _name = "gocardless.sync.line.mixin"
    _description = "GoCardless Customer Sync Line (common fields)"
    _order = "sequence, id"
    _rec_name = "gocardless_id"

    sequence = fields.Integer(readonly=True)
    gocardless_id = fields.Char(string="GoCardless ID", readonly=True)
    customer_name = fields.Char(string="GoCardless name", readonly=True)
    email = fields.Char(readonly=True)
    outcome = fields.Selection(OUTCOMES, readonly=True, required=True)
    reason = fields.Selection(REASONS, readonly=True)
    partner_id = fields.Many2one("res.partner", string="Contact", readonly=True, index=True)
    match_source = fields.Selection(
        [("main", "Main email"), ("extra", "Extra email")],
        string="Matched by",
        readonly=True,
        help="For a customer matched by email: whether the address is the contact's main email "
        "or one of its extra emails. Anyone who edits contacts may add extra emails: check "
        "the links made through them.",
    )
    match_email = fields.Char(
        string="Matched address",
        readonly=True,
        help="The contact's address the customer was matched with (normalised).",
    )

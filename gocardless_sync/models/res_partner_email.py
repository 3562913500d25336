import re
from collections import defaultdict

from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..notes import log_note
from ..services.matching import normalize_email, normalize_emails

# A full address: something, "@", a domain with a dot and a top-level part of 2 to 63
# characters. Unlike odoo.tools.single_email_re it accepts non-ASCII local parts and
# international domains (Jörg@bücher.example), which Odoo's normalisation keeps.
_FULL_ADDRESS_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]{2,63}$")


class ResPartnerEmail(models.Model):
    """An extra email address of a contact (billing, accounts payable, a person's other
    address). GoCardless customer matching uses the main email AND every extra email."""

    _name = "res.partner.email"
    _description = "Contact Extra Email"
    _order = "partner_id, sequence, id"
    _rec_name = "email"

    partner_id = fields.Many2one(
        "res.partner", string="Contact", required=True, ondelete="cascade", index=True
    )
    sequence = fields.Integer(default=10)
    email = fields.Char(required=True)
    email_normalized = fields.Char(
        string="Normalized email",
        compute="_compute_email_normalized",
        store=True,
        index=True,
        help="The address as Odoo normalises emails (no display name or spaces; lower case, "
        "except a non-ASCII local part, kept as typed), as used for matching.",
    )
    label = fields.Char(help="What this address is for, e.g. Billing or Accounts payable.")

    _sql_constraints = [
        (
            "partner_email_uniq",
            "unique(partner_id, email_normalized)",
            "This contact already has this extra email address.",
        ),
    ]

    @api.depends("email")
    def _compute_email_normalized(self):
        for record in self:
            # Odoo's own normalisation (as for the main email), the one the sync matches with
            normalized = normalize_email(record.email)
            # it accepts "a@b": keep only full addresses
            record.email_normalized = (
                normalized if normalized and _FULL_ADDRESS_RE.match(normalized) else False
            )

    @api.constrains("email", "partner_id")
    def _check_email(self):
        for record in self:
            if not record.email_normalized:
                raise ValidationError(
                    _(
                        "'%(email)s' is not a valid email address. Enter one address such as "
                        "name@example.com.",
                        email=record.email,
                    )
                )
        for partner in self.partner_id:
            main = set(normalize_emails(partner.email))
            seen = set()
            for extra in partner.extra_email_ids:
                normalized = extra.email_normalized
                if normalized in seen:
                    raise ValidationError(
                        _(
                            "%(contact)s already has the extra email address %(email)s. "
                            "Remove the duplicate line.",
                            contact=partner.display_name,
                            email=normalized,
                        )
                    )
                if normalized in main:
                    raise ValidationError(
                        _(
                            "%(email)s is already the main email of %(contact)s; it does not "
                            "need to be an extra email too.",
                            contact=partner.display_name,
                            email=normalized,
                        )
                    )
                seen.add(normalized)

    # -- the contact's chatter says who added, changed or removed an extra email ---------
    # Anyone who may edit contacts may add an extra email, and the next customer sync links
    # whichever GoCardless customer has it: each change is noted on the contact (author and
    # date of the note: who and when), like Odoo's tracking, and with the same switches
    # (``tracking_disable``, ``mail_notrack`` in the context).
    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        records._gocardless_note_changes([(record.partner_id, None, record) for record in records])
        return records

    def write(self, vals):
        if not {"email", "partner_id"} & set(vals):
            return super().write(vals)
        before = {record.id: (record.partner_id, record.email, record.label) for record in self}
        result = super().write(vals)
        changes = []
        for record in self:
            partner, email, label = before[record.id]
            if partner != record.partner_id:
                changes.append((partner, (email, label), None))
                changes.append((record.partner_id, None, record))
            elif email != record.email:
                changes.append((partner, (email, label), record))
        self._gocardless_note_changes(changes)
        return result

    def unlink(self):
        removed = [(record.partner_id, (record.email, record.label), None) for record in self]
        result = super().unlink()
        self._gocardless_note_changes(removed)
        return result

    def _gocardless_note_changes(self, changes):
        """One note per contact for ``changes``: (contact, (old email, old label) or None,
        new res.partner.email record or None)."""
        if self.env.context.get("tracking_disable") or self.env.context.get("mail_notrack"):
            return
        lines = defaultdict(list)
        existing = self.env["res.partner"].browse([change[0].id for change in changes]).exists()
        for partner, old, new in changes:
            if partner not in existing:  # the contact itself is being deleted
                continue
            if old is None:
                text = _("Extra email added: %(email)s", email=_describe(new.email, new.label))
            elif new is None:
                text = _("Extra email removed: %(email)s", email=_describe(*old))
            else:
                text = _("Extra email changed: %(old)s → %(new)s", old=old[0], new=new.email)
            lines[partner].append(text)
        partners = self.env["res.partner"].browse([partner.id for partner in lines])
        log_note(
            partners,
            {partner.id: Markup("<br/>").join(texts) for partner, texts in lines.items()},
        )


def _describe(email, label):
    return f"{email} ({label})" if label else email

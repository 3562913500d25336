from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..services import customer_payload
from ..services.customer_payload import MAPPABLE_TYPES

# GoCardless customer fields that can feed a contact field
CUSTOMER_FIELDS = [
    ("id", "GoCardless ID"),
    ("email", "Email"),
    ("given_name", "Given name"),
    ("family_name", "Family name"),
    ("company_name", "Company name"),
    ("phone_number", "Phone number"),
    ("address_line1", "Address line 1"),
    ("address_line2", "Address line 2"),
    ("address_line3", "Address line 3"),
    ("city", "City"),
    ("region", "Region"),
    ("postal_code", "Postal code"),
    ("country_code", "Country code"),
    ("language", "Language"),
    ("danish_identity_number", "Danish identity number"),
    ("swedish_identity_number", "Swedish identity number"),
]


class GoCardlessFieldMapping(models.Model):
    """Copy a GoCardless customer field or metadata key into a contact field.

    Applied when the customer sync creates a contact, and, for mappings marked "also update",
    to the contacts it matches or refreshes. Built-in fields (name, email, phone, address,
    country, language) are always filled on creation; a mapping on the same contact field wins.
    Metadata mappings are also sent when a contact is pushed to GoCardless. The values are
    converted, both ways, by ``services/customer_payload.py`` (see ``_conversion_rules``).
    """

    _name = "gocardless.field.mapping"
    _description = "GoCardless Customer Field Mapping"
    _order = "account_id, sequence, id"
    _check_company_auto = True

    account_id = fields.Many2one(
        "gocardless.account", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(
        related="account_id.company_id", store=True, index=True, precompute=True
    )
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    source = fields.Selection(
        [("field", "Customer field"), ("metadata", "Metadata key")],
        required=True,
        default="metadata",
    )
    customer_field = fields.Selection(CUSTOMER_FIELDS, string="GoCardless field")
    metadata_key = fields.Char(
        help="A key of the customer's metadata in GoCardless, e.g. customer_number."
    )
    partner_field_id = fields.Many2one(
        "ir.model.fields",
        string="Contact field",
        required=True,
        ondelete="cascade",
        domain=[
            ("model", "=", "res.partner"),
            ("ttype", "in", MAPPABLE_TYPES),
            ("store", "=", True),
            ("readonly", "=", False),
        ],
    )
    update_existing = fields.Boolean(
        string="Also update matched contacts",
        help="Also write the value on contacts that the sync matches or refreshes, not only "
        "on the contacts it creates.",
    )

    @api.constrains("source", "customer_field", "metadata_key", "partner_field_id")
    def _check_mapping(self):
        for mapping in self:
            if mapping.source == "field" and not mapping.customer_field:
                raise ValidationError(_("Choose the GoCardless field to copy."))
            if mapping.source == "metadata" and not (mapping.metadata_key or "").strip():
                raise ValidationError(_("Enter the GoCardless metadata key to copy."))
            field = mapping.partner_field_id
            if field.model != "res.partner" or field.ttype not in MAPPABLE_TYPES:
                raise ValidationError(
                    _(
                        "%(field)s cannot receive a GoCardless value: choose a text, number, "
                        "checkbox or date field of contacts.",
                        field=field.field_description,
                    )
                )

    @api.depends("source", "customer_field", "metadata_key", "partner_field_id")
    def _compute_display_name(self):
        labels = dict(CUSTOMER_FIELDS)
        for mapping in self:
            source = (
                labels.get(mapping.customer_field, "")
                if mapping.source == "field"
                else _("metadata %(key)s", key=mapping.metadata_key or "")
            )
            mapping.display_name = f"{source} → {mapping.partner_field_id.field_description or ''}"

    def _conversion_rules(self):
        """These mappings as plain ``customer_payload.FieldRule`` objects, in their order: the
        pure conversion functions of ``services/customer_payload.py`` take them."""
        return [
            customer_payload.FieldRule(
                source=mapping.source,
                key=(
                    mapping.customer_field
                    if mapping.source == customer_payload.SOURCE_FIELD
                    else (mapping.metadata_key or "").strip()
                ),
                field_name=mapping.partner_field_id.name,
                ttype=mapping.partner_field_id.ttype,
                update_existing=mapping.update_existing,
            )
            for mapping in self
        ]

"""An Odoo contact and a GoCardless customer, converted both ways: pure functions, no Odoo,
no I/O. Every value that crosses between a contact and a customer goes through here.

Odoo -> GoCardless (the push, ``gocardless.customer.push``): the engine gathers a contact's
values into a plain dict; :func:`customer_params` turns it into the body of
``POST /customers``, with the metadata of :func:`metadata_items` (each mapped contact value
written by :func:`metadata_value`), and lists, as :class:`Notice` objects, every value that had
to be shortened or left out to respect GoCardless's limits (the Odoo layer translates them).

GoCardless -> Odoo (the customer sync, ``gocardless.customer.sync``): :func:`contact_values`
gives the built-in fields of a contact created for a customer, :func:`mapped_values` the
fields of the account's field mappings (``gocardless.field.mapping``, each one handed over as a
:class:`FieldRule`), each value read back by :func:`field_value`. What the push writes as
metadata, the sync reads back as the same value: ``field_value(t, metadata_value(t, v)) == v``.
"""

from dataclasses import dataclass
from datetime import datetime

from . import const

# notice codes
VALUE_SHORTENED = "value_shortened"  # a metadata value cut to METADATA_VALUE_MAX_LENGTH
KEY_TOO_LONG = "key_too_long"  # a metadata key longer than METADATA_KEY_MAX_LENGTH: left out
TOO_MANY_KEYS = "too_many_keys"  # more than METADATA_MAX_KEYS keys: the extra ones left out

# where a field mapping reads a customer's value
SOURCE_FIELD = "field"  # a field of the customer resource (email, given_name, ...)
SOURCE_METADATA = "metadata"  # a key of the customer's metadata
# contact field types a value can be converted to and from (relations need a lookup)
MAPPABLE_TYPES = ("char", "text", "integer", "float", "boolean", "date")
DATE_FORMAT = "%Y-%m-%d"  # Odoo's and GoCardless's date format
TRUE_TEXTS = frozenset({"1", "true", "yes", "y"})


@dataclass(frozen=True)
class Notice:
    """A value that could not be sent as it is."""

    code: str
    key: str
    length: int = 0  # the original length of a shortened value


@dataclass(frozen=True)
class FieldRule:
    """One field mapping as plain data: a customer field or metadata key <-> a contact field."""

    source: str  # SOURCE_FIELD or SOURCE_METADATA
    key: str  # the customer field, or the metadata key (without surrounding spaces)
    field_name: str  # the contact field
    ttype: str  # its Odoo type, one of MAPPABLE_TYPES
    update_existing: bool = False  # also written on contacts the sync matches


# -- one value, both ways ------------------------------------------------------------------
def metadata_value(ttype, value):
    """A contact field's value (of Odoo type ``ttype``) as GoCardless metadata text; None
    when empty (it then takes no key). A checkbox is always sent: "true" or "false"."""
    if ttype == "boolean":
        return "true" if value else "false"
    if value is False or value is None or value == "":
        return None
    if ttype == "date" and hasattr(value, "strftime"):
        return value.strftime(DATE_FORMAT)
    return str(value)


def field_value(ttype, raw):
    """A GoCardless value (a customer field or a metadata text) as the value of a contact
    field of Odoo type ``ttype``; None when it is empty or does not fit the type (it is then
    not copied)."""
    if raw is None or raw == "":
        return None
    try:
        if ttype == "integer":
            return int(raw)
        if ttype == "float":
            return float(raw)
        if ttype == "boolean":
            return str(raw).strip().lower() in TRUE_TEXTS
        if ttype == "date":
            return datetime.strptime(str(raw)[:10], DATE_FORMAT).date()
    except (TypeError, ValueError):
        return None
    return str(raw)


# -- GoCardless -> Odoo ------------------------------------------------------------------
def customer_value(customer, rule):
    """The raw value ``rule`` reads from a customer dict (None when absent)."""
    if rule.source == SOURCE_FIELD:
        return customer.get(rule.key)
    return (customer.get("metadata") or {}).get(rule.key)


def mapped_values(customer, rules, updating=False):
    """{contact field: value} of the field mappings ``rules`` for a customer dict; with
    ``updating``, only the rules that also apply to matched contacts. A value that is empty
    or does not fit the field is left out."""
    values = {}
    for rule in rules:
        if updating and not rule.update_existing:
            continue
        value = field_value(rule.ttype, customer_value(customer, rule))
        if value is not None:
            values[rule.field_name] = value
    return values


def customer_label(customer):
    """How a customer dict reads in Odoo: "Company (Given Family)", the company, the person,
    or None."""
    person = " ".join(
        part for part in (customer.get("given_name"), customer.get("family_name")) if part
    )
    company = customer.get("company_name")
    if company and person:
        return f"{company} ({person})"
    return company or person or None


def contact_values(customer, countries, states, langs):
    """The built-in fields of the contact created for a customer dict (the caller adds the
    company, the customer rank and the :func:`mapped_values`, which win).

    :param countries: {upper-case ISO country code: res.country id}
    :param states: {(res.country id, lower-case state code or name): res.country.state id}
    :param langs: {lower-case ISO 639-1 or Odoo language code: installed Odoo language code}
    """
    company_name = (customer.get("company_name") or "").strip()
    person = customer_label({k: customer.get(k) for k in ("given_name", "family_name")})
    email = (customer.get("email") or "").strip()
    country_id = countries.get((customer.get("country_code") or "").upper(), False)
    region = (customer.get("region") or "").strip().lower()
    language = (customer.get("language") or "").lower()
    street2 = ", ".join(
        line for line in (customer.get("address_line2"), customer.get("address_line3")) if line
    )
    values = {
        "name": company_name or person or email or customer["id"],
        "is_company": bool(company_name),
        "email": email or False,
        "phone": customer.get("phone_number") or False,
        "street": customer.get("address_line1") or False,
        "street2": street2 or False,
        "city": customer.get("city") or False,
        "zip": customer.get("postal_code") or False,
        "country_id": country_id,
        "state_id": states.get((country_id, region), False) if region else False,
    }
    lang = langs.get(language) or langs.get(language.split("-")[0])
    if lang:
        values["lang"] = lang
    return values


# -- Odoo -> GoCardless ------------------------------------------------------------------
def metadata_items(partner_id, ref, rules, values):
    """The metadata of a contact's customer as ``(key, value)`` pairs in order of priority
    (for :func:`fit_metadata`): ``odoo_partner_id``, ``odoo_partner_ref`` (the contact's
    Reference, unless a metadata mapping already sends the Reference), then the metadata
    mappings among ``rules``, so that a later sync reads the same values back.

    :param values: {contact field: Odoo value} of the contact, for the metadata rules
    """
    rules = [rule for rule in rules if rule.source == SOURCE_METADATA and rule.key]
    items = [(const.METADATA_PARTNER_ID_KEY, str(partner_id))]
    if "ref" not in {rule.field_name for rule in rules}:
        items.append((const.METADATA_PARTNER_REF_KEY, ref or None))
    items.extend(
        (rule.key, metadata_value(rule.ttype, values.get(rule.field_name))) for rule in rules
    )
    return items


def fit_metadata(items):
    """GoCardless metadata from ``(key, value)`` pairs given in order of priority.

    Empty values (None, "", and False, an empty Odoo field) are skipped, never sent as the
    text "False"; a key seen twice keeps its first value. At most
    ``METADATA_MAX_KEYS`` keys are kept; a key longer than ``METADATA_KEY_MAX_LENGTH`` is left
    out (a shortened key would no longer be the key anyone reads); a value longer than
    ``METADATA_VALUE_MAX_LENGTH`` characters is shortened.

    :return: (metadata dict, list of :class:`Notice`)
    """
    metadata, notices = {}, []
    for key, value in items:
        key = (key or "").strip()
        if not key or value is None or value is False or value == "" or key in metadata:
            continue
        if len(key) > const.METADATA_KEY_MAX_LENGTH:
            notices.append(Notice(KEY_TOO_LONG, key))
            continue
        if len(metadata) >= const.METADATA_MAX_KEYS:
            notices.append(Notice(TOO_MANY_KEYS, key))
            continue
        value = str(value)
        if len(value) > const.METADATA_VALUE_MAX_LENGTH:
            notices.append(Notice(VALUE_SHORTENED, key, len(value)))
            value = value[: const.METADATA_VALUE_MAX_LENGTH]
        metadata[key] = value
    return metadata, notices


def split_person_name(name):
    """(given name, family name) of a person's full name: the last word is the family name.
    None when the name has fewer than two words (GoCardless needs both parts)."""
    words = (name or "").split()
    if len(words) < 2:
        return None
    return " ".join(words[:-1]), words[-1]


def language_code(lang):
    """The GoCardless language of an Odoo language code ("fr_BE" -> "fr"), or None."""
    code = (lang or "").split("_")[0].split("-")[0].lower()
    return code if code in const.CUSTOMER_LANGUAGES else None


def customer_params(contact, metadata_pairs):
    """The body of ``POST /customers`` for a contact.

    :param contact: dict with ``name``, ``is_company``, ``company_name`` (the company a
        person belongs to, or None), ``email``, ``street``, ``street2``, ``city``, ``zip``,
        ``region``, ``country_code``, ``phone``, ``lang`` (missing keys count as empty)
    :param metadata_pairs: ``(key, value)`` pairs in order of priority (:func:`metadata_items`)
    :return: (params dict, list of :class:`Notice`)
    """

    def text(key):
        value = contact.get(key)
        return value.strip() if isinstance(value, str) and value.strip() else None

    params = {"email": text("email")}
    name = text("name") or ""
    if contact.get("is_company"):
        params["company_name"] = name
    else:
        parts = split_person_name(name)
        if parts:
            params["given_name"], params["family_name"] = parts
            if text("company_name"):
                params["company_name"] = text("company_name")
        else:
            # GoCardless needs a company name or both given and family names: a one-word
            # name (or the company's) goes in company_name
            params["company_name"] = text("company_name") or name
    country = text("country_code")
    params.update(
        {
            "address_line1": text("street"),
            "address_line2": text("street2"),
            "city": text("city"),
            "postal_code": text("zip"),
            "region": text("region"),
            "country_code": country.upper() if country else None,
            "phone_number": text("phone"),
            "language": language_code(contact.get("lang")),
        }
    )
    metadata, notices = fit_metadata(metadata_pairs)
    if metadata:
        params["metadata"] = metadata
    return {key: value for key, value in params.items() if value}, notices

"""The GoCardless customer an Odoo contact becomes: pure functions, no Odoo, no I/O.

The models gather a contact's values into a plain dict; :func:`customer_params` turns it into
the body of ``POST /customers`` and lists, as :class:`Notice` objects, every value that had to
be shortened or left out to respect GoCardless's limits (the Odoo layer translates them for
the user).
"""

from dataclasses import dataclass

from . import const

# notice codes
VALUE_SHORTENED = "value_shortened"  # a metadata value cut to METADATA_VALUE_MAX_LENGTH
KEY_TOO_LONG = "key_too_long"  # a metadata key longer than METADATA_KEY_MAX_LENGTH: left out
TOO_MANY_KEYS = "too_many_keys"  # more than METADATA_MAX_KEYS keys: the extra ones left out


@dataclass(frozen=True)
class Notice:
    """A value that could not be sent as it is."""

    code: str
    key: str
    length: int = 0  # the original length of a shortened value


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


def customer_params(contact, metadata_items):
    """The body of ``POST /customers`` for a contact.

    :param contact: dict with ``name``, ``is_company``, ``company_name`` (the company a
        person belongs to, or None), ``email``, ``street``, ``street2``, ``city``, ``zip``,
        ``region``, ``country_code``, ``phone``, ``lang`` (missing keys count as empty)
    :param metadata_items: ``(key, value)`` pairs in order of priority (see fit_metadata)
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
    metadata, notices = fit_metadata(metadata_items)
    if metadata:
        params["metadata"] = metadata
    return {key: value for key, value in params.items() if value}, notices

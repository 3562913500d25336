"""Deterministic demo data: 300 customers in the UK, France and Germany.

:func:`demo_customers` is a pure function (no randomness, no clock): another script can call
it to create matching records elsewhere (e.g. Odoo partners). Each item is a dict with:

``key``
    stable identifier ``"demo-001"`` .. ``"demo-300"``; :func:`load` stores it in the
    customer's ``metadata`` as ``{"demo_key": key}``.
``given_name``, ``family_name``, ``company_name``
    persons have given+family names; companies have ``company_name`` and, for about half of
    them, a contact's given+family names.
``email``
    as GoCardless would hold it: mostly lower case, some in mixed case, some with surrounding
    spaces, some ``None``; a few customers share an address with another customer, written in
    upper case (customers 050, 100, ... repeat the email of the customer before them).
``address_line1``, ``address_line2``, ``city``, ``region``, ``postal_code``,
``country_code`` (``GB``, ``FR`` or ``DE``), ``language`` (``en``, ``fr``, ``de``),
``phone_number`` (fictional ranges, or ``None``)
    customer fields, passed to GoCardless unchanged.
``scheme``
    ``bacs`` for GB, ``sepa_core`` for FR and DE.
``mandate_status``
    status of the customer's mandate, or ``None`` for a customer without a mandate.
``replaced``
    ``True`` when the customer has a first mandate that was cancelled and replaced by the
    mandate in ``mandate_status`` (its ``links.new_mandate`` points at the current one).
``payments``
    list of ``{"amount": int (minor units), "status": str, "description": str}`` collected on
    the current mandate.
"""

from __future__ import annotations

import unicodedata

DEMO_SIZE = 300

_GIVEN = {
    "GB": (
        "Oliver Amelia George Isla Harry Ava Jack Mia Charlie Grace Thomas Sophie James "
        "Emily William Lily Henry Freya"
    ).split(),
    "FR": (
        "Léa Hugo Chloé Louis Camille Gabriel Manon Jules Inès Arthur Zoé Théo Élodie Lucas"
    ).split(),
    "DE": (
        "Lukas Anna Jonas Lea Felix Marie Leon Sophie Paul Hannah Maximilian Jürgen Katrin Sören"
    ).split(),
}
_FAMILY = {
    "GB": (
        "Smith Jones Taylor Brown Williams Wilson Johnson Davies Robinson Wright Thompson "
        "Evans Walker White O'Brien Hughes Clarke Patel Khan Lewis Harris"
    ).split(),
    "FR": (
        "Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon "
        "Laurent Lefèvre Michel Garcia Fournier Girard Bonnet"
    ).split(),
    "DE": (
        "Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann "
        "Schäfer Koch Bauer Richter Klein Wolf Schröder Neumann"
    ).split(),
}
_COMPANIES = {
    "GB": [
        "Hamilton Trading Ltd",
        "Baker Street Bakery Ltd",
        "Thames Valley Plumbing Ltd",
        "Northern Lights Studio LLP",
        "Greenfield Garden Services",
        "Oakwood Dental Practice",
        "Kingsway Accountants LLP",
        "Riverside Yoga Ltd",
        "Bramble & Thorn Florists",
    ],
    "FR": [
        "Boulangerie Dupont SARL",
        "Atelier Lumière SAS",
        "Cabinet Martin & Associés",
        "Les Jardins de Provence SARL",
        "Transports Lefèvre SA",
        "Café du Marché",
    ],
    "DE": [
        "Bäckerei Schmidt GmbH",
        "Müller & Söhne KG",
        "Fahrradwerkstatt Weber",
        "Praxis Dr. Hoffmann",
        "Nordlicht Software GmbH",
        "Gärtnerei Becker e.K.",
    ],
}
_ADDRESSES = {
    "GB": [
        ("Baker Street", "London", "Greater London", "NW1 6XE"),
        ("High Street", "Oxford", "Oxfordshire", "OX1 4AA"),
        ("Deansgate", "Manchester", "Greater Manchester", "M3 2BW"),
        ("Park Row", "Leeds", "West Yorkshire", "LS1 5HD"),
        ("Princes Street", "Edinburgh", None, "EH2 2ER"),
        ("Queen Street", "Cardiff", None, "CF10 2BU"),
        ("Bold Street", "Liverpool", "Merseyside", "L1 4DS"),
        ("Corn Street", "Bristol", None, "BS1 1HT"),
    ],
    "FR": [
        ("rue de la Paix", "Paris", "Île-de-France", "75002"),
        ("rue de la République", "Lyon", "Auvergne-Rhône-Alpes", "69002"),
        ("La Canebière", "Marseille", "Provence-Alpes-Côte d'Azur", "13001"),
        ("rue Sainte-Catherine", "Bordeaux", "Nouvelle-Aquitaine", "33000"),
        ("rue du Faubourg de Pierre", "Strasbourg", "Grand Est", "67000"),
        ("quai de la Fosse", "Nantes", "Pays de la Loire", "44000"),
    ],
    "DE": [
        ("Friedrichstraße", "Berlin", "Berlin", "10117"),
        ("Maximilianstraße", "München", "Bayern", "80539"),
        ("Königsallee", "Düsseldorf", "Nordrhein-Westfalen", "40212"),
        ("Mönckebergstraße", "Hamburg", "Hamburg", "20095"),
        ("Zeil", "Frankfurt am Main", "Hessen", "60313"),
        ("Hohe Straße", "Köln", "Nordrhein-Westfalen", "50667"),
    ],
}
_DOMAINS = {"GB": "example.co.uk", "FR": "example.fr", "DE": "example.de"}
_LANGUAGES = {"GB": "en", "FR": "fr", "DE": "de"}
_SCHEMES = {"GB": "bacs", "FR": "sepa_core", "DE": "sepa_core"}
_PAYMENT_STATUSES = (
    "pending_submission",
    "submitted",
    "confirmed",
    "paid_out",
    "failed",
    "charged_back",
    "cancelled",
)


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.replace("ß", "ss"))
    return "".join(char for char in folded if char.isalnum() and char.isascii())


def _slug(text: str) -> str:
    words = [_ascii(word).lower() for word in text.split()]
    return "-".join(word for word in words if word)


def _country(index: int) -> str:
    return ("GB", "GB", "FR", "DE")[index % 4]


def _mandate_status(index: int) -> str | None:
    if index % 40 == 39:
        return None
    for modulus, remainder, status in (
        (20, 7, "pending_submission"),
        (20, 13, "submitted"),
        (25, 11, "cancelled"),
        (30, 19, "failed"),
        (35, 23, "expired"),
    ):
        if index % modulus == remainder:
            return status
    return "active"


def _phone(country: str, index: int) -> str | None:
    if index % 3 == 2:
        return None
    if country == "GB":
        return f"+44 20 7946 0{index % 1000:03d}"
    if country == "FR":
        return f"+33 1 99 00 {index % 100:02d} {(index * 7) % 100:02d}"
    return f"+49 30 23125 {index % 1000:03d}"


def demo_customers() -> list[dict]:
    """The demo customers, in creation order. Pure and deterministic."""
    customers: list[dict] = []
    seen_emails: set[str] = set()
    for index in range(DEMO_SIZE):
        country = _country(index)
        given_names, family_names = _GIVEN[country], _FAMILY[country]
        given = given_names[(index * 7 + index // 4) % len(given_names)]
        family = family_names[(index * 11 + index // 3) % len(family_names)]
        street, city, region, postal_code = _ADDRESSES[country][
            (index * 5 + index // 7) % len(_ADDRESSES[country])
        ]
        is_company = index % 5 == 4
        company = None
        if is_company:
            companies = _COMPANIES[country]
            company = companies[(index // 5) % len(companies)]
            if (index // 5) >= len(companies):
                company = f"{company} ({city})"
        number = 1 + (index * 17) % 180
        if country == "GB":
            line1 = f"{number} {street}"
        elif country == "FR":
            line1 = f"{number} {street}"
        else:
            line1 = f"{street} {number}"
        line2 = f"Flat {1 + index % 9}" if country == "GB" and index % 6 == 1 else None

        if is_company:
            local = "accounts" if index % 2 else "billing"
            email = f"{local}@{_slug(company)}.example.com"
        else:
            local = f"{_ascii(given)}.{_ascii(family)}".lower()
            email = f"{local}@{_DOMAINS[country]}"
        if email in seen_emails:
            email = email.replace("@", f"{index}@", 1)
        seen_emails.add(email)
        if index % 9 == 2:
            name_part, domain = email.split("@", 1)
            email = (
                ".".join(part.capitalize() for part in name_part.split("."))
                + "@"
                + (domain[0].upper() + domain[1:])
            )
        if index % 11 == 3:
            email = f"  {email} "
        if index % 13 == 5:
            email = None
        if index % 50 == 49 and customers[-1]["email"]:
            email = customers[-1]["email"].strip().upper()

        mandate_status = _mandate_status(index)
        payments = []
        if mandate_status == "active" and index % 6 == 0:
            status = _PAYMENT_STATUSES[(index // 6) % len(_PAYMENT_STATUSES)]
            payments.append(
                {
                    "amount": 1000 + ((index * 137) % 180) * 50,
                    "status": status,
                    "description": f"Invoice INV-2024-{index + 1:04d}",
                }
            )
            if index % 12 == 0:
                payments.append(
                    {
                        "amount": 2500,
                        "status": "pending_submission",
                        "description": f"Subscription fee {index + 1:04d}",
                    }
                )
        customers.append(
            {
                "key": f"demo-{index + 1:03d}",
                "given_name": given if (not is_company or index % 2 == 0) else None,
                "family_name": family if (not is_company or index % 2 == 0) else None,
                "company_name": company,
                "email": email,
                "address_line1": line1,
                "address_line2": line2,
                "city": city,
                "region": region,
                "postal_code": postal_code,
                "country_code": country,
                "language": _LANGUAGES[country],
                "phone_number": _phone(country, index),
                "scheme": _SCHEMES[country],
                "mandate_status": mandate_status,
                "replaced": mandate_status == "active" and index % 60 == 30,
                "payments": payments,
            }
        )
    return customers


_CUSTOMER_KEYS = (
    "given_name",
    "family_name",
    "company_name",
    "email",
    "address_line1",
    "address_line2",
    "city",
    "region",
    "postal_code",
    "country_code",
    "language",
    "phone_number",
)


def load(state) -> dict:
    """Create the demo data in an emulator state (caller holds its lock). No events."""
    paid_out_payouts: set[str] = set()
    for item in demo_customers():
        fields = {key: item[key] for key in _CUSTOMER_KEYS}
        fields["metadata"] = {"demo_key": item["key"]}
        customer = state.insert_customer(fields)
        status = item["mandate_status"]
        if status is None:
            continue
        links = {}
        if item["replaced"]:
            old = state.insert_mandate(customer["id"], "cancelled", item["scheme"], {})
            links = {"customer_bank_account": old["links"]["customer_bank_account"]}
        mandate = state.insert_mandate(customer["id"], status, item["scheme"], {"links": links})
        if item["replaced"]:
            old["links"]["new_mandate"] = mandate["id"]
        for spec in item["payments"]:
            payment = state.insert_payment(
                mandate["id"],
                spec["amount"],
                None,
                spec["status"],
                {"description": spec["description"]},
            )
            if spec["status"] == "paid_out":
                paid_out_payouts.add(state.payouts_desk.pay_into_open_payout(payment)["id"])
    for payout_id in paid_out_payouts:
        state.payouts[payout_id]["status"] = "paid"
    summary = state.counts()
    summary["preset"] = "demo"
    return summary

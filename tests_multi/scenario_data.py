"""The data of the two-servers scenario (``test_two_servers.py``).

GoCardless customers (seeded in the emulator, each with an active ACH mandate) and, for some
of them, an Odoo contact and open invoices. USD because it is the company currency of a
database without a localisation, and ACH is the scheme that collects USD: no currency to
activate, no exchange rate.
"""

CURRENCY = "USD"
SCHEME = "ach"
# any date in the past: the invoices are open and due whatever today is
INVOICE_DATE = "2024-01-15"

CUSTOMERS = [
    {
        "key": "ada",
        "given_name": "Ada",
        "family_name": "Lovelace",
        "email": "ada.lovelace@example.com",
        # another case than GoCardless's: Odoo's email rule matches it
        "contact": {"name": "Ada Lovelace", "email": "Ada.Lovelace@Example.com"},
        "invoices": ["120.00", "30.50"],
    },
    {
        "key": "bob",
        "given_name": "Bob",
        "family_name": "Builder",
        "email": "bob@builder.example",
        # known only through an extra email of the contact
        "contact": {
            "name": "Builder Ltd",
            "email": "info@builder.example",
            "extra_emails": ["bob@builder.example"],
        },
        "invoices": ["45.00"],
    },
    {
        "key": "chloe",
        "given_name": "Chloe",
        "family_name": "Price",
        "email": "chloe@example.org",
        "contact": {"name": "Chloe Price", "email": "chloe@example.org"},
        "invoices": ["99.99"],
    },
    {
        "key": "dan",
        "given_name": "Dan",
        "family_name": "Brown",
        "email": "dan@example.net",
        "contact": {"name": "Dan Brown", "email": "dan@example.net"},
        "invoices": ["250.00"],
    },
    {
        "key": "eve",
        "given_name": "Eve",
        "family_name": "Moneypenny",
        "email": "eve@example.com",
        # nothing due: the export skips her
        "contact": {"name": "Eve Moneypenny", "email": "eve@example.com"},
        "invoices": [],
    },
    # not in Odoo: the sync ("create missing customers") creates their contacts
    {
        "key": "fay",
        "given_name": "Fay",
        "family_name": "Wray",
        "email": "fay@example.com",
        "contact": None,
        "invoices": [],
    },
    {
        "key": "gus",
        "given_name": "Gus",
        "family_name": "Fring",
        "email": "gus@example.com",
        "contact": None,
        "invoices": [],
    },
]

# Added to GoCardless after the first sync: the scheduled sync creates its contact.
LATE_CUSTOMER = {
    "key": "hal",
    "given_name": "Hal",
    "family_name": "Jordan",
    "email": "hal@example.com",
}
# A second mandate of this customer, created in GoCardless after the sync (a webhook brings
# it: Odoo fetches it).
SECOND_MANDATE_OF = "dan"
# A payment created in the GoCardless dashboard (minor units) on this customer's mandate: a
# webhook brings it, Odoo fetches it; its "submitted" event reaches Odoo by polling only.
DASHBOARD_PAYMENT = {"customer": "chloe", "amount": 1500}
# New mandates of these customers race a customer sync: one fetched by the retry scheduled
# action while a sync stores it, one stored by the retry while a sync is reading GoCardless.
FETCH_RACE_CUSTOMER = "ada"
SYNC_RACE_CUSTOMER = "bob"

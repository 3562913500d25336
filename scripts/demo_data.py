"""Fill a fresh demo database for `make demo` (run once, right after the addon's install).

The Odoo side mirrors the emulator's deterministic demo account
(`gocardless_emulator.demo.demo_customers()`), so that the customer sync has something to show:
- most GoCardless customers have a contact with the same email, often in another case;
- some are known only through an extra email of their contact ("Billing");
- a few emails belong to two contacts (ambiguous: never linked automatically);
- the rest are not in Odoo yet ("create missing customers" creates them);
- every contact has open invoices in its mandate's currency (GBP for UK, EUR for FR/DE);
- a few Odoo-only customers, for pushing to GoCardless.

Usage: demo_data.py --database DB --addons-path PATHS --api-url URL --token T --secret S
"""

import argparse
from datetime import date, timedelta
from decimal import Decimal

from gocardless_emulator.demo import demo_customers

import odoo
from odoo import SUPERUSER_ID, Command, api


def person_name(item):
    person = " ".join(p for p in (item["given_name"], item["family_name"]) if p)
    return item["company_name"] or person


def case_variant(email, index):
    """The same address as GoCardless holds it, written differently by the Odoo user."""
    email = email.strip()
    if index % 3 == 0:
        return email.lower()
    if index % 3 == 1:
        local, _at, domain = email.partition("@")
        return f"{local.title()}@{domain.lower()}"
    return email.upper()


def setup_company(env):
    company = env.company
    gbp = env.ref("base.GBP")
    eur = env.ref("base.EUR")
    (gbp | eur).write({"active": True})
    company.write(
        {
            "name": "Demo Direct Debit Ltd",
            "country_id": env.ref("base.uk").id,
            "currency_id": gbp.id,
            "street": "1 Demo Street",
            "city": "London",
            "zip": "EC1V 7LQ",
            "email": "accounts@demo-direct-debit.example",
        }
    )
    env["res.currency.rate"].search([("currency_id", "in", (gbp | eur).ids)]).unlink()
    env["res.currency.rate"].create(
        {"currency_id": eur.id, "rate": 1.17, "name": date(2020, 1, 1), "company_id": company.id}
    )
    return company, {"GBP": gbp, "EUR": eur}


def create_partners(env, company):
    """Contacts for the GoCardless demo customers; returns [(partner, currency code)]."""
    Partner = env["res.partner"]
    countries = {country.code: country.id for country in env["res.country"].search([])}
    created = []
    ambiguous_twins = []
    for index, item in enumerate(demo_customers()):
        email = (item["email"] or "").strip()
        slot = index % 10
        if slot in (8, 9) or not email:
            continue  # not in Odoo yet
        vals = {
            "name": person_name(item),
            "is_company": bool(item["company_name"]),
            "street": item["address_line1"],
            "street2": item["address_line2"],
            "city": item["city"],
            "zip": item["postal_code"],
            "country_id": countries[item["country_code"]],
            "phone": item["phone_number"],
            "customer_rank": 1,
        }
        if slot == 6:
            # known to Odoo under another main address; GoCardless has the billing one
            local = email.split("@")[0].lower()
            vals["email"] = f"{local}@office.example"
            vals["extra_email_ids"] = [Command.create({"email": email.lower(), "label": "Billing"})]
        else:
            vals["email"] = case_variant(email, index)
        partner = Partner.create(vals)
        currency = "GBP" if item["country_code"] == "GB" else "EUR"
        created.append((partner, currency))
        if index % 30 == 7:
            ambiguous_twins.append((item, email))
    for item, email in ambiguous_twins:
        # a second contact with the same address: the sync reports it, never guesses
        twin = Partner.create(
            {
                "name": f"{person_name(item)} (duplicate)",
                "email": email.lower(),
                "customer_rank": 1,
            }
        )
        created.append((twin, "GBP" if item["country_code"] == "GB" else "EUR"))
    for name, email in [
        ("Willow & Wren Interiors Ltd", "hello@willowwren.example"),
        ("Samuel Okafor", "samuel.okafor@example.co.uk"),
        ("Fenwick Cycles Ltd", "accounts@fenwickcycles.example"),
    ]:
        partner = Partner.create(
            {"name": name, "email": email, "is_company": "Ltd" in name, "customer_rank": 1}
        )
        created.append((partner, "GBP"))
    return created


def create_invoices(env, company, partners, currencies):
    today = date.today()
    vals_list = []
    for number, (partner, currency) in enumerate(partners):
        for invoice in range(1 + number % 2):
            # in cents, as integers: no float arithmetic on amounts
            cents = 2500 + (number * 37 + invoice * 11) % 400 * 100 + number % 100
            amount = Decimal(cents) / 100
            vals_list.append(
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "currency_id": currencies[currency].id,
                    "invoice_date": today - timedelta(days=10 + 15 * invoice + number % 20),
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "name": "Monthly service" if invoice == 0 else "Consumables",
                                "quantity": 1,
                                "price_unit": float(amount),
                                "tax_ids": [Command.clear()],
                            }
                        )
                    ],
                }
            )
    moves = env["account.move"].create(vals_list)
    moves.action_post()
    return moves


def configure_account(env, company, api_url, token, secret):
    journal = env["account.journal"].create(
        {
            "name": "GoCardless",
            "code": "GOCA",
            "type": "bank",
            "company_id": company.id,
            "currency_id": False,
        }
    )
    account = company._gocardless_account()
    account.write(
        {
            "environment": "sandbox",
            "access_token": token,
            "webhook_secret": secret,
            "api_base_url": api_url,
            "prompt_new_customers": True,
            "sync_policy": "create",
            "journal_id": journal.id,
        }
    )
    account.action_test_connection()  # the emulator runs already: shows the creditor
    # the first customer sync is the visitor's to run: the scheduled one waits a day
    cron = env.ref("gocardless_sync.ir_cron_gocardless_sync_customers")
    cron.nextcall = cron.nextcall + timedelta(days=1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--addons-path", required=True)
    parser.add_argument("--api-url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--secret", required=True)
    args = parser.parse_args()
    odoo.tools.config.parse_config(
        [f"--database={args.database}", f"--addons-path={args.addons_path}", "--log-level=warn"]
    )
    registry = odoo.modules.registry.Registry(args.database)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
        company, currencies = setup_company(env)
        partners = create_partners(env, company)
        invoices = create_invoices(env, company, partners, currencies)
        configure_account(env, company, args.api_url, args.token, args.secret)
        print(f"demo data: {len(partners)} contacts, {len(invoices)} open invoices")


if __name__ == "__main__":
    main()

"""Benchmark scenario: the balance export of 10,000 customers.

``bench_export(env)`` creates, in bulk and outside the measurement, ``count`` contacts that
each owe an open, posted receivable balance (one journal entry with one receivable line per
contact) and have a GoCardless customer with a usable mandate whose scheme collects the
company's currency. It then measures ONLY the export: ``res.partner.action_gocardless_export_
balances()`` on those contacts, i.e. the grouped balance read, the mandate/customer reads, the
planning, the batch and its 10,000 lines, and the CSV file stored as an attachment (everything
flushed to the database). It returns ``{"seconds": wall time of the export, "queries": SQL
queries it ran}`` plus facts about the result, among them ``xlsx_download_seconds``: the time
of the first XLSX download, which builds that file (not part of the export, not in
"seconds").

The target: at most 0.25x the baseline (a bare ``res.partner.create`` of 10,000
partners in the same run). The data is created in the caller's transaction; the caller
decides whether to roll it back (the harness does).

Run alone against a database that has gocardless_sync installed::

    python3 -m odoo shell -d DB --addons-path=... <<'EOF'
    import sys; sys.path.insert(0, "bench")
    from bench_export import bench_export
    print(bench_export(env)); env.cr.rollback()
    EOF
"""

import time
from decimal import Decimal

# the company's currency -> a scheme that collects it (USD: ach, the generic chart's default)
SCHEME_OF_CURRENCY = {
    "AUD": "becs",
    "CAD": "pad",
    "DKK": "betalingsservice",
    "EUR": "sepa_core",
    "GBP": "bacs",
    "NZD": "becs_nz",
    "SEK": "autogiro",
    "USD": "ach",
}


def _create_data(env, count, prefix):
    company = env.company
    scheme = SCHEME_OF_CURRENCY.get(company.currency_id.name)
    if not scheme:
        raise RuntimeError(
            f"the company's currency {company.currency_id.name} is not collected by GoCardless"
        )
    account = company._gocardless_ensure_account()
    Account = env["account.account"]
    receivable = Account.search(
        [("company_ids", "in", company.id), ("account_type", "=", "asset_receivable")], limit=1
    )
    income = Account.search(
        [("company_ids", "in", company.id), ("account_type", "=", "income")], limit=1
    )
    journal = env["account.journal"].search(
        [("company_id", "=", company.id), ("type", "=", "general")], limit=1
    )
    partners = env["res.partner"].create(
        [
            {"name": f"{prefix} customer {n:05d}", "email": f"{prefix}{n}@example.com"}
            for n in range(count)
        ]
    )
    # amounts as Decimal (10.00 to 19.96), floats only for the ORM's fields
    debits = [Decimal(1000 + n % 997) / 100 for n in range(count)]
    lines = [
        (0, 0, {"account_id": receivable.id, "partner_id": partner.id, "name": "Balance",
                "debit": float(debit), "credit": 0.0})
        for debit, partner in zip(debits, partners, strict=True)
    ]  # fmt: skip
    total = sum(debits)
    lines.append(
        (0, 0, {"account_id": income.id, "name": "Sales", "debit": 0.0, "credit": float(total)})
    )
    move = (
        env["account.move"]
        .with_context(tracking_disable=True)
        .create(
            {
                "move_type": "entry",
                "date": "2025-01-10",
                "journal_id": journal.id,
                "line_ids": lines,
            }
        )
    )
    move.action_post()
    customers = env["gocardless.customer"].create(
        [
            {
                "account_id": account.id,
                "partner_id": partner.id,
                "gocardless_id": f"CU{prefix.upper()}{n:08d}",
                "given_name": "Bench",
                "family_name": partner.name,
                "email": partner.email,
            }
            for n, partner in enumerate(partners)
        ]
    )
    env["gocardless.mandate"].create(
        [
            {
                "customer_id": customer.id,
                "gocardless_id": f"MD{prefix.upper()}{n:08d}",
                "status": "active",
                "scheme": scheme,
                "next_possible_charge_date": "2025-01-15",
            }
            for n, customer in enumerate(customers)
        ]
    )
    env.flush_all()
    return partners, total


def bench_export(env, count=10000, prefix="bx"):
    """Export the balances of ``count`` new customers; return seconds and queries of the
    export alone (see the module's docstring).

    :param env: an environment of the company to use whose user may export (GoCardless
        Manager with Invoicing rights; a superuser environment is fine). The company's
        currency must be one GoCardless collects (the generic chart's USD is).
    """
    partners, total = _create_data(env, count, prefix)
    env.invalidate_all()
    cr = env.cr
    queries_before = cr.sql_log_count
    start = time.perf_counter()
    action = partners.action_gocardless_export_balances()
    env.flush_all()
    seconds = time.perf_counter() - start
    queries = cr.sql_log_count - queries_before
    opened = action["params"].get("next") or {}  # the toast, then the batch
    batch = env["gocardless.export"].browse(opened.get("res_id") or [])
    if len(batch.line_ids) != count or batch.skip_ids:
        raise RuntimeError(f"expected {count} lines, got {len(batch.line_ids)} and skips")
    exported = sum(batch._gocardless_totals().values())
    if exported != total:
        raise RuntimeError(f"export total {exported} differs from the balances' {total}")
    # not part of the export: the XLSX is built on its first download
    start = time.perf_counter()
    batch.action_download_xlsx()
    env.flush_all()
    xlsx_seconds = time.perf_counter() - start
    return {
        "seconds": round(seconds, 3),
        "queries": queries,
        "lines": len(batch.line_ids),
        "csv_bytes": len(batch.csv_attachment_id.raw),
        "xlsx_download_seconds": round(xlsx_seconds, 3),
    }


def run(env, size):
    """The harness's entry point (bench/run.py): ``{"seconds", "queries", "check",
    "detail"}`` for an export of ``size`` customers; ``check`` is False when the export did
    not produce exactly one line per customer with the right total."""
    try:
        outcome = bench_export(env, count=size)
    except RuntimeError as error:
        return {"seconds": float("nan"), "queries": 0, "check": False, "detail": str(error)}
    return dict(
        outcome,
        check=True,
        detail=(
            f"{outcome['lines']} lines, {outcome['queries']} queries, CSV "
            f"{outcome['csv_bytes']} bytes; first XLSX download "
            f"{outcome['xlsx_download_seconds']} s"
        ),
    )

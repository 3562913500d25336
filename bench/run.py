"""`make bench`: the project's performance scenarios (docs/benchmarks.md), as ratios to a
baseline measured in the same run on the same database.

Baseline: a bare batch ``res.partner.create`` of N partners (name + email). Scenarios:
- first sync of N GoCardless customers (one mandate each) against N existing partners with two
  emails each (main + extra), linking all of them: target <= 0.6 x baseline;
- re-sync with nothing changed: <= 0.15 x baseline, and it writes no contact, link or mandate;
- create-missing sync of N new customers (contacts created): <= 1.3 x baseline;
- SQL queries per 500-customer page: bounded by a constant (compared at N/2 and N);
- balance export of N partners (when ``bench/bench_export.py`` is present): <= 0.25 x baseline;
- the emulator serves a 500-customer page in under 50 ms.

Each scenario runs in a savepoint that is rolled back, on a throwaway database that
scripts/bench.sh creates and drops. Usage: run.py --database DB --addons-path PATHS [--size N]
"""

import argparse
import importlib.util
import os
import statistics
import sys
import time
from contextlib import contextmanager

import requests

import odoo
from odoo import SUPERUSER_ID, api

from gocardless_emulator import Emulator

TOKEN = "bench-token"


class Measure:
    def __init__(self, env):
        self.env = env

    @contextmanager
    def __call__(self, results, name):
        cr = self.env.cr
        self.env.flush_all()
        queries = cr.sql_log_count
        start = time.perf_counter()
        row = {"name": name}
        results.append(row)
        yield row
        self.env.flush_all()
        row["seconds"] = time.perf_counter() - start
        row["queries"] = cr.sql_log_count - queries


@contextmanager
def rolled_back(env):
    """Run a scenario and undo it, with a clean ORM cache before and after."""
    env.flush_all()
    env.invalidate_all()
    with env.cr.savepoint(flush=False) as savepoint:
        yield
        env.flush_all()
        savepoint.rollback()
    env.invalidate_all()
    env.registry.clear_cache()


def partners_vals(size, prefix, extra_email=False):
    vals = []
    for n in range(size):
        row = {"name": f"{prefix} {n}", "email": f"customer{n}@example.com"}
        if extra_email:
            row["extra_email_ids"] = [(0, 0, {"email": f"billing{n}@example.com"})]
        vals.append(row)
    return vals


def bench(env, emulator, size):
    measure = Measure(env)
    results = []
    account = env["gocardless.account"].search([("company_id", "=", env.company.id)])
    account.write({"access_token": TOKEN, "api_base_url": emulator.base_url, "api_timeout": 120})
    engine = env["gocardless.customer.sync"]

    # baseline
    with rolled_back(env):
        vals = partners_vals(size, "Baseline")
        with measure(results, f"baseline: res.partner.create of {size} partners"):
            env["res.partner"].create(vals)
    baseline = results[-1]["seconds"]

    # first sync (link all) and re-sync (nothing changed)
    emulator.reset()
    emulator.seed_customers(size, mandate_status="active")
    with rolled_back(env):
        env["res.partner"].create(partners_vals(size, "Existing", extra_email=True))
        with measure(results, f"first sync: {size} customers, link all") as row:
            log = engine._run(account, "skip")
        row.update(target=0.6, check=log.matched_count == size, detail=log._counts_text())
        stamp = _write_stamp(env, account)
        with measure(results, "re-sync, nothing changed") as row:
            log = engine._run(account, "skip")
        unchanged = _write_stamp(env, account) == stamp
        row.update(
            target=0.15,
            check=log.matched_count == size and unchanged,
            detail=("writes nothing" if unchanged else "WROTE RECORDS") + ", " + log._counts_text(),
        )

    # create missing
    with rolled_back(env):
        with measure(results, f"create-missing sync: {size} new customers") as row:
            log = engine._run(account, "create")
        row.update(target=1.3, check=log.created_count == size, detail=log._counts_text())

    # queries per 500-customer page, at half and full size
    per_page = []
    for count in (size // 2, size):
        emulator.reset()
        emulator.seed_customers(count, mandate_status="active")
        with rolled_back(env):
            env["res.partner"].create(partners_vals(count, "Pages", extra_email=True))
            with measure([], "pages") as row:
                engine._run(account, "skip")
            per_page.append(row["queries"] / (count / 500))
    results.append(
        {
            "name": "SQL queries per 500-customer page (N/2 vs N)",
            "detail": f"{per_page[0]:.1f} vs {per_page[1]:.1f}",
            "check": per_page[1] <= per_page[0] * 1.2 + 1,
        }
    )

    # balance export (the export scenario lives in bench/bench_export.py)
    export_path = os.path.join(os.path.dirname(__file__), "bench_export.py")
    if os.path.exists(export_path):
        spec = importlib.util.spec_from_file_location("bench_export", export_path)
        bench_export = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(bench_export)
        with rolled_back(env):
            outcome = bench_export.run(env, size)
        results.append(
            {
                "name": f"balance export: {size} partners",
                "seconds": outcome["seconds"],
                "queries": outcome["queries"],
                "target": 0.25,
                "check": outcome.get("check", True),
                "detail": outcome.get("detail", ""),
            }
        )

    # the emulator alone
    emulator.reset()
    emulator.seed_customers(size, mandate_status=None)
    timings, after = [], None
    headers = {"Authorization": f"Bearer {TOKEN}", "GoCardless-Version": "2015-07-06"}
    while True:
        params = {"limit": 500, **({"after": after} if after else {})}
        start = time.perf_counter()
        response = requests.get(
            emulator.base_url + "/customers", params=params, headers=headers, timeout=30
        )
        timings.append(time.perf_counter() - start)
        after = response.json()["meta"]["cursors"]["after"]
        if not after:
            break
    median_ms = statistics.median(timings) * 1000
    results.append(
        {
            "name": "emulator: one 500-customer page (median)",
            "detail": f"{median_ms:.1f} ms over {len(timings)} pages",
            "check": median_ms < 50,
        }
    )
    return baseline, results


def _write_stamp(env, account):
    """The latest write dates of the contacts, links and mandates (to prove "writes nothing")."""
    env.flush_all()
    env.cr.execute(
        """
        SELECT (SELECT max(write_date) FROM res_partner),
               (SELECT max(write_date) FROM gocardless_customer WHERE account_id = %s),
               (SELECT max(write_date) FROM gocardless_mandate WHERE account_id = %s),
               (SELECT count(*) FROM gocardless_mandate WHERE account_id = %s)
        """,
        [account.id, account.id, account.id],
    )
    return env.cr.fetchone()


def report(baseline, results, size):
    lines = [
        f"| scenario (N = {size}) | seconds | SQL queries | ratio to baseline | target | result |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    failed = False
    for row in results:
        seconds = row.get("seconds")
        ratio = seconds / baseline if seconds is not None and "target" in row else None
        ok = row.get("check", True) and (ratio is None or ratio <= row["target"])
        failed |= not ok
        lines.append(
            "| {name} | {seconds} | {queries} | {ratio} | {target} | {result} |".format(
                name=row["name"] + (f" ({row['detail']})" if row.get("detail") else ""),
                seconds=f"{seconds:.2f}" if seconds is not None else "",
                queries=row.get("queries", ""),
                ratio=f"{ratio:.2f}x" if ratio is not None else "",
                target=f"<= {row['target']}x" if "target" in row else "",
                result="ok" if ok else "MISSED",
            )
        )
    return "\n".join(lines), failed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--addons-path", required=True)
    parser.add_argument("--size", type=int, default=10000)
    args = parser.parse_args()
    odoo.tools.config.parse_config(
        [f"--database={args.database}", f"--addons-path={args.addons_path}", "--log-level=warn"]
    )
    emulator = Emulator(access_token=TOKEN, rate_limit=None).start()
    try:
        registry = odoo.modules.registry.Registry(args.database)
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            baseline, results = bench(env, emulator, args.size)
            cr.rollback()
    finally:
        emulator.stop()
    table, failed = report(baseline, results, args.size)
    print(table)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

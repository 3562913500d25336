"""Two Odoo servers (prefork: 2 HTTP workers and a cron worker each) on one database and one
GoCardless emulator: the same webhook deliveries, the same customer sync, the same collection
and the same recording started on both at once, the scheduled actions run by both; then every
event, contact, link, mandate, GoCardless payment, Odoo payment and journal entry exists
exactly once, the refused runs said why, and the servers logged no error.

The module's ``scenario`` fixture plays the whole scenario once (about 30 s, half of it
starting the servers); each test checks one property of its outcome. Concurrency is made
deterministic where the outcome would otherwise depend on timing: the first sync (or
collection) to reach GoCardless is held at a gate of the emulator until the other server's
run has been refused; the first recording to write a payment is held by a table lock
likewise. Three phases (``fetch_vs_sync``, ``sync_vs_fetch``, ``poll_vs_sync``) hold one run
at a gate while another one commits, to reproduce races of today's code (see
``KNOWN_ERRORS``). Every wait is bounded and polls the database or the emulator; nothing
sleeps for a fixed time.
"""

import os
import re
import time
from collections import Counter
from decimal import Decimal
from functools import partial

import pytest

from . import scenario_data as data
from .servers import (
    Database,
    GatedEmulator,
    Rpc,
    RpcError,
    cron_ids,
    launch_at_once,
    make_crons_due,
    outcomes,
    postpone_crons,
    query,
    start_servers,
    table_locked,
    wait_crons_ran,
    wait_for,
)

TOKEN = "multi-server-token"
WEBHOOK_SECRET = "multi-server-webhook-secret"
MANAGER_LOGIN = "gc_manager"
MANAGER_PASSWORD = "gc-manager-password"
SERVERS = 2
RETRY = "gocardless_sync.ir_cron_gocardless_retry_events"
POLL = "gocardless_sync.ir_cron_gocardless_poll_events"
SYNC = "gocardless_sync.ir_cron_gocardless_sync_customers"
CRONS = (SYNC, POLL, RETRY)
# what the refused runs must say (the start of each UserError's text)
SYNC_REFUSED = "A customer sync of"
SYNC_REFUSED_END = "is already running"
BATCH_BUSY = "is being recorded, collected or refreshed right now"
USER_ERROR = "odoo.exceptions.UserError"
# Bugs this test finds in today's code (the checks that show them are xfail, strict: they
# fail the run once the bug is fixed, so that the mark is removed then).
FETCH_RACE_BUG = (
    "gocardless.mandate._gocardless_store creates mandates without guarding against a "
    "concurrent insert: when a customer sync stores a new mandate while the retry scheduled "
    "action is fetching it for a webhook's event, the event fails on "
    "gocardless_mandate_gocardless_id_company_uniq (state error, logged with a traceback) "
    "until the next retry"
)
SYNC_RACE_BUG = (
    "the same unguarded insert makes a customer sync fail as a whole ('linked by someone "
    "else while the sync ran ... run it again', an ERROR 'bad query' logged) when the retry "
    "scheduled action stored a mandate that the sync also read"
)
POLL_RACE_BUG = (
    "the polling and the customer sync both write the gocardless.account row "
    "(last_event_polled_at, last_customer_sync_at): a polling that began before a sync "
    "committed fails on 'could not serialize access due to concurrent update' (logged with a "
    "traceback by _cron_poll) and stores none of the events it read, until a later polling"
)
KNOWN_ERRORS = {
    "fetch_vs_sync": FETCH_RACE_BUG,
    "sync_vs_fetch": SYNC_RACE_BUG,
    "poll_vs_sync": POLL_RACE_BUG,
}
# a scheduled action of the addon run to its end, in a server's log
CRON_DONE = re.compile(r"Job 'GoCardless: [^']+' \(\d+\) completed")
# upper bounds of the waits (seconds): far above what they take, to never wait forever
WAIT = 90
# the scenario's phases, in order ("start": up to the servers configured; "stop": stopping)
PHASES = (
    "start",
    "sync",
    "collect",
    "record",
    "webhooks",
    "fetch_vs_sync",
    "sync_vs_fetch",
    "poll_vs_sync",
    "crons",
    "stop",
)


class Scenario:
    """The scenario's set-up, play and results; the harness pieces come from servers.py."""

    def __init__(self, work_dir):
        self.work_dir = work_dir
        self.data_dir = work_dir / "data"
        self.log_dir = work_dir / "logs"
        self.database = None
        self.connection = None
        self.emulator = None
        self.servers = []
        self.timings = {}
        self.windows = {}  # phase -> (log marks at its start, at its end)
        self.reported = False  # the logs were shown with a failure
        self.logs = {}
        self.stragglers = {}
        self.deliveries = []
        self.customers = {}  # key -> {"customer": GoCardless ID, "mandate": ..., "partner": id}

    # -- set-up --------------------------------------------------------------------------
    def prepare(self):
        """The database, the emulator with its customers, two servers, users, the account,
        contacts and invoices."""
        started = time.monotonic()
        self._create_database()
        self.connection = self.database.connect()
        postpone_crons(self.connection)
        self.crons = cron_ids(self.connection, CRONS)
        self.emulator = GatedEmulator(access_token=TOKEN, rate_limit=None).start()
        # the wait of a delivery for its answer: generous, the machine may be busy
        self.emulator.webhook_timeout = 60
        self._seed_emulator()
        self.timings["database and emulator"] = time.monotonic() - started
        started = time.monotonic()
        self.servers = start_servers(self.database, SERVERS, self.log_dir)
        self.timings["servers started"] = time.monotonic() - started
        started = time.monotonic()
        self.admin = Rpc(self.servers[0].url, self.database.name, "admin", "admin")
        self._configure()
        self.managers = [
            Rpc(server.url, self.database.name, MANAGER_LOGIN, MANAGER_PASSWORD)
            for server in self.servers
        ]
        self.timings["users, account, contacts, invoices"] = time.monotonic() - started

    def _create_database(self):
        template = os.environ.get("GCS_MULTI_TEMPLATE")
        if template:
            # scripts/test.sh copies the freshly installed test database for this test
            name = f"{template}_{os.getpid()}"
            self.database = Database.from_template(
                template,
                name,
                self.data_dir,
                template_data_dir=os.environ.get("GCS_MULTI_TEMPLATE_DATA_DIR"),
            )
        else:
            # run alone (no template): install the addon, about a minute
            name = f"gcs_multi_{time.strftime('%Y%m%d%H%M%S')}_{os.getpid()}"
            self.database = Database(name, self.data_dir)  # dropped even if install fails
            self.log_dir.mkdir(parents=True, exist_ok=True)
            with open(self.log_dir / "install.log", "wb") as log:
                Database.install(name, self.data_dir, log=log)

    def _seed_emulator(self):
        for item in data.CUSTOMERS:
            self._add_gocardless_customer(item)

    def _add_gocardless_customer(self, item):
        customer = self.emulator.add_customer(
            given_name=item["given_name"],
            family_name=item["family_name"],
            email=item["email"],
            country_code="US",
        )
        mandate = self.emulator.add_mandate(customer["id"], status="active", scheme=data.SCHEME)
        self.customers[item["key"]] = {"customer": customer["id"], "mandate": mandate["id"]}

    def _configure(self):
        admin = self.admin
        groups = [
            admin.ref("base.group_user"),
            # the sync creates the contacts of new GoCardless customers
            admin.ref("base.group_partner_manager"),
            admin.ref("gocardless_sync.group_gocardless_manager"),
            admin.ref("account.group_account_invoice"),
        ]
        admin(
            "res.users",
            "create",
            {
                "name": "GoCardless Manager",
                "login": MANAGER_LOGIN,
                "password": MANAGER_PASSWORD,
                "email": "gc.manager@example.com",
                "groups_id": [(6, 0, groups)],
            },
        )
        [bank_journal] = admin("account.journal", "search", [("code", "=", "BNK1")])
        accounts = admin("gocardless.account", "search", [])
        assert len(accounts) == 1, accounts
        self.account_id = accounts[0]
        admin(
            "gocardless.account",
            "write",
            accounts,
            {
                "environment": "sandbox",
                "access_token": TOKEN,
                "api_base_url": self.emulator.base_url,
                "webhook_secret": WEBHOOK_SECRET,
                "journal_id": bank_journal,
                "sync_policy": "create",
                "api_timeout": 30.0,
            },
        )
        with_contact = [item for item in data.CUSTOMERS if item["contact"]]
        partner_ids = admin(
            "res.partner",
            "create",
            [
                {
                    "name": item["contact"]["name"],
                    "email": item["contact"]["email"],
                    "extra_email_ids": [
                        (0, 0, {"email": email})
                        for email in item["contact"].get("extra_emails", [])
                    ],
                }
                for item in with_contact
            ],
        )
        for item, partner_id in zip(with_contact, partner_ids, strict=True):
            self.customers[item["key"]]["partner"] = partner_id
        [sale_journal] = admin("account.journal", "search", [("type", "=", "sale")], limit=1)
        invoices = [
            {
                "move_type": "out_invoice",
                "partner_id": self.customers[item["key"]]["partner"],
                "invoice_date": data.INVOICE_DATE,
                "date": data.INVOICE_DATE,
                "invoice_date_due": data.INVOICE_DATE,
                "journal_id": sale_journal,
                "invoice_line_ids": [
                    (0, 0, {"name": "Service", "quantity": 1, "price_unit": amount, "tax_ids": []})
                ],
            }
            for item in with_contact
            for amount in item["invoices"]
        ]
        move_ids = admin("account.move", "create", invoices)
        admin("account.move", "action_post", move_ids)
        self.contact_ids = partner_ids

    # -- the play ------------------------------------------------------------------------
    def play(self):
        """Run the phases in order; the log lines of each phase are kept apart (``windows``)
        so that a check can tell which phase logged an error."""
        self.windows["start"] = (None, self._marks())
        for phase in PHASES[1:-1]:
            started, marks = time.monotonic(), self._marks()
            getattr(self, f"_phase_{phase}")()
            self.windows[phase] = (marks, self._marks())
            self.timings[phase] = time.monotonic() - started
        started, marks = time.monotonic(), self._marks()
        self.stop_servers()
        self.windows["stop"] = (marks, None)
        self.timings["stop"] = time.monotonic() - started

    def _marks(self):
        return {server.name: server.log_mark() for server in self.servers}

    def problems(self, phase):
        """The ERROR / CRITICAL / traceback lines the servers logged during ``phase``."""
        start, end = self.windows[phase]
        return [
            line
            for server in self.servers
            for line in server.problem_lines(start and start[server.name], end and end[server.name])
        ]

    def lines(self, phase):
        start, end = self.windows[phase]
        return {
            server.name: server.log_lines(start and start[server.name], end and end[server.name])
            for server in self.servers
        }

    def _held_while_refused(self, held, futures, what):
        """Wait until one run has ended (the refused one) and the other waits at the gate;
        or until both wait there (both got the lock: a bug the checks report), or both have
        ended (neither reached the gate). Return how many waited at the gate."""

        def settled():
            ended = sum(future.done() for future in futures)
            waiting = held()
            return ended == len(futures) or waiting >= len(futures) or (ended and waiting)

        wait_for(settled, WAIT, what)
        return held()

    def _sync_on(self, rpc):
        """A manual customer sync through the wizard, as the GoCardless Manager."""
        wizard = "gocardless.customer.sync.wizard"
        wizard_id = rpc(wizard, "create", {"missing_policy": "create"})
        return partial(rpc, wizard, "action_sync", [wizard_id])

    def _event_state(self, event_id):
        rows = self.rows(
            "SELECT state, attempt_count, error_message FROM gocardless_event "
            "WHERE gocardless_id = %s",
            [event_id],
        )
        return rows[0] if rows else None

    def _phase_sync(self):
        syncs = [self._sync_on(rpc) for rpc in self.managers]
        # the sync that takes the lock waits at its first read of GoCardless until the other
        # one has been refused
        with self.emulator.gate("GET", "/customers") as gate:
            futures = launch_at_once(*syncs)
            self.sync_held = self._held_while_refused(
                lambda: gate.held, futures, "one sync refused while the other reads GoCardless"
            )
        self.sync_outcomes = outcomes(futures)

    def _phase_collect(self):
        action = self.managers[0](
            "res.partner", "action_gocardless_export_balances", self.contact_ids
        )
        assert "next" in action["params"], action
        self.batch_id = action["params"]["next"]["res_id"]
        # the collection reads the batch's payments (GET /payments) before creating any
        with self.emulator.gate(None, "/payments") as gate:
            futures = launch_at_once(
                *(
                    partial(rpc, "gocardless.export", "action_collect", [self.batch_id])
                    for rpc in self.managers
                )
            )
            self.collect_held = self._held_while_refused(
                lambda: gate.held, futures, "one collection refused while the other runs"
            )
        self.collect_outcomes = outcomes(futures)

    def _phase_record(self):
        # recording calls no API: the first recording to insert its payments waits for this
        # lock (holding the batch's lock) while the other is refused
        with table_locked(self.database, "account_payment") as waiting:
            futures = launch_at_once(
                *(
                    partial(rpc, "gocardless.export", "action_record_payments", [self.batch_id])
                    for rpc in self.managers
                )
            )
            self.record_held = self._held_while_refused(
                waiting, futures, "one recording refused while the other writes payments"
            )
        self.record_outcomes = outcomes(futures)

    def _deliver(self, name, event_ids, webhook_id=None):
        """One delivery of ``event_ids`` sent to every server at the same instant (the same
        body, the same webhook ID: GoCardless's one delivery reaching two servers)."""
        webhook_id = webhook_id or f"WBMULTI{len(self.deliveries) + 1:04d}"
        futures = launch_at_once(
            *(
                partial(
                    self.emulator.send_webhook,
                    f"{server.url}/gocardless/webhook",
                    WEBHOOK_SECRET,
                    events=list(event_ids),
                    webhook_id=webhook_id,
                )
                for server in self.servers
            )
        )
        answers = outcomes(futures, timeout=WAIT)
        self.deliveries.append((name, webhook_id, answers))
        return webhook_id

    def _no_event_waits(self):
        return not self.rows("SELECT id FROM gocardless_event WHERE state = 'new'")

    def _phase_webhooks(self):
        emulator = self.emulator
        self.collected_payments = sorted(
            payment["id"]
            for payment in emulator.payments.values()
            if (payment.get("metadata") or {}).get("odoo_ref")
        )
        # what the collection recorded (payments/created)
        self._deliver("payments created", list(emulator.events))
        submitted = None
        for action in ("submitted", "confirmed", "paid_out"):
            events = [
                event["id"]
                for payment_id in self.collected_payments
                for event in emulator.payment_action(payment_id, action)
            ]
            webhook_id = self._deliver(f"payments {action}", events)
            if action == "submitted":
                submitted = (events, webhook_id)
        # GoCardless delivers again what it thinks failed: the same body, the same webhook ID
        self._deliver("payments submitted, delivered again", *submitted)
        # made in GoCardless, unknown to Odoo: the delivery leaves the fetch to the retry
        customer_of = self.customers[data.SECOND_MANDATE_OF]["customer"]
        self.second_mandate = emulator.add_mandate(customer_of, scheme=data.SCHEME)["id"]
        on_mandate = self.customers[data.DASHBOARD_PAYMENT["customer"]]["mandate"]
        self.dashboard_payment = emulator.add_payment(
            on_mandate, data.DASHBOARD_PAYMENT["amount"], currency=data.CURRENCY
        )["id"]
        mandate_event = emulator.record_event(
            "mandates", "created", {"mandate": self.second_mandate}
        )
        payment_event = emulator.record_event(
            "payments", "created", {"payment": self.dashboard_payment}
        )
        self._deliver("unknown mandate and payment", [mandate_event["id"], payment_event["id"]])
        # the retry scheduled action, triggered by the delivery, fetches them
        wait_for(self._no_event_waits, WAIT, "the retry scheduled action fetched them")

    def _new_mandate_event(self, key):
        """A new mandate of a linked customer in GoCardless, and its event (not delivered)."""
        customer = self.customers[key]["customer"]
        mandate = self.emulator.add_mandate(customer, scheme=data.SCHEME)["id"]
        event = self.emulator.record_event("mandates", "created", {"mandate": mandate})["id"]
        return mandate, event

    def _phase_fetch_vs_sync(self):
        """The retry scheduled action (one server) fetches a new mandate that a webhook
        announced; a customer sync (the other server, or the same) stores that mandate and
        commits before the fetch ends."""
        self.fetch_race_mandate, event = self._new_mandate_event(data.FETCH_RACE_CUSTOMER)
        self.fetch_race_event = event
        with self.emulator.gate("GET", f"/mandates/{self.fetch_race_mandate}") as gate:
            self._deliver("new mandate, fetched while a sync runs", [event])
            wait_for(lambda: gate.held, WAIT, "the retry scheduled action fetching the mandate")
            self.fetch_race_sync = attempt(self._sync_on(self.managers[0]))
        wait_for(
            lambda: (self._event_state(event) or ("new",))[0] != "new",
            WAIT,
            "the retry scheduled action done with the event",
        )
        self.fetch_race_state = self._event_state(event)
        wait_crons_ran(self.connection, [self.crons[RETRY]], timeout=WAIT)

    def _phase_sync_vs_fetch(self):
        """A customer sync (one server) has read nothing yet when the retry scheduled action
        (a webhook announced a new mandate) fetches and stores that mandate and commits; the
        sync then reads GoCardless, mandate included, and stores what it found."""
        self.sync_race_mandate, event = self._new_mandate_event(data.SYNC_RACE_CUSTOMER)
        self.sync_race_event = event
        with self.emulator.gate("GET", "/customers") as gate:
            [future] = launch_at_once(self._sync_on(self.managers[0]))
            wait_for(lambda: gate.held, WAIT, "the sync reading GoCardless")
            self._deliver("new mandate, fetched while a sync waits", [event])
            wait_for(
                lambda: (self._event_state(event) or ("new",))[0] != "new",
                WAIT,
                "the retry scheduled action applied the event",
            )
        [self.sync_race_outcome] = outcomes([future])
        wait_crons_ran(self.connection, [self.crons[RETRY]], timeout=WAIT)

    def _run_crons(self, *xmlids):
        """Make these scheduled actions due and wait until they have run."""
        ids = [self.crons[xmlid] for xmlid in xmlids]
        make_crons_due(self.connection, ids)
        wait_crons_ran(self.connection, ids, timeout=WAIT)

    def _phase_poll_vs_sync(self):
        """The polling (one server's cron worker) has begun when the scheduled sync (the other
        server's: the first one is busy) writes the account and commits; the polling then
        stores the events it read. An event no webhook delivered is there to be polled."""
        submitted = self.emulator.payment_action(self.dashboard_payment, "submitted")
        self.poll_race_events = [event["id"] for event in submitted]
        with self.emulator.gate("GET", "/events") as gate:
            make_crons_due(self.connection, [self.crons[POLL]])
            wait_for(lambda: gate.held, WAIT, "a cron worker polling GoCardless")
            self._run_crons(SYNC)
        wait_crons_ran(self.connection, [self.crons[POLL]], timeout=WAIT)
        self.poll_race_stored = self.rows(
            "SELECT gocardless_id FROM gocardless_event WHERE gocardless_id = ANY(%s)",
            [self.poll_race_events],
        )

    def _phase_crons(self):
        """Each scheduled action of the addon, with work to do, on both servers: the sync
        creates the contact of a customer new in GoCardless; the polling, held on one server,
        finds an event no webhook delivered while the retry (on the other server: the first
        one is busy) applies the event left in error by ``fetch_vs_sync``. Then each runs
        again with nothing new to do. Actions that write the same rows (the sync and the
        polling both write the account) never overlap here: ``poll_vs_sync`` is about that."""
        self._add_gocardless_customer(data.LATE_CUSTOMER)
        confirmed = self.emulator.payment_action(self.dashboard_payment, "confirmed")
        self.polled_only = self.poll_race_events + [event["id"] for event in confirmed]
        self._run_crons(SYNC)
        with self.emulator.gate("GET", "/events") as gate:
            make_crons_due(self.connection, [self.crons[POLL]])
            wait_for(lambda: gate.held, WAIT, "a cron worker polling GoCardless")
            self._run_crons(RETRY)
            self.poll_held = gate.held
        wait_crons_ran(self.connection, [self.crons[POLL]], timeout=WAIT)
        for xmlid in CRONS:
            self._run_crons(xmlid)

    # -- tear-down -----------------------------------------------------------------------
    def stop_servers(self):
        for server in self.servers:
            if server.process is not None and server.name not in self.stragglers:
                self.stragglers[server.name] = server.stop()
                self.logs[server.name] = server.log_text()

    def cleanup(self):
        try:
            self.stop_servers()
        finally:
            if self.emulator is not None:
                self.emulator.stop()
            if self.connection is not None:
                self.connection.close()
            if self.database is not None:
                if os.environ.get("GCS_MULTI_KEEP"):  # to look into it after a failure
                    print(f"kept database {self.database.name}, data in {self.data_dir}")
                else:
                    self.database.drop()

    def logs_report(self):
        """What the servers logged, for a failed check: the timings, the problem lines, the
        end of each log (in full for the first failure only)."""
        parts = [f"logs in {self.log_dir}"]
        parts += [f"{name}: {seconds:.1f} s" for name, seconds in self.timings.items()]
        problems = [line for server in self.servers for line in server.problem_lines()]
        parts += ["problems:", *(problems or ["none"])]
        if self.reported:
            parts.append("(the end of the logs is shown with the first failure)")
            return "\n".join(parts)
        self.reported = True
        for server in self.servers:
            text = self.logs.get(server.name) or server.log_text()
            parts.append("\n".join(text.splitlines()[-150:]))
        return "\n".join(parts)

    # -- reading the outcome -------------------------------------------------------------
    def rows(self, statement, params=None):
        return query(self.connection, statement, params)


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    run = Scenario(tmp_path_factory.mktemp("two_servers"))
    try:
        run.prepare()
        run.play()
    except BaseException:
        try:
            print(run.logs_report())
        finally:
            run.cleanup()
        raise
    print("\n".join(f"{name}: {seconds:.1f} s" for name, seconds in run.timings.items()))
    yield run
    run.cleanup()


# -- helpers of the checks -------------------------------------------------------------------
def attempt(call):
    """``call()``'s value, or the exception it raised."""
    try:
        return call()
    except Exception as error:  # the checks inspect it
        return error


def split_outcomes(results):
    """(values, errors) of two concurrent runs."""
    errors = [result for result in results if isinstance(result, Exception)]
    values = [result for result in results if not isinstance(result, Exception)]
    return values, errors


def assert_refused_clearly(error, *fragments):
    assert isinstance(error, RpcError), f"not an error answered by Odoo: {error!r}"
    assert error.name == USER_ERROR, f"{error.name}: {error.message}\n{error.debug}"
    for fragment in fragments:
        assert fragment in error.message, error.message


def duplicates(rows):
    return {key: count for key, count in Counter(rows).items() if count > 1}


# -- the checks ------------------------------------------------------------------------------
def test_concurrent_sync_runs_once_and_refuses_the_other(scenario):
    values, errors = split_outcomes(scenario.sync_outcomes)
    assert scenario.sync_held == 1, "both syncs read GoCardless at once"
    assert len(values) == 1 and len(errors) == 1, scenario.sync_outcomes
    assert values[0]["params"]["title"] == "GoCardless customers synced", values[0]
    assert "7 GoCardless customers" in values[0]["params"]["message"], values[0]
    assert_refused_clearly(errors[0], SYNC_REFUSED, SYNC_REFUSED_END)


def test_concurrent_collection_runs_once_and_refuses_the_other(scenario):
    lines = scenario.rows(
        "SELECT count(*) FROM gocardless_export_line WHERE export_id = %s", [scenario.batch_id]
    )[0][0]
    values, errors = split_outcomes(scenario.collect_outcomes)
    assert scenario.collect_held == 1, "both collections read GoCardless at once"
    assert len(values) == 1 and len(errors) == 1, scenario.collect_outcomes
    assert f"{lines} GoCardless payments created" in values[0]["params"]["message"], values[0]
    assert_refused_clearly(errors[0], BATCH_BUSY)


def test_concurrent_recording_runs_once_and_refuses_the_other(scenario):
    values, errors = split_outcomes(scenario.record_outcomes)
    assert scenario.record_held == 1, "both recordings wrote payments at once"
    assert len(values) == 1 and len(errors) == 1, scenario.record_outcomes
    assert "4 payments recorded" in values[0]["params"]["message"], values[0]
    assert_refused_clearly(errors[0], BATCH_BUSY)


def test_both_servers_answer_every_delivery(scenario):
    for name, webhook_id, answers in scenario.deliveries:
        statuses = [answer[0] if isinstance(answer, tuple) else answer for answer in answers]
        assert statuses == [204] * SERVERS, (name, webhook_id, answers)


def test_every_event_is_stored_once_and_applied(scenario):
    rows = scenario.rows("SELECT gocardless_id, state, note FROM gocardless_event")
    assert not duplicates(row[0] for row in rows)
    # every event GoCardless has: delivered by webhooks, or found by the polling
    assert {row[0] for row in rows} == set(scenario.emulator.events)
    pending = [row for row in rows if row[1] not in ("done", "ignored")]
    assert not pending, pending
    sources = dict(
        scenario.rows(
            "SELECT gocardless_id, source FROM gocardless_event WHERE gocardless_id = ANY(%s)",
            [scenario.polled_only],
        )
    )
    assert sources == dict.fromkeys(scenario.polled_only, "poll")


def test_every_contact_exists_once(scenario):
    items = [*data.CUSTOMERS, data.LATE_CUSTOMER]
    for item in items:
        email = item["email"]
        holders = scenario.rows(
            """
            SELECT id FROM res_partner WHERE lower(trim(email)) = %s
            UNION
            SELECT partner_id FROM res_partner_email WHERE email_normalized = %s
            """,
            [email, email],
        )
        assert len(holders) == 1, (email, holders)
        expected = scenario.customers[item["key"]].get("partner")
        if expected:
            assert holders[0][0] == expected, (email, holders)


def test_every_link_exists_once(scenario):
    rows = scenario.rows("SELECT gocardless_id, partner_id FROM gocardless_customer")
    assert not duplicates(row[0] for row in rows)
    assert {row[0] for row in rows} == set(scenario.emulator.customers)
    partner_of = dict(rows)
    for item in data.CUSTOMERS:
        expected = scenario.customers[item["key"]].get("partner")
        if expected:
            assert partner_of[scenario.customers[item["key"]]["customer"]] == expected, item


def test_every_mandate_exists_once(scenario):
    rows = scenario.rows("SELECT gocardless_id FROM gocardless_mandate")
    assert not duplicates(row[0] for row in rows)
    assert {row[0] for row in rows} == set(scenario.emulator.mandates)
    assert scenario.second_mandate in {row[0] for row in rows}


def test_every_gocardless_payment_exists_once(scenario):
    lines = scenario.rows(
        "SELECT id, reference, amount FROM gocardless_export_line WHERE export_id = %s",
        [scenario.batch_id],
    )
    # the four contacts with invoices (Eve has nothing due)
    assert len(lines) == 4, lines
    # in GoCardless: one payment per line, never two
    created = Counter(
        (payment.get("metadata") or {}).get("odoo_ref")
        for payment in scenario.emulator.payments.values()
    )
    assert {reference: created[reference] for _id, reference, _amount in lines} == {
        reference: 1 for _id, reference, _amount in lines
    }
    assert len(scenario.emulator.payments) == len(lines) + 1  # and the dashboard's
    # in Odoo: each GoCardless payment once, each line with its one payment
    rows = scenario.rows("SELECT gocardless_id, export_line_id, status FROM gocardless_payment")
    assert not duplicates(row[0] for row in rows)
    assert {row[0] for row in rows} == set(scenario.emulator.payments)
    by_line = Counter(row[1] for row in rows if row[1])
    assert by_line == {line_id: 1 for line_id, _ref, _amount in lines}
    status = {row[0]: row[2] for row in rows}
    assert {status[p] for p in scenario.collected_payments} == {"paid_out"}
    # its events came by polling only: submitted, then confirmed
    assert status[scenario.dashboard_payment] == "confirmed"
    # the amounts collected are the balances, in minor units
    expected = {}
    for item in data.CUSTOMERS:
        total = sum(Decimal(amount) for amount in item["invoices"])
        if total:
            expected[scenario.customers[item["key"]]["mandate"]] = int(total * 100)
    collected = {
        scenario.emulator.payments[p]["links"]["mandate"]: scenario.emulator.payments[p]["amount"]
        for p in scenario.collected_payments
    }
    assert collected == expected


def test_every_odoo_payment_and_entry_exists_once(scenario):
    lines = scenario.rows(
        "SELECT payment_id, amount FROM gocardless_export_line WHERE export_id = %s",
        [scenario.batch_id],
    )
    payment_ids = [row[0] for row in lines]
    assert None not in payment_ids, lines
    assert not duplicates(payment_ids)
    payments = scenario.rows("SELECT id, state, move_id FROM account_payment")
    assert sorted(row[0] for row in payments) == sorted(payment_ids)
    assert {row[1] for row in payments} == {"paid"}, payments
    moves = scenario.rows(
        "SELECT origin_payment_id, state FROM account_move WHERE origin_payment_id IS NOT NULL"
    )
    assert Counter(row[0] for row in moves) == dict.fromkeys(payment_ids, 1)
    assert {row[1] for row in moves} == {"posted"}
    assert {row[2] for row in payments} == {
        move_id
        for (move_id,) in scenario.rows(
            "SELECT id FROM account_move WHERE origin_payment_id IS NOT NULL"
        )
    }
    # and the GoCardless payments point at them, one each
    linked = scenario.rows(
        "SELECT account_payment_id FROM gocardless_payment WHERE account_payment_id IS NOT NULL"
    )
    assert sorted(row[0] for row in linked) == sorted(payment_ids)


def test_scheduled_actions_ran_on_both_servers(scenario):
    # the polling held on one server: the other ran the other scheduled actions meanwhile
    assert scenario.poll_held == 1
    completed = {
        name: [line for line in lines if CRON_DONE.search(line)]
        for name, lines in scenario.lines("crons").items()
    }
    assert all(completed.values()), completed
    logs = scenario.rows(
        "SELECT state, count(*) FROM gocardless_sync_log WHERE trigger = 'cron' GROUP BY 1"
    )
    # poll_vs_sync's and two here, none failed
    assert logs == [("done", 3)], logs
    created = scenario.rows(
        "SELECT count(*) FROM res_partner WHERE lower(email) = %s", [data.LATE_CUSTOMER["email"]]
    )
    assert created == [(1,)]


@pytest.mark.xfail(strict=True, reason=FETCH_RACE_BUG)
def test_fetch_racing_a_sync_applies_its_event_at_once(scenario):
    """The sync stored the mandate while the retry was fetching it: the retry should find it
    stored and apply the event, not fail on the unique constraint."""
    assert isinstance(scenario.fetch_race_sync, dict), scenario.fetch_race_sync
    state, attempts, error = scenario.fetch_race_state
    assert (state, attempts, error) == ("done", 1, None)


@pytest.mark.xfail(strict=True, reason=SYNC_RACE_BUG)
def test_sync_racing_a_fetch_succeeds(scenario):
    """The retry stored a mandate while the sync was reading GoCardless: the sync should
    refresh it, not fail because it is already stored."""
    outcome = scenario.sync_race_outcome
    assert isinstance(outcome, dict), outcome
    assert outcome["params"]["title"] == "GoCardless customers synced", outcome


@pytest.mark.xfail(strict=True, reason=POLL_RACE_BUG)
def test_polling_racing_a_sync_stores_its_events(scenario):
    """The sync wrote the account while the polling was reading GoCardless: the polling
    should still store (and apply) the events it read."""
    assert sorted(scenario.poll_race_stored) == sorted((e,) for e in scenario.poll_race_events)


@pytest.mark.parametrize(
    "phase",
    [
        pytest.param(phase, marks=pytest.mark.xfail(strict=True, reason=KNOWN_ERRORS[phase]))
        if phase in KNOWN_ERRORS
        else phase
        for phase in PHASES
    ],
)
def test_server_logs_have_no_errors(scenario, phase):
    problems = scenario.problems(phase)
    assert not problems, "\n".join(problems)


def test_no_server_process_is_left(scenario):
    assert scenario.stragglers == dict.fromkeys(scenario.stragglers, []), scenario.stragglers
    assert len(scenario.stragglers) == SERVERS
    for server in scenario.servers:
        assert server.pids() == [], server.name

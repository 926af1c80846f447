"""The exception desk at 1,000,000 tickets: queue and ticket page times, 10,000-condition runs.

Needs PostgreSQL in ``DATABASE_URL`` (``postgres://postgres@127.0.0.1:5432/centra_ip``): the
queue's speed rests on its partial indexes and the planner's choices, which SQLite does not
tell us anything about. A scratch database (``BENCH_DB``, default ``centra_ip_bench_tickets``)
is created next to it (migrated like a test database) and dropped at the end; with
``BENCH_KEEP=1`` it is kept, and the next run with ``BENCH_KEEP=1`` migrates it and reuses its
tickets instead of loading them again (the engine run's tickets of the previous run are
deleted first, so every run times the same work). ``BENCH_PARTS=queue`` times only the pages,
``BENCH_PARTS=conditions`` only the engine run (after the load, or on a kept database); both by
default. Prints:

- the load: 1,000,000 tickets spread over the registry's types and teams, a year of first
  and last seen times, 200,000 active (open, acknowledged, snoozed) and 800,000 closed, with
  a history event per ticket plus the closing one; generated inside PostgreSQL by
  ``INSERT ... SELECT`` over ``generate_series`` (nothing crosses the wire, faster than COPY);
- server time of the desk's pages through Django's test client, in-process, as an operations
  user: median and p95 of several requests after one warm-up, the query count, and the
  median CPU of a request in this process and in the database's server process: the queue's
  landing, filters, searches, every sortable column and deep pages;
- one engine run's worth of conditions through ``tickets_raise_many`` /
  ``tickets_clear_many``: 10,000 new conditions (notifications included, on the locmem mail
  backend), the same 10,000 again (counted on their tickets), clearing them (auto-resolved),
  and raising them once more (reopened as regressions).
"""

import gc
import os
import statistics
import sys
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "centra_ip.settings")
os.environ.setdefault("DEBUG", "true")
django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import get_resolver  # noqa: E402

from bench.cost import load_average, server_cpu  # noqa: E402

TICKETS = int(os.environ.get("BENCH_TICKETS", 1_000_000))
ACTIVE_EVERY = 5  # one ticket in five is active: 200,000 of 1,000,000
CONDITIONS = int(os.environ.get("BENCH_CONDITIONS", 10_000))
RUNS = int(os.environ.get("BENCH_RUNS", 20))
SCRATCH_DB = os.environ.get("BENCH_DB", "centra_ip_bench_tickets")
KEEP = os.environ.get("BENCH_KEEP") == "1"
# Which parts to time: "queue" (the pages), "conditions" (the engine run), or both (default).
PARTS = os.environ.get("BENCH_PARTS", "queue,conditions").split(",")

# Ids, subjects and times are derived from the row number, so every run loads the same data.
# Subjects repeat (50,000 SKUs, 300,000 orders) so the ticket page has related tickets to find.
LOAD_TICKETS = """
WITH kinds(idx, code, team, severity, subject, ack_minutes, resolve_minutes) AS (
    VALUES {kinds}
), rows AS (
    SELECT
        n,
        k.*,
        CASE WHEN n % {active_every} = 0
             THEN (ARRAY['open', 'acknowledged', 'snoozed'])[1 + (n / {active_every}) % 3]
             ELSE (ARRAY['resolved', 'auto_resolved'])[1 + n % 2]
        END AS status,
        -- Active tickets were first seen in the last 30 days, closed ones in the last year.
        now() - make_interval(mins => CASE WHEN n % {active_every} = 0
                                           THEN ((n * 7919) % 43200)::int
                                           ELSE ((n * 7919) % 525600)::int END) AS first_seen
    FROM generate_series(1::bigint, {tickets}) AS n
    -- The type by a hash of the row number, not n % types: that would tie the type to the
    -- status (both are functions of n), leaving most types with no active ticket at all.
    JOIN kinds k ON k.idx = (hashint8(n)::bigint & 2147483647) % {kind_count}
), timed AS (
    SELECT *,
        least(first_seen + make_interval(mins => ((n * 104729) % 2880)::int), now()) AS last_seen
    FROM rows
)
INSERT INTO exceptions_ticket (
    type, fingerprint, severity, summary, sku, order_number, return_id, stream, warehouse,
    team, assignee_id, status, snoozed_until, snooze_wake_occurrences, first_seen, last_seen,
    occurrences, context, regressions, acknowledge_due_at, resolve_due_at, sla_due_at,
    acknowledged_at, resolved_at, sla_breach_notified_at, raise_logged_at, retry_started_at
)
SELECT
    code,
    encode(sha256(('bench-' || n)::bytea), 'hex'),
    severity,
    'Bench condition ' || n,
    CASE WHEN subject = 'sku' THEN 'SKU-' || lpad(((n * 31) % 50000)::text, 6, '0') ELSE '' END,
    CASE WHEN subject = 'order' THEN 'CE-' || (1000000 + (n * 17) % 300000) ELSE '' END,
    CASE WHEN subject = 'return' THEN 'R-' || (n % 100000) ELSE '' END,
    CASE WHEN subject = 'stream'
         THEN (ARRAY['catalog', 'orders', 'stock', 'returns'])[1 + n % 4] ELSE '' END,
    CASE WHEN subject = 'warehouse' THEN 'WH-' || (n % 5) ELSE '' END,
    team,
    NULL,
    status,
    CASE WHEN status = 'snoozed' THEN now() + interval '1 day' END,
    NULL,
    first_seen,
    last_seen,
    1 + n % 20,
    jsonb_build_object('seen', n % 100, 'ats', n % 7, 'centra', n % 11),
    0,
    first_seen + make_interval(mins => ack_minutes),
    first_seen + make_interval(mins => resolve_minutes),
    CASE status WHEN 'open' THEN first_seen + make_interval(mins => ack_minutes)
                WHEN 'acknowledged' THEN first_seen + make_interval(mins => resolve_minutes)
                WHEN 'snoozed' THEN first_seen + make_interval(mins => resolve_minutes)
    END,
    CASE WHEN status IN ('acknowledged', 'snoozed') THEN first_seen + interval '10 minutes' END,
    CASE WHEN status IN ('resolved', 'auto_resolved') THEN last_seen + interval '1 hour' END,
    NULL,
    last_seen,
    NULL
FROM timed
"""

LOAD_EVENTS = """
INSERT INTO exceptions_ticketevent (ticket_id, kind, at, actor_id, actor_name, note, data)
SELECT id, 'raised', first_seen, NULL::integer, 'bench loader', summary, '{}'::jsonb
FROM exceptions_ticket
UNION ALL
SELECT id, status, resolved_at, NULL::integer, 'bench loader', 'Closed by the loader.', '{}'::jsonb
FROM exceptions_ticket WHERE resolved_at IS NOT NULL
"""


def kinds_sql() -> tuple[str, int]:
    """The registry's types as SQL ``VALUES`` rows (literals from our own code, not input)."""
    from exceptions.registry import TYPES

    rows = []
    for index, kind in enumerate(TYPES):
        ack = int(kind.acknowledge_within.total_seconds() // 60)
        resolve = int(kind.resolve_within.total_seconds() // 60)
        rows.append(
            f"({index}, '{kind.code}', '{kind.team}', '{kind.severity}', '{kind.subject}', "
            f"{ack}, {resolve})"
        )
    return ", ".join(rows), len(rows)


def load() -> None:
    kinds, kind_count = kinds_sql()
    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(
            LOAD_TICKETS.format(
                kinds=kinds, kind_count=kind_count, tickets=TICKETS, active_every=ACTIVE_EVERY
            )
        )
        tickets = time.perf_counter() - started
        started = time.perf_counter()
        cursor.execute(LOAD_EVENTS)
        events = cursor.rowcount
        events_time = time.perf_counter() - started
        started = time.perf_counter()
        # As autovacuum would soon after a load: statistics for the planner, and a visibility
        # map so counts can be answered from the indexes alone.
        cursor.execute("VACUUM ANALYZE exceptions_ticket")
        cursor.execute("VACUUM ANALYZE exceptions_ticketevent")
        vacuum = time.perf_counter() - started
        cursor.execute(
            "SELECT count(*) FILTER (WHERE status = ANY(%s)), count(*) FROM exceptions_ticket",
            [["open", "acknowledged", "snoozed"]],
        )
        active, total = cursor.fetchone()
    print(
        f"load: {total:,} tickets ({active:,} active) in {tickets:.1f} s "
        f"= {total / tickets:,.0f} rows/s; {events:,} history events in {events_time:.1f} s; "
        f"VACUUM ANALYZE {vacuum:.1f} s",
        flush=True,
    )


class SqlClock:
    """Counts the queries of a request and the time spent in them (a database execute
    wrapper: unlike the debug query log, request signals do not reset it)."""

    def __init__(self):
        self.queries = 0
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.queries += 1
            self.seconds += time.perf_counter() - started


def timed_get(client: Client, url: str, expect: bytes) -> dict:
    """Median and p95 server time of ``url`` in seconds, its query count, SQL time and CPU
    (this process; the database's server process, 0 when it is not on this machine)."""
    response = client.get(url)  # warm-up
    assert response.status_code == 200, (url, response.status_code)
    assert expect in response.content, (url, expect)
    times, sql, cpu, db_cpu = [], [], [], []
    for _ in range(RUNS):
        clock = SqlClock()
        db_before = server_cpu() or 0.0
        with connection.execute_wrapper(clock):
            cpu_before = time.process_time()
            started = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - started)
            cpu.append(time.process_time() - cpu_before)
        db_cpu.append((server_cpu() or 0.0) - db_before)
        sql.append(clock.seconds)
        assert response.status_code == 200, (url, response.status_code)
    return {
        "median": statistics.median(times),
        "p95": statistics.quantiles(times, n=20, method="inclusive")[18],
        "queries": clock.queries,
        "sql": statistics.median(sql),
        "cpu": statistics.median(cpu),
        "db_cpu": statistics.median(db_cpu),
    }


# The queue as people use it: the landing (my team), all teams, the filters of the form,
# searches, every sortable column both ways, and deep pages (50 rows a page).
ROW = b'<tr id="ticket-'
QUEUE_VIEWS = (
    ("all teams, first page", "?team="),
    ("my team (landing), first page", "?team=operations"),
    ("team + type + status", "?team=operations&type=stock_drift&status=open"),
    ("type only, all teams", "?team=&type=sku_missing_in_ip"),
    ("severity critical", "?team=&severity=critical"),
    ("acknowledged", "?team=operations&status=acknowledged"),
    ("snoozed", "?team=operations&status=snoozed"),
    ("older than a week", "?team=operations&age=7d"),
    ("past SLA (the banner's link)", "?team=operations&sla=breached"),
    ("past SLA, any status", "?team=&sla=breached&status=any"),
    ("closed, my team", "?team=operations&status=closed"),
    ("any status, all teams", "?team=&status=any"),
    ("search SKU prefix", "?team=&q=SKU-0123"),
    ("search order number", "?team=&q=CE-1012345"),
    ("search SKU, any status", "?team=&q=SKU-012345&status=any"),
    ("search a word, my team", "?team=operations&q=condition 42"),
    *(
        (f"sort {column}", f"?team=operations&sort={column}")
        for column in (
            "id",
            "-id",
            "title",
            "severity",
            "-severity",
            "status",
            "assignee",
            "occurrences",
            "-occurrences",
            "first_seen",
            "-first_seen",
            "last_seen",
        )
    ),
    ("sort oldest, all teams", "?team=&sort=first_seen"),
    ("page 20, my team", "?team=operations&page=20"),
    ("page 200, all teams", "?team=&page=200"),
    ("last page, all teams", "?team=&page=99999"),
    ("page 100, sorted by age", "?team=operations&sort=first_seen&page=100"),
    ("page 100, closed", "?team=operations&status=closed&page=100"),
)


def pages(user) -> list[float]:
    """Time every queue view and the ticket page; returns the queue views' p95s."""
    from exceptions.models import Ticket, TicketEvent
    from exceptions.services import ticket_assign, ticket_comment

    client = Client()
    client.force_login(user)
    ticket = (
        Ticket.objects.filter(team="operations", status="open", sku__gt="")
        .order_by("-last_seen", "-pk")
        .first()
    )
    TicketEvent.objects.filter(ticket=ticket, actor=user).delete()  # a kept database's last run
    ticket_assign(ticket=ticket, actor=user, assignee=user)
    for number in range(8):
        ticket_comment(ticket=ticket, actor=user, note=f"Looked at it, round {number}.")
    filtered = Ticket.objects.filter(team="operations", type="stock_drift", status="open")
    print(f"filtered page matches {filtered.count():,} tickets ({load_average()})", flush=True)
    views = [(f"queue, {label}", f"/exceptions/{query}", ROW) for label, query in QUEUE_VIEWS]
    views.append(("ticket page", f"/exceptions/{ticket.pk}/", b'id="ticket-history"'))
    p95s = []
    for label, url, expect in views:
        figures = timed_get(client, url, expect)
        if label.startswith("queue"):
            p95s.append(figures["p95"])
        print(
            f"{label}: median {figures['median'] * 1000:.0f} ms, "
            f"p95 {figures['p95'] * 1000:.0f} ms server time ({RUNS} runs; "
            f"{figures['queries']} queries, median {figures['sql'] * 1000:.0f} ms in SQL; "
            f"CPU {figures['cpu'] * 1000:.0f} ms + database {figures['db_cpu'] * 1000:.0f} ms)",
            flush=True,
        )
    print(
        f"queue views: worst p95 {max(p95s) * 1000:.0f} ms of {len(p95s)} views ({load_average()})",
        flush=True,
    )
    return p95s


def conditions() -> list:
    """One engine run's conditions: a quarter about orders, the rest about SKUs."""
    from exceptions.services import Condition

    made = []
    for n in range(CONDITIONS):
        if n % 4 == 0:
            made.append(Condition("orphaned_order", order_number=f"RUN-{n:06d}"))
        else:
            code = ("stock_drift", "stock_push_rejected", "sku_missing_in_ip")[n % 4 - 1]
            made.append(
                Condition(code, sku=f"RUN-SKU-{n:06d}", context={"ats": n % 9, "centra": 3})
            )
    return made


def engine_forget() -> None:
    """Delete a previous run's engine tickets, their history and the notifications (a kept
    database), so this run raises new ones and no team is throttled by the last run's mail."""
    engine = "sku LIKE 'RUN-SKU-%%' OR order_number LIKE 'RUN-%%'"
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM exceptions_notificationattempt_tickets")
        cursor.execute("DELETE FROM exceptions_notificationattempt")
        cursor.execute(
            "DELETE FROM exceptions_ticketevent WHERE ticket_id IN "
            f"(SELECT id FROM exceptions_ticket WHERE {engine})"
        )
        cursor.execute(f"DELETE FROM exceptions_ticket WHERE {engine}")
        if cursor.rowcount:
            print(f"deleted {cursor.rowcount:,} tickets of a previous engine run", flush=True)
            cursor.execute("VACUUM ANALYZE exceptions_ticket")


def engine_run() -> None:
    from exceptions.services import tickets_clear_many, tickets_raise_many

    steps = (
        ("new", lambda: len(tickets_raise_many(conditions(), source="bench engine").created)),
        ("repeats", lambda: len(tickets_raise_many(conditions(), source="bench engine").counted)),
        ("clear", lambda: tickets_clear_many(conditions(), source="bench engine")),
        (
            "regressions",
            lambda: len(tickets_raise_many(conditions(), source="bench engine").regressed),
        ),
    )
    for label, step in steps:
        gc.collect()
        db_before = server_cpu() or 0.0
        cpu_before = time.process_time()
        started = time.perf_counter()
        done = step()
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_before
        db_cpu = (server_cpu() or 0.0) - db_before
        assert done == CONDITIONS, (label, done)
        print(
            f"engine run, {CONDITIONS:,} conditions, {label}: {elapsed:.2f} s "
            f"({CONDITIONS / elapsed:,.0f} conditions/s; CPU {cpu:.2f} s + database "
            f"{db_cpu:.2f} s; {load_average()})",
            flush=True,
        )


def loaded() -> bool:
    """Whether a kept scratch database already holds the bench's tickets."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM exceptions_ticket WHERE summary LIKE 'Bench %%'")
        return cursor.fetchone()[0] == TICKETS


def main() -> int:
    if connection.vendor != "postgresql":
        print("bench_ticket_queue needs PostgreSQL: set DATABASE_URL=postgres://...")
        return 1
    # Not setup_test_environment(): it instruments every template render with a signal,
    # which is test machinery, not server time. The test client only needs its host allowed;
    # the notifications of a raise go to the in-memory mail backend.
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.DEBUG = False  # no query log: measure the code, not Django's debug cursor
    old_name = connection.settings_dict["NAME"]
    connection.settings_dict["TEST"]["NAME"] = SCRATCH_DB
    started = time.perf_counter()
    # serialize=False: the test runner's copy of the data would read a kept million rows.
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False, keepdb=KEEP)
    print(f"scratch database {SCRATCH_DB} migrated in {time.perf_counter() - started:.1f} s")
    try:
        from tests.factories import UserFactory

        if KEEP and loaded():
            print(f"reusing the {TICKETS:,} tickets of the kept {SCRATCH_DB}", flush=True)
            engine_forget()
        else:
            load()
        if "queue" in PARTS:
            pages(UserFactory(username="bench-operations", team="operations"))
        if "conditions" in PARTS:
            if "queue" not in PARTS:
                get_resolver().check()  # imports the URLconf, as the pages would: not timed
            engine_run()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0, keepdb=KEEP)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Reconcile a month of 1,000,000 order lines on PostgreSQL, then render its overview.

Runs against the PostgreSQL server in ``DATABASE_URL``
(``DATABASE_URL=postgres://postgres@127.0.0.1:5432/centra_ip``); a throwaway database
``test_<name>_reconciliation_bench`` is created next to it and dropped at the end.
The ledger is seeded by SQL (``generate_series``) in the shape the orders engine writes:
333,334 orders x 3 lines over March 2026 in three currencies, markets and two channels (a
hundredth without Centra's rate), whole and partial cancellations, returns with their
negative feed rows (half of them with Centra's refund figure), a thousandth of the lines
unpublished and a thousandth changed after IP's last fetch (so there are discrepancies).
Prints (each timed figure is taken ``BENCH_RUNS`` times, 3 by default, and the best is
the figure: the machine is shared, so the spread is printed too):

- the month's recomputation (``reconciliation_compute`` for March; the first run fills the
  empty tables, the next ones replace the month's rows, as a rerun does): seconds, rows
  written, discrepancies raised as tickets, seconds per step; the bar is 10 s;
- the hourly run after one day's inputs changed (a late partial cancellation on a different
  day each run): find the changed days, rebuild only those; the bar is 1 s;
- the month overview (``GET /reconciliation/?month=2026-03``) through Django's test client:
  server time per request (best and median of 7) and its queries; the bar is 300 ms;
- the same for a day's drill-down (its first opening computes the day's SKU rows and keeps
  them, printed apart; the next openings read them; target 400 ms) and for the month's CSV
  export (no bar);
- a summary line per figure against its bar.

``BENCH_KEEP_DB=1`` keeps the seeded database (for ``EXPLAIN (ANALYZE, BUFFERS)`` of the
computation's statements); the next run replaces it.
"""

import os
import statistics
import sys
import time
from pathlib import Path

import django

# Run directly (``python bench/bench_reconciliation.py``) Python puts only ``bench/`` on
# the path; the project's packages (and ``tests.factories``) live one level up.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "centra_ip.settings")
os.environ.setdefault("DEBUG", "true")
django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

from bench.cost import load_average, server_cpu  # noqa: E402

LINES = int(os.environ.get("BENCH_LINES", 1_000_000))
ORDERS = -(-LINES // 3)
ZONE = "Europe/Stockholm"

SEED = """
INSERT INTO syncs_order (centra_id, number, status, store_type, order_date, currency,
                         grand_total, stored_at, updated_at, cancelled_at,
                         currency_base_rate, centra_store_id, store_name, market,
                         finance_read_at)
SELECT md5(n::text), n,
       CASE WHEN n % 50 = 0 THEN 'CANCELLED' ELSE 'CONFIRMED' END,
       CASE WHEN n % 5 = 0 THEN 'WHOLESALE' ELSE 'DIRECT_TO_CONSUMER' END,
       timestamptz '2026-03-01 00:00:00+01' + (n - 1) * (interval '31 days' / {orders}),
       CASE n % 3 WHEN 0 THEN 'SEK' WHEN 1 THEN 'EUR' ELSE 'USD' END,
       100, now() - interval '2 days', now() - interval '2 days', NULL,
       CASE WHEN n % 100 = 0 THEN NULL  -- a hundredth without Centra's rate: the table's
            ELSE CASE n % 3 WHEN 0 THEN 0.0871 WHEN 1 THEN 1 ELSE 0.923 END END,
       CASE WHEN n % 5 = 0 THEN 2 ELSE 1 END,
       CASE WHEN n % 5 = 0 THEN 'Wholesale' ELSE 'Retail' END,
       CASE n % 3 WHEN 0 THEN 'Nordics' WHEN 1 THEN 'Europe' ELSE 'United States' END,
       now() - interval '2 days'
FROM generate_series(1, {orders}) n;

INSERT INTO syncs_orderline (order_id, centra_line_id, centra_size_id, centra_sku, ean,
                             product_name, quantity, cancelled_quantity, returned_quantity,
                             unit_price, ip_sku, ip_variant_id, parked, changed_at,
                             refunded_units, refunded_value)
SELECT o.id, o.number * 3 + k, NULL, 'c-' || s.sku, '', '',
       CASE WHEN o.status = 'CANCELLED' THEN 0 ELSE 1 + k END,
       CASE WHEN o.status = 'CANCELLED' THEN 1 + k WHEN o.number % 17 = 0 THEN 1 ELSE 0 END,
       CASE WHEN o.status <> 'CANCELLED' AND o.number % 23 = 0 THEN 1 ELSE 0 END,
       19.00 + (o.number * 3 + k) % 7 * 10,
       s.sku, 'v-' || s.sku, false, now() - interval '2 days',
       0, 0
FROM syncs_order o
CROSS JOIN generate_series(0, 2) k
CROSS JOIN LATERAL (SELECT 'SKU-' || ((o.number * 7 + k * 13) % 2000) AS sku) s;

-- Half the returned lines carry Centra's own refund figure (its lineValue, here what the
-- feed's price says too, so the discrepancies stay the seeded ones).
UPDATE syncs_orderline SET refunded_units = returned_quantity,
                           refunded_value = returned_quantity * unit_price
WHERE returned_quantity > 0 AND centra_line_id % 2 = 0;

INSERT INTO syncs_salesfeedrow (source, source_ref, order_id, order_number, sku, product_id,
                                date, quantity, price, currency, cancelled, changed_at)
SELECT 'order_line', l.centra_line_id::text, o.id, o.number::text, l.ip_sku, l.ip_variant_id,
       o.order_date,
       CASE WHEN o.status = 'CANCELLED' THEN l.quantity + l.cancelled_quantity
            ELSE l.quantity END,
       l.unit_price, o.currency, o.status = 'CANCELLED',
       CASE WHEN l.id % 1000 = 7 THEN now() ELSE now() - interval '1 day' END
FROM syncs_orderline l JOIN syncs_order o ON o.id = l.order_id
WHERE l.id % 1000 <> 3;

INSERT INTO syncs_salesfeedrow (source, source_ref, order_id, order_number, sku, product_id,
                                date, quantity, price, currency, cancelled, changed_at)
SELECT 'return_line', 'r' || l.centra_line_id::text, o.id, o.number::text, l.ip_sku,
       l.ip_variant_id, o.order_date, -l.returned_quantity, l.unit_price, o.currency, false,
       now() - interval '1 day'
FROM syncs_orderline l JOIN syncs_order o ON o.id = l.order_id
WHERE l.returned_quantity > 0;

INSERT INTO syncs_feeddelivery (feed, status, started_at, finished_at, served_through,
                                horizon_start, rows, cancelled_rows, return_rows, bytes,
                                remote_addr, user_agent)
VALUES ('sales-orders', 'complete', now() - interval '1 hour', now() - interval '1 hour',
        now() - interval '1 hour', '2026-01-01', 0, 0, 0, 0, '', '');
"""


def seed() -> None:
    from reconciliation.models import CurrencyRate, ReconciliationSettings

    ReconciliationSettings.objects.update_or_create(
        pk=1, defaults={"base_currency": "EUR", "time_zone": ZONE}
    )
    CurrencyRate.objects.create(currency="SEK", valid_from="2026-01-01", rate="0.0870")
    CurrencyRate.objects.create(currency="SEK", valid_from="2026-03-15", rate="0.0880")
    CurrencyRate.objects.create(currency="USD", valid_from="2026-01-01", rate="0.9200")
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for statement in SEED.replace("{orders}", str(int(ORDERS))).split(";\n"):
            if statement.strip():
                cursor.execute(statement)
        cursor.execute("ANALYZE")
        cursor.execute("SELECT count(*) FROM syncs_orderline")
        lines = cursor.fetchone()[0]
    print(f"seeded {lines:,} order lines in {time.perf_counter() - started:.1f} s", flush=True)


def timed_get(client: Client, url: str, runs: int = 7) -> tuple[float, float, int, float]:
    """Best and median server time, queries of the last request, and the first request's
    time (which computes what a later one reads, e.g. a day's kept SKU rows)."""
    times = []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(url)
            elapsed = time.perf_counter() - started
        assert response.status_code == 200, response.status_code
        times.append(elapsed)
    return min(times), statistics.median(times), len(queries), times[0]


def one_day_changed(last_run, day: int):
    """The hourly run after one day's inputs changed: find the changed days, rebuild them.
    Returns (seconds, the last computation's run)."""
    from django.db.models import Min
    from django.utils import timezone

    from reconciliation.changes import MARGIN, changed_days, day_ranges
    from reconciliation.config import brand_zone, reconciliation_settings
    from reconciliation.services import reconciliation_compute
    from syncs.models import Order, OrderLine

    zone = brand_zone(reconciliation_settings())
    day_start = timezone.datetime(2026, 3, day, tzinfo=zone)
    first = Order.objects.filter(order_date__gte=day_start).aggregate(n=Min("number"))["n"]
    # A late partial cancellation, as the orders stream would store it.
    OrderLine.objects.filter(order__number=first + 1).update(
        cancelled_quantity=1, changed_at=timezone.now()
    )
    cpu = server_cpu()
    started = time.perf_counter()
    days = changed_days(
        since=last_run.started_at + MARGIN,  # what changed after the run started
        taken_before=last_run.feed_taken_through,
        taken_now=last_run.feed_taken_through,
        settled_before=last_run.period_end,
        settled_now=last_run.period_end,
        zone=zone,
    )
    found = time.perf_counter() - started
    for start, end in day_ranges(days):
        outcome = reconciliation_compute(start_day=start, end_day=end, scope="changed")
    elapsed = time.perf_counter() - started
    print(
        f"one day changed: {elapsed:.2f} s ({found:.2f} s to find {sorted(map(str, days))}; "
        f"{load_average()}{cpu_note(cpu)}); steps (s): {outcome.run.counts['seconds']}",
        flush=True,
    )
    return elapsed, outcome.run


def cpu_note(before: float | None) -> str:
    after = server_cpu()
    return "" if before is None or after is None else f", database CPU {after - before:.1f} s"


def month_recompute(runs: int):
    """Recompute March ``runs`` times; returns (best seconds, all seconds, the last run)."""
    from datetime import date

    from reconciliation.models import DayTotals, OrderBalance
    from reconciliation.services import reconciliation_compute

    times = []
    for index in range(runs):
        cpu, python_cpu = server_cpu(), time.process_time()
        started = time.perf_counter()
        outcome = reconciliation_compute(start_day=date(2026, 3, 1), end_day=date(2026, 3, 31))
        times.append(time.perf_counter() - started)
        python_cpu = time.process_time() - python_cpu
        cpu = cpu_note(cpu)
        if index == 0:
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")  # as autovacuum would after the first fill
        print(
            f"month recompute {index + 1}: {times[-1]:.1f} s; {DayTotals.objects.count():,} "
            f"day totals, {OrderBalance.objects.count():,} order balances, "
            f"{outcome.raised:,} discrepancies raised as tickets ({load_average()}{cpu}, "
            f"Python CPU {python_cpu:.1f} s)",
            flush=True,
        )
        print(f"  steps (s): {outcome.run.counts['seconds']}", flush=True)
    return min(times), times, outcome.run


def main() -> int:
    if connection.vendor != "postgresql":
        print("bench_reconciliation needs PostgreSQL: set DATABASE_URL=postgres://...")
        return 1
    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    # Named after the database in DATABASE_URL, so two checkouts benchmarking on one server
    # (each with its own database) never drop each other's.
    connection.settings_dict["TEST"]["NAME"] = f"test_{old_name}_reconciliation_bench"
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        from tests.factories import UserFactory

        runs = int(os.environ.get("BENCH_RUNS", 3))
        seed()
        month_best, month_times, run = month_recompute(runs)
        day_times = []
        for day in (17, 9, 24)[:runs]:
            elapsed, run = one_day_changed(run, day)
            day_times.append(elapsed)
        client = Client()
        client.force_login(UserFactory(username="bench-finance", team="finance"))
        pages = {}
        for label, url in (
            ("overview", "/reconciliation/?month=2026-03"),
            ("day drill-down", "/reconciliation/day/2026-03-17/"),
            ("month CSV", "/reconciliation/?month=2026-03&export=month"),
        ):
            best, median, queries, first = timed_get(client, url)
            pages[label] = best
            print(
                f"{label}: best {best * 1000:.0f} ms, median {median * 1000:.0f} ms server time "
                f"({queries} queries; the first of 7 {first * 1000:.0f} ms; {load_average()})",
                flush=True,
            )
        spread = ", ".join(f"{t:.1f}" for t in month_times)
        print(f"FIGURE month recompute: best {month_best:.1f} s of {spread} (bar 10 s)")
        spread = ", ".join(f"{t:.2f}" for t in day_times)
        print(f"FIGURE one day changed: best {min(day_times):.2f} s of {spread} (bar 1 s)")
        print(f"FIGURE month overview: best {pages['overview'] * 1000:.0f} ms (bar 300 ms)")
        print(
            f"({load_average()} at the end; the machine may be shared: figures are best of {runs})"
        )
    finally:
        if os.environ.get("BENCH_KEEP_DB"):  # to profile its statements afterwards
            print(f"kept database {connection.settings_dict['NAME']}")
        else:
            connection.creation.destroy_test_db(old_name, verbosity=0)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Backfill 50,000 orders (150,000 lines) from the Centra twin, then serve the IP feed.

Runs against the database in ``DATABASE_URL`` (use PostgreSQL for figures that mean
something: ``DATABASE_URL=postgres://postgres@127.0.0.1:5432/centra_ip``); a throwaway test
database is created next to it and dropped at the end. Prints:

- backfill: the orders engine's first run (a recovery pass over the horizon, windows mode)
  reading every order through ``CentraClient`` from the in-process twin and storing it:
  orders and lines per second, timed without tracemalloc. The twin answers in this
  process, so its share (the time spent inside ``twin.handle``: Centra's time in
  production) is measured apart, and the hub's own rate is the orders over the rest. Also
  printed: this process's CPU (the twin's apart), the database server's CPU for this
  connection, and the load average, because the machine may be shared;
- a second full recovery pass over the same orders (reads everything, writes nothing):
  its peak Python memory under tracemalloc, i.e. what one pass holds at a time: the
  hub's peak (outside the twin's calls) and, apart, the most one twin call added on top.
  Compare ``BENCH_ORDERS=10000`` with the default 50,000 for the growth;
- the feed: ``GET /feeds/inventory-planner/sales-orders.csv`` through Django's test client,
  consumed as a stream: rows per second, then its peak memory under tracemalloc.
"""

import gc
import os
import sys
import time
import tracemalloc
from datetime import timedelta

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "centra_ip.settings")
os.environ.setdefault("DEBUG", "true")
django.setup()

import httpx  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.cost import load_average, server_cpu  # noqa: E402

ORDERS = int(os.environ.get("BENCH_ORDERS", 50_000))
LINES_PER_ORDER = 3
SKUS = 2_000


def seed_twin():
    from syncs.sandbox.centra.twin import CentraTwin
    from syncs.sandbox.sandbox import CENTRA_TOKEN

    twin = CentraTwin(CENTRA_TOKEN)
    twin.config.throttle = False
    warehouse = twin.state.add_warehouse("Main")
    for number in range(SKUS // 10):
        variants = {
            f"-{colour}-": [(f"S{i}", f"{i:02d}", "") for i in range(5)] for colour in ("A", "B")
        }
        twin.state.add_product(f"P{number:05d}", f"Product {number}", variants=variants)
    skus = list(twin.state.sizes_by_sku)
    for sku in skus:
        twin.state.set_stock(sku, warehouse.id, 10**9)
    start = timezone.now() - timedelta(days=20)
    step = timedelta(days=19) / ORDERS
    clock, twin.state.wall = twin.state.wall, OrderClock(start)
    for n in range(ORDERS):
        lines = [(skus[(n * 7 + k * 13) % len(skus)], 1 + k, "49.00") for k in range(3)]
        twin.state.wall.now = start + n * step
        twin.state.place_order(lines, order_date=twin.state.wall.now)
    twin.state.wall = clock
    return twin, skus


class OrderClock:
    """The twin's clock while seeding: each order is placed at its own date (created,
    updated and dated then), as a history is. So the second run's poll finds nothing
    changed since the first, and its pass is the recovery pass alone."""

    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


def map_skus(twin, skus):
    from syncs.models import SkuMapping

    now = timezone.now()
    SkuMapping.objects.bulk_create(
        [
            SkuMapping(
                sku=sku,
                ip_variant_id=f"v{index}",
                centra_size_id=twin.state.size(sku).id,
                centra_variant_id=twin.state.size(sku).productVariant.id,
                centra_product_id=twin.state.size(sku).productVariant.product.id,
                centra_sku=sku,
                source="automatic",
                created_at=now,
                updated_at=now,
            )
            for index, sku in enumerate(skus)
        ]
    )


class TwinMeter:
    """Wraps ``twin.handle``: the wall and CPU seconds spent inside the twin, and under
    tracemalloc the hub's peak outside the twin's calls and the most one call added."""

    def __init__(self, twin):
        self.handle, self.wall, self.cpu = twin.handle, 0.0, 0.0
        self.hub_peak = self.twin_extra = 0
        twin.handle = self

    def __call__(self, request):
        tracing = tracemalloc.is_tracing()
        if tracing:
            entry, peak = tracemalloc.get_traced_memory()
            self.hub_peak = max(self.hub_peak, peak)
            tracemalloc.reset_peak()
        started, cpu = time.perf_counter(), time.process_time()
        try:
            return self.handle(request)
        finally:
            self.wall += time.perf_counter() - started
            self.cpu += time.process_time() - cpu
            if tracing:
                self.twin_extra = max(self.twin_extra, tracemalloc.get_traced_memory()[1] - entry)
                tracemalloc.reset_peak()

    def reset(self):
        self.wall = self.cpu = 0.0
        self.hub_peak = self.twin_extra = 0


def orders_run(twin, full: bool):
    """One orders cycle through an unpaced client: our code and the twin, not Centra's
    quota (at the default plan the client's pacer, not the code, sets the pace: see
    docs/benchmarks.md)."""
    from syncs.connectors.centra import CentraClient, CentraLimits
    from syncs.orders.engine import orders_cycle
    from syncs.sandbox.sandbox import CENTRA_TOKEN

    with CentraClient(
        "http://twin/graphql",
        CENTRA_TOKEN,
        transport=httpx.MockTransport(twin.handle),
        limits=CentraLimits.unlimited(),
    ) as centra:
        return orders_cycle(centra=centra, dry_run=False, full=full)


def feed_fetch() -> tuple[int, int]:
    """The feed view called directly (no URL resolution or middleware: other apps' URLs
    must not break this benchmark), its streamed body consumed chunk by chunk."""
    import base64

    from django.test import RequestFactory

    from syncs.views.feeds import sales_orders_csv

    credentials = base64.b64encode(f"{settings.IP_FEED_USERNAME}:pw".encode()).decode()
    request = RequestFactory().get(
        "/feeds/inventory-planner/sales-orders.csv", HTTP_AUTHORIZATION=f"Basic {credentials}"
    )
    response = sales_orders_csv(request)
    assert response.status_code == 200, response.status_code
    rows = size = 0
    for chunk in response.streaming_content:
        rows += chunk.count(b"\n")
        size += len(chunk)
    response.close()
    return rows - 1, size


def main():
    from syncs.models import OrderLine, SalesFeedRow

    settings.ORDERS_USE_EVENTS = False
    settings.ORDERS_RECOVERY_HORIZON_DAYS = 30
    settings.IP_FEED_PASSWORD = "pw"
    settings.ALLOWED_HOSTS = ["testserver"]
    setup_test_environment()
    settings.DEBUG = False  # no query log: measure the code, not Django's debug cursor
    old_name = connection.settings_dict["NAME"]
    # Its own database, never the test suite's ("test_<name>"), which others may be using.
    connection.settings_dict["TEST"]["NAME"] = f"{old_name}_bench_orders_backfill"
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        started = time.perf_counter()
        twin, skus = seed_twin()
        print(f"seeded the twin: {ORDERS:,} orders in {time.perf_counter() - started:.1f} s")
        map_skus(twin, skus)
        meter = TwinMeter(twin)
        gc.collect()
        load_before, db_cpu = load_average(), server_cpu()
        started, cpu = time.perf_counter(), time.process_time()
        result = orders_run(twin, full=False)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        db_cpu = server_cpu() - db_cpu if db_cpu is not None else None
        lines = OrderLine.objects.count()
        assert lines == ORDERS * LINES_PER_ORDER, lines
        orders = result.counts["orders_new"]
        hub_wall, hub_cpu = elapsed - meter.wall, cpu - meter.cpu
        db_note = f"; database CPU {db_cpu:.1f} s" if db_cpu is not None else ""
        print(
            f"backfill ({connection.vendor}): {orders:,} orders, {lines:,} lines in "
            f"{elapsed:.1f} s = {orders / elapsed:,.0f} orders/s with the twin; the twin "
            f"{meter.wall:.1f} s ({meter.cpu:.1f} s CPU), the hub {hub_wall:.1f} s = "
            f"{orders / hub_wall:,.0f} orders/s ({lines / hub_wall:,.0f} lines/s)"
        )
        print(
            f"  CPU: the hub's own {hub_cpu:.1f} s = {orders / hub_cpu:,.0f} orders per CPU "
            f"second{db_note}; {load_before} before, {load_average()} after"
        )
        gc.collect()
        meter.reset()
        tracemalloc.start()
        result = orders_run(twin, full=True)
        meter.hub_peak = max(meter.hub_peak, tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        assert result.counts["orders_changed"] == 0
        print(
            f"recovery pass over {result.counts['fetched']:,} orders (no changes): "
            f"peak {meter.hub_peak / 2**20:.1f} MiB the hub's own; one twin call added at "
            f"most {meter.twin_extra / 2**20:.1f} MiB"
        )
        feed_rows = SalesFeedRow.objects.count()
        gc.collect()
        started, cpu = time.perf_counter(), time.process_time()
        rows, size = feed_fetch()
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        print(
            f"feed: {rows:,} rows ({feed_rows:,} ledger rows), {size / 2**20:.1f} MiB in "
            f"{elapsed:.1f} s = {rows / elapsed:,.0f} rows/s; CPU {cpu:.1f} s"
        )
        gc.collect()
        tracemalloc.start()
        feed_fetch()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"feed: peak {peak / 2**20:.1f} MiB while streaming {rows:,} rows")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    return 0


if __name__ == "__main__":
    sys.exit(main())

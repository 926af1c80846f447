"""Full stock push of 100,000 SKUs to the Centra twin at default limits, then a no-change cycle.

The whole engine runs (IP read with ``fields=``, ATS, plan, guard, push, drift read-back)
against both twins in-process, with the twin's throttling ON at Centra's default (Growth)
limits: 20 mutations and 60 requests per 10 s, 1,800 mutations per hour. Time is a
SIMULATED clock shared by the twin's token buckets and the client's pacer: the pacer's
waits advance it instead of sleeping, so "simulated push time" is what the push would take
against Centra at those limits, and the real seconds are this machine's own cost.

Prints: mutations used vs the ceil(N / batch) minimum; simulated push time vs the
quota-bound minimum ((mutations - 20) / 2 s: a full 10 s bucket, then 2 per second; the
hourly bucket of 1,800 is not reached); HTTP 429s seen (must be 0); and for the second,
unchanged cycle 5 simulated minutes later (the schedule), the mutations used (must be 0).
The real seconds are also given without the twins' own share (timed around their handlers):
the hub's own time; and, as the machine may be shared, CPU seconds beside them: this
process's (the twins' CPU taken out), the database server's for this connection (when it
runs on this machine), and the load average. Uses a throwaway test database on
``DATABASE_URL``.
"""

import math
import os
import sys
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "centra_ip.settings")
django.setup()

import httpx  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.cost import load, server_cpu  # noqa: E402

SKUS = int(os.environ.get("BENCH_SKUS", 100_000))
SIZES = [("S", "01"), ("M", "02"), ("L", "03"), ("XL", "04"), ("XXL", "05")]


class SimulatedClock:
    """Monotonic time that moves only when someone sleeps (the pacer's waits)."""

    def __init__(self):
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += max(0.0, seconds)


def seed(clock):
    from syncs.sandbox.centra.twin import CentraTwin
    from syncs.sandbox.inventory_planner.twin import InventoryPlannerTwin
    from syncs.sandbox.sandbox import CENTRA_TOKEN, IP_ACCOUNT, IP_API_KEY

    centra = CentraTwin(CENTRA_TOKEN, clock=clock)
    centra.state.add_warehouse("Main")
    for number in range(SKUS // 10):
        variants = {
            f"-{colour}-": [(name, size, f"73{number:07d}{c}{size}") for name, size in SIZES]
            for c, colour in enumerate(("BLK", "WHT"))
        }
        centra.state.add_product(f"P{number:06d}", f"Product {number}", variants=variants)
    ip = InventoryPlannerTwin(IP_API_KEY, IP_ACCOUNT)
    ip.add_warehouse("wh1")
    sizes = list(centra.state.sizes_by_sku.values())
    for index, size in enumerate(sizes):
        ip.add_variant(
            size.SKU,
            barcode=size.EAN,
            stock={"wh1": (index * 7) % 41},
            minimum_stock=1,
            velocity=(index % 13) / 4,
        )
    centra.reset_buckets()
    return centra, ip, sizes


def map_skus(sizes):
    from syncs.models import SkuMapping

    now = timezone.now()
    SkuMapping.objects.bulk_create(
        [
            SkuMapping(
                sku=size.SKU,
                ip_variant_id=f"v{size.id}",
                centra_size_id=size.id,
                centra_variant_id=size.productVariant.id,
                centra_product_id=size.productVariant.product.id,
                centra_sku=size.SKU,
                source=SkuMapping.Source.AUTOMATIC,
                created_at=now,
                updated_at=now,
            )
            for size in sizes
        ],
        batch_size=5000,
    )


class Cost:
    """Real and CPU seconds of one cycle, the twins' share of each counted apart."""

    def __init__(self):
        self.twins_real = self.twins_cpu = 0.0

    def start(self):
        self.real, self.cpu, self.db = time.perf_counter(), time.process_time(), server_cpu()

    def stop(self):
        self.real = time.perf_counter() - self.real
        self.cpu = time.process_time() - self.cpu
        db = server_cpu()
        self.db = None if db is None or self.db is None else db - self.db
        self.load = load()

    def __str__(self):
        db = "n/a" if self.db is None else f"{self.db:.1f} s"
        return (
            f"real {self.real:.1f} s, of which the twins {self.twins_real:.1f} s: the hub's own "
            f"{self.real - self.twins_real:.1f} s; the hub's CPU {self.cpu - self.twins_cpu:.1f} s "
            f"(the twins' {self.twins_cpu:.1f} s), the database's CPU {db}; "
            f"load average {self.load:.1f}"
        )


def cycle(clock, pacer, cost):
    from syncs.models import SyncRun
    from syncs.stock.engine import stock_engine

    run = SyncRun.objects.create(stream="stock", started_at=timezone.now())
    started_sim = clock.monotonic()
    cost.start()
    result = stock_engine(
        run=run, dry_run=False, full=False, centra_options={"clock": clock, "pacer": pacer}
    )
    cost.stop()
    SyncRun.objects.filter(pk=run.pk).update(status="succeeded", finished_at=timezone.now())
    return result, clock.monotonic() - started_sim


def main():
    from syncs.clients import transports_install
    from syncs.models import StockSettings

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        from syncs.connectors.centra import CentraLimits, Pacer

        clock = SimulatedClock()
        pacer = Pacer(CentraLimits(), clock)  # shared by both cycles, as in a worker process
        started = time.perf_counter()
        centra, ip, sizes = seed(clock)
        map_skus(sizes)
        print(f"seeded {len(sizes):,} SKUs on both twins in {time.perf_counter() - started:.1f} s")
        statuses, cost = [], Cost()

        def timed(answer):
            """The twins' own time, so the hub's share is reported apart from it."""

            def handle(request):
                started, cpu = time.perf_counter(), time.process_time()
                response = answer(request)
                cost.twins_real += time.perf_counter() - started
                cost.twins_cpu += time.process_time() - cpu
                return response

            return handle

        def handle(request):
            response = centra.handle(request)
            statuses.append(response.status_code)
            return response

        with transports_install(
            centra=httpx.MockTransport(timed(handle)),
            inventory_planner=httpx.MockTransport(timed(ip.handle)),
        ):
            batch = StockSettings.load().batch_size
            result, simulated = cycle(clock, pacer, cost)
            counts = result.counts
            n = counts["mutations"]
            minimum = math.ceil(counts["planned"] / batch)
            bound = max(0.0, (n - 20) / 2)
            push = counts["push_seconds"]
            print(
                f"full push: {counts['planned']:,} SKUs, {counts['accepted']:,} accepted, "
                f"{counts['rejected']} rejected; mutations {n} (minimum ceil(N/{batch}) = "
                f"{minimum})"
            )
            print(
                f"  simulated push time {push:.1f} s vs quota-bound minimum {bound:.1f} s "
                f"({push / bound - 1:+.1%}); whole cycle simulated {simulated:.1f} s "
                f"(incl. drift read-back of {counts['drift_checked']:,}) = "
                f"{simulated / bound:.2f} x the bound; {cost}"
            )
            print(f"  HTTP 429 answers: {statuses.count(429)} of {len(statuses)} Centra requests")
            statuses.clear()
            cost = Cost()
            clock.sleep(300)  # the schedule's 5 minutes between cycles
            result, simulated = cycle(clock, pacer, cost)
            print(
                f"no-change cycle: {result.counts['planned']} lines, "
                f"{result.counts['mutations']} mutations, {statuses.count(429)} 429s, {cost}"
            )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    return 0


if __name__ == "__main__":
    sys.exit(main())

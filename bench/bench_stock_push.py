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
the hub's own time. Uses a throwaway test database on ``DATABASE_URL``.
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


def cycle(clock, pacer):
    from syncs.models import SyncRun
    from syncs.stock.engine import stock_engine

    run = SyncRun.objects.create(stream="stock", started_at=timezone.now())
    started_real, started_sim = time.perf_counter(), clock.monotonic()
    result = stock_engine(
        run=run, dry_run=False, full=False, centra_options={"clock": clock, "pacer": pacer}
    )
    SyncRun.objects.filter(pk=run.pk).update(status="succeeded", finished_at=timezone.now())
    return result, time.perf_counter() - started_real, clock.monotonic() - started_sim


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
        statuses, twins = [], [0.0]

        def timed(answer):
            """The twins' own time, so the hub's share is reported apart from it."""

            def handle(request):
                started = time.perf_counter()
                response = answer(request)
                twins[0] += time.perf_counter() - started
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
            result, real, simulated = cycle(clock, pacer)
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
                f"(incl. drift read-back of {counts['drift_checked']:,}); real {real:.1f} s, "
                f"of which the twins {twins[0]:.1f} s: the hub's own {real - twins[0]:.1f} s"
            )
            print(f"  HTTP 429 answers: {statuses.count(429)} of {len(statuses)} Centra requests")
            statuses.clear()
            twins[0] = 0.0
            clock.sleep(300)  # the schedule's 5 minutes between cycles
            result, real, simulated = cycle(clock, pacer)
            print(
                f"no-change cycle: {result.counts['planned']} lines, "
                f"{result.counts['mutations']} mutations, {statuses.count(429)} 429s, "
                f"real {real:.1f} s, of which the twins {twins[0]:.1f} s: the hub's own "
                f"{real - twins[0]:.1f} s"
            )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Oversell window: IP stock reaching zero to Centra showing zero, while a full push is in flight.

100,000 SKUs on both twins (as ``bench_stock_push``), Centra throttled at the default
Growth limits, stock cycles on the default schedule (every 5 minutes; a tick that finds
the last cycle still running is refused, and the cycle runs again as soon as it ends, as
``syncs.tasks.run_stream`` catches it up). The first cycle is a full push of every SKU,
with the engine's zero watch reading IP's zero-stock variants every 30 s while it is in
flight (``syncs/stock/watch.py``). While it is being sent, ``BENCH_EVENTS`` SKUs go to
zero in IP at random moments spread over the push's quota-bound duration: half of them
SKUs the full push sends in a priority lane (low stock or high velocity), half in the rest
lane. For each, the window is the time from its IP stock reaching zero to the first
``setStock`` that writes 0 for it being answered by Centra; the cycles go on until every
SKU is at zero in Centra. Prints p50 and p95 per class (target: priority p95 <= 90 s).

The clock is SIMULATED but charges every cost the storefront would wait for: the hub's
own real time (compute, database), Centra's pacing waits (advanced, not slept), and a
per-request cost for each API: ``BENCH_IP_PAGE_SECONDS`` (default 1.5: the IP client's
production politeness gap of 1 s between requests plus 0.5 s for a page of 1,000 narrow
variants, an assumption: IP publishes no latency) and ``BENCH_CENTRA_REQUEST_SECONDS``
(default 0.2). Uses a throwaway test database on ``DATABASE_URL``.
"""

import json
import os
import random
import statistics
import sys
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "centra_ip.settings")
django.setup()

import httpx  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.bench_stock_push import map_skus, seed  # noqa: E402

EVENTS = int(os.environ.get("BENCH_EVENTS", 400))
IP_PAGE_SECONDS = float(os.environ.get("BENCH_IP_PAGE_SECONDS", 1.5))
CENTRA_REQUEST_SECONDS = float(os.environ.get("BENCH_CENTRA_REQUEST_SECONDS", 0.2))
SCHEDULE_SECONDS = 300  # centra_ip/schedules.py: stock every 5 minutes
MAX_CYCLES = 8


class HubClock:
    """Real elapsed time plus every simulated wait: the hub's own cost counts, Centra's
    quota waits and the APIs' per-request costs are added without sleeping."""

    def __init__(self):
        self.started = time.perf_counter()
        self.waited = 0.0

    def monotonic(self) -> float:
        return time.perf_counter() - self.started + self.waited

    def sleep(self, seconds: float) -> None:
        self.waited += max(0.0, seconds)


class Scenario:
    """The zero events, applied to the IP twin when due, and seen landing in Centra."""

    def __init__(self, clock, centra, ip, sizes):
        self.clock, self.centra, self.ip = clock, centra, ip
        self.by_size = {size.id: size.SKU for size in sizes}
        self.events: dict[int, dict] = {}  # size id -> {sku, cls, at, applied, window}
        self.push_started = None

    def plan(self, sizes, bound: float) -> None:
        """Half priority-lane SKUs (low stock or fast), half rest-lane ones, all with stock
        well above zero; due at random moments over the push's quota-bound duration."""
        rng = random.Random(17)
        priority, rest = [], []
        for index, size in enumerate(sizes):
            stock, velocity = (index * 7) % 41, (index % 13) / 4
            if stock - 1 > 3 and velocity >= 2:
                priority.append(size)
            elif stock - 1 > 3:
                rest.append(size)
        for cls, pool in (("priority", priority), ("rest", rest)):
            for size in rng.sample(pool, EVENTS // 2):
                self.events[size.id] = {
                    "sku": size.SKU,
                    "cls": cls,
                    "offset": rng.uniform(0, bound),
                    "at": None,
                    "window": None,
                }

    def ip_handle(self, request):
        self.clock.sleep(IP_PAGE_SECONDS)
        if self.push_started is not None:
            self.apply_due()
        return self.ip.handle(request)

    def centra_handle(self, request):
        response = self.centra.handle(request)
        self.clock.sleep(CENTRA_REQUEST_SECONDS)
        body = json.loads(request.content or b"{}")
        if "setStock" not in body.get("query", ""):
            return response
        if self.push_started is None:
            self.push_started = self.clock.monotonic()
        self.apply_due()
        now = self.clock.monotonic()
        for item in body["variables"]["input"]["productSizes"]:
            event = self.events.get(int(item["productSize"]["id"]))
            due = event and event["at"] is not None and event["window"] is None
            if due and item["quantity"] == 0:
                event["window"] = now - event["at"]
        return response

    def apply_due(self) -> None:
        """Set IP to zero for the events now due, as of their own moment."""
        now = self.clock.monotonic()
        for event in self.events.values():
            if event["at"] is None and self.push_started + event["offset"] <= now:
                event["at"] = self.push_started + event["offset"]
                self.ip.set_stock(event["sku"], "wh1", 0)

    def pending(self) -> int:
        return sum(event["window"] is None for event in self.events.values())

    def report(self) -> None:
        for cls in ("priority", "rest"):
            windows = sorted(e["window"] for e in self.events.values() if e["cls"] == cls)
            windows = [w for w in windows if w is not None]
            if not windows:
                print(f"  {cls}: none reached Centra")
                continue
            p95 = windows[max(0, round(0.95 * len(windows)) - 1)]
            print(
                f"  {cls:<8} lane: {len(windows)} SKUs, p50 {statistics.median(windows):.1f} s, "
                f"p95 {p95:.1f} s, max {windows[-1]:.1f} s"
            )


def next_start(started: float, ended: float) -> float:
    """When the cycle after one that ran from ``started`` to ``ended`` starts: at once if a
    schedule tick fell while it ran (the tick was refused as busy, and the runner catches
    it up: ``syncs.tasks.run_stream``), else at the next tick."""
    last_tick = ended // SCHEDULE_SECONDS * SCHEDULE_SECONDS
    if last_tick > started:
        return ended
    return last_tick + SCHEDULE_SECONDS


def main():
    from syncs.clients import transports_install
    from syncs.connectors.centra import CentraLimits, Pacer
    from syncs.models import StockSettings, SyncRun
    from syncs.stock.engine import stock_engine

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        clock = HubClock()
        pacer = Pacer(CentraLimits(), clock)
        centra, ip, sizes = seed(clock)
        map_skus(sizes)
        scenario = Scenario(clock, centra, ip, sizes)
        batch = StockSettings.load().batch_size
        mutations = -(-len(sizes) // batch)
        scenario.plan(sizes, bound=max(0.0, (mutations - 20) / 2))
        clock.waited -= clock.monotonic()  # time 0: the first cycle's tick
        print(
            f"{len(sizes):,} SKUs; {EVENTS} go to zero during the full push; IP page "
            f"{IP_PAGE_SECONDS} s, Centra request {CENTRA_REQUEST_SECONDS} s (simulated)"
        )
        with transports_install(
            centra=httpx.MockTransport(scenario.centra_handle),
            inventory_planner=httpx.MockTransport(scenario.ip_handle),
        ):
            previous_start = 0.0
            for number in range(MAX_CYCLES):
                if number:
                    clock.sleep(next_start(previous_start, clock.monotonic()) - clock.monotonic())
                previous_start = clock.monotonic()
                started, real = clock.monotonic(), time.perf_counter()
                run = SyncRun.objects.create(stream="stock", started_at=timezone.now())
                result = stock_engine(
                    run=run,
                    dry_run=False,
                    full=False,
                    centra_options={"clock": clock, "pacer": pacer},
                )
                SyncRun.objects.filter(pk=run.pk).update(
                    status="succeeded", finished_at=timezone.now()
                )
                counts = result.counts
                print(
                    f"cycle {number + 1} at {started:.0f} s: {counts['planned']:,} lines, "
                    f"{counts.get('mutations', 0)} mutations, push "
                    f"{counts.get('push_seconds', 0):.0f} s, read back "
                    f"{counts.get('drift_checked', 0):,}; ended at {clock.monotonic():.0f} s "
                    f"({time.perf_counter() - real:.1f} s real); "
                    f"{scenario.pending()} SKUs not yet zero in Centra"
                )
                if not scenario.pending():
                    break
        print("oversell window (IP zero -> Centra zero), simulated:")
        scenario.report()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    return 0


if __name__ == "__main__":
    sys.exit(main())

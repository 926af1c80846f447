"""Page 100,000 IP variants and 100,000 Centra sizes through the clients against the twins.

Prints rows per second and the peak memory of the paging (tracemalloc, measured after the
twins are seeded, so it covers the client and the twin's per-request work, not the twin's
stored catalog), at two catalog sizes: paging streams, so the peak must not grow in step
with the catalog. The twins run in-process (httpx.MockTransport), so the figures
are the clients' and twins' own cost, without sockets. Throttling and pacing are off:
this measures paging, not Centra's quota (bench_stock_push measures that).
"""

import gc
import os
import time
import tracemalloc

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "centra_ip.settings")
django.setup()

import httpx  # noqa: E402

from syncs.connectors.centra import CentraClient, CentraLimits  # noqa: E402
from syncs.connectors.inventory_planner.client import InventoryPlannerClient  # noqa: E402
from syncs.sandbox.centra.twin import CentraTwin  # noqa: E402
from syncs.sandbox.inventory_planner.twin import InventoryPlannerTwin  # noqa: E402

SIZES = [("S", "01", ""), ("M", "02", ""), ("L", "03", ""), ("XL", "04", ""), ("XXL", "05", "")]


def centra_twin(sizes: int) -> CentraTwin:
    twin = CentraTwin("t")
    twin.config.throttle = False
    twin.state.add_warehouse("Main")
    for number in range(sizes // 10):
        variants = {
            f"-{colour}-": [(n, f"{i}", f"73{number:07d}{c}{i}") for n, i, _ in SIZES]
            for c, colour in enumerate(("BLK", "WHT"))
        }
        twin.state.add_product(f"P{number:06d}", f"Product {number}", variants=variants)
    return twin


def ip_twin(variants: int) -> InventoryPlannerTwin:
    twin = InventoryPlannerTwin("k", "a")
    twin.add_warehouse("wh1")
    for number in range(variants):
        twin.add_variant(
            f"SKU{number:07d}",
            barcode=f"73{number:09d}",
            stock={"wh1": number % 40},
            minimum_stock=1,
            velocity=0.5,
        )
    return twin


def measure(label: str, make_rows) -> None:
    """Two passes: one timed (tracemalloc slows Python several-fold), one for the peak."""
    started = time.perf_counter()
    count = sum(1 for _ in make_rows())
    seconds = time.perf_counter() - started
    gc.collect()
    tracemalloc.start()
    sum(1 for _ in make_rows())
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"{label:<52} {count:>8,} rows  {count / seconds:>8,.0f} rows/s  "
        f"peak {peak / 2**20:5.1f} MiB",
        flush=True,
    )


def main() -> None:
    for n in (20_000, 100_000):
        twin = centra_twin(n)
        client = CentraClient(
            "http://twin/graphql",
            "t",
            transport=httpx.MockTransport(twin.handle),
            limits=CentraLimits.unlimited(),
        )
        measure(f"Centra sizes, iter_sizes (catalog {n:,})", client.iter_sizes)
        del twin, client
        twin = ip_twin(n)
        client = InventoryPlannerClient(
            "http://twin/api/v1",
            "k",
            "a",
            min_gap_seconds=0,
            transport=httpx.MockTransport(twin.handle),
        )
        measure(f"IP variants, iter_variants (catalog {n:,})", client.iter_variants)
        measure(
            f"IP variants, fields=sku,warehouse.in_stock (catalog {n:,})",
            lambda client=client: client.iter_variants(fields=["sku", "warehouse.in_stock"]),
        )
        del twin, client


if __name__ == "__main__":
    main()

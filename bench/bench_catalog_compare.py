"""Full catalog compare, 200,000 SKUs per side: map decided, stored, tickets raised in bulk.

Builds both catalogs as the clients return them (``SizeRow`` and ``Variant``; paging them
is measured by bench_paging) with planted differences: 2,000 Centra-only SKUs (half with an
IP near-duplicate sharing the EAN), 2,000 IP-only SKUs with stock. Prints, for the first run
(empty map) and a second run (everything mapped already):

- reading the stored mappings as the engine does (the compare's input): seconds;
- ``catalog_compare`` (pure, in memory): seconds and peak memory under tracemalloc;
- ``catalog_store`` (snapshot upserts, mappings, ~4,000 tickets raised in bulk): seconds,
  with this process's CPU seconds, the database's CPU seconds and the load average.

Uses the database in ``DATABASE_URL`` (a throwaway test database next to it).
"""

import gc
import os
import sys
import time
import tracemalloc

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "centra_ip.settings")
os.environ.setdefault("DEBUG", "true")
django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from bench.cost import load, server_cpu  # noqa: E402

SKUS = int(os.environ.get("BENCH_SKUS", 200_000))
ONE_SIDED = SKUS // 100


def catalogs():
    from syncs.connectors.centra.types import SizeRow
    from syncs.connectors.inventory_planner.types import Variant

    sizes, variants = [], []
    for n in range(SKUS):
        sku, ean = f"P{n // 10:06d}-{n % 10:02d}", f"73{n:011d}"
        if n >= ONE_SIDED:  # the first ONE_SIDED SKUs are Centra-only
            variants.append(Variant(f"v{n}", sku=sku, barcode=ean, removed=False, in_stock=5))
        elif n % 2:  # half of them have an IP near-duplicate with the same barcode
            variants.append(
                Variant(f"v{n}", sku=f" {sku.lower()}", barcode=ean, removed=False, in_stock=0)
            )
        product, variant = n // 10, n // 5
        sizes.append(
            SizeRow(
                product,
                f"P{product:06d}",
                "Product",
                "ACTIVE",
                variant,
                "-A-",
                "A",
                n + 1,
                f"{n % 10:02d}",
                "M",
                sku,
                ean,
            )
        )
    for n in range(ONE_SIDED):  # IP-only SKUs with stock
        variants.append(Variant(f"w{n}", sku=f"NEW{n:06d}", barcode="", removed=False, in_stock=3))
    return sizes, variants


def one_run(label: str, sizes, variants) -> None:
    from syncs.catalog.plan import MAPPING_FIELDS, catalog_compare
    from syncs.catalog.store import catalog_store
    from syncs.models import SkuMapping

    gc.collect()
    started = time.perf_counter()
    # As syncs/catalog/engine.py reads them.
    mappings = list(SkuMapping.objects.order_by().values_list(*MAPPING_FIELDS, named=True))
    read_seconds = time.perf_counter() - started
    started = time.perf_counter()
    plan = catalog_compare(sizes=sizes, variants=variants, mappings=mappings)
    compare_seconds = time.perf_counter() - started
    gc.collect()
    tracemalloc.start()
    catalog_compare(sizes=sizes, variants=variants, mappings=mappings)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    started, cpu, db = time.perf_counter(), time.process_time(), server_cpu()
    catalog_store(plan=plan)
    store_seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    db = "n/a" if db is None else f"{server_cpu() - db:.1f} s"
    counts = plan.counts
    print(
        f"{label}: mappings read {read_seconds:.1f} s, "
        f"compare {compare_seconds:.1f} s (peak {peak / 2**20:.0f} MiB), "
        f"store {store_seconds:.1f} s, CPU {cpu:.1f} s, the database's CPU {db} "
        f"({connection.vendor}, load average {load():.1f}); "
        f"{counts['mapped']:,} mapped "
        f"({counts['newly_mapped']:,} new), {counts['missing_in_ip']:,} missing in IP, "
        f"{counts['missing_in_centra']:,} missing in Centra"
    )


def main():
    from exceptions.models import Ticket

    setup_test_environment()
    settings.DEBUG = False  # no query log: measure the code, not Django's debug cursor
    old_name = connection.settings_dict["NAME"]
    # Its own database, never the test suite's ("test_<name>"), which others may be using.
    connection.settings_dict["TEST"]["NAME"] = f"{old_name}_bench_catalog_compare"
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        sizes, variants = catalogs()
        print(f"catalogs: {len(sizes):,} Centra sizes, {len(variants):,} IP variants")
        one_run("first run (empty map)", sizes, variants)
        one_run("second run (all mapped)", sizes, variants)
        print(f"tickets: {Ticket.objects.count():,}")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""``sync catalog``: read both catalogs in full, then decide, then store.

Both reads finish before anything is written, so a read that fails half-way (throttled, 5xx
after the client's retries, a bad page) leaves the previous snapshot, mappings and tickets
exactly as they were; the runner turns the error into an API ticket.
"""

from syncs.catalog.plan import IP_FIELDS, MAPPING_FIELDS, catalog_compare
from syncs.catalog.store import catalog_store
from syncs.clients import centra_client, inventory_planner_client
from syncs.engines import EngineResult
from syncs.models import SkuMapping


def catalog_engine(*, run, dry_run: bool, full: bool) -> EngineResult:
    """One catalog cycle (every cycle is a full compare, so ``full`` changes nothing)."""
    with centra_client(sync_run=run) as centra:
        sizes = list(centra.iter_sizes())
    with inventory_planner_client(sync_run=run) as ip:
        variants = list(ip.iter_variants(fields=IP_FIELDS))
    # Rows of the fields compared, not 200,000 model instances; in no particular order.
    mappings = SkuMapping.objects.order_by().values_list(*MAPPING_FIELDS, named=True)
    plan = catalog_compare(sizes=sizes, variants=variants, mappings=mappings)
    if not dry_run:
        catalog_store(plan=plan)
    counts = plan.counts
    prefix = "dry run: " if dry_run else ""
    return EngineResult(
        summary=(
            f"{prefix}{counts['centra_sizes']} Centra sizes, {counts['ip_variants']} IP variants; "
            f"{counts['mapped']} mapped ({counts['newly_mapped']} new), "
            f"{counts['missing_in_ip']} missing in IP, "
            f"{counts['missing_in_centra']} missing in Centra"
        ),
        counts=counts,
    )

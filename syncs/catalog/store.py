"""Storing a catalog plan: the snapshot of both catalogs and the mappings, in one
transaction, writing only what differs; then the tickets (``tickets``)."""

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from centra_ip.bulk import bulk_insert_rows, bulk_upsert_rows
from centra_ip.chunks import chunked
from centra_ip.heap import without_collector
from syncs.catalog.hooks import mappings_created
from syncs.catalog.plan import MAPPING_SYNCED_FIELDS, PAIR_FIELDS, CatalogPlan
from syncs.catalog.tickets import catalog_tickets_settle
from syncs.connectors.centra.types import SizeRow
from syncs.connectors.inventory_planner.types import Variant
from syncs.models import CentraSize, IpVariant, SkuMapping
from syncs.models.catalog import sku_normalise

CENTRA_SIZE_FIELDS = (
    "sku",
    "sku_key",
    "ean",
    "product_id",
    "product_number",
    "product_name",
    "product_status",
    "variant_id",
    "variant_name",
    "size_name",
)
IP_VARIANT_FIELDS = ("sku", "sku_key", "barcode", "title", "removed", "in_stock")


def _centra_row(s: SizeRow) -> tuple:
    return (
        s.size_id,
        s.sku,
        sku_normalise(s.sku),
        s.ean or "",
        s.product_id,
        s.product_number,
        s.product_name[:255],
        s.product_status,
        s.variant_id,
        s.variant_name[:255],
        s.size_name,
    )


def _ip_row(v: Variant) -> tuple:
    sku = v.sku or ""
    return (
        v.id,
        sku,
        sku_normalise(sku),
        v.barcode or "",
        (v.title or "")[:255],
        bool(v.removed),
        v.in_stock,
    )


def _snapshot_write(model, key: str, fields: tuple, rows: Iterable[tuple], now) -> None:
    """Make the table equal ``rows`` (tuples of ``key`` then ``fields``), writing only what
    differs: a catalog of 200,000 SKUs changes a few rows per run, and Django spends most
    of a bulk write preparing values, so unchanged rows are not sent at all, and changed
    ones go as rows of values (no model instance each). Every stored row is read and
    compared in full, in the table's order (sorting 200,000 rows would cost more)."""
    wanted = {row[0]: row for row in rows}
    changed, gone = [], []
    for stored in model.objects.order_by().values_list(key, *fields).iterator(5000):
        row = wanted.pop(stored[0], None)
        if row is None:
            gone.append(stored[0])
        elif row != stored:
            changed.append((*row, now))
    # What is left is not stored yet. It is inserted as it is (a first run's whole
    # catalog): an upsert would stage and conflict-check each row, doubling the database's
    # work.
    bulk_insert_rows(model, [key, *fields, "seen_at"], [(*row, now) for row in wanted.values()])
    bulk_upsert_rows(
        model,
        [key, *fields, "seen_at"],
        changed,
        unique_fields=[key],
        update_fields=[*fields, "seen_at"],
    )
    for chunk in chunked(gone, 5000):
        model.objects.filter(**{f"{key}__in": chunk}).delete()


@without_collector
def catalog_store(*, plan: CatalogPlan) -> None:
    """Write the snapshot and the mappings in one transaction, then raise and clear tickets.

    The snapshot is brought up to date in place (rows gone from a side deleted), so the
    workbench never shows an empty catalog mid-run; ``seen_at`` is when a row last changed.
    Mappings are written before tickets: a ticket cleared here is cleared because the
    mapping is already committed.
    """
    now = timezone.now()
    with transaction.atomic():
        _snapshot_write(
            CentraSize, "size_id", CENTRA_SIZE_FIELDS, map(_centra_row, plan.sizes), now
        )
        _snapshot_write(
            IpVariant, "variant_id", IP_VARIANT_FIELDS, map(_ip_row, plan.variants), now
        )
        _mappings_write(plan, now)
    catalog_tickets_settle(plan)


def _mappings_write(plan: CatalogPlan, now) -> None:
    """Write what the plan decided about mappings: it compared every stored mapping
    already, so only the dropped, changed and new ones are touched here."""
    SkuMapping.objects.filter(pk__in=plan.dropped_mappings).delete()
    changed = [
        SkuMapping(
            pk=pk, updated_at=now, **{name: getattr(pair, name) for name in MAPPING_SYNCED_FIELDS}
        )
        for pk, pair in plan.changed_mappings
    ]
    SkuMapping.objects.bulk_update(changed, [*MAPPING_SYNCED_FIELDS, "updated_at"], batch_size=1000)
    # A first run creates every mapping: rows of values, not 200,000 model instances.
    bulk_insert_rows(
        SkuMapping,
        [*PAIR_FIELDS, "created_at", "updated_at"],
        [(*p, now, now) for p in plan.new_pairs],
    )
    # The pairs carry what the hooks read of a mapping (its SKUs and ids).
    mappings_created(mappings=plan.new_pairs)

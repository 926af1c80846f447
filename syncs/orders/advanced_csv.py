"""IP's Advanced CSV connector files, written to a drop folder (reference §4.3).

Optional (``IP_ADVANCED_CSV_DIR``; empty = off): for Premium accounts whose Advanced CSV
connection picks files up over SFTP; the folder is what that SFTP account serves (or what a
sync job copies to it). Each run writes, per entity, one file holding only the rows new or
changed since the entity's last file, and none when nothing changed (IP: a file is not needed
when there is nothing new). Entities, in the order IP needs them:

- ``warehouse``: the one warehouse the hub's rows name (``IP_ADVANCED_CSV_WAREHOUSE``),
  written once, since the other files refer to it;
- ``variant`` and ``variant_warehouse`` (with ``IP_ADVANCED_CSV_VARIANTS``): the mapped
  SKUs (``VARIANT_ID`` = the IP variant id, as the sales rows send) and their stock, which
  is the stock engine's ATS, as in the products file (see ``products_feed``);
- ``sales_order``: one row per published line (``ORDER_ID`` = the line, ``ID`` = the order
  number), cancelled lines with ``CANCELLED=true``, returned units as negative rows.

Files go to ``<dir>/<entity>/<entity>_<UTC timestamp>.csv`` (a unique name every time, and
names sort oldest first, the order IP processes them in). A file is written under a temporary
name outside the entity folder and renamed into it, so a reader never sees half a file; the
``AdvancedCsvFile`` record (the receipt, and the entity's watermark) is stored after the
rename. A crash between the two writes the same rows again in the next file: IP treats a row
it already has as an update, so that repeats nothing.
"""

import csv
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from centra_ip.env import app_setting
from syncs.models import SalesFeedRow, SkuMapping
from syncs.models.orders import AdvancedCsvFile, AdvancedCsvStock
from syncs.orders.config import orders_config
from syncs.orders.products_feed import mapped_products

Entity = AdvancedCsvFile.Entity
COLUMNS = {
    Entity.WAREHOUSE: ("WAREHOUSE_ID", "DISPLAY_NAME", "UPDATED_AT", "REMOVED"),
    Entity.VARIANT: (
        "VARIANT_ID",
        "SKU",
        "TITLE",
        "BARCODE",
        "PRODUCT_ID",
        "PRICE",
        "CREATED_AT",
        "UPDATED_AT",
        "REMOVED",
    ),
    Entity.VARIANT_WAREHOUSE: ("VARIANT_ID", "WAREHOUSE_ID", "IN_STOCK", "REMOVED", "UPDATED_AT"),
    Entity.SALES_ORDER: (
        "ORDER_ID",
        "ID",
        "VARIANT_ID",
        "WAREHOUSE",
        "CURRENCY",
        "QUANTITY",
        "PRICE",
        "CREATED_AT",
        "REMOVED",
        "UPDATED_AT",
        "CANCELLED",
    ),
}


@dataclass(frozen=True)
class AdvancedCsvConfig:
    folder: Path | None  # None: off
    warehouse: str  # WAREHOUSE_ID / WAREHOUSE of every row
    variants: bool  # also write the variant and variant-warehouse files


def advanced_csv_config() -> AdvancedCsvConfig:
    folder = app_setting("IP_ADVANCED_CSV_DIR", "")
    warehouse = app_setting("IP_ADVANCED_CSV_WAREHOUSE", "centra")
    variants = app_setting("IP_ADVANCED_CSV_VARIANTS", False)
    if not isinstance(variants, bool):
        raise ImproperlyConfigured(f"IP_ADVANCED_CSV_VARIANTS must be True or False: {variants!r}")
    if not isinstance(warehouse, str) or not warehouse:
        raise ImproperlyConfigured("IP_ADVANCED_CSV_WAREHOUSE must be a non-empty text")
    return AdvancedCsvConfig(
        folder=Path(folder) if folder else None, warehouse=warehouse, variants=variants
    )


def _stamp(moment: datetime) -> str:
    """TIMESTAMP_NTZ: UTC, no zone suffix."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _write_atomically(
    folder: Path, entity: str, now: datetime, rows: list[tuple]
) -> tuple[str, int]:
    """Write the file under a temporary name, flush it to disk, rename it into place; the
    file's name inside the drop folder and its size."""
    target_dir = folder / entity
    target_dir.mkdir(parents=True, exist_ok=True)
    staging = folder / ".staging"
    staging.mkdir(exist_ok=True)
    name = f"{entity}_{now.astimezone(UTC):%Y%m%dT%H%M%S%fZ}.csv"
    descriptor, temporary = tempfile.mkstemp(dir=staging, suffix=".csv.part")
    try:
        with os.fdopen(descriptor, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(COLUMNS[entity])
            writer.writerows(rows)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target_dir / name)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return f"{entity}/{name}", (target_dir / name).stat().st_size


def _record(*, config, entity, rows: list[tuple], since, through, now) -> AdvancedCsvFile | None:
    if not rows:
        return None
    name, size = _write_atomically(config.folder, entity, now, rows)
    return AdvancedCsvFile.objects.create(
        entity=entity,
        name=name,
        written_at=now,
        since=since,
        through=through,
        rows=len(rows),
        bytes=size,
    )


def _since(entity: str):
    return AdvancedCsvFile.objects.filter(entity=entity).aggregate(last=Max("through"))["last"]


def _changed(queryset, field: str, since, through):
    window = queryset.filter(**{f"{field}__lte": through})
    return window if since is None else window.filter(**{f"{field}__gt": since})


def _warehouse_rows(config, since, now) -> list[tuple]:
    return [] if since is not None else [(config.warehouse, "Centra", _stamp(now), "false")]


def _variant_rows(since, through) -> list[tuple]:
    changed = _changed(SkuMapping.objects.all(), "updated_at", since, through)
    return [
        (
            mapping.ip_variant_id,
            mapping.sku,
            facts.title,
            mapping.ean,
            str(mapping.centra_product_id),
            str(facts.price),
            _stamp(mapping.created_at),
            _stamp(mapping.updated_at),
            "false",
        )
        for mapping, facts in mapped_products(changed)
    ]


def _stock_rows(config, now) -> tuple[list[tuple], list[AdvancedCsvStock]]:
    """Every mapped variant whose ATS differs from what the last file said (or was never
    written); and the values to remember once the file is in place."""
    written = dict(AdvancedCsvStock.objects.values_list("variant_id", "in_stock"))
    rows, remember = [], []
    for mapping, facts in mapped_products(SkuMapping.objects.all()):
        if written.get(mapping.ip_variant_id) == facts.stock:
            continue
        rows.append((mapping.ip_variant_id, config.warehouse, facts.stock, "false", _stamp(now)))
        remember.append(
            AdvancedCsvStock(variant_id=mapping.ip_variant_id, in_stock=facts.stock, written_at=now)
        )
    return rows, remember


def _sales_rows(config, since, through) -> list[tuple]:
    changed = _changed(
        SalesFeedRow.objects.exclude(product_id=""), "changed_at", since, through
    ).order_by("changed_at", "pk")
    return [
        (
            row.source_ref
            if row.source == SalesFeedRow.Source.ORDER_LINE
            else f"return-{row.source_ref}",
            row.order_number,
            row.product_id,
            config.warehouse,
            row.currency,
            row.quantity,
            str(row.price),
            _stamp(row.date),
            "false",
            _stamp(row.changed_at),
            _flag(row.cancelled),
        )
        for row in changed.iterator(chunk_size=2000)
    ]


def advanced_csv_write(*, now: datetime | None = None) -> list[AdvancedCsvFile]:
    """Write this run's files (none for an entity with nothing new); returns their records.

    Raises ``ImproperlyConfigured`` when the drop folder is not set (the feature is off).
    """
    config = advanced_csv_config()
    if config.folder is None:
        raise ImproperlyConfigured("Advanced CSV files are off: set IP_ADVANCED_CSV_DIR.")
    now = now or timezone.now()
    through = now - orders_config().feed_commit_margin
    written: list[AdvancedCsvFile] = []
    entities: Iterable[str] = (
        [Entity.WAREHOUSE, Entity.VARIANT, Entity.VARIANT_WAREHOUSE, Entity.SALES_ORDER]
        if config.variants
        else [Entity.WAREHOUSE, Entity.SALES_ORDER]
    )
    for entity in entities:
        since = _since(entity)
        remember: list[AdvancedCsvStock] = []
        if entity == Entity.WAREHOUSE:
            rows = _warehouse_rows(config, since, now)
        elif entity == Entity.VARIANT:
            rows = _variant_rows(since, through)
        elif entity == Entity.VARIANT_WAREHOUSE:
            rows, remember = _stock_rows(config, now)
        else:
            rows = _sales_rows(config, since, through)
        with transaction.atomic():
            record = _record(
                config=config, entity=entity, rows=rows, since=since, through=through, now=now
            )
            if remember:
                AdvancedCsvStock.objects.bulk_create(
                    remember,
                    update_conflicts=True,
                    unique_fields=["variant_id"],
                    update_fields=["in_stock", "written_at"],
                    batch_size=1000,
                )
        if record is not None:
            written.append(record)
    return written

"""What a stock cycle reads before it decides: IP's stock, the warehouse map, the SKU map
and status ledger, the positions known from the last cycle. ``plan`` decides from these."""

import json
from datetime import timedelta

from django.db.models import TextField
from django.db.models.functions import Cast
from django.utils import timezone

from syncs.connectors.base import ConnectorError
from syncs.models import CentraSize, SkuMapping, StockPosition, StockPushLine, WarehouseMapping
from syncs.stock import tickets
from syncs.stock.config import config_save, warehouse_map_load
from syncs.stock.ledger import status_quantities
from syncs.stock.plan import KEY, Catalog, Known

IP_FIELDS = (
    "sku",
    "removed",
    "product_type",
    "warehouse.in_stock",
    "warehouse.minimum_stock",
    "warehouse.forecast_description.sales_velocity1",
)


class StockConfigError(Exception):
    """The engine cannot decide where stock goes (e.g. the warehouse map is missing)."""


def ip_read(*, ip) -> list:
    """All IP variants, or a ticket and the error (nothing planned, nothing sent)."""
    try:
        return list(ip.iter_variants(fields=IP_FIELDS))
    except ConnectorError as error:
        tickets.push_held_raise(
            summary=f"IP stock read failed, nothing was sent: {error}",
            context={"reasons": [f"IP read failed: {error}"]},
        )
        raise


def warehouse_map_resolve(*, centra, ip_warehouses: set[str]) -> dict[str, int]:
    """The configured map; or, with none configured and one warehouse on each side, that
    pair, saved (and audited) so the screen shows it. Anything else needs an admin."""
    configured = warehouse_map_load()
    if configured:
        return configured
    centra_warehouses = list(centra.iter_warehouses())
    if len(centra_warehouses) == 1 and len(ip_warehouses) == 1:
        (ip_warehouse,) = ip_warehouses
        mapping = config_save(
            area="warehouse_map",
            instance=WarehouseMapping(
                ip_warehouse=ip_warehouse,
                centra_warehouse_id=centra_warehouses[0].id,
                centra_warehouse_name=centra_warehouses[0].name,
            ),
            actor=None,
            via="automatic",
        )
        return {mapping.ip_warehouse: mapping.centra_warehouse_id}
    raise StockConfigError(
        f"the warehouse map is empty and cannot be automatic: IP has {len(ip_warehouses)} "
        f"warehouses, Centra {len(centra_warehouses)}; map them under Configuration"
    )


def catalog_load(ip_to_centra: dict[str, int]) -> Catalog:
    mapped = {
        sku: (size_id, product_id)
        for sku, size_id, product_id in SkuMapping.objects.values_list(
            "sku", "centra_size_id", "centra_product_id"
        )
    }
    by_centra: dict[int, list[str]] = {}
    for ip_warehouse, centra_id in ip_to_centra.items():
        by_centra.setdefault(centra_id, []).append(ip_warehouse)
    return Catalog(
        mapped=mapped,
        product_numbers=dict(CentraSize.objects.values_list("size_id", "product_number")),
        statuses=status_quantities(ip_to_centra),
        by_centra=by_centra,
    )


def positions_known(**filters) -> dict[tuple[str, int], Known]:
    """The stored positions as ``Known`` tuples, keyed by (SKU, Centra warehouse).

    ``ip_warehouses`` is read as text and each distinct text parsed once (nearly every
    position has the same list): decoding 100,000 JSON values through the field was a
    fifth of a no-change cycle's reading. The lists are shared, read only."""
    at = Known._fields.index("ip_warehouses")
    names = [*Known._fields[:at], "warehouses_text", *Known._fields[at + 1 :]]
    rows = (
        StockPosition.objects.filter(**filters)
        .annotate(warehouses_text=Cast("ip_warehouses", TextField()))
        .values_list(*KEY, *names)
    )
    parsed: dict[str, list] = {}
    known = {}
    for row in rows.iterator(chunk_size=5000):
        text = row[2 + at]
        warehouses = parsed.get(text)
        if warehouses is None:
            warehouses = parsed[text] = json.loads(text)
        known[(row[0], row[1])] = Known(*row[2 : 2 + at], warehouses, *row[3 + at :])
    return known


def rest_lane_recent(settings) -> bool:
    """Whether a rest-lane line was sent within the settings' rest-lane minutes (a cycle
    then defers the rest lane's changes, unless it is a full push)."""
    return StockPushLine.objects.filter(
        lane=StockPushLine.Lane.REST,
        status__in=[StockPushLine.Status.SENT, StockPushLine.Status.WARNED],
        sent_at__gte=timezone.now() - timedelta(minutes=settings.rest_lane_minutes),
    ).exists()

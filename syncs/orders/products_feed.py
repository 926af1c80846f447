"""The products file of IP's legacy CSV connection (reference §4.2), for deployments that
need it (``IP_PRODUCTS_FEED``, off by default).

IP's CSV connection wants a products file beside the sales-order file; most brands feed
products and stock to IP from their WMS/ERP instead, so serving it is a deployment choice.
The file is a full snapshot (IP deletes a product missing from it): one row per mapped SKU,
since those are the only SKUs the sales file publishes, and ``product_id`` is the IP variant
id, the same id the sales file sends, so IP joins the two.

What each column comes from (what the hub knows):

- ``title``: IP's variant title from the catalog snapshot, else Centra's product, variant
  and size names, else the SKU;
- ``price``: the unit price of the SKU's latest sale in the ledger (the hub reads no price
  list); ``0.00`` for a SKU never sold;
- ``created_at``: when the mapping was made (the day the hub started selling it as that SKU);
- ``stock_quantity``: the available-to-sell the stock engine last computed, summed over the
  SKU's Centra warehouses (``StockPosition.ats``): what the storefront whose sales are in
  this connection could sell, so a day at 0 is that channel's stock-out day, which IP leaves
  out of its velocity. Not IP's own ``in_stock``: echoing it into the CSV connection's
  warehouse would count the same units twice. 0 for a SKU with no position yet.
"""

from collections.abc import Iterator
from datetime import UTC
from decimal import Decimal

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Sum

from centra_ip.env import app_setting
from syncs.models import CentraSize, FeedDelivery, IpVariant, SalesFeedRow, SkuMapping
from syncs.models.stock import StockPosition
from syncs.orders.feed import CENT, delivery_stream

COLUMNS = ("product_id", "title", "price", "SKU", "created_at", "stock_quantity", "barcode")
CHUNK = 500  # mappings per look-up round (an ``IN`` list every database accepts)


def products_feed_enabled() -> bool:
    value = app_setting("IP_PRODUCTS_FEED", False)
    if not isinstance(value, bool):
        raise ImproperlyConfigured(f"IP_PRODUCTS_FEED must be True or False, not {value!r}")
    return value


def _latest_prices(skus: list[str]) -> dict[str, Decimal]:
    latest: dict[str, tuple] = {}
    rows = (
        SalesFeedRow.objects.filter(sku__in=skus, quantity__gt=0)
        .order_by()
        .values_list("sku", "date", "pk", "price")
    )
    for sku, date, pk, price in rows:
        if sku not in latest or (date, pk) > latest[sku][:2]:
            latest[sku] = (date, pk, price)
    return {sku: value[2] for sku, value in latest.items()}


def _chunk_rows(mappings: list[SkuMapping]) -> Iterator[tuple]:
    skus = [m.sku for m in mappings]
    titles = dict(
        IpVariant.objects.filter(variant_id__in=[m.ip_variant_id for m in mappings])
        .exclude(title="")
        .values_list("variant_id", "title")
    )
    names = {
        size.size_id: " ".join(
            part for part in (size.product_name, size.variant_name, size.size_name) if part
        )
        for size in CentraSize.objects.filter(
            size_id__in=[m.centra_size_id for m in mappings]
        ).only("size_id", "product_name", "variant_name", "size_name")
    }
    prices = _latest_prices(skus)
    stock = dict(
        StockPosition.objects.filter(sku__in=skus)
        .order_by()
        .values("sku")
        .annotate(total=Sum("ats"))
        .values_list("sku", "total")
    )
    for mapping in mappings:
        yield (
            mapping.ip_variant_id,
            titles.get(mapping.ip_variant_id) or names.get(mapping.centra_size_id) or mapping.sku,
            str(prices.get(mapping.sku, Decimal("0")).quantize(CENT)),
            mapping.sku,
            mapping.created_at.astimezone(UTC).strftime("%Y-%m-%d"),
            stock.get(mapping.sku, 0),
            mapping.ean,
        )


def products_rows() -> Iterator[tuple]:
    """The file's rows in SKU order, looked up a chunk of mappings at a time."""
    chunk: list[SkuMapping] = []
    for mapping in SkuMapping.objects.order_by("sku", "pk").iterator(chunk_size=CHUNK):
        chunk.append(mapping)
        if len(chunk) == CHUNK:
            yield from _chunk_rows(chunk)
            chunk = []
    if chunk:
        yield from _chunk_rows(chunk)


def products_csv(*, delivery: FeedDelivery) -> Iterator[str]:
    """The products file as text chunks; the receipt is recorded like the sales file's."""
    return delivery_stream(delivery=delivery, columns=COLUMNS, rows=products_rows())

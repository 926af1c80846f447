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
from dataclasses import dataclass
from datetime import UTC
from decimal import Decimal

from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet, Sum

from centra_ip.env import app_setting
from syncs.models import (
    CentraSize,
    FeedDelivery,
    IpVariant,
    SalesFeedRow,
    SkuMapping,
    StockPosition,
)
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


@dataclass(frozen=True)
class ProductFacts:
    """What the hub knows of one mapped SKU beyond the mapping (see the module docstring)."""

    title: str
    price: Decimal
    stock: int


def _facts(mappings: list[SkuMapping]) -> dict[str, ProductFacts]:
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
    return {
        m.sku: ProductFacts(
            title=titles.get(m.ip_variant_id) or names.get(m.centra_size_id) or m.sku,
            price=prices.get(m.sku, Decimal("0")).quantize(CENT),
            stock=stock.get(m.sku, 0),
        )
        for m in mappings
    }


def mapped_products(mappings: QuerySet[SkuMapping]) -> Iterator[tuple[SkuMapping, ProductFacts]]:
    """Each mapping of ``mappings`` in SKU order with its facts, looked up a chunk at a time
    (also what the Advanced CSV variant file reads)."""
    chunk: list[SkuMapping] = []
    for mapping in mappings.order_by("sku", "pk").iterator(chunk_size=CHUNK):
        chunk.append(mapping)
        if len(chunk) == CHUNK:
            facts = _facts(chunk)
            yield from ((m, facts[m.sku]) for m in chunk)
            chunk = []
    if chunk:
        facts = _facts(chunk)
        yield from ((m, facts[m.sku]) for m in chunk)


def products_rows() -> Iterator[tuple]:
    """The file's rows: every mapped SKU, in SKU order."""
    for mapping, facts in mapped_products(SkuMapping.objects.all()):
        yield (
            mapping.ip_variant_id,
            facts.title,
            str(facts.price),
            mapping.sku,
            mapping.created_at.astimezone(UTC).strftime("%Y-%m-%d"),
            facts.stock,
            mapping.ean,
        )


def products_csv(*, delivery: FeedDelivery) -> Iterator[str]:
    """The products file as text chunks; the receipt is recorded like the sales file's."""
    return delivery_stream(delivery=delivery, columns=COLUMNS, rows=products_rows())

"""The products file of IP's legacy CSV connection: off by default, the sales feed's basic
auth and receipts, columns from the SKU map, the catalog snapshot, the ledger and the stock
engine's ATS; and a products fetch never moves the sales file's "taken by IP" watermark."""

from datetime import UTC, datetime

import pytest
from django.test import Client

from syncs.models import CentraSize, FeedDelivery, IpVariant, SkuMapping
from syncs.models.stock import StockPosition
from syncs.orders.tickets import EPOCH, feed_taken_through
from tests.syncs.orders.conftest import FEED_PASSWORD
from tests.syncs.orders.test_feed import basic, ledger_order

pytestmark = pytest.mark.django_db

PATH = "/feeds/inventory-planner/products.csv"
HEADER = "product_id,title,price,SKU,created_at,stock_quantity,barcode"
WHEN = datetime(2026, 3, 28, 14, 0, tzinfo=UTC)


def fetch(password: str | None, *, method: str = "get"):
    headers = (
        {} if password is None else {"HTTP_AUTHORIZATION": basic("inventory-planner", password)}
    )
    return getattr(Client(), method)(PATH, **headers)


def mapping(sku: str, *, size_id: int, variant_id: str, ean: str = "") -> SkuMapping:
    return SkuMapping.objects.create(
        sku=sku,
        ip_variant_id=variant_id,
        centra_size_id=size_id,
        centra_variant_id=size_id,
        centra_product_id=size_id,
        centra_sku=sku,
        ean=ean,
        source="automatic",
        created_at=WHEN,
        updated_at=WHEN,
    )


@pytest.fixture
def served(settings):
    settings.IP_FEED_PASSWORD = FEED_PASSWORD
    settings.IP_PRODUCTS_FEED = True
    return FEED_PASSWORD


def test_off_by_default_the_url_does_not_exist_and_nothing_is_recorded(settings):
    settings.IP_FEED_PASSWORD = FEED_PASSWORD
    response = fetch(FEED_PASSWORD)
    assert response.status_code == 404
    assert FeedDelivery.every_feed.count() == 0


def test_without_credentials_401_and_no_receipt(served):
    for response in (fetch(None), fetch("wrong")):
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == 'Basic realm="centra-ip feeds", charset="UTF-8"'
    assert FeedDelivery.every_feed.count() == 0


def test_head_answers_the_headers_without_a_receipt(served):
    response = fetch(served, method="head")
    assert (response.status_code, response["Content-Type"]) == (200, "text/csv; charset=utf-8")
    assert FeedDelivery.every_feed.count() == 0


def test_the_file_has_ips_products_columns_from_what_the_hub_knows(served):
    mapping("A-1", size_id=11, variant_id="v-A-1", ean="7350000000011")
    mapping("B-2", size_id=12, variant_id="v-B-2")
    mapping("C-3", size_id=13, variant_id="v-C-3")
    IpVariant.objects.create(
        variant_id="v-A-1", sku="A-1", sku_key="a-1", title="Shirt S", seen_at=WHEN
    )
    CentraSize.objects.create(
        size_id=12, sku="B-2", sku_key="b-2", product_id=2, product_name="Jacket",
        variant_name="Black", size_name="M", variant_id=12, seen_at=WHEN,
    )  # fmt: skip
    ledger_order(1, datetime(2026, 11, 1, tzinfo=UTC), [(1, "A-1", 1, "20.00", False)])
    ledger_order(2, datetime(2026, 11, 2, tzinfo=UTC), [(2, "A-1", 2, "18.50", False)])
    for warehouse, ats in ((1, 4), (2, 3)):
        StockPosition.objects.create(sku="A-1", centra_warehouse_id=warehouse, ats=ats, on_hand=99)

    response = fetch(served)

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'inline; filename="products.csv"'
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines == [
        HEADER,
        "v-A-1,Shirt S,18.50,A-1,2026-03-28,7,7350000000011",
        "v-B-2,Jacket Black M,0.00,B-2,2026-03-28,0,",
        "v-C-3,C-3,0.00,C-3,2026-03-28,0,",
    ]
    delivery = FeedDelivery.every_feed.get()
    assert (delivery.feed, delivery.status, delivery.rows) == ("products", "complete", 3)
    assert delivery.bytes == sum(len(line) + 1 for line in lines)


def test_a_products_fetch_is_not_a_sales_fetch(served):
    """Its receipt is in the same table, but "taken by IP" stays the sales file's alone."""
    mapping("A-1", size_id=11, variant_id="v-A-1")
    b"".join(fetch(served).streaming_content)

    assert FeedDelivery.every_feed.get().status == "complete"
    assert FeedDelivery.objects.count() == 0
    assert feed_taken_through() == EPOCH


def test_many_mappings_stream_in_chunks_in_sku_order(served):
    for index in range(1203):
        mapping(f"S-{index:05d}", size_id=index + 1, variant_id=f"v{index}")
    lines = b"".join(fetch(served).streaming_content).decode().splitlines()
    assert len(lines) == 1204
    assert lines[1].startswith("v0,S-00000,0.00,S-00000,")
    assert lines[-1].startswith("v1202,S-01202,")
    assert FeedDelivery.every_feed.get().rows == 1203

"""IP's own daily sales (``orders_by_day``): the shapes the client accepts, the ones it
refuses, and the twin computing the field from the sales history it took from the feed."""

from datetime import date

import httpx
import pytest

from syncs.connectors.base import BadPayloadError
from tests.syncs.inventory_planner.conftest import Script, variants_page
from tests.syncs.inventory_planner.test_feed import HEADER, FeedServer, configured

MARCH_1, MARCH_2 = date(2026, 3, 1), date(2026, 3, 2)


def read(make_client, orders_by_day):
    row = {"id": "c1_1", "sku": "A-1", "orders_by_day": orders_by_day}
    client = make_client(Script(variants_page([row], limit=1000)))
    return list(client.iter_variants(fields=["sku", "orders_by_day"]))


@pytest.mark.parametrize(
    "shape",
    [
        {"2026-03-01": 2, "2026-03-02": 1.5},
        {"2026": {"3": {"1": 2, "2": 1.5}}},
        {"2026": {"03": {"01": "2", "02": 1.5}}},  # numbers as strings, zero-padded keys
        [["2026-03-01T00:00:00Z", 2], ["2026-03-02T00:00:00Z", 1], ["2026-03-02", 0.5]],
    ],
    ids=["flat", "nested", "nested-padded", "pairs"],
)
def test_each_accepted_shape_reads_as_units_per_day(make_client, shape):
    [variant] = read(make_client, shape)
    assert variant.orders_by_day == {MARCH_1: 2, MARCH_2: 1.5}


def test_absent_is_none_and_empty_is_no_days(make_client):
    client = make_client(Script(variants_page([{"id": "c1_1"}], limit=1000)))
    assert [v.orders_by_day for v in client.iter_variants()] == [None]
    assert read(make_client, {})[0].orders_by_day == {}
    assert read(make_client, [])[0].orders_by_day == {}


@pytest.mark.parametrize(
    "shape",
    [
        12,
        "2026-03-01:2",
        {"2026-13-01": 1},
        {"yesterday": 1},
        {"2026-03-01": True},
        {"2026-03-01": "two"},
        {"2026": {"3": 2}},
        {"2026": {"2": {"30": 1}}},
        [["2026-03-01T00:00:00Z"]],
        [[20260301, 1]],
        ["2026-03-01"],
    ],
)
def test_any_other_shape_is_a_bad_payload_naming_the_field(make_client, shape):
    with pytest.raises(BadPayloadError, match="orders_by_day"):
        read(make_client, shape)


def test_the_twin_computes_orders_by_day_from_the_fetched_feed(twin, twin_client):
    feed = HEADER + (
        "1001,p1,SKU-1,2026-11-20,10.00,2,EUR,\n"
        "1002,p1,SKU-1,2026-11-20,10.00,1,EUR,\n"
        "1003,p1,SKU-1,2026-11-21,10.00,3,EUR,1\n"  # cancelled: not a sale
        "1001,p1,SKU-1,2026-11-24,10.00,-1,EUR,\n"  # a return subtracts on its own date
        "1004,p2,SKU-2,2026-11-21,12.00,1,EUR,\n"
    )
    before = {
        v.sku: v.orders_by_day for v in twin_client.iter_variants(fields=["sku", "orders_by_day"])
    }
    assert before == {f"SKU-{i}": {} for i in range(5)}
    configured(twin, FeedServer(feed)).fetch_sales_feed()
    assert twin.variant("SKU-1")["orders_by_day"] == {"2026-11-20": 3, "2026-11-24": -1}
    after = {
        v.sku: v.orders_by_day
        for v in twin_client.iter_variants(fields=["sku", "orders_by_day"])
        if v.orders_by_day
    }
    assert after == {
        "SKU-1": {date(2026, 11, 20): 3, date(2026, 11, 24): -1},
        "SKU-2": {date(2026, 11, 21): 1},
    }


def test_a_failed_fetch_leaves_orders_by_day_as_it_was(twin):
    configured(
        twin, FeedServer(HEADER + "1001,p1,SKU-1,2026-11-20,10.00,2,EUR,\n")
    ).fetch_sales_feed()
    twin.configure_sales_feed(
        "http://hub.test/feed.csv", transport=httpx.MockTransport(lambda r: httpx.Response(500))
    )
    assert twin.fetch_sales_feed().ok is False
    assert twin.variant("SKU-1")["orders_by_day"] == {"2026-11-20": 2}

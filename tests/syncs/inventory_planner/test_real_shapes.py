"""The parsers on Inventory Planner's real response shapes, not only the twin's.

IP is PHP: an empty map comes back as ``[]`` (``"warehouse": []``, ``"orders_by_day": []``,
``"revenue_by_month": []`` in a real single-variant answer), a map keyed by id can come as
an object where a list is documented, and ``null`` sits where an object is expected. The
samples below are excerpts (key names and value shapes) of the anonymised "real input from
api" fixtures of a public IP client (GitHub andyredfern/inventory_planner,
tests/Providers/TestData/get-variant.json and testdata/get-purchase-order.json) and of the
list envelope in the reference (§2.2), trimmed to what the hub reads plus the neighbours
that show the shapes.
"""

from datetime import date

import httpx

from tests.syncs.inventory_planner.conftest import Script, variants_page

# get-variant.json, excerpt: every value shape the hub meets.
REAL_VARIANT = {
    "connections": [],
    "warehouse": [],
    "product_id": "1234",
    "title": "Car",
    "sku": "1234",
    "options": [],
    "product_type": "Car",
    "tags": [],
    "barcode": "123456789",
    "removed": False,
    "attributes": [{"n": "Car", "t": "brand"}],
    "in_stock": 0,
    "replenishment": 0,
    "purchase_orders_qty": 0,
    "alerts": {"active": False},
    "stock_hist": [["2019-10-30T20:00:00-04:00", 0]],
    "id": "1234",
    "orders_by_month": {"2020": {"1": 0}},
    "orders_by_day": [],
    "revenue_by_month": [],
    "lead_time": 14,
    "review_period": 30,
    "events": [],
    "forecast_description": {
        "method": "test",
        "sales_velocity30": 0,
        "sales_velocity1": 0,
        "excluded_periods": [],
        "sales_from": "1 Dec, 2016",
        "short_sales_history": True,
    },
    "minimum_stock": 0,
    "oos": 0,
}

# get-purchase-order.json, excerpt.
REAL_PURCHASE_ORDER = {
    "type": "po",
    "items": [
        {
            "id": "1234",
            "line_id": "1234",
            "sku": "CAR",
            "replenishment": 4,
            "messages": [],
            "cost_price": 1,
            "cost_price_list": {"GBP": 1},
            "edited": {},
            "in_stock": 1,
            "forecasted_stock": -0.050000000000017364,
            "remaining": 4,
        }
    ],
    "created_date": "2020-01-27",
    "status": "open",
    "accounting_connections": [],
    "warehouse": "big one",
    "vendor": "carVendor",
    "expected_date": "2020-02-13",
    "connections": [],
    "tax_info": {},
    "source_address": {},
    "bundles": [],
    "id": "76s6df76sa978df78987s8f",
    "reference": "8",
    "last_modified": "2020-02-27T17:00:50+00:00",
    "total_ordered": 26,
    "total_received": 0,
    "history": [],
    "details": [],
}


def test_a_real_single_variant_answer_parses(make_client):
    script = Script(httpx.Response(200, json={"variant": REAL_VARIANT}))

    variant = make_client(script).get_variant("1234")

    assert (variant.id, variant.sku, variant.barcode, variant.removed) == (
        "1234",
        "1234",
        "123456789",
        False,
    )
    assert (variant.in_stock, variant.lead_time, variant.review_period) == (0, 14, 30)
    assert (variant.sales_velocity, variant.sales_velocity30) == (0, 0)
    assert variant.warehouses == ()  # "warehouse": [] is no block, not an error
    assert variant.orders_by_day == {}  # "orders_by_day": [] is PHP's empty map
    assert variant.product_type == "Car"


def test_a_real_purchase_order_answer_parses(make_client):
    script = Script(httpx.Response(200, json={"purchase-order": REAL_PURCHASE_ORDER}))

    order = make_client(script).get_purchase_order(REAL_PURCHASE_ORDER["id"])

    assert (order.status, order.warehouse, order.vendor, order.reference) == (
        "open",
        "big one",
        "carVendor",
        "8",
    )
    assert (order.total_ordered, order.total_received) == (26, 0)
    [item] = order.items
    assert (item.id, item.sku, item.replenishment, item.remaining) == ("1234", "CAR", 4, 4)
    assert item.received is None  # absent in the sample: None, never 0


def test_empty_maps_as_lists_keyed_maps_and_nulls_are_tolerated(make_client):
    rows = [
        {"id": "a", "forecast_description": [], "warehouse": {}, "orders_by_day": []},
        {
            "id": "b",
            "warehouse": {
                "c1_csv.5f00": {"in_stock": 3, "forecast_description": []},
                "c1_main": {"warehouse": "c1_main", "in_stock": 2},
            },
        },
        {"id": "c", "warehouse": [None, {"warehouse": "c1_main", "in_stock": 5}]},
        {"id": "d", "forecast_description": None, "warehouse": None},
    ]
    script = Script(variants_page(rows, limit=10))

    a, b, c, d = make_client(script, page_size=10).iter_variants()

    assert (a.sales_velocity, a.warehouses, a.orders_by_day) == (None, (), {})
    assert [(w.warehouse, w.in_stock, w.sales_velocity) for w in b.warehouses] == [
        ("c1_csv.5f00", 3, None),
        ("c1_main", 2, None),
    ]
    assert [(w.warehouse, w.in_stock) for w in c.warehouses] == [("c1_main", 5)]
    assert (d.sales_velocity, d.warehouses) == (None, ())


def test_a_list_answer_whose_meta_is_an_empty_list_is_read(make_client):
    script = Script(httpx.Response(200, json={"meta": [], "variants": [{"id": "a"}]}))
    assert [v.id for v in make_client(script).iter_variants()] == ["a"]


def test_daily_sales_in_the_real_month_shape(make_client):
    row = {"id": "a", "orders_by_day": {"2026": {"11": {"3": 2, "4": 1}}}}
    script = Script(variants_page([row], limit=10))
    [variant] = make_client(script, page_size=10).iter_variants()
    assert variant.orders_by_day == {date(2026, 11, 3): 2, date(2026, 11, 4): 1}

"""Contract tests: the client against the twin, mounted as an httpx transport."""

import json
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest

from syncs.connectors.centra import (
    Event,
    EventListener,
    RateLimit,
    SizeRow,
    StockDelta,
    StockLevel,
    StockRow,
    UserMessage,
    Warehouse,
    queries,
)

from .helpers import T0, make_client


def test_sizes_are_flattened_to_one_typed_row_per_size(client):
    rows = list(client.iter_sizes(page_size=1))

    assert [row.sku for row in rows] == [
        "SHIRTBLU01",
        "SHIRTBLU02",
        "SHIRTWHT01",
        "SHIRTWHT02",
        "CAPGRY1",
        "CAPGRY2",
        "CAPGRY3",
    ]
    assert rows[0] == SizeRow(
        product_id=1,
        product_number="SHIRT",
        product_name="Oxford shirt",
        product_status="ACTIVE",
        variant_id=1,
        variant_number="BLU",
        variant_name="BLU",
        size_id=1,
        size_number="01",
        size_name="S",
        sku="SHIRTBLU01",
        ean="7350000000011",
    )
    assert rows[4].product_status == "INACTIVE"
    assert rows[4].ean == ""


def test_sizes_filter_on_product_status(client):
    assert [row.sku for row in client.iter_sizes(statuses=["INACTIVE"])] == [
        "CAPGRY1",
        "CAPGRY2",
        "CAPGRY3",
    ]


def counting_client(twin, clock):
    """A client on the twin, and the list of requests that reached it."""
    requests = []

    def handle(request):
        requests.append(request)
        return twin.handle(request)

    return make_client(httpx.MockTransport(handle), clock), requests


def test_paging_stops_on_a_short_page(twin, clock):
    client, requests = counting_client(twin, clock)
    assert len(list(client.iter_sizes(page_size=3))) == 7  # 2 products on page 1 of 3: short
    assert len(requests) == 1


def test_paging_asks_one_page_past_the_end_when_pages_are_full(twin, clock):
    client, requests = counting_client(twin, clock)
    assert len(list(client.iter_sizes(page_size=1))) == 7
    assert [json.loads(r.content)["variables"]["page"] for r in requests] == [1, 2, 3]


def test_paging_an_empty_catalog_yields_nothing(client_on):
    from syncs.sandbox.centra import CentraTwin

    assert list(client_on(CentraTwin()).iter_sizes()) == []


def test_paging_streams_one_page_at_a_time(client):
    rows = client.iter_sizes(page_size=1)
    first = next(rows)
    assert first.sku == "SHIRTBLU01"
    assert client.pacer.buckets[("REQUEST_COUNT", 10)].tokens == 59  # one request so far


def test_warehouses(client):
    assert list(client.iter_warehouses(page_size=1)) == [
        Warehouse(1, "Stockholm"),
        Warehouse(2, "Berlin"),
    ]


def test_stock_per_size_and_warehouse(twin, client):
    twin.state.set_stock("SHIRTBLU01", 1, 10)
    twin.state.set_stock("SHIRTBLU01", 2, 4)
    twin.state.set_stock("CAPGRY2", 2, 7)
    twin.state.place_order([("SHIRTBLU01", 3, "10")], warehouse_id=1)

    rows = list(client.iter_stock(page_size=2))

    assert rows == [
        StockRow(1, "SHIRTBLU01", 1, "Stockholm", free_to_allocate=7, physical=10, allocated=3),
        StockRow(1, "SHIRTBLU01", 2, "Berlin", free_to_allocate=4, physical=4, allocated=0),
        StockRow(6, "CAPGRY2", 2, "Berlin", free_to_allocate=7, physical=7, allocated=0),
    ]
    fta_only = list(client.iter_stock(free_to_allocate_only=True))
    assert [(r.sku, r.free_to_allocate, r.physical, r.allocated) for r in fta_only] == [
        ("SHIRTBLU01", 7, None, None),
        ("SHIRTBLU01", 4, None, None),
        ("CAPGRY2", 7, None, None),
    ]


def test_free_to_allocate_only_read_is_cheaper(twin, client):
    """Centra: freeToAllocateQuantity adds nothing to complexity, the others are expensive.
    Twin formula: 20 variants x (id + stock list of 200 rows x its fields)."""
    list(client.iter_stock())
    list(client.iter_stock(free_to_allocate_only=True))

    assert client._complexity[queries.STOCK_FULL] == 1 + 20 * (1 + 1 + 200 * (3 + 3 + 0 + 5 + 5))
    assert client._complexity[queries.STOCK_FTA] == 1 + 20 * (1 + 1 + 200 * (3 + 3 + 0))


def test_stock_of_a_variant_with_more_rows_than_a_page_is_read_on(twin, client):
    """Centra pages ``stock`` (limit 1-200): a variant whose first page is full is read on
    page by page, never cut short; rows come by size, then warehouse."""
    for sku in ("SHIRTBLU01", "SHIRTBLU02"):
        for warehouse in (1, 2):
            twin.state.set_stock(sku, warehouse, 1)
    twin.state.set_stock("SHIRTWHT01", 1, 5)

    rows = list(client.iter_stock(stock_limit=3))

    assert [(r.sku, r.warehouse_id, r.physical) for r in rows] == [
        ("SHIRTBLU01", 1, 1),
        ("SHIRTBLU01", 2, 1),
        ("SHIRTBLU02", 1, 1),
        ("SHIRTBLU02", 2, 1),
        ("SHIRTWHT01", 1, 5),
    ]


def test_stock_read_of_some_warehouses_only(twin, client):
    for sku in ("SHIRTBLU01", "SHIRTBLU02"):
        for warehouse in (1, 2):
            twin.state.set_stock(sku, warehouse, warehouse)

    rows = list(client.iter_stock(stock_limit=2, warehouse_ids=[2]))

    assert [(r.sku, r.warehouse_id, r.physical) for r in rows] == [
        ("SHIRTBLU01", 2, 2),
        ("SHIRTBLU02", 2, 2),
    ]
    assert list(client.iter_stock(warehouse_ids=[])) == []


@pytest.mark.parametrize("stock_limit", [0, 201])
def test_stock_limit_outside_centras_range_is_refused_before_sending(twin, client, stock_limit):
    with pytest.raises(ValueError, match="between 1 and 200"):
        list(client.iter_stock(stock_limit=stock_limit))
    assert twin.buckets[("REQUEST_COUNT", 10)].tokens == 60


def place_three_orders(state):
    state.set_stock("SHIRTBLU01", 1, 50)
    state.set_stock("SHIRTBLU02", 1, 50)
    first = state.place_order(
        [("SHIRTBLU01", 2, "49.90"), ("SHIRTBLU02", 1, "49.90")], order_date=T0 + timedelta(hours=3)
    )
    second = state.place_order([("SHIRTBLU01", 1, "49.90")], order_date=T0 + timedelta(hours=1))
    third = state.place_order(
        [("SHIRTBLU02", 1, "45")], store_type="WHOLESALE", order_date=T0 + timedelta(days=2)
    )
    return first, second, third


def test_orders_in_a_window_oldest_first_with_cancelled_lines(twin, client):
    first, second, _third = place_three_orders(twin.state)
    twin.state.cancel_line(first.number, first.all_lines[1].id, 1)

    orders = list(client.iter_orders(date_from=T0, date_to=T0 + timedelta(days=1), page_size=1))

    assert [o.number for o in orders] == [second.number, first.number]
    got = orders[1]
    assert (got.id, got.status, got.store_type, got.currency) == (
        first.id,
        "CONFIRMED",
        "DIRECT_TO_CONSUMER",
        "EUR",
    )
    assert got.order_date == T0 + timedelta(hours=3)
    assert got.grand_total == Decimal("99.8")
    assert [
        (ln.sku, ln.ean, ln.quantity, ln.cancelled_quantity, ln.unit_price) for ln in got.lines
    ] == [
        ("SHIRTBLU01", "7350000000011", 2, 0, Decimal("49.9")),
        ("SHIRTBLU02", "7350000000012", 0, 1, Decimal("49.9")),
    ]


def test_orders_by_status(twin, client):
    _first, second, third = place_three_orders(twin.state)
    twin.state.cancel_order(second.number)
    twin.state.ship(third.number)

    assert [o.number for o in client.iter_orders(statuses=["CANCELLED", "SHIPPED"])] == [
        second.number,
        third.number,
    ]
    assert [o.status for o in client.iter_orders()] == ["CANCELLED", "CONFIRMED", "SHIPPED"]


def test_returns(twin, client):
    first, _, _ = place_three_orders(twin.state)
    shipment = twin.state.ship(first.number)
    ret = twin.state.create_return(shipment.id, {shipment.lines[0].id: 1})

    [got] = list(client.iter_returns(created_from=T0))

    assert (got.id, got.status, got.order_id, got.order_number, got.shipment_id) == (
        ret.id,
        "PENDING",
        first.id,
        first.number,
        shipment.id,
    )
    assert [(ln.quantity, ln.shipment_line_id, ln.order_line_id, ln.sku) for ln in got.lines] == [
        (1, shipment.lines[0].id, first.all_lines[0].id, "SHIRTBLU01")
    ]
    assert list(client.iter_returns(created_to=T0)) == []


def test_events_queue_returns_the_same_events_until_confirmed(twin, client):
    assert client.set_event_listeners({"Order": ["CREATED", "COMPLETED"]}) == [
        EventListener("Order", ("CREATED", "COMPLETED"))
    ]
    first, _, _ = place_three_orders(twin.state)
    twin.state.ship(first.number)

    events = client.events(limit=2)
    assert [(e.object_type, e.change_type, e.object_number) for e in events] == [
        ("Order", "CREATED", 1),
        ("Order", "CREATED", 2),
    ]
    assert client.events(limit=2) == events
    assert isinstance(events[0], Event)
    assert events[0].object_typename == "DirectToConsumerOrder"
    assert events[0].object_id == first.id

    assert client.confirm_events([e.id for e in events]) == ()
    rest = client.events(limit=10)
    assert [(e.change_type, e.object_number) for e in rest] == [("CREATED", 3), ("COMPLETED", 1)]
    assert client.events(change_types=["COMPLETED"]) == rest[1:]


def test_confirming_an_unknown_event_comes_back_as_a_warning(client):
    assert client.confirm_events([999]) == (
        UserMessage("Event 999 not found", ("input", "eventsIds", "0")),
    )
    assert client.confirm_events([]) == ()


def test_set_stock_many_sizes_in_one_mutation_with_per_item_results(twin, client):
    levels = [StockLevel(1, 5), StockLevel(999, 3), StockLevel(2, -1), StockLevel(3, 0)]

    result = client.set_stock(1, levels, description="ATS push")

    assert result.stock_change_ids == (1,)
    assert [(item.item, item.ok) for item in result.items] == [
        (levels[0], True),
        (levels[1], False),
        (levels[2], False),
        (levels[3], True),
    ]
    assert result.items[1].errors == (
        UserMessage("Product size not found", ("input", "productSizes", "1", "productSize")),
    )
    assert not result.ok
    assert twin.state.size(1).levels[1].physicalQuantity == 5
    assert twin.state.size(3).levels[1].physicalQuantity == 0
    assert twin.buckets[("MUTATION_COUNT", 10)].tokens == 19


def test_set_stock_to_an_unknown_warehouse_fails_as_a_whole(twin, client):
    result = client.set_stock(9, [StockLevel(1, 5)], description="x")
    assert result.stock_change_ids == ()
    assert result.errors == (UserMessage("Warehouse not found", ("input", "warehouse")),)
    assert result.items[0].errors == ()
    assert not result.ok
    assert twin.state.size(1).levels == {}


def test_change_stock_splits_into_and_out_of_the_warehouse(twin, client):
    twin.state.set_stock("SHIRTBLU01", 1, 10)
    deltas = [StockDelta(1, "S", -4), StockDelta(1, "M", 6), StockDelta(2, "S", -1)]

    result = client.change_stock(1, deltas, description="count")

    assert result.stock_change_ids == (1, 2)  # the "into" mutation goes first
    assert [(item.item, item.ok) for item in result.items] == [
        (deltas[1], True),
        (deltas[0], True),
        (deltas[2], False),
    ]
    assert result.items[2].errors[0].message == "Cannot take 1 out: only 0 free to allocate"
    assert twin.state.size("SHIRTBLU01").levels[1].physicalQuantity == 6
    assert twin.state.size("SHIRTBLU02").levels[1].physicalQuantity == 6


def test_rate_limits_and_pacing_sync(twin, client):
    twin.buckets[("MUTATION_COUNT", 10)].take(15, twin.clock.monotonic())  # another integration

    limits = client.sync_pacing()

    assert limits[2] == RateLimit("MUTATION_COUNT", 10, 20, 15, 5)
    assert [(r.type, r.interval_seconds, r.quota) for r in limits] == [
        ("REQUEST_COUNT", 10, 60),
        ("REQUEST_COUNT", 3600, 5000),
        ("MUTATION_COUNT", 10, 20),
        ("MUTATION_COUNT", 3600, 1800),
        ("QUERY_COMPLEXITY", 10, 250_000),
        ("QUERY_COMPLEXITY", 3600, 30_000_000),
    ]
    assert all(r.quota == r.used_quota + r.remaining_quota for r in limits)
    assert client.pacer.buckets[("MUTATION_COUNT", 10)].tokens == 5


def test_returns_are_read_without_comments_when_the_token_may_not_read_them(twin, client, caplog):
    """``Return.comment`` needs Return.comment:read: without it the stream still reads the
    returns (comment "") and says so in the log; check_apis names the permission."""
    twin.state.set_stock("SHIRTBLU01", 1, 5)
    order = twin.state.place_order([("SHIRTBLU01", 2, "10")])
    shipment = twin.state.ship(order.number)
    twin.state.create_return(shipment.id, comment="too small")
    assert [r.comment for r in client.iter_returns()] == ["too small"]

    twin.config.permissions = frozenset({"Order:read", "Return:read"})
    [read] = list(client.iter_returns())

    assert (read.order_number, read.comment, read.status) == (order.number, "", "PENDING")
    assert "no Return.comment:read; reading returns without comments" in caplog.text


def test_returns_fail_when_the_token_may_not_read_returns_at_all(twin, client):
    from syncs.connectors.base import AuthError

    twin.state.set_stock("SHIRTBLU01", 1, 5)
    order = twin.state.place_order([("SHIRTBLU01", 1, "10")])
    twin.state.create_return(twin.state.ship(order.number).id)
    twin.config.permissions = frozenset({"Order:read"})
    with pytest.raises(AuthError, match="Return:read"):
        list(client.iter_returns())

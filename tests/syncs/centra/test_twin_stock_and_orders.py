"""Stock and order semantics of the twin, through the client where the hub would use it."""

import threading

import httpx
import pytest

from syncs.connectors.centra import StockDelta, StockLevel, StockRow, UserMessage

from .helpers import TOKEN, URL


def level(twin, sku, warehouse_id=1):
    row = twin.state.size(sku).levels[warehouse_id]
    return (row.physicalQuantity, row.allocatedQuantity, row.freeToAllocateQuantity)


def test_an_order_allocated_between_read_and_physical_write_eats_into_what_we_meant(twin, client):
    """The race docs/stock-engine.md warns about: we read, Centra allocates, we write PHYSICAL."""
    twin.state.set_stock("SHIRTBLU01", 1, 10)
    [read] = list(client.iter_stock())
    assert read == StockRow(1, "SHIRTBLU01", 1, "Stockholm", 10, 10, 0)

    twin.state.place_order([("SHIRTBLU01", 3, "10")])  # between our read and our write
    result = client.set_stock(1, [StockLevel(1, 8)], description="ATS 8")

    assert result.ok
    assert level(twin, "SHIRTBLU01") == (8, 3, 5)  # allocation kept, only 5 sellable


def test_a_free_to_allocate_write_keeps_allocations_on_top(twin, client):
    twin.state.set_stock("SHIRTBLU01", 1, 10)
    list(client.iter_stock())
    twin.state.place_order([("SHIRTBLU01", 3, "10")])

    result = client.set_stock(1, [StockLevel(1, 8)], description="ATS 8", free_to_allocate=True)

    assert result.ok
    assert level(twin, "SHIRTBLU01") == (11, 3, 8)  # exactly the 8 we meant to sell


def test_physical_below_allocated_is_clamped_with_a_warning(twin, client):
    twin.state.set_stock("SHIRTBLU01", 1, 10)
    twin.state.place_order([("SHIRTBLU01", 4, "10")])

    result = client.set_stock(1, [StockLevel(1, 1)], description="count")

    assert result.items[0].ok
    assert result.items[0].warnings == (
        UserMessage(
            "Physical quantity raised to the allocated quantity 4",
            ("input", "productSizes", "0", "quantity"),
        ),
    )
    assert level(twin, "SHIRTBLU01") == (4, 4, 0)


def test_change_stock_out_is_limited_by_free_to_allocate(twin, client):
    twin.state.set_stock("SHIRTBLU01", 1, 10)
    twin.state.place_order([("SHIRTBLU01", 8, "10")])

    refused = client.change_stock(1, [StockDelta(1, "S", -3)], description="damaged")
    taken = client.change_stock(1, [StockDelta(1, "S", -2)], description="damaged")

    assert refused.stock_change_ids == ()
    assert refused.items[0].errors[0].message == "Cannot take 3 out: only 2 free to allocate"
    assert level(twin, "SHIRTBLU01") == (8, 8, 0)
    assert taken.ok


def test_change_stock_move_between_warehouses(twin):
    twin.state.set_stock("SHIRTBLU01", 1, 10)
    http = httpx.Client(transport=httpx.MockTransport(twin.handle))
    body = http.post(
        URL,
        headers={"Authorization": f"Bearer {TOKEN}"},
        json={
            "query": """
      mutation { changeStock(input: {outFromWarehouse: {id: 1}, intoWarehouse: {id: 2},
        description: "transfer", productVariants: [{productVariant: {id: 1},
        sizeChanges: {size: {name: "S"}, deliveredQuantity: 4}}]})
        { stockChange { id } userErrors { message } } }"""
        },
    ).json()
    assert body["data"] == {"changeStock": {"stockChange": {"id": 1}, "userErrors": []}}
    assert level(twin, "SHIRTBLU01", 1) == (6, 0, 6)
    assert level(twin, "SHIRTBLU01", 2) == (4, 0, 4)


def test_order_allocates_across_warehouses_and_leaves_demand_unallocated(twin):
    twin.state.set_stock("SHIRTBLU01", 1, 2)
    twin.state.set_stock("SHIRTBLU01", 2, 3)
    order = twin.state.place_order([("SHIRTBLU01", 6, "10")])
    assert order.all_lines[0].allocations == {1: 2, 2: 3}
    assert level(twin, "SHIRTBLU01", 1) == (2, 2, 0)
    assert level(twin, "SHIRTBLU01", 2) == (3, 3, 0)


def test_line_cancel_releases_or_removes_stock(twin):
    twin.state.set_stock("SHIRTBLU01", 1, 10)
    order = twin.state.place_order([("SHIRTBLU01", 5, "10")])
    line = order.all_lines[0]

    twin.state.cancel_line(order.number, line.id, 2)
    assert (line.quantity, line.cancelledQuantity) == (3, 2)
    assert level(twin, "SHIRTBLU01") == (10, 3, 7)

    twin.state.cancel_line(order.number, line.id, 1, stock_action="REMOVE_FROM_STOCK")
    assert level(twin, "SHIRTBLU01") == (9, 2, 7)
    with pytest.raises(ValueError, match="unshipped"):
        twin.state.cancel_line(order.number, line.id, 3)


def test_whole_order_cancel_keeps_line_quantities_and_releases_stock(twin, client):
    twin.state.set_stock("SHIRTBLU01", 1, 10)
    order = twin.state.place_order([("SHIRTBLU01", 5, "10")])
    twin.state.cancel_order(order.number)

    [got] = list(client.iter_orders())
    assert (got.status, got.lines[0].quantity, got.lines[0].cancelled_quantity) == (
        "CANCELLED",
        5,
        0,
    )
    assert level(twin, "SHIRTBLU01") == (10, 0, 10)


def test_shipping_moves_the_order_through_processing_to_shipped(twin):
    twin.state.set_stock("SHIRTBLU01", 1, 10)
    order = twin.state.place_order([("SHIRTBLU01", 5, "10")])
    line = order.all_lines[0]

    first = twin.state.ship(order.number, {line.id: 2}, complete=False)
    assert (order.status, level(twin, "SHIRTBLU01")) == ("PROCESSING", (10, 5, 5))
    twin.state.complete_shipment(first.id)
    assert (order.status, level(twin, "SHIRTBLU01")) == ("PROCESSING", (8, 3, 5))
    second = twin.state.ship(order.number)
    assert (second.number, order.status, level(twin, "SHIRTBLU01")) == (
        f"{order.number}-2",
        "SHIPPED",
        (5, 0, 5),
    )


def test_cancelling_the_unshipped_rest_completes_the_order(twin):
    twin.state.set_stock("SHIRTBLU01", 1, 10)
    order = twin.state.place_order([("SHIRTBLU01", 5, "10")])
    line = order.all_lines[0]
    twin.state.ship(order.number, {line.id: 3})
    twin.state.cancel_line(order.number, line.id, 2)
    assert order.status == "SHIPPED"
    assert level(twin, "SHIRTBLU01") == (7, 0, 7)


def test_return_released_to_the_warehouse_and_completed_once(twin):
    twin.state.set_stock("SHIRTBLU01", 1, 10)
    order = twin.state.place_order([("SHIRTBLU01", 3, "10")])
    shipment = twin.state.ship(order.number)
    ret = twin.state.create_return(shipment.id, {shipment.lines[0].id: 2})
    kept = twin.state.create_return(shipment.id, release_to_stock=False)

    assert order.all_lines[0].returnedQuantity == 3
    assert level(twin, "SHIRTBLU01") == (9, 0, 9)
    assert [line.quantity for line in kept.lines] == [1]
    twin.state.complete_return(ret.id)
    assert (ret.returnStatus, ret.status) == ("COMPLETED", "ACTIVE")
    with pytest.raises(ValueError, match="completed already"):
        twin.state.complete_return(ret.id)
    with pytest.raises(ValueError, match="cannot return"):
        twin.state.create_return(shipment.id, {shipment.lines[0].id: 1})


def test_unset_listeners_deletes_queued_events(twin, client):
    client.set_event_listeners({"Order": None, "Shipment": None})
    twin.state.set_stock("SHIRTBLU01", 1, 10)
    order = twin.state.place_order([("SHIRTBLU01", 1, "10")])
    twin.state.ship(order.number)
    twin.state.unlisten("Order", None)
    assert [(e.object_type, e.change_type) for e in client.events()] == [
        ("Shipment", "CREATED"),
        ("Shipment", "COMPLETED"),
    ]


def test_seeding_while_serving_from_threads(twin, clock):
    """The demo serves the twin from a threaded server while the simulator seeds it."""
    from .helpers import make_client

    twin.config.throttle = False
    twin.state.set_stock("SHIRTBLU01", 1, 1000)
    errors = []

    def place():
        try:
            for _ in range(50):
                twin.state.place_order([("SHIRTBLU01", 1, "10")])
        except Exception as error:
            errors.append(error)

    def read():
        client = make_client(httpx.MockTransport(twin.handle), clock)
        try:
            for _ in range(20):
                for row in client.iter_stock():
                    assert row.physical == row.allocated + row.free_to_allocate
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=place) for _ in range(4)]
    threads += [threading.Thread(target=read) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert level(twin, "SHIRTBLU01") == (1000, 200, 800)
    assert len(twin.state.orders) == 200

"""Contract tests: the client against the twin mounted as its transport."""

from datetime import date

import httpx
import pytest

from syncs.connectors.base import AuthError, BadPayloadError, PermanentError, ThrottledError
from syncs.connectors.inventory_planner import (
    NotFoundError,
    PurchaseOrderDraft,
    PurchaseOrderLine,
    Variant,
    WarehouseBlock,
)
from syncs.sandbox.faults import FaultPlan
from syncs.sandbox.inventory_planner import InventoryPlannerTwin, TwinSettings
from tests.syncs.inventory_planner.conftest import MAIN, OUTLET


class Counting(httpx.MockTransport):
    """The twin as a transport, counting requests."""

    def __init__(self, twin):
        self.requests: list[httpx.Request] = []

        def handle(request):
            self.requests.append(request)
            return twin.handle(request)

        super().__init__(handle)


def draft(*lines, **extra):
    return PurchaseOrderDraft(
        warehouse=MAIN, lines=tuple(PurchaseOrderLine(*line) for line in lines), **extra
    )


# -- variants --------------------------------------------------------------------------------


def test_variant_is_read_whole_and_typed(twin_client):
    variant = next(v for v in twin_client.iter_variants() if v.sku == "SKU-2")
    assert variant == Variant(
        id="c1_102",
        sku="SKU-2",
        barcode="7350000000002",
        title="SKU-2",
        removed=False,
        in_stock=22,
        minimum_stock=2,
        purchase_orders_qty=0,
        replenishment=24,  # ceil(1.0 * (14 + 30) + 2 - 22)
        to_order=24,
        oos=22,
        lead_time=14,
        review_period=30,
        sales_velocity=1.0,
        sales_velocity30=1.0,
        warehouses=(
            WarehouseBlock(MAIN, 20, 2, 0, 26, 26, 20, 14, 30, 1.0, 1.0),
            WarehouseBlock(OUTLET, 2, 0, 0, 0, 0, None, 14, 30, 0.0, 0.0),
        ),
        orders_by_day={},  # no sales fetched yet
    )


def test_paging_walks_every_variant_in_order(twin, make_client):
    transport = Counting(twin)
    client = make_client(transport, page_size=2)
    assert [v.sku for v in client.iter_variants()] == [f"SKU-{i}" for i in range(5)]
    assert [r.url.params["page"] for r in transport.requests] == ["0", "1", "2"]


def test_exact_multiple_ends_on_the_empty_page(twin, make_client):
    twin.set_removed("SKU-4")
    transport = Counting(twin)
    client = make_client(transport, page_size=2)
    assert len(list(client.iter_variants(filters={"removed": False}))) == 4
    assert [r.url.params["page"] for r in transport.requests] == ["0", "1", "2"]


def test_fields_narrowing_reaches_into_warehouse_blocks(twin_client):
    variants = list(twin_client.iter_variants(fields=["sku", "warehouse.in_stock"]))
    assert variants[1] == Variant(
        id="c1_101",
        sku="SKU-1",
        warehouses=(WarehouseBlock(MAIN, in_stock=10), WarehouseBlock(OUTLET, in_stock=1)),
    )


def test_filters_and_sorting(twin_client):
    def skus(**kwargs):
        return [v.sku for v in twin_client.iter_variants(fields=["sku"], **kwargs)]

    assert skus(filters={"sku": "SKU-3"}) == ["SKU-3"]
    assert skus(filters={"sku_eqi": "sku-3"}) == ["SKU-3"]
    assert skus(filters={"in_stock_gt": 22}) == ["SKU-3", "SKU-4"]
    assert skus(filters={"in_stock_lte": 11, "sku_ne": "SKU-0"}) == ["SKU-1"]
    assert skus(filters={"barcode_match": "00003"}) == ["SKU-3"]
    assert skus(sort={"in_stock": "desc"}) == ["SKU-4", "SKU-3", "SKU-2", "SKU-1", "SKU-0"]


def test_get_variant_and_a_missing_one(twin_client):
    assert twin_client.get_variant("c1_103", fields=["sku"]) == Variant(id="c1_103", sku="SKU-3")
    with pytest.raises(NotFoundError, match="Failed to find variant c1_999"):
        twin_client.get_variant("c1_999")


# -- purchase orders -------------------------------------------------------------------------


def test_create_get_update_and_receive(twin, twin_client):
    order = twin_client.create_purchase_order(
        draft(
            ("c1_101", 10, 4.0), ("c1_102", 5), reference="RET-1", expected_date=date(2026, 12, 3)
        )
    )
    assert (order.reference, order.status, order.type, order.warehouse) == (
        "RET-1",
        "open",
        "po",
        MAIN,
    )
    assert (order.created_date, order.expected_date, order.total_ordered) == (
        "2026-11-26",
        "2026-12-03",
        15,
    )
    assert twin.variant("SKU-1")["warehouse"][0]["purchase_orders_qty"] == 10

    items = twin_client.receive_purchase_order_items(order.id, {"c1_101": 4})
    assert [(i.id, i.replenishment, i.received, i.remaining) for i in items] == [
        ("c1_101", 10, 4, 6)
    ]
    # cumulative: sending the same total again changes nothing
    twin_client.receive_purchase_order_items(order.id, {"c1_101": 4})
    again = twin_client.get_purchase_order(order.id)
    assert (again.total_received, again.received_date) == (4, "2026-11-26")
    assert again.item("c1_101").remaining == 6
    assert twin.variant("SKU-1")["warehouse"][0]["purchase_orders_qty"] == 6
    assert twin.in_stock("SKU-1", MAIN) == 10  # receiving does not move stock by default

    closed = twin_client.update_purchase_order(order.id, {"status": "closed"})
    assert closed.status == "closed"
    assert twin.variant("SKU-1")["warehouse"][0]["purchase_orders_qty"] == 0


def test_create_sends_upper_case_status_and_unix_expected_date(twin, make_client):
    transport = Counting(twin)
    make_client(transport).create_purchase_order(
        draft(("c1_101", 1), expected_date=date(2026, 12, 3))
    )
    body = httpx.Response(200, content=transport.requests[0].content).json()
    assert body["purchase-order"]["status"] == "OPEN"
    assert body["purchase-order"]["expected_date"] == 1796256000
    assert body["purchase-order"]["items"] == [{"id": "c1_101", "replenishment": 1}]


def test_update_sends_dates_as_unix_and_reads_them_back(twin, make_client):
    transport = Counting(twin)
    client = make_client(transport)
    order = client.create_purchase_order(draft(("c1_101", 1)))
    updated = client.update_purchase_order(
        order.id, {"expected_date": date(2026, 12, 24), "status": "sent"}
    )
    sent = httpx.Response(200, content=transport.requests[-1].content).json()
    assert sent == {"purchase-order": {"expected_date": 1798070400, "status": "SENT"}}
    assert transport.requests[-1].method == "PUT"
    assert (updated.expected_date, updated.status) == ("2026-12-24", "sent")


@pytest.mark.parametrize(
    "order, message",
    [
        (PurchaseOrderDraft(warehouse="", lines=()), "warehouse is required"),
        (PurchaseOrderDraft(warehouse="c1_nowhere", lines=()), "Failed to find warehouse"),
        (draft(("c1_101", 1), vendor="nobody"), "Failed to find vendor nobody"),
        (draft(("c1_999", 1)), "Failed to find variant c1_999"),
    ],
)
def test_create_validation_errors_are_permanent_and_create_nothing(
    twin_client, records, order, message
):
    with pytest.raises(PermanentError, match=message) as caught:
        twin_client.create_purchase_order(order)
    assert caught.value.status_code == 500
    assert records[0].retries == 0
    assert list(twin_client.iter_purchase_orders()) == []


def test_receiving_an_unknown_item_changes_nothing(twin, twin_client):
    order = twin_client.create_purchase_order(draft(("c1_101", 10)))
    with pytest.raises(NotFoundError, match="Failed to find item c1_104"):
        twin_client.receive_purchase_order_items(order.id, {"c1_101": 3, "c1_104": 1})
    assert twin_client.get_purchase_order(order.id).item("c1_101").received == 0


def test_readonly_orders_reject_receiving(twin, twin_client):
    order = twin_client.create_purchase_order(draft(("c1_101", 10)))
    twin.mark_readonly(order.id)
    with pytest.raises(PermanentError, match="read-only"):
        twin_client.receive_purchase_order_items(order.id, {"c1_101": 3})
    assert twin_client.get_purchase_order(order.id).total_received == 0


def test_receiving_can_raise_stock_when_the_deployment_says_so(make_client):
    twin = InventoryPlannerTwin(settings=TwinSettings(receiving_raises_stock=True))
    twin.add_warehouse(MAIN)
    twin.add_variant("R-1", stock={MAIN: 1}, variant_id="c1_1")
    client = make_client(httpx.MockTransport(twin.handle))
    order = client.create_purchase_order(draft(("c1_1", 3)))
    client.receive_purchase_order_items(order.id, {"c1_1": 2})
    client.receive_purchase_order_items(order.id, {"c1_1": 3})
    assert twin.in_stock("R-1", MAIN) == 4


def test_delta_receiving_mode_adds_up(make_client):
    twin = InventoryPlannerTwin(settings=TwinSettings(received_mode="delta"))
    twin.add_warehouse(MAIN)
    twin.add_variant("R-1", stock={MAIN: 0}, variant_id="c1_1")
    client = make_client(httpx.MockTransport(twin.handle))
    order = client.create_purchase_order(draft(("c1_1", 5)))
    client.receive_purchase_order_items(order.id, {"c1_1": 2})
    [item] = client.receive_purchase_order_items(order.id, {"c1_1": 2})
    assert (item.received, item.remaining) == (4, 1)


def test_find_an_order_again_by_reference(twin_client):
    twin_client.create_purchase_order(draft(("c1_101", 1), reference="RET-7"))
    twin_client.create_purchase_order(draft(("c1_101", 1), reference="RET-8"))
    found = list(twin_client.iter_purchase_orders(filters={"reference": "RET-8"}))
    assert [o.reference for o in found] == ["RET-8"]


# -- auth and faults -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "override", [{"api_key": "wrong"}, {"account": "a9999"}, {"api_key": "Bearer sandbox-ip-key"}]
)
def test_wrong_credentials_are_auth_errors(twin, make_client, records, override):
    client = make_client(httpx.MockTransport(twin.handle), **override)
    with pytest.raises(AuthError, match="Invalid API key or account") as caught:
        client.get_variant("c1_100")
    assert caught.value.status_code == 401
    assert records[0].outcome == "permanent_error"


def test_expired_token_fault(twin, twin_client):
    twin.faults.update(expired_token=True)
    with pytest.raises(AuthError):
        list(twin_client.iter_variants())


def test_injected_5xx_are_retried(twin, twin_client, records):
    twin.faults.update(fail_next=2, fail_next_kind="server_error")
    assert len(list(twin_client.iter_variants())) == 5
    assert [(r.outcome, r.retries) for r in records] == [("ok", 2)]


def test_injected_timeout_is_retried(twin, twin_client, records):
    twin.faults.update(fail_next=1, fail_next_kind="timeout")
    assert twin_client.get_variant("c1_100").sku == "SKU-0"
    assert records[0].retries == 1


def test_injected_429_storm_honours_retry_after(twin, twin_client, clock):
    twin.faults.update(fail_next=4, fail_next_kind="throttle", retry_after_seconds=5)
    with pytest.raises(ThrottledError):
        twin_client.get_variant("c1_100")
    assert clock.sleeps == [5.0, 5.0, 5.0]


def test_a_malformed_page_is_bad_payload(twin, twin_client):
    twin.faults.update(fail_next=1, fail_next_kind="malformed")
    with pytest.raises(BadPayloadError):
        list(twin_client.iter_variants())


def test_a_page_cut_short_under_its_meta_is_logged_and_the_walk_goes_on(twin, twin_client, caplog):
    """``meta``'s semantics are inferred, so a page disagreeing with it is not fatal; the
    stock engine's guard (read share) and the catalog's counts see a short read."""
    everything = [v.id for v in twin_client.iter_variants()]
    twin.faults.update(fail_next=1, fail_next_kind="partial")
    read = [v.id for v in twin_client.iter_variants()]
    assert 0 < len(read) < len(everything) and set(read) < set(everything)
    assert "meta.count" in caplog.text


def test_partial_receipt_answer_is_bad_payload(twin, twin_client):
    order = twin_client.create_purchase_order(draft(("c1_101", 5), ("c1_102", 5)))
    twin.faults.update(fail_next=1, fail_next_kind="partial")
    with pytest.raises(BadPayloadError, match=r"items missing from the answer: \['c1_102'\]"):
        twin_client.receive_purchase_order_items(order.id, {"c1_101": 1, "c1_102": 1})


def test_partial_single_entity_is_bad_payload(twin, twin_client):
    twin.faults.update(fail_next=1, fail_next_kind="partial")
    with pytest.raises(BadPayloadError, match="has no id"):
        twin_client.get_variant("c1_100")


def test_twin_faults_can_be_passed_at_construction():
    plan = FaultPlan(expired_token=True)
    assert InventoryPlannerTwin(faults=plan).faults is plan

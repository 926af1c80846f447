"""The twin rejects what IP would reject and answers in IP's shapes (reference §7)."""

import threading

import httpx
import pytest

from syncs.sandbox.inventory_planner import InventoryPlannerTwin, TwinSettings
from tests.syncs.inventory_planner.conftest import ACCOUNT, BASE_URL, KEY, MAIN, NOW, OUTLET

AUTH = {"Authorization": KEY, "Account": ACCOUNT}


@pytest.fixture
def http(twin):
    with httpx.Client(
        base_url=BASE_URL + "/", transport=httpx.MockTransport(twin.handle), headers=AUTH
    ) as client:
        yield client


def test_list_envelope_and_meta(http):
    response = http.get("variants", params={"limit": 2, "page": 1, "fields": "sku"})
    assert response.status_code == 200
    assert response.json() == {
        "meta": {
            "name": "variants",
            "display_name": "variants",
            "total": 5,
            "count": 2,
            "limit": 2,
            "page": 1,
            "start": 2,
            "end": 3,
        },
        "variants": [{"id": "c1_102", "sku": "SKU-2"}, {"id": "c1_103", "sku": "SKU-3"}],
    }


def test_page_past_the_end_is_empty(http):
    body = http.get("variants", params={"limit": 2, "page": 9}).json()
    assert body["variants"] == []
    assert (body["meta"]["count"], body["meta"]["total"]) == (0, 5)


def test_limit_defaults_to_100_and_is_capped_at_1000(twin, http):
    for i in range(5, 1105):
        twin.add_variant(f"SKU-{i}", stock={MAIN: 1})
    assert len(http.get("variants").json()["variants"]) == 100
    body = http.get("variants", params={"limit": 5000, "fields": "id"}).json()
    assert (body["meta"]["limit"], len(body["variants"])) == (1000, 1000)


def test_fields_dot_paths_unknown_names_ignored(http):
    body = http.get(
        "variants/c1_101",
        params={"fields": "sku,nonsense,warehouse.in_stock,forecast_description.sales_velocity1"},
    ).json()
    assert body == {
        "variant": {
            "id": "c1_101",
            "sku": "SKU-1",
            "warehouse": [{"in_stock": 10}, {"in_stock": 1}],
            "forecast_description": {"sales_velocity1": 0.5},
        }
    }


def test_whole_block_wins_over_a_sub_field(http):
    body = http.get("variants/c1_101", params={"fields": "warehouse,warehouse.in_stock"}).json()
    assert body["variant"]["warehouse"][0]["minimum_stock"] == 2


def test_variant_full_record_uses_real_field_names(twin):
    record = twin.variant("SKU-1")
    assert set(record) == {
        "id", "sku", "title", "barcode", "product_type", "removed", "cost_price", "price",
        "created_at", "updated_at", "connections", "warehouse", "in_stock", "minimum_stock",
        "purchase_orders_qty", "lead_time", "review_period", "forecast_description",
        "replenishment", "to_order", "oos", "orders_by_day",
    }  # fmt: skip
    assert record["created_at"] == "2026-11-26T12:00:00+00:00"
    assert record["warehouse"][1]["warehouse"] == OUTLET


@pytest.mark.parametrize(
    "path",
    ["https://app.inventory-planner.com/api/v3/variants", BASE_URL + "/stock", BASE_URL + "/"],
)
def test_unknown_paths_are_403_like_cloudflare(http, path):
    response = http.get(path)
    assert response.status_code == 403
    assert "Forbidden" in response.text


def test_unsupported_method_is_403(http):
    assert http.delete("purchase-orders/5f0000000000000000000001").status_code == 403


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": KEY},
        {"Account": ACCOUNT},
        {"Authorization": f"Bearer {KEY}", "Account": ACCOUNT},
        {"Authorization": KEY, "Account": "a1"},
    ],
)
def test_missing_or_wrong_credentials(twin, headers):
    with httpx.Client(transport=httpx.MockTransport(twin.handle)) as client:
        response = client.get(BASE_URL + "/variants", headers=headers)
    assert response.status_code == 401
    assert response.json() == {
        "result": {"status": "error", "message": "Invalid API key or account"}
    }


def test_missing_variant_is_an_error_result(http):
    response = http.get("variants/c1_999")
    assert (response.status_code, response.json()) == (
        404,
        {"result": {"status": "error", "message": "Failed to find variant c1_999"}},
    )


def test_unknown_filter_is_ignored_by_default(http):
    assert http.get("variants", params={"colour": "red"}).json()["meta"]["total"] == 5


@pytest.mark.parametrize("mode, status, total", [("match_nothing", 200, 0), ("error", 500, None)])
def test_unknown_filter_policy_is_a_setting(mode, status, total):
    twin = InventoryPlannerTwin(settings=TwinSettings(unknown_filter=mode))
    with httpx.Client(transport=httpx.MockTransport(twin.handle), headers=AUTH) as client:
        response = client.get(BASE_URL + "/variants", params={"colour": "red"})
    assert response.status_code == status
    if total is None:
        assert response.json()["result"]["message"] == "Unknown filter colour"
    else:
        assert response.json()["meta"]["total"] == total


def test_top_level_figures_can_come_from_the_first_warehouse():
    twin = InventoryPlannerTwin(settings=TwinSettings(top_level="first"))
    twin.add_warehouse(MAIN)
    twin.add_warehouse(OUTLET)
    twin.add_variant("A", stock={MAIN: 5, OUTLET: 7})
    assert twin.variant("A")["in_stock"] == 5


def test_po_write_envelope_statuses_and_dates(http):
    created = http.post(
        "purchase-orders",
        json={
            "purchase-order": {
                "status": "SENT",
                "warehouse": MAIN,
                "vendor": "acme",
                "expected_date": "2026-12-01T10:00:00+01:00",
                "items": [{"id": "c1_101", "replenishment": 3, "cost_price": 2.5}],
            }
        },
    )
    assert created.status_code == 200
    order = created.json()["purchase-order"]
    assert (order["status"], order["expected_date"], order["total"]) == ("sent", "2026-12-01", 7.5)
    assert len(order["id"]) == 24 and int(order["id"], 16)
    assert order["last_modified"] == "2026-11-26T12:00:00+00:00"

    updated = http.patch(
        f"purchase-orders/{order['id']}",
        json={"purchase-order": {"status": "Cancelled", "expected_date": 1796256000}},
    ).json()["purchase-order"]
    assert (updated["status"], updated["expected_date"]) == ("cancelled", "2026-12-03")

    listed = http.get("purchase-orders", params={"status_eqi": "CANCELLED"}).json()
    assert listed["meta"]["name"] == "purchase-orders"
    assert [o["id"] for o in listed["purchase-orders"]] == [order["id"]]
    item = http.get(f"purchase-orders/{order['id']}/items/c1_101").json()
    assert (item["item"]["sku"], item["item"]["replenishment"]) == ("SKU-1", 3)
    assert http.get(f"purchase-orders/{order['id']}/items").json()["items"][0]["id"] == "c1_101"


def test_fields_dot_paths_into_po_items(http):
    http.post(
        "purchase-orders",
        json={
            "purchase-order": {"warehouse": MAIN, "items": [{"id": "c1_101", "replenishment": 3}]}
        },
    )
    body = http.get("purchase-orders", params={"fields": "reference,items.sku"}).json()
    [order] = body["purchase-orders"]
    assert order == {
        "id": "5f0000000000000000000001",
        "reference": "PO-1",
        "items": [{"sku": "SKU-1"}],
    }


@pytest.mark.parametrize(
    "body, message",
    [
        (b"{not json", "Invalid JSON"),
        (b'{"purchase_order": {}}', "Missing purchase-order"),
        (b'{"purchase-order": {"warehouse": "c1_main", "status": "lost"}}', "Invalid status lost"),
        (b'{"purchase-order": {"warehouse": ["c1_main"]}}', "Invalid warehouse"),
        (b'{"purchase-order": {"warehouse": "c1_main", "vendor": {"n": 1}}}', "Invalid vendor"),
        (
            b'{"purchase-order": {"warehouse": "c1_main", "expected_date": "soon"}}',
            "Invalid expected_date soon",
        ),
    ],
)
def test_po_validation_errors_are_500_with_a_message(twin, http, body, message):
    response = http.post(
        "purchase-orders", content=body, headers={"Content-Type": "application/json"}
    )
    assert (response.status_code, response.json()["result"]["message"]) == (500, message)
    assert http.get("purchase-orders").json()["meta"]["total"] == 0


def test_variants_filter_fills_the_order_from_replenishment(http):
    order = http.post(
        "purchase-orders",
        json={"purchase-order": {"warehouse": MAIN, "variants_filter": {"replenishment_gt": 25}}},
    ).json()["purchase-order"]
    # the filter reads the variant's figures, the line takes its destination warehouse's
    assert [(i["sku"], i["replenishment"]) for i in order["items"]] == [
        ("SKU-3", 38),
        ("SKU-4", 50),
    ]


def test_receiving_a_cancelled_order_is_refused(http):
    order = http.post(
        "purchase-orders",
        json={
            "purchase-order": {"warehouse": MAIN, "items": [{"id": "c1_101", "replenishment": 3}]}
        },
    ).json()["purchase-order"]
    http.put(f"purchase-orders/{order['id']}", json={"purchase-order": {"status": "CANCELLED"}})
    response = http.patch(
        f"purchase-orders/{order['id']}/items", json={"items": [{"id": "c1_101", "received": 1}]}
    )
    assert (response.status_code, response.json()["result"]["message"]) == (
        500,
        "Cannot receive a cancelled purchase-order",
    )


def test_receiving_history_is_appended(http):
    order = http.post(
        "purchase-orders",
        json={
            "purchase-order": {"warehouse": MAIN, "items": [{"sku": "SKU-1", "replenishment": 3}]}
        },
    ).json()["purchase-order"]
    http.patch(
        f"purchase-orders/{order['id']}/items", json={"items": [{"id": "c1_101", "received": 2}]}
    )
    [item] = http.patch(
        f"purchase-orders/{order['id']}/items", json={"items": [{"id": "c1_101", "received": 3}]}
    ).json()["items"]
    stamp = int(NOW.timestamp())
    assert item["received_history"] == [{"date": stamp, "value": 2}, {"date": stamp, "value": 1}]


# -- seeding API -----------------------------------------------------------------------------


def test_seeding_moves_stock_and_planning(twin):
    twin.set_stock("SKU-1", MAIN, 3)
    assert twin.adjust_stock("SKU-1", MAIN, -5) == -2  # IP accepts negative stock
    twin.set_planning("SKU-1", MAIN, minimum_stock=4, velocity=2.0)
    block = twin.variant("SKU-1")["warehouse"][0]
    assert (block["in_stock"], block["minimum_stock"], block["replenishment"], block["oos"]) == (
        -2,
        4,
        94,  # ceil(2.0 * 44 + 4 - (-2))
        0,
    )


def test_seeding_rejects_what_does_not_exist(twin):
    with pytest.raises(ValueError, match="exists"):
        twin.add_variant("SKU-1")
    with pytest.raises(ValueError, match="unknown warehouse"):
        twin.set_stock("SKU-1", "c1_nowhere", 1)
    with pytest.raises(ValueError, match="unknown SKU"):
        twin.adjust_stock("NOPE", MAIN, 1)


def test_a_new_warehouse_block_appears_on_first_stock(twin):
    wh = twin.add_warehouse()
    twin.set_stock("SKU-1", wh, 4)
    assert [b["warehouse"] for b in twin.variant("SKU-1")["warehouse"]] == [MAIN, OUTLET, wh]
    assert twin.variant("SKU-1")["in_stock"] == 15


def test_concurrent_adjustments_are_not_lost(twin, http):
    def work():
        for _ in range(200):
            twin.adjust_stock("SKU-1", MAIN, 1)
            http.get("variants", params={"fields": "in_stock", "limit": 5})

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert twin.in_stock("SKU-1", MAIN) == 810

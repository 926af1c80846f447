"""The client against hand-written responses shaped like the reference's (§1.4, §1.5)."""

from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from syncs.connectors.base import (
    AuthError,
    BadPayloadError,
    PermanentError,
    RetryableError,
    ThrottledError,
)
from syncs.connectors.inventory_planner import (
    NotFoundError,
    PurchaseOrderDraft,
)
from syncs.connectors.inventory_planner.types import _PLANNING as PLANNING
from syncs.connectors.inventory_planner.types import Variant, WarehouseBlock
from tests.syncs.inventory_planner.conftest import (
    ACCOUNT,
    KEY,
    Script,
    envelope_error,
    variants_page,
)

VARIANT = {"id": "c1_1", "sku": "A-1"}
PO = {"id": "5f0000000000000000000001", "reference": "PO-1", "status": "open", "items": []}


def ids(client, **kwargs):
    return [v.id for v in client.iter_variants(**kwargs)]


def pages(script):
    return [r.url.params["page"] for r in script.requests]


# -- request shape ---------------------------------------------------------------------------


def test_headers_are_the_bare_key_and_the_account(make_client):
    script = Script(variants_page([VARIANT]))
    assert ids(make_client(script)) == ["c1_1"]
    headers = script.requests[0].headers
    assert headers["Authorization"] == KEY
    assert headers["Account"] == ACCOUNT
    assert headers["User-Agent"] == "centra-ip/0.1"
    assert headers["Accept"] == "application/json"
    assert script.requests[0].url.path == "/api/v1/variants"


def test_fields_filters_and_sort_go_into_the_query(make_client):
    script = Script(variants_page([VARIANT]))
    client = make_client(script)
    ids(
        client,
        fields=["sku", "warehouse.in_stock"],
        filters={"replenishment_gt": 0, "removed": False},
        sort={"oos": "asc"},
    )
    assert dict(script.requests[0].url.params) == {
        "fields": "id,sku,warehouse.in_stock,warehouse.warehouse",
        "replenishment_gt": "0",
        "removed": "false",
        "oos_sort": "asc",
        "page": "0",
        "limit": "1000",
    }


def test_a_bad_sort_direction_sends_nothing(make_client):
    script = Script()
    with pytest.raises(ValueError, match="asc or desc"):
        ids(make_client(script), sort={"oos": "up"})
    assert script.requests == []


# -- paging ----------------------------------------------------------------------------------


def test_empty_first_page_is_one_request(make_client):
    script = Script(variants_page([]))
    assert ids(make_client(script, page_size=2)) == []
    assert pages(script) == ["0"]


def test_short_page_ends_the_walk(make_client):
    rows = [{"id": "c1_1"}, {"id": "c1_2"}, {"id": "c1_3"}]
    script = Script(variants_page(rows[:2], limit=2, total=3), variants_page(rows[2:], page=1))
    assert ids(make_client(script, page_size=2)) == ["c1_1", "c1_2", "c1_3"]
    assert pages(script) == ["0", "1"]
    assert [r.url.params["limit"] for r in script.requests] == ["2", "2"]


def test_exact_multiple_of_the_limit_reads_one_empty_page(make_client):
    rows = [{"id": f"c1_{i}"} for i in range(4)]
    script = Script(
        variants_page(rows[:2], total=4),
        variants_page(rows[2:], page=1, total=4),
        variants_page([], page=2, total=4),  # the page past the end
    )
    assert ids(make_client(script, page_size=2)) == ["c1_0", "c1_1", "c1_2", "c1_3"]
    assert pages(script) == ["0", "1", "2"]


def test_a_server_capped_limit_keeps_paging(make_client):
    """Asked for 3, the server applies 2: a page of 2 is full, not short."""
    script = Script(
        variants_page([{"id": "a"}, {"id": "b"}], limit=2, total=3),
        variants_page([{"id": "c"}], page=1, limit=2, total=3),
    )
    assert ids(make_client(script, page_size=3)) == ["a", "b", "c"]


def test_a_page_whose_count_disagrees_with_its_rows_is_read_and_logged(
    make_client, records, caplog
):
    """``meta``'s semantics are inferred: a disagreement is worth a log line, not a failed
    stock cycle."""
    script = Script(
        variants_page([{"id": "a"}], count=2, total=2), variants_page([], page=1, total=2)
    )
    assert ids(make_client(script, page_size=2)) == ["a"]
    assert records[0].outcome == "ok"
    assert "IP variants page 0: meta.count 2 but 1 rows; reading the rows" in caplog.text


def test_a_short_page_before_meta_total_reads_on_until_an_empty_page(make_client, caplog):
    """A server that cuts pages short costs a request, never rows."""
    script = Script(
        variants_page([{"id": "a"}], total=5),
        variants_page([{"id": "b"}, {"id": "c"}], page=1, total=5),
        variants_page([{"id": "d"}], page=2, total=5),
    )
    assert ids(make_client(script, page_size=2)) == ["a", "b", "c", "d"]
    assert pages(script) == ["0", "1", "2"]
    assert "IP variants page 0 is short (1 rows) but meta.total is 5" in caplog.text


def test_paging_streams_one_page_at_a_time(make_client):
    script = Script(
        variants_page([{"id": "a"}, {"id": "b"}], total=3),
        variants_page([{"id": "c"}], page=1, total=3),
    )
    rows = make_client(script, page_size=2).iter_variants()
    assert next(rows).id == "a"
    assert len(script.requests) == 1
    assert [v.id for v in rows] == ["b", "c"]
    assert len(script.requests) == 2


# -- error envelope and status codes ----------------------------------------------------------


def test_validation_error_as_http_500_is_permanent_and_not_retried(make_client, records):
    script = Script(envelope_error(500, "Warehouse is required"))
    client = make_client(script)
    with pytest.raises(PermanentError) as caught:
        client.create_purchase_order(PurchaseOrderDraft(warehouse="", lines=()))
    assert type(caught.value) is PermanentError
    assert caught.value.message == "Warehouse is required"
    assert caught.value.status_code == 500
    assert len(script.requests) == 1
    assert [(r.operation, r.outcome, r.status_code, r.retries) for r in records] == [
        ("POST /purchase-orders", "permanent_error", 500, 0)
    ]


def test_real_5xx_is_retried_until_success(make_client, records, clock):
    script = Script(
        httpx.Response(500, text="<html>Internal Server Error</html>"),
        httpx.Response(503, text="Service Unavailable"),
        variants_page([VARIANT]),
    )
    assert ids(make_client(script)) == ["c1_1"]
    assert len(script.requests) == 3
    assert [(r.outcome, r.status_code, r.retries) for r in records] == [("ok", 200, 2)]


def test_5xx_outage_gives_up_after_max_retries(make_client, records):
    script = Script(*[httpx.Response(502, text="Bad Gateway") for _ in range(4)])
    with pytest.raises(RetryableError) as caught:
        ids(make_client(script))
    assert caught.value.status_code == 502
    assert len(script.requests) == 4  # the first try and three retries
    assert [(r.outcome, r.status_code, r.retries) for r in records] == [("retryable_error", 502, 3)]


@pytest.mark.parametrize("status", [401, 403])
def test_auth_failures_are_auth_errors_and_not_retried(make_client, records, status):
    script = Script(envelope_error(status, "Invalid API key"))
    with pytest.raises(AuthError, match="Invalid API key"):
        make_client(script).get_variant("c1_1")
    assert len(script.requests) == 1
    assert records[0].outcome == "permanent_error"


def test_cloudflare_403_without_envelope_is_an_auth_error(make_client):
    script = Script(httpx.Response(403, text="<html>Forbidden</html>"))
    with pytest.raises(AuthError, match="bad key, account or path"):
        make_client(script).get_variant("c1_1")


def test_not_found_envelope_is_not_found_error(make_client):
    script = Script(envelope_error(404, "Failed to find variant c1_9"))
    with pytest.raises(NotFoundError, match="Failed to find variant c1_9"):
        make_client(script).get_variant("c1_9")


def test_error_envelope_on_http_200_is_still_an_error(make_client):
    script = Script(envelope_error(200, "Failed to find purchase-order po2"))
    with pytest.raises(NotFoundError, match="po2"):
        make_client(script).get_purchase_order("po2")


# -- throttling ------------------------------------------------------------------------------


def test_429_waits_retry_after_seconds_then_succeeds(make_client, clock, records):
    script = Script(httpx.Response(429, headers={"Retry-After": "7"}), variants_page([VARIANT]))
    assert ids(make_client(script)) == ["c1_1"]
    assert clock.sleeps == [7.0]
    assert records[0].retries == 1
    assert (records[0].outcome, records[0].throttled, records[0].longest_wait_ms) == (
        "ok",
        1,
        7000,
    )


def test_429_with_an_http_date(make_client, clock):
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=20), usegmt=True)
    script = Script(httpx.Response(429, headers={"Retry-After": when}), variants_page([]))
    ids(make_client(script))
    assert 18 <= clock.sleeps[0] <= 20


def test_429_without_retry_after_waits_the_default_30_seconds(make_client, clock):
    script = Script(httpx.Response(429), variants_page([]))
    ids(make_client(script))
    assert clock.sleeps == [30.0]


def test_429_storm_ends_in_throttled_error(make_client, records):
    script = Script(*[httpx.Response(429, headers={"Retry-After": "1"}) for _ in range(4)])
    with pytest.raises(ThrottledError) as caught:
        ids(make_client(script))
    assert caught.value.retry_after == 1.0
    assert records[0].outcome == "retryable_error"


# -- timeouts and transport errors -----------------------------------------------------------


def test_read_timeout_on_a_read_is_retried(make_client, records):
    script = Script(httpx.ReadTimeout("slow"), variants_page([VARIANT]))
    assert ids(make_client(script)) == ["c1_1"]
    assert [(r.outcome, r.status_code, r.retries) for r in records] == [("ok", 200, 1)]


def test_read_timeout_on_create_is_not_retried(make_client, records):
    """The server may have created the order: a blind retry could create it twice."""
    script = Script(httpx.ReadTimeout("slow"), httpx.Response(200, json={"purchase-order": PO}))
    client = make_client(script)
    with pytest.raises(RetryableError, match="timed out"):
        client.create_purchase_order(PurchaseOrderDraft(warehouse="c1_main", lines=()))
    assert len(script.requests) == 1
    assert [(r.outcome, r.status_code, r.retries) for r in records] == [
        ("retryable_error", None, 0)
    ]


def test_5xx_on_create_is_not_retried(make_client):
    script = Script(httpx.Response(503), httpx.Response(200, json={"purchase-order": PO}))
    with pytest.raises(RetryableError):
        make_client(script).create_purchase_order(PurchaseOrderDraft(warehouse="c1_main", lines=()))
    assert len(script.requests) == 1


def test_connect_error_on_create_is_retried(make_client):
    script = Script(httpx.ConnectError("refused"), httpx.Response(200, json={"purchase-order": PO}))
    order = make_client(script).create_purchase_order(
        PurchaseOrderDraft(warehouse="c1_main", lines=())
    )
    assert order.id == PO["id"]
    assert len(script.requests) == 2


def test_the_timeout_is_explicit_and_long(make_client):
    script = Script(variants_page([]))
    ids(make_client(script, timeout=90.0))
    timeout = script.requests[0].extensions["timeout"]
    assert timeout == {"connect": 15.0, "read": 90.0, "write": 90.0, "pool": 90.0}


# -- bad payloads ----------------------------------------------------------------------------


def test_malformed_json_is_bad_payload_and_not_retried(make_client, records):
    script = Script(httpx.Response(200, text='{"meta": {"total": 3}, "variants": [{"id"'))
    with pytest.raises(BadPayloadError, match="not a JSON object"):
        ids(make_client(script))
    assert len(script.requests) == 1
    assert records[0].outcome == "permanent_error"


@pytest.mark.parametrize(
    "body, message",
    [
        ({"meta": {}}, "no 'variants' list"),
        ({"variants": {"id": "a"}}, "no 'variants' list"),
        ({"variants": [{"sku": "A-1"}]}, "variant has no id"),
        ({"variants": ["c1_1"]}, "variant is not an object"),
        ({"variants": [{"id": "a", "in_stock": "lots"}]}, "in_stock is not a number"),
        ({"variants": [{"id": "a", "warehouse": {"in_stock": 1}}]}, "warehouse is not a list"),
        ({"variants": [{"id": "a", "warehouse": "c1_1"}]}, "warehouse is not a list"),
        ({"variants": [{"id": "a", "forecast_description": [1]}]}, "is not an object"),
        ({"variants": [{"id": "a", "warehouse": [{"in_stock": 1}]}]}, "no warehouse id"),
        ({"variants": [{"id": "a", "removed": "maybe"}]}, "removed is not a boolean"),
    ],
)
def test_missing_or_mistyped_fields_are_bad_payload_not_key_error(make_client, body, message):
    script = Script(httpx.Response(200, json=body))
    with pytest.raises(BadPayloadError, match=message):
        ids(make_client(script))


def test_single_entity_without_its_envelope_is_bad_payload(make_client):
    script = Script(httpx.Response(200, json={"purchase-orders": [PO]}))
    with pytest.raises(BadPayloadError, match="no 'purchase-order' object"):
        make_client(script).get_purchase_order(PO["id"])


def test_numbers_sent_as_strings_are_tolerated(make_client):
    row = {"id": "a", "in_stock": "12", "forecast_description": {"sales_velocity1": "0.25"}}
    script = Script(variants_page([row]))
    [variant] = make_client(script).iter_variants()
    assert (variant.in_stock, variant.sales_velocity) == (12, 0.25)


@pytest.mark.parametrize(
    "response",
    [
        # UTF-16, and an integer past 64 bits: the fast decoder refuses both, the
        # standard library reads them
        httpx.Response(
            200, content='{"variants": [{"id": "a", "title": "Bl\u00e5"}]}'.encode("utf-16")
        ),
        httpx.Response(
            200,
            content=b'{"variants": [{"id": "a", "title": "Bl\\u00e5", "x": 99999999999999999999}]}',
        ),
    ],
)
def test_json_the_fast_decoder_refuses_is_read_as_before(make_client, response):
    [variant] = make_client(Script(response)).iter_variants()
    assert (variant.id, variant.title) == ("a", "Blå")


def test_every_field_of_a_variant_and_its_blocks_is_read(make_client):
    """The parser walks the fields a row has: each one still lands where it belongs."""
    numbers = dict(zip(PLANNING, range(1, 9), strict=True))
    block = {"warehouse": "w1", **numbers, "forecast_description": {"sales_velocity1": 0.5}}
    keyed = {**numbers, "forecast_description": {"sales_velocity30": 3.0}}
    row = {
        "id": 7,
        "sku": "A-1",
        "barcode": 735,
        "title": "T",
        "removed": 1,
        **{key: value * 10 for key, value in numbers.items()},
        "forecast_description": {"sales_velocity1": 1.5, "sales_velocity30": 2.5},
        "warehouse": [block, None],
        "product_type": "Shoes",
        "orders_by_day": {"2026-11-01": 2},
        "unknown": {"ignored": True},
    }
    [variant] = make_client(Script(variants_page([row]))).iter_variants()
    assert variant == Variant(
        "7", "A-1", "735", "T", True, *(n * 10 for n in range(1, 9)), 1.5, 2.5,
        (WarehouseBlock("w1", *range(1, 9), 0.5, None),),
        "Shoes", {date(2026, 11, 1): 2},
    )  # fmt: skip
    row["warehouse"] = {"w2": keyed}
    [variant] = make_client(Script(variants_page([row]))).iter_variants()
    assert variant.warehouses == (WarehouseBlock("w2", *range(1, 9), None, 3.0),)
    bare = {"id": "b", "warehouse": None, "forecast_description": None, "orders_by_day": None}
    [variant] = make_client(Script(variants_page([bare]))).iter_variants()
    assert variant == Variant("b")


# -- the call record -------------------------------------------------------------------------


def test_records_never_carry_the_key_or_account(make_client, records):
    script = Script(envelope_error(500, f"bad key {KEY} for {ACCOUNT}"))
    with pytest.raises(PermanentError) as caught:
        make_client(script).get_purchase_order("x")
    assert KEY not in str(caught.value)
    assert ACCOUNT not in str(caught.value)
    assert records[0].error == "bad key *** for ***"
    assert records[0].operation == "GET /purchase-orders/{id}"
    assert KEY not in repr(records) and ACCOUNT not in repr(records)

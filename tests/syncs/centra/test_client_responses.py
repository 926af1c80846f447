"""The client against hand-written answers shaped like the reference's examples: every
error class, throttling, retries and paging edges. Nothing sleeps (fake clock)."""

import email.utils
import json
import time

import httpx
import pytest

from syncs.connectors.base import (
    AuthError,
    BadPayloadError,
    PermanentError,
    RetryableError,
    ThrottledError,
)
from syncs.connectors.centra import StockDelta, StockLevel, UserMessage, Warehouse

from .helpers import TOKEN, make_client

# [AUTH]: the missing-permission answer, verbatim.
PERMISSION_ERROR = {
    "errors": [
        {
            "message": "You need Order:read permission to access orderConnection.",
            "extensions": {"category": "authorization"},
            "locations": [{"line": 6, "column": 3}],
            "path": ["orderConnection"],
        }
    ],
    "extensions": {"complexity": 50, "permissionsUsed": ["Order:read"]},
}
EXTENSIONS = {"complexity": 229, "permissionsUsed": ["Warehouse:read"], "appVersion": "v0.32.3"}


def warehouses_page(*ids):
    return {
        "data": {"warehouses": [{"id": i, "name": f"W{i}"} for i in ids]},
        "extensions": EXTENSIONS,
    }


class Script:
    """A transport answering from a list: responses, or exceptions to raise."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request):
        self.requests.append(request)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, httpx.Response):
            return answer
        return httpx.Response(200, json=answer)

    @property
    def transport(self):
        return httpx.MockTransport(self)


@pytest.fixture
def records():
    return []


@pytest.fixture
def scripted(clock, records):
    def make(*answers, **options):
        script = Script(*answers)
        return make_client(script.transport, clock, recorder=records.append, **options), script

    return make


def test_request_shape_bearer_token_user_agent_and_variables(scripted):
    client, script = scripted(warehouses_page(1))
    assert list(client.iter_warehouses(page_size=5)) == [Warehouse(1, "W1")]
    [request] = script.requests
    assert request.method == "POST"
    assert str(request.url) == "https://brand.centra.com/graphql"
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["User-Agent"] == "centra-ip/0.1"
    assert request.headers["Content-Type"] == "application/json"
    body = json.loads(request.content)
    assert body["variables"] == {"limit": 5, "page": 1}
    assert body["query"].lstrip().startswith("query warehouses(")


def test_timeouts_are_explicit(clock):
    client = make_client(Script().transport, clock)
    timeout = client._http.timeout
    assert (timeout.connect, timeout.read, timeout.write, timeout.pool) == (5.0, 30.0, 30.0, 30.0)


def test_paging_edges_empty_short_and_past_the_end(scripted):
    client, script = scripted(warehouses_page())
    assert list(client.iter_warehouses(page_size=2)) == []
    client, script = scripted(warehouses_page(1, 2), warehouses_page(3))
    assert [w.id for w in client.iter_warehouses(page_size=2)] == [1, 2, 3]
    assert len(script.requests) == 2
    client, script = scripted(warehouses_page(1, 2), warehouses_page())  # page 2 is past the end
    assert [w.id for w in client.iter_warehouses(page_size=2)] == [1, 2]
    assert [json.loads(r.content)["variables"]["page"] for r in script.requests] == [1, 2]


def test_one_record_per_logical_call_without_the_token(scripted, records):
    client, _ = scripted(httpx.Response(503), warehouses_page(1))
    list(client.iter_warehouses())
    [record] = records
    assert (
        record.system,
        record.operation,
        record.outcome,
        record.status_code,
        record.retries,
        record.error,
    ) == ("centra", "query warehouses", "ok", 200, 1, "")
    assert TOKEN not in repr(record)


@pytest.mark.parametrize("status", [401, 403])
def test_auth_failures_are_permanent_and_not_retried(scripted, records, clock, status):
    client, script = scripted(
        httpx.Response(status, json={"errors": [{"message": "Unauthorized"}]})
    )
    with pytest.raises(AuthError) as caught:
        list(client.iter_warehouses())
    assert caught.value.status_code == status
    assert caught.value.message == "Unauthorized"
    assert len(script.requests) == 1
    assert clock.sleeps == []
    assert (records[0].outcome, records[0].retries) == ("permanent_error", 0)


def test_auth_failure_without_a_json_body(scripted):
    client, _ = scripted(httpx.Response(401, text="<html>Unauthorized</html>"))
    with pytest.raises(AuthError, match="not authorised"):
        list(client.iter_warehouses())


def test_missing_permission_is_an_auth_error(scripted):
    client, script = scripted(PERMISSION_ERROR)
    with pytest.raises(AuthError) as caught:
        list(client.iter_warehouses())
    assert caught.value.message == "You need Order:read permission to access orderConnection."
    assert caught.value.details == [
        {
            "message": "You need Order:read permission to access orderConnection.",
            "path": ["orderConnection"],
            "category": "authorization",
        }
    ]
    assert len(script.requests) == 1


def test_graphql_errors_are_permanent(scripted, records):
    client, script = scripted(
        {
            "errors": [
                {"message": "Cannot query field 'nope' on type 'Order'."},
                {"message": "second"},
            ]
        }
    )
    with pytest.raises(PermanentError) as caught:
        list(client.iter_warehouses())
    assert type(caught.value) is PermanentError
    assert caught.value.message == "Cannot query field 'nope' on type 'Order'.; second"
    assert len(script.requests) == 1
    assert records[0].error == "Cannot query field 'nope' on type 'Order'.; second"


def test_other_4xx_is_permanent(scripted):
    client, script = scripted(httpx.Response(400, json={"errors": [{"message": "bad body"}]}))
    with pytest.raises(PermanentError, match="bad body"):
        list(client.iter_warehouses())
    assert len(script.requests) == 1


def http_date_in(seconds: float) -> str:
    return email.utils.formatdate(time.time() + seconds, usegmt=True)


def utc_in(seconds: float, fmt: str) -> str:
    from datetime import UTC, datetime, timedelta

    return (datetime.now(UTC) + timedelta(seconds=seconds)).strftime(fmt)


@pytest.mark.parametrize(
    ("header", "low", "high"),
    [
        ("7", 7, 7),
        (lambda: http_date_in(30), 28, 30),
        (lambda: str(int(time.time()) + 20), 18, 20),
        (lambda: str(int(time.time() * 1000) + 20_000), 18, 20),
        (lambda: utc_in(25, "%Y-%m-%dT%H:%M:%S.%f+00:00"), 23, 25),
        (lambda: utc_in(25, "%Y-%m-%dT%H:%M:%SZ"), 23, 25),
        (lambda: utc_in(25, "%Y-%m-%d %H:%M:%S"), 23, 25),
    ],
    ids=["seconds", "http-date", "epoch", "epoch-ms", "iso-8601", "iso-8601-z", "php-datetime"],
)
def test_429_waits_for_retry_after_in_each_form(scripted, clock, records, header, low, high):
    value = header() if callable(header) else header
    client, script = scripted(
        httpx.Response(
            429, headers={"Retry-After": value}, json={"errors": [{"message": "Too many requests"}]}
        ),
        warehouses_page(1),
    )
    assert [w.id for w in client.iter_warehouses()] == [1]
    [slept] = clock.sleeps
    assert low <= slept <= high
    assert len(script.requests) == 2
    assert (records[0].outcome, records[0].retries) == ("ok", 1)
    # the call ended well, but its record keeps the throttled attempt and the wait
    assert (records[0].throttled, records[0].longest_wait_ms) == (1, int(slept * 1000))


@pytest.mark.parametrize("header", [None, "soon"], ids=["absent", "unreadable"])
def test_429_without_a_readable_retry_after_waits_out_the_10_second_window(scripted, clock, header):
    """Jittered back-off would spend every retry inside Centra's 10-s window [RL]."""
    headers = {"Retry-After": header} if header else {}
    client, _ = scripted(
        httpx.Response(429, headers=headers), httpx.Response(429), warehouses_page(1)
    )
    list(client.iter_warehouses())
    assert clock.sleeps == [10.0, 10.0]


def test_throttled_until_retries_run_out(scripted, records, clock):
    client, script = scripted(*[httpx.Response(429, headers={"Retry-After": "3"})] * 4)
    with pytest.raises(ThrottledError) as caught:
        list(client.iter_warehouses())
    assert caught.value.retry_after == 3
    assert caught.value.status_code == 429
    assert len(script.requests) == 4
    assert clock.sleeps == [3, 3, 3]
    assert (records[0].outcome, records[0].retries, records[0].status_code) == (
        "retryable_error",
        3,
        429,
    )
    assert (records[0].throttled, records[0].longest_wait_ms) == (4, 3000)


def test_5xx_then_success(scripted):
    client, script = scripted(
        httpx.Response(502), httpx.Response(503, text="down"), warehouses_page(4)
    )
    assert [w.id for w in client.iter_warehouses()] == [4]
    assert len(script.requests) == 3


def test_5xx_until_retries_run_out(scripted):
    client, script = scripted(*[httpx.Response(500)] * 4)
    with pytest.raises(RetryableError) as caught:
        list(client.iter_warehouses())
    assert type(caught.value) is RetryableError
    assert caught.value.status_code == 500
    assert len(script.requests) == 4


def test_timeouts_and_connection_errors_are_retried(scripted, records):
    client, script = scripted(
        httpx.ReadTimeout("slow"), httpx.ConnectError("refused"), warehouses_page(1)
    )
    assert [w.id for w in client.iter_warehouses()] == [1]
    assert len(script.requests) == 3
    assert records[0].retries == 2


def test_timeout_until_retries_run_out(scripted, records):
    client, _ = scripted(*[httpx.ReadTimeout("slow")] * 4)
    with pytest.raises(RetryableError, match=r"timed out \(ReadTimeout\)"):
        list(client.iter_warehouses())
    assert (records[0].outcome, records[0].status_code, records[0].retries) == (
        "retryable_error",
        None,
        3,
    )


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(200, text='{"data": {"warehouses": [{"id": 1'),
        httpx.Response(200, json=[1, 2]),
        httpx.Response(200, json={"extensions": EXTENSIONS}),
        httpx.Response(200, json={"data": {"warehouses": [{"id": 1}]}}),
        httpx.Response(200, json={"data": {"warehouses": {"id": 1}}}),
        httpx.Response(200, json={"data": {"warehouses": [{"id": "x", "name": "W"}]}}),
        httpx.Response(200, json={"data": {}}),
    ],
    ids=[
        "cut-json",
        "not-an-object",
        "no-data",
        "missing-field",
        "not-a-list",
        "bad-int",
        "missing-root",
    ],
)
def test_malformed_payloads_are_bad_payload_errors(scripted, records, answer):
    client, script = scripted(answer)
    with pytest.raises(BadPayloadError):
        list(client.iter_warehouses())
    assert len(script.requests) == 1


def test_malformed_order_payload_is_not_a_key_error(scripted):
    order = {"id": "1497ccf644db871e1e4026d101bde6f3", "number": 14, "status": "PENDING"}
    client, _ = scripted({"data": {"orders": [order]}})
    with pytest.raises(BadPayloadError, match="KeyError"):
        list(client.iter_orders())


def test_user_errors_and_warnings_are_surfaced_per_item(scripted, records):
    levels = [StockLevel(10, 1), StockLevel(11, 2), StockLevel(12, 3)]
    client, script = scripted(
        {
            "data": {
                "setStock": {
                    "stockChanges": [{"id": 4284}],
                    "userErrors": [
                        {
                            "message": "Product size not found",
                            "path": ["input", "productSizes", "1"],
                        },
                        {"message": "Something general", "path": None},
                    ],
                    "userWarnings": [
                        {"message": "Clamped", "path": ["input", "productSizes", 2, "quantity"]}
                    ],
                }
            },
            "extensions": {"complexity": 3},
        }
    )

    result = client.set_stock(7, levels, description="push", free_to_allocate=True)

    body = json.loads(script.requests[0].content)
    assert body["variables"]["input"] == {
        "warehouse": {"id": 7},
        "description": "push",
        "stockQuantityType": "FREE_TO_ALLOCATE",
        "productSizes": [
            {"productSize": {"id": 10}, "quantity": 1},
            {"productSize": {"id": 11}, "quantity": 2},
            {"productSize": {"id": 12}, "quantity": 3},
        ],
    }
    assert result.stock_change_ids == (4284,)
    assert [(i.ok, i.errors, i.warnings) for i in result.items] == [
        (True, (), ()),
        (False, (UserMessage("Product size not found", ("input", "productSizes", "1")),), ()),
        (True, (), (UserMessage("Clamped", ("input", "productSizes", "2", "quantity")),)),
    ]
    assert result.errors == (UserMessage("Something general"),)
    assert (records[0].operation, records[0].outcome, records[0].error) == (
        "mutation setStock",
        "permanent_error",
        "2 userErrors: Product size not found",
    )


def test_mutation_user_errors_without_items_raise(scripted):
    client, _ = scripted(
        {
            "data": {
                "setEventListeners": {
                    "eventListeners": [],
                    "userErrors": [{"message": "Events are not enabled", "path": []}],
                    "userWarnings": [],
                }
            }
        }
    )
    with pytest.raises(PermanentError, match="Events are not enabled"):
        client.set_event_listeners({"Order": None})


def test_fta_quantity_type_spelling_is_configurable(scripted):
    client, script = scripted(
        {"data": {"setStock": {"stockChanges": [], "userErrors": [], "userWarnings": []}}},
        fta_quantity_type="FTA",
    )
    client.set_stock(1, [StockLevel(1, 1)], description="x", free_to_allocate=True)
    assert (
        json.loads(script.requests[0].content)["variables"]["input"]["stockQuantityType"] == "FTA"
    )


def test_records_land_in_external_call(db, clock):
    from syncs.models import ExternalCall
    from syncs.services import external_call_record

    script = Script(httpx.Response(503), PERMISSION_ERROR)
    client = make_client(script.transport, clock, recorder=external_call_record)
    with pytest.raises(AuthError):
        list(client.iter_warehouses())
    call = ExternalCall.objects.get()
    assert (call.system, call.operation, call.outcome, call.status_code, call.retries) == (
        "centra",
        "query warehouses",
        "permanent_error",
        200,
        1,
    )
    assert call.error == "You need Order:read permission to access orderConnection."


def test_change_stock_additions_stand_when_the_removals_fail(scripted, records):
    client, script = scripted(
        {"data": {"changeStock": {"stockChange": {"id": 5}, "userErrors": [], "userWarnings": []}}},
        httpx.Response(401, json={"errors": [{"message": "Unauthorized"}]}),
    )
    with pytest.raises(AuthError):
        client.change_stock(3, [StockDelta(1, "S", 2), StockDelta(1, "M", -1)], description="count")
    sent = [json.loads(r.content)["variables"]["input"] for r in script.requests]
    assert sent == [
        {
            "intoWarehouse": {"id": 3},
            "description": "count",
            "productVariants": [
                {
                    "productVariant": {"id": 1},
                    "sizeChanges": [{"size": {"name": "S"}, "deliveredQuantity": 2}],
                }
            ],
        },
        {
            "outFromWarehouse": {"id": 3},
            "description": "count",
            "productVariants": [
                {
                    "productVariant": {"id": 1},
                    "sizeChanges": [{"size": {"name": "M"}, "deliveredQuantity": 1}],
                }
            ],
        },
    ]
    assert [(r.operation, r.outcome) for r in records] == [
        ("mutation changeStock", "ok"),
        ("mutation changeStock", "permanent_error"),
    ]


def test_a_failed_page_stops_the_iteration(scripted):
    client, script = scripted(warehouses_page(1, 2), httpx.Response(403))
    rows = client.iter_warehouses(page_size=2)
    assert [next(rows).id, next(rows).id] == [1, 2]
    with pytest.raises(AuthError):
        next(rows)
    assert len(script.requests) == 2


def test_nullable_names_skus_and_eans_arrive_as_empty_text(scripted):
    """``ProductSize.SKU``/``EAN``/``sizeNumber``, ``ProductVariant.name``/``variantNumber``,
    ``Size.name`` and ``OrderLine.productName`` are nullable in Centra's schema."""
    products = {
        "data": {
            "products": [
                {
                    "id": 1,
                    "productNumber": "TEE",
                    "name": "Tee",
                    "status": "ACTIVE",
                    "variants": [
                        {
                            "id": 2,
                            "variantNumber": None,
                            "name": None,
                            "productSizes": [
                                {
                                    "id": 3,
                                    "sizeNumber": None,
                                    "SKU": None,
                                    "EAN": None,
                                    "size": {"name": None},
                                }
                            ],
                        }
                    ],
                }
            ]
        }
    }
    line = {
        "id": 9,
        "productName": None,
        "quantity": 1,
        "cancelledQuantity": 0,
        "returnedQuantity": 0,
        "productSize": {"id": 3, "SKU": None, "EAN": None},
        "unitPrice": {"value": 10},
    }
    order = {
        "id": "a" * 32,
        "number": 5,
        "status": "CONFIRMED",
        "orderDate": "2026-12-03T07:04:51+00:00",
        "createdAt": "2026-12-03T07:04:51+00:00",
        "store": {"type": "DIRECT_TO_CONSUMER"},
        "grandTotal": {"value": 10, "currency": {"code": "EUR"}},
        "lines": [line],
    }
    client, _ = scripted(products, {"data": {"orders": [order]}})

    [size] = list(client.iter_sizes())
    [read] = list(client.iter_orders())

    assert (size.sku, size.ean, size.size_number, size.size_name) == ("", "", "", "")
    assert (size.variant_number, size.variant_name) == ("", "")
    assert (read.lines[0].sku, read.lines[0].product_name) == ("", "")


def test_dates_are_sent_in_whole_seconds_utc(scripted):
    from datetime import datetime, timedelta, timezone

    client, script = scripted({"data": {"orders": []}}, {"data": {"returns": []}})
    stockholm = timezone(timedelta(hours=1))
    start = datetime(2026, 12, 3, 8, 4, 51, 551016, tzinfo=stockholm)

    list(client.iter_orders(date_from=start, date_to=start + timedelta(hours=1)))
    list(client.iter_returns(created_from=start))

    orders, returns = (json.loads(r.content)["variables"]["where"] for r in script.requests)
    assert orders == {
        "orderDate": {"from": "2026-12-03T07:04:51+00:00", "to": "2026-12-03T08:04:51+00:00"}
    }
    assert returns == {"createdAt": {"from": "2026-12-03T07:04:51+00:00"}}


CHANGE = {"data": {"changeStock": {"stockChange": {"id": 7}, "userErrors": [], "userWarnings": []}}}


@pytest.mark.parametrize(
    "failure",
    [httpx.ReadTimeout("slow"), httpx.Response(502), httpx.RemoteProtocolError("cut")],
    ids=["read-timeout", "5xx", "connection-dropped"],
)
def test_a_relative_change_that_may_have_reached_centra_is_not_sent_again(scripted, failure):
    """Sent twice, a relative changeStock would add the units twice."""
    client, script = scripted(failure, CHANGE)
    with pytest.raises(RetryableError):
        client.change_stock(1, [StockDelta(1, "S", 2)], description="in")
    assert len(script.requests) == 1


@pytest.mark.parametrize(
    "failure",
    [httpx.ConnectError("refused"), httpx.Response(429, headers={"Retry-After": "1"})],
    ids=["never-connected", "throttled"],
)
def test_a_relative_change_centra_did_not_act_on_is_sent_again(scripted, failure):
    client, script = scripted(failure, CHANGE)
    result = client.change_stock(1, [StockDelta(1, "S", 2)], description="in")
    assert result.stock_change_ids == (7,) and len(script.requests) == 2


def test_an_absolute_set_stock_is_retried_after_a_timeout(scripted):
    answer = {"data": {"setStock": {"stockChanges": [{"id": 3}], "userErrors": []}}}
    answer["data"]["setStock"]["userWarnings"] = []
    client, script = scripted(httpx.ReadTimeout("slow"), answer)
    assert client.set_stock(1, [StockLevel(1, 5)], description="x").ok
    assert len(script.requests) == 2


def test_the_token_never_leaves_the_client_in_an_error_a_record_or_a_message(scripted, records):
    """Centra's answers are read with the token masked: an error text that echoes it (as
    some APIs do with a bad credential) reaches no exception, call record or result."""
    echo = f"Token {TOKEN} is not allowed to do this"
    user_error = {
        "data": {
            "setStock": {
                "stockChanges": [],
                "userErrors": [{"message": echo, "path": ["input", "productSizes", "0"]}],
                "userWarnings": [{"message": echo, "path": None}],
            }
        }
    }
    client, _ = scripted(
        httpx.Response(403, json={"errors": [{"message": echo}]}),
        {"errors": [{"message": echo, "extensions": {"category": "authorization"}}]},
        user_error,
    )

    with pytest.raises(AuthError) as forbidden:
        list(client.iter_warehouses())
    with pytest.raises(AuthError) as denied:
        list(client.iter_warehouses())
    result = client.set_stock(1, [StockLevel(1, 5)], description="x")

    texts = [
        str(forbidden.value),
        str(denied.value),
        repr(denied.value.details),
        result.items[0].errors[0].message,
        result.warnings[0].message,
        *(record.error for record in records),
    ]
    assert all(TOKEN not in text for text in texts)
    assert result.items[0].errors[0].message == "Token *** is not allowed to do this"
    assert records[-1].error == "1 userErrors: Token *** is not allowed to do this"


def test_a_rate_limit_row_with_an_unknown_interval_is_left_out(scripted):
    """``RateLimitInterval`` could grow; the stock cycle paces on the rows it knows."""
    row = {"type": "REQUEST_COUNT", "quota": 60, "usedQuota": 1, "remainingQuota": 59}
    answer = {
        "data": {
            "rateLimits": [
                {**row, "intervalSeconds": "TEN_SECONDS"},
                {**row, "intervalSeconds": "ONE_DAY", "quota": 99_999},
            ]
        }
    }
    client, _ = scripted(answer)
    [limit] = client.sync_pacing()
    assert (limit.type, limit.interval_seconds, limit.quota) == ("REQUEST_COUNT", 10, 60)
    assert client.pacer.buckets[("REQUEST_COUNT", 10)].capacity == 60

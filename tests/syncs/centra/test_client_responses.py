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


@pytest.mark.parametrize(
    ("header", "low", "high"),
    [
        ("7", 7, 7),
        (lambda: http_date_in(30), 28, 30),
        (lambda: str(int(time.time()) + 20), 18, 20),
    ],
    ids=["seconds", "http-date", "epoch"],
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


def test_429_without_retry_after_backs_off_with_jitter(scripted, clock):
    client, _ = scripted(httpx.Response(429), httpx.Response(429), warehouses_page(1))
    list(client.iter_warehouses())
    assert len(clock.sleeps) == 2
    assert 0 <= clock.sleeps[0] <= 0.5
    assert 0 <= clock.sleeps[1] <= 1.0


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

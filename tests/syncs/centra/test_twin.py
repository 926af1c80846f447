"""The twin rejects what Centra rejects and answers in Centra's envelopes."""

import email.utils
import json
import time

import httpx
import pytest

from syncs.connectors.base import BadPayloadError, RetryableError
from syncs.connectors.centra import CentraLimits, Warehouse
from syncs.sandbox.centra import CentraTwin, TwinConfig

from .helpers import TOKEN, URL, make_client

SET_STOCK = """mutation { setStock(input: {warehouse: {id: 1}, description: "x",
  stockQuantityType: PHYSICAL, productSizes: [{productSize: {id: 1}, quantity: 5}]})
  { stockChanges { id } userErrors { message path } } }"""


def post(twin, query, variables=None, *, token=TOKEN, path="/graphql", headers=None):
    request_headers = {"Authorization": f"Bearer {token}"} if token else {}
    request_headers.update(headers or {})
    http = httpx.Client(
        transport=httpx.MockTransport(twin.handle), base_url="https://brand.centra.com"
    )
    return http.post(
        path, json={"query": query, "variables": variables or {}}, headers=request_headers
    )


@pytest.mark.parametrize("token", ["wrong-token", None], ids=["wrong", "missing"])
def test_bad_or_missing_token_is_401_and_changes_nothing(twin, token):
    response = post(twin, SET_STOCK, token=token)
    assert response.status_code == 401
    assert response.json() == {
        "errors": [
            {
                "message": "Unauthorized: invalid or expired access token",
                "extensions": {"category": "authentication"},
            }
        ]
    }
    assert twin.state.size(1).levels == {}
    assert twin.buckets[("REQUEST_COUNT", 10)].tokens == 60


def test_expired_token_fault_and_configurable_status(twin):
    twin.faults.update(expired_token=True)
    assert post(twin, "{ warehouses { id } }").status_code == 401
    strict = CentraTwin(config=TwinConfig(auth_failure_status=403))
    assert post(strict, "{ warehouses { id } }", token="nope").status_code == 403


def test_cookie_authentication(twin):
    response = post(
        twin, "{ warehouses { id } }", token=None, headers={"Cookie": f"graphql-access={TOKEN}"}
    )
    assert response.json()["data"] == {"warehouses": [{"id": 1}, {"id": 2}]}


def test_envelope_carries_extensions(twin):
    response = post(twin, "{ warehouses(limit: 5) { id name } }")
    assert response.status_code == 200
    assert response.json() == {
        "data": {"warehouses": [{"id": 1, "name": "Stockholm"}, {"id": 2, "name": "Berlin"}]},
        "extensions": {
            "complexity": 1 + 5 * 2,
            "permissionsUsed": ["Warehouse:read"],
            "appVersion": "v0.32.3-sandbox",
        },
    }


def test_unknown_field_is_rejected(twin):
    body = post(twin, "{ warehouses { id colour } }").json()
    assert body["errors"] == [
        {
            "message": "Cannot query field 'colour' on type 'Warehouse'.",
            "locations": [{"line": 1, "column": 19}],
        }
    ]
    assert "data" not in body


def test_wrong_argument_type_is_rejected(twin):
    body = post(twin, '{ warehouses(limit: "ten") { id } }').json()
    assert body["errors"][0]["message"] == 'Int cannot represent non-integer value: "ten"'


def test_wrong_variable_type_is_rejected_and_nothing_is_written(twin):
    query = """mutation($q: Int!) { setStock(input: {warehouse: {id: 1}, description: "x",
      stockQuantityType: PHYSICAL, productSizes: [{productSize: {id: 1}, quantity: $q}]})
      { userErrors { message } } }"""
    body = post(twin, query, {"q": "five"}).json()
    assert body["errors"][0]["message"].startswith("Variable '$q' got invalid value 'five'")
    assert body["data"] is None
    assert twin.state.size(1).levels == {}


def test_unknown_enum_value_is_rejected(twin):
    body = post(twin, "{ orders(sort: [colour_ASC]) { id } }").json()
    assert body["errors"][0]["message"].startswith("Value 'colour_ASC' does not exist")


@pytest.mark.parametrize(
    ("path", "method", "status"),
    [("/graphql/x", "POST", 404), ("/graphql", "GET", 405), ("/centra/graphql", "POST", 200)],
)
def test_only_post_to_a_graphql_path(twin, path, method, status):
    """The demo server mounts the twin under ``/centra``; Centra's is ``<base>/graphql``."""
    http = httpx.Client(transport=httpx.MockTransport(twin.handle))
    response = http.request(
        method,
        f"https://brand.centra.com{path}",
        headers={"Authorization": f"Bearer {TOKEN}"},
        json={"query": "{ warehouses { id } }"},
    )
    assert response.status_code == status


def test_body_that_is_not_graphql_json_is_400(twin):
    http = httpx.Client(transport=httpx.MockTransport(twin.handle))
    response = http.post(URL, content=b"query { x }", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 400


def test_missing_permission_is_reported_like_centra(twin):
    twin.config.permissions = frozenset({"Warehouse:read"})
    body = post(twin, "{\n  orders { id }\n}").json()
    assert body == {
        "data": None,
        "errors": [
            {
                "message": "You need Order:read permission to access orders.",
                "locations": [{"line": 2, "column": 3}],
                "path": ["orders"],
                "extensions": {"category": "authorization"},
            }
        ],
        "extensions": {
            "complexity": 1 + 20 * 1,
            "permissionsUsed": ["Order:read"],
            "appVersion": "v0.32.3-sandbox",
        },
    }


def test_limit_and_page_rules(twin):
    assert post(twin, "{ warehouses(limit: 201) { id } }").json()["errors"][0]["message"] == (
        "Limit must be in range 1 - 200"
    )
    assert post(twin, "{ warehouses(page: 0) { id } }").json()["errors"][0]["message"] == (
        "page must be 1 or more"
    )
    assert post(twin, "{ warehouses(limit: 1, page: 2) { id } }").json()["data"] == {
        "warehouses": [{"id": 2}]
    }
    assert post(twin, "{ warehouses(limit: 1, page: 9) { id } }").json()["data"] == {
        "warehouses": []
    }


@pytest.mark.parametrize("retry_after_format", ["seconds", "http-date", "epoch"])
def test_throttling_answers_429_with_retry_after(clock, retry_after_format):
    twin = CentraTwin(
        clock=clock,
        config=TwinConfig(
            limits=CentraLimits(requests_10s=2), retry_after_format=retry_after_format
        ),
    )
    assert [post(twin, "{ warehouses { id } }").status_code for _ in range(2)] == [200, 200]
    response = post(twin, "{ warehouses { id } }")
    assert response.status_code == 429
    assert response.json() == {
        "errors": [{"message": "Too many requests", "extensions": {"category": "throttling"}}]
    }
    header = response.headers["Retry-After"]
    if retry_after_format == "seconds":
        assert header == "5"
    elif retry_after_format == "http-date":
        when = email.utils.parsedate_to_datetime(header).timestamp()
        assert 5 <= when - time.time() <= 6
    else:
        assert 5 <= int(header) - time.time() <= 6
    clock.sleep(5)
    assert post(twin, "{ warehouses { id } }").status_code == 200


def test_throttling_can_be_switched_off(clock):
    twin = CentraTwin(
        clock=clock, config=TwinConfig(throttle=False, limits=CentraLimits(requests_10s=1))
    )
    assert {post(twin, "{ warehouses { id } }").status_code for _ in range(5)} == {200}


def test_rate_limits_query_has_six_rows_that_add_up(clock):
    twin = CentraTwin(clock=clock)
    post(twin, "{ warehouses { id } }")
    rows = post(
        twin, "{ rateLimits { type intervalSeconds quota usedQuota remainingQuota } }"
    ).json()["data"]["rateLimits"]
    assert [(r["type"], r["intervalSeconds"]) for r in rows] == [
        ("REQUEST_COUNT", "TEN_SECONDS"),
        ("REQUEST_COUNT", "ONE_HOUR"),
        ("MUTATION_COUNT", "TEN_SECONDS"),
        ("MUTATION_COUNT", "ONE_HOUR"),
        ("QUERY_COMPLEXITY", "TEN_SECONDS"),
        ("QUERY_COMPLEXITY", "ONE_HOUR"),
    ]
    assert rows[0]["usedQuota"] == 2  # rateLimits costs a request too
    assert all(r["quota"] == r["usedQuota"] + r["remainingQuota"] for r in rows)


def test_injected_timeout_and_server_error_are_retryable(twin, clock):
    client = make_client(httpx.MockTransport(twin.handle), clock)
    twin.faults.update(fail_next=1, fail_next_kind="timeout")
    assert list(client.iter_warehouses()) == [Warehouse(1, "Stockholm"), Warehouse(2, "Berlin")]
    twin.faults.update(fail_next=4, fail_next_kind="server_error")
    with pytest.raises(RetryableError) as caught:
        list(client.iter_warehouses())
    assert caught.value.status_code == 503


def test_injected_malformed_answer(twin, clock):
    client = make_client(httpx.MockTransport(twin.handle), clock)
    twin.faults.update(fail_next=1, fail_next_kind="malformed")
    with pytest.raises(BadPayloadError):
        list(client.iter_warehouses())


def test_injected_partial_page_keeps_a_valid_envelope(twin):
    twin.faults.update(fail_next=1, fail_next_kind="partial")
    body = post(twin, "{ warehouses { id } }").json()
    assert body["data"] == {"warehouses": [{"id": 1}]}
    assert body["extensions"]["permissionsUsed"] == ["Warehouse:read"]


def test_configurable_free_to_allocate_spelling(clock):
    twin = CentraTwin(clock=clock, config=TwinConfig(fta_quantity_type="FTA"))
    twin.state.add_warehouse("W")
    body = post(
        twin,
        """mutation { setStock(input: {warehouse: {id: 1}, description: "x",
      stockQuantityType: FREE_TO_ALLOCATE}) { userErrors { message } } }""",
    ).json()
    assert body["errors"][0]["message"].startswith(
        "Value 'FREE_TO_ALLOCATE' does not exist in 'StockQuantityType' enum."
    )
    body = post(
        twin,
        """mutation { setStock(input: {warehouse: {id: 1}, description: "x",
      stockQuantityType: FTA}) { userErrors { message } } }""",
    ).json()
    assert body["data"] == {"setStock": {"userErrors": []}}


def test_operation_name_picks_the_operation(twin):
    http = httpx.Client(transport=httpx.MockTransport(twin.handle))
    response = http.post(
        URL,
        headers={"Authorization": f"Bearer {TOKEN}"},
        content=json.dumps(
            {
                "query": "query a { warehouses { id } } query b { rateLimits { type } }",
                "operationName": "a",
            }
        ),
    )
    assert response.json()["data"] == {"warehouses": [{"id": 1}, {"id": 2}]}


def test_single_order_by_id_or_number(twin):
    twin.state.set_stock("SHIRTBLU01", 1, 5)
    order = twin.state.place_order([("SHIRTBLU01", 1, "10")])
    body = post(
        twin,
        """query($id: String) { byId: order(id: $id) { number status
        ... on DirectToConsumerOrder { store { type } } }
      byNumber: order(number: 1) { id } }""",
        {"id": order.id},
    ).json()
    assert body["data"] == {
        "byId": {"number": 1, "status": "CONFIRMED", "store": {"type": "DIRECT_TO_CONSUMER"}},
        "byNumber": {"id": order.id},
    }
    assert post(twin, '{ order(id: "0") { number } }').json()["data"] == {"order": None}
    assert post(twin, "{ order(number: 2) { number } }").json()["data"] == {"order": None}


def test_product_events(twin, client):
    client.set_event_listeners({"Product": ["CREATED"]})
    product = twin.state.add_product("SOCK", "Sock", variants={"BLK": [("S", "1", "")]})
    [event] = client.events()
    assert (
        event.object_type,
        event.change_type,
        event.object_reference,
        event.object_typename,
        event.object_id,
    ) == ("Product", "CREATED", str(product.id), "Product", str(product.id))


def test_served_over_loopback_http_like_the_demo(twin):
    """The same client, over the demo's threaded HTTP server instead of a mock transport."""
    import threading

    from syncs.connectors.centra import CentraClient
    from syncs.sandbox.server import make_sandbox_server

    server = make_sandbox_server({"/centra": twin.handle}, host="127.0.0.1", port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/centra/graphql"
        # a real socket: the explicit transport passes the tests' network-off guard
        with CentraClient(url, TOKEN, transport=httpx.HTTPTransport()) as client:
            assert [w.name for w in client.iter_warehouses()] == ["Stockholm", "Berlin"]
            assert len(list(client.iter_sizes())) == 7
    finally:
        server.shutdown()
        server.server_close()

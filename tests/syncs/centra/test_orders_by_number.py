"""``CentraClient.orders_by_number``: the orders an event names, read in one page, tested at
the transport (a scripted answer) so the client's own request and parsing run."""

import json

import httpx
import pytest

from syncs.connectors.base import BadPayloadError
from syncs.connectors.centra import queries

from .helpers import make_client

ORDER = {
    "id": "b" * 32,
    "number": 42,
    "status": "CONFIRMED",
    "orderDate": "2026-12-03T07:04:51+00:00",
    "createdAt": "2026-12-03T07:04:51+00:00",
    "store": {"type": "DIRECT_TO_CONSUMER"},
    "grandTotal": {"value": "20.00", "currency": {"code": "EUR"}},
    "lines": [
        {
            "id": 7,
            "productName": "Oxford shirt",
            "quantity": 2,
            "cancelledQuantity": 0,
            "returnedQuantity": 0,
            "productSize": {"id": 3, "SKU": "SHIRT-S", "EAN": ""},
            "unitPrice": {"value": 10},
        }
    ],
}


def scripted(clock, *bodies):
    requests: list[httpx.Request] = []
    answers = list(bodies)

    def handle(request):
        requests.append(request)
        return httpx.Response(200, json=answers.pop(0))

    records: list = []
    client = make_client(httpx.MockTransport(handle), clock, recorder=records.append)
    return client, requests, records


def test_the_numbers_go_in_one_page_and_come_back_typed(clock):
    client, requests, records = scripted(clock, {"data": {"orders": [ORDER]}})
    [order] = client.orders_by_number([42, 43])
    body = json.loads(requests[0].content)
    assert (body["query"], body["variables"]) == (
        queries.ORDERS,
        {"where": {"number": [42, 43]}, "limit": 2, "page": 1},
    )
    assert (order.number, order.lines[0].sku, order.lines[0].quantity) == (42, "SHIRT-S", 2)
    assert [(r.operation, r.outcome) for r in records] == [("query orders", "ok")]


def test_no_numbers_sends_nothing(clock):
    client, requests, records = scripted(clock)
    assert client.orders_by_number([]) == []
    assert requests == [] and records == []


def test_more_than_a_page_of_numbers_is_refused_before_sending(clock):
    client, requests, _ = scripted(clock)
    with pytest.raises(ValueError):
        client.orders_by_number(range(201))
    assert requests == []


def test_an_order_missing_a_field_is_a_bad_payload_not_a_key_error(clock):
    broken = {k: v for k, v in ORDER.items() if k != "lines"}
    client, requests, records = scripted(clock, {"data": {"orders": [broken]}})
    with pytest.raises(BadPayloadError, match="KeyError") as caught:
        client.orders_by_number([42])
    assert caught.value.operation == "query orders" and len(requests) == 1
    assert [(r.operation, r.outcome) for r in records] == [("query orders", "ok")]

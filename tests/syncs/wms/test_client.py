"""The WMS webhook client at the transport: signed posts, read-backs, error classes, one
call record per call, and the retry rule every connector shares."""

import json

import httpx
import pytest

from syncs.connectors.base import PermanentError, RetryableError, RetryPolicy
from syncs.connectors.wms import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    StockInNotice,
    StockInRecord,
    WmsClient,
    webhook_signature,
)
from tests.clocks import FakeClock

URL = "https://wms.example/in/"
SECRET = "wms-secret"
NOTICE = StockInNotice(
    key="ret-1-line-2", return_id=1, order_number="1001", warehouse="main", sku="A-1", quantity=2
)


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
        return answer


def client_on(script, records, **options):
    return WmsClient(
        URL,
        SECRET,
        timeout=5.0,
        transport=httpx.MockTransport(script),
        clock=FakeClock(),
        recorder=records.append,
        **options,
    )


def outcomes(records):
    return [(r.system, r.operation, r.outcome, r.status_code, r.retries) for r in records]


def test_a_post_is_signed_keyed_and_recorded():
    script, records = Script(httpx.Response(202)), []
    client_on(script, records).stock_in_post(NOTICE)
    [request] = script.requests
    timestamp = request.headers[TIMESTAMP_HEADER]
    assert request.url == "https://wms.example/in"
    assert request.headers["Idempotency-Key"] == NOTICE.key
    assert request.headers[SIGNATURE_HEADER] == webhook_signature(
        SECRET, timestamp, request.content
    )
    assert json.loads(request.content)["lines"] == [{"sku": "A-1", "quantity": 2}]
    assert outcomes(records) == [("wms", "POST webhook", "ok", 202, 0)]


def test_a_read_back_is_typed_and_an_unknown_key_is_none():
    answers = (
        httpx.Response(200, json={"status": "received", "quantity": 2}),
        httpx.Response(404),
    )
    script, records = Script(*answers), []
    client = client_on(script, records)
    assert client.stock_in_read("k1") == StockInRecord("received", 2)
    assert client.stock_in_read("k2") is None
    assert [r.url.path for r in script.requests] == ["/in/k1", "/in/k2"]
    assert outcomes(records) == [
        ("wms", "GET webhook", "ok", 200, 0),
        ("wms", "GET webhook", "ok", 404, 0),
    ]


def test_by_default_a_failed_post_is_not_sent_again():
    """The stock-in is the retry unit: its failed step is an attempt and a ticket."""
    script, records = Script(httpx.Response(502), httpx.Response(202)), []
    with pytest.raises(RetryableError, match="HTTP 502"):
        client_on(script, records).stock_in_post(NOTICE)
    assert len(script.requests) == 1
    assert outcomes(records) == [("wms", "POST webhook", "retryable_error", 502, 0)]


def test_with_retries_a_keyed_post_is_sent_again_after_a_5xx():
    """The ``Idempotency-Key`` makes the POST idempotent: a re-send after the WMS may have
    acted is the same stock-in, so ``call_with_retries`` may send it again."""
    script, records = (
        Script(httpx.ReadTimeout("slow"), httpx.Response(502), httpx.Response(202)),
        [],
    )
    client_on(script, records, retry=RetryPolicy(max_retries=2)).stock_in_post(NOTICE)
    keys = {r.headers["Idempotency-Key"] for r in script.requests}
    assert len(script.requests) == 3 and keys == {NOTICE.key}
    assert outcomes(records) == [("wms", "POST webhook", "ok", 202, 2)]


def test_a_refused_connection_is_retryable_and_certainly_not_sent():
    script, records = Script(httpx.ConnectError("refused")), []
    with pytest.raises(RetryableError, match="ConnectError") as caught:
        client_on(script, records).stock_in_post(NOTICE)
    assert caught.value.may_have_acted is False
    assert outcomes(records) == [("wms", "POST webhook", "retryable_error", None, 0)]


@pytest.mark.parametrize("status", [400, 401, 404])
def test_a_refused_post_is_permanent(status):
    script, records = Script(httpx.Response(status)), []
    with pytest.raises(PermanentError, match=f"HTTP {status}"):
        client_on(script, records).stock_in_post(NOTICE)
    assert outcomes(records) == [("wms", "POST webhook", "permanent_error", status, 0)]


def test_an_unreadable_read_back_is_recorded_as_the_calls_failure():
    script, records = Script(httpx.Response(200, text="<html>")), []
    with pytest.raises(PermanentError, match="no JSON"):
        client_on(script, records).stock_in_read("k")
    assert outcomes(records) == [("wms", "GET webhook", "permanent_error", 200, 0)]

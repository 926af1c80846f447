"""The WMS webhook sink: signed, idempotent by key, confirmed by reading the WMS back."""

import hmac
import json

import httpx
import pytest

from exceptions.models import Ticket
from exceptions.services import ticket_retry
from returns.models import ExpectedReturn, StockInAttempt
from returns.services import return_line_qc, return_line_receive
from syncs.connectors.http import transports_install
from syncs.connectors.wms import SIGNATURE_HEADER, TIMESTAMP_HEADER, webhook_signature
from syncs.models import ExternalCall
from tests.engines import engine_run
from tests.returns.conftest import in_qc, shipped_return

pytestmark = pytest.mark.django_db
URL = "https://wms.example/hooks/returns"
SECRET = "s3cret-wms-key"


class FakeWms:
    """A WMS that checks the signature, records each key once and answers read-backs."""

    def __init__(self, *, fail_posts: int = 0):
        self.received: dict[str, dict] = {}
        self.posts: list[dict] = []
        self.fail_posts = fail_posts

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            key = request.url.path.rsplit("/", 1)[1]
            if key not in self.received:
                return httpx.Response(404)
            return httpx.Response(200, json=self.received[key])
        timestamp = request.headers[TIMESTAMP_HEADER]
        expected = webhook_signature(SECRET, timestamp, request.content)
        if not hmac.compare_digest(expected, request.headers[SIGNATURE_HEADER]):
            return httpx.Response(401)
        body = json.loads(request.content)
        self.posts.append(body)
        if self.fail_posts:
            self.fail_posts -= 1
            return httpx.Response(502)
        key = request.headers["Idempotency-Key"]
        quantity = sum(line["quantity"] for line in body["lines"])
        self.received.setdefault(key, {"status": "received", "quantity": quantity})
        return httpx.Response(202, json={"accepted": key})


@pytest.fixture
def webhook(settings):
    settings.RETURNS_SINK = "webhook"
    settings.RETURNS_WEBHOOK_URL = URL
    settings.RETURNS_WEBHOOK_SECRET = SECRET


def qc_passed(world, sku, wms):
    centra_return = shipped_return(world, [(sku, 2)])
    engine_run("returns")
    line = ExpectedReturn.objects.get(centra_id=centra_return.id).lines.get()
    return_line_receive(line=line, quantity=2)
    with transports_install(wms_webhook=httpx.MockTransport(wms.handle)):
        return line, return_line_qc(line=line, passed=2)


def test_the_webhook_is_signed_and_the_stock_in_confirmed_by_read_back(world, webhook):
    wms = FakeWms()
    line, stock_in = qc_passed(world, world.world.sellable[20], wms)
    assert (stock_in.sink, stock_in.state) == ("webhook", "confirmed")
    assert wms.posts == [
        {
            "event": "return.stock_in",
            "idempotency_key": stock_in.idempotency_key,
            "return_id": line.expected_return.centra_id,
            "order_number": line.expected_return.order_number,
            "warehouse": "c1_csv.main",
            "lines": [{"sku": line.ip_sku, "quantity": 2}],
        }
    ]
    assert in_qc(line.ip_sku) == 0


def wms_calls():
    return list(
        ExternalCall.objects.filter(system="wms")
        .order_by("pk")
        .values_list("system", "operation", "outcome", "status_code", "retries")
    )


def test_each_webhook_call_leaves_an_external_call_row(world, webhook):
    qc_passed(world, world.world.sellable[23], FakeWms())
    assert wms_calls() == [
        ("wms", "POST webhook", "ok", 202, 0),
        ("wms", "GET webhook", "ok", 200, 0),
    ]


def test_the_api_calls_list_names_the_wms(world, webhook, client_for):
    qc_passed(world, world.world.sellable[24], FakeWms())
    page = client_for("admin").get("/syncs/").content.decode()
    assert page.count("<td>WMS webhook</td><td>POST webhook</td>") == 1
    assert page.count("<td>WMS webhook</td><td>GET webhook</td>") == 1


def test_a_failed_webhook_is_a_ticket_and_the_retry_posts_the_same_key(world, webhook):
    wms = FakeWms(fail_posts=1)
    line, stock_in = qc_passed(world, world.world.sellable[21], wms)
    assert (stock_in.state, stock_in.step, stock_in.last_error) == (
        "failed",
        "post",
        "POST webhook: HTTP 502",
    )
    assert in_qc(line.ip_sku) == 2
    # one attempt on the stock-in and one call: the stock-in, not the client, is retried
    assert list(StockInAttempt.objects.values_list("step", "ok", "detail")) == [
        ("post", False, "POST webhook: HTTP 502")
    ]
    assert wms_calls() == [("wms", "POST webhook", "retryable_error", 502, 0)]
    assert len(wms.posts) == 1
    ticket = Ticket.objects.get(type="stock_in_failed")
    with transports_install(wms_webhook=httpx.MockTransport(wms.handle)):
        assert ticket_retry(ticket=ticket, actor=None).ok
    stock_in.refresh_from_db()
    assert stock_in.state == "confirmed"
    assert [p["idempotency_key"] for p in wms.posts] == [stock_in.idempotency_key] * 2
    assert wms.received == {stock_in.idempotency_key: {"status": "received", "quantity": 2}}
    assert in_qc(line.ip_sku) == 0


def test_a_wrong_secret_is_refused_by_the_wms_and_nothing_moves(world, webhook, settings):
    settings.RETURNS_WEBHOOK_SECRET = "not-the-shared-secret"
    wms = FakeWms()
    line, stock_in = qc_passed(world, world.world.sellable[22], wms)
    assert (stock_in.state, stock_in.last_error) == ("failed", "POST webhook: HTTP 401")
    assert wms.received == {} and wms.posts == []
    assert wms_calls() == [("wms", "POST webhook", "permanent_error", 401, 0)]
    assert in_qc(line.ip_sku) == 2

"""The zero watch: a SKU sold out in IP while a long push is in flight reaches Centra at
zero before the batches still queued, and the watch never sends anything but zeros."""

import json

import httpx
import pytest

from syncs.clients import transports_install
from syncs.models import StockPosition, StockPush, StockPushLine, StockSettings
from syncs.sandbox.world import IP_WAREHOUSE
from syncs.stock.watch import ZERO_WATCH_SECONDS
from tests.clocks import FakeClock
from tests.syncs.stock.conftest import stock_cycle
from tests.syncs.stock.test_engine import centra_level

pytestmark = pytest.mark.django_db

SECONDS_PER_BATCH = 10.0  # a slow push: the watch is due after the third batch


class SlowPush:
    """Centra, where each ``setStock`` takes ``SECONDS_PER_BATCH`` on the push's clock, and
    ``during(batch)`` runs when the numbered ``setStock`` arrives (IP changing mid-push)."""

    def __init__(self, sandbox, during):
        self.sandbox, self.during = sandbox, during
        self.clock = FakeClock()
        self.batches: list[dict[int, int]] = []  # per setStock: size id -> quantity

    def handle(self, request):
        body = json.loads(request.content or b"{}")
        if "setStock" in body.get("query", ""):
            items = body["variables"]["input"]["productSizes"]
            self.batches.append({int(i["productSize"]["id"]): i["quantity"] for i in items})
            self.during(len(self.batches))
            self.clock.sleep(SECONDS_PER_BATCH)
        return self.sandbox.centra.handle(request)

    def cycle(self, **options):
        with transports_install(centra=httpx.MockTransport(self.handle)):
            return stock_cycle(centra_options={"clock": self.clock}, **options)


def latest_push() -> StockPush:
    return StockPush.objects.latest("pk")


def last_queued_line() -> StockPushLine:
    """The line this push sends last (a rest-lane SKU with stock), still planned."""
    return (
        StockPushLine.objects.filter(
            push=latest_push(), status=StockPushLine.Status.PLANNED, quantity__gt=0
        )
        .order_by("-position")
        .first()
    )


@pytest.fixture
def slow_batches():
    StockSettings.load()
    StockSettings.objects.filter(pk=1).update(batch_size=5)  # 52 batches


def test_a_queued_sku_sold_out_in_ip_goes_to_zero_in_the_next_batch(mapped, slow_batches):
    stock_cycle()
    sold_out = {}

    def during(batch):
        if batch == 2:
            line = last_queued_line()
            sold_out.update(sku=line.sku, size=line.product_size_id, planned=line.quantity)
            mapped.inventory_planner.set_stock(line.sku, IP_WAREHOUSE, 0)

    push = SlowPush(mapped, during)
    result = push.cycle(full=True)
    # due 30 s after the cycle's read: after the third batch, so the fourth carries the zero
    assert SECONDS_PER_BATCH * 3 >= ZERO_WATCH_SECONDS
    assert push.batches[3] == {sold_out["size"]: 0}
    assert all(batch.get(sold_out["size"], 0) == 0 for batch in push.batches)
    line = StockPushLine.objects.get(push=latest_push(), sku=sold_out["sku"])
    assert (line.quantity, line.lane, line.batch, line.status) == (0, "zero", 4, "sent")
    assert line.why == f"IP stock reached 0 during the push (planned {sold_out['planned']})"
    assert centra_level(mapped, sold_out["sku"])[0] == 0
    position = StockPosition.objects.get(sku=sold_out["sku"])
    assert (position.on_hand, position.ats, position.last_pushed) == (0, 0, 0)
    assert result.counts["zero_watch_lines"] == 1
    assert result.counts["accepted"] == result.counts["planned"] == StockPosition.objects.count()


def test_a_sku_already_sent_is_written_again_at_zero(mapped, slow_batches):
    stock_cycle()
    sent = {}

    def during(batch):
        """The first SKU sent with stock, zeroed in IP as batch 3k + 2 arrives: the watch
        after batch 3k + 3 sees it."""
        if sent or batch % 3 != 2:
            return
        line = (
            StockPushLine.objects.filter(push=latest_push(), batch__lt=batch, quantity__gt=0)
            .order_by("position")
            .first()
        )
        if line is not None:
            sent.update(sku=line.sku, size=line.product_size_id, quantity=line.quantity)
            sent.update(batch=line.batch, zeroed_at=batch)
            mapped.inventory_planner.set_stock(line.sku, IP_WAREHOUSE, 0)

    push = SlowPush(mapped, during)
    result = push.cycle(full=True)
    assert push.batches[sent["batch"] - 1][sent["size"]] == sent["quantity"]
    assert push.batches[sent["zeroed_at"] + 1] == {sent["size"]: 0}
    lines = StockPushLine.objects.filter(push=latest_push(), sku=sent["sku"])
    assert sorted(lines.values_list("batch", "quantity", "previous_pushed", "lane")) == [
        (sent["batch"], sent["quantity"], sent["quantity"], lines.get(quantity__gt=0).lane),
        (sent["zeroed_at"] + 2, 0, sent["quantity"], "zero"),
    ]
    assert centra_level(mapped, sent["sku"])[0] == 0
    assert StockPosition.objects.get(sku=sent["sku"]).last_pushed == 0
    assert result.counts["read_to_write"]["zero"]["lines"] == 1


def test_a_sku_sold_out_in_the_last_seconds_of_a_push_is_caught_after_its_last_batch(
    mapped, slow_batches
):
    stock_cycle()
    total = StockPosition.objects.count()
    last = {}

    def during(batch):
        if batch == -(-total // 5):  # the last batch: its SKU is already on its way
            line = (
                StockPushLine.objects.filter(push=latest_push(), quantity__gt=0)
                .order_by("position")
                .first()
            )
            last.update(sku=line.sku, size=line.product_size_id)
            mapped.inventory_planner.set_stock(line.sku, IP_WAREHOUSE, 0)

    push = SlowPush(mapped, during)
    push.cycle(full=True)
    assert push.batches[-1] == {last["size"]: 0}
    assert centra_level(mapped, last["sku"])[0] == 0


def test_a_short_push_is_not_watched(mapped):
    stock_cycle()
    position = StockPosition.objects.filter(ats__gt=0).order_by("sku").first()
    mapped.inventory_planner.set_stock(position.sku, IP_WAREHOUSE, position.on_hand + 3)
    watched = []

    def ip_handle(request):
        if "in_stock" in request.url.params:
            watched.append(request.url)
        return mapped.inventory_planner.handle(request)

    with transports_install(inventory_planner=httpx.MockTransport(ip_handle)):
        result = stock_cycle()
    assert result.counts["planned"] == 1
    assert "zero_watch_reads" not in result.counts
    assert watched == []


def test_a_failed_watch_read_sends_nothing_from_it_and_the_push_goes_on(mapped, slow_batches):
    stock_cycle()
    sold_out = {}

    def during(batch):
        if batch == 2:
            line = last_queued_line()
            sold_out.update(sku=line.sku, size=line.product_size_id, planned=line.quantity)
            mapped.inventory_planner.set_stock(line.sku, IP_WAREHOUSE, 0)

    def ip_handle(request):
        if request.url.params.get("in_stock") == "0":
            return httpx.Response(403, json={"result": {"status": "error", "message": "no"}})
        return mapped.inventory_planner.handle(request)

    push = SlowPush(mapped, during)
    with transports_install(inventory_planner=httpx.MockTransport(ip_handle)):
        result = push.cycle(full=True)
    assert result.counts["zero_watch_failed"] >= 1
    assert result.counts["accepted"] == result.counts["planned"] == StockPosition.objects.count()
    assert push.batches[-1][sold_out["size"]] == sold_out["planned"]  # as planned, no zero
    assert not StockPushLine.objects.filter(why__startswith="IP stock reached 0").exists()


def test_a_watch_that_would_zero_too_many_skus_sends_nothing_and_stops(mapped, slow_batches):
    stock_cycle()
    with_stock = StockPosition.objects.filter(last_pushed__gt=0)
    share = StockSettings.load().guard_zero_share  # more than this share: a wiped warehouse
    many = list(with_stock.values_list("sku", "ats")[: int(with_stock.count() * share) + 1])

    def during(batch):
        if batch == 2:
            for sku, _ats in many:
                mapped.inventory_planner.set_stock(sku, IP_WAREHOUSE, 0)

    push = SlowPush(mapped, during)
    result = push.cycle(full=True)
    assert result.counts["zero_watch_stopped"] is True
    assert result.counts["zero_watch_reads"] == 1
    assert not StockPushLine.objects.filter(why__startswith="IP stock reached 0").exists()
    sent = {size: quantity for batch in push.batches for size, quantity in batch.items()}
    for sku, _ats in many:
        position = StockPosition.objects.get(sku=sku)
        assert sent[position.product_size_id] == position.last_pushed == position.ats

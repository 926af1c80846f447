"""The stock engine against both twins: what it pushes, in which order, and what it records."""

import json
import math

import httpx
import pytest

from exceptions.models import Ticket
from syncs.clients import centra_client, transports_install
from syncs.connectors.centra.types import StockLevel
from syncs.models import (
    ExternalCall,
    SafetyStockRule,
    SkuMapping,
    StockPosition,
    StockPush,
    StockPushLine,
    StockSettings,
    WarehouseMapping,
)
from syncs.sandbox.world import IP_WAREHOUSE
from tests.clocks import FakeClock
from tests.syncs.stock.conftest import stock_cycle

pytestmark = pytest.mark.django_db


def settings_set(**values) -> None:
    StockSettings.load()
    StockSettings.objects.filter(pk=1).update(**values)


def mutations() -> int:
    return ExternalCall.objects.filter(operation="mutation setStock").count()


def centra_level(sandbox, sku):
    state = sandbox.centra.state
    size = state.size(sku)
    level = state.level(size, WarehouseMapping.objects.get().centra_warehouse_id)
    return level.physicalQuantity, level.allocatedQuantity, level.freeToAllocateQuantity


def a_mapped_sku(on_hand_at_least=5) -> StockPosition:
    return (
        StockPosition.objects.filter(on_hand__gte=on_hand_at_least, ats__gt=0)
        .order_by("sku")
        .first()
    )


def test_first_cycle_maps_the_warehouse_and_pushes_every_mapped_sku(mapped):
    result = stock_cycle()
    mapping = WarehouseMapping.objects.get()
    assert mapping.ip_warehouse == IP_WAREHOUSE
    positions = StockPosition.objects.count()
    assert positions == SkuMapping.objects.count()
    assert result.counts["planned"] == result.counts["accepted"] == positions
    batch = StockSettings.load().batch_size
    assert result.counts["mutations"] == mutations() == math.ceil(positions / batch)
    # Centra now shows exactly the computed ATS for every SKU
    for position in StockPosition.objects.all():
        assert centra_level(mapped, position.sku)[0] == max(position.ats, 0)
        assert position.last_pushed == position.ats


def test_no_change_cycle_sends_no_mutation(mapped):
    stock_cycle()
    sent = mutations()
    result = stock_cycle()
    assert result.counts["planned"] == 0
    assert mutations() == sent


def test_only_changed_skus_are_pushed(mapped):
    stock_cycle()
    position = a_mapped_sku()
    mapped.inventory_planner.set_stock(position.sku, IP_WAREHOUSE, position.on_hand + 4)
    result = stock_cycle()
    line = StockPushLine.objects.get(push__status=StockPush.Status.SENT, push__counts__planned=1)
    assert result.counts["planned"] == 1
    assert (line.sku, line.quantity, line.previous_pushed, line.status) == (
        position.sku,
        position.ats + 4,
        position.ats,
        StockPushLine.Status.SENT,
    )
    assert line.why == f"ATS {position.ats + 4}, last pushed {position.ats}"


def test_lines_go_in_priority_lanes(mapped):
    settings_set(batch_size=25)
    stock_cycle()
    lines = list(StockPushLine.objects.order_by("position"))
    lanes = [line.lane for line in lines]
    order = ["zero", "low", "velocity", "rest"]
    assert lanes == sorted(lanes, key=order.index)
    velocity = [
        StockPosition.objects.get(sku=line.sku).velocity
        for line in lines
        if line.lane == "velocity"
    ]
    assert velocity == sorted(velocity, reverse=True)
    batches = [line.batch for line in lines]
    assert batches == sorted(batches)  # batches go out in priority order
    assert max(batches) == math.ceil(len(lines) / 25)


def test_rest_lane_waits_for_its_cadence_priority_lanes_do_not(mapped):
    stock_cycle()
    settings = StockSettings.load()
    rest = StockPosition.objects.filter(
        ats__gt=settings.low_stock_units + 5, velocity__lt=float(settings.high_velocity_per_day)
    ).first()
    fast = StockPosition.objects.filter(
        ats__gt=settings.low_stock_units + 5, velocity__gte=float(settings.high_velocity_per_day)
    ).first()
    for position in (rest, fast):
        mapped.inventory_planner.set_stock(position.sku, IP_WAREHOUSE, position.on_hand + 1)
    result = stock_cycle()
    assert (result.counts["planned"], result.counts["deferred"]) == (1, 1)
    assert StockPushLine.objects.filter(push__counts__planned=1).get().sku == fast.sku
    assert stock_cycle(full=True).counts["planned"] == StockPosition.objects.count()


def test_safety_stock_rule_changes_what_is_pushed(mapped):
    stock_cycle()
    position = a_mapped_sku(on_hand_at_least=10)
    SafetyStockRule.objects.create(scope="sku", key=position.sku, kind="units", value=4)
    stock_cycle()
    expected = max(0, position.on_hand - 4)
    assert StockPosition.objects.get(pk=position.pk).last_pushed == expected
    assert centra_level(mapped, position.sku)[0] == expected


def test_dry_run_stores_a_preview_and_sends_nothing(mapped):
    result = stock_cycle(dry_run=True)
    assert mutations() == 0
    preview = StockPush.objects.get()
    assert preview.status == StockPush.Status.PREVIEW
    assert preview.lines.count() == result.counts["planned"] > 0
    assert StockPosition.objects.filter(last_pushed__isnull=False).count() == 0


def test_user_errors_reject_one_sku_and_the_batch_goes_on(mapped):
    stock_cycle(dry_run=True)  # positions exist; now break one mapping
    broken = SkuMapping.objects.order_by("sku").first()
    SkuMapping.objects.filter(pk=broken.pk).update(centra_size_id=999_999)
    result = stock_cycle()
    assert result.counts["rejected"] == 1
    assert result.counts["accepted"] == StockPosition.objects.count() - 1
    line = StockPushLine.objects.get(sku=broken.sku, push__status=StockPush.Status.SENT)
    assert line.status == StockPushLine.Status.REJECTED and line.message
    ticket = Ticket.objects.get(type="stock_push_rejected")
    assert (ticket.sku, ticket.status) == (broken.sku, Ticket.Status.OPEN)
    assert StockPosition.objects.get(sku=broken.sku).last_pushed is None
    # fixed mapping: the next cycle pushes it and the ticket resolves itself
    SkuMapping.objects.filter(pk=broken.pk).update(centra_size_id=broken.centra_size_id)
    stock_cycle()
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.AUTO_RESOLVED


def test_push_is_paced_and_never_meets_a_429(mapped):
    """Default Growth limits on the twin and the client: 20 mutations per 10 s."""
    clock = FakeClock()
    mapped.centra.clock = clock  # the twin's buckets and the client's pacer share a clock
    mapped.centra.reset_buckets()
    mapped.centra.config.throttle = True
    settings_set(batch_size=5)  # 52 mutations: well past the 10 s burst of 20
    result = stock_cycle(centra_options={"clock": clock})
    n = result.counts["mutations"]
    assert n == math.ceil(StockPosition.objects.count() / 5) == 52
    # 20 at once, then 2 per second: the quota-bound minimum is (n - 20) / 2 seconds
    assert (n - 20) / 2 <= result.counts["push_seconds"] <= (n - 20) / 2 * 1.1
    assert result.counts["rejected"] == 0
    assert not ExternalCall.objects.filter(status_code=429).exists()
    assert ExternalCall.objects.filter(system="centra", retries__gt=0).count() == 0


def racing_transport(sandbox, sku, quantity):
    """Centra, where a customer orders ``quantity`` of ``sku`` just before our first
    ``setStock`` arrives: after the engine read everything, before its write lands."""
    placed = []

    def handle(request):
        if b"setStock" in request.content and not placed:
            placed.append(sandbox.centra.state.place_order([(sku, quantity, "49.00")]))
        return sandbox.centra.handle(request)

    return httpx.MockTransport(handle), placed


def test_an_order_between_read_and_write_is_not_oversold(mapped):
    stock_cycle()
    position = a_mapped_sku(on_hand_at_least=8)
    on_hand = position.on_hand + 5
    mapped.inventory_planner.set_stock(position.sku, IP_WAREHOUSE, on_hand)
    transport, placed = racing_transport(mapped, position.sku, 3)
    with transports_install(centra=transport):
        stock_cycle()
    assert len(placed) == 1
    ats = StockPosition.objects.get(pk=position.pk).ats
    physical, allocated, fta = centra_level(mapped, position.sku)
    # The order's 3 units stay allocated and come out of what is free: what is sellable
    # plus what is already sold is exactly the ATS computed from IP's shelf count.
    assert (physical, allocated, fta) == (ats, 3, ats - 3)
    assert fta + allocated == ats


def test_a_free_to_allocate_write_would_have_oversold(mapped):
    """Why the engine writes PHYSICAL: the same race with an FTA write sells 3 units twice."""
    stock_cycle()
    position = a_mapped_sku(on_hand_at_least=8)
    mapped.centra.state.place_order([(position.sku, 3, "49.00")])  # after our read
    warehouse = WarehouseMapping.objects.get().centra_warehouse_id
    with centra_client() as centra:
        centra.set_stock(
            warehouse,
            [StockLevel(position.product_size_id, position.ats)],
            description="what an FTA push would do",
            free_to_allocate=True,
        )
    _physical, allocated, fta = centra_level(mapped, position.sku)
    assert (allocated, fta) == (3, position.ats)
    assert fta + allocated == position.ats + 3  # 3 more than the shelf can give


def test_dry_run_summary_shows_the_diff(mapped):
    stock_cycle()
    position = a_mapped_sku()
    mapped.inventory_planner.set_stock(position.sku, IP_WAREHOUSE, position.on_hand + 2)
    result = stock_cycle(dry_run=True)
    preview = StockPush.objects.get(status=StockPush.Status.PREVIEW)
    assert result.summary == (
        f"dry run: 1 lines would be pushed, 0 to zero (preview /syncs/stock/pushes/{preview.pk}/)"
        f"; guard: ok; first: {position.sku}@{position.centra_warehouse_id} "
        f"{position.ats}->{position.ats + 2}"
    )


def test_a_remapped_sku_is_pushed_to_its_new_size(mapped):
    stock_cycle()
    position = a_mapped_sku()
    free = SkuMapping.objects.exclude(sku=position.sku).order_by("sku").first()
    # swap the two SKUs' Centra sizes (as a corrected mapping would)
    SkuMapping.objects.filter(pk=free.pk).update(centra_size_id=1_000_000)
    SkuMapping.objects.filter(sku=position.sku).update(centra_size_id=free.centra_size_id)
    stock_cycle()
    line = StockPushLine.objects.filter(sku=position.sku).order_by("-pk").first()
    assert line.why == f"SKU now maps to Centra size {free.centra_size_id}"
    assert line.product_size_id == free.centra_size_id


def test_sync_stock_dry_run_command_prints_the_diff(mapped):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("sync", "stock", "--dry-run", stdout=out)
    assert "stock: succeeded" in out.getvalue()
    assert "dry run: " in out.getvalue() and "guard: ok; first: " in out.getvalue()
    assert mutations() == 0


def test_a_category_rule_applies_to_skus_of_that_ip_product_type(mapped):
    """Categories are IP's product types (the world names them after the garment)."""
    stock_cycle()
    tees = [p for p in StockPosition.objects.filter(category="Tee") if p.on_hand >= 5]
    others = [p for p in StockPosition.objects.exclude(category="Tee") if p.on_hand >= 5]
    assert tees and others
    before = {p.sku: p.ats for p in tees + others}
    SafetyStockRule.objects.create(scope="category", key="Tee", kind="units", value=2)
    stock_cycle()
    after = {p.sku: p.ats for p in StockPosition.objects.filter(sku__in=before)}
    # the rule replaces IP's minimum stock for those SKUs (nothing else is held back here)
    assert all(after[p.sku] == p.on_hand - 2 for p in tees)
    assert all(after[p.sku] == before[p.sku] for p in others)


def batch_refusing(sandbox, bad_size_id: int, *, apply_the_rest: bool):
    """Centra answering any ``setStock`` that holds ``bad_size_id`` with a userError that
    names no item (the shape Centra's multi-size setStock bug produced, CHLOG v1.59.10).
    ``apply_the_rest``: Centra applied the other sizes anyway (and recorded a change)."""
    sent = []

    def handle(request):
        body = json.loads(request.content)
        if "mutation setStock" not in body["query"]:
            return sandbox.centra.handle(request)
        sizes = body["variables"]["input"]["productSizes"]
        sent.append([item["productSize"]["id"] for item in sizes])
        if not any(item["productSize"]["id"] == bad_size_id for item in sizes):
            return sandbox.centra.handle(request)
        if apply_the_rest:
            good = [item for item in sizes if item["productSize"]["id"] != bad_size_id]
            body["variables"]["input"]["productSizes"] = good
            request = httpx.Request("POST", request.url, headers=request.headers, json=body)
            answer = json.loads(sandbox.centra.handle(request).content)
        else:
            answer = {"data": {"setStock": {"stockChanges": [], "userWarnings": []}}}
        answer["data"]["setStock"]["userErrors"] = [
            {"message": "Could not save stock", "path": ["input"]}
        ]
        return httpx.Response(200, json=answer)

    return httpx.MockTransport(handle), sent


@pytest.mark.parametrize("apply_the_rest", [False, True], ids=["nothing-applied", "rest-applied"])
def test_a_user_error_naming_no_line_splits_the_batch_down_to_the_bad_line(mapped, apply_the_rest):
    settings_set(batch_size=8)
    stock_cycle(dry_run=True)
    positions = list(StockPosition.objects.order_by("sku"))
    bad = positions[5]
    bad_size = SkuMapping.objects.get(sku=bad.sku).centra_size_id
    transport, sent = batch_refusing(mapped, bad_size, apply_the_rest=apply_the_rest)

    with transports_install(centra=transport):
        result = stock_cycle()

    assert result.counts["rejected"] == 1
    assert result.counts["accepted"] == len(positions) - 1
    assert result.counts["batches_split"] == 3  # 8 -> 4 -> 2 -> 1 in the bad batch
    assert result.counts["mutations"] == math.ceil(len(positions) / 8) + 2 * 3
    bad_batch = next(ids for ids in sent if bad_size in ids)
    assert len(bad_batch) == 8 and [bad_size] in sent
    line = StockPushLine.objects.get(sku=bad.sku, push__status=StockPush.Status.SENT)
    assert (line.status, line.message) == (StockPushLine.Status.REJECTED, "Could not save stock")
    [ticket] = Ticket.objects.filter(type="stock_push_rejected")
    assert ticket.sku == bad.sku
    assert StockPosition.objects.get(sku=bad.sku).last_pushed is None
    for position in positions:
        if position.sku != bad.sku:
            assert centra_level(mapped, position.sku)[0] == max(position.ats, 0)
            assert StockPosition.objects.get(pk=position.pk).last_pushed == position.ats


def test_a_single_line_applied_with_a_message_naming_nothing_is_not_rejected(mapped):
    """Centra recorded a stock change for the line: it was applied; the message is kept as a
    warning, never reported as a rejection."""
    stock_cycle(dry_run=True)
    position = StockPosition.objects.order_by("sku").first()
    size_id = SkuMapping.objects.get(sku=position.sku).centra_size_id
    StockPosition.objects.exclude(pk=position.pk).delete()
    SkuMapping.objects.exclude(sku=position.sku).delete()

    def handle(request):
        response = mapped.centra.handle(request)
        if b"mutation setStock" not in request.content:
            return response
        answer = json.loads(response.content)
        answer["data"]["setStock"]["userErrors"] = [{"message": "Recalculated", "path": None}]
        return httpx.Response(200, json=answer)

    with transports_install(centra=httpx.MockTransport(handle)):
        result = stock_cycle()

    assert (result.counts["accepted"], result.counts["rejected"]) == (1, 0)
    line = StockPushLine.objects.get(sku=position.sku, push__status=StockPush.Status.SENT)
    assert (line.status, line.message) == (StockPushLine.Status.WARNED, "Recalculated")
    assert not Ticket.objects.filter(type="stock_push_rejected").exists()
    assert mapped.centra.state.size(size_id).levels

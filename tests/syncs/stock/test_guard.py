"""The guard holds a push that looks wrong; a failed read sends nothing; people decide."""

import pytest

from exceptions.models import Ticket
from syncs.connectors.base import BadPayloadError
from syncs.models import ExternalCall, SkuMapping, StockPosition, StockPush, StockPushLine
from syncs.sandbox.world import IP_WAREHOUSE
from syncs.stock import held
from syncs.stock.guard import GuardInput, GuardThresholds, guard_reasons
from tests.syncs.stock.conftest import stock_cycle

pytestmark = pytest.mark.django_db

LIMITS = GuardThresholds(min_skus=20, zero_share=0.2, total_drop=0.3, min_read_share=0.9)


def data(**overrides):
    values = dict(
        known=100,
        read=100,
        unreadable=0,
        had_stock=80,
        to_zero=0,
        total_before=1000,
        total_after=1000,
    )
    values.update(overrides)
    return GuardInput(**values)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({}, []),
        (
            {"unreadable": 11},
            [
                "partial read: 11 of 100 SKU x warehouse positions came back without a "
                "readable in_stock (at most 10%)"
            ],
        ),
        ({"unreadable": 10}, []),  # skipped one by one, each with its ticket
        ({"known": 10, "read": 10, "unreadable": 10}, []),
        (
            {"read": 89},
            [
                "partial read: IP returned 89 SKU x warehouse positions, 100 were known "
                "(minimum 90%)"
            ],
        ),
        ({"read": 90}, []),
        ({"to_zero": 17}, ["17 of 80 SKUs with stock would go to zero (21%, limit 20%)"]),
        ({"to_zero": 16}, []),
        ({"total_after": 690}, ["total ATS would drop from 1000 to 690 (31%, limit 30%)"]),
        ({"total_after": 700}, []),
        # below the minimum number of SKUs, shares are not judged
        ({"known": 10, "read": 1, "had_stock": 10, "to_zero": 10, "total_after": 0}, []),
    ],
)
def test_guard_triggers(overrides, expected):
    assert guard_reasons(data(**overrides), LIMITS) == expected


def sent() -> int:
    return ExternalCall.objects.filter(operation="mutation setStock").count()


def test_a_failed_ip_read_sends_nothing(mapped):
    stock_cycle()
    before = sent()
    lines = StockPushLine.objects.count()
    mapped.inventory_planner.faults.update(fail_next=1, fail_next_kind="malformed")
    with pytest.raises(BadPayloadError):
        stock_cycle()
    assert sent() == before
    assert StockPushLine.objects.count() == lines
    ticket = Ticket.objects.get(type="push_held")
    assert (ticket.stream, ticket.status) == ("stock", Ticket.Status.OPEN)
    assert "IP stock read failed, nothing was sent" in ticket.summary


def test_a_page_cut_short_under_its_meta_is_held_by_the_read_share(mapped):
    """IP's ``meta`` is not trusted to fail a read (its semantics are inferred), so a page
    that loses rows is read on; the guard then sees far fewer SKUs than known and holds."""
    stock_cycle()
    before = sent()
    mapped.inventory_planner.faults.update(fail_next=1, fail_next_kind="partial")
    result = stock_cycle()
    assert result.held and sent() == before
    reasons = StockPush.objects.get(status="held").reasons
    assert reasons[0].startswith("partial read: IP returned ")


def test_many_skus_at_zero_hold_the_push_until_released(mapped, personas):
    stock_cycle()
    centra_before = {p.sku: p.last_pushed for p in StockPosition.objects.all()}
    with_stock = list(StockPosition.objects.filter(ats__gt=0).order_by("sku"))
    victims = with_stock[: len(with_stock) // 3]
    for position in victims:
        mapped.inventory_planner.set_stock(position.sku, IP_WAREHOUSE, 0)
    before = sent()
    result = stock_cycle()
    assert result.held
    assert sent() == before
    stock_push = StockPush.objects.get(status=StockPush.Status.HELD)
    assert stock_push.reasons[0].startswith(f"{len(victims)} of {len(with_stock)} SKUs with stock")
    assert stock_push.lines.count() == len(victims)
    assert {p.sku: p.last_pushed for p in StockPosition.objects.all()} == centra_before
    ticket = Ticket.objects.get(type="push_held")
    assert ticket.status == Ticket.Status.OPEN
    # operations release it: the planned lines go out, the ticket resolves
    outcome = held.stock_push_release(
        stock_push=stock_push, actor=personas["operations"], confirmation=str(len(victims))
    )
    assert outcome.accepted == len(victims)
    assert sent() == before + 1
    for position in victims:
        assert StockPosition.objects.get(pk=position.pk).last_pushed == 0
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.AUTO_RESOLVED
    with pytest.raises(held.PushStateError):  # a second click acts on nothing
        held.stock_push_release(
            stock_push=stock_push, actor=personas["operations"], confirmation=str(len(victims))
        )
    assert sent() == before + 1


def test_a_total_drop_is_held_and_can_be_discarded(mapped, personas):
    stock_cycle()
    for position in StockPosition.objects.filter(on_hand__gt=1):
        mapped.inventory_planner.set_stock(position.sku, IP_WAREHOUSE, position.on_hand // 2)
    before = sent()
    result = stock_cycle()
    assert result.held
    stock_push = StockPush.objects.get(status=StockPush.Status.HELD)
    assert any(reason.startswith("total ATS would drop") for reason in stock_push.reasons)
    held.stock_push_discard(stock_push=stock_push, actor=personas["admin"])
    stock_push.refresh_from_db()
    assert stock_push.status == StockPush.Status.DISCARDED
    assert set(stock_push.lines.values_list("status", flat=True)) == {"discarded"}
    assert sent() == before


def test_a_sku_whose_stock_cannot_be_read_is_skipped_with_one_ticket_never_zeroed(mapped):
    stock_cycle()
    position = StockPosition.objects.order_by("sku").first()
    other = StockPosition.objects.order_by("sku")[1]
    mapped.inventory_planner.set_stock(position.sku, IP_WAREHOUSE, None)
    mapped.inventory_planner.set_stock(other.sku, IP_WAREHOUSE, other.on_hand + 3)
    centra_before = mapped.centra.state.size(position.sku).levels
    physical_before = {w: level.physicalQuantity for w, level in centra_before.items()}
    lines_before = StockPushLine.objects.filter(sku=position.sku).count()

    result = stock_cycle()
    stock_cycle()  # again: still one ticket, its count goes up

    assert not result.held and result.counts["unreadable"] == 1
    assert StockPushLine.objects.filter(sku=position.sku).count() == lines_before
    levels = mapped.centra.state.size(position.sku).levels
    assert {w: level.physicalQuantity for w, level in levels.items()} == physical_before
    assert StockPosition.objects.get(pk=position.pk).last_pushed == position.last_pushed
    assert StockPushLine.objects.filter(sku=other.sku, status="sent").count() == 2
    [ticket] = Ticket.objects.filter(type="stock_unreadable")
    assert (ticket.sku, ticket.warehouse, ticket.occurrences) == (
        position.sku,
        str(position.centra_warehouse_id),
        2,
    )
    assert "in_stock missing" in ticket.summary

    mapped.inventory_planner.set_stock(position.sku, IP_WAREHOUSE, 4)
    stock_cycle()
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.AUTO_RESOLVED


def test_many_unreadable_skus_hold_the_push_without_a_ticket_each(mapped):
    stock_cycle()
    skus = list(StockPosition.objects.order_by("sku").values_list("sku", flat=True))
    for sku in skus[: len(skus) // 5]:
        mapped.inventory_planner.set_stock(sku, IP_WAREHOUSE, None)

    result = stock_cycle()

    assert result.held
    [reason] = StockPush.objects.get(status="held").reasons
    assert reason.startswith(f"partial read: {len(skus) // 5} of {len(skus)} SKU x warehouse")
    assert not Ticket.objects.filter(type="stock_unreadable").exists()


def test_a_read_with_far_fewer_skus_is_held(mapped):
    stock_cycle()
    keep = SkuMapping.objects.order_by("sku").values_list("pk", flat=True)[:100]
    SkuMapping.objects.exclude(pk__in=list(keep)).delete()
    result = stock_cycle()
    assert result.held
    assert (
        StockPush.objects.get(status="held")
        .reasons[0]
        .startswith("partial read: IP returned 100 SKU x warehouse positions")
    )


def test_dry_run_shows_what_the_guard_would_say_and_sends_nothing(mapped):
    stock_cycle()
    for position in StockPosition.objects.all():
        mapped.inventory_planner.set_stock(position.sku, IP_WAREHOUSE, 0)
    before = sent()
    result = stock_cycle(dry_run=True)
    assert not result.held
    preview = StockPush.objects.get(status=StockPush.Status.PREVIEW)
    assert preview.reasons and preview.lines.count() == result.counts["planned"]
    assert sent() == before
    assert not Ticket.objects.filter(type="push_held").exists()


def test_a_big_release_is_queued_and_the_task_sends_it_once(
    mapped, personas, monkeypatch, django_capture_on_commit_callbacks
):
    from django_q.models import OrmQ

    from syncs.stock import tasks

    stock_cycle()
    for position in StockPosition.objects.all():
        mapped.inventory_planner.set_stock(position.sku, IP_WAREHOUSE, 0)
    assert stock_cycle().held
    stock_push = StockPush.objects.get(status="held")
    monkeypatch.setattr(held, "INLINE_LINES", 10)  # this push has more lines than that
    before = sent()
    with django_capture_on_commit_callbacks(execute=True):
        confirmation = held.release_confirmation(stock_push)
        released = held.stock_push_release(
            stock_push=stock_push, actor=personas["admin"], confirmation=confirmation
        )
        assert released is None
    assert OrmQ.objects.count() == 1
    assert sent() == before  # nothing sent in the request
    summary = tasks.send_released_push(stock_push.pk)
    assert summary == f"{stock_push.lines.count()} accepted, 0 rejected in 1 mutations"
    assert tasks.send_released_push(stock_push.pk) == "0 accepted, 0 rejected in 0 mutations"
    assert sent() == before + 1


def zero_everything_and_hold(mapped) -> StockPush:
    stock_cycle()
    for position in StockPosition.objects.all():
        mapped.inventory_planner.set_stock(position.sku, IP_WAREHOUSE, 0)
    assert stock_cycle().held
    return StockPush.objects.get(status=StockPush.Status.HELD)


def test_a_release_without_the_typed_line_count_sends_nothing(mapped, personas):
    stock_push = zero_everything_and_hold(mapped)
    before = sent()
    for typed in ("", "yes", str(stock_push.lines.count() + 1)):
        with pytest.raises(held.PushStateError, match="type"):
            held.stock_push_release(
                stock_push=stock_push, actor=personas["operations"], confirmation=typed
            )
    stock_push.refresh_from_db()
    assert stock_push.status == StockPush.Status.HELD
    assert sent() == before
    assert not stock_push.lines.exclude(status=StockPushLine.Status.PLANNED).exists()


def test_a_later_cycle_supersedes_a_held_push_which_can_no_longer_be_released(mapped, personas):
    stale = zero_everything_and_hold(mapped)
    assert stock_cycle().held  # the next cycle plans again: the first plan is stale
    stale.refresh_from_db()
    assert stale.status == StockPush.Status.SUPERSEDED
    latest = StockPush.objects.get(status=StockPush.Status.HELD)
    assert f"a later cycle planned push {latest.pk}" in stale.decision_note
    before = sent()
    with pytest.raises(held.PushStateError, match="superseded"):
        held.stock_push_release(
            stock_push=stale,
            actor=personas["operations"],
            confirmation=held.release_confirmation(stale),
        )
    assert sent() == before
    assert set(stale.lines.values_list("status", flat=True)) == {StockPushLine.Status.PLANNED}


def test_a_configuration_change_supersedes_a_held_push(mapped, personas):
    from syncs.models import SafetyStockRule
    from syncs.stock.config import config_delete, config_save

    stock_push = zero_everything_and_hold(mapped)
    rule = config_save(
        area="safety_stock",
        instance=SafetyStockRule(scope="global", key="", kind="units", value=5),
        actor=personas["admin"],
    )
    stock_push.refresh_from_db()
    assert stock_push.status == StockPush.Status.SUPERSEDED
    assert "the configuration changed (safety_stock" in stock_push.decision_note
    config_delete(area="safety_stock", instance=rule, actor=personas["admin"])
    stock_push.refresh_from_db()
    assert stock_push.status == StockPush.Status.SUPERSEDED  # never back to held


def test_a_removed_variant_without_in_stock_goes_to_zero_not_a_failed_run(mapped):
    """IP may drop the stock figure of a variant it removed: a removed variant sells
    nothing whatever IP says, so its position is zero, neither unreadable nor a crash."""
    stock_cycle()
    position = StockPosition.objects.filter(ats__gt=0).order_by("sku").first()
    mapped.inventory_planner.set_removed(position.sku)
    mapped.inventory_planner.set_stock(position.sku, IP_WAREHOUSE, None)

    result = stock_cycle()

    assert result.counts["unreadable"] == 0
    position.refresh_from_db()
    assert (position.on_hand, position.ats, position.last_pushed) == (0, 0, 0)
    assert not Ticket.objects.filter(type__in=["stock_unreadable", "sync_failed"]).exists()

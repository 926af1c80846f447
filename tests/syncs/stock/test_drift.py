"""Drift: Centra read back after a cycle; a ticket while it differs, cleared when it matches."""

import pytest
from django.utils import timezone

from exceptions.models import Ticket
from exceptions.services import ticket_retry
from syncs.models import SkuMapping, StockPosition, StockSettings, WarehouseMapping
from syncs.sandbox.world import IP_WAREHOUSE
from tests.syncs.stock.conftest import stock_cycle

pytestmark = pytest.mark.django_db


def settings_set(**values):
    StockSettings.load()
    StockSettings.objects.filter(pk=1).update(**values)


def test_drift_is_ticketed_then_pushed_back_and_cleared(mapped):
    settings_set(drift_sample_size=1000)
    stock_cycle()
    position = StockPosition.objects.filter(ats__gt=2).order_by("sku").first()
    warehouse = WarehouseMapping.objects.get().centra_warehouse_id
    mapped.centra.state.set_stock(position.sku, warehouse, position.ats + 5)  # someone else
    result = stock_cycle()
    assert (result.counts["planned"], result.counts["drift"]) == (0, 1)
    ticket = Ticket.objects.get(type="stock_drift")
    assert (ticket.sku, ticket.status) == (position.sku, Ticket.Status.OPEN)
    assert ticket.summary == (
        f"{position.sku}: Centra shows {position.ats + 5} free to allocate, expected "
        f"{position.ats} (pushed {position.ats}, allocated 0): oversell risk"
    )
    result = stock_cycle()  # Centra showed something else: pushed again, read back, cleared
    assert (result.counts["planned"], result.counts["drift"]) == (1, 0)
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.AUTO_RESOLVED


def test_the_sample_rotates_through_every_sku(mapped):
    stock_cycle()
    after_first = timezone.now()
    settings_set(drift_sample_size=100)
    total = StockPosition.objects.count()
    for _ in range(-(-total // 100)):
        assert stock_cycle().counts["drift_checked"] == 100
    assert not StockPosition.objects.filter(centra_seen_at__lt=after_first).exists()


def test_retry_from_a_rejected_ticket_recomputes_from_current_stock(mapped, personas):
    stock_cycle(dry_run=True)
    broken = SkuMapping.objects.order_by("sku").first()
    SkuMapping.objects.filter(pk=broken.pk).update(centra_size_id=999_999)
    stock_cycle()
    ticket = Ticket.objects.get(type="stock_push_rejected")
    SkuMapping.objects.filter(pk=broken.pk).update(centra_size_id=broken.centra_size_id)
    mapped.inventory_planner.set_stock(broken.sku, IP_WAREHOUSE, 40)  # IP moved since
    result = ticket_retry(ticket=ticket, actor=personas["ecommerce"])
    assert result.ok, result.message
    position = StockPosition.objects.get(sku=broken.sku)
    assert position.on_hand == 40
    assert position.last_pushed == position.ats
    ticket.refresh_from_db()
    assert ticket.status in (Ticket.Status.RESOLVED, Ticket.Status.AUTO_RESOLVED)


def test_the_read_back_asks_centra_only_for_the_sampled_variants(mapped):
    from syncs.clients import centra_client
    from syncs.models import ExternalCall
    from syncs.stock.drift import drift_check

    stock_cycle()
    ExternalCall.objects.all().delete()
    outcome = drift_check(centra=centra_client(), pushed_since=None, tolerance=0, sample_size=3)
    assert outcome.checked == 3
    # three sizes live in at most three variants: one filtered page, not a catalog walk
    operations = list(ExternalCall.objects.values_list("operation", flat=True))
    assert operations == ["query productVariants"]


def test_a_shipment_since_an_earlier_push_is_not_drift(mapped):
    """Shipping lowers Centra's physical and allocated together: Centra is right, and the
    sampled read-back must not call it under-selling."""
    settings_set(drift_sample_size=1000)
    stock_cycle()
    position = StockPosition.objects.filter(ats__gt=3).order_by("sku").first()
    state = mapped.centra.state
    order = state.place_order([(position.sku, 2, "10.00")])
    state.ship(order.number)  # IP has not caught up: its on-hand, so our ATS, is unchanged
    result = stock_cycle()
    assert (result.counts["planned"], result.counts["drift"]) == (0, 0)
    assert not Ticket.objects.filter(type="stock_drift").exists()


def test_a_sku_pushed_this_cycle_that_reads_back_low_is_drift(mapped):
    from syncs.clients import centra_client
    from syncs.stock.drift import drift_check

    settings_set(drift_sample_size=0)
    started = timezone.now()
    stock_cycle()
    position = StockPosition.objects.filter(ats__gt=3).order_by("sku").first()
    warehouse = WarehouseMapping.objects.get().centra_warehouse_id
    mapped.centra.state.set_stock(position.sku, warehouse, position.ats - 2)  # write lost
    outcome = drift_check(centra=centra_client(), pushed_since=started, tolerance=0, sample_size=0)
    assert outcome.drifting == 1
    ticket = Ticket.objects.get(type="stock_drift")
    assert ticket.sku == position.sku
    assert "under-selling" in ticket.summary


def test_a_variant_whose_read_back_spans_pages_is_read_whole(mapped, monkeypatch):
    """Centra pages ``stock`` (at most 200 rows a page): a variant with more rows than a
    page is read on, so drift on its last size is still seen (no raise, no blind spot)."""
    from syncs.stock import drift

    stock_cycle()
    monkeypatch.setattr(drift, "STOCK_LIMIT", 1)  # one row a page: every size is a page
    state = mapped.centra.state
    variant = next(
        v
        for v in state.variants.values()
        if len(v.productSizes) >= 3
        and all(SkuMapping.objects.filter(sku=s.SKU).exists() for s in v.productSizes)
    )
    last = variant.productSizes[-1]
    position = StockPosition.objects.get(sku=last.SKU)
    warehouse = WarehouseMapping.objects.get().centra_warehouse_id
    state.set_stock(last.SKU, warehouse, position.ats + 7)
    StockPosition.objects.exclude(product_size_id__in=[s.id for s in variant.productSizes]).update(
        centra_seen_at=timezone.now()
    )  # the rotating sample now starts with this variant's sizes
    settings_set(drift_sample_size=len(variant.productSizes))

    result = stock_cycle()

    assert result.counts["drift"] == 1
    assert Ticket.objects.get(type="stock_drift").sku == last.SKU


def test_a_cycle_reads_back_only_what_centra_did_not_confirm(mapped):
    """Lines accepted with a stockChange and no message are what Centra holds: only the
    rotating sample is read back, and the next cycle plans nothing from stale read-backs."""
    settings_set(drift_sample_size=2)
    result = stock_cycle()
    assert result.counts["accepted"] > 2
    assert result.counts["drift_checked"] == 2
    unread = StockPosition.objects.filter(centra_seen_at__isnull=True)
    assert unread.count() == result.counts["accepted"] - 2
    for position in unread:
        assert position.centra_physical == position.last_pushed == position.ats
    assert stock_cycle().counts["planned"] == 0


def test_a_line_accepted_with_a_warning_is_read_back(mapped):
    """Centra clamps PHYSICAL below what it has allocated, with a warning: that line is
    read back in the same cycle even with no sample."""
    settings_set(drift_sample_size=0)
    stock_cycle()
    position = StockPosition.objects.filter(ats__gt=3).order_by("sku").first()
    mapped.centra.state.place_order([(position.sku, position.ats, "10.00")])  # all allocated
    mapped.inventory_planner.set_stock(position.sku, IP_WAREHOUSE, position.on_hand - 2)
    result = stock_cycle()
    assert (result.counts["planned"], result.counts["warned"]) == (1, 1)
    assert result.counts["drift_checked"] == 1
    position.refresh_from_db()
    assert (position.centra_physical, position.centra_allocated) == (
        position.ats + 2,
        position.ats + 2,
    )


def test_a_drifting_sku_pushed_again_is_read_back_and_cleared(mapped):
    settings_set(drift_sample_size=0)
    stock_cycle()
    position = StockPosition.objects.filter(ats__gt=2).order_by("sku").first()
    warehouse = WarehouseMapping.objects.get().centra_warehouse_id
    mapped.centra.state.set_stock(position.sku, warehouse, position.ats + 5)  # someone else
    settings_set(drift_sample_size=1000)
    assert stock_cycle().counts["drift"] == 1
    settings_set(drift_sample_size=0)
    result = stock_cycle()  # pushed again, confirmed, but a ticket waits: read back
    assert (result.counts["planned"], result.counts["drift_checked"]) == (1, 1)
    ticket = Ticket.objects.get(type="stock_drift")
    assert ticket.status == Ticket.Status.AUTO_RESOLVED

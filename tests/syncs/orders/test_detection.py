"""Orphaned orders and unreleased cancellations: raised when they hold, auto-resolved when
IP takes the feed."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from exceptions.models import Ticket
from syncs.models import Order

pytestmark = pytest.mark.django_db


def active(type_code: str) -> dict[str, Ticket]:
    return {
        t.order_number: t for t in Ticket.objects.filter(type=type_code, status__in=Ticket.ACTIVE)
    }


def test_an_order_not_taken_by_ip_within_its_sla_is_orphaned_until_ip_fetches(
    catalog, run_engine, ip_fetch
):
    order = catalog.centra.state.place_order([(catalog.world.sellable[0], 1, "10.00")])
    run_engine("orders")
    assert active("orphaned_order") == {}

    with time_machine.travel(timezone.now() + timedelta(hours=27), tick=False):
        result = run_engine("orders")
        assert result.counts["orphaned"] == 1
        ticket = active("orphaned_order")[str(order.number)]
        assert ticket.context["kind"] == "not taken by IP"
        assert ticket.team == "operations"

        assert ip_fetch().ok
        result = run_engine("orders")

    assert result.counts["orphaned"] == 0
    assert result.counts["tickets_cleared"] == 1
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.AUTO_RESOLVED


def test_an_order_the_incremental_pull_missed_is_orphaned_by_the_recovery_pass(
    catalog, run_engine, ip_fetch, settings
):
    settings.ORDERS_USE_EVENTS = False
    run_engine("orders")  # first recovery pass; the cursor is now
    late = catalog.centra.state.place_order(
        [(catalog.world.sellable[0], 1, "10.00")],
        order_date=timezone.now() - timedelta(hours=3),
    )
    # A change Centra stamped too early (clock skew, an import): older than the poll's
    # overlap, so only the recovery pass can find it.
    late.createdAt = late.updatedAt = timezone.now() - timedelta(hours=3)
    assert run_engine("orders").counts["fetched"] == 0  # the poll does not reach it

    result = run_engine("orders", full=True)

    assert result.counts["orders_new"] == 1
    ticket = active("orphaned_order")[str(late.number)]
    assert ticket.context["kind"] == "missed by the incremental pull"
    assert Order.objects.filter(number=late.number).exists()

    run_engine("orders")  # stored, but IP has not taken it yet: the ticket stays
    assert str(late.number) in active("orphaned_order")

    ip_fetch()  # within the commit margin of the store: not yet proof that IP has it
    run_engine("orders")
    assert str(late.number) in active("orphaned_order")

    with time_machine.travel(timezone.now() + timedelta(minutes=2), tick=False):
        ip_fetch()
        run_engine("orders")
    assert active("orphaned_order") == {}


def test_a_cancellation_not_taken_within_its_sla_raises_and_clears(catalog, run_engine, ip_fetch):
    order = catalog.centra.state.place_order([(catalog.world.sellable[0], 2, "10.00")])
    run_engine("orders")
    ip_fetch()  # IP has the sale
    catalog.centra.state.cancel_order(order.number)
    run_engine("orders")

    with time_machine.travel(timezone.now() + timedelta(hours=27), tick=False):
        result = run_engine("orders")
        assert result.counts["cancellations_not_released"] == 1
        ticket = active("cancellation_not_released")[str(order.number)]
        assert ticket.team == "operations"

        ip_fetch()
        result = run_engine("orders")

    assert result.counts["cancellations_not_released"] == 0
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.AUTO_RESOLVED
    assert catalog.inventory_planner.units_sold(catalog.world.sellable[0]) == 0

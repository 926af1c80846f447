"""Retry from the ticket: each action re-derives the unit from Centra and the ledger now."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

import syncs.catalog.retries  # registers the catalog retry actions
import syncs.orders.retries  # noqa: F401  (registers the order retry actions)
from exceptions.models import Ticket
from exceptions.services import ticket_raise, ticket_retry
from syncs.models import Order

pytestmark = pytest.mark.django_db


def test_orphan_retry_pulls_the_order_into_the_ledger(catalog, personas):
    order = catalog.centra.state.place_order([(catalog.world.sellable[0], 1, "10.00")])
    ticket = ticket_raise(type_code="orphaned_order", source="test", order_number=str(order.number))

    result = ticket_retry(ticket=ticket, actor=personas["operations"])

    assert Order.objects.filter(number=order.number).count() == 1
    assert result.ok is False
    assert result.message == (
        f"Order {order.number} is in the ledger and the feed (1 rows); Inventory Planner "
        "takes it at its next fetch and the ticket then resolves itself."
    )


def test_orphan_retry_succeeds_once_ip_has_taken_the_order(catalog, run_engine, ip_fetch, personas):
    order = catalog.centra.state.place_order([(catalog.world.sellable[0], 1, "10.00")])
    run_engine("orders")
    with time_machine.travel(timezone.now() + timedelta(minutes=2), tick=False):
        ip_fetch()
        ticket = ticket_raise(
            type_code="orphaned_order", source="test", order_number=str(order.number)
        )
        result = ticket_retry(ticket=ticket, actor=personas["operations"])

    assert (result.ok, result.message) == (
        True,
        f"Order {order.number} is in the ledger and IP has taken it.",
    )
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.RESOLVED


def test_cancellation_retry_stores_the_cancellation(catalog, run_engine, personas):
    order = catalog.centra.state.place_order([(catalog.world.sellable[0], 2, "10.00")])
    run_engine("orders")
    catalog.centra.state.cancel_order(order.number)
    ticket = ticket_raise(
        type_code="cancellation_not_released", source="test", order_number=str(order.number)
    )

    result = ticket_retry(ticket=ticket, actor=personas["operations"])

    assert Order.objects.get(number=order.number).status == "CANCELLED"
    assert result.ok is False
    assert "cancellation is in the feed (1 lines)" in result.message


def test_sku_retry_runs_the_catalog_and_reports_the_mapping(catalog, personas):
    ticket = Ticket.objects.get(type="sku_missing_in_ip", sku="P00024-WHT-02")
    catalog.inventory_planner.set_removed("P00024-WHT-02", False)  # IP restores the record

    result = ticket_retry(ticket=ticket, actor=personas["merchandising"])

    assert (result.ok, result.message) == (
        True,
        "Mapped: Centra 'P00024-WHT-02' = IP 'P00024-WHT-02'.",
    )

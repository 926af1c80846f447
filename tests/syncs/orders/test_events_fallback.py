"""Orders flow with or without Centra's events: events working, refused and silent.

Events are an accelerator. When the token may not use them, has no integration name, or
Centra never generates them (the event system not enabled for the account), every run
still polls, the run does not fail, one ticket says so (never one per order) and the
recovery pass raises no orphan for an order the poll already has."""

import httpx
import pytest

from exceptions.models import Ticket
from syncs.clients import transports_install
from syncs.models import Order, OrdersCursor

pytestmark = pytest.mark.django_db

EVERYTHING_BUT_EVENTS = frozenset(
    {"Order:read", "Product:read", "Warehouse:read", "Return:read", "StockChange:write"}
)


def tickets(type_code: str) -> list[Ticket]:
    return list(Ticket.objects.filter(type=type_code, status__in=Ticket.ACTIVE))


def place(catalog):
    return catalog.centra.state.place_order([(catalog.world.sellable[0], 1, "10.00")])


def test_events_working_carry_the_order_and_no_ticket(catalog, run_engine):
    run_engine("orders")  # subscribes, first recovery pass
    order = place(catalog)

    result = run_engine("orders")

    assert result.counts["mode"] == "events+poll"
    assert (result.counts["events"], result.counts["orders_new"]) == (1, 1)
    assert result.counts["events_unavailable"] == ""
    assert Order.objects.filter(number=order.number).exists()
    assert tickets("orders_events_unavailable") == []


def test_events_refused_fall_back_to_polling_with_one_ticket(catalog, run_engine):
    twin = catalog.centra
    twin.config.permissions = EVERYTHING_BUT_EVENTS
    first = place(catalog)

    result = run_engine("orders")  # does not raise

    assert result.counts["mode"] == "events unavailable+recovery"
    assert Order.objects.filter(number=first.number).exists()
    [ticket] = tickets("orders_events_unavailable")
    assert (ticket.stream, ticket.team) == ("orders", "admin")
    assert ticket.summary == (
        "Order events unavailable, polling instead: Centra refused the events calls "
        "(AuthError: You need Event:write permission to access setEventListeners.)"
    )
    assert OrdersCursor.objects.get().listening_since is None  # tried again next run

    second, third = place(catalog), place(catalog)
    result = run_engine("orders")

    assert result.counts["mode"] == "events unavailable+poll"
    assert result.counts["orders_new"] == 2
    assert {second.number, third.number} <= set(Order.objects.values_list("number", flat=True))
    [again] = tickets("orders_events_unavailable")
    assert (again.pk, again.occurrences) == (ticket.pk, 2)
    assert tickets("orphaned_order") == []

    twin.config.permissions = None  # the token is given Event:read and Event:write
    result = run_engine("orders")

    assert result.counts["mode"] == "events+poll"
    assert tickets("orders_events_unavailable") == []
    assert OrdersCursor.objects.get().listening_since is not None


def test_a_token_without_an_integration_name_falls_back_too(catalog, run_engine):
    catalog.centra.state.integration_name = ""
    run_engine("orders")
    order = place(catalog)

    result = run_engine("orders")

    assert result.counts["mode"] == "events unavailable+poll"
    assert result.counts["orders_new"] == 1 and Order.objects.filter(number=order.number)
    [ticket] = tickets("orders_events_unavailable")
    assert "PermanentError: The API token has no integration name" in ticket.summary


def test_silent_events_are_noticed_after_runs_in_a_row_while_the_poll_carries_orders(
    catalog, run_engine, settings
):
    """Listeners are accepted but Centra never queues an event (the event system is not
    enabled): after ORDERS_EVENTS_SILENT_RUNS runs whose poll found changed orders, one
    ticket; no per-order ticket at any time, and the recovery pass finds nothing missed."""
    settings.ORDERS_EVENTS_SILENT_RUNS = 3
    state = catalog.centra.state
    state.events_enabled = False
    run_engine("orders")

    placed = []
    for run in (1, 2, 3):
        placed.append(place(catalog))
        result = run_engine("orders")
        assert result.counts["mode"] == "events+poll"
        assert (result.counts["events"], result.counts["orders_new"]) == (0, 1)
        assert OrdersCursor.objects.get().events_silent_runs == run
        assert len(tickets("orders_events_unavailable")) == (1 if run == 3 else 0)

    [ticket] = tickets("orders_events_unavailable")
    assert "no Centra event in 3 runs in a row" in ticket.summary
    assert set(Order.objects.values_list("number", flat=True)) >= {o.number for o in placed}

    quiet = run_engine("orders")  # nothing changed: no evidence either way, still open
    assert quiet.counts["fetched"] == 3  # the poll's overlap re-read, nothing new
    assert len(tickets("orders_events_unavailable")) == 1

    recovery = run_engine("orders", full=True)
    assert recovery.counts["orphaned"] == 0 and tickets("orphaned_order") == []

    state.events_enabled = True  # Centra enables the event system
    place(catalog)
    result = run_engine("orders")

    assert result.counts["events"] == 1
    assert tickets("orders_events_unavailable") == []
    assert OrdersCursor.objects.get().events_silent_runs == 0


def test_switching_events_off_resolves_the_ticket(catalog, run_engine, settings):
    catalog.centra.config.permissions = EVERYTHING_BUT_EVENTS
    run_engine("orders")
    assert len(tickets("orders_events_unavailable")) == 1

    settings.ORDERS_USE_EVENTS = False
    result = run_engine("orders")

    assert result.counts["mode"] == "poll"
    assert tickets("orders_events_unavailable") == []


def test_a_passing_failure_of_the_events_call_skips_them_without_a_ticket(catalog, run_engine):
    """Retries used up on a timeout say nothing about whether events work: this run polls,
    no ticket is raised and none is cleared."""
    run_engine("orders")
    order = place(catalog)

    def flaky(request):
        if b"query events" in request.content:
            return httpx.Response(503)
        return catalog.centra.handle(request)

    with transports_install(centra=httpx.MockTransport(flaky)):
        result = run_engine("orders")

    assert result.counts["mode"] == "events unavailable+poll"
    assert result.counts["orders_new"] == 1 and Order.objects.filter(number=order.number)
    assert result.counts["events_unavailable"].startswith("events skipped this run (Retryable")
    assert tickets("orders_events_unavailable") == []

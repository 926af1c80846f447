"""tickets_settle: the step each engine ends with (raise what holds, clear what does not)."""

import pytest

from exceptions.models import Ticket
from exceptions.registry import TicketType
from exceptions.services import (
    Condition,
    ticket_raise,
    ticket_resolve_for,
    tickets_active_subjects,
    tickets_settle,
)

pytestmark = pytest.mark.django_db
IP, CENTRA = TicketType.SKU_MISSING_IN_IP, TicketType.SKU_MISSING_IN_CENTRA


def active():
    return sorted(
        Ticket.objects.filter(status__in=Ticket.ACTIVE).values_list("type", "sku", "occurrences")
    )


def test_it_raises_what_holds_and_clears_the_rest_of_its_types_only():
    ticket_raise(type_code=IP, source="t", sku="GONE")
    ticket_raise(type_code=IP, source="t", sku="STAYS")
    ticket_raise(type_code=TicketType.STOCK_DRIFT, source="t", sku="GONE", warehouse="1")
    outcome = tickets_settle(
        type_codes=(IP, CENTRA),
        holding=[Condition(type_code=IP, sku="STAYS"), Condition(type_code=CENTRA, sku="NEW")],
        source="catalog",
        note="mapped now",
    )
    assert outcome.cleared == 1
    assert [t.sku for t in outcome.raised.created] == ["NEW"]
    assert active() == [(CENTRA, "NEW", 1), (IP, "STAYS", 2), (TicketType.STOCK_DRIFT, "GONE", 1)]
    cleared = Ticket.objects.get(type=IP, sku="GONE")
    assert (cleared.status, cleared.events.last().note) == ("auto_resolved", "mapped now")


def test_a_ticket_kept_by_the_engine_stays_open_although_not_seen():
    ticket_raise(type_code=IP, source="t", sku="PARKED")
    ticket_raise(type_code=IP, source="t", sku="DONE")
    outcome = tickets_settle(
        type_codes=(IP,), holding=[], source="catalog", keep=lambda c: c.sku == "PARKED"
    )
    assert (outcome.cleared, active()) == (1, [(IP, "PARKED", 1)])


def test_nothing_to_settle_writes_nothing():
    outcome = tickets_settle(type_codes=(IP,), holding=[], source="catalog")
    assert (outcome.cleared, outcome.raised.created, Ticket.objects.count()) == (0, [], 0)


def test_active_subjects_name_only_the_active_tickets_of_a_type():
    ticket_raise(type_code=TicketType.STOCK_DRIFT, source="t", sku="A", warehouse="1")
    ticket_raise(type_code=TicketType.STOCK_DRIFT, source="t", sku="B", warehouse="2")
    tickets_settle(
        type_codes=(TicketType.STOCK_DRIFT,),
        holding=[Condition(type_code=TicketType.STOCK_DRIFT, sku="A", warehouse="1")],
        source="t",
    )
    assert tickets_active_subjects(TicketType.STOCK_DRIFT, "sku", "warehouse") == {("A", "1")}


def test_resolve_for_resolves_the_conditions_active_ticket_once(personas):
    ticket_raise(type_code=TicketType.ORPHANED_ORDER, source="t", order_number="7")
    condition = Condition(type_code=TicketType.ORPHANED_ORDER, order_number="7")
    actor = personas["finance"]
    assert ticket_resolve_for(condition=condition, actor=actor, note="explained") is True
    assert ticket_resolve_for(condition=condition, actor=actor, note="explained") is False
    ticket = Ticket.objects.get()
    assert (ticket.status, ticket.events.last().note) == ("resolved", "explained")

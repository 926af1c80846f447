"""Raising, counting, clearing, regression and snooze wake-up of tickets."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from exceptions.models import Ticket, TicketEvent
from exceptions.services import (
    REDACTED,
    Condition,
    ticket_acknowledge,
    ticket_clear,
    ticket_raise,
    ticket_snooze,
    tickets_raise_many,
    tickets_wake_due,
)

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def kinds(ticket):
    return list(ticket.events.values_list("kind", flat=True))


@time_machine.travel(T0, tick=False)
def test_raise_opens_a_ticket_with_the_types_owner_and_sla():
    ticket = ticket_raise(
        type_code="sku_missing_in_ip",
        source="catalog engine",
        sku="  ABC-1 ",
        context={"centra_size": 17},
        summary="Seen in catalog run",
    )
    assert ticket.pk is not None
    assert (ticket.sku, ticket.team, ticket.status, ticket.severity) == (
        "ABC-1",
        "merchandising",
        "open",
        "warning",
    )
    assert (ticket.first_seen, ticket.last_seen, ticket.occurrences) == (T0, T0, 1)
    assert ticket.acknowledge_due_at == T0 + timedelta(hours=4)
    assert ticket.resolve_due_at == T0 + timedelta(days=2)
    assert ticket.context == {"centra_size": 17}
    assert ticket.title == "SKU missing in Inventory Planner: SKU ABC-1"
    event = ticket.events.get()
    assert (event.kind, event.actor_name, event.note) == (
        "raised",
        "catalog engine",
        "Seen in catalog run",
    )


def test_raising_the_same_condition_counts_on_the_open_ticket():
    with time_machine.travel(T0, tick=False):
        first = ticket_raise(type_code="sku_missing_in_ip", source="catalog", sku="ABC-1")
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        # Same subject after normalisation (case and whitespace) is the same fingerprint.
        again = ticket_raise(
            type_code="sku_missing_in_ip", source="catalog", sku="abc-1 ", context={"n": 2}
        )
    assert again.pk == first.pk
    assert Ticket.objects.count() == 1
    again.refresh_from_db()
    assert (again.occurrences, again.first_seen, again.last_seen, again.context) == (
        2,
        T0,
        T0 + timedelta(minutes=5),
        {"n": 2},
    )
    # Repeats within the hour are counted, not written to history.
    assert kinds(again) == ["raised"]
    with time_machine.travel(T0 + timedelta(hours=1, minutes=5), tick=False):
        ticket_raise(type_code="sku_missing_in_ip", source="catalog", sku="ABC-1")
    assert kinds(again) == ["raised", "raised_again"]
    assert again.events.last().data == {"occurrences": 3}


def test_a_different_type_or_subject_is_a_different_ticket():
    a = ticket_raise(type_code="sku_missing_in_ip", source="catalog", sku="ABC-1")
    b = ticket_raise(type_code="sku_missing_in_centra", source="catalog", sku="ABC-1")
    c = ticket_raise(type_code="sku_missing_in_ip", source="catalog", sku="ABC-2")
    d = ticket_raise(type_code="stock_drift", source="stock", sku="ABC-1", warehouse="Main")
    assert len({a.pk, b.pk, c.pk, d.pk}) == 4


def test_a_condition_without_its_subject_is_refused_and_writes_nothing():
    with pytest.raises(ValueError, match="needs its subject field 'order_number'"):
        ticket_raise(type_code="orphaned_order", source="orders", sku="ABC-1")
    with pytest.raises(KeyError, match="Unknown exception type 'nope'"):
        ticket_raise(type_code="nope", source="orders", sku="ABC-1")
    assert Ticket.objects.count() == 0
    assert TicketEvent.objects.count() == 0


def test_secrets_never_reach_the_context():
    ticket = ticket_raise(
        type_code="api_auth_failure",
        source="orders",
        stream="orders",
        context={
            "request": {"headers": {"Authorization": "Bearer abc123", "Accept": "json"}},
            "api_key": "k-1",
            "attempts": [{"password": "p", "status": 401}],
            "error": "rejected Bearer abc123 for user",
        },
    )
    assert ticket.context == {
        "request": {"headers": {"Authorization": REDACTED, "Accept": "json"}},
        "api_key": REDACTED,
        "attempts": [{"password": REDACTED, "status": 401}],
        "error": f"rejected Bearer {REDACTED} for user",
    }


def test_clear_auto_resolves_with_a_history_entry_and_is_a_noop_when_nothing_is_open(personas):
    ticket = ticket_raise(type_code="sku_missing_in_ip", source="catalog", sku="ABC-1")
    ticket_acknowledge(ticket=ticket, actor=personas["merchandising"])
    assert ticket_clear(type_code="sku_missing_in_ip", source="catalog engine", sku="abc-1")
    ticket.refresh_from_db()
    assert ticket.status == "auto_resolved"
    assert ticket.resolved_at is not None
    event = ticket.events.last()
    assert (event.kind, event.actor_name, event.note) == (
        "auto_resolved",
        "catalog engine",
        "A catalog run finds an Inventory Planner variant with this SKU.",
    )
    assert not ticket_clear(type_code="sku_missing_in_ip", source="catalog", sku="ABC-1")
    assert ticket.events.count() == 3


def test_a_condition_that_comes_back_reopens_its_ticket_as_a_regression():
    with time_machine.travel(T0, tick=False):
        ticket = ticket_raise(type_code="stock_push_rejected", source="stock", sku="S-1")
        ticket_clear(type_code="stock_push_rejected", source="stock", sku="S-1")
    later = T0 + timedelta(days=3)
    with time_machine.travel(later, tick=False):
        again = ticket_raise(
            type_code="stock_push_rejected", source="stock", sku="S-1", summary="rejected again"
        )
    assert again.pk == ticket.pk
    assert Ticket.objects.count() == 1
    again.refresh_from_db()
    assert (again.status, again.regressions, again.occurrences, again.resolved_at) == (
        "open",
        1,
        2,
        None,
    )
    assert again.acknowledge_due_at == later + timedelta(hours=1)
    assert again.sla_due_at == again.acknowledge_due_at
    assert kinds(again) == ["raised", "auto_resolved", "reopened_regression"]
    reopened = again.events.last()
    assert reopened.note == "rejected again"
    assert reopened.data == {"previous_status": "auto_resolved", "resolved_at": T0.isoformat()}


def test_a_snoozed_ticket_wakes_when_its_time_passes(personas):
    actor = personas["ecommerce"]
    with time_machine.travel(T0, tick=False):
        ticket = ticket_raise(type_code="stock_push_rejected", source="stock", sku="S-1")
        ticket_acknowledge(ticket=ticket, actor=actor)
        ticket_snooze(ticket=ticket, actor=actor, until=T0 + timedelta(hours=2))
    assert ticket.status == "snoozed"
    with time_machine.travel(T0 + timedelta(hours=1, minutes=59), tick=False):
        assert tickets_wake_due() == 0
    with time_machine.travel(T0 + timedelta(hours=2), tick=False):
        assert tickets_wake_due() == 1
        assert tickets_wake_due() == 0
    ticket.refresh_from_db()
    # It had been acknowledged before the snooze, so it wakes acknowledged.
    assert (ticket.status, ticket.snoozed_until) == ("acknowledged", None)
    assert ticket.sla_due_at == ticket.resolve_due_at
    woke = ticket.events.last()
    assert (woke.kind, woke.actor_name, woke.data) == ("woke", "snooze timer", {"reason": "time"})


def test_a_snoozed_ticket_wakes_when_its_count_jumps(personas):
    with time_machine.travel(T0, tick=False):
        ticket = ticket_raise(type_code="stock_push_rejected", source="stock", sku="S-1")
        ticket_snooze(
            ticket=ticket,
            actor=personas["ecommerce"],
            until=T0 + timedelta(days=1),
            wake_after_occurrences=3,
        )
        for _ in range(2):
            ticket_raise(type_code="stock_push_rejected", source="stock", sku="S-1")
        ticket.refresh_from_db()
        assert (ticket.status, ticket.occurrences) == ("snoozed", 3)
        ticket_raise(type_code="stock_push_rejected", source="stock", sku="S-1")
    ticket.refresh_from_db()
    assert (ticket.status, ticket.occurrences, ticket.snoozed_until) == ("open", 4, None)
    assert kinds(ticket) == ["raised", "snoozed", "woke"]
    assert ticket.events.last().data == {"reason": "occurrences", "occurrences": 4}


def test_raise_many_dedups_within_the_batch_and_against_open_tickets():
    existing = ticket_raise(type_code="stock_drift", source="stock", sku="S-0", warehouse="W")
    conditions = [
        Condition(type_code="stock_drift", sku=f"S-{n % 500}", warehouse="W", context={"n": n})
        for n in range(1000)
    ]
    outcome = tickets_raise_many(conditions, source="stock engine")
    assert len(outcome.created) == 499
    assert outcome.counted == [existing] or [t.pk for t in outcome.counted] == [existing.pk]
    assert Ticket.objects.count() == 500
    existing.refresh_from_db()
    assert existing.occurrences == 3
    assert existing.context == {"n": 500}
    assert set(Ticket.objects.values_list("occurrences", flat=True)) == {2, 3}
    assert TicketEvent.objects.filter(kind="raised").count() == 500


def test_raise_many_counts_wakes_and_reopens_in_one_batch(personas):
    with time_machine.travel(T0, tick=False):
        counted = ticket_raise(type_code="stock_drift", source="stock", sku="A", warehouse="W")
        snoozed = ticket_raise(type_code="stock_drift", source="stock", sku="B", warehouse="W")
        ticket_snooze(
            ticket=snoozed, actor=personas["operations"], until=T0 + timedelta(minutes=30)
        )
        closed = ticket_raise(type_code="stock_drift", source="stock", sku="C", warehouse="W")
        ticket_clear(type_code="stock_drift", source="stock", sku="C", warehouse="W")
    with time_machine.travel(T0 + timedelta(hours=2), tick=False):
        outcome = tickets_raise_many(
            [
                Condition(
                    type_code="stock_drift",
                    sku=sku,
                    warehouse="W",
                    context={"sku": sku},
                    summary=f"drift {sku}",
                )
                for sku in ("A", "B", "C", "D")
            ],
            source="stock engine",
        )
    assert [t.pk for t in outcome.counted] == [counted.pk, snoozed.pk]
    assert [t.pk for t in outcome.woke] == [snoozed.pk]
    assert [t.pk for t in outcome.regressed] == [closed.pk]
    assert [t.sku for t in outcome.created] == ["D"]
    rows = {
        t.sku: (t.status, t.occurrences, t.regressions, t.context, t.summary, t.last_seen)
        for t in Ticket.objects.all()
    }
    later = T0 + timedelta(hours=2)
    assert rows == {
        "A": ("open", 2, 0, {"sku": "A"}, "drift A", later),
        "B": ("open", 2, 0, {"sku": "B"}, "drift B", later),
        "C": ("open", 2, 1, {"sku": "C"}, "drift C", later),
        "D": ("open", 1, 0, {"sku": "D"}, "drift D", later),
    }
    assert kinds(counted) == ["raised", "raised_again"]
    assert kinds(snoozed) == ["raised", "snoozed", "woke", "raised_again"]
    snoozed.refresh_from_db()
    closed.refresh_from_db()
    # Woken unacknowledged and reopened tickets owe an acknowledgement again.
    assert snoozed.sla_due_at == snoozed.acknowledge_due_at == T0 + timedelta(hours=1)
    assert closed.sla_due_at == closed.acknowledge_due_at == T0 + timedelta(hours=3)
    assert kinds(closed) == ["raised", "auto_resolved", "reopened_regression"]


def test_an_engine_run_of_thousands_is_written_in_a_few_statements(django_assert_max_num_queries):
    conditions = [
        Condition(type_code="stock_drift", sku=f"S-{n}", warehouse="W") for n in range(3000)
    ]
    # Row by row would be 6,000+ statements. SQLite caps one INSERT at 999 parameters, so it
    # needs ~110 batches for 3,000 new tickets and their events; PostgreSQL needs ~20.
    with django_assert_max_num_queries(120):
        tickets_raise_many(conditions, source="stock engine")
    with django_assert_max_num_queries(20):
        tickets_raise_many(conditions, source="stock engine")
    assert set(Ticket.objects.values_list("occurrences", flat=True)) == {2}


def test_a_snoozed_ticket_wakes_when_its_cause_changes_and_the_history_shows_it(personas):
    from exceptions.services import ticket_snooze

    first = ticket_raise(
        type_code="push_held", source="stock", stream="stock", summary="IP answered 503"
    )
    ticket_snooze(
        ticket=first,
        actor=personas["operations"],
        until=timezone.now() + timedelta(hours=1),
        note="waiting for IP to recover",
    )
    # the same cause again (only a number differs): it stays snoozed, nothing logged
    ticket_raise(type_code="push_held", source="stock", stream="stock", summary="IP answered 503")
    first.refresh_from_db()
    assert first.status == "snoozed"
    held = "Stock push 5 held: 2138 of 2139 SKUs with stock would go to zero"
    ticket_raise(type_code="push_held", source="stock engine", stream="stock", summary=held)
    first.refresh_from_db()
    assert (first.status, first.summary, first.occurrences) == ("open", held, 3)
    woke = first.events.get(kind="woke")
    assert woke.data["reason"] == "cause changed"
    again = first.events.get(kind="raised_again")
    assert (again.note, again.data["previous_summary"]) == (held, "IP answered 503")


def test_a_reoccurrence_that_only_changes_numbers_is_not_a_new_fact():
    ticket = ticket_raise(
        type_code="stream_late", source="watchdog", stream="orders", summary="late: 20 min ago"
    )
    ticket_raise(
        type_code="stream_late", source="watchdog", stream="orders", summary="late: 25 min ago"
    )
    assert not ticket.events.filter(kind="raised_again").exists()

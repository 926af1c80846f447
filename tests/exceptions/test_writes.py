"""The set-based writes under an engine run: same rows as the ORM would write, and lookups
whose number does not grow with the run (exceptions/writes.py)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from exceptions.models import Ticket
from exceptions.services import Condition, tickets_clear_many, tickets_raise_many
from exceptions.writes import ticket_new

pytestmark = pytest.mark.django_db


def test_a_ticket_built_positionally_is_the_ticket_built_by_keywords():
    now = timezone.now()
    values = dict(
        type="stock_drift",
        fingerprint="f" * 64,
        severity="high",
        summary="drift",
        sku="S-1",
        team="operations",
        first_seen=now,
        last_seen=now,
        context={"ats": 3},
        acknowledge_due_at=now,
        resolve_due_at=now,
        raise_logged_at=now,
    )
    built, expected = ticket_new(**values), Ticket(**values)
    for field in Ticket._meta.concrete_fields:
        assert getattr(built, field.attname) == getattr(expected, field.attname), field.name
    assert built._state.adding


def test_a_ticket_needs_its_context_given():
    with pytest.raises(KeyError):
        ticket_new(type="stock_drift", fingerprint="f")


def ticket_reads(queries) -> int:
    return sum(
        1
        for query in queries
        if query["sql"].startswith('SELECT "exceptions_ticket"."id", "exceptions_ticket"."type"')
    )


def test_an_engine_runs_ticket_lookups_do_not_grow_with_its_size():
    conditions = [
        Condition(type_code="stock_drift", sku=f"S-{n}", warehouse="W") for n in range(2000)
    ]
    tickets_raise_many(conditions, source="stock engine")
    # PostgreSQL: one array per lookup, whatever the size; SQLite: 900 fingerprints a query.
    per_lookup = 1 if connection.vendor == "postgresql" else 3
    with CaptureQueriesContext(connection) as repeat:
        tickets_raise_many(conditions, source="stock engine")
    assert ticket_reads(repeat.captured_queries) == per_lookup  # all active: none closed
    with CaptureQueriesContext(connection) as clear:
        assert tickets_clear_many(conditions, source="stock engine") == 2000
    assert ticket_reads(clear.captured_queries) == per_lookup
    with CaptureQueriesContext(connection) as regress:
        assert len(tickets_raise_many(conditions, source="stock engine").regressed) == 2000
    assert ticket_reads(regress.captured_queries) == 2 * per_lookup
    assert set(Ticket.objects.values_list("status", "occurrences", "regressions")) == {
        ("open", 3, 1)
    }

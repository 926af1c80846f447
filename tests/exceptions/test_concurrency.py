"""Workers raising the same condition at once must end with exactly one ticket.

On PostgreSQL the inserts really race and the partial unique index plus the retry in
``tickets_raise_many`` decide it. SQLite cannot run this test: its in-memory test database
is shared between threads in "shared cache" mode, where a second writer fails at once with
"table is locked" instead of waiting (a file database waits, and SQLite serialises writers,
so the race does not exist there). Marked ``postgres``: the SQLite run leaves it out by
name (tests/conftest.py), and CI's PostgreSQL run runs it.
"""

import threading

import pytest
from django.db import connection

from exceptions.models import Ticket, TicketEvent
from exceptions.services import ticket_clear, ticket_raise

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_at_once(func, *, workers: int = 4) -> list[BaseException]:
    """Run ``func`` in ``workers`` threads released together; returns what they raised."""
    start = threading.Barrier(workers)
    errors: list[BaseException] = []

    def worker():
        try:
            start.wait(timeout=10)
            func()
        except BaseException as error:  # surfaced by the caller's assertion
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def raise_order_five_times():
    for _ in range(5):
        ticket_raise(type_code="orphaned_order", source="orders", order_number="1001")


def test_workers_raising_one_fingerprint_at_once_open_one_ticket():
    assert run_at_once(raise_order_five_times) == []
    ticket = Ticket.objects.get()
    assert ticket.occurrences == 20
    assert TicketEvent.objects.filter(kind="raised").count() == 1


def test_workers_raising_a_closed_condition_at_once_reopen_it_once():
    ticket = ticket_raise(type_code="stock_push_rejected", source="stock", sku="S-1")
    ticket_clear(type_code="stock_push_rejected", source="stock", sku="S-1")
    errors = run_at_once(
        lambda: ticket_raise(type_code="stock_push_rejected", source="stock", sku="S-1")
    )
    assert errors == []
    ticket.refresh_from_db()
    assert (Ticket.objects.count(), ticket.status, ticket.regressions, ticket.occurrences) == (
        1,
        "open",
        1,
        5,
    )
    assert TicketEvent.objects.filter(kind="reopened_regression").count() == 1

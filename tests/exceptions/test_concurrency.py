"""Two workers raising the same condition at once must end with exactly one ticket.

On PostgreSQL the two inserts really race and the partial unique index plus the retry in
``tickets_raise_many`` decide it. SQLite cannot run this test: its in-memory test database
is shared between threads in "shared cache" mode, where a second writer fails at once with
"table is locked" instead of waiting (a file database waits, and SQLite serialises writers,
so the race does not exist there). CI runs the suite on PostgreSQL.
"""

import threading

import pytest
from django.db import connection

from exceptions.models import Ticket, TicketEvent
from exceptions.services import ticket_raise


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL, see docstring")
@pytest.mark.django_db(transaction=True)
def test_workers_raising_one_fingerprint_at_once_open_one_ticket():
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def worker():
        try:
            start.wait(timeout=10)
            for _ in range(5):
                ticket_raise(type_code="orphaned_order", source="orders", order_number="1001")
        except BaseException as error:  # surfaced by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    ticket = Ticket.objects.get()
    assert ticket.occurrences == 20
    assert TicketEvent.objects.filter(kind="raised").count() == 1

"""What keeps the queue fast at a million tickets, without changing what it shows: the
search through its trigram indexes, the sorts through theirs, pages read ids first."""

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from exceptions.filters import TicketFilter
from exceptions.selectors import queue_queryset
from exceptions.services import Condition, tickets_raise_many
from exceptions.tables import TicketTable

pytestmark = pytest.mark.django_db
QUEUE = reverse("exceptions:index")
postgresql_only = pytest.mark.postgres  # the indexes and plans are PostgreSQL's


def shown(client, **query) -> list[int]:
    return [t.pk for t in client.get(QUEUE, {"team": "", **query}).context["table"].data]


def test_a_search_matches_within_one_field_never_across_two(client_for):
    """The joined text the index is built on holds "A-1 900" across the SKU and the order;
    the search must still look for the value in each field alone."""
    (ticket,) = tickets_raise_many(
        [Condition("orphaned_order", sku="A-1", order_number="900")], source="t"
    ).created
    client = client_for("admin")
    assert shown(client, q="a-1") == [ticket.pk]
    assert shown(client, q="900") == [ticket.pk]
    assert shown(client, q="A-1 900") == []


def _plan(sql_and_params) -> str:
    sql, params = sql_and_params
    with connection.cursor() as cursor:
        # a handful of test rows: make the planner show whether it *can* use the index
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def _queue_sql(query: dict):
    data = QueryDict(mutable=True)
    data.update(query)
    # the counts by type: what a search reads however the page is sorted
    return TicketFilter(data, queryset=queue_queryset()).qs.order_by().query.sql_with_params()


def _indexed_expression(index: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_indexdef(%s::regclass)", [index])
        definition = cursor.fetchone()[0]
    return definition.split(" USING gin (", 1)[1].rsplit(" gin_trgm_ops)", 1)[0]


@postgresql_only
def test_the_search_is_on_its_trigram_indexes_expression():
    """The indexes are on the search's own expression: when they differ PostgreSQL reads
    every ticket again (the migration's SQL and ``SEARCH_TEXT`` must change together)."""
    plan = _plan(_queue_sql({"q": "SKU-0123"}))
    for index in ("ticket_search", "ticket_search_active"):
        assert f"({_indexed_expression(index)} ~~ '%SKU-0123%'::text)" in plan, (index, plan)


@postgresql_only
def test_a_search_of_every_status_reads_the_trigram_index():
    tickets_raise_many(
        [Condition("stock_drift", sku=f"X-{n:04d}") for n in range(1000)], source="t"
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE exceptions_ticket")  # a thousand rows: an index is worth it
    plan = _plan(_queue_sql({"q": "SKU-0123", "status": "any"}))
    assert "Bitmap Index Scan on ticket_search " in plan, plan


@postgresql_only
@pytest.mark.parametrize(
    ("sort", "index"),
    [
        ("title", "ticket_sort_type"),
        ("-severity", "ticket_sort_severity"),
        ("status", "ticket_sort_status"),
        ("-occurrences", "ticket_sort_seen"),
    ],
)
def test_a_team_s_sorted_queue_is_read_in_its_index_order(sort, index):
    """What a page reads first (``exceptions.paging``): its ids, in the sort's order."""
    ticket_filter = TicketFilter({"team": "operations"}, queryset=queue_queryset())
    table = TicketTable(ticket_filter.qs, order_by=(sort,))
    ids = table.data.data.values_list("pk", flat=True)[:50]
    plan = _plan(ids.query.sql_with_params())
    assert f" using {index} on exceptions_ticket" in plan, plan


ORDERS = {
    "": ("-last_seen", "-pk"),
    "title": ("type", "pk"),
    "-severity": ("-severity_rank", "-pk"),
    "id": ("pk",),
}


@pytest.mark.parametrize("sort", list(ORDERS))
def test_every_page_shows_its_rows_in_order_with_a_bounded_number_of_queries(client_for, sort):
    """Pages read ids first, then those rows: the rows of every page are the queue's, in
    its order (120 tickets of one run share their last seen time: the id decides)."""
    kinds = ("stock_drift", "sku_missing_in_ip")
    tickets_raise_many([Condition(kinds[n % 2], sku=f"P-{n:03d}") for n in range(120)], source="t")
    client = client_for("admin")
    query = {"team": "", "sort": sort} if sort else {"team": ""}
    expected = list(queue_queryset().order_by(*ORDERS[sort]).values_list("pk", flat=True))
    seen = []
    for page in (1, 2, 3):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(QUEUE, {**query, "page": page})
        rows = [row.record.pk for row in response.context["table"].paginated_rows]
        assert len(rows) == (50 if page < 3 else 20)
        assert len(queries) <= 25
        seen += rows
    assert seen == expected


def test_a_ticket_deleted_between_a_page_s_two_reads_is_left_out(client_for, monkeypatch):
    tickets = tickets_raise_many(
        [Condition("stock_drift", sku=f"D-{n}") for n in range(3)], source="t"
    ).created
    gone = tickets[1]
    monkeypatch.setattr(
        "exceptions.paging.queue_queryset", lambda: queue_queryset().exclude(pk=gone.pk)
    )
    response = client_for("admin").get(QUEUE, {"team": ""})
    rows = [row.record.pk for row in response.context["table"].paginated_rows]
    assert rows == [t.pk for t in reversed(tickets) if t.pk != gone.pk]

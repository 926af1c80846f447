"""One table idiom: every list derives from BaseTable, which ends each ordering in ``pk``
(in the column's direction) and pages by PER_PAGE; one run-history table for every stream."""

import django_tables2 as tables
import pytest
from django.urls import reverse
from django.utils import timezone

from centra_ip.tables import PER_PAGE, BaseTable
from exceptions.tables import TicketTable
from returns.tables import ReturnTable
from syncs.models import SyncRun
from syncs.orders.tables import OrderTable
from syncs.stock.tables import PushLineTable
from syncs.streams import STREAMS
from syncs.tables import SyncRunTable


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_every_table_of_ours_derives_from_the_base_table():
    ours = {
        cls
        for cls in _subclasses(tables.Table)
        if cls.__module__.split(".")[0] in ("centra_ip", "syncs", "exceptions", "returns")
    }
    assert {TicketTable, ReturnTable, OrderTable, PushLineTable, SyncRunTable} <= ours
    assert all(issubclass(cls, BaseTable) for cls in ours)


@pytest.mark.django_db
@pytest.mark.parametrize("sort", ["started_at", "-started_at", "status", "-trigger"])
def test_every_ordering_ends_in_pk_in_the_columns_direction(sort):
    table = SyncRunTable(SyncRun.objects.all(), order_by=sort)
    keys = list(table.data.data.query.order_by)
    assert keys == [sort, "-pk" if sort.startswith("-") else "pk"]


@pytest.mark.django_db
def test_a_table_pages_by_per_page_unless_it_says_otherwise(rf):
    now = timezone.now()
    SyncRun.objects.bulk_create(
        SyncRun(stream="returns", status="succeeded", started_at=now, finished_at=now)
        for _ in range(PER_PAGE + 1)
    )
    table = SyncRunTable(SyncRun.objects.all()).configure(rf.get("/"))
    assert (len(table.page.object_list), table.paginator.num_pages) == (PER_PAGE, 2)
    assert PushLineTable.rows_per_page == 100


@pytest.mark.django_db
def test_every_stream_has_its_run_history_on_the_one_table(client_for):
    now = timezone.now()
    client = client_for("operations")
    for stream in STREAMS:
        SyncRun.objects.create(
            stream=stream.code,
            status="succeeded",
            started_at=now,
            finished_at=now,
            summary=f"{stream.code} ran",
        )
        page = client.get(reverse("syncs:stream_runs", args=[stream.code]))
        assert isinstance(page.context["table"], SyncRunTable), stream.code
        assert f"{stream.code} ran" in page.content.decode(), stream.code
    hub = client.get(reverse("syncs:index"))
    assert isinstance(hub.context["runs"], SyncRunTable)
    assert "returns ran" in hub.content.decode()

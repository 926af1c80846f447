"""``manage.py tickets``: the queue on the command line, as docs/exception-desk.md promises."""

import json
from datetime import UTC, datetime
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command

from exceptions.services import ticket_clear, ticket_raise

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def run(*args) -> str:
    out = StringIO()
    call_command("tickets", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def tickets():
    with time_machine.travel(T0, tick=False):
        order = ticket_raise(type_code="orphaned_order", source="orders", order_number="1001")
        sku = ticket_raise(type_code="sku_missing_in_ip", source="catalog", sku="ABC-1")
        ticket_raise(type_code="sku_missing_in_ip", source="catalog", sku="ABC-1")
        gone = ticket_raise(type_code="stock_push_rejected", source="stock", sku="S-9")
        ticket_clear(type_code="stock_push_rejected", source="stock", sku="S-9")
    return order, sku, gone


def test_json_lists_active_tickets_with_the_documented_fields(tickets):
    order, sku, _ = tickets
    rows = json.loads(run("--json"))
    assert [row["id"] for row in rows] == [sku.pk, order.pk]
    assert rows[0] == {
        "id": sku.pk,
        "type": "sku_missing_in_ip",
        "title": "SKU missing in Inventory Planner: SKU ABC-1",
        "status": "open",
        "severity": "warning",
        "team": "merchandising",
        "assignee": None,
        "subject": "SKU ABC-1",
        "sku": "ABC-1",
        "order": None,
        "return_id": None,
        "stream": None,
        "warehouse": None,
        "occurrences": 2,
        "regressions": 0,
        "first_seen": "2026-11-02T09:00:00+00:00",
        "last_seen": "2026-11-02T09:00:00+00:00",
        "acknowledge_due_at": "2026-11-02T13:00:00+00:00",
        "resolve_due_at": "2026-11-04T09:00:00+00:00",
        "summary": "",
    }
    assert rows[1]["order"] == "1001"
    assert rows[1]["team"] == "operations"


def test_status_all_includes_closed_and_type_filters(tickets):
    _, _, gone = tickets
    assert [
        row["id"]
        for row in json.loads(run("--json", "--status", "all", "--type", "stock_push_rejected"))
    ] == [gone.pk]
    assert json.loads(run("--json", "--type", "stock_push_rejected")) == []


def test_plain_output_ends_with_a_count(tickets):
    out = run()
    assert out.splitlines()[-1] == "2 tickets"
    assert "SKU missing in Inventory Planner: SKU ABC-1" in out


def test_an_unknown_type_is_an_error(db):
    with pytest.raises(CommandError, match="Unknown type 'nope'"):
        run("--type", "nope")

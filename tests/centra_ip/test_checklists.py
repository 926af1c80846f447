"""Each team's checklist: live state per item, ticking on record, once per period."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from centra_ip.checklists import CHECKLISTS, DAILY, WEEKLY, checklist_tick, period_start
from centra_ip.models import ChecklistTick
from centra_ip.teams import TEAM_CODES
from exceptions.models import Ticket
from exceptions.services import ticket_raise
from syncs.models import SyncRun

# session, user, groups, permissions, the freshness banner (plus the first scheduled runs,
# as no stream has run here), the snapshot (last successes, active tickets, breaches, runs
# of the week, notifications) and the ticks: whatever the data.
QUERIES = 13
NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)  # a Thursday


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def succeeded(stream: str, minutes_ago: int) -> None:
    at = timezone.now() - timedelta(minutes=minutes_ago)
    SyncRun.objects.create(stream=stream, status="succeeded", started_at=at, finished_at=at)


def row(html: str, period: str, code: str) -> str:
    start = html.index(f'<tr id="item-{period}-{code}">')
    return html[start : html.index("</tr>", start)]


def test_every_team_has_a_daily_and_a_weekly_list_with_unique_codes():
    assert set(CHECKLISTS) == set(TEAM_CODES)
    for team, lists in CHECKLISTS.items():
        assert set(lists) == {DAILY, WEEKLY}, team
        codes = [item.code for items in lists.values() for item in items]
        assert len(codes) == len(set(codes)), team


def test_periods_are_the_day_and_the_monday_of_the_week():
    assert period_start(DAILY, NOW) == date(2026, 11, 26)
    assert period_start(WEEKLY, NOW) == date(2026, 11, 23)


def test_items_show_their_live_state(client_for, personas):
    succeeded("stock", 12)
    succeeded("orders", 90)
    ticket = ticket_raise(type_code="stock_drift", source="test", sku="S1")
    Ticket.objects.filter(pk=ticket.pk).update(sla_due_at=NOW - timedelta(minutes=1))
    ticket_raise(type_code="stock_drift", source="test", sku="S2")
    ticket_raise(type_code="stock_in_failed", source="test", return_id="R1")  # fulfilment's
    html = client_for("operations").get("/checklists/operations/").content.decode()
    stock = row(html, "daily", "stock_fresh")
    assert "<td>Stock sync succeeded in the last hour</td>" in stock
    # each stream item links to that stream's run history, never to "/" (the landing)
    assert '<span class="state ok"><a href="/syncs/runs/stock/">yes, 12 min ago</a></span>' in stock
    assert '<span class="state bad"><a href="/syncs/runs/orders/">no, 90 min ago</a></span>' in row(
        html, "daily", "orders_fresh"
    )
    assert (
        '<span class="state bad"><a href="/exceptions/?team=operations&amp;sla=breached">1</a>'
        in row(html, "daily", "past_sla")
    )
    assert (
        '<span class="state bad"><a href="/exceptions/?type=stock_drift">2, oldest seen first '
        "just now</a>" in row(html, "daily", "stock_drift")
    )
    assert '<span class="state ok"><a href="/exceptions/?type=push_held">0</a>' in row(
        html, "daily", "push_held"
    )
    assert "no runs this week" not in row(html, "weekly", "streams_week")
    assert "orders 100%, stock 100%" in row(html, "weekly", "streams_week")


def test_the_checklist_page_makes_a_fixed_number_of_queries(client_for, django_assert_num_queries):
    client = client_for("admin")
    for n in range(5):
        ticket_raise(type_code="api_timeout", source="test", stream=["stock", "orders"][n % 2])
        ChecklistTick.objects.create(
            team="admin",
            item=f"x{n}",
            period="daily",
            period_start=date(2026, 11, 20 + n),
            username="a",
            at=NOW - timedelta(days=n),
        )
    with django_assert_num_queries(QUERIES):
        assert client.get("/checklists/admin/").status_code == 200


def test_ticking_records_who_what_and_when_once_per_period(client_for, personas):
    client = client_for("fulfilment")
    ticket_raise(type_code="stock_in_failed", source="test", return_id="R1")
    url = "/checklists/fulfilment/tick/"
    response = client.post(url, {"item": "stock_in"})
    assert response.status_code == 302 and response["Location"] == "/checklists/fulfilment/"
    again = client.post(url, {"item": "stock_in"}, follow=True)
    tick = ChecklistTick.objects.get()
    assert (tick.team, tick.period, tick.item, tick.period_start) == (
        "fulfilment",
        "daily",
        "stock_in",
        date(2026, 11, 26),
    )
    assert (tick.user, tick.username, tick.at) == (
        personas["fulfilment"],
        "fulfilment-persona",
        NOW,
    )
    assert (
        tick.state
        == "Open “Stock-in failed / not confirmed” tickets: 1, oldest seen first just now"
    )
    html = again.content.decode()
    assert "Already ticked off by fulfilment-persona at 15:00." in html
    assert '<span class="ticked">✓ fulfilment-persona at 15:00</span>' in row(
        html, "daily", "stock_in"
    )
    assert "<td>2026-11-26 15:00</td><td>fulfilment-persona</td><td>Open “Stock-in" in html

    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        client.post(url, {"item": "stock_in"})
        client.post(url, {"item": "overdue"})  # weekly: same week, first tick
    assert sorted(ChecklistTick.objects.values_list("item", "period_start")) == [
        ("overdue", date(2026, 11, 23)),
        ("stock_in", date(2026, 11, 26)),
        ("stock_in", date(2026, 11, 27)),
    ]


def test_only_the_team_or_an_admin_ticks_and_only_by_post(client_for, personas):
    finance = client_for("finance")
    assert finance.post("/checklists/fulfilment/tick/", {"item": "stock_in"}).status_code == 403
    assert finance.get("/checklists/finance/tick/").status_code == 405
    assert finance.post("/checklists/finance/tick/", {"item": "nope"}).status_code == 404
    assert finance.get("/checklists/nobody/").status_code == 404
    assert not ChecklistTick.objects.exists()
    page = finance.get("/checklists/fulfilment/").content.decode()
    assert "Only Fulfilment can tick off this list." in page
    assert 'name="item"' not in page
    assert (
        client_for("admin").post("/checklists/fulfilment/tick/", {"item": "stock_in"}).status_code
        == 302
    )
    assert ChecklistTick.objects.get().username == "admin-persona"


def test_the_service_refuses_outsiders_without_writing(personas):
    with pytest.raises(PermissionDenied):
        checklist_tick(user=personas["ecommerce"], team="finance", item_code="mismatches")
    assert not ChecklistTick.objects.exists()


def test_checklists_land_on_the_users_own_team(client_for):
    assert client_for("merchandising").get("/checklists/")["Location"] == (
        "/checklists/merchandising/"
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_colleagues_ticking_the_same_item_at_once_record_one_tick():
    """The unique constraint decides the race (see tests/exceptions/test_concurrency.py for
    why this runs on PostgreSQL only)."""
    from tests.exceptions.test_concurrency import run_at_once
    from tests.factories import UserFactory

    users = [UserFactory(username=f"ops{n}", team="operations") for n in range(4)]
    pending = list(users)
    results = []

    def tick():
        results.append(checklist_tick(user=pending.pop(), team="operations", item_code="orphans"))

    assert run_at_once(tick) == []
    assert ChecklistTick.objects.count() == 1
    assert sorted(created for _, created in results) == [False, False, False, True]


def test_a_more_than_a_week_item_counts_only_tickets_that_old(client_for, personas):
    """Review: "SKUs missing on one side for more than a week" showed 88 for tickets nine
    minutes old. It counts the week-old ones and links to exactly them."""
    old = ticket_raise(type_code="sku_missing_in_ip", source="test", sku="OLD-1")
    Ticket.objects.filter(pk=old.pk).update(first_seen=NOW - timedelta(days=8))
    ticket_raise(type_code="sku_missing_in_ip", source="test", sku="NEW-1")
    ticket_raise(type_code="sku_missing_in_centra", source="test", sku="NEW-2")
    html = client_for("merchandising").get("/checklists/merchandising/").content.decode()
    assert (
        '<span class="state bad"><a href="/exceptions/?team=&amp;age=7d">1 (3 active in all)</a>'
        in row(html, "weekly", "old_missing")
    )
    Ticket.objects.filter(pk=old.pk).update(first_seen=NOW - timedelta(days=2))
    html = client_for("merchandising").get("/checklists/merchandising/").content.decode()
    assert '<span class="state ok"><a href="/exceptions/?team=&amp;age=7d">0 (3 active in all)' in (
        row(html, "weekly", "old_missing")
    )

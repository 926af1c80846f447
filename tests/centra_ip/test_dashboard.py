"""The sync health dashboard: per-stream figures from the recorded runs and calls, a late
stream in red with its ticket, error classes, quota, open tickets, charts; aggregate only."""

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from exceptions.services import ticket_raise
from syncs.freshness import watchdog_check
from syncs.models import ExternalCall, SyncRun

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
# Session, user, groups, permissions (two), the freshness banner; then runs, calls,
# late tickets, freshness, call errors, run errors, quota, open tickets, overrides, the two
# ticket trend series and the run trend: the same whatever the number of rows.
QUERIES = 18


@pytest.fixture(autouse=True)
def frozen(watch_streams):
    watch_streams("orders", "stock", "catalog")
    with time_machine.travel(NOW, tick=False):
        yield


def run(stream, minutes_ago, status="succeeded", error="", calls=()):
    at = NOW - timedelta(minutes=minutes_ago)
    sync_run = SyncRun.objects.create(
        stream=stream, status=status, started_at=at, finished_at=at, error=error
    )
    for outcome, status_code, retries in calls:
        ExternalCall.objects.create(
            system="centra",
            operation="setStock",
            started_at=at,
            duration_ms=120,
            outcome=outcome,
            status_code=status_code,
            retries=retries,
            # a call that ended in 429 was throttled on every attempt
            throttled=retries + 1 if status_code == 429 else 0,
            longest_wait_ms=30_000 if status_code == 429 else 0,
            sync_run=sync_run,
        )
    return sync_run


def stream_row(html, code):
    start = html.index(f'id="stream-{code}"')
    return html[html.rindex("<tr", 0, start) : html.index("</tr>", start)]


def seed():
    run("stock", 3, calls=[("ok", 200, 0), ("ok", 200, 2)])
    run("stock", 60 * 20, status="failed", error="boom: the engine fell over")
    run("stock", 60 * 24 * 3, status="held")
    run("stock", 60 * 24 * 3 + 5, status="failed", error="boom: the engine fell over")
    run("orders", 120, calls=[("retryable_error", 429, 3), ("permanent_error", 400, 0)])
    run("orders", 130, status="failed", error="timeout")
    run("catalog", 10)


def test_each_stream_shows_last_success_lag_rates_and_throughput(client_for):
    seed()
    html = client_for("operations").get("/dashboard/").content.decode()
    stock = stream_row(html, "stock")
    assert '<tr class="stream-row fresh" id="stream-stock">' in stock
    assert '<span class="level fresh">OK</span>' in stock
    assert "<td>3 min ago</td>\n        <td>on time</td>" in stock
    # 24 h: 1 of 2 succeeded; 7 days: 1 of 4 finished runs (held counts as not succeeded).
    assert '<td class="num">50%</td>\n        <td class="num">25%</td>' in stock
    assert (
        '<td class="num"><a href="/syncs/runs/stock/">2</a> '
        '<span class="state bad runs-failed">1 failed</span></td>'
    ) in stock  # the failure badge counts runs, in the runs column
    assert '<td class="num">2</td>\n        <td></td>' in stock  # two calls, none failed

    orders = stream_row(html, "orders")
    assert '<tr class="stream-row red" id="stream-orders">' in orders
    assert "<td>2 h ago</td>\n        <td>118 min behind</td>" in orders
    assert '<span class="level red">Behind</span>' in orders
    assert '<td class="num">2 <span class="muted">(2 failed calls)</span></td>' in orders


def test_a_late_stream_is_red_and_links_to_its_ticket_and_runbook(client_for):
    run("orders", 120)
    run("orders", 125)
    watchdog_check()
    html = client_for("admin").get("/").content.decode()
    orders = stream_row(html, "orders")
    assert '<span class="level red">Behind</span>' in orders
    from exceptions.models import Ticket

    ticket = Ticket.objects.get(type="stream_late", stream="orders")
    assert (
        f'<a href="/exceptions/{ticket.pk}/" class="late-ticket">Stream late ticket</a>' in orders
    )
    assert 'class="late-ticket"' not in stream_row(html, "stock")
    assert (
        '<tr><td><a href="/exceptions/?type=stream_late">Stream late</a></td><td>Admin</td>'
        '<td class="num">1</td><td><a href="/docs/runbooks/stream_late/">Runbook</a></td></tr>'
        in html
    )


def test_error_classes_quota_and_open_tickets(client_for):
    seed()
    ticket_raise(type_code="stock_drift", source="test", sku="A")
    ticket_raise(type_code="stock_drift", source="test", sku="B")
    context = client_for("operations").get("/dashboard/").context
    calls = [
        (r["system"], r["operation"], r["outcome"], r["status_code"], r["n"])
        for r in context["errors"]["calls"]
    ]
    assert calls == [
        ("centra", "setStock", "permanent_error", 400, 1),
        ("centra", "setStock", "retryable_error", 429, 1),
    ]
    runs = [(r["stream"], r["error_start"], r["n"]) for r in context["errors"]["runs"]]
    assert runs == [("stock", "boom: the engine fell over", 2), ("orders", "timeout", 1)]
    # Last hour: only stock's two calls (one with two retries) count; the 429 was 2 h ago.
    assert context["quota"] == {
        "used": 4,
        "limit": 5000,
        "share": "0%",
        "throttled": 4,
        "absorbed": 0,
        "longest_wait": 30,
        "last_throttled": NOW - timedelta(minutes=120),
    }
    assert [(r["type"].code, r["count"]) for r in context["open_tickets"]] == [("stock_drift", 2)]


def test_the_charts_count_30_days_of_runs_and_tickets(client_for):
    seed()
    ticket_raise(type_code="stock_drift", source="test", sku="A")
    html = client_for("operations").get("/dashboard/").content.decode()
    charts = json.loads(
        html.split('<script id="dashboard-charts" type="application/json">')[1].split("</script>")[
            0
        ]
    )
    runs = charts["runs"]
    assert len(runs["labels"]) == 30 and runs["labels"][-1] == "2026-11-26"
    assert runs["succeeded"][-1] == 3 and runs["failed"][-1] == 1
    assert runs["failed"][-2] == 1  # 20 hours ago is yesterday
    assert runs["held"][-4] == 1 and runs["failed"][-4] == 1
    assert sum(runs["succeeded"]) == 3
    assert charts["tickets"]["opened"][-1] == 1


def test_the_dashboard_makes_a_fixed_number_of_queries(client_for, django_assert_num_queries):
    client = client_for("operations")
    seed()
    for n in range(4):
        ticket_raise(type_code="stock_push_rejected", source="test", sku=f"S{n}")
        run("catalog", 30 + n, status="failed", error=f"error {n}", calls=[("ok", 200, 0)])
    with django_assert_num_queries(QUERIES):
        assert client.get("/dashboard/").status_code == 200


@pytest.mark.parametrize(
    ("team", "landing"),
    [
        ("operations", "/exceptions/"),
        ("finance", "/reconciliation/"),
        ("ecommerce", "/syncs/catalog/"),
        ("merchandising", "/syncs/catalog/"),
        ("fulfilment", "/returns/"),
    ],
)
def test_each_team_lands_on_its_work_and_admins_on_health(client_for, team, landing):
    response = client_for(team).get("/")
    assert (response.status_code, response["Location"]) == (302, landing)
    assert client_for(team).get(landing, follow=True).status_code == 200
    assert client_for(team).get("/dashboard/").status_code == 200
    assert client_for("admin").get("/").templates[0].name == "centra_ip/dashboard.html"


def test_a_failed_or_held_last_run_is_the_streams_state_at_once(client_for):
    """A success three minutes before is no excuse: the last run decides the state."""
    run("stock", 6)
    run("stock", 1, status="failed", error="IP answered 503")
    run("orders", 4)
    run("orders", 1, status="held")
    html = client_for("operations").get("/dashboard/").content.decode()
    assert '<span class="level amber">Failing</span>' in stream_row(html, "stock")
    assert '<span class="level amber">Held by guard</span>' in stream_row(html, "orders")
    # never ran and not scheduled: nothing will run it, so it is not "waiting"
    assert '<span class="level red">Behind</span>' in stream_row(html, "catalog")


def test_a_429_storm_absorbed_by_retries_shows_on_the_quota_card(client_for):
    """The call succeeded after waiting out Retry-After twice: it still counts."""
    sync_run = run("stock", 2)
    ExternalCall.objects.create(
        system="centra",
        operation="mutation setStock",
        started_at=NOW - timedelta(minutes=2),
        duration_ms=61_000,
        outcome="ok",
        status_code=200,
        retries=2,
        throttled=2,
        longest_wait_ms=45_000,
        sync_run=sync_run,
    )
    html = client_for("admin").get("/").content.decode()
    assert (
        '<p id="throttling"><span class="state bad">2 throttled (429) answers in 24 h</span>, '
        "2 absorbed by retries; longest wait 45 s; last 11:58.</p>"
    ) in html


def test_orders_polling_without_events_shows_on_the_health_page(client_for):
    client = client_for("operations")
    assert b'id="orders-events"' not in client.get("/dashboard/").content

    ticket_raise(type_code="orders_events_unavailable", source="test", stream="orders")

    html = client.get("/dashboard/").content.decode()
    assert (
        '<p id="orders-events"><span class="state bad">Orders: events unavailable: polling'
        '</span> <a href="/exceptions/?type=orders_events_unavailable">ticket</a> · '
        '<a href="/docs/runbooks/orders_events_unavailable/">runbook</a></p>'
    ) in html


def test_failed_calls_name_their_system_as_people_know_it(client_for):
    ExternalCall.objects.create(
        system="wms",
        operation="POST webhook",
        started_at=NOW - timedelta(minutes=5),
        duration_ms=120,
        outcome="permanent_error",
        status_code=400,
    )
    html = client_for("admin").get("/dashboard/").content.decode()
    assert "<tr><td>WMS webhook</td><td><code>POST webhook</code></td>" in html

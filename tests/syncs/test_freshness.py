"""Freshness per stream, the banner on every page, and the watchdog's tickets."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from exceptions.models import Ticket
from syncs.freshness import watchdog_check
from syncs.models import SyncRun


@pytest.fixture(autouse=True)
def orders_stream_only(watch_streams):
    watch_streams("orders")


def run(minutes_ago: float, status=SyncRun.Status.SUCCEEDED, stream="orders") -> SyncRun:
    at = timezone.now() - timedelta(minutes=minutes_ago)
    return SyncRun.objects.create(stream=stream, status=status, started_at=at, finished_at=at)


def late_tickets():
    return Ticket.objects.filter(type="stream_late", stream="orders")


@pytest.mark.django_db
def test_a_recent_success_is_fresh_and_raises_nothing():
    run(5)
    assert watchdog_check() == {"orders": "ok"}
    assert not late_tickets().exists()


@pytest.mark.django_db
def test_a_stream_past_its_late_time_gets_one_ticket_that_clears_when_it_succeeds():
    run(20)  # orders are late after 15 minutes
    assert watchdog_check() == {"orders": "late"}
    assert watchdog_check() == {"orders": "late"}  # raised again, still one ticket
    ticket = late_tickets().get()
    assert (ticket.status, ticket.team, ticket.occurrences) == ("open", "admin", 2)
    assert "no success since 20 min ago" in ticket.summary
    run(1)
    assert watchdog_check() == {"orders": "ok"}
    ticket.refresh_from_db()
    assert ticket.status == "auto_resolved"


@pytest.mark.django_db
def test_failing_runs_make_a_stream_late_even_after_a_recent_success(settings):
    settings.WATCHDOG_FAILED_RUNS = 3
    run(10)
    for minutes in (6, 4, 2):
        run(minutes, status=SyncRun.Status.FAILED)
    assert watchdog_check() == {"orders": "late"}
    assert "the last 3 runs failed" in late_tickets().get().summary


@pytest.mark.django_db
def test_a_stream_that_never_ran_is_not_late_but_one_whose_first_run_is_old_is():
    assert watchdog_check() == {"orders": "ok"}
    run(5, status=SyncRun.Status.FAILED)
    assert watchdog_check() == {"orders": "ok"}  # first run 5 minutes ago: give it time
    run(30, status=SyncRun.Status.FAILED)
    assert watchdog_check() == {"orders": "late"}


@pytest.mark.django_db
def test_streams_without_an_engine_are_never_watched():
    run(600, stream="returns")
    assert watchdog_check() == {"orders": "ok"}
    assert not Ticket.objects.filter(stream="returns").exists()


def test_the_banner_shows_each_streams_age_and_turns_red_when_late(client_for):
    run(3)
    html = client_for("finance").get("/docs/").content.decode()
    assert 'class="freshness fresh"' in html
    assert "Orders <strong>3 min ago</strong>" in html
    SyncRun.objects.all().delete()
    run(50)  # past 3 x 15 minutes
    html = client_for("finance").get("/docs/").content.decode()
    assert 'class="freshness red"' in html
    assert 'class="freshness-item red"' in html


def test_the_banner_is_amber_between_the_thresholds(client_for):
    run(20)
    html = client_for("operations").get("/docs/").content.decode()
    assert 'class="freshness amber"' in html


def test_a_page_with_its_own_freshness_context_keeps_the_banner(client_for, settings):
    """The reconciliation page passes a "freshness" of its own; the banner must not lose
    its readings to it."""
    run(3)
    html = client_for("finance").get("/reconciliation/").content.decode()
    assert "Orders <strong>3 min ago</strong>" in html


def _banner(client) -> str:
    html = client.get("/docs/").content.decode()
    return html[
        html.index('id="freshness"') - 40 : html.index("</div>", html.index('id="freshness"'))
    ]


@pytest.mark.parametrize(
    ("status", "state"),
    [(SyncRun.Status.FAILED, "failing"), (SyncRun.Status.HELD, "held by guard")],
)
def test_a_failed_or_held_stock_run_turns_the_banner_amber_at_once(
    client_for, watch_streams, status, state
):
    watch_streams("stock")
    success = run(4, stream="stock")
    run(1, status=status, stream="stock")
    banner = _banner(client_for("finance"))
    assert 'class="freshness amber"' in banner
    since = timezone.localtime(success.finished_at).strftime("%H:%M")
    assert (
        f'<a class="freshness-alert" href="/syncs/runs/stock/">Stock to Centra: {state}; '
        f"the storefront&#x27;s stock is stale since {since}</a>"
    ) in banner
    assert watchdog_check() == {"stock": "ok"}  # not late: the failure has its own ticket


def test_a_stream_two_cadences_behind_is_amber_before_its_late_time(client_for):
    run(5)  # orders run every 2 minutes and are late after 15
    banner = _banner(client_for("finance"))
    assert 'class="freshness amber"' in banner
    assert "Orders from Centra: behind; its data is stale since" in banner
    assert '<span class="freshness-state">behind</span>' in banner
    run(1)
    assert 'class="freshness fresh"' in _banner(client_for("finance"))
    assert "freshness-alert" not in _banner(client_for("finance"))


def test_a_stream_before_its_first_scheduled_run_says_when_it_will_run(client_for):
    from django_q.models import Schedule

    first = timezone.now() + timedelta(minutes=3)
    Schedule.objects.create(
        name="centra-ip: orders",
        func="syncs.tasks.run_stream",
        args="('orders',)",
        schedule_type=Schedule.MINUTES,
        minutes=2,
        next_run=first,
    )
    banner = _banner(client_for("finance"))
    assert 'class="freshness fresh"' in banner
    assert f"Orders <strong>first run at {timezone.localtime(first):%H:%M}</strong>" in banner
    assert watchdog_check() == {"orders": "ok"}
    runs = client_for("operations").get("/syncs/runs/orders/").content.decode()
    assert "Waiting for first run</span> First scheduled run at" in runs


def throttled_call(run_row: SyncRun, answers: int, wait_ms: int, minutes_ago: float = 1):
    from syncs.models import ExternalCall

    ExternalCall.objects.create(
        system="centra",
        operation="mutation setStock",
        started_at=timezone.now() - timedelta(minutes=minutes_ago),
        duration_ms=wait_ms,
        outcome="ok",
        status_code=200,
        retries=answers,
        throttled=answers,
        longest_wait_ms=wait_ms,
        sync_run=run_row,
    )


@pytest.mark.django_db
def test_persistent_throttling_raises_a_ticket_that_clears_when_it_stops(settings):
    from syncs.freshness import throttling_check

    settings.THROTTLE_TICKET_ANSWERS, settings.THROTTLE_WINDOW_MINUTES = 10, 15
    stock_run = run(2, stream="stock")
    throttled_call(stock_run, 4, 30_000)
    throttled_call(stock_run, 5, 45_000)
    throttled_call(stock_run, 9, 10_000, minutes_ago=20)  # outside the window
    assert throttling_check() == {"stock": 9}
    assert not Ticket.objects.filter(type="api_throttled").exists()  # 9 < 10
    throttled_call(stock_run, 1, 5_000)
    assert throttling_check() == {"stock": 10}
    ticket = Ticket.objects.get(type="api_throttled")
    assert (ticket.stream, ticket.team, ticket.status) == ("stock", "admin", "open")
    assert ticket.summary == (
        "Stock to Centra: 10 throttled (429) answers in 15 min, longest wait 45 s"
    )
    assert ticket.context["longest_wait_seconds"] == 45.0
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assert throttling_check() == {}
    ticket.refresh_from_db()
    assert ticket.status == "auto_resolved"

"""Running the reconciliation: one computation over a window of days (the computed tables,
then the discrepancies, then the closed months' adjustments, in one transaction), and the
periodic run that recomputes only the days whose inputs changed.

The steps live beside this module: ``compute`` (the SQL), ``discrepancies`` (tickets and
explanations), ``ip_sales`` (IP's own figures), ``closing`` (month-end close). Why this is
not a stream of ``syncs/streams.py``: docs/architecture.md, "Reconciliation is not a
stream".
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from time import perf_counter

from django.db import transaction
from django.utils import timezone

from reconciliation.changes import changed_days, config_changed_since, day_ranges
from reconciliation.closing import close_adjustments_refresh
from reconciliation.compute import (
    day_orders_rebuild,
    day_totals_rebuild,
    mismatches,
    order_balances_rebuild,
)
from reconciliation.config import brand_zone, day_start, reconciliation_settings
from reconciliation.discrepancies import discrepancies_settle
from reconciliation.ip_sales import ip_sales_read
from reconciliation.models import ReconciliationRun, ReconciliationSettings
from reconciliation.sql import planner_settings
from syncs.models import FeedDelivery


def feed_taken_through() -> datetime | None:
    """The feed watermark, None before IP's first complete fetch (stored as such on a run)."""
    return FeedDelivery.objects.taken_through()


class _Timer:
    """Calls a step and keeps its wall time (the run's ``counts["seconds"]``)."""

    def __init__(self):
        self.seconds: dict[str, float] = {}

    def __call__(self, name, function, *args, **kwargs):
        started = perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            self.seconds[name] = round(perf_counter() - started, 3)


@dataclass
class RunOutcome:
    run: ReconciliationRun
    raised: int
    cleared: int


def reconciliation_compute(
    *, start_day: date, end_day: date, now: datetime | None = None, scope: str = "days"
):
    """Rebuild the computed tables for brand-local days ``start_day..end_day`` (inclusive)
    and settle the discrepancies of those days: raise new ones, update changed ones, clear
    those that now agree. Days younger than the grace period are computed, never raised."""
    now = now or timezone.now()
    config = reconciliation_settings()
    zone = brand_zone(config)
    start, end = day_start(start_day, zone), day_start(end_day + timedelta(days=1), zone)
    through = feed_taken_through()
    settled_before = (now - timedelta(hours=config.grace_hours)).astimezone(zone).date()
    with transaction.atomic():
        # One computation at a time: each deletes and re-inserts its window, and two of them
        # interleaved would both insert. The settings row is the lock (a no-op on SQLite,
        # which serialises writers anyway).
        ReconciliationSettings.objects.select_for_update().get(pk=config.pk)
        planner_settings()
        run = ReconciliationRun.objects.create(
            scope=scope,
            started_at=now,
            period_start=start_day,
            period_end=end_day,
            feed_taken_through=through,
        )
        timer = _Timer()
        counts = {
            "order_balances": timer(
                "order_balances",
                order_balances_rebuild,
                start=start,
                end=end,
                zone=zone,
                through=through,
            ),
            # After the order balances: Centra's side of the day totals is summed from them.
            "day_total_rows": timer(
                "day_totals", day_totals_rebuild, start=start, end=end, zone=zone, through=through
            ),
            "day_order_rows": timer(
                "day_orders", day_orders_rebuild, start=start, end=end, zone=zone
            ),
        }
        found = timer(
            "mismatches",
            lambda: list(
                mismatches(
                    start_day=start_day,
                    end_day=end_day + timedelta(days=1),
                    settled_before=settled_before,
                    config=config,
                )
            ),
        )
        raised, cleared = timer(
            "settle",
            discrepancies_settle,
            found=found,
            start_day=start_day,
            end_day=end_day,
            settled_before=settled_before,
            now=now,
        )
        counts.update(discrepancies_found=len(found), raised=len(raised), cleared=len(cleared))
        counts["after_close_adjustments"] = timer(
            "after_close",
            close_adjustments_refresh,
            start_day=start_day,
            end_day=end_day,
            now=now,
        )
        counts["seconds"] = timer.seconds
        run.finished_at = timezone.now()
        run.counts = counts
        run.save(update_fields=["finished_at", "counts"])
    return RunOutcome(run=run, raised=len(raised), cleared=len(cleared))


FULL_EVERY = timedelta(hours=24)  # the whole window is rebuilt at least daily


@dataclass
class WindowOutcome:
    """The periodic computation: which days it rebuilt (the whole window, or only those
    whose inputs changed) and the computations that did it (none when nothing changed)."""

    scope: str
    days: int
    runs: list[RunOutcome]

    @property
    def raised(self) -> int:
        return sum(r.raised for r in self.runs)

    @property
    def cleared(self) -> int:
        return sum(r.cleared for r in self.runs)

    def as_dict(self) -> dict:
        return {"scope": self.scope, "days": self.days, "runs": [r.run.counts for r in self.runs]}


def reconciliation_run_window(*, now: datetime | None = None) -> WindowOutcome:
    """The periodic computation over the configured window of days up to today: IP's own
    sales are read for the window, then only the days whose inputs changed since the last
    run are rebuilt (``reconciliation.changes``); the whole window on the first run of a
    day, after a settings/rates/markets change, or when no run is on record."""

    now = now or timezone.now()
    config = reconciliation_settings()
    zone = brand_zone(config)
    today = now.astimezone(zone).date()
    start_day, end_day = today - timedelta(days=config.window_days), today
    ip_sales_read(start_day=start_day, end_day=end_day, now=now)
    runs = ReconciliationRun.objects.filter(finished_at__isnull=False).order_by("-started_at")
    last = runs.first()
    last_window = runs.filter(scope=ReconciliationRun.Scope.WINDOW).first()
    if (
        last is None
        or last_window is None
        or now - last_window.started_at >= FULL_EVERY
        or config_changed_since(last.started_at)
    ):
        outcome = reconciliation_compute(
            start_day=start_day, end_day=end_day, now=now, scope=ReconciliationRun.Scope.WINDOW
        )
        return WindowOutcome(
            ReconciliationRun.Scope.WINDOW, (end_day - start_day).days + 1, [outcome]
        )
    grace = timedelta(hours=config.grace_hours)
    days = {
        day
        for day in changed_days(
            since=last.started_at,
            taken_before=last.feed_taken_through,
            taken_now=feed_taken_through(),
            settled_before=(last.started_at - grace).astimezone(zone).date(),
            settled_now=(now - grace).astimezone(zone).date(),
            zone=zone,
        )
        if start_day <= day <= end_day
    }
    outcomes = [
        reconciliation_compute(
            start_day=first, end_day=last_day, now=now, scope=ReconciliationRun.Scope.CHANGED
        )
        for first, last_day in day_ranges(days)
    ]
    if not outcomes:  # nothing changed: on record all the same (freshness, next "since")
        ReconciliationRun.objects.create(
            scope=ReconciliationRun.Scope.CHANGED,
            started_at=now,
            finished_at=timezone.now(),
            period_start=today,
            period_end=today,
            feed_taken_through=feed_taken_through(),
            counts={"changed_days": 0},
        )
    return WindowOutcome(ReconciliationRun.Scope.CHANGED, len(days), outcomes)


def reconciliation_refresh(*, start_day: date, end_day: date, now: datetime | None = None):
    """Read IP's own daily sales for the days, then compute them. The read comes first and
    outside the computation's transaction (it is network I/O); its failure is recorded and
    the computation runs all the same."""
    ip_sales_read(start_day=start_day, end_day=end_day, now=now)
    return reconciliation_compute(start_day=start_day, end_day=end_day, now=now)

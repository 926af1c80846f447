"""A day's figures per SKU and slice: computed when the day is opened, kept until the day
is computed again.

They are not part of the computation: storing every day's SKU rows there doubled a month's
time (each line summed once more per day and SKU; docs/benchmarks.md, issue 16), while a
day is opened now and then, one day at a time. So the first opening of a day after its
latest computation (the latest ``ReconciliationRun`` whose period covers the day) computes
its SKU rows from the ledger and keeps them (``KeptDaySku``, stamped with that run), and the
next openings read them (summed per SKU by the database, with the page's filters). A
computation covering the day makes them stale: the next opening computes them anew, and an
older run's rows are never read. The month's computation does
not touch kept rows (it neither computes nor drops them).

The feed counts as taken through the watermark of the day's latest computation, as the
day's totals do; the ledger and the rates are read as they are at the first opening.
"""

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction

from reconciliation.compute import DAY_SKU_DIMS, day_sku_sides
from reconciliation.config import brand_zone, day_start, reconciliation_settings
from reconciliation.figures import DAY_FIGURES, MONEY_FIGURES
from reconciliation.models import KeptDaySku, ReconciliationRun
from reconciliation.sql import insert_joined, joined_rows, planner_settings

CENT = Decimal("0.01")


def day_run(day: date) -> ReconciliationRun | None:
    """The latest computation whose period covers ``day`` (None: never computed)."""
    runs = ReconciliationRun.objects.filter(period_start__lte=day, period_end__gte=day)
    return runs.order_by("-started_at", "-pk").first()


def day_sku_rows(day: date) -> list[dict]:
    """One day's figures per SKU and slice, computed now from the ledger (nothing kept); the
    feed taken through the watermark of the day's latest computation, or of the latest of
    all for a day never computed."""
    run = day_run(day) or ReconciliationRun.objects.order_by("-started_at", "-pk").first()
    with transaction.atomic():
        planner_settings()
        rows = joined_rows(DAY_SKU_DIMS, _sides(day, run), on=DAY_SKU_DIMS, figures=DAY_FIGURES)
    return _as_day_rows(day, rows)


def keep_day_skus(day: date) -> ReconciliationRun | None:
    """Make sure the day's SKU rows are kept for its latest computation, computing them now
    if they are not (the first opening since); that computation, whose ``KeptDaySku`` rows
    the day's page reads (None: the day was never computed, nothing is kept)."""
    run = day_run(day)
    if run is None:
        return None
    with transaction.atomic():
        # One keeper per run at a time: two first openings at once would both insert.
        ReconciliationRun.objects.select_for_update().filter(pk=run.pk).first()
        if not KeptDaySku.objects.filter(day=day, run=run).exists():
            KeptDaySku.objects.filter(day=day).delete()  # an older computation's, if any
            planner_settings()
            insert_joined(
                KeptDaySku,
                DAY_SKU_DIMS,
                _sides(day, run),
                same={"run_id": run.pk},
                on=DAY_SKU_DIMS,
                figures=DAY_FIGURES,
            )
    return run


def _sides(day: date, run: ReconciliationRun | None) -> list:
    zone = brand_zone(reconciliation_settings())
    start, end = day_start(day, zone), day_start(day + timedelta(days=1), zone)
    through = run.feed_taken_through if run else None
    return day_sku_sides(start=start, end=end, zone=zone, through=through)


def _as_day_rows(day: date, rows: list[dict]) -> list[dict]:
    """Money rounded to cents per row (half up, as the stored tables round)."""
    for row in rows:
        row["day"] = day  # one day's rows (SQLite returns it as text)
        for name in MONEY_FIGURES:
            row[name] = Decimal(str(row[name])).quantize(CENT, rounding=ROUND_HALF_UP)
    return rows

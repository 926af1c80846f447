"""A day's figures per SKU and slice: computed when the day is opened, kept until the day
is computed again.

They are not part of the computation: storing every day's SKU rows there doubled a month's
time (each line summed once more per day and SKU; docs/benchmarks.md, issue 16), while a
day is opened now and then, one day at a time. So the first opening of a day after its
latest computation (the latest ``ReconciliationRun`` whose period covers the day) computes
its SKU rows from the ledger and keeps them (``KeptDaySku``, stamped with that run), and the
next openings read them. A computation covering the day makes them stale: the next opening
computes them anew, and an older run's rows are never read. The month's computation does
not touch kept rows (it neither computes nor drops them).

The feed counts as taken through the watermark of the day's latest computation, as the
day's totals do; the ledger and the rates are read as they are at the first opening.
"""

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection, transaction

from reconciliation.compute import DAY_SKU_DIMS, day_sku_sides, planner_settings
from reconciliation.config import brand_zone, day_start, reconciliation_settings
from reconciliation.figures import DAY_FIGURES, MONEY_FIGURES
from reconciliation.models import KeptDaySku, ReconciliationRun
from reconciliation.sql import insert_joined, joined_rows

CENT = Decimal("0.01")


def day_run(day: date) -> ReconciliationRun | None:
    """The latest computation whose period covers ``day`` (None: never computed)."""
    runs = ReconciliationRun.objects.filter(period_start__lte=day, period_end__gte=day)
    return runs.order_by("-started_at", "-pk").first()


def day_sku_rows(day: date) -> list[dict]:
    """One day's figures per SKU and slice, computed now from the ledger (nothing kept)."""
    with transaction.atomic():
        planner_settings()
        rows = joined_rows(
            DAY_SKU_DIMS, _sides(day, day_run(day)), on=DAY_SKU_DIMS, figures=DAY_FIGURES
        )
    return _as_day_rows(day, rows)


def kept_day_sku_rows(day: date) -> list[dict]:
    """One day's figures per SKU and slice as the day's page shows them: kept since the first
    opening after the day's latest computation, else computed now and kept."""
    run = day_run(day)
    if run is None:  # never computed: no computation to keep them for
        return day_sku_rows(day)
    with transaction.atomic():
        # One keeper per run at a time: two first openings at once would both insert.
        ReconciliationRun.objects.select_for_update().filter(pk=run.pk).first()
        rows = _kept(day, run)
        if not rows:
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
            rows = _kept(day, run)
    return _as_day_rows(day, rows)


def _sides(day: date, run: ReconciliationRun | None) -> list:
    zone = brand_zone(reconciliation_settings())
    start, end = day_start(day, zone), day_start(day + timedelta(days=1), zone)
    through = run.feed_taken_through if run else None
    return day_sku_sides(start=start, end=end, zone=zone, through=through)


def _kept(day: date, run: ReconciliationRun) -> list[dict]:
    """The day's rows kept for ``run``, read as ``joined_rows`` reads computed ones (no field
    conversion, so both go through the same rounding)."""
    quote = connection.ops.quote_name
    names = [*DAY_SKU_DIMS, *DAY_FIGURES]
    columns = ", ".join(quote(name) for name in names)
    # Only quoted identifiers of our own model go in; the values are parameters.
    sql = (
        f"SELECT {columns} FROM {quote(KeptDaySku._meta.db_table)} "  # noqa: S608
        f"WHERE {quote('day')} = %s AND {quote('run_id')} = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [connection.ops.adapt_datefield_value(day), run.pk])
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _as_day_rows(day: date, rows: list[dict]) -> list[dict]:
    """Money rounded to cents per row (half up, as the stored tables round)."""
    for row in rows:
        row["day"] = day  # one day's rows (SQLite returns it as text)
        for name in MONEY_FIGURES:
            row[name] = Decimal(str(row[name])).quantize(CENT, rounding=ROUND_HALF_UP)
    return rows

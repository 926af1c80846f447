"""A day's SKU rows: computed at the first opening after the day's computation, kept for the
next openings, and never read once a later computation covers the day."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reconciliation.closing import month_close
from reconciliation.day_skus import day_sku_rows, keep_day_skus
from reconciliation.figures import DAY_FIGURES
from reconciliation.models import CloseAdjustment, KeptDaySku, ReconciliationRun
from reconciliation.reports import Filters
from reconciliation.selectors import day_skus
from reconciliation.services import reconciliation_compute
from syncs.models import OrderLine
from tests.reconciliation.conftest import at

DAY = date(2026, 3, 12)
APRIL = datetime(2026, 4, 10, 12, 0).astimezone()  # "now" for closing March


def compute(first=DAY, last=DAY, now=None):
    return reconciliation_compute(start_day=first, end_day=last, now=now)


def by_sku(rows) -> dict:
    return {(row["sku"], row["currency"]): row for row in rows}


def kept_day_sku_rows(day) -> list[dict]:
    """What the day's page reads: the rows kept for the day's latest computation."""
    run = keep_day_skus(day)
    kept = KeptDaySku.objects.filter(day=day, run=run)
    return list(kept.values("day", "sku", "currency", "channel", "market", "store", *DAY_FIGURES))


def inserts(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().startswith("INSERT")]


@pytest.fixture
def day(ledger):
    """12 March: two orders, two currencies, a cancellation and a return, all taken by IP."""
    ledger.order(
        11,
        at("2026-03-12 10:00"),
        ledger.line("a", qty=2, price="10.00", cancelled=1),
        ledger.line("b", qty=1, price="5.55", returned=1),
    )
    ledger.order(
        12, at("2026-03-12 11:00"), ledger.line("a", qty=3, price="333.33"), currency="SEK"
    )
    ledger.ip_takes_everything()
    compute()
    return ledger


def test_the_first_opening_keeps_the_rows_the_next_ones_read_them(day):
    computed = day_sku_rows(DAY)
    assert not KeptDaySku.objects.exists()  # computing alone keeps nothing

    with CaptureQueriesContext(connection) as first:
        run = keep_day_skus(DAY)
    assert run == ReconciliationRun.objects.get()
    assert inserts(first)
    assert set(KeptDaySku.objects.values_list("day", "run")) == {(DAY, run.pk)}

    with CaptureQueriesContext(connection) as second:
        assert keep_day_skus(DAY) == run
    assert not inserts(second)
    assert by_sku(kept_day_sku_rows(DAY)) == by_sku(computed)  # the same figures, to the cent
    assert KeptDaySku.objects.count() == len(computed) == 3


def test_a_computation_of_the_day_makes_its_kept_rows_stale(day):
    kept_day_sku_rows(DAY)
    # A late cancellation of one unit of SKU-A (order 12, SEK) in Centra.
    line = OrderLine.objects.get(order__number=12)
    line.quantity, line.cancelled_quantity = 2, 1
    line.save()
    compute()

    rows = by_sku(kept_day_sku_rows(DAY))
    assert rows[("SKU-A", "SEK")]["c_units_cancelled"] == 1  # never the figure kept before
    assert rows[("SKU-A", "SEK")]["c_cancelled_value"] == Decimal("333.33")
    assert rows == by_sku(day_sku_rows(DAY))
    latest = ReconciliationRun.objects.order_by("-started_at", "-pk").first()
    assert set(KeptDaySku.objects.values_list("run", flat=True)) == {latest.pk}


def test_a_computation_of_other_days_leaves_the_days_kept_rows(day):
    kept_day_sku_rows(DAY)
    kept = set(KeptDaySku.objects.values_list("pk", flat=True))
    compute(date(2026, 3, 13), date(2026, 3, 14))

    with CaptureQueriesContext(connection) as opening:
        keep_day_skus(DAY)
    assert not inserts(opening)
    assert set(KeptDaySku.objects.values_list("pk", flat=True)) == kept


def test_a_day_never_computed_is_computed_and_not_kept(ledger):
    ledger.order(13, at("2026-03-12 10:00"), ledger.line("a", qty=1, price="10.00"))
    assert keep_day_skus(DAY) is None
    [row] = day_skus(day=DAY, filters=Filters(), only_differences=False).rows
    assert (row["sku"], row["c_units_ordered"]) == ("SKU-A", 1)
    assert not KeptDaySku.objects.exists()


def test_the_days_page_sums_the_kept_rows_per_sku_with_its_filters(day):
    every = {
        row["sku"]: row for row in day_skus(day=DAY, filters=Filters(), only_differences=False).rows
    }
    sek = day_skus(day=DAY, filters=Filters(currency="SEK"), only_differences=False).rows
    assert KeptDaySku.objects.filter(day=DAY).count() == 3
    assert (every["SKU-A"]["c_units_ordered"], every["SKU-A"]["c_gross"]) == (
        6,
        Decimal("1029.99"),
    )
    assert [(row["sku"], row["c_units_ordered"]) for row in sek] == [("SKU-A", 3)]


def test_a_change_after_close_shows_on_the_day_the_close_stays(ledger, personas):
    ledger.order(11, at("2026-03-12 10:00"), ledger.line("a", qty=2, price="10.00", cancelled=1))
    ledger.ip_takes_everything()
    compute(date(2026, 3, 1), date(2026, 3, 31), now=APRIL)
    record = month_close(month=date(2026, 3, 1), actor=personas["finance"], now=APRIL)
    before = by_sku(kept_day_sku_rows(DAY))[("SKU-A", "EUR")]
    line = OrderLine.objects.get(order__number=11, ip_sku="SKU-A")
    line.quantity, line.cancelled_quantity = 1, 2  # one more unit cancelled after close
    line.save()
    compute(date(2026, 3, 1), date(2026, 3, 31), now=APRIL)

    after = by_sku(kept_day_sku_rows(DAY))[("SKU-A", "EUR")]
    assert (before["c_units_cancelled"], after["c_units_cancelled"]) == (1, 2)
    adjustment = CloseAdjustment.objects.get()
    assert (adjustment.order_number, adjustment.cause) == ("11", "cancelled after close")
    totals = dict(record.totals)
    record.refresh_from_db()
    assert record.totals == totals  # the totals at close never move

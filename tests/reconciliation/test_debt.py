"""Reconciliation debt: open discrepancies now (count, value, age) and over 30 days."""

from datetime import date, datetime, timedelta
from decimal import Decimal

from reconciliation.debt import debt_now, debt_trend
from reconciliation.models import Discrepancy
from tests.reconciliation.conftest import STOCKHOLM

NOW = datetime(2026, 4, 30, 12, 0, tzinfo=STOCKHOLM)


def discrepancy(number, *, day, seen, value, cleared=None, explained=None, status="open"):
    return Discrepancy.objects.create(
        order_number=str(number),
        day=day,
        currency="EUR",
        kinds="untaken",
        c_units=1,
        h_units=0,
        c_units_returned=0,
        h_units_returned=0,
        c_value=Decimal(value or 0),
        h_value=Decimal(0),
        value_diff_base=None if value is None else Decimal(value),
        status=status,
        first_seen_at=seen,
        last_seen_at=seen,
        cleared_at=cleared,
        explained_at=explained,
    )


def test_debt_now_counts_open_discrepancies_their_value_and_age(ledger):
    discrepancy(1, day=date(2026, 4, 29), seen=NOW, value="10.00")
    discrepancy(2, day=date(2026, 4, 25), seen=NOW, value="-4.50")  # absolute value counts
    discrepancy(3, day=date(2026, 3, 1), seen=NOW, value=None)  # no rate: counted apart
    discrepancy(4, day=date(2026, 4, 1), seen=NOW, value="99.00", status="explained")
    discrepancy(5, day=date(2026, 4, 1), seen=NOW, value="99.00", status="cleared")
    debt = debt_now(now=NOW)
    assert (debt.count, debt.value, debt.unconverted, debt.oldest_days) == (
        3,
        Decimal("14.50"),
        1,
        60,
    )
    assert debt.buckets == {"0-2 days": 1, "3-7 days": 1, "8-30 days": 0, "over 30 days": 1}


def test_the_trend_rebuilds_each_days_open_debt_from_the_history(ledger):
    day = timedelta(days=1)
    discrepancy(1, day=date(2026, 4, 1), seen=NOW - 10 * day, value="10.00")
    discrepancy(
        2,
        day=date(2026, 4, 1),
        seen=NOW - 5 * day,
        value="5.00",
        cleared=NOW - 2 * day,
        status="cleared",
    )
    discrepancy(
        3,
        day=date(2026, 4, 1),
        seen=NOW - 3 * day,
        value="1.00",
        explained=NOW - 1 * day,
        status="explained",
    )
    trend = debt_trend(now=NOW)
    assert len(trend) == 30
    assert trend[-1]["day"] == date(2026, 4, 30)
    by_day = {point["day"]: (point["count"], point["value"]) for point in trend}
    assert by_day[date(2026, 4, 19)] == (0, Decimal(0))
    assert by_day[date(2026, 4, 20)] == (1, Decimal("10.00"))
    assert by_day[date(2026, 4, 25)] == (2, Decimal("15.00"))
    assert by_day[date(2026, 4, 27)] == (3, Decimal("16.00"))
    assert by_day[date(2026, 4, 28)] == (2, Decimal("11.00"))  # 2 cleared on the 28th
    assert by_day[date(2026, 4, 29)] == (1, Decimal("10.00"))  # 3 explained on the 29th
    assert by_day[date(2026, 4, 30)] == (1, Decimal("10.00"))


def test_the_landing_page_shows_the_debt_and_its_trend(ledger, client_for):
    discrepancy(1, day=date(2026, 4, 1), seen=NOW, value="10.00")
    response = client_for("finance").get("/reconciliation/")
    assert response.context["debt"].count == 1
    assert len(response.context["trend"]) == 30
    assert b'id="debt-trend"' in response.content
    assert b"chart-4.6.1.umd.min.js" in response.content

"""Which brand-local days need recomputing: the days whose inputs changed since the last run.

The hourly computation rebuilds only these (a month of a million lines takes about 15 s of
database time to rebuild whole; a changed day about half a second). A day's computed rows
depend on:

- its orders and their lines (``Order.updated_at``, ``Order.finance_read_at``,
  ``OrderLine.changed_at``);
- feed rows on the day or of its orders (``SalesFeedRow.changed_at``), and whether IP has
  taken them: rows changed between the last run's and this run's "taken through" watermark
  are taken now;
- the returns flow on Centra's return date (a return seen, its state, a receipt or QC, a
  confirmed stock-in, Centra's refund figures, ``ExpectedReturn.centra_figures_at``), which
  also touches its order's day (the refund figures sit on the order lines);
- the grace period: a day that became settled since the last run is judged now.

Every timestamp is compared with the last run's start less a margin, so a change committed
by a transaction still open when that run read the ledger is not missed. Settings, rates
and markets are not per day: a change to them (audited, ``ConfigChange``; the Django admin
shows them read-only) rebuilds the whole window, and so does the first run of each day (a
safety net: the window's first day moves, and anything a timestamp does not show is caught).
"""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Q
from django.db.models.functions import TruncDate

from returns.models import ExpectedReturn
from syncs.models import ConfigChange, Order, OrderLine, SalesFeedRow

MARGIN = timedelta(minutes=15)
CONFIG_AREAS = ("reconciliation_settings", "currency_rate", "centra_market")


def config_changed_since(since: datetime) -> bool:
    return ConfigChange.objects.filter(area__in=CONFIG_AREAS, at__gte=since).exists()


def _days(queryset, *fields: str, zone: ZoneInfo) -> set[date]:
    days: set[date] = set()
    for name in fields:
        days |= set(
            queryset.order_by()
            .annotate(changed_day=TruncDate(name, tzinfo=zone))
            .values_list("changed_day", flat=True)
            .distinct()
        )
    return days - {None}


def _order_days(numbers: set[str], zone: ZoneInfo) -> set[date]:
    digits = [int(n) for n in numbers if n.isdigit()]
    return _days(Order.objects.filter(number__in=digits), "order_date", zone=zone)


def changed_days(
    *,
    since: datetime,
    taken_before: datetime | None,
    taken_now: datetime | None,
    settled_before: date,
    settled_now: date,
    zone: ZoneInfo,
) -> set[date]:
    """Days whose inputs changed at or after ``since - MARGIN`` (see the module doc)."""
    since = since - MARGIN
    days = _days(
        Order.objects.filter(Q(updated_at__gte=since) | Q(finance_read_at__gte=since)),
        "order_date",
        zone=zone,
    )
    days |= _days(OrderLine.objects.filter(changed_at__gte=since), "order__order_date", zone=zone)
    feed = Q(changed_at__gte=since)
    if taken_now and taken_now != taken_before:
        newly_taken = Q(changed_at__lte=taken_now)
        if taken_before:
            newly_taken &= Q(changed_at__gt=taken_before)
        feed |= newly_taken
    days |= _days(SalesFeedRow.objects.filter(feed), "date", "order__order_date", zone=zone)
    returns = ExpectedReturn.objects.filter(
        Q(first_seen_at__gte=since)
        | Q(state_changed_at__gte=since)
        | Q(centra_figures_at__gte=since)
        | Q(lines__received_at__gte=since)
        | Q(lines__qc_at__gte=since)
        | Q(lines__stock_in__confirmed_at__gte=since)
    ).distinct()
    days |= _days(returns, "centra_created_at", zone=zone)
    days |= _order_days(set(returns.values_list("order_number", flat=True)), zone)
    day = settled_before
    while day < settled_now:  # became settled: judged for the first time
        days.add(day)
        day += timedelta(days=1)
    return days


def day_ranges(days: set[date]) -> list[tuple[date, date]]:
    """Sorted days as ``(first, last)`` runs of consecutive days."""
    ranges: list[tuple[date, date]] = []
    for day in sorted(days):
        if ranges and day == ranges[-1][1] + timedelta(days=1):
            ranges[-1] = (ranges[-1][0], day)
        else:
            ranges.append((day, day))
    return ranges

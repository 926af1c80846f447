"""IP's own daily sales (``orders_by_day``): read into ``IpDailySales`` for the window,
and compared on the screens with what the feed says IP took (a check beside the
reconciliation: it raises no ticket, see ``docs/reconciliation.md``)."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from reconciliation.config import reconciliation_settings
from reconciliation.models import IpDailySales, IpSalesRead
from syncs.clients import inventory_planner_client
from syncs.connectors.base import ConnectorError, RetryPolicy

# One retry only: the read runs every hour, and a failed one just shows "not read" until
# the next, so waiting out a long outage here would only hold up the computation.
IP_SALES_RETRY = RetryPolicy(max_retries=1)
IP_SALES_FIELDS = ["sku", "orders_by_day"]


def ip_sales_read(*, start_day: date, end_day: date, now: datetime | None = None) -> IpSalesRead:
    """Store IP's own units per day and SKU (``orders_by_day``) for ``start_day..end_day``.

    Every variant is read with the two fields only (one page per 1,000 variants). The days
    are taken as IP dates them (see ``docs/reconciliation.md``). The window's earlier rows
    are replaced either way: after a failed read the days are "not read", not stale.
    """
    started_at = now or timezone.now()
    units: dict[tuple[date, str], int] = {}
    variants, error = 0, ""
    try:
        with inventory_planner_client(retry=IP_SALES_RETRY) as ip:
            for variant in ip.iter_variants(fields=IP_SALES_FIELDS):
                variants += 1
                for day, sold in (variant.orders_by_day or {}).items():
                    if variant.sku and start_day <= day <= end_day:
                        key = (day, variant.sku)
                        units[key] = units.get(key, 0) + round(sold)
    except ConnectorError as exc:
        error = f"{type(exc).__name__}: {exc}"[:1000]
    with transaction.atomic():
        IpDailySales.objects.filter(day__gte=start_day, day__lte=end_day).delete()
        if not error:
            IpDailySales.objects.bulk_create(
                (IpDailySales(day=day, sku=sku, units=n) for (day, sku), n in units.items()),
                batch_size=5000,
            )
        return IpSalesRead.objects.create(
            started_at=started_at,
            finished_at=timezone.now(),
            period_start=start_day,
            period_end=end_day,
            ok=not error,
            error=error,
            variants=variants,
            rows=0 if error else len(units),
        )


NOT_READ = "not read"
FILTERED = "n/a (filtered)"


@dataclass(frozen=True)
class IpSales:
    """IP's own units for some days (per day, or per SKU of one day) and which days were
    read: a day whose latest read failed, or that no read covered, is "not read"."""

    units: dict
    read: set[date]
    filtered: bool  # IP's figure has no currency or channel: it compares only unfiltered
    tolerance: int

    def compare(self, row: dict, day: date, key) -> dict:
        if self.filtered or day not in self.read:
            row["ip_units"], row["ip_diff"] = (FILTERED if self.filtered else NOT_READ), ""
            row["ip_differs"] = False
        else:
            row["ip_units"] = self.units.get(key, 0)
            row["ip_diff"] = row["ip_units"] - row["h_units_net_taken"]
            row["ip_differs"] = abs(row["ip_diff"]) > self.tolerance
        return row


def _ip_days_read(first: date, last: date) -> set[date]:
    """Days of ``first..last`` whose latest covering read succeeded (newest reads first,
    stopping once every day is decided)."""
    decided: dict[date, bool] = {}
    wanted = (last - first).days + 1
    reads = (
        IpSalesRead.objects.filter(period_start__lte=last, period_end__gte=first)
        .order_by("-started_at", "-pk")
        .values_list("period_start", "period_end", "ok")
    )
    for start, end, ok in reads.iterator():
        day = max(start, first)
        while day <= min(end, last):
            decided.setdefault(day, ok)
            day += timedelta(days=1)
        if len(decided) == wanted:
            break
    return {day for day, ok in decided.items() if ok}


def ip_sales(first: date, last: date, *, filtered: bool, by_sku: bool) -> IpSales:
    """IP's own units for ``first..last``; ``filtered``: a filter is on (IP's figure has
    no slices, so it is then not compared)."""
    rows = IpDailySales.objects.filter(day__gte=first, day__lte=last).order_by()
    if by_sku:
        units = dict(rows.values_list("sku", "units"))
    else:
        units = dict(rows.values("day").annotate(n=Sum("units")).values_list("day", "n"))
    return IpSales(
        units=units,
        read=_ip_days_read(first, last),
        filtered=filtered,
        tolerance=reconciliation_settings().unit_tolerance,
    )

"""Reconciliation debt (the open discrepancies: how many, their value, their age, and
the trend) and how fresh each source the reconciliation reads is."""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, Min, Q, Sum
from django.db.models.functions import Abs, Coalesce
from django.utils import timezone

from reconciliation.config import brand_zone, reconciliation_settings
from reconciliation.figures import MONEY
from reconciliation.ip_sales import NOT_READ
from reconciliation.models import Discrepancy, IpSalesRead, ReconciliationRun
from syncs.models import FeedDelivery
from syncs.services import stream_last_successes
from syncs.streams import ORDERS, RETURNS


@dataclass(frozen=True)
class Debt:
    count: int
    value: Decimal
    unconverted: int  # open discrepancies with no base-currency rate
    oldest_days: int | None
    buckets: dict[str, int]


AGE_BUCKETS = (
    ("0-2 days", 0, 3),
    ("3-7 days", 3, 8),
    ("8-30 days", 8, 31),
    ("over 30 days", 31, None),
)


def debt_now(*, now: datetime | None = None) -> Debt:
    """Open discrepancies: how many, their absolute base-currency value, their age by the
    order's day (what finance settles on), in one query."""
    now = now or timezone.now()
    today = now.astimezone(brand_zone(reconciliation_settings())).date()
    aggregates = {
        "count": Count("pk"),
        "value": Coalesce(Sum(Abs("value_diff_base")), Decimal(0), output_field=MONEY),
        "unconverted": Count("pk", filter=Q(value_diff_base__isnull=True)),
        "oldest": Min("day"),
    }
    for index, (_, low, high) in enumerate(AGE_BUCKETS):
        q = Q(day__lte=today - timedelta(days=low))
        if high is not None:
            q &= Q(day__gt=today - timedelta(days=high))
        aggregates[f"age{index}"] = Count("pk", filter=q)
    row = Discrepancy.objects.filter(status=Discrepancy.Status.OPEN).aggregate(**aggregates)
    return Debt(
        count=row["count"],
        value=row["value"],
        unconverted=row["unconverted"],
        oldest_days=(today - row["oldest"]).days if row["oldest"] else None,
        buckets={label: row[f"age{index}"] for index, (label, _, _) in enumerate(AGE_BUCKETS)},
    )


def debt_trend(*, now: datetime | None = None, days: int = 30) -> list[dict]:
    """Open debt at the end of each of the last ``days`` days, rebuilt from the discrepancies'
    own timestamps (seen, cleared, explained) in one query; no snapshots to keep."""
    now = now or timezone.now()
    zone = brand_zone(reconciliation_settings())
    today = now.astimezone(zone).date()
    ends = [
        datetime.combine(today - timedelta(days=n), time.min, tzinfo=zone) + timedelta(days=1)
        for n in range(days - 1, -1, -1)
    ]
    aggregates = {}
    for index, end in enumerate(ends):
        open_then = (
            Q(first_seen_at__lt=end)
            & (Q(cleared_at__isnull=True) | Q(cleared_at__gte=end))
            & (Q(explained_at__isnull=True) | Q(explained_at__gte=end))
        )
        aggregates[f"n{index}"] = Count("pk", filter=open_then)
        aggregates[f"v{index}"] = Sum(Abs("value_diff_base"), filter=open_then)
    row = Discrepancy.objects.aggregate(**aggregates)
    return [
        {
            "day": (end - timedelta(days=1)).date(),
            "count": row[f"n{index}"],
            "value": row[f"v{index}"] or Decimal(0),
        }
        for index, end in enumerate(ends)
    ]


@dataclass(frozen=True)
class Freshness:
    source: str
    at: datetime | None
    note: str


def freshness() -> list[Freshness]:
    """How old each source's data is: Centra orders, IP's last fetch, returns, the computation."""
    last = stream_last_successes()
    fetch = (
        FeedDelivery.objects.filter(status=FeedDelivery.Status.COMPLETE)
        .order_by("-served_through")
        .values("finished_at", "served_through")
        .first()
    )
    ip_read = IpSalesRead.objects.order_by("-started_at", "-pk").first()
    ip_ok = IpSalesRead.objects.filter(ok=True).order_by("-started_at", "-pk").first()
    if ip_read is None:
        ip_note = "never read"
    elif ip_read.ok:
        ip_note = (
            f"last read of IP's orders_by_day ({ip_read.period_start} to {ip_read.period_end})"
        )
    else:
        ip_note = (
            f"the last read failed at {timezone.localtime(ip_read.finished_at):%Y-%m-%d %H:%M}"
            f' ({ip_read.error}); its days show IP\'s own sales as "{NOT_READ}"'
        )
    runs = ReconciliationRun.objects.filter(finished_at__isnull=False)
    run = runs.order_by("-started_at").first()
    return [
        Freshness("Centra orders", last.get(ORDERS), "last successful orders sync"),
        Freshness(
            "IP feed",
            fetch["finished_at"] if fetch else None,
            "last complete fetch of the sales feed by IP",
        ),
        Freshness("IP's own sales", ip_ok.finished_at if ip_ok else None, ip_note),
        Freshness("Returns", last.get(RETURNS), "last successful returns sync"),
        Freshness(
            "Reconciliation",
            run.finished_at if run else None,
            _run_note(run),
        ),
    ]


def _run_note(run) -> str:
    if run is None:
        return "never run"
    if run.scope == ReconciliationRun.Scope.CHANGED and run.counts.get("changed_days") == 0:
        return "last check: no input changed since the computation before"
    scope = run.get_scope_display().lower()
    return f"last computation ({run.period_start} to {run.period_end}, {scope})"

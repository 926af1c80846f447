"""Reads for the stock screens: the oversell window per lane, a push's blast radius and
timings, and one SKU's ATS explained from the inputs the last cycle read."""

from datetime import timedelta

from django.utils import timezone

from syncs.models import StockPosition, StockPush, StockPushLine, StockSettings
from syncs.stock.ats import ats_compute
from syncs.stock.config import warehouse_map_load
from syncs.stock.ledger import status_quantities
from syncs.stock.plan import position_input
from syncs.stock.push import lane_for
from syncs.stock.rules import rulebook_load

WINDOW_PERIOD = timedelta(hours=24)


def stock_overview() -> dict:
    """The stock page's figures besides its run history."""
    return {
        "held": StockPush.objects.filter(status=StockPush.Status.HELD),
        "previews": StockPush.objects.filter(status=StockPush.Status.PREVIEW)[:5],
        "positions": StockPosition.objects.count(),
        "window": oversell_window_rows(since=timezone.now() - WINDOW_PERIOD),
    }


def oversell_window_rows(*, since) -> list[dict]:
    """Per lane, over the pushes sent since ``since``: the seconds from IP read to Centra
    write, as each run measured them (``counts.read_to_write``): the latest run's p95, the
    worst run's p95 and the slowest line. A run recorded before the p95 was kept counts
    with its slowest line, which is never below its p95."""
    runs = StockPush.objects.filter(status=StockPush.Status.SENT, created_at__gte=since)
    by_lane: dict[str, list[dict]] = {}
    for figures in runs.order_by("-pk").values_list("counts__read_to_write", flat=True):
        for lane, figure in (figures or {}).items():
            by_lane.setdefault(lane, []).append(figure)
    rows = []
    for lane in StockPushLine.Lane.values:
        figures = by_lane.get(lane)
        if not figures:
            continue
        p95 = [figure.get("p95", figure["max"]) for figure in figures]
        rows.append(
            {
                "lane": StockPushLine.Lane(lane).label,
                "runs": len(figures),
                "lines": sum(figure["lines"] for figure in figures),
                "latest_p95": p95[0],
                "worst_p95": max(p95),
                "max": max(figure["max"] for figure in figures),
            }
        )
    return rows


def push_blast(stock_push: StockPush) -> dict:
    """What a push would change: lines, lines to zero, per lane, warehouses, and what the
    rest lane held back from it."""
    lines = stock_push.lines.all()
    return {
        "total": lines.count(),
        "to_zero": lines.filter(quantity=0).count(),
        "by_lane": {
            StockPushLine.Lane(lane).label: lines.filter(lane=lane).count()
            for lane in StockPushLine.Lane.values
        },
        "warehouses": sorted(set(lines.values_list("centra_warehouse_id", flat=True))),
        **_deferred(stock_push),
    }


def _deferred(stock_push: StockPush) -> dict:
    """How many changes the rest lane held back from this push, and when it sends next: a
    dry run must not hide them (review problem 11)."""
    deferred = (stock_push.counts or {}).get("deferred") or 0
    if not deferred:
        return {"deferred": 0}
    settings = StockSettings.load()
    return {
        "deferred": deferred,
        "rest_minutes": settings.rest_lane_minutes,
        "rest_next": _rest_lane_next(settings)["when"],
    }


def read_to_write_rows(stock_push: StockPush) -> list[dict]:
    """The push's per-lane seconds from IP read to Centra write, in sending order."""
    figures = (stock_push.counts or {}).get("read_to_write") or {}
    return [
        {"lane": StockPushLine.Lane(lane).label, **figures[lane]}
        for lane in StockPushLine.Lane.values
        if lane in figures
    ]


def sku_explained(sku: str) -> list[dict]:
    """on hand - each status - allocations - safety stock = ATS, per Centra warehouse, from
    the inputs the last cycle read and the rules as they are now, with when a change
    Centra does not have yet will be sent."""
    book = rulebook_load()
    statuses = status_quantities(warehouse_map_load())
    settings = StockSettings.load()
    explained = []
    for position in StockPosition.objects.filter(sku=sku):
        item = position_input(position, statuses.get((sku, position.centra_warehouse_id), {}))
        ats = ats_compute(item, book)
        explained.append(
            {"position": position, "ats": ats, "pending": _pending(position, ats, settings)}
        )
    return explained


def sku_push_history(sku: str, *, limit: int = 50):
    return (
        StockPushLine.objects.filter(sku=sku)
        .select_related("push")
        .order_by("-push__created_at", "-pk")[:limit]
    )


def _pending(position, ats, settings) -> dict | None:
    """When an ATS Centra does not have yet will be sent: a priority lane goes with the next
    cycle, the rest lane at most every ``rest_lane_minutes`` (review problem 11)."""
    if position.last_pushed == ats.quantity:
        return None
    lane = lane_for(
        quantity=ats.quantity,
        previous=position.last_pushed,
        velocity=position.velocity,
        low=settings.low_stock_units,
        fast=float(settings.high_velocity_per_day),
    )
    if lane != StockPushLine.Lane.REST:
        return {"lane": StockPushLine.Lane(lane).label, "when": None}
    return {"lane": StockPushLine.Lane(lane).label, **_rest_lane_next(settings)}


def _rest_lane_next(settings) -> dict:
    last = (
        StockPushLine.objects.filter(lane=StockPushLine.Lane.REST, sent_at__isnull=False)
        .order_by("-sent_at")
        .values_list("sent_at", flat=True)
        .first()
    )
    return {"when": last + timedelta(minutes=settings.rest_lane_minutes) if last else None}

"""The stock room: run history, dry-run preview, held pushes and the ATS explainer."""

from datetime import timedelta

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from centra_ip.permissions import RUN_SYNCS, VIEW_SYNCS, requires
from syncs.models import StockPosition, StockPush, StockPushLine, StockSettings, SyncRun
from syncs.runner import sync_run_stream
from syncs.stock import held
from syncs.stock.ats import ats_compute
from syncs.stock.push import lane_for
from syncs.stock.rules import rulebook_load
from syncs.stock.services import position_input, status_quantities, warehouse_map_load
from syncs.stock.tables import PushLineTable
from syncs.tables import SyncRunTable


@require_GET
@requires(VIEW_SYNCS)
def index(request):
    table = SyncRunTable(SyncRun.objects.filter(stream="stock"), stream="stock")
    table.configure(request)
    return render(
        request,
        "syncs/stock/index.html",
        {
            "table": table,
            "held": StockPush.objects.filter(status=StockPush.Status.HELD),
            "previews": StockPush.objects.filter(status=StockPush.Status.PREVIEW)[:5],
            "positions": StockPosition.objects.count(),
            "window": oversell_window_rows(since=timezone.now() - WINDOW_PERIOD),
        },
    )


WINDOW_PERIOD = timedelta(hours=24)


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


@require_POST
@requires(RUN_SYNCS)
def dry_run(request):
    """A dry run; ``full`` includes the changes the rest lane would defer (review 11)."""
    full = request.POST.get("full") == "1"
    run = sync_run_stream(stream="stock", trigger=SyncRun.Trigger.SCREEN, dry_run=True, full=full)
    preview = run.pushes.filter(status=StockPush.Status.PREVIEW).first()
    if preview is None:
        messages.error(request, f"The dry run did not finish: {run.summary}")
        return redirect("syncs:stock")
    return redirect("syncs:stock_push", pk=preview.pk)


def _deferred(stock_push) -> dict:
    """How many changes the rest lane held back from this push, and when it sends next: a
    dry run must not hide them (review problem 11)."""
    deferred = (stock_push.counts or {}).get("deferred") or 0
    if not deferred:
        return {"deferred": 0}
    settings = StockSettings.load()
    return {
        "deferred": deferred,
        "rest_minutes": settings.rest_lane_minutes,
        "rest_next": _deferred_until(settings)["when"],
    }


@require_GET
@requires(VIEW_SYNCS)
def push_detail(request, pk: int):
    stock_push = get_object_or_404(StockPush.objects.select_related("run", "decided_by"), pk=pk)
    lines = stock_push.lines.all()
    table = PushLineTable(lines)
    table.configure(request)
    blast = {
        "total": lines.count(),
        "to_zero": lines.filter(quantity=0).count(),
        "by_lane": {
            StockPushLine.Lane(lane).label: lines.filter(lane=lane).count()
            for lane in StockPushLine.Lane.values
        },
        "warehouses": sorted(set(lines.values_list("centra_warehouse_id", flat=True))),
        **_deferred(stock_push),
    }
    return render(
        request,
        "syncs/stock/push.html",
        {
            "push": stock_push,
            "table": table,
            "blast": blast,
            "read_to_write": read_to_write_rows(stock_push),
        },
    )


def read_to_write_rows(stock_push: StockPush) -> list[dict]:
    """The push's per-lane seconds from IP read to Centra write, in sending order."""
    figures = (stock_push.counts or {}).get("read_to_write") or {}
    return [
        {"lane": StockPushLine.Lane(lane).label, **figures[lane]}
        for lane in StockPushLine.Lane.values
        if lane in figures
    ]


@require_POST
@requires(RUN_SYNCS)
def push_release(request, pk: int):
    stock_push = get_object_or_404(StockPush, pk=pk)
    try:
        outcome = held.stock_push_release(
            stock_push=stock_push,
            actor=request.user,
            confirmation=request.POST.get("confirm", ""),
        )
    except held.PushStateError as error:
        messages.error(request, str(error))
    else:
        if outcome is None:
            messages.success(request, "Released: the lines are being sent in the background.")
        else:
            messages.success(
                request,
                f"Released: {outcome.accepted} accepted, {outcome.rejected} rejected in "
                f"{outcome.mutations} mutations.",
            )
    return redirect("syncs:stock_push", pk=pk)


@require_POST
@requires(RUN_SYNCS)
def push_discard(request, pk: int):
    stock_push = get_object_or_404(StockPush, pk=pk)
    try:
        held.stock_push_discard(stock_push=stock_push, actor=request.user)
    except held.PushStateError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Discarded: nothing was sent.")
    return redirect("syncs:stock_push", pk=pk)


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
    return {"lane": StockPushLine.Lane(lane).label, **_deferred_until(settings)}


def _deferred_until(settings) -> dict:
    last = (
        StockPushLine.objects.filter(lane=StockPushLine.Lane.REST, sent_at__isnull=False)
        .order_by("-sent_at")
        .values_list("sent_at", flat=True)
        .first()
    )
    return {"when": last + timedelta(minutes=settings.rest_lane_minutes) if last else None}


@require_GET
@requires(VIEW_SYNCS)
def sku_explain(request, sku: str):
    """on hand - each status - allocations - safety stock = ATS, per Centra warehouse, from
    the inputs the last cycle read and the rules as they are now; and the push history."""
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
    history = (
        StockPushLine.objects.filter(sku=sku)
        .select_related("push")
        .order_by("-push__created_at", "-pk")[:50]
    )
    return render(
        request,
        "syncs/stock/sku.html",
        {"sku": sku, "explained": explained, "history": history},
    )

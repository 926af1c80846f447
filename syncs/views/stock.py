"""The stock room: run history, dry-run preview, held pushes and the ATS explainer."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from centra_ip.permissions import RUN_SYNCS, VIEW_SYNCS, requires
from syncs.models import StockPush, SyncRun
from syncs.runner import sync_run_stream
from syncs.stock import held
from syncs.stock.selectors import (
    push_blast,
    read_to_write_rows,
    sku_explained,
    sku_push_history,
    stock_overview,
)
from syncs.stock.tables import PushLineTable
from syncs.tables import SyncRunTable


@require_GET
@requires(VIEW_SYNCS)
def index(request):
    table = SyncRunTable(SyncRun.objects.filter(stream="stock"), stream="stock")
    table.configure(request)
    return render(request, "syncs/stock/index.html", {"table": table, **stock_overview()})


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


@require_GET
@requires(VIEW_SYNCS)
def push_detail(request, pk: int):
    stock_push = get_object_or_404(StockPush.objects.select_related("run", "decided_by"), pk=pk)
    table = PushLineTable(stock_push.lines.all())
    table.configure(request)
    return render(
        request,
        "syncs/stock/push.html",
        {
            "push": stock_push,
            "table": table,
            "blast": push_blast(stock_push),
            "read_to_write": read_to_write_rows(stock_push),
        },
    )


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


@require_GET
@requires(VIEW_SYNCS)
def sku_explain(request, sku: str):
    """on hand - each status - allocations - safety stock = ATS, per Centra warehouse, from
    the inputs the last cycle read and the rules as they are now; and the push history."""
    return render(
        request,
        "syncs/stock/sku.html",
        {"sku": sku, "explained": sku_explained(sku), "history": sku_push_history(sku)},
    )

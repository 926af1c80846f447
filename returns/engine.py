"""The ``returns`` stream: Centra returns in, stock-ins pushed on, overdue returns flagged.

Each run reads the returns Centra created within the horizon (returns are few, and a return
changes after creation only by completing, so re-reading the window is cheap and catches
completions without a cursor), stores them idempotently, maps parked lines, re-runs stock-ins
whose task was lost or whose confirmation is still due, and raises or clears the overdue
tickets. Per-item problems become tickets and the run goes on; only a failed Centra read
escapes (the runner turns it into an API ticket).
"""

from django.utils import timezone

from exceptions.services import tickets_clear_many
from returns.config import returns_config
from returns.intake import returns_overdue_check, returns_raise_many, returns_store
from returns.models import ExpectedReturn
from returns.stock_in import stock_in_run, stock_ins_due
from returns.timeline import SOURCE
from syncs.clients import centra_client
from syncs.engines import EngineResult
from syncs.orders.services import SkuIndex


def returns_engine(*, run, dry_run: bool, full: bool) -> EngineResult:

    config = returns_config()
    horizon = config.horizon * (12 if full else 1)
    with centra_client(sync_run=run) as client:
        returns = list(client.iter_returns(created_from=timezone.now() - horizon))
    if dry_run:
        known = set(
            ExpectedReturn.objects.filter(centra_id__in=[r.id for r in returns]).values_list(
                "centra_id", flat=True
            )
        )
        new = sum(1 for r in returns if r.id not in known)
        return EngineResult(
            summary=f"dry run: {len(returns)} returns read, {new} would be new",
            counts={"returns_read": len(returns), "returns_new": new},
        )
    counts = returns_store(returns=returns, skus=SkuIndex.load(), ip_warehouse=config.ip_warehouse)
    returns_raise_many(counts.parked)
    tickets_clear_many(counts.mapped, source=SOURCE, note="The SKU is mapped now.")
    stock_ins = [stock_in_run(stock_in_id=pk, trigger="engine") for pk in stock_ins_due()]
    confirmed = sum(1 for s in stock_ins if s.state == "confirmed")
    overdue = returns_overdue_check()
    returns_raise_many(overdue)
    result = counts.as_dict() | {
        "returns_read": len(returns),
        "stock_ins_run": len(stock_ins),
        "stock_ins_confirmed": confirmed,
        "overdue": len(overdue),
    }
    return EngineResult(
        summary=f"{len(returns)} returns read, {counts.returns_new} new, "
        f"{counts.lines_parked} lines parked, {confirmed}/{len(stock_ins)} stock-ins confirmed, "
        f"{len(overdue)} overdue",
        counts=result,
    )

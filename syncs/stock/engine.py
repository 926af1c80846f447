"""The stock engine: IP stock in, ATS per SKU and Centra warehouse out, pushed when changed.

One cycle (``sync stock [--dry-run] [--full]``):

1. read IP variants with a narrow ``fields=`` (``reads``); a failed read raises before
   anything is planned, so nothing is sent (fail closed) and a ``push_held`` ticket says why;
2. resolve the warehouse map (automatic when each side has exactly one warehouse);
3. for every mapped SKU (``SkuMapping``) and Centra warehouse, compute ATS with the pure
   formula (``ats.ats_compute``, through ``plan.positions_compute``) from on hand, the
   status ledger, allocations and safety stock; a position read with the inputs stored
   for it, under the rules its ATS was computed with (``basis``), keeps that ATS;
4. plan a line where ATS differs from what we last pushed, or from what Centra showed
   when last read (or every line with ``--full``), in priority lanes (``plan``);
5. the guard looks at the plan; a plan that looks wrong is held whole (ticket, held-push
   page); a dry run stores the plan as a preview and stops (``store``);
6. push (``push.push_send``, with the zero watch), then read Centra back for drift
   (``drift.drift_check``).
"""

from django.utils import timezone

from syncs.clients import centra_client, inventory_planner_client
from syncs.connectors.base import Clock
from syncs.connectors.centra import CentraLimits, Pacer
from syncs.engines import EngineResult
from syncs.models import StockPush, StockSettings
from syncs.stock import drift, push, reads, store, tickets
from syncs.stock.guard import guard_reasons, thresholds
from syncs.stock.heap import without_collector
from syncs.stock.plan import (
    dry_run_summary,
    guard_input,
    plan_counts,
    plan_lines,
    positions_compute,
    read_to_write,
)
from syncs.stock.rules import rulebook_load
from syncs.stock.watch import ZeroWatch

_PACER: Pacer | None = None


def shared_pacer() -> Pacer:
    """One pacer per process for every stock cycle: Centra's buckets outlive a cycle, so the
    next cycle must not assume them full after the last one's push and read-back."""
    global _PACER
    if _PACER is None:
        _PACER = Pacer(CentraLimits(), Clock())
    return _PACER


@without_collector
def stock_engine(*, run, dry_run: bool, full: bool, centra_options=None) -> EngineResult:
    """``centra_options`` go to the Centra client (tests and the benchmark pass a simulated
    ``clock`` shared with the twin, so pacing is proven without waiting in real time)."""
    settings, book = StockSettings.load(), rulebook_load()
    options = {"pacer": shared_pacer(), **(centra_options or {})}
    if "clock" in options and "pacer" not in (centra_options or {}):
        del options["pacer"]  # a caller's own clock needs a pacer on that clock
    with (
        inventory_planner_client(sync_run=run) as ip,
        centra_client(sync_run=run, **options) as centra,
    ):
        read_started, read_clock = timezone.now(), centra.clock.monotonic()
        variants = reads.ip_read(ip=ip)
        ip_warehouses = {block.warehouse for v in variants for block in v.warehouses}
        # Other integrations (and our own last read-back) draw on the same buckets: start
        # from what Centra says is left, not from full buckets.
        centra.sync_pacing()
        ip_to_centra = reads.warehouse_map_resolve(centra=centra, ip_warehouses=ip_warehouses)
        catalog = reads.catalog_load(ip_to_centra)
        previous = reads.positions_known()
        fresh, unreadable = positions_compute(
            variants=variants, book=book, catalog=catalog, previous=previous
        )
        lines, deferred = plan_lines(
            fresh=fresh,
            previous=previous,
            settings=settings,
            full=full,
            rest_recent=not full and reads.rest_lane_recent(settings),
        )
        guarded = guard_input(fresh=fresh, previous=previous, unreadable=unreadable)
        reasons = guard_reasons(guarded, thresholds(settings))
        counts = plan_counts(
            variants=len(variants),
            fresh=fresh,
            unreadable=unreadable,
            lines=lines,
            deferred=deferred,
        )
        if reasons and not dry_run:
            return held(run=run, lines=lines, reasons=reasons, counts=counts)
        if not reasons:
            counts["positions_changed"] = store.positions_store(fresh, previous)
        if dry_run:
            preview = store.push_store(
                run=run,
                status=StockPush.Status.PREVIEW,
                lines=lines,
                reasons=reasons,
                counts=counts,
            )
            summary = dry_run_summary(preview, lines, reasons)
            return EngineResult(summary=summary, counts={**counts, "preview": preview.pk})
        tickets.push_held_clear()
        tickets.unreadable_settle(fresh=fresh, unreadable=unreadable)
        stock_push = store.push_store(
            run=run, status=StockPush.Status.SENT, lines=lines, reasons=[], counts=counts
        )
        store.held_pushes_supersede(
            because=f"a later cycle sent push {stock_push.pk}", older_than=stock_push.pk
        )
        watch = ZeroWatch(
            read=lambda **query: ip.iter_variants(fields=reads.IP_FIELDS, **query),
            compute=lambda zero: positions_compute(variants=zero, book=book, catalog=catalog)[0],
            store=lambda watched: store.watched_store(watched, fresh),
            clock=centra.clock,
            push=stock_push,
            lines=lines,
            previous=previous,
            settings=settings,
            read_started=read_clock,
        )
        counts.update(
            push_and_check(
                stock_push=stock_push, lines=lines, centra=centra, settings=settings, watch=watch
            )
        )
        counts["read_to_write"] = read_to_write(
            lines, read_started=read_started, read_by_line=watch.read_started
        )
        stock_push.counts = counts
        stock_push.save(update_fields=["counts"])
    return EngineResult(
        summary=f"{counts['accepted']} of {len(lines)} lines pushed in {counts['mutations']} "
        f"mutations, {counts['rejected']} rejected, {counts['drift']} drifting",
        counts=counts,
    )


def held(*, run, lines, reasons, counts) -> EngineResult:
    """The guard held the plan: store it whole for a person to release or discard."""
    stock_push = store.push_store(
        run=run, status=StockPush.Status.HELD, lines=lines, reasons=reasons, counts=counts
    )
    store.held_pushes_supersede(
        because=f"a later cycle planned push {stock_push.pk}", older_than=stock_push.pk
    )
    tickets.push_held_raise(
        summary=f"Stock push {stock_push.pk} held: {'; '.join(reasons)}",
        context={"push": stock_push.pk, "reasons": reasons},
    )
    return EngineResult(
        summary=f"held by the guard: {'; '.join(reasons)}", counts=counts, held=True
    )


def push_and_check(*, stock_push, lines, centra, settings, watch=None) -> dict:
    """Pace to what Centra says is left, push (with the zero watch), then read back for
    drift."""
    clock = centra.clock
    started = clock.monotonic()
    pushed_since = timezone.now() if lines else None
    if lines:
        centra.sync_pacing()
    outcome = push.push_send(
        push=stock_push, lines=lines, centra=centra, batch_size=settings.batch_size, watch=watch
    )
    seconds = clock.monotonic() - started
    checked = drift.drift_check(
        centra=centra,
        pushed_since=pushed_since,
        pushed_keys=drift.recheck_keys(lines),
        tolerance=settings.drift_tolerance,
        sample_size=settings.drift_sample_size,
    )
    return {
        "mutations": outcome.mutations,
        "accepted": outcome.accepted,
        "warned": outcome.warned,
        "rejected": outcome.rejected,
        "batches_split": outcome.splits,
        "push_seconds": round(seconds, 3),
        "lines_per_second": round(len(lines) / seconds, 1) if seconds > 0 else None,
        "mutations_per_10s": round(outcome.mutations * 10 / seconds, 2) if seconds > 0 else None,
        "drift_checked": checked.checked,
        "drift": checked.drifting,
        "drift_cleared": checked.cleared,
        **(watch.counts() if watch else {}),
    }

"""``sync orders``: pull Centra orders into the ledger, then look for orphans and
unreleased cancellations.

Where the orders come from, in this order each run (``pull.py``; ``plan.cycle_passes``
decides which run):
- the events queue (``ORDERS_USE_EVENTS``, the default), an accelerator and never the only
  path: each batch of Order events names the orders that changed; they are read by number,
  stored, and only then confirmed, so a crash between fetch and store leaves the events
  queued for the next run;
- the poll, every run: orders changed (``updatedAt``) since the last poll started, minus
  ``ORDERS_OVERLAP_MINUTES`` (one cheap empty page when nothing changed); its cursor moves to
  the poll's start once the whole poll is stored;
- a full recovery pass re-reads ``ORDERS_RECOVERY_HORIZON_DAYS`` every
  ``ORDERS_RECOVERY_EVERY_HOURS`` (and on the first run, which does not poll, and with
  ``--full``): it catches what both missed. It runs after the poll, so an order the poll
  has is never reported as missed.

Events may be unavailable: the token lacks ``Event`` permissions, has no integration name,
or Centra has not enabled the event system for the account (then listeners can be set but
no event ever comes). A refused call, or ``ORDERS_EVENTS_SILENT_RUNS`` runs in a row whose
poll found changes while the queue stayed empty, make events "unavailable": the run does
not fail, the poll carries the orders, and one ``orders_events_unavailable`` ticket stays
open (shown on the sync health page) until events flow again (``plan.events_verdict``).

Storing is idempotent (``store.py``), so overlaps, re-delivered tasks and recovery passes
never duplicate anything. A connector error outside the events path escapes to the runner
after the batches already stored stay stored (each batch is one transaction).
"""

from django.utils import timezone

from syncs.clients import centra_client
from syncs.engines import EngineResult
from syncs.orders.config import orders_config
from syncs.orders.plan import cycle_passes, cycle_summary, events_verdict
from syncs.orders.pull import OrdersPuller
from syncs.orders.tickets import (
    events_unavailable_settle,
    orders_find_problems,
    orders_settle_tickets,
)


def orders_engine(*, run, dry_run: bool, full: bool) -> EngineResult:
    with centra_client(sync_run=run) as centra:
        return orders_cycle(centra=centra, dry_run=dry_run, full=full)


def orders_cycle(*, centra, dry_run: bool, full: bool) -> EngineResult:
    """One cycle with a ready client (the engine's; a benchmark's unpaced one)."""
    config = orders_config()
    now = timezone.now()
    puller = OrdersPuller(centra=centra, config=config, dry_run=dry_run, now=now)
    pull, cursor = puller.pull, puller.cursor
    first_run = cursor.recovered_at is None
    passes = cycle_passes(config=config, recovered_at=cursor.recovered_at, now=now, full=full)
    if passes.events:
        # Subscribe before the poll and the recovery pass, so nothing falls between them.
        puller.events_or_poll_only()
        failed = pull.events_refused or pull.events_skipped
        pull.modes.append("events unavailable" if failed else "events")
    if passes.poll:
        pull.modes.append("poll")
        puller.poll()
    if passes.recovery:
        pull.modes.append("recovery")
        puller.recovery(now - config.recovery_horizon, report_missed=passes.report_missed)
        if not dry_run:
            values = {"recovered_at": now}
            if first_run:
                values["window_end"] = now  # the first poll starts where this pass started
            puller.cursor_set(**values)
    counts = {
        "mode": "+".join(pull.modes),
        "fetched": pull.fetched,
        "events": pull.events,
        **pull.counts.as_dict(),
        "rejected": len(pull.counts.rejected),
        "finance_orders": pull.finance_orders,
    }
    if pull.finance_error:
        counts["finance_error"] = pull.finance_error
    if not dry_run:
        findings = orders_find_problems(
            now=now, config=config, rejected=pull.counts.rejected, missed=pull.missed
        )
        counts.update(orders_settle_tickets(findings=findings))
        counts["events_unavailable"] = events_availability_settle(
            puller=puller, config=config, first_run=first_run
        )
    return EngineResult(summary=cycle_summary(counts, dry_run=dry_run), counts=counts)


def events_availability_settle(*, puller: OrdersPuller, config, first_run: bool) -> str:
    """Count silent runs on the cursor and keep the events ticket as the verdict says;
    returns why events are unavailable ("" when they flow, or are switched off)."""
    pull = puller.pull
    verdict = events_verdict(
        config=config,
        silent_runs=puller.cursor.events_silent_runs,
        events_read=pull.events,
        polled_changes=pull.polled_changes,
        refused=pull.events_refused,
        skipped=pull.events_skipped,
        first_run=first_run,
    )
    if not verdict.settle:
        return verdict.reason  # the ticket stays as it is
    if verdict.silent_runs != puller.cursor.events_silent_runs:
        puller.cursor_set(events_silent_runs=verdict.silent_runs)
    events_unavailable_settle(reason=verdict.reason, silent_runs=verdict.silent_runs)
    return verdict.reason

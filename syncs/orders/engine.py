"""``sync orders``: pull Centra orders into the ledger, then look for orphans and
unreleased cancellations.

Where the orders come from, in this order each run:
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
open (shown on the sync health page) until events flow again.

Storing is idempotent (see ``syncs.orders.services``), so overlaps, re-delivered tasks and
recovery passes never duplicate anything. A connector error outside the events path escapes
to the runner after the batches already stored stay stored (each batch is one transaction).
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from centra_ip.chunks import chunked
from exceptions.services import Condition, tickets_clear_many, tickets_raise_many
from syncs.catalog.selectors import SkuIndex
from syncs.clients import centra_client
from syncs.connectors.base import ConnectorError
from syncs.connectors.centra.types import Order as CentraOrder
from syncs.engines import EngineResult
from syncs.models import Order, OrdersCursor
from syncs.orders.config import OrdersConfig, orders_config
from syncs.orders.detection import orders_find_problems, orders_settle_tickets
from syncs.orders.finance import orders_finance_fill
from syncs.orders.services import StoreCounts, orders_store

BATCH = 100  # orders per transaction (one Centra page)
ORDER_EVENTS = {"Order": None}  # every change type
EVENTS_UNAVAILABLE = "orders_events_unavailable"
SOURCE = "orders engine"


@dataclass
class Pull:
    """What one run read and stored."""

    counts: StoreCounts = field(default_factory=StoreCounts)
    fetched: int = 0
    events: int = 0
    polled_changes: int = 0  # orders the poll stored new or changed (events had not)
    events_refused: str = ""  # why Centra refused the events path this run
    events_skipped: str = ""  # a passing failure (timeout, 5xx): says nothing about events
    missed: list[CentraOrder] = field(default_factory=list)
    modes: list[str] = field(default_factory=list)
    finance_orders: int = 0  # orders given Centra's rate, store and market this run
    finance_error: str = ""  # the first failed finance read (the orders are stored anyway)


def orders_fetch_by_number(centra, numbers: list[int]) -> list[CentraOrder]:
    """The current state of these orders (the client pages by date; events name numbers)."""
    found = []
    for chunk in chunked(sorted(numbers), BATCH):
        found.extend(centra.orders_by_number(chunk))
    return found


class OrdersPuller:
    def __init__(self, *, centra, config: OrdersConfig, dry_run: bool, now: datetime):
        self.centra, self.config, self.dry_run, self.now = centra, config, dry_run, now
        self.skus = SkuIndex.load()
        self.pull = Pull()
        self.cursor, _ = OrdersCursor.objects.get_or_create(pk=1)

    def store(self, orders: list[CentraOrder]) -> StoreCounts:
        self.pull.fetched += len(orders)
        if self.dry_run:
            return StoreCounts()
        counts = orders_store(orders=orders, skus=self.skus)
        self.pull.counts.add(counts)
        if not self.pull.finance_error:  # one refusal per run is enough to know
            finance = orders_finance_fill(
                centra=self.centra, numbers=[o.number for o in orders if o.number]
            )
            self.pull.finance_orders += finance.orders
            self.pull.finance_error = finance.error
        return counts

    def recovery(self, start: datetime, *, report_missed: bool) -> None:
        """Orders dated in [start, now], stored batch by batch; with ``report_missed``, the
        ones not in the ledger before are kept as missed (orphans once past their grace)."""
        for chunk in chunked(self.centra.iter_orders(date_from=start, date_to=self.now), BATCH):
            if report_missed:
                known = set(
                    Order.objects.filter(centra_id__in=[o.id for o in chunk]).values_list(
                        "centra_id", flat=True
                    )
                )
                self.pull.missed += [o for o in chunk if o.id not in known]
            self.store(chunk)

    def poll(self) -> None:
        """Orders changed since the last poll started (less the overlap), then the cursor
        moves to this poll's start. Sorted by date, not by change, so the cursor moves only
        when every page is stored: a failed poll is repeated whole (storing is idempotent)."""
        start = (self.cursor.window_end or self.now - self.config.recovery_horizon) - (
            self.config.overlap
        )
        for chunk in chunked(self.centra.iter_orders(updated_from=start), BATCH):
            counts = self.store(chunk)
            self.pull.polled_changes += counts.orders_new + counts.orders_changed
        if not self.dry_run:
            self.cursor_set(window_end=self.now)

    def events_or_poll_only(self) -> None:
        """The events path, but any connector error leaves the run to the poll instead of
        failing it. A refusal (no permission, no integration name, a bad answer) counts
        against the events; a passing failure (retries used up) only skips them this run."""
        try:
            self.events()
        except ConnectorError as error:
            text = f"{type(error).__name__}: {error.message}"[:300]
            if error.retryable:
                self.pull.events_skipped = text
            else:
                self.pull.events_refused = text

    def events(self) -> None:
        """Drain the Order events queue: read, store, then confirm, batch by batch."""
        if self.cursor.listening_since is None and not self.dry_run:
            self.centra.set_event_listeners(ORDER_EVENTS)
            self.cursor_set(listening_since=self.now)
        for _ in range(self.config.event_batches):
            events = self.centra.events(object_types=["Order"], limit=BATCH)
            if not events:
                return
            self.pull.events += len(events)
            numbers = {e.object_number for e in events if e.object_number is not None}
            self.store(orders_fetch_by_number(self.centra, list(numbers)))
            if self.dry_run:
                return  # confirming would lose them for the real run
            self.centra.confirm_events([e.id for e in events])

    def cursor_set(self, **values) -> None:
        OrdersCursor.objects.filter(pk=1).update(**values)
        for name, value in values.items():
            setattr(self.cursor, name, value)


def orders_engine(*, run, dry_run: bool, full: bool) -> EngineResult:
    with centra_client(sync_run=run) as centra:
        return orders_cycle(centra=centra, dry_run=dry_run, full=full)


def orders_cycle(*, centra, dry_run: bool, full: bool) -> EngineResult:
    """One cycle with a ready client (the engine's; a benchmark's unpaced one)."""
    config = orders_config()
    now = timezone.now()
    puller = OrdersPuller(centra=centra, config=config, dry_run=dry_run, now=now)
    cursor = puller.cursor
    first_run = cursor.recovered_at is None
    if config.use_events:
        # Subscribe before the poll and the recovery pass, so nothing falls between them.
        puller.events_or_poll_only()
        pull = puller.pull
        failed = pull.events_refused or pull.events_skipped
        pull.modes.append("events unavailable" if failed else "events")
    if not first_run:
        puller.pull.modes.append("poll")
        puller.poll()
    if full or first_run or now - cursor.recovered_at >= config.recovery_every:
        puller.pull.modes.append("recovery")
        puller.recovery(now - config.recovery_horizon, report_missed=not first_run)
        if not dry_run:
            values = {"recovered_at": now}
            if first_run:
                values["window_end"] = now  # the first poll starts where this pass started
            puller.cursor_set(**values)
    pull = puller.pull
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
    prefix = "dry run: " if dry_run else ""
    summary = (
        f"{prefix}{counts['mode']}: {pull.fetched} orders read, {counts['orders_new']} new, "
        f"{counts['orders_changed']} changed, {counts['lines_parked']} lines parked, "
        f"{counts['rejected']} rejected"
    )
    if not dry_run:
        summary += (
            f"; {counts['orphaned']} orphaned, "
            f"{counts['cancellations_not_released']} cancellations not released"
        )
    return EngineResult(summary=summary, counts=counts)


def events_availability_settle(*, puller: OrdersPuller, config: OrdersConfig, first_run: bool):
    """Decide whether Centra's events are unavailable, keep one ticket open while they are,
    and return why ("" when they flow, or are switched off).

    Unavailable: this run's events path was refused, or ``events_silent_runs`` runs in a row
    read no event while the poll stored orders that changed (the events system is not
    enabled, or not for this integration). A run that reads an event resets the count."""
    pull, cursor = puller.pull, puller.cursor
    if config.use_events and pull.events_skipped:
        return f"events skipped this run ({pull.events_skipped})"  # the ticket stays as it is
    silent = cursor.events_silent_runs
    if not config.use_events or pull.events:
        silent = 0
    elif not pull.events_refused and not first_run and pull.polled_changes:
        silent += 1
    if silent != cursor.events_silent_runs:
        puller.cursor_set(events_silent_runs=silent)
    reason = ""
    if config.use_events and pull.events_refused:
        reason = f"Centra refused the events calls ({pull.events_refused})"
    elif config.use_events and silent >= config.events_silent_runs:
        reason = (
            f"no Centra event in {silent} runs in a row while the poll found changed orders: "
            "is the event system enabled for this account and integration?"
        )
    condition = Condition(type_code=EVENTS_UNAVAILABLE, stream="orders")
    if not reason:
        tickets_clear_many(
            [condition],
            source=SOURCE,
            note="Centra's events calls succeed and events are not silent.",
        )
        return ""
    condition.summary = f"Order events unavailable, polling instead: {reason}"[:300]
    condition.context = {"reason": reason, "silent_runs": silent}
    tickets_raise_many([condition], source=SOURCE)
    return reason

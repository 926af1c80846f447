"""``sync orders``: pull Centra orders into the ledger, then look for orphans and
unreleased cancellations.

Where the orders come from:
- the events queue (``ORDERS_USE_EVENTS``, the default): each batch of Order events names
  the orders that changed; they are read by number, stored, and only then confirmed, so a
  crash between fetch and store leaves the events queued for the next run;
- otherwise overlapping time windows on ``orderDate``: the cursor moves to the newest stored
  order after each batch, and the next window starts ``ORDERS_OVERLAP_MINUTES`` earlier;
- in both modes a full recovery pass re-reads ``ORDERS_RECOVERY_HORIZON_DAYS`` every
  ``ORDERS_RECOVERY_EVERY_HOURS`` (and on the first run, and with ``--full``): it catches
  what an incremental pull missed (events lost, a late cancellation of an old order).

Storing is idempotent (see ``syncs.orders.services``), so overlaps, re-delivered tasks and
recovery passes never duplicate anything. A connector error escapes to the runner after the
batches already stored stay stored (each batch is one transaction) and the cursor points at
the last stored one.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice

from django.utils import timezone

from syncs.clients import centra_client
from syncs.connectors.base import BadPayloadError
from syncs.connectors.centra import queries
from syncs.connectors.centra.client import PAYLOAD_ERRORS, SYSTEM, build_orders
from syncs.connectors.centra.types import Order as CentraOrder
from syncs.engines import EngineResult
from syncs.models import Order, OrdersCursor
from syncs.orders.config import OrdersConfig, orders_config
from syncs.orders.detection import orders_find_problems, orders_settle_tickets
from syncs.orders.services import SkuIndex, StoreCounts, orders_store

BATCH = 100  # orders per transaction (one Centra page)
ORDER_EVENTS = {"Order": None}  # every change type


@dataclass
class Pull:
    """What one run read and stored."""

    counts: StoreCounts = field(default_factory=StoreCounts)
    fetched: int = 0
    events: int = 0
    missed: list[CentraOrder] = field(default_factory=list)
    modes: list[str] = field(default_factory=list)


def batches(items: Iterable, size: int = BATCH) -> Iterator[list]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def orders_fetch_by_number(centra, numbers: list[int]) -> list[CentraOrder]:
    """The current state of these orders (the client pages by date; events name numbers)."""
    found = []
    for chunk in batches(sorted(numbers)):
        data = centra.execute(
            "orders", queries.ORDERS, {"where": {"number": chunk}, "limit": len(chunk), "page": 1}
        )
        try:
            found.extend(build_orders(data["orders"]))
        except PAYLOAD_ERRORS as error:
            raise BadPayloadError(
                f"orders by number: {type(error).__name__}: {error}",
                system=SYSTEM,
                operation="orders",
            ) from None
    return found


class OrdersPuller:
    def __init__(self, *, centra, config: OrdersConfig, dry_run: bool, now: datetime):
        self.centra, self.config, self.dry_run, self.now = centra, config, dry_run, now
        self.skus = SkuIndex.load()
        self.pull = Pull()
        self.cursor, _ = OrdersCursor.objects.get_or_create(pk=1)

    def store(self, orders: list[CentraOrder]) -> None:
        self.pull.fetched += len(orders)
        if self.dry_run:
            return
        self.pull.counts.add(orders_store(orders=orders, skus=self.skus))

    def window(self, start: datetime, *, advance_cursor: bool, recovery: bool = False) -> None:
        """Orders dated in [start, now], stored batch by batch, the cursor after each."""
        for chunk in batches(self.centra.iter_orders(date_from=start, date_to=self.now)):
            if recovery:
                known = set(
                    Order.objects.filter(centra_id__in=[o.id for o in chunk]).values_list(
                        "centra_id", flat=True
                    )
                )
                self.pull.missed += [o for o in chunk if o.id not in known]
            self.store(chunk)
            if advance_cursor and not self.dry_run:
                self.cursor_set(window_end=max(o.order_date for o in chunk))
        if advance_cursor and not self.dry_run:
            self.cursor_set(window_end=self.now)

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
        puller.pull.modes.append("events")
        # Subscribe before the recovery pass, so nothing falls between the two.
        puller.events()
    recovery_due = full or first_run or now - cursor.recovered_at >= config.recovery_every
    if recovery_due:
        puller.pull.modes.append("recovery")
        puller.window(
            now - config.recovery_horizon,
            advance_cursor=not config.use_events,
            recovery=not first_run,
        )
        if not dry_run:
            puller.cursor_set(recovered_at=now)
    elif not config.use_events:
        puller.pull.modes.append("window")
        start = cursor.window_end or now - config.recovery_horizon
        puller.window(start - config.overlap, advance_cursor=True)
    pull = puller.pull
    counts = {
        "mode": "+".join(pull.modes),
        "fetched": pull.fetched,
        "events": pull.events,
        **pull.counts.as_dict(),
        "rejected": len(pull.counts.rejected),
    }
    if not dry_run:
        findings = orders_find_problems(
            now=now, config=config, rejected=pull.counts.rejected, missed=pull.missed
        )
        counts.update(orders_settle_tickets(findings=findings))
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

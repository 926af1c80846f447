"""The orders engine's three read passes (events, poll, recovery), each storing what it reads
batch by batch: one batch is one Centra page and one transaction, so a failure keeps the
batches already stored and loses nothing (storing is idempotent, ``store.py``).
"""

from dataclasses import dataclass, field
from datetime import datetime

from centra_ip.chunks import chunked
from centra_ip.lookups import any_of
from syncs.catalog.selectors import SkuIndex
from syncs.connectors.base import ConnectorError
from syncs.connectors.centra.types import Order as CentraOrder
from syncs.models import Order, OrdersCursor
from syncs.orders.config import OrdersConfig
from syncs.orders.finance import orders_finance_fill
from syncs.orders.store import StoreCounts, orders_store

BATCH = 100  # orders per transaction (one Centra page)
ORDER_EVENTS = {"Order": None}  # every change type


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
    """One run's reads: the SKU map loaded once (a run never sees half of a mapping change),
    the cursor, and the tally (``Pull``) the engine turns into counts and tickets."""

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
                    Order.objects.filter(any_of("centra_id", [o.id for o in chunk])).values_list(
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

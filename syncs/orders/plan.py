"""The orders engine's decisions, pure: no database, no client, no clock of their own.

What a cycle reads (which passes), whether an order can be stored, what a stored order,
line and feed row hold, whether Centra's events count as unavailable, and the run's
summary. ``engine.py``, ``pull.py`` and ``store.py`` act on these answers; the tests can
ask them directly.
"""

from dataclasses import dataclass
from datetime import datetime

from syncs.connectors.centra.types import Order as CentraOrder
from syncs.connectors.centra.types import OrderLine as CentraLine
from syncs.orders.config import OrdersConfig

CANCELLED = "CANCELLED"
ORDER_FIELDS = ("status", "store_type", "order_date", "currency", "grand_total")
LINE_FIELDS = (
    "centra_size_id",
    "centra_sku",
    "ean",
    "product_name",
    "quantity",
    "cancelled_quantity",
    "returned_quantity",
    "unit_price",
)
FEED_FIELDS = ("order_number", "sku", "product_id", "date", "quantity", "price", "currency")


@dataclass(frozen=True)
class Passes:
    """The passes one cycle runs, in this order: events, poll, recovery."""

    events: bool
    poll: bool
    recovery: bool
    report_missed: bool  # the recovery pass reports orders the ledger lacked


def cycle_passes(
    *, config: OrdersConfig, recovered_at: datetime | None, now: datetime, full: bool
) -> Passes:
    """The first run (never recovered) does not poll: its recovery pass reads the horizon,
    and nothing can have been missed before it. A recovery pass is due every
    ``recovery_every``, on the first run and with ``--full``."""
    first_run = recovered_at is None
    return Passes(
        events=config.use_events,
        poll=not first_run,
        recovery=full or first_run or now - recovered_at >= config.recovery_every,
        report_missed=not first_run,
    )


def order_problem(order: CentraOrder) -> str:
    """Why an order cannot go into the ledger as it is ("" when it can).

    Such an order is skipped (the rest of the batch goes on) and becomes an orphaned-order
    ticket: it is in Centra and not in the ledger, and waiting will not change that.
    """
    if not order.id or order.number is None or order.number <= 0:
        return "the order has no id or number"
    for line in order.lines:
        if not (line.sku or "").strip():
            return f"line {line.id} has no SKU"
        if min(line.quantity, line.cancelled_quantity, line.returned_quantity) < 0:
            return f"line {line.id} has a negative quantity"
    return ""


def order_values(order: CentraOrder) -> dict:
    """The ledger's copy of an order's fields (``ORDER_FIELDS``)."""
    return {
        "status": order.status,
        "store_type": order.store_type,
        "order_date": order.order_date,
        "currency": order.currency,
        "grand_total": order.grand_total,
    }


def line_values(line: CentraLine) -> dict:
    """The ledger's copy of a line's fields (``LINE_FIELDS``)."""
    return {
        "centra_size_id": line.product_size_id,
        "centra_sku": line.sku,
        "ean": line.ean or "",
        "product_name": (line.product_name or "")[:255],
        "quantity": line.quantity,
        "cancelled_quantity": line.cancelled_quantity,
        "returned_quantity": line.returned_quantity,
        "unit_price": line.unit_price,
    }


def feed_row_values(order, line) -> dict:
    """What IP's file says about one line (docs/catalog-and-orders.md), from the ledger's
    ``Order`` and ``OrderLine``.

    - a live line: the units still ordered;
    - a line cancelled in full, or a line of a cancelled order: every unit it ever had,
      flagged ``canceled`` so IP drops it from demand;
    - a partly cancelled line: the units still ordered (the cancelled part is released by
      the lower quantity; IP keys rows by order and SKU, so a second row cannot carry it).
    """
    whole_order_cancelled = order.status == CANCELLED
    if whole_order_cancelled or line.quantity == 0:
        quantity, cancelled = line.quantity + line.cancelled_quantity, True
    else:
        quantity, cancelled = line.quantity, False
    return {
        "order_number": str(order.number),
        "sku": line.ip_sku,
        "product_id": line.ip_variant_id,
        "date": order.order_date,
        "quantity": quantity,
        "price": line.unit_price,
        "currency": order.currency,
        "cancelled": cancelled,
    }


@dataclass(frozen=True)
class EventsVerdict:
    silent_runs: int  # the cursor's new count of silent runs
    reason: str  # why events are unavailable ("" when they flow or are switched off)
    settle: bool  # False: a passing failure, the ticket stays as it is


def events_verdict(
    *,
    config: OrdersConfig,
    silent_runs: int,
    events_read: int,
    polled_changes: int,
    refused: str,
    skipped: str,
    first_run: bool,
) -> EventsVerdict:
    """Whether Centra's events are unavailable.

    Unavailable: this run's events path was refused, or ``events_silent_runs`` runs in a row
    read no event while the poll stored orders that changed (the events system is not
    enabled, or not for this integration). A run that reads an event resets the count; a
    passing failure (timeout, 5xx) says nothing either way."""
    if config.use_events and skipped:
        return EventsVerdict(silent_runs, f"events skipped this run ({skipped})", settle=False)
    silent = silent_runs
    if not config.use_events or events_read:
        silent = 0
    elif not refused and not first_run and polled_changes:
        silent += 1
    reason = ""
    if config.use_events and refused:
        reason = f"Centra refused the events calls ({refused})"
    elif config.use_events and silent >= config.events_silent_runs:
        reason = (
            f"no Centra event in {silent} runs in a row while the poll found changed orders: "
            "is the event system enabled for this account and integration?"
        )
    return EventsVerdict(silent, reason, settle=True)


def cycle_summary(counts: dict, *, dry_run: bool) -> str:
    """The run's one-line summary, from its counts."""
    prefix = "dry run: " if dry_run else ""
    summary = (
        f"{prefix}{counts['mode']}: {counts['fetched']} orders read, {counts['orders_new']} "
        f"new, {counts['orders_changed']} changed, {counts['lines_parked']} lines parked, "
        f"{counts['rejected']} rejected"
    )
    if not dry_run:
        summary += (
            f"; {counts['orphaned']} orphaned, "
            f"{counts['cancellations_not_released']} cancellations not released"
        )
    return summary

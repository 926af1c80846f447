"""Sending a push to Centra: priority order, batches, pacing, per-SKU records and tickets.

Order: SKUs going to zero first, then low stock, then high velocity, then the rest. Lines
are sorted in that order and cut into batches per Centra warehouse (``setStock`` takes one
warehouse and many sizes), and the batches go out in the order of their first line. With
one warehouse a push of N lines costs exactly ceil(N / batch size) mutations.

Pacing is the Centra client's: its pacer holds each request until Centra's token buckets
(mutations and requests per 10 s and per hour) have room, after ``sync_pacing()`` has
lowered them to what Centra says remains, so a full push waits instead of meeting 429s.

The write is ``setStock`` with ``stockQuantityType: PHYSICAL`` of the ATS: see
docs/stock-engine.md "Not clobbering Centra's allocations" for why PHYSICAL is the safe
type here. A batch's ``userErrors`` reject only the items their ``path`` points at; those
SKUs get a ``stock_push_rejected`` ticket and the rest of the batch, and the push, go on. A
userError that points at no item says nothing about which line is bad, so the batch is
split in halves and each half sent again, down to the bad line alone (``setStock`` is
absolute: sending a line twice sets the same quantity twice). A single line whose
userError points at nothing is rejected only if Centra recorded no stock change for it;
with a change, Centra applied it, and the message is kept as a warning.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from centra_ip.bulk import update_grouped
from exceptions.registry import TicketType
from exceptions.services import (
    Condition,
    tickets_active_subjects,
    tickets_clear_many,
    tickets_raise_many,
)
from syncs.connectors.centra.types import StockLevel, UserMessage
from syncs.models import StockPosition, StockPushLine

SOURCE = "stock engine"
LANE_ORDER = {
    StockPushLine.Lane.ZERO: 0,
    StockPushLine.Lane.LOW: 1,
    StockPushLine.Lane.VELOCITY: 2,
    StockPushLine.Lane.REST: 3,
}


def lane_for(
    *, quantity: int, previous: int | None, velocity: float | None, low: int, fast: float
) -> str:
    if quantity == 0 and previous != 0:
        return StockPushLine.Lane.ZERO
    if quantity <= low:
        return StockPushLine.Lane.LOW
    if velocity is not None and velocity >= fast:
        return StockPushLine.Lane.VELOCITY
    return StockPushLine.Lane.REST


def priority_key(lane: str, quantity: int, velocity: float | None, sku: str, warehouse: int):
    """Within zero and low: the smallest first; within velocity: the fastest first."""
    if lane == StockPushLine.Lane.VELOCITY:
        return (LANE_ORDER[lane], -(velocity or 0.0), sku, warehouse)
    if lane == StockPushLine.Lane.REST:
        return (LANE_ORDER[lane], 0.0, sku, warehouse)
    return (LANE_ORDER[lane], float(quantity), sku, warehouse)


def batches_plan(lines: list[StockPushLine], batch_size: int) -> list[list[StockPushLine]]:
    """Cut lines (already in send order) into per-warehouse batches, in order of first line."""
    by_warehouse: dict[int, list[StockPushLine]] = defaultdict(list)
    for line in lines:
        by_warehouse[line.centra_warehouse_id].append(line)
    batches = []
    for group in by_warehouse.values():
        batches += [group[i : i + batch_size] for i in range(0, len(group), batch_size)]
    batches.sort(key=lambda batch: batch[0].position)
    return batches


@dataclass
class PushOutcome:
    mutations: int = 0
    accepted: int = 0
    warned: int = 0
    rejected: int = 0
    splits: int = 0  # batches split because a userError named no line


@dataclass(frozen=True)
class LineResult:
    """What Centra said about one line, from the (sub-)batch that settled it."""

    errors: tuple[UserMessage, ...] = ()
    warnings: tuple[UserMessage, ...] = field(default=())
    stock_change_id: int | None = None


def push_send(
    *, push, lines: list[StockPushLine], centra, batch_size: int, watch=None
) -> PushOutcome:
    """Send the lines batch by batch; record each line's result as its batch comes back.

    ``watch`` (the stock engine's ``ZeroWatch``), when due after a batch, is asked for
    lines to send before those still queued: SKUs whose IP stock reached zero while
    this push was in flight. Its lines go next, in their own batches; the queued lines
    it returns (now zero) leave their old place.

    A ``ConnectorError`` (the client gave up after its retries) stops the push and escapes:
    batches already sent are recorded, the rest stay ``planned``, and the runner turns the
    error into an API ticket. Nothing is written inside a transaction while waiting on
    Centra.
    """
    outcome = PushOutcome()
    rejected_before = tickets_active_subjects(TicketType.STOCK_PUSH_REJECTED, "sku", "warehouse")
    queue = batches_plan(lines, batch_size)
    number = 0
    while queue:
        batch = queue.pop(0)
        number += 1
        results = batch_send(
            centra,
            batch,
            description=f"centra-ip stock push {push.pk} batch {number}",
            outcome=outcome,
        )
        _record_batch(batch, number, results, outcome, rejected_before)
        if watch is None or not watch.due(last_batch=not queue):
            continue
        urgent = watch.lines_to_zero()
        if urgent:
            moved = {id(line) for line in urgent}
            rest = [line for queued in queue for line in queued if id(line) not in moved]
            queue = batches_plan(urgent, batch_size) + batches_plan(rest, batch_size)
    return outcome


def batch_send(centra, lines, *, description: str, outcome: PushOutcome) -> list[LineResult]:
    """One ``setStock`` for ``lines`` (one warehouse); a userError naming no line splits
    them in halves, each sent again, until every line has its own answer."""
    result = centra.set_stock(
        lines[0].centra_warehouse_id,
        [StockLevel(line.product_size_id, line.quantity) for line in lines],
        description=description,
    )
    outcome.mutations += 1
    change_id = result.stock_change_ids[0] if result.stock_change_ids else None
    if result.errors and len(lines) > 1:
        outcome.splits += 1
        middle = len(lines) // 2
        return batch_send(
            centra, lines[:middle], description=description, outcome=outcome
        ) + batch_send(centra, lines[middle:], description=description, outcome=outcome)
    results = []
    for item in result.items:
        errors, warnings = item.errors, item.warnings
        if not errors and result.errors:  # one line, a message naming nothing
            if change_id is None:
                errors = result.errors
            else:
                warnings = warnings + result.errors
        results.append(LineResult(errors, warnings, change_id))
    return results


def confirmed(line: StockPushLine) -> bool:
    """Centra accepted the line without a message and recorded a ``stockChange``: its
    physical is now the quantity sent (PHYSICAL writes), so no read-back is needed."""
    return line.status == StockPushLine.Status.SENT and line.stock_change_id is not None


def _record_batch(batch, number, results, outcome: PushOutcome, rejected_before) -> None:
    now = timezone.now()
    raised, cleared, accepted = [], [], []
    for line, item in zip(batch, results, strict=True):
        line.batch, line.sent_at, line.stock_change_id = number, now, item.stock_change_id
        errors = item.errors
        if errors:
            line.status = StockPushLine.Status.REJECTED
            line.message = "; ".join(e.message for e in errors)[:500]
            outcome.rejected += 1
            raised.append(
                Condition(
                    type_code=TicketType.STOCK_PUSH_REJECTED,
                    sku=line.sku,
                    warehouse=str(line.centra_warehouse_id),
                    summary=f"Centra rejected {line.quantity} for {line.sku}: {line.message}",
                    context={"quantity": line.quantity, "batch": number, "push": line.push_id},
                )
            )
            continue
        line.status = StockPushLine.Status.WARNED if item.warnings else StockPushLine.Status.SENT
        line.message = "; ".join(w.message for w in item.warnings)[:500]
        outcome.warned += bool(item.warnings)
        outcome.accepted += 1
        accepted.append(line)
        if (line.sku, str(line.centra_warehouse_id)) not in rejected_before:
            continue
        cleared.append(
            Condition(
                type_code=TicketType.STOCK_PUSH_REJECTED,
                sku=line.sku,
                warehouse=str(line.centra_warehouse_id),
            )
        )
    with transaction.atomic():
        update_grouped(
            StockPushLine,
            [
                (
                    line.pk,
                    (line.batch, line.sent_at, line.stock_change_id, line.status, line.message),
                )
                for line in batch
            ],
            ("batch", "sent_at", "stock_change_id", "status", "message"),
        )
        if accepted:
            positions = StockPosition.objects.filter(
                centra_warehouse_id=accepted[0].centra_warehouse_id,
                sku__in=[line.sku for line in accepted],
            ).values_list("pk", "sku")
            pushed = {line.sku: line.quantity for line in accepted}
            shown = {line.sku for line in accepted if confirmed(line)}
            positions = list(positions)
            update_grouped(
                StockPosition,
                [(pk, (pushed[sku], now)) for pk, sku in positions if sku not in shown],
                ("last_pushed", "last_pushed_at"),
            )
            # What Centra now shows, as it confirmed: the next plan compares with this
            # instead of an older read-back (only unconfirmed lines are read back).
            update_grouped(
                StockPosition,
                [(pk, (pushed[sku], now, pushed[sku])) for pk, sku in positions if sku in shown],
                ("last_pushed", "last_pushed_at", "centra_physical"),
            )
        if raised:
            tickets_raise_many(raised, source=SOURCE)
        if cleared:
            tickets_clear_many(cleared, source=SOURCE)

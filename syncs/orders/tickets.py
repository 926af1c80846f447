"""The orders engine's tickets: the conditions it sees and settling them
(docs/catalog-and-orders.md, docs/exception-desk.md).

- orphaned orders and unreleased cancellations: raised when the condition holds, cleared by
  the same check when it no longer does (``orders_find_problems``, ``orders_settle_tickets``);
- a parked line's ``sku_missing_in_ip``: raised by the store in the batch's transaction,
  cleared when the SKU's last parked line is published;
- ``orders_events_unavailable``: one ticket open while Centra's events are unavailable.

"Taken by IP" comes from the feed receipts: the file is a full snapshot, so a row is taken
when a completed fetch's ``served_through`` is at or after the row's ``changed_at``.
"""

from dataclasses import dataclass, field
from datetime import datetime

from exceptions.registry import TicketType
from exceptions.services import (
    Condition,
    tickets_active_subjects,
    tickets_clear_many,
    tickets_raise_many,
    tickets_settle,
)
from syncs.connectors.centra.types import Order as CentraOrder
from syncs.models import FeedDelivery, Order, OrderLine, SalesFeedRow
from syncs.orders.config import OrdersConfig

ORPHANED = TicketType.ORPHANED_ORDER
NOT_RELEASED = TicketType.CANCELLATION_NOT_RELEASED
PARKED = TicketType.SKU_MISSING_IN_IP
EVENTS_UNAVAILABLE = TicketType.ORDERS_EVENTS_UNAVAILABLE
SOURCE = "orders engine"
EPOCH = datetime(1970, 1, 1).astimezone()
CHUNK = 1000  # order numbers per query


def feed_taken_through() -> datetime:
    """The feed watermark, with "never fetched" as the epoch: every row is untaken."""
    return FeedDelivery.objects.taken_through() or EPOCH


@dataclass
class Findings:
    orphaned: list[Condition] = field(default_factory=list)
    not_released: list[Condition] = field(default_factory=list)

    @property
    def counts(self) -> dict:
        return {
            "orphaned": len(self.orphaned),
            "cancellations_not_released": len(self.not_released),
        }


def orders_find_problems(
    *,
    now: datetime,
    config: OrdersConfig,
    rejected: list[tuple[CentraOrder, str]] = (),
    missed: list[CentraOrder] = (),
) -> Findings:
    """Every orphan and unreleased cancellation as of ``now``.

    ``rejected``: orders seen in Centra that could not be stored; ``missed``: orders the
    recovery pass found in Centra older than the grace period but not yet in the ledger
    (the incremental pull lost them; they are stored now and stay orphaned until IP takes
    them). The ledger itself supplies orders stored but not taken by IP within the SLA.
    """
    findings = Findings()
    through = feed_taken_through()
    for order, reason in rejected:
        findings.orphaned.append(
            Condition(
                type_code=ORPHANED,
                order_number=str(order.number or order.id),
                context={"centra_order_id": order.id, "reason": reason, "kind": "not in ledger"},
                summary=f"Centra order {order.number} cannot be stored: {reason}"[:300],
            )
        )
    missed_numbers = {o.number for o in missed if o.order_date < now - config.orphan_grace}
    for number in sorted(missed_numbers):
        findings.orphaned.append(
            Condition(
                type_code=ORPHANED,
                order_number=str(number),
                context={"kind": "missed by the incremental pull", "found_by": "recovery pass"},
                summary=f"Centra order {number} was missing from the ledger (found by the "
                "recovery pass); open until Inventory Planner takes it",
            )
        )
    stale = (
        SalesFeedRow.objects.filter(
            order__isnull=False,
            changed_at__gt=through,
            changed_at__lte=now - config.taken_sla,
            date__gte=now - config.feed_horizon,
        )
        .values_list("order_number", flat=True)
        .distinct()
    )
    for number in sorted(set(stale) - {c.order_number for c in findings.orphaned}, key=int):
        findings.orphaned.append(
            Condition(
                type_code=ORPHANED,
                order_number=number,
                context={"kind": "not taken by IP", "feed_taken_through": through.isoformat()},
                summary=f"Order {number} is in the feed but Inventory Planner has not taken "
                f"it within {config.taken_sla}",
            )
        )
    lines = (
        OrderLine.objects.filter(
            parked=False,
            cancellation_seen_at__isnull=False,
            cancellation_seen_at__lte=now - config.cancellation_sla,
            changed_at__gt=through,
        )
        .values_list("order__number", flat=True)
        .distinct()
    )
    for number in sorted(set(lines)):
        findings.not_released.append(
            Condition(
                type_code=NOT_RELEASED,
                order_number=str(number),
                context={"feed_taken_through": through.isoformat()},
                summary=f"Order {number}: a cancellation has not been taken by Inventory "
                f"Planner within {config.cancellation_sla}",
            )
        )
    return findings


def orders_settle_tickets(*, findings: Findings) -> dict:
    """Raise the findings; clear every active ticket of these types that no longer holds.

    An orphan ticket stays open while its order is not in the ledger or has feed rows IP
    has not taken, even when this run did not find it again (a "missed by the pull" order
    is found only once, by the pass that stores it). Both are read for the open tickets'
    orders only: the ledger's untaken orders may be every order of a backfill.
    """
    in_ledger, untaken = _orphans_still_open(
        [number for (number,) in tickets_active_subjects(ORPHANED, "order_number")]
    )

    def still_orphaned(condition: Condition) -> bool:
        """Not in the ledger yet, or IP has not taken it."""
        if condition.type_code != ORPHANED:
            return False
        number = condition.order_number
        return not (number.isdigit() and int(number) in in_ledger) or number in untaken

    outcome = tickets_settle(
        type_codes=(ORPHANED, NOT_RELEASED),
        holding=findings.orphaned + findings.not_released,
        source=SOURCE,
        keep=still_orphaned,
    )
    return {**findings.counts, "tickets_cleared": outcome.cleared}


def _orphans_still_open(numbers: list[str]) -> tuple[set[int], set[str]]:
    """Of these orphan tickets' order numbers: the ones in the ledger (as numbers), and the
    ones with feed rows IP has not taken. Read in chunks, within any database's limit on
    query parameters."""
    through = feed_taken_through()
    in_ledger, untaken = set(), set()
    for start in range(0, len(numbers), CHUNK):
        chunk = numbers[start : start + CHUNK]
        digits = [int(n) for n in chunk if n.isdigit()]
        in_ledger |= set(Order.objects.filter(number__in=digits).values_list("number", flat=True))
        untaken |= set(
            SalesFeedRow.objects.filter(
                order__isnull=False, changed_at__gt=through, order_number__in=chunk
            ).values_list("order_number", flat=True)
        )
    return in_ledger, untaken


def parked_condition(line: OrderLine, order: Order) -> Condition:
    """A line parked because its SKU is not mapped: one ticket per SKU (its fingerprint)."""
    return Condition(
        type_code=PARKED,
        sku=line.centra_sku,
        context={
            "centra_size_id": line.centra_size_id,
            "centra_sku": line.centra_sku,
            "ean": line.ean,
            "order_number": order.number,
            "order_line_id": line.centra_line_id,
            "parked": True,
        },
        summary=f"Order {order.number}: line with Centra SKU {line.centra_sku!r} is parked, "
        "no Inventory Planner variant is mapped",
    )


def parked_tickets_clear(published_skus: set[str]) -> None:
    """Resolve the "parked" tickets of SKUs whose last parked line was just published: the
    SKU is mapped now, so nobody should chase it until the next catalog run."""
    still = set(
        OrderLine.objects.filter(parked=True, centra_sku__in=published_skus).values_list(
            "centra_sku", flat=True
        )
    )
    tickets_clear_many(
        [Condition(type_code=PARKED, sku=sku) for sku in published_skus - still],
        source=SOURCE,
        note="The SKU is mapped and its parked order lines were published.",
    )


def events_unavailable_settle(*, reason: str, silent_runs: int) -> None:
    """Keep one ``orders_events_unavailable`` ticket open while ``reason`` says why (the
    decision is ``plan.events_verdict``); clear it when events flow again."""
    condition = Condition(type_code=EVENTS_UNAVAILABLE, stream="orders")
    if not reason:
        tickets_clear_many(
            [condition],
            source=SOURCE,
            note="Centra's events calls succeed and events are not silent.",
        )
        return
    condition.summary = f"Order events unavailable, polling instead: {reason}"[:300]
    condition.context = {"reason": reason, "silent_runs": silent_runs}
    tickets_raise_many([condition], source=SOURCE)

"""Orphaned orders and unreleased cancellations: raised when the condition holds, cleared by
the same check when it no longer does (docs/catalog-and-orders.md, docs/exception-desk.md).

"Taken by IP" comes from the feed receipts: the file is a full snapshot, so a row is taken
when a completed fetch's ``served_through`` is at or after the row's ``changed_at``.
"""

from dataclasses import dataclass, field
from datetime import datetime

from exceptions.registry import TicketType
from exceptions.services import Condition, tickets_settle
from syncs.connectors.centra.types import Order as CentraOrder
from syncs.models import FeedDelivery, Order, OrderLine, SalesFeedRow
from syncs.orders.config import OrdersConfig

ORPHANED = TicketType.ORPHANED_ORDER
NOT_RELEASED = TicketType.CANCELLATION_NOT_RELEASED
SOURCE = "orders engine"
EPOCH = datetime(1970, 1, 1).astimezone()


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
    is found only once, by the pass that stores it).
    """

    through = feed_taken_through()
    untaken = set(
        SalesFeedRow.objects.filter(order__isnull=False, changed_at__gt=through)
        .values_list("order_number", flat=True)
        .distinct()
    )

    def still_orphaned(condition: Condition) -> bool:
        """Not in the ledger yet, or IP has not taken it."""
        if condition.type_code != ORPHANED:
            return False
        number = condition.order_number
        in_ledger = number.isdigit() and Order.objects.filter(number=int(number)).exists()
        return not in_ledger or number in untaken

    outcome = tickets_settle(
        type_codes=(ORPHANED, NOT_RELEASED),
        holding=findings.orphaned + findings.not_released,
        source=SOURCE,
        keep=still_orphaned,
    )
    return {**findings.counts, "tickets_cleared": outcome.cleared}

"""Retry for the order tickets: read the order from Centra again and store it, then say
whether the condition still holds (re-derived from current state, never from the ticket's
stored payload). Declared on the types (``retry=`` in ``exceptions.registry``).

IP pulls the feed on its own schedule, so a retry cannot make IP take an order: when the
order is stored and in the feed but not yet fetched, the retry says so and the ticket
resolves itself after IP's next fetch.
"""

from exceptions.registry import RetryResult
from syncs.catalog.selectors import SkuIndex
from syncs.clients import centra_client
from syncs.models import OrderLine, SalesFeedRow
from syncs.orders.pull import orders_fetch_by_number
from syncs.orders.store import orders_store
from syncs.orders.tickets import feed_taken_through


def _refetch(ticket) -> tuple[int | None, RetryResult | None]:
    if not ticket.order_number.isdigit():
        return None, RetryResult(
            ok=False, message=f"{ticket.order_number!r} is not an order number."
        )
    number = int(ticket.order_number)
    with centra_client() as centra:
        found = orders_fetch_by_number(centra, [number])
    if not found:
        return None, RetryResult(ok=False, message=f"Centra has no order {number}.")
    counts = orders_store(orders=found, skus=SkuIndex.load())
    if counts.rejected:
        return None, RetryResult(
            ok=False, message=f"Order {number} still cannot be stored: {counts.rejected[0][1]}"
        )
    return number, None


def orphaned_order_retry(ticket) -> RetryResult:
    number, failed = _refetch(ticket)
    if failed:
        return failed
    through = feed_taken_through()
    untaken = SalesFeedRow.objects.filter(order__number=number, changed_at__gt=through).count()
    if not untaken:
        return RetryResult(ok=True, message=f"Order {number} is in the ledger and IP has taken it.")
    return RetryResult(
        ok=False,
        message=f"Order {number} is in the ledger and the feed ({untaken} rows); Inventory "
        "Planner takes it at its next fetch and the ticket then resolves itself.",
    )


def cancellation_retry(ticket) -> RetryResult:
    number, failed = _refetch(ticket)
    if failed:
        return failed
    pending = OrderLine.objects.filter(
        order__number=number,
        parked=False,
        cancellation_seen_at__isnull=False,
        changed_at__gt=feed_taken_through(),
    ).count()
    if not pending:
        return RetryResult(ok=True, message=f"IP has taken order {number}'s cancellation.")
    return RetryResult(
        ok=False,
        message=f"Order {number}'s cancellation is in the feed ({pending} lines); Inventory "
        "Planner takes it at its next fetch and the ticket then resolves itself.",
    )

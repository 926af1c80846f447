"""The soak's invariants: the hub's database against the twins' own state and write log.

``invariants_check(truth)`` takes the twins' ``/soak/state`` (their ground truth) and
returns one ``Invariant`` per promise of the hub, each with the count it was checked on
and, when it fails, the first few offenders. Run after the faults have stopped and clean
cycles have run (``syncs.soak.harness``).
"""

import re
from collections import Counter
from dataclasses import dataclass

from django.db.models import Count

from exceptions.models import Ticket
from exceptions.registry import API_FAILURE_TYPES, TicketType
from returns.models import StockIn
from syncs.models import OrderLine, SalesFeedRow, StockPosition, StockPushLine, SyncRun

RECOVERY_LIMIT = 60.0
FAULT_TICKETS = (*API_FAILURE_TYPES, TicketType.SYNC_FAILED, TicketType.STOCK_IN_FAILED)
PUSH_DESCRIPTION = re.compile(r"centra-ip stock push (\d+) batch \d+")


@dataclass(frozen=True)
class Invariant:
    name: str
    count: int  # what it was checked on
    ok: bool
    detail: str = ""


def _verdict(name: str, count: int, offenders: list) -> Invariant:
    detail = f"{len(offenders)} offending: {offenders[:5]}" if offenders else ""
    return Invariant(name, count, not offenders, detail)


def order_lines_in_feed(truth: dict) -> Invariant:
    """Every Centra order line is in the IP feed exactly once, or parked with an open ticket."""
    lines = truth["order_lines"]
    rows = Counter(
        SalesFeedRow.objects.filter(source=SalesFeedRow.Source.ORDER_LINE).values_list(
            "source_ref", flat=True
        )
    )
    parked = set(OrderLine.objects.filter(parked=True).values_list("centra_line_id", flat=True))
    ticketed = set(
        Ticket.objects.filter(status__in=Ticket.ACTIVE).values_list("order_number", flat=True)
    )
    offenders = []
    for line in lines:
        if rows.get(str(line["id"]), 0) == 1:
            continue
        if line["id"] in parked and str(line["order"]) in ticketed:
            continue
        offenders.append((line["order"], line["id"], rows.get(str(line["id"]), 0)))
    return _verdict(
        "every Centra order line is in the IP feed exactly once (or parked with a ticket)",
        len(lines),
        offenders,
    )


def cancellations_released(truth: dict) -> Invariant:
    """Every cancellation is released in the feed: the feed row carries what is still
    ordered, or the whole line flagged cancelled (as ``syncs.orders`` writes it)."""
    cancelled = [
        line for line in truth["order_lines"] if line["cancelled"] or line["order_cancelled"]
    ]
    rows = {
        row.source_ref: row
        for row in SalesFeedRow.objects.filter(
            source=SalesFeedRow.Source.ORDER_LINE,
            source_ref__in=[str(line["id"]) for line in cancelled],
        )
    }
    offenders = []
    for line in cancelled:
        row = rows.get(str(line["id"]))
        whole = line["order_cancelled"] or line["quantity"] == 0
        expected = (
            (line["quantity"] + line["cancelled"], True) if whole else (line["quantity"], False)
        )
        if row is None or (row.quantity, row.cancelled) != expected:
            offenders.append((line["id"], expected, row and (row.quantity, row.cancelled)))
    return _verdict("every cancellation is released in the feed", len(cancelled), offenders)


def stock_ins_once(truth: dict) -> Invariant:
    """Every return stock-in was applied exactly once: one live IP stock order named by its
    key, received in full, and the stock-in confirmed; no live stock order for none."""
    live: dict[str, list[dict]] = {}
    for order in truth["ip_stock_orders"]:
        if order["status"] != "cancelled":
            live.setdefault(order["reference"], []).append(order)
    stock_ins = list(StockIn.objects.values_list("idempotency_key", "quantity", "state"))
    offenders = []
    for key, quantity, state in stock_ins:
        orders = live.get(key, [])
        received = [order["received"] for order in orders]
        if state != StockIn.State.CONFIRMED or received != [quantity]:
            offenders.append((key, state, quantity, received))
    known = {key for key, _, _ in stock_ins}
    offenders += [
        (ref, "no stock-in") for ref in live if ref.startswith("RET-") and ref not in known
    ]
    return _verdict("every return stock-in was applied exactly once", len(stock_ins), offenders)


def centra_equals_ats(truth: dict) -> Invariant:
    """For every mapped SKU, Centra's physical stock equals the ATS the hub computed from IP
    in the last (clean) stock run, with the world frozen."""
    physical = {(row["size"], row["warehouse"]): row["physical"] for row in truth["centra_stock"]}
    positions = StockPosition.objects.exclude(product_size_id=None).values_list(
        "sku", "product_size_id", "centra_warehouse_id", "ats"
    )
    offenders = [
        (sku, ats, physical.get((size, warehouse)))
        for sku, size, warehouse, ats in positions
        if physical.get((size, warehouse)) != ats
    ]
    return _verdict(
        "for every mapped SKU, Centra's stock equals the ATS from IP now", len(positions), offenders
    )


def writes_within_ats(truth: dict) -> Invariant:
    """No push ever wrote a value above the ATS it was allowed when written: each write in
    Centra's log is a line of the push it names, and no larger than that line's ATS."""
    writes = truth["stock_writes"]
    pushes = {int(m.group(1)) for w in writes if (m := PUSH_DESCRIPTION.search(w["description"]))}
    allowed = {
        (push, size, warehouse): quantity
        for push, size, warehouse, quantity in StockPushLine.objects.filter(
            push_id__in=pushes
        ).values_list("push_id", "product_size_id", "centra_warehouse_id", "quantity")
    }
    offenders = []
    for write in writes:
        match = PUSH_DESCRIPTION.search(write["description"])
        key = (int(match.group(1)) if match else None, int(write["size"]), int(write["warehouse"]))
        limit = allowed.get(key)
        if limit is None or write["quantity"] > limit:
            offenders.append((key, write["quantity"], limit))
    return _verdict(
        "no push wrote a value above the ATS allowed when it was written", len(writes), offenders
    )


def one_ticket_per_fingerprint() -> Invariant:
    active = Ticket.objects.filter(status__in=Ticket.ACTIVE)
    doubled = list(
        active.values("fingerprint")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .values_list("fingerprint", "n")
    )
    return _verdict("one active ticket per fingerprint", active.count(), doubled)


def no_run_left_running() -> Invariant:
    running = list(
        SyncRun.objects.filter(status=SyncRun.Status.RUNNING).values_list("stream", "pk")
    )
    return _verdict("no run left running", SyncRun.objects.count(), running)


def fault_tickets_resolved() -> Invariant:
    """The faults have ended: no API, failed-run or stock-in ticket is still active."""
    tickets = Ticket.objects.filter(type__in=FAULT_TICKETS)
    active = list(tickets.filter(status__in=Ticket.ACTIVE).values_list("type", "summary"))
    return _verdict("tickets about faults that have ended are resolved", tickets.count(), active)


def crash_recovery(recoveries: list[float]) -> Invariant:
    slow = [round(seconds, 1) for seconds in recoveries if seconds > RECOVERY_LIMIT]
    return _verdict(
        f"after each kill, the stream's next run started within {RECOVERY_LIMIT:g} s",
        len(recoveries),
        slow,
    )


def invariants_check(truth: dict, *, recoveries: list[float]) -> list[Invariant]:
    return [
        order_lines_in_feed(truth),
        cancellations_released(truth),
        stock_ins_once(truth),
        centra_equals_ats(truth),
        writes_within_ats(truth),
        one_ticket_per_fingerprint(),
        no_run_left_running(),
        fault_tickets_resolved(),
        crash_recovery(recoveries),
    ]

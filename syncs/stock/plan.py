"""The stock cycle's pure decisions: positions from IP's answer, the push plan, the guard's
view of it, and the figures a run reports. No database, no I/O: the engine reads what these
need (``reads``) and writes what they decide (``store``).

A stock position (one SKU in one Centra warehouse) is described once, by ``Position``; the
stored columns, the fields a cycle compares and the known-position tuple are derived from
its fields, and the ATS formula's input is built from it by ``position_input``.
"""

from collections import namedtuple
from dataclasses import dataclass, fields
from operator import attrgetter

from django.utils import timezone

from syncs.models import StockPushLine
from syncs.stock import push
from syncs.stock.ats import AtsInput, ats_compute
from syncs.stock.basis import book_basis, position_basis
from syncs.stock.guard import GuardInput


@dataclass(slots=True)
class Position:
    """A position's inputs as a cycle read them, and its ATS: the fields of
    ``StockPosition`` that a read sets. A plain object, because building 100,000 model
    instances per cycle to store the few that changed was most of a no-change cycle's time."""

    sku: str
    centra_warehouse_id: int
    product_size_id: int
    product: str
    category: str
    on_hand: int
    minimum_stock: float | None
    velocity: float | None
    ip_warehouses: list
    read_at: object
    ats: int = 0
    ats_basis: str = ""  # what ``ats`` was computed under (``basis``)


KEY = ("sku", "centra_warehouse_id")
# The columns a cycle writes on a ``StockPosition`` (the key identifies the row).
INPUT_FIELDS = [f.name for f in fields(Position) if f.name not in KEY]
# What decides whether a stored position changed (when it was read does not).
COMPARED = tuple(name for name in INPUT_FIELDS if name != "read_at")
# The formula's inputs among them, in the same order: what ``COMPARED`` begins with.
INPUTS = COMPARED[: COMPARED.index("ats")]
# What the engine needs of the positions known before a cycle, read as tuples: the compared
# fields, and what was last pushed and last seen in Centra.
Known = namedtuple("Known", [*COMPARED, "last_pushed", "centra_physical", "centra_allocated"])
# A position's compared fields as a tuple (what ``Known`` begins with).
compared_values = attrgetter(*COMPARED)
input_values = attrgetter(*INPUTS)


@dataclass(slots=True)
class Catalog:
    """What computing a position needs besides IP's answer, loaded once per cycle (the
    zero watch computes again mid-push from the same)."""

    mapped: dict[str, tuple[int, int]]
    product_numbers: dict[int, str]
    statuses: dict
    by_centra: dict[int, list[str]]


def position_input(position, statuses: dict[str, int], on_hand: float | None = None) -> AtsInput:
    """The formula's input for a ``Position`` or a stored ``StockPosition`` (same fields).
    ``on_hand``: the unrounded sum of IP's warehouses, when the caller has it (the formula
    floors it; the stored figure is truncated)."""
    return AtsInput(
        sku=position.sku,
        warehouse=str(position.centra_warehouse_id),
        on_hand=position.on_hand if on_hand is None else on_hand,
        product=position.product,
        category=position.category,
        minimum_stock=position.minimum_stock,
        velocity=position.velocity,
        statuses=statuses,
    )


def unreadable_reason(variant, ip_warehouses: list[str], blocks: list) -> str:
    """Why IP's answer gives no stock figure for this variant in these warehouses, or "".
    ``blocks``: the variant's block for each of ``ip_warehouses`` (None where it has none).

    A block without ``in_stock``, or no block at all in the answer, is unreadable (never
    zero: zeroing a storefront on a figure IP did not send is the one unsafe guess). A
    variant with blocks, but none for this warehouse, has no stock there (0)."""
    if variant.removed:
        return ""  # a removed variant sells nothing, whatever IP says
    if not variant.warehouses:
        return "IP's answer has no warehouse blocks for this variant"
    for ip_warehouse, block in zip(ip_warehouses, blocks, strict=True):
        if block is not None and block.in_stock is None:
            return f"IP warehouse {ip_warehouse}: in_stock missing from IP's answer"
    return ""


def positions_compute(
    *, variants, book, catalog: Catalog, previous: dict | None = None
) -> tuple[dict[tuple[str, int], Position], dict[tuple[str, int], str]]:
    """Fresh positions keyed by (SKU, Centra warehouse), and the positions skipped because
    IP's stock could not be read, with why (never computed, never pushed, never zeroed).

    The hot loop of every cycle (100,000 SKUs): each variant's warehouse blocks are looked
    up once, and the sorted IP warehouse list of a Centra warehouse is one list shared by
    its positions (nothing mutates it). A position of ``previous`` (``Known`` tuples) read
    with the same inputs under the same basis keeps its stored ATS (``ats_keep``)."""
    mapped, product_numbers, statuses = catalog.mapped, catalog.product_numbers, catalog.statuses
    targets = [(centra_id, sorted(ids)) for centra_id, ids in catalog.by_centra.items()]
    no_statuses: dict[str, int] = {}
    book_digest, previous = book_basis(book), previous or {}
    now = timezone.now()
    fresh: dict[tuple[str, int], Position] = {}
    unreadable: dict[tuple[str, int], str] = {}
    for variant in variants:
        sku = variant.sku
        if sku not in mapped:
            continue  # the catalog engine tickets unmapped SKUs
        size_id, product_id = mapped[sku]
        product = product_numbers.get(size_id) or str(product_id)
        category = variant.product_type or ""
        for centra_id, ip_warehouses in targets:
            key = (sku, centra_id)
            blocks = [variant.warehouse(ip_warehouse) for ip_warehouse in ip_warehouses]
            reason = unreadable_reason(variant, ip_warehouses, blocks)
            if reason:
                unreadable[key] = reason
                continue
            on_hand, minimum, velocity = 0.0, None, None
            for block in blocks:
                if block is None:
                    continue
                if block.in_stock is not None:  # None only on a removed variant (zeroed below)
                    on_hand += block.in_stock
                if block.minimum_stock is not None:
                    minimum = (minimum or 0) + block.minimum_stock
                if block.sales_velocity is not None:
                    velocity = (velocity or 0) + block.sales_velocity
            if variant.removed:
                on_hand = 0.0  # a removed variant sells nothing
            position = Position(
                sku,
                centra_id,
                size_id,
                product,
                category,
                int(on_hand) if on_hand >= 0 else -int(-on_hand),
                minimum,
                velocity,
                ip_warehouses,
                now,
            )
            held = statuses.get(key, no_statuses)
            position.ats_basis = position_basis(book_digest, held, on_hand)
            if not ats_keep(position, previous.get(key)):
                position.ats = ats_compute(position_input(position, held, on_hand), book).quantity
            fresh[key] = position
    return fresh, unreadable


def ats_keep(position: Position, known) -> bool:
    """Take the stored ATS when the stored position was read with the same inputs and its
    ATS computed under the same basis: the formula would give the same number again. A
    blank basis never matches (``basis.NEVER``)."""
    if known is None or not position.ats_basis or known.ats_basis != position.ats_basis:
        return False
    if known[: len(INPUTS)] != input_values(position):
        return False
    position.ats = known.ats
    return True


def positions_changed(fresh, previous: dict) -> list[Position]:
    """The positions whose inputs or ATS differ from what is stored (all on a first cycle).
    ``previous`` holds ``Known`` tuples, or any tuple that begins with the ``COMPARED``
    fields, so one tuple comparison decides."""
    width = len(COMPARED)
    changed = []
    for key, now in fresh.items():
        before = previous.get(key)
        if before is None or before[:width] != compared_values(now):
            changed.append(now)
    return changed


def plan_lines(*, fresh, previous, settings, full: bool, rest_recent: bool) -> tuple[list, int]:
    """Unsaved push lines in send order, and how many rest-lane lines wait for later
    (``rest_recent``: a rest-lane line was sent within the settings' rest-lane minutes)."""
    rest_recent = rest_recent and not full
    low, fast = settings.low_stock_units, float(settings.high_velocity_per_day)
    lines, deferred = [], 0
    for key, item in fresh.items():
        ats = item.ats
        before = previous.get(key)
        last = before.last_pushed if before else None
        shown = before.centra_physical if before else None
        shown_differs = shown is not None and shown != max(ats, before.centra_allocated or 0)
        if full:
            why = "full push"
        elif last is None:
            why = "never pushed"
        elif before.product_size_id != item.product_size_id:
            why = f"SKU now maps to Centra size {item.product_size_id}"
        elif last != ats:
            why = f"ATS {ats}, last pushed {last}"
        elif shown_differs:
            why = f"Centra shows {shown}, ATS {ats}"
        else:
            continue
        lane = push.lane_for(
            quantity=ats, previous=last, velocity=item.velocity, low=low, fast=fast
        )
        if lane == StockPushLine.Lane.REST and rest_recent and last is not None:
            deferred += 1
            continue
        lines.append(
            StockPushLine(
                sku=key[0],
                centra_warehouse_id=key[1],
                product_size_id=item.product_size_id,
                quantity=ats,
                previous_pushed=last,
                centra_before=shown,
                lane=lane,
                why=why,
                position=0,
            )
        )
    lines.sort(
        key=lambda line: push.priority_key(
            line.lane,
            line.quantity,
            fresh[(line.sku, line.centra_warehouse_id)].velocity,
            line.sku,
            line.centra_warehouse_id,
        )
    )
    for index, line in enumerate(lines, start=1):
        line.position = index
    return lines, deferred


def plan_counts(*, variants: int, fresh, unreadable, lines, deferred: int) -> dict:
    """The figures a cycle's run and push record about its plan."""
    return {
        "variants": variants,
        "positions": len(fresh),
        "unreadable": len(unreadable),
        "planned": len(lines),
        "deferred": deferred,
        "to_zero": sum(line.quantity == 0 for line in lines),
        **{
            f"lane_{lane}": sum(line.lane == lane for line in lines)
            for lane in StockPushLine.Lane.values
        },
    }


def guard_input(*, fresh, previous, unreadable) -> GuardInput:
    """Unreadable positions are skipped, so for the guard they keep what was last pushed."""
    had_stock = to_zero = total_before = total_after = 0
    for key, before in previous.items():
        last = before.last_pushed or 0
        now = fresh[key].ats if key in fresh else 0
        if key in unreadable:
            now = last
        total_before += last
        total_after += now
        if last > 0:
            had_stock += 1
            to_zero += now == 0
    return GuardInput(
        known=len(previous),
        read=len(fresh) + len(unreadable),
        unreadable=len(unreadable),
        had_stock=had_stock,
        to_zero=to_zero,
        total_before=total_before,
        total_after=total_after,
    )


def read_to_write(lines, *, read_started, read_by_line=None) -> dict[str, dict[str, float]]:
    """Per lane, seconds from the start of the IP read a line came from (this cycle's, or
    for a zero-watch line its watch's: ``read_by_line``) to Centra accepting the line: the
    median, the 95th percentile and the slowest. The start of the read, not its end,
    because IP's figure for a SKU may be from any page of it; this is the oversell window
    the storefront saw for what this cycle pushed (docs/stock-engine.md "Read to write")."""
    read_by_line = read_by_line or {}
    by_lane: dict[str, list[float]] = {}
    for line in lines:
        if line.sent_at is not None and line.status != StockPushLine.Status.REJECTED:
            started = read_by_line.get(line.pk, read_started)
            by_lane.setdefault(line.lane, []).append((line.sent_at - started).total_seconds())
    figures = {}
    for lane in StockPushLine.Lane.values:
        seconds = sorted(by_lane.get(lane, ()))
        if seconds:
            figures[lane] = {
                "lines": len(seconds),
                "p50": round(percentile(seconds, 50), 1),
                "p95": round(percentile(seconds, 95), 1),
                "max": round(seconds[-1], 1),
            }
    return figures


def percentile(ordered: list[float], share: int) -> float:
    """The nearest-rank percentile of sorted figures (p50 of an even count: the lower)."""
    return ordered[max(0, -(-len(ordered) * share // 100) - 1)]


def dry_run_summary(stock_push, lines, reasons) -> str:
    """The diff in one line for ``sync stock --dry-run``; the preview page has all of it."""
    head = ", ".join(
        f"{line.sku}@{line.centra_warehouse_id} "
        f"{'-' if line.previous_pushed is None else line.previous_pushed}->{line.quantity}"
        for line in lines[:8]
    )
    guard = f"guard would hold: {'; '.join(reasons)}" if reasons else "guard: ok"
    more = f" and {len(lines) - 8} more" if len(lines) > 8 else ""
    return (
        f"dry run: {len(lines)} lines would be pushed, "
        f"{sum(line.quantity == 0 for line in lines)} to zero "
        f"(preview /syncs/stock/pushes/{stock_push.pk}/); {guard}; first: {head or 'none'}{more}"
    )

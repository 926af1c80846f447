"""The stock engine: IP stock in, ATS per SKU and Centra warehouse out, pushed when changed.

One cycle (``sync stock [--dry-run] [--full]``):

1. read IP variants with a narrow ``fields=`` (SKU, removed, per-warehouse ``in_stock``,
   ``minimum_stock`` and forecast velocity); a failed read raises before anything is
   planned, so nothing is sent (fail closed) and a ``push_held`` ticket says why;
2. resolve the warehouse map (automatic when each side has exactly one warehouse);
3. for every mapped SKU (``SkuMapping``) and Centra warehouse, compute ATS with the pure
   formula (``ats.ats_compute``) from on hand, the status ledger, allocations and safety
   stock;
4. plan a line where ATS differs from what we last pushed, or from what Centra showed
   when last read (or every line with ``--full``), in priority lanes;
5. the guard looks at the plan; a plan that looks wrong is held whole (ticket, held-push
   page); a dry run stores the plan as a preview and stops;
6. push (``push.push_send``), then read Centra back for drift (``drift.drift_check``).
"""

from collections import namedtuple
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from exceptions.services import (
    Condition,
    ticket_clear,
    ticket_raise,
    tickets_active_subjects,
    tickets_clear_many,
    tickets_raise_many,
)
from syncs.clients import centra_client, inventory_planner_client
from syncs.connectors.base import Clock, ConnectorError
from syncs.connectors.centra import CentraLimits, Pacer
from syncs.engines import EngineResult
from syncs.models import (
    CentraSize,
    SkuMapping,
    StockPosition,
    StockPush,
    StockPushLine,
    StockSettings,
    WarehouseMapping,
)
from syncs.stock import drift, push
from syncs.stock.ats import Ats, AtsInput, ats_compute
from syncs.stock.bulk import bulk_insert, bulk_upsert
from syncs.stock.guard import GuardInput, guard_reasons, thresholds
from syncs.stock.heap import without_collector
from syncs.stock.rules import rulebook_load
from syncs.stock.services import (
    config_save,
    held_pushes_supersede,
    status_quantities,
    warehouse_map_load,
)
from syncs.stock.watch import ZeroWatch

SOURCE = push.SOURCE
STREAM = "stock"
UNREADABLE = "stock_unreadable"
IP_FIELDS = (
    "sku",
    "removed",
    "product_type",
    "warehouse.in_stock",
    "warehouse.minimum_stock",
    "warehouse.forecast_description.sales_velocity1",
)
INPUT_FIELDS = [
    "product_size_id",
    "product",
    "category",
    "on_hand",
    "minimum_stock",
    "velocity",
    "ip_warehouses",
    "read_at",
    "ats",
]


_PACER: Pacer | None = None


def shared_pacer() -> Pacer:
    """One pacer per process for every stock cycle: Centra's buckets outlive a cycle, so the
    next cycle must not assume them full after the last one's push and read-back."""
    global _PACER
    if _PACER is None:
        _PACER = Pacer(CentraLimits(), Clock())
    return _PACER


class StockConfigError(Exception):
    """The engine cannot decide where stock goes (e.g. the warehouse map is missing)."""


@dataclass(slots=True)
class Inputs:
    """A position's inputs as this cycle read them: the fields of ``StockPosition`` that a
    read sets. A plain object, because building 100,000 model instances per cycle to store
    the few that changed was most of a no-change cycle's time."""

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


@dataclass(slots=True)
class Fresh:
    """One SKU in one Centra warehouse as this cycle read and computed it."""

    position: Inputs
    result: Ats


# What the engine needs of the positions known before a cycle, read as tuples.
Known = namedtuple(
    "Known",
    [
        "product_size_id",
        "product",
        "category",
        "on_hand",
        "minimum_stock",
        "velocity",
        "ip_warehouses",
        "ats",
        "last_pushed",
        "centra_physical",
        "centra_allocated",
    ],
)
COMPARED = (
    "product_size_id",
    "product",
    "category",
    "on_hand",
    "minimum_stock",
    "velocity",
    "ip_warehouses",
    "ats",
)


def positions_known(**filters) -> dict[tuple[str, int], Known]:
    rows = StockPosition.objects.filter(**filters).values_list(
        "sku", "centra_warehouse_id", *Known._fields
    )
    return {(row[0], row[1]): Known(*row[2:]) for row in rows.iterator(chunk_size=5000)}


def warehouse_map_resolve(*, centra, ip_warehouses: set[str]) -> dict[str, int]:
    """The configured map; or, with none configured and one warehouse on each side, that
    pair, saved (and audited) so the screen shows it. Anything else needs an admin."""
    configured = warehouse_map_load()
    if configured:
        return configured
    centra_warehouses = list(centra.iter_warehouses())
    if len(centra_warehouses) == 1 and len(ip_warehouses) == 1:
        (ip_warehouse,) = ip_warehouses
        mapping = config_save(
            area="warehouse_map",
            instance=WarehouseMapping(
                ip_warehouse=ip_warehouse,
                centra_warehouse_id=centra_warehouses[0].id,
                centra_warehouse_name=centra_warehouses[0].name,
            ),
            actor=None,
            via="automatic",
        )
        return {mapping.ip_warehouse: mapping.centra_warehouse_id}
    raise StockConfigError(
        f"the warehouse map is empty and cannot be automatic: IP has {len(ip_warehouses)} "
        f"warehouses, Centra {len(centra_warehouses)}; map them under Configuration"
    )


def ip_read(*, ip) -> list:
    """All IP variants, or a ticket and the error (nothing planned, nothing sent)."""
    try:
        return list(ip.iter_variants(fields=IP_FIELDS))
    except ConnectorError as error:
        ticket_raise(
            type_code="push_held",
            source=SOURCE,
            stream=STREAM,
            summary=f"IP stock read failed, nothing was sent: {error}"[:300],
            context={"reasons": [f"IP read failed: {error}"]},
        )
        raise


def unreadable_reason(variant, ip_warehouses: list[str]) -> str:
    """Why IP's answer gives no stock figure for this variant in these warehouses, or "".

    A block without ``in_stock``, or no block at all in the answer, is unreadable (never
    zero: zeroing a storefront on a figure IP did not send is the one unsafe guess). A
    variant with blocks, but none for this warehouse, has no stock there (0)."""
    if variant.removed:
        return ""  # a removed variant sells nothing, whatever IP says
    if not variant.warehouses:
        return "IP's answer has no warehouse blocks for this variant"
    for ip_warehouse in ip_warehouses:
        block = variant.warehouse(ip_warehouse)
        if block is not None and block.in_stock is None:
            return f"IP warehouse {ip_warehouse}: in_stock missing from IP's answer"
    return ""


@dataclass(slots=True)
class Catalog:
    """What computing a position needs besides IP's answer, loaded once per cycle (the
    zero watch computes again mid-push from the same)."""

    mapped: dict[str, tuple[int, int]]
    product_numbers: dict[int, str]
    statuses: dict
    by_centra: dict[int, list[str]]


def catalog_load(ip_to_centra: dict[str, int]) -> Catalog:
    mapped = {
        sku: (size_id, product_id)
        for sku, size_id, product_id in SkuMapping.objects.values_list(
            "sku", "centra_size_id", "centra_product_id"
        )
    }
    by_centra: dict[int, list[str]] = {}
    for ip_warehouse, centra_id in ip_to_centra.items():
        by_centra.setdefault(centra_id, []).append(ip_warehouse)
    return Catalog(
        mapped=mapped,
        product_numbers=dict(CentraSize.objects.values_list("size_id", "product_number")),
        statuses=status_quantities(ip_to_centra),
        by_centra=by_centra,
    )


def positions_compute(
    *, variants, ip_to_centra: dict[str, int], book, catalog: Catalog | None = None
) -> tuple[dict, dict[tuple[str, int], str]]:
    """Fresh positions keyed by (SKU, Centra warehouse), and the positions skipped because
    IP's stock could not be read, with why (never computed, never pushed, never zeroed)."""
    catalog = catalog or catalog_load(ip_to_centra)
    mapped, product_numbers = catalog.mapped, catalog.product_numbers
    statuses, by_centra = catalog.statuses, catalog.by_centra
    now = timezone.now()
    fresh: dict[tuple[str, int], Fresh] = {}
    unreadable: dict[tuple[str, int], str] = {}
    for variant in variants:
        if variant.sku not in mapped:
            continue  # the catalog engine tickets unmapped SKUs
        size_id, product_id = mapped[variant.sku]
        product = product_numbers.get(size_id) or str(product_id)
        for centra_id, ip_warehouses in by_centra.items():
            reason = unreadable_reason(variant, ip_warehouses)
            if reason:
                unreadable[(variant.sku, centra_id)] = reason
                continue
            on_hand, minimum, velocity = 0.0, None, None
            for ip_warehouse in ip_warehouses:
                block = variant.warehouse(ip_warehouse)
                if block is None:
                    continue
                on_hand += block.in_stock
                if block.minimum_stock is not None:
                    minimum = (minimum or 0) + block.minimum_stock
                if block.sales_velocity is not None:
                    velocity = (velocity or 0) + block.sales_velocity
            if variant.removed:
                on_hand = 0.0  # a removed variant sells nothing
            position = Inputs(
                sku=variant.sku,
                centra_warehouse_id=centra_id,
                product_size_id=size_id,
                product=product,
                category=variant.product_type or "",
                on_hand=int(on_hand) if on_hand >= 0 else -int(-on_hand),
                minimum_stock=minimum,
                velocity=velocity,
                ip_warehouses=sorted(ip_warehouses),
                read_at=now,
            )
            item = AtsInput(
                sku=variant.sku,
                warehouse=str(centra_id),
                on_hand=on_hand,
                product=product,
                category=variant.product_type or "",
                minimum_stock=minimum,
                velocity=velocity,
                statuses=statuses.get((variant.sku, centra_id), {}),
            )
            result = ats_compute(item, book)
            position.ats = result.quantity
            fresh[(variant.sku, centra_id)] = Fresh(position, result)
    return fresh, unreadable


def plan_lines(*, fresh, previous, settings: StockSettings, full: bool) -> tuple[list, int]:
    """Unsaved push lines in send order, and how many rest-lane lines wait for later."""
    rest_recent = (
        not full
        and StockPushLine.objects.filter(
            lane=StockPushLine.Lane.REST,
            status__in=[StockPushLine.Status.SENT, StockPushLine.Status.WARNED],
            sent_at__gte=timezone.now() - timedelta(minutes=settings.rest_lane_minutes),
        ).exists()
    )
    low, fast = settings.low_stock_units, float(settings.high_velocity_per_day)
    lines, deferred = [], 0
    for key, item in fresh.items():
        ats = item.result.quantity
        before = previous.get(key)
        last = before.last_pushed if before else None
        shown = before.centra_physical if before else None
        shown_differs = shown is not None and shown != max(ats, before.centra_allocated or 0)
        if full:
            why = "full push"
        elif last is None:
            why = "never pushed"
        elif before.product_size_id != item.position.product_size_id:
            why = f"SKU now maps to Centra size {item.position.product_size_id}"
        elif last != ats:
            why = f"ATS {ats}, last pushed {last}"
        elif shown_differs:
            why = f"Centra shows {shown}, ATS {ats}"
        else:
            continue
        lane = push.lane_for(
            quantity=ats, previous=last, velocity=item.position.velocity, low=low, fast=fast
        )
        if lane == StockPushLine.Lane.REST and rest_recent and last is not None:
            deferred += 1
            continue
        lines.append(
            StockPushLine(
                sku=key[0],
                centra_warehouse_id=key[1],
                product_size_id=item.position.product_size_id,
                quantity=ats,
                previous_pushed=last,
                centra_before=shown,
                lane=lane,
                why=why,
                position=0,
            )
        )
    velocity = {key: fresh[key].position.velocity for key in fresh}
    lines.sort(
        key=lambda line: push.priority_key(
            line.lane,
            line.quantity,
            velocity[(line.sku, line.centra_warehouse_id)],
            line.sku,
            line.centra_warehouse_id,
        )
    )
    for index, line in enumerate(lines, start=1):
        line.position = index
    return lines, deferred


def guard_input(*, fresh, previous, unreadable) -> GuardInput:
    """Unreadable positions are skipped, so for the guard they keep what was last pushed."""
    had_stock = to_zero = total_before = total_after = 0
    for key, before in previous.items():
        last = before.last_pushed or 0
        now = fresh[key].result.quantity if key in fresh else 0
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


def positions_store(fresh, previous: dict[tuple[str, int], Known]) -> int:
    """Upsert the positions whose inputs or ATS changed (all of them on a first cycle)."""
    changed = []
    for key, item in fresh.items():
        before, now = previous.get(key), item.position
        if before is not None and all(
            getattr(before, name) == getattr(now, name) for name in COMPARED
        ):
            continue
        changed.append(StockPosition(**{name: getattr(now, name) for name in Inputs.__slots__}))
    bulk_upsert(
        StockPosition,
        changed,
        unique_fields=["sku", "centra_warehouse_id"],
        update_fields=INPUT_FIELDS,
    )
    return len(changed)


def watched_store(watched: dict, fresh: dict) -> None:
    """Store what the zero watch read, compared with what this cycle stored (its own read
    or an earlier watch), not with the positions known before the cycle."""
    positions_store(watched, {key: fresh[key].position for key in watched if key in fresh})
    fresh.update(watched)


def push_store(*, run, status, lines, reasons, counts) -> StockPush:
    with transaction.atomic():
        stock_push = StockPush.objects.create(
            run=run, status=status, reasons=reasons, counts=counts
        )
        for line in lines:
            line.push = stock_push
        bulk_insert(StockPushLine, lines)
    return stock_push


@without_collector
def stock_engine(*, run, dry_run: bool, full: bool, centra_options=None) -> EngineResult:
    """``centra_options`` go to the Centra client (tests and the benchmark pass a simulated
    ``clock`` shared with the twin, so pacing is proven without waiting in real time)."""
    settings = StockSettings.load()
    book = rulebook_load()
    options = {"pacer": shared_pacer(), **(centra_options or {})}
    if "clock" in options and "pacer" not in (centra_options or {}):
        del options["pacer"]  # a caller's own clock needs a pacer on that clock
    with (
        inventory_planner_client(sync_run=run) as ip,
        centra_client(sync_run=run, **options) as centra,
    ):
        read_started, read_clock = timezone.now(), centra.clock.monotonic()
        variants = ip_read(ip=ip)
        ip_warehouses = {block.warehouse for v in variants for block in v.warehouses}
        # Other integrations (and our own last read-back) draw on the same buckets: start
        # from what Centra says is left, not from full buckets.
        centra.sync_pacing()
        ip_to_centra = warehouse_map_resolve(centra=centra, ip_warehouses=ip_warehouses)
        catalog = catalog_load(ip_to_centra)
        fresh, unreadable = positions_compute(
            variants=variants, ip_to_centra=ip_to_centra, book=book, catalog=catalog
        )
        previous = positions_known()
        lines, deferred = plan_lines(fresh=fresh, previous=previous, settings=settings, full=full)
        reasons = guard_reasons(
            guard_input(fresh=fresh, previous=previous, unreadable=unreadable),
            thresholds(settings),
        )
        counts = {
            "variants": len(variants),
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
        if reasons and not dry_run:
            stock_push = push_store(
                run=run, status=StockPush.Status.HELD, lines=lines, reasons=reasons, counts=counts
            )
            held_pushes_supersede(
                because=f"a later cycle planned push {stock_push.pk}", older_than=stock_push.pk
            )
            ticket_raise(
                type_code="push_held",
                source=SOURCE,
                stream=STREAM,
                summary=f"Stock push {stock_push.pk} held: {'; '.join(reasons)}"[:300],
                context={"push": stock_push.pk, "reasons": reasons},
            )
            return EngineResult(
                summary=f"held by the guard: {'; '.join(reasons)}", counts=counts, held=True
            )
        if not reasons:
            counts["positions_changed"] = positions_store(fresh, previous)
        if dry_run:
            stock_push = push_store(
                run=run,
                status=StockPush.Status.PREVIEW,
                lines=lines,
                reasons=reasons,
                counts=counts,
            )
            return EngineResult(
                summary=dry_run_summary(stock_push, lines, reasons),
                counts={**counts, "preview": stock_push.pk},
            )
        ticket_clear(type_code="push_held", source=SOURCE, stream=STREAM)
        unreadable_settle(fresh=fresh, unreadable=unreadable)
        stock_push = push_store(
            run=run, status=StockPush.Status.SENT, lines=lines, reasons=[], counts=counts
        )
        held_pushes_supersede(
            because=f"a later cycle sent push {stock_push.pk}", older_than=stock_push.pk
        )
        watch = ZeroWatch(
            read=lambda **query: ip.iter_variants(fields=IP_FIELDS, **query),
            compute=lambda zero: positions_compute(
                variants=zero, ip_to_centra=ip_to_centra, book=book, catalog=catalog
            )[0],
            store=lambda watched: watched_store(watched, fresh),
            clock=centra.clock,
            push=stock_push,
            lines=lines,
            previous=previous,
            settings=settings,
            read_started=read_clock,
        )
        counts.update(
            push_and_check(
                stock_push=stock_push, lines=lines, centra=centra, settings=settings, watch=watch
            )
        )
        counts["read_to_write"] = read_to_write(
            lines, read_started=read_started, read_by_line=watch.read_started
        )
        stock_push.counts = counts
        stock_push.save(update_fields=["counts"])
    return EngineResult(
        summary=f"{counts['accepted']} of {len(lines)} lines pushed in {counts['mutations']} "
        f"mutations, {counts['rejected']} rejected, {counts['drift']} drifting",
        counts=counts,
    )


def unreadable_settle(*, fresh, unreadable: dict[tuple[str, int], str]) -> None:
    """One ``stock_unreadable`` ticket per skipped SKU and warehouse; cleared once read."""
    tickets_raise_many(
        [
            Condition(
                type_code=UNREADABLE,
                sku=sku,
                warehouse=str(warehouse),
                summary=f"{sku}: skipped, its stock in IP cannot be read ({reason}); "
                "Centra keeps what it has"[:300],
                context={"reason": reason, "centra_warehouse_id": warehouse},
            )
            for (sku, warehouse), reason in unreadable.items()
        ],
        source=SOURCE,
    )
    readable_again = [
        Condition(type_code=UNREADABLE, sku=sku, warehouse=warehouse)
        for sku, warehouse in tickets_active_subjects(UNREADABLE, "sku", "warehouse")
        if (sku, int(warehouse)) in fresh
    ]
    tickets_clear_many(readable_again, source=SOURCE, note="IP's stock figure is readable again.")


def push_and_check(*, stock_push, lines, centra, settings, watch=None) -> dict:
    """Pace to what Centra says is left, push (with the zero watch), then read back for
    drift."""
    clock = centra.clock
    started = clock.monotonic()
    pushed_since = timezone.now() if lines else None
    if lines:
        centra.sync_pacing()
    outcome = push.push_send(
        push=stock_push, lines=lines, centra=centra, batch_size=settings.batch_size, watch=watch
    )
    seconds = clock.monotonic() - started
    checked = drift.drift_check(
        centra=centra,
        pushed_since=pushed_since,
        pushed_keys=drift.recheck_keys(lines),
        tolerance=settings.drift_tolerance,
        sample_size=settings.drift_sample_size,
    )
    return {
        "mutations": outcome.mutations,
        "accepted": outcome.accepted,
        "warned": outcome.warned,
        "rejected": outcome.rejected,
        "batches_split": outcome.splits,
        "push_seconds": round(seconds, 3),
        "lines_per_second": round(len(lines) / seconds, 1) if seconds > 0 else None,
        "mutations_per_10s": round(outcome.mutations * 10 / seconds, 2) if seconds > 0 else None,
        "drift_checked": checked.checked,
        "drift": checked.drifting,
        "drift_cleared": checked.cleared,
        **(watch.counts() if watch else {}),
    }


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

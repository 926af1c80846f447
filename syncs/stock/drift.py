"""Drift: after a push, read Centra back and compare with what we set.

Checked: every SKU pushed this cycle that Centra did not confirm cleanly (or that has a
drift ticket to clear), plus a rotating sample of the rest (the ``sample_size`` positions
checked longest ago, so every SKU comes round). For each, Centra
should show ``freeToAllocateQuantity == max(0, last pushed - allocated)``: we write
PHYSICAL, Centra subtracts its own allocations. A difference beyond the tolerance raises a
``stock_drift`` ticket (an oversell risk when Centra shows more); a match clears it.

Only the variants holding the wanted sizes are read (``productVariants(where: {id: [...]})``,
in chunks), so the rotating sample costs what it checks, not a walk of the whole catalog.
A wanted size Centra does not answer for counts as zero there.
"""

from dataclasses import dataclass

from django.db.models import F
from django.utils import timezone

from centra_ip.bulk import update_grouped
from centra_ip.chunks import chunked
from exceptions.registry import TicketType
from exceptions.services import (
    Condition,
    tickets_active_subjects,
    tickets_clear_many,
    tickets_raise_many,
)
from syncs.models import SkuMapping, StockPosition, StockPushLine
from syncs.stock.push import confirmed

SOURCE = "stock engine"
# Rows per page of ``ProductVariant.stock`` (only the checked warehouses' rows are asked
# for). Centra's complexity counts the limit, not the rows, so the client's default of 200
# made a read-back cost ~4x more of the complexity quota than needed; a variant with more
# rows is read on in further pages.
STOCK_LIMIT = 50
# Variant ids per filtered read: each page request repeats the id list, so keep it short.
VARIANTS_PER_READ = 200


@dataclass
class DriftOutcome:
    checked: int = 0
    drifting: int = 0
    cleared: int = 0


def drift_wanted(
    *, pushed_since, sample_size: int, pushed_keys=None
) -> dict[tuple[int, int], StockPosition]:
    """Positions pushed at or after ``pushed_since`` (None: none), plus the rotating sample.

    ``pushed_keys`` narrows the pushed ones to these (SKU, warehouse) keys: the engine
    passes only the lines whose write Centra did not confirm, or that a drift ticket waits
    on (see ``recheck_keys``); None reads back everything pushed since."""
    candidates = StockPosition.objects.filter(
        last_pushed__isnull=False, product_size_id__isnull=False
    )
    sample = candidates.order_by(F("centra_seen_at").asc(nulls_first=True), "pk")[:sample_size]
    wanted = {(p.product_size_id, p.centra_warehouse_id): p for p in sample}
    if pushed_since is None:
        return wanted
    pushed = candidates.filter(last_pushed_at__gte=pushed_since)
    if pushed_keys is not None:
        skus = sorted({sku for sku, _ in pushed_keys})
        pushed = [
            position
            for chunk in chunked(skus, 2000)
            for position in pushed.filter(sku__in=chunk)
            if (position.sku, position.centra_warehouse_id) in pushed_keys
        ]
    else:
        pushed = pushed.iterator(2000)
    for position in pushed:
        wanted[(position.product_size_id, position.centra_warehouse_id)] = position
    return wanted


def recheck_keys(lines) -> set[tuple[str, int]]:
    """The pushed lines worth reading back: those Centra did not confirm cleanly (a warning,
    or no ``stockChange`` recorded), and those with an open drift ticket to clear.

    A line accepted with a ``stockChange`` and no message is what Centra says it holds:
    PHYSICAL = the quantity sent (``push.confirmed``). Reading 100,000 of those back after
    a full push cost nearly three times the push itself in Centra's quota, and held the stream
    for it; drift on them (someone else writing later) is what the rotating sample is for.
    """
    drifting = tickets_active_subjects(TicketType.STOCK_DRIFT, "sku", "warehouse")
    return {
        (line.sku, line.centra_warehouse_id)
        for line in lines
        if line.status != StockPushLine.Status.REJECTED
        and (not confirmed(line) or (line.sku, str(line.centra_warehouse_id)) in drifting)
    }


def _drifts(position, *, fta: int, expected: int, tolerance: int, pushed_since) -> bool:
    """Whether Centra's figure is drift worth a ticket.

    Showing *more* than expected is always drift (an oversell risk). Showing *less* is
    drift only for a SKU pushed in this cycle and read back seconds later: for one pushed
    earlier, a shipment since then lowers Centra's physical and allocated together, so
    ``last pushed - allocated now`` overstates what Centra should show until IP's on-hand
    catches up and the next push corrects it; that is not drift, and it is never unsafe.
    """
    if fta - expected > tolerance:
        return True
    pushed_now = (
        pushed_since is not None
        and position.last_pushed_at is not None
        and position.last_pushed_at >= pushed_since
    )
    return pushed_now and expected - fta > tolerance


def _variant_chunks(size_ids: set[int], size: int = VARIANTS_PER_READ):
    """The Centra variants holding these sizes, in chunks for ``productVariants(where:)``."""
    variant_ids = sorted(
        set(
            SkuMapping.objects.filter(centra_size_id__in=size_ids).values_list(
                "centra_variant_id", flat=True
            )
        )
    )
    yield from chunked(variant_ids, size)


def drift_check(
    *, centra, pushed_since, tolerance: int, sample_size: int, pushed_keys=None
) -> DriftOutcome:
    wanted = drift_wanted(
        pushed_since=pushed_since, sample_size=sample_size, pushed_keys=pushed_keys
    )
    outcome = DriftOutcome()
    if not wanted:
        return outcome
    seen = {}
    warehouse_ids = {warehouse_id for _, warehouse_id in wanted}
    for chunk in _variant_chunks({size_id for size_id, _ in wanted}):
        rows = centra.iter_stock(
            stock_limit=STOCK_LIMIT, variant_ids=chunk, warehouse_ids=warehouse_ids
        )
        for row in rows:
            seen[(row.product_size_id, row.warehouse_id)] = row
    now = timezone.now()
    drifting_before = tickets_active_subjects(TicketType.STOCK_DRIFT, "sku", "warehouse")
    raised, cleared, updated = [], [], []
    for key, position in wanted.items():
        row = seen.get(key)
        physical = row.physical if row else 0
        allocated = row.allocated if row else 0
        fta = row.free_to_allocate if row else 0
        position.centra_physical, position.centra_allocated = physical, allocated
        position.centra_fta, position.centra_seen_at = fta, now
        updated.append(position)
        expected = max(0, position.last_pushed - allocated)
        warehouse = str(position.centra_warehouse_id)
        if _drifts(
            position, fta=fta, expected=expected, tolerance=tolerance, pushed_since=pushed_since
        ):
            outcome.drifting += 1
            risk = "oversell risk" if fta > expected else "under-selling"
            raised.append(
                Condition(
                    type_code=TicketType.STOCK_DRIFT,
                    sku=position.sku,
                    warehouse=warehouse,
                    summary=(
                        f"{position.sku}: Centra shows {fta} free to allocate, expected "
                        f"{expected} (pushed {position.last_pushed}, allocated {allocated}): "
                        f"{risk}"
                    ),
                    context={
                        "centra_fta": fta,
                        "expected": expected,
                        "physical": physical,
                        "allocated": allocated,
                        "pushed": position.last_pushed,
                        "ats": position.ats,
                    },
                )
            )
        elif (position.sku, warehouse) in drifting_before:
            cleared.append(
                Condition(type_code=TicketType.STOCK_DRIFT, sku=position.sku, warehouse=warehouse)
            )
    outcome.checked = len(updated)
    update_grouped(
        StockPosition,
        [(p.pk, (p.centra_physical, p.centra_allocated, p.centra_fta, now)) for p in updated],
        ("centra_physical", "centra_allocated", "centra_fta", "centra_seen_at"),
    )
    if raised:
        tickets_raise_many(raised, source=SOURCE)
    outcome.cleared = tickets_clear_many(cleared, source=SOURCE) if cleared else 0
    return outcome

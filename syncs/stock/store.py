"""The stock cycle's writes: changed positions, pushes and their lines, and superseding
held pushes that a later plan or a configuration change made stale. ``push`` and ``drift``
record what Centra answered on the lines and positions they touch."""

from dataclasses import fields
from operator import attrgetter

from django.db import transaction
from django.utils import timezone

from centra_ip.bulk import bulk_insert, bulk_upsert_rows
from syncs.models import StockPosition, StockPush, StockPushLine
from syncs.stock.plan import INPUT_FIELDS, KEY, Position, compared_values, positions_changed

# A position as the row written: its fields in order.
FIELDS = [f.name for f in fields(Position)]
ROW = attrgetter(*FIELDS)


def positions_store(fresh, previous: dict) -> int:
    """Upsert the positions whose inputs or ATS changed (all of them on a first cycle).
    Rows of values, not model instances: the columns not written are all nullable."""
    changed = [ROW(position) for position in positions_changed(fresh, previous)]
    bulk_upsert_rows(
        StockPosition, FIELDS, changed, unique_fields=list(KEY), update_fields=INPUT_FIELDS
    )
    return len(changed)


def watched_store(watched: dict, fresh: dict) -> None:
    """Store what the zero watch read, compared with what this cycle stored (its own read
    or an earlier watch), not with the positions known before the cycle."""
    stored = {key: compared_values(fresh[key]) for key in watched if key in fresh}
    positions_store(watched, stored)
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


def held_pushes_supersede(*, because: str, older_than: int | None = None) -> int:
    """Mark held pushes superseded: their lines were planned from inputs or rules that no
    longer hold, so releasing them would send stale quantities (perhaps zeroing the
    storefront from a rule already deleted). ``older_than`` spares a push and later ones.

    Returns how many were superseded; they can then only be looked at, never released."""
    held = StockPush.objects.filter(status=StockPush.Status.HELD)
    if older_than is not None:
        held = held.filter(pk__lt=older_than)
    return held.update(
        status=StockPush.Status.SUPERSEDED,
        decided_at=timezone.now(),
        decision_note=because[:300],
    )

"""What-if: ATS of every known position under the current and a proposed rule book, so a
rule change shows what the next push would do (and whether the guard would hold it)
before it is saved."""

from dataclasses import dataclass, field

from syncs.models import (
    ChannelAllocation,
    SafetyStockRule,
    StockPosition,
    StockSettings,
    StockStatus,
)
from syncs.stock import guard, rules
from syncs.stock.ats import RuleBook, ats_compute
from syncs.stock.config import warehouse_map_load
from syncs.stock.ledger import status_quantities
from syncs.stock.plan import position_input


@dataclass
class Move:
    sku: str
    warehouse: int
    before: int
    after: int

    @property
    def change(self) -> int:
        return self.after - self.before


@dataclass
class WhatIf:
    skus: int = 0
    changed: int = 0
    to_zero: int = 0
    from_zero: int = 0
    total_before: int = 0
    total_after: int = 0
    had_stock: int = 0
    biggest: list[Move] = field(default_factory=list)
    # what the guard would say of a push with these changes: a change past its thresholds
    # needs a typed confirmation to be saved
    guard_reasons: list[str] = field(default_factory=list)

    @property
    def confirmation(self) -> str:
        """What a person types to save or delete a change the guard would hold."""
        return str(self.changed)


def what_if(*, proposed: RuleBook, current: RuleBook | None = None, top: int = 10) -> WhatIf:
    """ATS of every known position under the current and the proposed rules.

    Works from the inputs the last stock cycle read (``StockPosition``), so it costs no API
    call and shows exactly what the next push would do if IP stock stayed the same.
    """
    current = current or rules.rulebook_load()
    statuses = status_quantities(warehouse_map_load())
    result = WhatIf()
    moves: list[Move] = []
    rows = StockPosition.objects.values_list(
        "sku",
        "centra_warehouse_id",
        "on_hand",
        "product",
        "category",
        "minimum_stock",
        "velocity",
        named=True,
    )
    for row in rows.iterator(5000):
        sku, warehouse = row.sku, row.centra_warehouse_id
        item = position_input(row, statuses.get((sku, warehouse), {}))
        before = ats_compute(item, current).quantity
        after = ats_compute(item, proposed).quantity
        result.skus += 1
        result.total_before += before
        result.total_after += after
        result.had_stock += before > 0
        if before != after:
            result.changed += 1
            result.to_zero += after == 0
            result.from_zero += before == 0
            moves.append(Move(sku, warehouse, before, after))
    moves.sort(key=lambda m: (-abs(m.change), m.sku, m.warehouse))
    result.biggest = moves[:top]
    result.guard_reasons = guard.guard_reasons(
        guard.GuardInput(
            known=result.skus,
            read=result.skus,
            unreadable=0,
            had_stock=result.had_stock,
            to_zero=result.to_zero,
            total_before=result.total_before,
            total_after=result.total_after,
        ),
        guard.thresholds(StockSettings.load()),
    )
    return result


def rulebook_with_safety(*, rule: SafetyStockRule, delete: bool = False) -> RuleBook:
    """The current rules with one safety stock rule added, changed or removed (unsaved)."""
    others = [
        r
        for r in SafetyStockRule.objects.all()
        if r.pk != rule.pk and (r.scope, r.key) != (rule.scope, rule.key)
    ]
    return rules.rulebook_build(
        statuses=StockStatus.objects.all(),
        safety_rules=others if delete else [*others, rule],
        allocations=ChannelAllocation.objects.all(),
    )


def rulebook_with_allocation(*, allocation: ChannelAllocation, delete: bool = False) -> RuleBook:
    key = (allocation.channel, allocation.scope, allocation.key)
    others = [
        a
        for a in ChannelAllocation.objects.all()
        if a.pk != allocation.pk and (a.channel, a.scope, a.key) != key
    ]
    return rules.rulebook_build(
        statuses=StockStatus.objects.all(),
        safety_rules=SafetyStockRule.objects.all(),
        allocations=others if delete else [*others, allocation],
    )

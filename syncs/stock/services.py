"""Configuration changes (each audited), the status ledger, and the what-if preview.

Every function that changes configuration writes a ``ConfigChange`` in the same
transaction as the change, with the row's plain form before and after (``rules.*_data``):
a change that is not audited did not happen.
"""

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from centra_ip.limits import UNITS_MAX
from centra_ip.teams import actor_name
from syncs.models import (
    ChannelAllocation,
    ConfigChange,
    SafetyStockRule,
    StockPosition,
    StockPush,
    StockSettings,
    StockStatus,
    StockStatusBalance,
    StockStatusMovement,
    WarehouseMapping,
)
from syncs.stock import guard, rules
from syncs.stock.ats import AtsInput, RuleBook, ats_compute

# area -> (model, plain-data function, the fields that identify a row)
AREAS = {
    "status": (StockStatus, rules.status_data, ("code",)),
    "safety_stock": (SafetyStockRule, rules.safety_data, ("scope", "key")),
    "allocation": (ChannelAllocation, rules.allocation_data, ("channel", "scope", "key")),
    "warehouse_map": (WarehouseMapping, rules.mapping_data, ("ip_warehouse",)),
}


# The statuses the hub relies on (docs/stock-engine.md) ("in_qc" is moved by the returns flow:
# it can be neither renamed, deleted nor made sellable).
IN_QC_CODE = "in_qc"
DEFAULT_STATUSES = (
    ("reserved", "Reserved", "Held for a customer or an internal need"),
    ("quarantined", "Quarantined", "Blocked pending investigation"),
    ("in_qc", "In QC", "Returned units waiting for quality control (moved by the returns flow)"),
    ("damaged", "Damaged", "Not fit for sale"),
)


def stock_statuses_ensure_defaults() -> None:
    """Create any missing default status; never touches one that exists (admins may have
    renamed it or made it sellable). Runs after every migrate, and after a test flush."""
    for code, name, description in DEFAULT_STATUSES:
        StockStatus.objects.get_or_create(
            code=code, defaults={"name": name, "sellable": False, "description": description}
        )


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


def config_audit(*, actor, area: str, object_key: str, action: str, before, after, via: str):
    held_pushes_supersede(because=f"the configuration changed ({area} {object_key}, {action})")
    return ConfigChange.objects.create(
        actor=actor,
        actor_name=actor_name(actor),
        area=area,
        object_key=object_key,
        action=action,
        before=before,
        after=after,
        via=via,
    )


def object_key(area: str, data: dict) -> str:
    _model, _data, keys = AREAS[area]
    return "/".join(str(data[k]) or "*" for k in keys)


def config_save(*, area: str, instance, actor, via: str = "screen"):
    """Create or update one configuration row (a validated, unsaved or changed instance)."""
    model, to_data, _keys = AREAS[area]
    with transaction.atomic():
        before = None
        if instance.pk:
            before = to_data(model.objects.select_for_update().get(pk=instance.pk))
        instance.full_clean()
        instance.save()
        after = to_data(instance)
        if before != after:
            config_audit(
                actor=actor,
                area=area,
                object_key=object_key(area, after),
                action=ConfigChange.Action.UPDATED if before else ConfigChange.Action.CREATED,
                before=before,
                after=after,
                via=via,
            )
    return instance


class ConfigError(ValueError):
    """A configuration change that would break the ledger or the returns flow."""


def statuses_with_history() -> set[str]:
    """Codes of statuses the ledger has ever used: their balances and movements point at
    them (PROTECT), so they can be retired from use but never deleted."""
    used = StockStatusBalance.objects.values_list("status__code", flat=True).distinct()
    moved = StockStatusMovement.objects.values_list("status__code", flat=True).distinct()
    return set(used) | set(moved)


def config_delete(*, area: str, instance, actor, via: str = "screen") -> None:
    _model, to_data, _keys = AREAS[area]
    if area == "status" and instance.code in statuses_with_history() | {IN_QC_CODE}:
        raise ConfigError(f"Status {instance.code} has ledger history and cannot be deleted.")
    with transaction.atomic():
        before = to_data(instance)
        instance.delete()
        config_audit(
            actor=actor,
            area=area,
            object_key=object_key(area, before),
            action=ConfigChange.Action.DELETED,
            before=before,
            after=None,
            via=via,
        )


def stock_settings_save(*, instance: StockSettings, actor, via: str = "screen") -> StockSettings:
    with transaction.atomic():
        before = rules.settings_data(StockSettings.load())
        instance.full_clean()
        instance.save()
        after = rules.settings_data(instance)
        if before != after:
            config_audit(
                actor=actor,
                area="settings",
                object_key="stock engine",
                action=ConfigChange.Action.UPDATED,
                before=before,
                after=after,
                via=via,
            )
    return instance


# -- the stock-status ledger -----------------------------------------------------------------
class LedgerError(ValueError):
    """A move that would take a balance below zero, or an unknown status."""


def stock_status_move(
    *,
    sku: str,
    ip_warehouse: str,
    status: str,
    delta: int,
    reason: str,
    actor=None,
    actor_label: str = "",
) -> StockStatusBalance:
    """Move units into (``delta`` > 0) or out of a status; the returns flow calls this with
    ``status="in_qc"``. The balance never goes below zero: taking out more than is there is
    an error, not a silent clamp, because the caller's own count is then wrong."""
    with transaction.atomic():
        try:
            status_row = StockStatus.objects.get(code=status)
        except StockStatus.DoesNotExist:
            raise LedgerError(f"unknown stock status {status!r}") from None
        balance, _ = StockStatusBalance.objects.select_for_update().get_or_create(
            sku=sku, ip_warehouse=ip_warehouse, status=status_row
        )
        if balance.quantity + delta < 0:
            raise LedgerError(
                f"{sku} has {balance.quantity} in {status} at {ip_warehouse}; cannot take {-delta}"
            )
        balance.quantity += delta
        balance.save(update_fields=["quantity", "updated_at"])
        StockStatusMovement.objects.create(
            sku=sku,
            ip_warehouse=ip_warehouse,
            status=status_row,
            delta=delta,
            balance_after=balance.quantity,
            reason=reason,
            actor_name=actor_label or actor_name(actor),
        )
    return balance


def stock_status_set(
    *, sku, ip_warehouse, status, quantity: int, reason: str, actor=None, via: str = "screen"
):
    """Set a balance to an absolute count (screen edit, CSV import) as one movement, audited
    as a configuration change (the returns flow moves balances through the ledger only)."""
    key = {"sku": sku, "ip_warehouse": ip_warehouse, "status": status}
    row = StockStatusBalance.objects.filter(sku=sku, ip_warehouse=ip_warehouse, status__code=status)
    current = row.values_list("quantity", flat=True).first() or 0
    if quantity < 0:
        raise LedgerError(f"{sku}: a quantity cannot be negative ({quantity})")
    if quantity == current:
        return None
    audit = {"area": "status_balance", "object_key": "/".join(key.values()), "via": via}
    with transaction.atomic():
        movement = stock_status_move(**key, delta=quantity - current, reason=reason, actor=actor)
        action = ConfigChange.Action.UPDATED if current else ConfigChange.Action.CREATED
        before = {"quantity": current} if current else None
        config_audit(
            actor=actor, action=action, before=before, after={"quantity": quantity}, **audit
        )
    return movement


CSV_COLUMNS = ("sku", "ip_warehouse", "status", "quantity")


def _status_row(line: int, row: dict, known: set, errors: list) -> tuple | None:
    """One CSV row as (sku, warehouse, status, quantity), or None with its errors noted.
    A short row leaves cells as None; every cell is text-checked before it is used."""
    sku, warehouse, status, text = ((row.get(k) or "").strip() for k in CSV_COLUMNS)
    before = len(errors)
    try:
        quantity = int(text)
    except ValueError:
        errors.append(f"line {line}: quantity {text[:20]!r} is not a whole number")
        return None
    if quantity < 0:
        errors.append(f"line {line}: quantity cannot be negative")
    elif quantity > UNITS_MAX:
        errors.append(f"line {line}: quantity is more than {UNITS_MAX:,}")
    if status not in known:
        errors.append(f"line {line}: unknown status {status[:40]!r}")
    if not sku or not warehouse:
        errors.append(f"line {line}: sku and ip_warehouse are required")
    if len(sku) > 100 or len(warehouse) > 100 or "\x00" in sku + warehouse:
        errors.append(f"line {line}: sku and ip_warehouse are at most 100 plain characters")
    return None if len(errors) > before else (sku, warehouse, status, quantity)


def stock_status_import_csv(*, text: str, actor) -> int:
    """Import ``sku,ip_warehouse,status,quantity`` rows (absolute counts).

    Every row is checked before any is applied: one bad row imports nothing. Returns the
    number of balances that changed.
    """
    reader = csv.DictReader(io.StringIO(text))
    wanted = set(CSV_COLUMNS)
    known = set(StockStatus.objects.values_list("code", flat=True))
    rows, errors = [], []
    try:
        if not reader.fieldnames or not wanted <= set(reader.fieldnames):
            raise LedgerError(f"the header must name {', '.join(sorted(wanted))}")
        for line, row in enumerate(reader, start=2):
            parsed = _status_row(line, row, known, errors)
            if parsed:
                rows.append(parsed)
    except csv.Error as error:
        raise LedgerError(f"the file is not a readable CSV: {error}") from None
    if errors:
        raise LedgerError("; ".join(errors[:20]))
    changed = 0
    with transaction.atomic():
        for sku, warehouse, status, quantity in rows:
            moved = stock_status_set(
                sku=sku,
                ip_warehouse=warehouse,
                status=status,
                quantity=quantity,
                reason="CSV import",
                actor=actor,
                via="csv",
            )
            changed += moved is not None
    return changed


def status_quantities(ip_to_centra: dict[str, int]) -> dict[tuple[str, int], dict[str, int]]:
    """Ledger balances summed per (SKU, Centra warehouse) through the warehouse map."""
    out: dict[tuple[str, int], dict[str, int]] = defaultdict(dict)
    balances = StockStatusBalance.objects.filter(quantity__gt=0).values_list(
        "sku", "ip_warehouse", "status__code", "quantity"
    )
    for sku, ip_warehouse, code, quantity in balances:
        centra = ip_to_centra.get(ip_warehouse)
        if centra is None:
            continue
        bucket = out[(sku, centra)]
        bucket[code] = bucket.get(code, 0) + quantity
    return out


def warehouse_map_load() -> dict[str, int]:
    return dict(WarehouseMapping.objects.values_list("ip_warehouse", "centra_warehouse_id"))


def position_input(position: StockPosition, statuses: dict[str, int]) -> AtsInput:
    return AtsInput(
        sku=position.sku,
        warehouse=str(position.centra_warehouse_id),
        on_hand=position.on_hand,
        product=position.product,
        category=position.category,
        minimum_stock=position.minimum_stock,
        velocity=position.velocity,
        statuses=statuses,
    )


# -- what-if ----------------------------------------------------------------------------------
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
    )
    for sku, warehouse, on_hand, product, category, minimum, velocity in rows.iterator(5000):
        item = AtsInput(
            sku=sku,
            warehouse=str(warehouse),
            on_hand=on_hand,
            product=product,
            category=category,
            minimum_stock=minimum,
            velocity=velocity,
            statuses=statuses.get((sku, warehouse), {}),
        )
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

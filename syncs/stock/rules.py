"""From configuration rows to the formula's ``RuleBook`` and back to plain data.

``*_data`` functions give the one plain-dict form of each configuration row: the export
file, the import and the audit trail's before/after all use it, so what an admin sees in
the audit is exactly what the file would say.
"""

from decimal import Decimal

from django.db.models import DecimalField

from syncs.models import (
    ChannelAllocation,
    SafetyStockRule,
    StockSettings,
    StockStatus,
    WarehouseMapping,
)
from syncs.stock.ats import Rule, RuleBook


def _number(value: Decimal) -> str:
    """Decimals as text without trailing zeros (``2``, ``12.5``): stable in a diffed file."""
    text = format(value.normalize(), "f")
    return text


def status_data(status: StockStatus) -> dict:
    return {
        "code": status.code,
        "name": status.name,
        "sellable": status.sellable,
        "description": status.description,
    }


def safety_data(rule: SafetyStockRule) -> dict:
    return {
        "scope": rule.scope,
        "key": rule.key,
        "kind": rule.kind,
        "value": _number(rule.value),
        "note": rule.note,
    }


def allocation_data(allocation: ChannelAllocation) -> dict:
    return {
        "channel": allocation.channel,
        "scope": allocation.scope,
        "key": allocation.key,
        "kind": allocation.kind,
        "value": _number(allocation.value),
    }


def mapping_data(mapping: WarehouseMapping) -> dict:
    return {
        "ip_warehouse": mapping.ip_warehouse,
        "centra_warehouse_id": mapping.centra_warehouse_id,
        "centra_warehouse_name": mapping.centra_warehouse_name,
    }


SETTINGS_FIELDS = (
    "guard_min_skus",
    "guard_zero_share",
    "guard_total_drop",
    "guard_min_read_share",
    "low_stock_units",
    "high_velocity_per_day",
    "rest_lane_minutes",
    "batch_size",
    "drift_tolerance",
    "drift_sample_size",
)


def settings_data(stock_settings: StockSettings) -> dict:
    out = {}
    for name in SETTINGS_FIELDS:
        value = getattr(stock_settings, name)
        decimal = isinstance(StockSettings._meta.get_field(name), DecimalField)
        out[name] = _number(Decimal(str(value))) if decimal else value
    return out


def rulebook_build(*, statuses, safety_rules, allocations) -> RuleBook:
    """A RuleBook from rows or unsaved instances (the what-if builds one from a proposal)."""
    by_channel: dict[str, dict] = {}
    for a in allocations:
        by_channel.setdefault(a.channel, {})[(a.scope, a.key)] = Rule(
            a.scope, a.key, a.kind, float(a.value), a.channel
        )
    return RuleBook(
        nonsellable=frozenset(s.code for s in statuses if not s.sellable),
        status_names={s.code: s.name for s in statuses},
        safety={
            (r.scope, r.key): Rule(r.scope, r.key, r.kind, float(r.value)) for r in safety_rules
        },
        allocations=by_channel,
    )


def rulebook_load() -> RuleBook:
    return rulebook_build(
        statuses=StockStatus.objects.all(),
        safety_rules=SafetyStockRule.objects.all(),
        allocations=ChannelAllocation.objects.all(),
    )

"""Stock configuration: every change audited, and the statuses the hub relies on.

Every function that changes configuration writes a ``ConfigChange`` in the same
transaction as the change, with the row's plain form before and after (``rules.*_data``):
a change that is not audited did not happen. A change also supersedes the held pushes
planned under the old configuration.
"""

from django.db import transaction

from centra_ip.teams import actor_name
from syncs.models import (
    ChannelAllocation,
    ConfigChange,
    SafetyStockRule,
    StockSettings,
    StockStatus,
    StockStatusBalance,
    StockStatusMovement,
    WarehouseMapping,
)
from syncs.stock import rules
from syncs.stock.store import held_pushes_supersede

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


def warehouse_map_load() -> dict[str, int]:
    return dict(WarehouseMapping.objects.values_list("ip_warehouse", "centra_warehouse_id"))

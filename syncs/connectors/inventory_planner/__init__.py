"""Inventory Planner: the REST client and its typed results (no Django models here)."""

from syncs.connectors.inventory_planner.client import InventoryPlannerClient, NotFoundError
from syncs.connectors.inventory_planner.types import (
    PurchaseOrder,
    PurchaseOrderDraft,
    PurchaseOrderItem,
    PurchaseOrderLine,
    Variant,
    WarehouseBlock,
)

__all__ = [
    "InventoryPlannerClient",
    "NotFoundError",
    "PurchaseOrder",
    "PurchaseOrderDraft",
    "PurchaseOrderItem",
    "PurchaseOrderLine",
    "Variant",
    "WarehouseBlock",
]

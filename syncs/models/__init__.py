"""The syncs app's models, one module per room: runs and calls, then each engine's own."""

from syncs.models.catalog import CentraSize, IpVariant, SkuMapping
from syncs.models.config import (
    ChannelAllocation,
    ConfigChange,
    SafetyStockRule,
    Scope,
    StockSettings,
    StockStatus,
    StockStatusBalance,
    StockStatusMovement,
    WarehouseMapping,
)
from syncs.models.orders import FeedDelivery, Order, OrderLine, OrdersCursor, SalesFeedRow
from syncs.models.runs import ExternalCall, SyncRun
from syncs.models.stock import StockPosition, StockPush, StockPushLine

__all__ = [
    "CentraSize",
    "ChannelAllocation",
    "ConfigChange",
    "ExternalCall",
    "FeedDelivery",
    "IpVariant",
    "Order",
    "OrderLine",
    "OrdersCursor",
    "SafetyStockRule",
    "SalesFeedRow",
    "Scope",
    "SkuMapping",
    "StockPosition",
    "StockPush",
    "StockPushLine",
    "StockSettings",
    "StockStatus",
    "StockStatusBalance",
    "StockStatusMovement",
    "SyncRun",
    "WarehouseMapping",
]

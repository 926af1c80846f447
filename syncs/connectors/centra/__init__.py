"""Centra GraphQL Integration API connector: ``CentraClient`` and its typed results."""

from .client import CentraClient
from .pacing import CentraLimits, Pacer
from .types import (
    Event,
    EventListener,
    Order,
    OrderLine,
    RateLimit,
    Return,
    ReturnLine,
    SizeRow,
    StockDelta,
    StockItemResult,
    StockLevel,
    StockRow,
    StockWriteResult,
    UserMessage,
    Warehouse,
)

__all__ = [
    "CentraClient",
    "CentraLimits",
    "Event",
    "EventListener",
    "Order",
    "OrderLine",
    "Pacer",
    "RateLimit",
    "Return",
    "ReturnLine",
    "SizeRow",
    "StockDelta",
    "StockItemResult",
    "StockLevel",
    "StockRow",
    "StockWriteResult",
    "UserMessage",
    "Warehouse",
]

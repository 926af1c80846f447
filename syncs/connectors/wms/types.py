"""What the WMS webhook sends and reads back: frozen values, no Django."""

from dataclasses import dataclass


@dataclass(frozen=True)
class StockInNotice:
    """One stock-in as the WMS is told of it; ``key`` is its ``Idempotency-Key``."""

    key: str
    return_id: int
    order_number: str
    warehouse: str
    sku: str
    quantity: int


@dataclass(frozen=True)
class StockInRecord:
    """The WMS's record of a key, read back: ``{"status": "received", "quantity": n}``."""

    status: str
    quantity: int

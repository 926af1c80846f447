"""The IP twin's records: their statuses and fields, the settings where IP's behaviour is
UNCONFIRMED, and the pure functions that build a variant's or a stock order's parts and
compute the planning figures that follow from them.

Records are kept in IP's own JSON shape (field names from ``reference/inventory-planner-api.md``
§2.3 and §3.2), so a list page is a slice plus, at most, a projection. Nothing here holds a
lock or a record: the store (``state.py``) does.
"""

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime

ON_ORDER_STATUSES = ("open", "sent", "partial")
PO_STATUSES = ("draft", "open", "sent", "partial", "closed", "cancelled")
PO_TYPES = ("po", "transfer", "assembly")
PO_EDITABLE = (
    "reference",
    "extra_reference",
    "notes",
    "email",
    "currency",
    "shipment_method",
    "payment_terms",
)
PO_DATES = ("expected_date", "shipment_date", "payment_date")


class IPFailure(Exception):
    """What the twin answers with ``{"result": {"status": "error", "message": ...}}``."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class TwinSettings:
    """The twin's answers where the real API's behaviour is UNCONFIRMED."""

    auth_error_status: int = 401  # wrong/missing key or account
    not_found_status: int = 404  # GET of a missing id (body: "Failed to find ...")
    validation_status: int = 500  # observed: PO validation failures come back as 500
    default_limit: int = 100
    max_limit: int = 1000
    unknown_filter: str = "ignore"  # "ignore" | "match_nothing" | "error"
    top_level: str = "sum"  # variant top-level figures: "sum" of warehouses or "first"
    received_mode: str = "cumulative"  # PATCH items `received`: "cumulative" | "delta"
    receiving_raises_stock: bool = False  # the reference says receiving does not touch in_stock
    feed_full_snapshot: bool = True  # legacy CSV: a row missing from the file is deleted


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def parse_date(value: object) -> date:
    """Unix seconds, ISO timestamps and ``YYYY-MM-DD`` are all accepted on write."""
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC).date()
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            return datetime.fromtimestamp(int(text), UTC).date()
        if len(text) == 10:
            return date.fromisoformat(text)
        return datetime.fromisoformat(text).date()
    raise ValueError(value)


def checked_number(value: object, what: str) -> float | int:
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise ValueError(what)
    return value


@dataclass(frozen=True)
class SalesLine:
    """One row of IP's sales history as folded from the legacy CSV feed."""

    order_number: str
    sku: str
    product_id: str
    date: date
    quantity: float  # negative for returned units
    price: float
    currency: str
    cancelled: bool

    @property
    def key(self) -> tuple:
        """Identity of a row across fetches: order, SKU, date and sale-or-return."""
        return (self.order_number, self.sku, self.date, self.quantity < 0)


def whole(units: float) -> float | int:
    """Units as IP would show them: an int when whole (the feed's quantities are floats)."""
    return int(units) if float(units).is_integer() else units


def per_warehouse(value: float | Mapping[str, float], warehouse: str) -> float:
    return value.get(warehouse, 0) if isinstance(value, Mapping) else value


def plan(target: dict, velocity: float) -> None:
    stock = (target.get("in_stock") or 0) + (target.get("purchase_orders_qty") or 0)
    days = (target.get("lead_time") or 0) + (target.get("review_period") or 0)
    need = velocity * days + (target.get("minimum_stock") or 0) - stock
    target["replenishment"] = max(0, math.ceil(need))
    target["to_order"] = target["replenishment"]
    target["oos"] = max(0, math.floor(stock / velocity)) if velocity > 0 else None


# Top-level scalar fields that list filters and sorting know about.
VARIANT_FILTER_FIELDS = frozenset(
    (
        "id",
        "sku",
        "title",
        "barcode",
        "removed",
        "cost_price",
        "price",
        "created_at",
        "updated_at",
        "in_stock",
        "minimum_stock",
        "purchase_orders_qty",
        "lead_time",
        "review_period",
        "replenishment",
        "to_order",
        "oos",
    )
)
ORDER_FILTER_FIELDS = frozenset(
    (
        "id",
        "reference",
        "status",
        "type",
        "source_type",
        "vendor",
        "source_warehouse",
        "source",
        "warehouse",
        "readonly",
        "currency",
        "created_date",
        "expected_date",
        "received_date",
        "created_at",
        "updated_at",
        "last_modified",
        "total",
        "total_ordered",
        "total_received",
    )
)


def warehouse_block(
    warehouse: str,
    *,
    in_stock: float = 0,
    minimum_stock: float = 0,
    lead_time: int = 14,
    review_period: int = 30,
    velocity: float = 0.0,
) -> dict:
    """A variant's ``warehouse[]`` block, before its planning figures are computed."""
    return {
        "warehouse": warehouse,
        "in_stock": in_stock,
        "minimum_stock": minimum_stock,
        "lead_time": lead_time,
        "review_period": review_period,
        "purchase_orders_qty": 0,
        "forecast_description": {
            "method": "sandbox",
            "sales_velocity1": velocity,
            "sales_velocity30": velocity,
        },
    }


def order_line(number: int, record: dict, quantity: float, cost: float | None) -> dict:
    """Line ``number`` of a new stock order: ``quantity`` of the variant ``record``."""
    return {
        "id": record["id"],
        "line_id": f"{number}",
        "sku": record["sku"],
        "barcode": record["barcode"],
        "title": record["title"],
        "replenishment": quantity,
        "received": 0,
        "remaining": quantity,
        "cost_price": cost,
        "total": quantity * (cost or 0),
        "received_history": [],
    }


def planning_refresh(record: dict, top_level: str) -> None:
    """IP's planning figures, simplified (reference §7 item 19): replenishment covers
    the forecast over lead time + days of stock plus minimum stock, net of stock and
    stock on order; ``oos`` is days until stock and on-order run out."""
    for block in record["warehouse"]:
        velocity = block["forecast_description"]["sales_velocity1"]
        plan(block, velocity)
    blocks = record["warehouse"]
    if not blocks:
        source = {"in_stock": 0, "minimum_stock": 0, "purchase_orders_qty": 0}
        velocity = 0.0
    elif top_level == "first":
        source = blocks[0]
        velocity = source["forecast_description"]["sales_velocity1"]
    else:
        source = {
            key: sum(b.get(key) or 0 for b in blocks)
            for key in ("in_stock", "minimum_stock", "purchase_orders_qty")
        }
        source["lead_time"] = blocks[0]["lead_time"]
        source["review_period"] = blocks[0]["review_period"]
        velocity = sum(b["forecast_description"]["sales_velocity1"] for b in blocks)
    for key in ("in_stock", "minimum_stock", "purchase_orders_qty", "lead_time"):
        record[key] = source.get(key, 0 if key != "lead_time" else 14)
    record["review_period"] = source.get("review_period", 30)
    record["forecast_description"] = {
        "method": "sandbox",
        "sales_velocity1": velocity,
        "sales_velocity30": velocity,
    }
    plan(record, velocity)


def units_by_day(sales: Iterable[SalesLine]) -> dict[str, dict[str, float | int]]:
    """Each SKU's ``orders_by_day``: net units per date (returns subtract), cancelled rows
    left out, as ``{"YYYY-MM-DD": n}`` in date order."""
    by_sku: dict[str, dict[str, float]] = {}
    for line in sales:
        if not line.cancelled:
            days = by_sku.setdefault(line.sku, {})
            day = line.date.isoformat()
            days[day] = days.get(day, 0) + line.quantity
    return {
        sku: {day: whole(units) for day, units in sorted(days.items())}
        for sku, days in by_sku.items()
    }


def units_on_order(orders: Iterable[dict], variant_id: str) -> dict[str, float]:
    """Units of the variant still to come, per warehouse, over the orders on order."""
    on_order: dict[str, float] = {}
    for order in orders:
        if order["status"] not in ON_ORDER_STATUSES:
            continue
        for line in order["items"]:
            if line["id"] == variant_id:
                warehouse = order["warehouse"]
                on_order[warehouse] = on_order.get(warehouse, 0) + line["remaining"]
    return on_order


def order_totals_refresh(order: dict) -> None:
    """A stock order's totals, from its lines."""
    order["total_ordered"] = sum(line["replenishment"] for line in order["items"])
    order["total_received"] = sum(line["received"] for line in order["items"])
    order["total"] = sum(line["total"] for line in order["items"])

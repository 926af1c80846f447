"""Typed results of the Inventory Planner client, and the parsers that build them.

Field names follow IP's real payloads (``reference/inventory-planner-api.md`` §2.3, §3.2).
Because ``fields=`` narrowing makes almost every field optional, only ``id`` is required:
a field the server did not send is ``None``, while a field sent with the wrong type is a
``BadPayloadError`` (raised by the client), never a ``KeyError`` or ``TypeError``.

IP is PHP: an empty map is rendered ``[]`` and a map keyed by id arrives as an object where
a list is documented. Both are tolerated (``[]`` as an empty object, a keyed object of
blocks as their list, ``null`` inside a list skipped); real IP samples are in
``tests/syncs/inventory_planner/test_real_shapes.py``.

The parsers run once per row of a 100,000-variant catalog, so they are plain functions
with ``dict.get`` and no reflection.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

Number = int | float
# IP's own units sold per day of one variant (``orders_by_day``), whatever shape it came in.
DailyUnits = Mapping[date, Number]


class PayloadShapeError(ValueError):
    """A payload value has the wrong shape; the client turns it into ``BadPayloadError``."""


@dataclass(frozen=True, slots=True)
class WarehouseBlock:
    """One entry of a variant's ``warehouse[]``: stock and planning for one IP warehouse.

    Per-warehouse ``in_stock`` is UNCONFIRMED in the reference (very likely present, never
    observed); it is ``None`` when the server leaves it out.
    """

    warehouse: str
    in_stock: Number | None = None
    minimum_stock: Number | None = None
    purchase_orders_qty: Number | None = None
    replenishment: Number | None = None
    to_order: Number | None = None
    oos: Number | None = None
    lead_time: Number | None = None
    review_period: Number | None = None
    sales_velocity: float | None = None  # forecast_description.sales_velocity1, units/day
    sales_velocity30: float | None = None  # forecast_description.sales_velocity30


@dataclass(frozen=True, slots=True)
class Variant:
    """One IP variant (the SKU master row) with its stock and planning figures.

    How the top-level figures relate to the ``warehouses`` blocks (sum, or first
    warehouse) is UNCONFIRMED; consumers that need one warehouse read its block.
    """

    id: str
    sku: str | None = None
    barcode: str | None = None
    title: str | None = None
    removed: bool | None = None
    in_stock: Number | None = None
    minimum_stock: Number | None = None
    purchase_orders_qty: Number | None = None
    replenishment: Number | None = None
    to_order: Number | None = None
    oos: Number | None = None
    lead_time: Number | None = None
    review_period: Number | None = None
    sales_velocity: float | None = None
    sales_velocity30: float | None = None
    warehouses: tuple[WarehouseBlock, ...] = ()
    # IP's product type: the hub's "category" for safety-stock rules and allocations.
    product_type: str | None = None
    # IP's own daily sales (``orders_by_day``, shape UNCONFIRMED: see ``parse_daily_units``);
    # last, so positional construction elsewhere keeps its meaning.
    orders_by_day: DailyUnits | None = None

    def warehouse(self, warehouse_id: str) -> WarehouseBlock | None:
        for block in self.warehouses:
            if block.warehouse == warehouse_id:
                return block
        return None


@dataclass(frozen=True, slots=True)
class PurchaseOrderItem:
    """One line of a stock order. ``id`` is the variant id; ``replenishment`` is ordered."""

    id: str
    sku: str | None = None
    replenishment: Number | None = None
    received: Number | None = None
    remaining: Number | None = None
    cost_price: Number | None = None


@dataclass(frozen=True, slots=True)
class PurchaseOrder:
    id: str
    reference: str | None = None
    status: str | None = None  # lower case as IP returns it: open, sent, closed, cancelled, ...
    type: str | None = None  # po, transfer, assembly
    warehouse: str | None = None
    vendor: str | None = None
    source_warehouse: str | None = None
    created_date: str | None = None  # YYYY-MM-DD as IP returns business dates
    expected_date: str | None = None
    received_date: str | None = None
    total_ordered: Number | None = None
    total_received: Number | None = None
    readonly: bool | None = None
    last_modified: str | None = None
    items: tuple[PurchaseOrderItem, ...] = ()

    def item(self, variant_id: str) -> PurchaseOrderItem | None:
        for line in self.items:
            if line.id == variant_id:
                return line
        return None


@dataclass(frozen=True, slots=True)
class PurchaseOrderLine:
    """A line to order: ``quantity`` units of the variant ``variant_id``."""

    variant_id: str
    quantity: Number
    cost_price: Number | None = None


@dataclass(frozen=True, slots=True)
class PurchaseOrderDraft:
    """What ``create_purchase_order`` sends. ``warehouse`` is required by IP."""

    warehouse: str
    lines: tuple[PurchaseOrderLine, ...]
    reference: str | None = None
    status: str = "open"
    type: str = "po"
    vendor: str | None = None
    source_warehouse: str | None = None
    expected_date: date | None = None
    currency: str | None = None
    notes: str | None = None


# -- parsers -------------------------------------------------------------------------------


def _number(row: dict, key: str) -> Number | None:
    return _number_value(key, row.get(key))


def _number_value(key: str, value: object) -> Number | None:
    if value is None or type(value) in _NUMERIC:
        return value
    return _coerce_number(key, value)


def _coerce_number(key: str, value: object) -> Number:
    if isinstance(value, str):  # tolerated: some IP numbers arrive as strings
        try:
            return float(value) if "." in value or "e" in value.lower() else int(value)
        except ValueError:
            pass
    raise PayloadShapeError(f"{key} is not a number: {value!r}")


_NUMERIC = (int, float)
# Positional order of the numeric fields shared by ``Variant`` and ``WarehouseBlock``.
_PLANNING = (
    "in_stock",
    "minimum_stock",
    "purchase_orders_qty",
    "replenishment",
    "to_order",
    "oos",
    "lead_time",
    "review_period",
)


def _text(row: dict, key: str) -> str | None:
    return _text_value(key, row.get(key))


def _text_value(key: str, value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if type(value) is int:  # ids and barcodes sometimes arrive as numbers
        return str(value)
    raise PayloadShapeError(f"{key} is not a string: {value!r}")


def _flag(row: dict, key: str) -> bool | None:
    return _flag_value(key, row.get(key))


def _flag_value(key: str, value: object) -> bool | None:
    if value is None or type(value) is bool:
        return value
    if value in (0, 1):
        return bool(value)
    raise PayloadShapeError(f"{key} is not a boolean: {value!r}")


def _required_id(row: object, what: str) -> str:
    if not isinstance(row, dict):
        raise PayloadShapeError(f"{what} is not an object")
    value = _text(row, "id")
    if not value:
        raise PayloadShapeError(f"{what} has no id")
    return value


def _object(row: dict, key: str) -> dict | None:
    """An object field; PHP's empty map ``[]`` is an empty object, ``null`` is absent."""
    value = row.get(key)
    if value is None or isinstance(value, dict):
        return value
    if value == []:
        return {}
    raise PayloadShapeError(f"{key} is not an object")


def _objects(row: dict, key: str) -> list[dict] | None:
    """A list of objects; ``null`` entries are skipped, an empty ``{}`` is an empty list,
    and an object whose values are all objects (a PHP map keyed by id) is its values."""
    value = row.get(key)
    if value is None:
        return None
    if isinstance(value, dict):
        if not all(isinstance(item, dict) for item in value.values()):
            raise PayloadShapeError(f"{key} is not a list")
        return [{"_key": k, **item} for k, item in value.items()]
    if not isinstance(value, list):
        raise PayloadShapeError(f"{key} is not a list")
    return [item for item in value if item is not None]


def _velocities(row: dict) -> tuple[float | None, float | None]:
    description = _object(row, "forecast_description")
    if description is None:
        return None, None
    return (
        _number(description, "sales_velocity1"),
        _number(description, "sales_velocity30"),
    )


def _blocks(row: dict) -> tuple[WarehouseBlock, ...]:
    blocks = _objects(row, "warehouse")
    return () if blocks is None else tuple(map(parse_warehouse_block, blocks))


# How each field a row may carry becomes a constructor argument: its position (a slice
# for the pair of velocities), the types taken as they are, and the reader of any other
# value (which converts or raises ``PayloadShapeError``). A reader with no types taken as
# they are reads the whole row, as the nested fields need.
_NUMBER = (int, float, type(None))
_STRING = (str, type(None))
_WHOLE_ROW = ()
_BLOCK_SLOTS = {
    **{key: (index, _NUMBER, _number_value) for index, key in enumerate(_PLANNING, start=1)},
    "forecast_description": (slice(9, 11), _WHOLE_ROW, _velocities),
}
_VARIANT_SLOTS = {
    "sku": (1, _STRING, _text_value),
    "barcode": (2, _STRING, _text_value),
    "title": (3, _STRING, _text_value),
    "removed": (4, (bool, type(None)), _flag_value),
    **{key: (index, _NUMBER, _number_value) for index, key in enumerate(_PLANNING, start=5)},
    "forecast_description": (slice(13, 15), _WHOLE_ROW, _velocities),
    "warehouse": (15, _WHOLE_ROW, _blocks),
    "product_type": (16, _STRING, _text_value),
    "orders_by_day": (17, _WHOLE_ROW, lambda row: parse_daily_units(row, "orders_by_day")),
}
_BLOCK_BLANK = (None,) * 11
_VARIANT_BLANK = (None,) * 15 + ((), None, None)


def _arguments(row: dict, slots: dict, blank: tuple) -> list:
    """A row's constructor arguments, walking the fields the row has rather than looking
    up every field a row may have: a narrow ``fields=`` answer carries a few of twenty,
    and this runs once per variant and block of a 100,000-variant read."""
    values = list(blank)
    for key, value in row.items():
        slot = slots.get(key)
        if slot is not None:
            index, taken, read = slot
            if type(value) in taken:
                values[index] = value
            else:
                values[index] = read(key, value) if taken else read(row)
    return values


def parse_warehouse_block(row: object) -> WarehouseBlock:
    if not isinstance(row, dict):
        raise PayloadShapeError("warehouse block is not an object")
    warehouse = _text(row, "warehouse") or _text(row, "_key")
    if not warehouse:
        raise PayloadShapeError("warehouse block has no warehouse id")
    values = _arguments(row, _BLOCK_SLOTS, _BLOCK_BLANK)
    values[0] = warehouse
    return WarehouseBlock(*values)


def parse_variant(row: object) -> Variant:
    variant_id = _required_id(row, "variant")
    values = _arguments(row, _VARIANT_SLOTS, _VARIANT_BLANK)
    values[0] = variant_id
    return Variant(*values)


def parse_daily_units(row: dict, key: str) -> dict[date, Number] | None:
    """A per-day figure as ``{date: units}``; ``None`` when the server did not send it.

    The reference names ``orders_by_day`` without its shape, so the shapes IP uses for its
    other sales figures are all accepted: ``{"YYYY-MM-DD": n}``, ``{year: {month: {day: n}}}``
    (like ``orders_by_month``) and a list of ``[iso_ts, n]`` pairs (like ``stock_hist``; the
    day is the timestamp's own calendar date). A day named twice is summed. Anything else
    is a ``PayloadShapeError`` naming the field.
    """
    value = row.get(key)
    if value is None:
        return None
    days: dict[date, Number] = {}
    try:
        for day, units in _day_entries(value):
            units = units if type(units) in _NUMERIC else _coerce_number(key, units)
            days[day] = days.get(day, 0) + units
    except (PayloadShapeError, ValueError, TypeError, OverflowError) as exc:
        raise PayloadShapeError(f"{key} has an unknown shape: {exc}") from None
    return days


def _day_entries(value: object):
    if isinstance(value, list):
        for pair in value:
            if not isinstance(pair, list | tuple) or len(pair) != 2:
                raise PayloadShapeError(f"{pair!r} is not an [iso_ts, n] pair")
            yield _iso_day(pair[0]), pair[1]
    elif isinstance(value, dict):
        for key, inner in value.items():
            if isinstance(inner, dict):  # {year: {month: {day: n}}}
                for month, days in inner.items():
                    if not isinstance(days, dict):
                        raise PayloadShapeError(f"month {key}-{month} is not an object")
                    for day, units in days.items():
                        yield date(int(key), int(month), int(day)), units
            else:
                yield _iso_day(key), inner
    else:
        raise PayloadShapeError(f"{type(value).__name__} is neither an object nor a list")


def _iso_day(text: object) -> date:
    if not isinstance(text, str):
        raise PayloadShapeError(f"{text!r} is not a date")
    return date.fromisoformat(text[:10])


def parse_purchase_order_item(row: object) -> PurchaseOrderItem:
    return PurchaseOrderItem(
        id=_required_id(row, "purchase-order item"),
        sku=_text(row, "sku"),
        replenishment=_number(row, "replenishment"),
        received=_number(row, "received"),
        remaining=_number(row, "remaining"),
        cost_price=_number(row, "cost_price"),
    )


def parse_purchase_order(row: object) -> PurchaseOrder:
    po_id = _required_id(row, "purchase-order")
    items = _objects(row, "items")
    return PurchaseOrder(
        id=po_id,
        reference=_text(row, "reference"),
        status=(_text(row, "status") or "").lower() or None,
        type=_text(row, "type"),
        warehouse=_text(row, "warehouse"),
        vendor=_text(row, "vendor"),
        source_warehouse=_text(row, "source_warehouse"),
        created_date=_text(row, "created_date"),
        expected_date=_text(row, "expected_date"),
        received_date=_text(row, "received_date"),
        total_ordered=_number(row, "total_ordered"),
        total_received=_number(row, "total_received"),
        readonly=_flag(row, "readonly"),
        last_modified=_text(row, "last_modified"),
        items=tuple(parse_purchase_order_item(item) for item in items or ()),
    )

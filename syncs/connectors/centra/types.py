"""Typed results of the Centra client: what leaves the client is never a raw dict.

Rows are slotted, frozen dataclasses built straight from the JSON (no intermediate copies),
because catalog and stock reads run to hundreds of thousands of rows. Money is ``Decimal``
(Centra sends major units as JSON numbers); timestamps are aware ``datetime``s.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class UserMessage:
    """One entry of a mutation's ``userErrors`` or ``userWarnings``."""

    message: str
    path: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class OrderLine:
    id: int
    product_size_id: int | None
    sku: str
    ean: str
    product_name: str
    quantity: int  # still ordered (Centra lowers it when a line is cancelled)
    cancelled_quantity: int
    returned_quantity: int
    unit_price: Decimal


@dataclass(frozen=True, slots=True)
class Order:
    id: str  # 32-hex hash
    number: int
    status: str  # PENDING | CONFIRMED | PROCESSING | SHIPPED | ARCHIVED | CANCELLED
    store_type: str  # DIRECT_TO_CONSUMER | WHOLESALE
    order_date: datetime
    created_at: datetime
    currency: str
    grand_total: Decimal
    lines: tuple[OrderLine, ...]


@dataclass(frozen=True, slots=True)
class SizeRow:
    """One product size with its product and variant: the unit of the SKU map."""

    product_id: int
    product_number: str
    product_name: str
    product_status: str
    variant_id: int
    variant_number: str
    variant_name: str
    size_id: int
    size_number: str
    size_name: str
    sku: str
    ean: str


@dataclass(frozen=True, slots=True)
class Warehouse:
    id: int
    name: str


@dataclass(frozen=True, slots=True)
class StockRow:
    """Stock of one size in one warehouse. ``physical``/``allocated`` are None when the read
    asked for free-to-allocate only (the cheap field, see ``CentraClient.iter_stock``)."""

    product_size_id: int
    sku: str
    warehouse_id: int
    warehouse_name: str
    free_to_allocate: int
    physical: int | None
    allocated: int | None


@dataclass(frozen=True, slots=True)
class ReturnLine:
    id: int
    quantity: int
    shipment_line_id: int
    order_line_id: int
    sku: str
    line_value: Decimal | None = None  # Centra's lineValue (incl. tax); None = not sent


@dataclass(frozen=True, slots=True)
class Return:
    id: int
    status: str  # Centra's returnStatus (PENDING ... COMPLETED), not its generic status
    created_at: datetime
    order_id: str
    order_number: int
    shipment_id: int
    lines: tuple[ReturnLine, ...]
    # True when Centra put the units back on its shelf at creation (releaseItemsBackToWarehouse)
    returned_to_stock: bool = False
    comment: str = ""  # the return's comment: usually the customer's reason, when given
    # Centra's booked figures (what a refund is based on); None/"" when not sent
    grand_total: Decimal | None = None  # items plus shipping/handling, minus costs
    currency: str = ""
    currency_base_rate: Decimal | None = None


@dataclass(frozen=True, slots=True)
class OrderFinance:
    """The finance fields of one order, read apart from the order (see
    ``queries.ORDER_FINANCE``); None/"" where Centra sent nothing."""

    number: int
    currency_base_rate: Decimal | None
    store_id: int | None
    store_name: str


@dataclass(frozen=True, slots=True)
class EventListener:
    object_type: str
    change_types: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Event:
    """One queued change. ``object_typename``/``object_id``/``object_number`` describe the
    object's *current* state; they are None for DELETED events (Centra sends no object)."""

    id: int
    object_type: str
    change_type: str
    object_reference: str
    created_at: datetime
    object_typename: str | None
    object_id: str | None
    object_number: int | None


@dataclass(frozen=True, slots=True)
class RateLimit:
    type: str  # REQUEST_COUNT | QUERY_COMPLEXITY | MUTATION_COUNT
    interval_seconds: int  # 10 or 3600 (Centra's enum TEN_SECONDS | ONE_HOUR)
    quota: int
    used_quota: int
    remaining_quota: int


@dataclass(frozen=True, slots=True)
class StockLevel:
    """Input of ``set_stock``: the absolute quantity of one product size."""

    product_size_id: int
    quantity: int


@dataclass(frozen=True, slots=True)
class StockDelta:
    """Input of ``change_stock``: add (positive) or remove (negative) units of one size.

    ``changeStock`` addresses sizes through their variant and size name [ERP]."""

    product_variant_id: int
    size_name: str
    delta: int


@dataclass(frozen=True, slots=True)
class StockItemResult:
    """What Centra said about one item of a stock write (matched by the error ``path``)."""

    item: StockLevel | StockDelta
    errors: tuple[UserMessage, ...] = ()
    warnings: tuple[UserMessage, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True, slots=True)
class StockWriteResult:
    """One stock write: per-item results, plus messages that name no single item."""

    stock_change_ids: tuple[int, ...]
    items: tuple[StockItemResult, ...]
    errors: tuple[UserMessage, ...] = field(default=())
    warnings: tuple[UserMessage, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.errors and all(item.ok for item in self.items)

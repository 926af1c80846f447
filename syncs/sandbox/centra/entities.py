"""The Centra twin's entities: stores, markets, products, stock, orders, returns, events.

Objects carry attributes named exactly like Centra's GraphQL fields (``SKU``, ``productSizes``,
``freeToAllocateQuantity``...), so graphql-core's default resolver reads them directly; fields
with arguments are methods taking ``(info, **args)``. That keeps the twin's per-row cost low
for large catalog reads. They hold no lock: only the store (``state.py``) changes them.
"""

from datetime import datetime
from decimal import Decimal

STOCK_QUANTITY_FIELDS_ZERO = (
    "demandQuantity",
    "incomingQuantity",
    "linkedIncomingQuantity",
    "unlinkedIncomingQuantity",
    "onDeliveryQuantity",
)


class Store:
    typename = "Store"

    def __init__(self, id: int, type: str, name: str):
        self.id, self.type, self.name = id, type, name


class Market:
    def __init__(self, id: int, name: str, currency: str):
        self.id, self.name, self.currency = id, name, currency


# The demo brand's markets (each selling in one currency) and Centra's base-currency rates
# (base EUR: a base amount = amount x currencyBaseRate), roughly 2026's.
DEMO_MARKETS = (
    (1, "Europe", "EUR"),
    (2, "Nordics", "SEK"),
    (3, "United Kingdom", "GBP"),
    (4, "United States", "USD"),
)
BASE_RATES = {"EUR": 1.0, "SEK": 0.0871, "GBP": 1.165, "USD": 0.923}


class Currency:
    CODES = {"EUR": 1, "SEK": 2, "USD": 3, "GBP": 4}

    def __init__(self, code: str):
        self.id, self.code = self.CODES.get(code, 99), code


class Money:
    """A ``MonetaryValue``. The twin converts nothing: ``conversionRate`` is 1 and the
    conversion date is when the amount arose (the order date)."""

    __slots__ = ("conversionDate", "conversionRate", "currency", "value")

    def __init__(self, value: Decimal, currency: Currency, when: datetime):
        self.value = float(value)
        self.currency = currency
        self.conversionRate = 1.0
        self.conversionDate = when

    @property
    def formattedValue(self) -> str:
        return f"{self.value:.2f} {self.currency.code}"

    @property
    def valueInCents(self) -> int:
        return round(self.value * 100)


class Warehouse:
    typename = "Warehouse"

    def __init__(self, id: int, name: str):
        self.id, self.name = id, name
        self.status = "ACTIVE"


class Size:
    def __init__(self, id: int, name: str):
        self.id, self.name = id, name
        self.externalId = None


class StockLevel:
    """One (warehouse, size) row of Centra's ``Stock`` type."""

    __slots__ = ("allocatedQuantity", "physicalQuantity", "productSize", "warehouse")

    def __init__(self, warehouse, product_size, physical=0, allocated=0):
        self.warehouse = warehouse
        self.productSize = product_size
        self.physicalQuantity = physical
        self.allocatedQuantity = allocated

    @property
    def freeToAllocateQuantity(self) -> int:
        return self.physicalQuantity - self.allocatedQuantity

    @property
    def unshippedQuantity(self) -> int:
        return self.allocatedQuantity

    @property
    def availableNowQuantity(self) -> int:
        return self.freeToAllocateQuantity

    @property
    def availableQuantity(self) -> int:
        return self.freeToAllocateQuantity

    demandQuantity = incomingQuantity = linkedIncomingQuantity = 0
    unlinkedIncomingQuantity = onDeliveryQuantity = 0


class Product:
    typename = "Product"

    def __init__(self, id, product_number, name, status, now):
        self.id = id
        self.productNumber = product_number
        self.name = name
        self.status = status
        self.createdAt = self.updatedAt = now
        self.variants: list[ProductVariant] = []
        self.harmonizedCommodityCode = self.harmonizedCommodityCodeDescription = None
        self.internalComment = None
        self.isBundle = self.isSerializableProduct = False


class ProductVariant:
    typename = "ProductVariant"

    def __init__(self, id, product, variant_number, name, status, now):
        self.id = id
        self.product = product
        self.variantNumber = variant_number
        self.name = name
        self.status = status
        self.updatedAt = now
        self.productSizes: list[ProductSize] = []
        self.internalName = self.unitCost = None
        self.stockOffset = 0

    def stock_rows(self) -> list[StockLevel]:
        return [level for size in self.productSizes for level in size.levels.values()]


# What ``add_size`` takes for "the SKU Centra builds": product + variant + size number [PIM].
CONCATENATED = "concatenated"


class ProductSize:
    typename = "ProductSize"
    __slots__ = (
        "EAN",
        "SKU",
        "description",
        "id",
        "levels",
        "preorder",
        "productVariant",
        "size",
        "sizeNumber",
        "updatedAt",
    )
    UPC = comment = None
    quantity = 0
    isActive = True

    def __init__(self, id, variant, size, size_number, ean, sku, when):
        self.id = id
        self.productVariant = variant
        self.size = size
        self.sizeNumber = size_number
        self.EAN = ean
        self.SKU = sku
        self.description = None
        self.preorder = False
        self.updatedAt = when
        self.levels: dict[int, StockLevel] = {}  # by warehouse id, in warehouse order

    def stock_rows(self) -> list[StockLevel]:
        return list(self.levels.values())


class OrderLine:
    def __init__(self, id, order, product_size, quantity, unit_price):
        self.id = id
        self.order = order
        self.productSize = product_size
        self.productName = product_size.productVariant.product.name
        self.productVariantName = product_size.productVariant.name
        self.productNumber = product_size.productVariant.product.productNumber
        self.size = product_size.size.name or ""
        self.quantity = quantity
        self.cancelledQuantity = 0
        self.returnedQuantity = 0
        self.shippedQuantity = 0
        self.unit_price = unit_price
        self.allocations: dict[int, int] = {}  # warehouse id -> units reserved for this line

    # The twin's prices carry no tax and no discount, so ``includingTax`` changes nothing.
    typename = "ProductOrderLine"
    hasAnyDiscount = False
    comment = productBrand = folderName = productExternalUrl = frontendItemId = None
    discountPercent = taxPercent = 0.0

    @property
    def product(self):
        return self.productSize.productVariant.product

    @property
    def productVariant(self):
        return self.productSize.productVariant

    @property
    def unitPrice(self) -> Money:
        return self.order.money(self.unit_price)

    unitOriginalPrice = unitPrice

    @property
    def lineValue(self) -> Money:
        return self.order.money(self.unit_price * self.quantity)

    def release(self, quantity: int, *, remove_from_stock: bool) -> None:
        """Give back up to ``quantity`` reserved units, last-allocated warehouse first."""
        for wid in reversed(list(self.allocations)):
            if quantity == 0:
                break
            take = min(quantity, self.allocations[wid])
            level = self.productSize.levels[wid]
            level.allocatedQuantity -= take
            if remove_from_stock:
                level.physicalQuantity -= take
            self.allocations[wid] -= take
            if not self.allocations[wid]:
                del self.allocations[wid]
            quantity -= take


class Order:
    def __init__(self, id, number, store, market, currency, when, status):
        self.id = id
        self.number = number
        self.store = store
        self.market = market
        self.currency = currency
        self.createdAt = self.updatedAt = self.orderDate = when
        self.status = status
        self.isOnHold = False
        self.isLocked = False
        self.purchaseOrderNumber = None
        self.all_lines: list[OrderLine] = []
        self.shipments: list[Shipment] = []
        self.userIP = self.internalComment = None
        self.currencyBaseRate = BASE_RATES.get(currency.code, 1.0)

    def money(self, value: Decimal) -> Money:
        return Money(value, self.currency, self.orderDate)

    @property
    def typename(self) -> str:
        return "WholesaleOrder" if self.store.type == "WHOLESALE" else "DirectToConsumerOrder"

    def lines(self, info=None, includeFullyCancelled=False):
        if includeFullyCancelled:
            return self.all_lines
        return [line for line in self.all_lines if line.quantity > 0]

    @property
    def grandTotal(self) -> Money:
        return self.money(
            sum((line.unit_price * line.quantity for line in self.all_lines), Decimal(0))
        )


class Shipment:
    """A shipment, paid and captured when created (the twin has no payment flow)."""

    isPrinted = isOnHold = usedFallbackTax = False
    isPaid = isCaptured = True
    trackingNumber = returnTrackingNumber = additionalMessage = None
    numberOfPackages = 1
    currencyBaseRate = 1.0

    def __init__(self, id, number, order, when):
        self.id = id
        self.number = number
        self.order = order
        self.createdAt = self.updatedAt = self.paidAt = self.capturedAt = when
        self.shippedAt = None
        self.isGoodToGo = True
        self.lines: list[ShipmentLine] = []

    @property
    def typename(self) -> str:
        wholesale = self.order.store.type == "WHOLESALE"
        return "WholesaleShipment" if wholesale else "DirectToConsumerShipment"

    @property
    def isShipped(self) -> bool:
        return self.shippedAt is not None

    @property
    def grandTotal(self) -> Money:
        return self.order.money(sum((line.value for line in self.lines), Decimal(0)))


class ShipmentLine:
    def __init__(self, id, shipment, order_line, quantity):
        self.id = id
        self.shipment = shipment
        self.orderLine = order_line
        self.quantity = quantity
        self.returned = 0
        self.taken: dict[int, int] = {}  # warehouse id -> units that left it

    @property
    def returnedQuantity(self) -> int:
        return self.returned

    @property
    def invoicedQuantity(self) -> int:
        return self.quantity

    @property
    def value(self) -> Decimal:
        return self.orderLine.unit_price * self.quantity

    @property
    def unitPrice(self) -> Money:
        return self.orderLine.unitPrice

    @property
    def lineValue(self) -> Money:
        return self.orderLine.order.money(self.value)


class Return:
    """A return. ``returnStatus`` is its progress (PENDING, then COMPLETED); ``status`` is
    the generic ``Status`` Centra also gives it (ACTIVE; CANCELLED if cancelled)."""

    createdFrom = externalId = None
    usedFallbackTax = False
    shipping_cost = Decimal(0)  # shipping refunded with the items (createReturn shippingCost)

    def __init__(self, id, shipment, when, returned_to_stock, comment=""):
        self.id = id
        self.comment = comment
        self.shipment = shipment
        self.order = shipment.order
        self.store = self.order.store
        self.currencyBaseRate = self.order.currencyBaseRate
        self.createdAt = when
        self.returnStatus = "PENDING"
        self.status = "ACTIVE"
        self.returnedToStock = returned_to_stock
        self.returnWarehouse = None  # where released units went, when they were released
        self.lines: list[ReturnLine] = []

    @property
    def typename(self) -> str:
        wholesale = self.order.store.type == "WHOLESALE"
        return "WholesaleReturn" if wholesale else "DirectToConsumerReturn"

    @property
    def totalQuantity(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def grandTotal(self) -> Money:
        items = sum((line.value for line in self.lines), Decimal(0))
        return self.order.money(items + self.shipping_cost)


class ReturnLine:
    def __init__(self, id, shipment_line, quantity):
        self.id = id
        self.shipmentLine = shipment_line
        self.quantity = quantity

    @property
    def orderLine(self):
        return self.shipmentLine.orderLine

    @property
    def value(self) -> Decimal:
        return self.orderLine.unit_price * self.quantity

    @property
    def unitPrice(self) -> Money:
        return self.orderLine.unitPrice

    @property
    def lineValue(self) -> Money:
        return self.orderLine.order.money(self.value)


class Event:
    def __init__(self, id, object_type, change_type, target, reference, when, store):
        self.id = id
        self.objectType = object_type
        self.changeType = change_type
        self.target = target
        self.objectReference = reference
        self.createdAt = when
        self.store = store
        self.market = getattr(target, "market", None)

    @property
    def object(self):
        """The object's current state, not a snapshot; null for DELETED [EVT]."""
        return None if self.changeType == "DELETED" else self.target


class EventListener:
    def __init__(self, integration_name, object_type, change_types, when):
        self.integrationName = integration_name
        self.objectType = object_type
        self.changeTypes = list(change_types)
        self.createdAt = self.updatedAt = when


ALL_CHANGE_TYPES = ("CREATED", "UPDATED", "DELETED", "COMPLETED", "DEPENDENT_DATA_CHANGED")

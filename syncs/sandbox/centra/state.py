"""The Centra twin's in-memory world (``CentraState``), and the plain Python API that seeds
and moves it; the entities it holds are ``entities.py``'s.

Stock follows Centra's definitions [STOCK]: per (warehouse, size) a physical and an allocated
quantity, free-to-allocate = physical - allocated. Placing an order allocates (lowers FTA),
completing a shipment takes the units off the shelf (lowers physical and allocated), cancelling
releases the allocation (and with REMOVE_FROM_STOCK also removes the units), a return released
back to the warehouse raises physical again.

Everything that changes state goes through ``CentraState`` under one re-entrant lock: the twin
is served from a threaded HTTP server in the demo while the world simulator seeds it.
"""

import hashlib
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from decimal import Decimal

from .entities import (
    ALL_CHANGE_TYPES,
    CONCATENATED,
    DEMO_MARKETS,
    Currency,
    Event,
    EventListener,
    Market,
    Order,
    OrderLine,
    Product,
    ProductSize,
    ProductVariant,
    Return,
    ReturnLine,
    Shipment,
    ShipmentLine,
    Size,
    StockLevel,
    Store,
    Warehouse,
)
from .order_index import OrdersByDate


class CentraState:
    """All twin data plus the seeding API. Every public method holds ``lock``."""

    def __init__(
        self, *, integration_name: str = "centra-ip", wall: Callable[[], datetime] | None = None
    ):
        self.lock = threading.RLock()
        # The token's integration name; Centra keeps one event queue per integration [EVT].
        self.integration_name = integration_name
        # Centra generates events only once it has enabled the event system for the account
        # (EVT-DEV); until then listeners can be set and the queue stays empty.
        self.events_enabled = True
        # SKUs whose stock Centra refuses to change (a size locked in Centra's admin): a
        # stock write for one answers a userError for that item, as Centra reports problems.
        self.stock_locked: set[str] = set()
        # Units another writer adds after each stock write, per SKU (an old integration
        # still writing stock to Centra): Centra then shows more than was written.
        self.stock_added_after_write: dict[str, int] = {}
        self.wall = wall or (lambda: datetime.now(UTC).replace(microsecond=0))
        self.stores = {
            1: Store(1, "DIRECT_TO_CONSUMER", "Retail"),
            2: Store(2, "WHOLESALE", "Wholesale"),
        }
        self.markets = {id: Market(id, name, code) for id, name, code in DEMO_MARKETS}
        self.warehouses: dict[int, Warehouse] = {}
        self.products: dict[int, Product] = {}
        self.variants: dict[int, ProductVariant] = {}
        self.sizes: dict[int, ProductSize] = {}
        self.sizes_by_sku: dict[str, ProductSize] = {}
        self.size_names: dict[str, Size] = {}
        self.orders: dict[int, Order] = {}  # by number, in placing order
        self.orders_by_id: dict[str, Order] = {}
        self.orders_by_date = OrdersByDate()  # what ``orders`` pages through
        self.order_lines: dict[int, OrderLine] = {}
        self.shipments: dict[int, Shipment] = {}
        self.returns: dict[int, Return] = {}
        self.events: dict[int, Event] = {}  # unconfirmed, oldest first
        self.listeners: dict[str, EventListener] = {}
        self._next: dict[str, int] = {}

    def next_id(self, kind: str, start: int = 1) -> int:
        value = self._next.get(kind, start)
        self._next[kind] = value + 1
        return value

    # -- catalog and warehouses -------------------------------------------------------------
    def add_warehouse(self, name: str) -> Warehouse:
        with self.lock:
            warehouse = Warehouse(self.next_id("warehouse"), name)
            self.warehouses[warehouse.id] = warehouse
            return warehouse

    def add_product(
        self,
        product_number: str,
        name: str,
        *,
        status: str = "ACTIVE",
        variants: dict[str, list[tuple[str, str, str]]] | None = None,
    ) -> Product:
        """Add a product; ``variants`` maps variant number to ``[(size name, size number,
        EAN)]`` to create the whole tree at once (variant name = variant number)."""
        with self.lock:
            product = Product(self.next_id("product"), product_number, name, status, self.wall())
            self.products[product.id] = product
            for variant_number, sizes in (variants or {}).items():
                variant = self.add_variant(product, variant_number, variant_number)
                for size_name, size_number, ean in sizes:
                    self.add_size(variant, size_name, size_number, ean)
            self.emit("Product", "CREATED", product, product.id, None)
            return product

    def add_variant(
        self, product: Product, variant_number: str, name: str, *, status: str = "ACTIVE"
    ) -> ProductVariant:
        with self.lock:
            variant = ProductVariant(
                self.next_id("variant"), product, variant_number, name, status, self.wall()
            )
            product.variants.append(variant)
            self.variants[variant.id] = variant
            return variant

    def add_size(
        self,
        variant: ProductVariant,
        size_name: str,
        size_number: str,
        ean: str | None = "",
        *,
        sku: str | None = CONCATENATED,
    ) -> ProductSize:
        """Add a size. Its SKU is product + variant + size number, as Centra builds it
        [PIM], unless ``sku`` says otherwise; ``sku=None`` is a size without a SKU, which
        Centra's schema allows (``ProductSize.SKU: String``)."""
        with self.lock:
            size = self.size_names.get(size_name)
            if size is None:
                size = self.size_names[size_name] = Size(len(self.size_names) + 1, size_name)
            if sku == CONCATENATED:
                sku = variant.product.productNumber + variant.variantNumber + size_number
            if sku and sku in self.sizes_by_sku:
                raise ValueError(f"SKU {sku} exists already")
            product_size = ProductSize(
                self.next_id("size"), variant, size, size_number, ean, sku, self.wall()
            )
            variant.productSizes.append(product_size)
            self.sizes[product_size.id] = product_size
            if sku:
                self.sizes_by_sku[sku] = product_size
            return product_size

    def size(self, sku_or_id: str | int) -> ProductSize:
        found = (self.sizes_by_sku if isinstance(sku_or_id, str) else self.sizes).get(sku_or_id)
        if found is None:
            raise KeyError(f"no product size {sku_or_id!r}")
        return found

    def level(self, product_size: ProductSize, warehouse_id: int) -> StockLevel:
        level = product_size.levels.get(warehouse_id)
        if level is None:
            level = StockLevel(self.warehouses[warehouse_id], product_size)
            product_size.levels[warehouse_id] = level
            if len(product_size.levels) > 1:  # keep warehouse order
                product_size.levels = dict(sorted(product_size.levels.items()))
        return level

    def set_stock(self, sku_or_id: str | int, warehouse_id: int, physical: int) -> StockLevel:
        """Seed the physical quantity; allocations stay (physical cannot drop below them)."""
        with self.lock:
            level = self.level(self.size(sku_or_id), warehouse_id)
            if physical < level.allocatedQuantity:
                raise ValueError("physical stock cannot be below the allocated quantity")
            level.physicalQuantity = physical
            return level

    # -- orders -------------------------------------------------------------------------------
    def place_order(
        self,
        lines: Iterable[tuple[str | int, int, Decimal | str | int]],
        *,
        store_type: str = "DIRECT_TO_CONSUMER",
        currency: str = "EUR",
        order_date: datetime | None = None,
        status: str = "CONFIRMED",
        warehouse_id: int | None = None,
        market_id: int | None = None,
    ) -> Order:
        """Place an order of ``(sku or size id, quantity, unit price)`` lines. Each line is
        allocated from ``warehouse_id`` or else warehouses in id order, as far as FTA goes.
        The market is ``market_id``, else the one selling in ``currency`` (else the first)."""
        with self.lock:
            number = self.next_id("order")
            order_id = hashlib.md5(f"centra-order-{number}".encode()).hexdigest()  # noqa: S324
            store = self.stores[2 if store_type == "WHOLESALE" else 1]
            market = self.markets.get(market_id) or next(
                (m for m in self.markets.values() if m.currency == currency),
                self.markets[min(self.markets)],
            )
            order = Order(order_id, number, store, market, Currency(currency), self.wall(), status)
            if order_date is not None:  # an order dated earlier (imported): created now
                order.orderDate = order_date
            for sku, quantity, price in lines:
                if quantity <= 0:
                    raise ValueError("order line quantity must be positive")
                line = OrderLine(
                    self.next_id("order_line"), order, self.size(sku), quantity, Decimal(str(price))
                )
                order.all_lines.append(line)
                self.order_lines[line.id] = line
                self._allocate(line, quantity, warehouse_id)
            self.orders[number] = order
            self.orders_by_id[order_id] = order
            self.orders_by_date.add(order)
            self.emit("Order", "CREATED", order, order.number, order.store)
            return order

    def order(self, number_or_id: int | str) -> Order:
        found = (self.orders if isinstance(number_or_id, int) else self.orders_by_id).get(
            number_or_id
        )
        if found is None:
            raise KeyError(f"no order {number_or_id!r}")
        return found

    def _allocate(self, line: OrderLine, quantity: int, warehouse_id: int | None) -> None:
        candidates = [warehouse_id] if warehouse_id else list(self.warehouses)
        remaining = quantity
        for wid in candidates:
            if remaining == 0:
                break
            level = self.level(line.productSize, wid)
            take = min(remaining, max(0, level.freeToAllocateQuantity))
            if take:
                level.allocatedQuantity += take
                line.allocations[wid] = line.allocations.get(wid, 0) + take
                remaining -= take

    def cancel_order(self, number: int, *, remove_from_stock: bool = False) -> Order:
        """Whole-order cancel: status CANCELLED, line quantities unchanged [DTC]."""
        with self.lock:
            order = self.order(number)
            if order.status in ("SHIPPED", "CANCELLED", "ARCHIVED"):
                raise ValueError(f"order {number} is {order.status}")
            for line in order.all_lines:
                line.release(
                    line.quantity - line.shippedQuantity, remove_from_stock=remove_from_stock
                )
            order.status = "CANCELLED"
            order.updatedAt = self.wall()
            self.emit("Order", "UPDATED", order, order.number, order.store)
            return order

    def cancel_line(
        self,
        number: int,
        line_id: int,
        quantity: int,
        *,
        stock_action: str = "RELEASE_BACK_TO_WAREHOUSE",
    ) -> OrderLine:
        """``cancelLines``: quantity goes down, cancelledQuantity up (inferred arithmetic)."""
        with self.lock:
            order = self.order(number)
            line = next((ln for ln in order.all_lines if ln.id == line_id), None)
            if line is None:
                raise KeyError(f"order {number} has no line {line_id}")
            if not 0 <= quantity <= line.quantity - line.shippedQuantity:
                raise ValueError("can only cancel up to the unshipped quantity")
            line.quantity -= quantity
            line.cancelledQuantity += quantity
            line.release(quantity, remove_from_stock=stock_action == "REMOVE_FROM_STOCK")
            order.updatedAt = self.wall()
            self._maybe_complete(order)
            self.emit("Order", "UPDATED", order, order.number, order.store)
            return line

    def ship(
        self, number: int, lines: dict[int, int] | None = None, *, complete: bool = True
    ) -> Shipment:
        """Create a shipment of ``{order line id: quantity}`` (default: everything unshipped
        and allocated) and, unless ``complete=False``, complete it at once."""
        with self.lock:
            order = self.order(number)
            if order.status in ("CANCELLED", "SHIPPED", "ARCHIVED"):
                raise ValueError(f"order {number} is {order.status}")
            if lines is None:
                lines = {ln.id: sum(ln.allocations.values()) for ln in order.all_lines}
            shipment = Shipment(self.next_id("shipment"), "", order, self.wall())
            shipment.number = f"{order.number}-{len(order.shipments) + 1}"
            for line_id, quantity in lines.items():
                if not quantity:
                    continue
                line = self.order_lines[line_id]
                if line.order is not order:
                    raise ValueError(f"line {line_id} is not on order {number}")
                if quantity > sum(line.allocations.values()):
                    raise ValueError(f"line {line_id}: only allocated units can be shipped")
                shipment.lines.append(
                    ShipmentLine(self.next_id("shipment_line"), shipment, line, quantity)
                )
                line.shippedQuantity += quantity
            if not shipment.lines:
                raise ValueError("nothing to ship")
            order.shipments.append(shipment)
            self.shipments[shipment.id] = shipment
            if order.status in ("PENDING", "CONFIRMED"):
                order.status = "PROCESSING"
            order.updatedAt = self.wall()
            self.emit("Shipment", "CREATED", shipment, shipment.id, order.store)
            self.emit("Order", "UPDATED", order, order.number, order.store)
            if complete:
                self.complete_shipment(shipment.id)
            return shipment

    def complete_shipment(self, shipment_id: int) -> Shipment:
        """The goods leave: allocated and physical both drop by the shipped units."""
        with self.lock:
            shipment = self.shipments[shipment_id]
            if shipment.shippedAt is not None:
                raise ValueError(f"shipment {shipment_id} is completed already")
            for sline in shipment.lines:
                line = sline.orderLine
                remaining = sline.quantity
                for wid in list(line.allocations):
                    take = min(remaining, line.allocations[wid])
                    level = line.productSize.levels[wid]
                    level.allocatedQuantity -= take
                    level.physicalQuantity -= take
                    line.allocations[wid] -= take
                    if not line.allocations[wid]:
                        del line.allocations[wid]
                    sline.taken[wid] = sline.taken.get(wid, 0) + take
                    remaining -= take
            shipment.shippedAt = self.wall()
            order = shipment.order
            self.emit("Shipment", "COMPLETED", shipment, shipment.id, order.store)
            self._maybe_complete(order)
            return shipment

    def _maybe_complete(self, order: Order) -> None:
        """SHIPPED once every line is shipped or cancelled and every shipment completed."""
        if order.status != "PROCESSING":
            return
        if all(ln.shippedQuantity == ln.quantity for ln in order.all_lines) and all(
            s.shippedAt for s in order.shipments
        ):
            order.status = "SHIPPED"
            order.updatedAt = self.wall()
            self.emit("Order", "COMPLETED", order, order.number, order.store)

    # -- returns ------------------------------------------------------------------------------
    def create_return(
        self,
        shipment_id: int,
        lines: dict[int, int] | None = None,
        *,
        release_to_stock: bool = True,
        comment: str = "",
        shipping_cost: Decimal | str | int = 0,
    ) -> Return:
        """Return ``{shipment line id: quantity}`` (default: all of it), refunding
        ``shipping_cost`` of the shipping too (createReturn's ``shippingCost``). With
        ``releaseItemsBackToWarehouse`` the units go back on the original warehouse's shelf
        when the return is created (inferred timing); otherwise stock does not change."""
        with self.lock:
            shipment = self.shipments[shipment_id]
            if lines is None:
                lines = {sl.id: sl.quantity - sl.returned for sl in shipment.lines}
            ret = Return(self.next_id("return"), shipment, self.wall(), release_to_stock, comment)
            ret.shipping_cost = Decimal(str(shipping_cost))
            for sline_id, quantity in lines.items():
                sline = next((sl for sl in shipment.lines if sl.id == sline_id), None)
                if sline is None:
                    raise KeyError(f"shipment {shipment_id} has no line {sline_id}")
                if not 0 < quantity <= sline.quantity - sline.returned:
                    raise ValueError(f"shipment line {sline_id}: cannot return {quantity}")
                sline.returned += quantity
                sline.orderLine.returnedQuantity += quantity
                if release_to_stock:
                    wid = next(iter(sline.taken), None) or next(iter(self.warehouses))
                    self.level(sline.orderLine.productSize, wid).physicalQuantity += quantity
                    ret.returnWarehouse = self.warehouses[wid]
                ret.lines.append(ReturnLine(self.next_id("return_line"), sline, quantity))
            if not ret.lines:
                raise ValueError("nothing to return")
            self.returns[ret.id] = ret
            shipment.order.updatedAt = self.wall()
            self.emit("Return", "CREATED", ret, ret.id, shipment.order.store)
            self.emit(
                "Order", "UPDATED", shipment.order, shipment.order.number, shipment.order.store
            )
            return ret

    def complete_return(self, return_id: int) -> Return:
        with self.lock:
            ret = self.returns[return_id]
            if ret.returnStatus == "COMPLETED":
                raise ValueError(f"return {return_id} is completed already")
            ret.returnStatus = "COMPLETED"
            self.emit("Return", "COMPLETED", ret, ret.id, ret.order.store)
            return ret

    # -- events -------------------------------------------------------------------------------
    def emit(self, object_type: str, change_type: str, target, reference: int, store) -> None:
        """Queue an event if a listener wants it; ``reference`` is the object's id, or its
        number for an order (``Event.objectReference: Int64!``)."""
        listener = self.listeners.get(object_type)
        if not self.events_enabled or listener is None or change_type not in listener.changeTypes:
            return
        event = Event(
            self.next_id("event"), object_type, change_type, target, reference, self.wall(), store
        )
        self.events[event.id] = event

    def listen(self, object_type: str, change_types: Iterable[str] | None) -> EventListener:
        """``setEventListeners`` for one type: adds to the set, idempotent."""
        with self.lock:
            wanted = list(change_types or ALL_CHANGE_TYPES)
            listener = self.listeners.get(object_type)
            if listener is None:
                listener = EventListener(self.integration_name, object_type, wanted, self.wall())
                self.listeners[object_type] = listener
            else:
                listener.changeTypes += [c for c in wanted if c not in listener.changeTypes]
                listener.updatedAt = self.wall()
            return listener

    def unlisten(self, object_type: str, change_types: Iterable[str] | None) -> None:
        """``unsetEventListeners``: also deletes queued events of those types [EVT]."""
        with self.lock:
            listener = self.listeners.get(object_type)
            if listener is None:
                return
            dropped = set(change_types or ALL_CHANGE_TYPES)
            listener.changeTypes = [c for c in listener.changeTypes if c not in dropped]
            if not listener.changeTypes:
                del self.listeners[object_type]
            for event_id in [
                e.id
                for e in self.events.values()
                if e.objectType == object_type and e.changeType in dropped
            ]:
                del self.events[event_id]

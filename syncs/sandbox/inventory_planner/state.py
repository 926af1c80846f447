"""The IP twin's in-memory world (``IPState``): warehouses, vendors, variants, stock orders
and sales history, in the shapes of ``entities.py``. Every public method takes the lock: the
twin is served by a threaded HTTP server for the demo while the world simulator seeds and
moves stock through the same object.
"""

import copy
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from syncs.sandbox.inventory_planner.entities import (
    PO_DATES,
    PO_EDITABLE,
    PO_STATUSES,
    PO_TYPES,
    VARIANT_FILTER_FIELDS,
    IPFailure,
    SalesLine,
    TwinSettings,
    checked_number,
    iso,
    order_line,
    order_totals_refresh,
    parse_date,
    per_warehouse,
    planning_refresh,
    units_by_day,
    units_on_order,
    warehouse_block,
)
from syncs.sandbox.inventory_planner.query import parse_filters, select


class IPState:
    """The seeding API (for the world simulator and tests) and the stock-order rules."""

    def __init__(self, *, settings: TwinSettings | None = None, now: Callable | None = None):
        self.settings = settings or TwinSettings()
        self._now = now or (lambda: datetime.now(UTC))
        self._lock = threading.RLock()
        self._warehouses: dict[str, str] = {}
        self._vendors: set[str] = set()
        self._variants: dict[str, dict] = {}
        self._by_sku: dict[str, str] = {}
        self._orders: dict[str, dict] = {}
        self._sales: dict[tuple, SalesLine] = {}
        self._next_id = 1

    # -- seeding -------------------------------------------------------------------------
    def add_warehouse(self, warehouse_id: str | None = None, display_name: str = "") -> str:
        """Add an IP warehouse (one CSV connection is one warehouse); returns its id."""
        with self._lock:
            warehouse_id = warehouse_id or f"c1_csv.{self._take_id():013x}"
            self._warehouses[warehouse_id] = display_name or warehouse_id
            return warehouse_id

    def add_vendor(self, name: str) -> None:
        with self._lock:
            self._vendors.add(name)

    def add_variant(
        self,
        sku: str,
        *,
        barcode: str | None = None,
        title: str | None = None,
        removed: bool = False,
        stock: Mapping[str, float] | None = None,
        minimum_stock: float | Mapping[str, float] = 0,
        velocity: float | Mapping[str, float] = 0.0,
        lead_time: int = 14,
        review_period: int = 30,
        cost_price: float | None = None,
        price: float | None = None,
        variant_id: str | None = None,
        product_type: str | None = None,
    ) -> str:
        """Add a variant with one ``warehouse[]`` block per warehouse in ``stock`` (all
        known warehouses at 0 when ``stock`` is omitted); returns the variant id.

        ``velocity`` is forecast units per day (``forecast_description.sales_velocity1``).
        """
        with self._lock:
            if sku in self._by_sku:
                raise ValueError(f"SKU {sku} exists")
            stock = dict(stock) if stock is not None else dict.fromkeys(self._warehouses, 0)
            for warehouse in stock:
                self._require_warehouse(warehouse)
            variant_id = variant_id or f"c1_{self._take_id()}"
            moment = iso(self._now())
            record = {
                "id": variant_id,
                "sku": sku,
                "title": title or sku,
                "barcode": barcode,
                "product_type": product_type,
                "removed": removed,
                "cost_price": cost_price,
                "price": price,
                "created_at": moment,
                "updated_at": moment,
                "connections": [{"sku": sku, "removed": removed}],
                "orders_by_day": {},
                "warehouse": [
                    warehouse_block(
                        warehouse,
                        in_stock=qty,
                        minimum_stock=per_warehouse(minimum_stock, warehouse),
                        lead_time=lead_time,
                        review_period=review_period,
                        velocity=per_warehouse(velocity, warehouse),
                    )
                    for warehouse, qty in stock.items()
                ],
            }
            self._variants[variant_id] = record
            self._by_sku[sku] = variant_id
            planning_refresh(record, self.settings.top_level)
            return variant_id

    def set_stock(self, sku: str, warehouse: str, quantity: float) -> None:
        """Set ``in_stock`` of one warehouse (what IP's connector sync would bring in)."""
        with self._lock:
            record = self._variant_by_sku(sku)
            self._block(record, warehouse)["in_stock"] = quantity
            self._touch(record)

    def adjust_stock(self, sku: str, warehouse: str, delta: float) -> float:
        """Move ``in_stock`` of one warehouse by ``delta``; returns the new figure."""
        with self._lock:
            record = self._variant_by_sku(sku)
            block = self._block(record, warehouse)
            block["in_stock"] = block.get("in_stock", 0) + delta
            self._touch(record)
            return block["in_stock"]

    def set_planning(
        self,
        sku: str,
        warehouse: str,
        *,
        minimum_stock: float | None = None,
        velocity: float | None = None,
        lead_time: int | None = None,
        review_period: int | None = None,
    ) -> None:
        """Change the planning inputs of one warehouse block (what IP's UI would set)."""
        with self._lock:
            record = self._variant_by_sku(sku)
            block = self._block(record, warehouse)
            for key, value in (
                ("minimum_stock", minimum_stock),
                ("lead_time", lead_time),
                ("review_period", review_period),
            ):
                if value is not None:
                    block[key] = value
            if velocity is not None:
                block["forecast_description"]["sales_velocity1"] = velocity
                block["forecast_description"]["sales_velocity30"] = velocity
            self._touch(record)

    def set_removed(self, sku: str, removed: bool = True) -> None:
        with self._lock:
            record = self._variant_by_sku(sku)
            record["removed"] = removed
            record["connections"][0]["removed"] = removed
            self._touch(record)

    def mark_readonly(self, po_id: str, readonly: bool = True) -> None:
        """As when IP saved the stock order to a connected IMS or to Snowflake."""
        with self._lock:
            self._order(po_id)["readonly"] = readonly

    # -- reading (for assertions and the demo) -------------------------------------------
    def variant(self, sku: str) -> dict:
        """A copy of the variant record as the API would return it whole."""
        with self._lock:
            return copy.deepcopy(self._variant_by_sku(sku))

    def in_stock(self, sku: str, warehouse: str) -> float:
        with self._lock:
            return self._block(self._variant_by_sku(sku), warehouse)["in_stock"]

    def warehouses(self) -> dict[str, str]:
        with self._lock:
            return dict(self._warehouses)

    def sales_history(self, sku: str | None = None) -> list[SalesLine]:
        """Folded sales rows (all, or one SKU's), in the order they were first taken."""
        with self._lock:
            return [line for line in self._sales.values() if sku is None or line.sku == sku]

    def units_sold(self, sku: str) -> float:
        """Net demand IP would forecast from: sales minus returns, cancelled lines excluded."""
        return sum(line.quantity for line in self.sales_history(sku) if not line.cancelled)

    def sales_fold(self, taken: Mapping[tuple, SalesLine], *, replace_all: bool) -> int:
        """Fold rows taken from the feed into the sales history; returns how many earlier
        rows were deleted (``replace_all``: the file is the full data set).

        Then each variant's ``orders_by_day`` is recomputed (``units_by_day``). The real
        field's shape is UNCONFIRMED; the client accepts this and two other shapes.
        """
        with self._lock:
            removed = 0
            if replace_all:
                stale = [key for key in self._sales if key not in taken]
                for key in stale:
                    del self._sales[key]
                removed = len(stale)
            self._sales.update(taken)
            by_sku = units_by_day(self._sales.values())
            for record in self._variants.values():
                record["orders_by_day"] = by_sku.get(record["sku"], {})
            return removed

    # -- stock orders (called by the HTTP layer under the lock) --------------------------
    def create_order(self, body: Mapping) -> dict:
        fail = self._invalid
        for key in ("warehouse", "vendor", "source_warehouse", "reference"):
            if not isinstance(body.get(key), str | None):
                raise fail(f"Invalid {key}")
        warehouse = body.get("warehouse")
        if not warehouse:
            raise fail("warehouse is required")
        if warehouse not in self._warehouses:
            raise fail(f"Failed to find warehouse {warehouse}")
        vendor = body.get("vendor")
        if vendor and vendor not in self._vendors:
            raise fail(f"Failed to find vendor {vendor}")
        kind = str(body.get("type") or "po").lower()
        if kind not in PO_TYPES:
            raise fail(f"Invalid type {kind}")
        source_warehouse = body.get("source_warehouse")
        if kind != "po" and source_warehouse not in self._warehouses:
            raise fail(f"Failed to find warehouse {source_warehouse}")
        status = self._status(body.get("status") or "open")
        lines = self._initial_lines(body, warehouse)
        number = self._take_id()
        moment = self._now()
        order = {
            "id": f"5f{number:022x}",  # 24 hex, ObjectId-like as IP's
            "reference": body.get("reference") or f"PO-{number}",
            "status": status,
            "type": kind,
            "source_type": "vendor" if kind == "po" else "warehouse",
            "vendor": vendor,
            "source_warehouse": source_warehouse,
            "source": vendor if kind == "po" else source_warehouse,
            "warehouse": warehouse,
            "warehouse_display_name": self._warehouses[warehouse],
            "readonly": False,
            "currency": body.get("currency"),
            "notes": body.get("notes"),
            "created_date": moment.date().isoformat(),
            "expected_date": None,
            "received_date": None,
            "created_at": iso(moment),
            "items": lines,
        }
        for key in PO_DATES:
            if body.get(key) is not None:
                order[key] = self._date(body[key], key)
        self._orders[order["id"]] = order
        self._order_changed(order, [line["id"] for line in lines])
        return order

    def update_order(self, po_id: str, body: Mapping) -> dict:
        order = self._editable(po_id)
        changes = {key: body[key] for key in PO_EDITABLE if key in body}
        if "status" in body:
            changes["status"] = self._status(body["status"])
        for key in PO_DATES:
            if key in body:
                changes[key] = None if body[key] is None else self._date(body[key], key)
        if "items" in body:
            self.update_items(po_id, body["items"])
        order.update(changes)
        self._order_changed(order, [line["id"] for line in order["items"]])
        return order

    def update_items(self, po_id: str, items: object) -> list[dict]:
        """Apply ``[{id, received?, replenishment?, cost_price?}]``, all or nothing.

        ``received`` is the cumulative quantity received on the line (or a delta, per
        ``settings.received_mode``). Receiving lowers the on-order figure; it raises
        ``in_stock`` only when ``settings.receiving_raises_stock`` says so.
        """
        order = self._editable(po_id)
        if order["status"] == "cancelled":
            raise self._invalid("Cannot receive a cancelled purchase-order")
        if not isinstance(items, list) or not items:
            raise self._invalid("items must be a non-empty list")
        planned = []
        for change in items:
            line = self._line(order, change.get("id") if isinstance(change, dict) else None)
            update = {}
            try:
                for key in ("replenishment", "cost_price"):
                    if key in change:
                        update[key] = checked_number(change[key], key)
                if "received" in change:
                    value = checked_number(change["received"], "received")
                    if self.settings.received_mode == "delta":
                        value += line.get("received", 0)
                    if value < 0:
                        raise ValueError("received")
                    update["received"] = value
            except ValueError as exc:
                raise self._invalid(f"Invalid {exc} for item {line['id']}") from None
            planned.append((line, update))
        moment = self._now()
        for line, update in planned:
            before = line["received"]
            line.update(update)
            line["remaining"] = max(0, line["replenishment"] - line["received"])
            line["total"] = line["replenishment"] * (line.get("cost_price") or 0)
            gained = line["received"] - before
            if gained:
                line["received_history"].append({"date": int(moment.timestamp()), "value": gained})
                order["received_date"] = moment.date().isoformat()
                if self.settings.receiving_raises_stock:
                    block = self._block(self._variants[line["id"]], order["warehouse"])
                    block["in_stock"] = block.get("in_stock", 0) + gained
        self._order_changed(order, [line["id"] for line, _ in planned])
        return [line for line, _ in planned]

    # -- internals -----------------------------------------------------------------------
    def _take_id(self) -> int:
        number = self._next_id
        self._next_id += 1
        return number

    def _invalid(self, message: str) -> IPFailure:
        return IPFailure(self.settings.validation_status, message)

    def _not_found(self, message: str) -> IPFailure:
        return IPFailure(self.settings.not_found_status, message)

    def _require_warehouse(self, warehouse: str) -> None:
        if warehouse not in self._warehouses:
            raise ValueError(f"unknown warehouse {warehouse}")

    def _variant_by_sku(self, sku: str) -> dict:
        try:
            return self._variants[self._by_sku[sku]]
        except KeyError:
            raise ValueError(f"unknown SKU {sku}") from None

    def _block(self, record: dict, warehouse: str) -> dict:
        """The variant's block for ``warehouse``, created (at zero) on first use."""
        for block in record["warehouse"]:
            if block["warehouse"] == warehouse:
                return block
        self._require_warehouse(warehouse)
        first = record["warehouse"][0] if record["warehouse"] else {}
        block = warehouse_block(
            warehouse,
            lead_time=first.get("lead_time", 14),
            review_period=first.get("review_period", 30),
        )
        record["warehouse"].append(block)
        return block

    def _touch(self, record: dict) -> None:
        record["updated_at"] = iso(self._now())
        planning_refresh(record, self.settings.top_level)

    def _order(self, po_id: str) -> dict:
        try:
            return self._orders[po_id]
        except KeyError:
            raise self._not_found(f"Failed to find purchase-order {po_id}") from None

    def _editable(self, po_id: str) -> dict:
        order = self._order(po_id)
        if order["readonly"]:
            raise self._invalid(f"purchase-order {po_id} is read-only")
        return order

    def _line(self, order: dict, item_id: object) -> dict:
        for line in order["items"]:
            if item_id in (line["id"], line["line_id"]):
                return line
        raise self._not_found(f"Failed to find item {item_id}")

    def _status(self, value: object) -> str:
        status = str(value).strip().lower()
        if status not in PO_STATUSES:
            raise self._invalid(f"Invalid status {value}")
        return status

    def _date(self, value: object, key: str) -> str:
        try:
            return parse_date(value).isoformat()
        except (ValueError, OverflowError, OSError):
            raise self._invalid(f"Invalid {key} {value}") from None

    def _initial_lines(self, body: Mapping, warehouse: str) -> list[dict]:
        """Explicit ``items[]`` or a ``variants_filter`` over the variants (by replenishment)."""
        wanted: list[tuple[dict, float, float | None]] = []
        if body.get("items"):
            if not isinstance(body["items"], list):
                raise self._invalid("items must be a list")
            for item in body["items"]:
                if not isinstance(item, dict):
                    raise self._invalid("items must be objects")
                record = self._variants.get(item.get("id")) or self._variants.get(
                    self._by_sku.get(item.get("sku"), "")
                )
                if record is None:
                    raise self._invalid(
                        f"Failed to find variant {item.get('id') or item.get('sku')}"
                    )
                try:
                    quantity = checked_number(item.get("replenishment"), "replenishment")
                    cost = item.get("cost_price")
                    cost = None if cost is None else checked_number(cost, "cost_price")
                except ValueError as exc:
                    raise self._invalid(f"Invalid {exc} for item {record['id']}") from None
                wanted.append((record, quantity, cost))
        elif isinstance(body.get("variants_filter"), dict):
            predicates = parse_filters(
                ((k, str(v)) for k, v in body["variants_filter"].items()),
                VARIANT_FILTER_FIELDS,
                unknown="ignore",
            )
            for record in select(list(self._variants.values()), predicates, []):
                quantity = self._block(record, warehouse).get("replenishment", 0)
                if quantity > 0:
                    wanted.append((record, quantity, record.get("cost_price")))
        lines = []
        for number, (record, quantity, cost) in enumerate(wanted, start=1):
            lines.append(order_line(number, record, quantity, cost))
        return lines

    def _order_changed(self, order: dict, variant_ids: list[str]) -> None:
        """Totals, timestamps and the on-order figure of every variant the order touches."""
        order_totals_refresh(order)
        order["last_modified"] = order["updated_at"] = iso(self._now())
        for variant_id in dict.fromkeys(variant_ids):
            record = self._variants[variant_id]
            on_order = units_on_order(self._orders.values(), variant_id)
            for wh in on_order:
                self._block(record, wh)
            for block in record["warehouse"]:
                block["purchase_orders_qty"] = on_order.get(block["warehouse"], 0)
            self._touch(record)

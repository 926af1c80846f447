"""The twin's executable schema: Centra's documented schema, bound to ``CentraState``.

The schema is the vendored one (``syncs.connectors.centra.schema``) plus only the
extensions in ``extensions.graphql`` beside this file (each listed in
``docs/connector-centra.md``), built with graphql-core; this module attaches resolvers. So
the twin cannot accept a name Centra's documentation does not have: the client's guesses
meet the documented schema, not a second copy of themselves.

Root fields page like Centra's list queries (``limit``/``page``, limit 1-200, page 1-based, a
short or empty page is the end, a page past the end is empty) and check the token's
permissions the way Centra reports a missing one: a GraphQL error with
``extensions.category: "authorization"`` and the field nulled (here: the whole ``data``
null, the fields being non-null). A filter field the twin does not implement is an error,
never silently ignored, so a test cannot pass on a filter the twin skipped. Stock writes
validate per item and report problems as ``userErrors`` with a ``path`` into the input,
applying the valid items (Centra: "batch mutations skip bad items"); the exact per-item
behaviour of the real API is UNCONFIRMED.
"""

import re
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from graphql import (
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    StringValueNode,
    build_schema,
    extend_schema,
    parse,
)

from syncs.connectors.centra.schema import documented_sdl

from .order_index import OrdersByDate
from .state import CentraState

EXTENSIONS_PATH = Path(__file__).with_name("extensions.graphql")
# Centra's documented default for every date field's ``format`` argument (PHP date syntax).
DEFAULT_DATE_FORMAT = "Y-m-d\\TH:i:sP"

# Permission each root field needs [AUTH]; rateLimits needs none.
PERMISSIONS = {
    "orders": "Order:read",
    "order": "Order:read",
    "products": "Product:read",
    "productVariants": "Product:read",
    "productSizes": "Product:read",
    "warehouses": "Warehouse:read",
    "returns": "Return:read",
    "events": "Event:read",
    "eventListeners": "Event:read",
    "setStock": "StockChange:write",
    "changeStock": "StockChange:write",
    "setEventListeners": "Event:write",
    "unsetEventListeners": "Event:write",
    "confirmEvents": "Event:write",
}
# Fields with a permission of their own [GD directtoconsumerreturn.html: Return.comment:read].
FIELD_PERMISSIONS = {
    ("DirectToConsumerReturn", "comment"): "Return.comment:read",
    ("WholesaleReturn", "comment"): "Return.comment:read",
}


# -- scalars and dates ------------------------------------------------------------------------
def parse_datetime(value) -> datetime:
    """Centra accepts ISO 8601 and "YYYY-MM-DD HH:MM:SS"; naive times are taken as UTC."""
    if not isinstance(value, str):
        raise GraphQLError(f"DateTimeTz cannot represent a non-string value: {value!r}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as error:
        raise GraphQLError(f"DateTimeTz cannot represent value: {value!r}") from error
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def serialize_datetime(value) -> str:
    """Date fields resolve to text already formatted (``format`` argument); a bare datetime
    gets Centra's default format."""
    return value if isinstance(value, str) else php_date(value, DEFAULT_DATE_FORMAT)


def parse_datetime_literal(node, _variables=None) -> datetime:
    if not isinstance(node, StringValueNode):
        raise GraphQLError("DateTimeTz must be a string")
    return parse_datetime(node.value)


PHP_DATE_CODES = {"Y": "%Y", "y": "%y", "m": "%m", "d": "%d", "H": "%H", "i": "%M", "s": "%S"}


def php_date(value: datetime, fmt: str) -> str:
    """``value`` in PHP ``date()`` syntax, the syntax of Centra's ``format`` arguments: the
    letters Centra's docs use (Y y m d H i s, P/O offsets, U epoch), ``\\`` escaping the next
    character. Any other letter is an error rather than a guess."""
    out, escaped = [], False
    for char in fmt:
        if escaped:
            out.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in PHP_DATE_CODES:
            out.append(value.strftime(PHP_DATE_CODES[char]))
        elif char in "PO":
            offset = value.strftime("%z") or "+0000"
            out.append(f"{offset[:3]}:{offset[3:]}" if char == "P" else offset)
        elif char == "U":
            out.append(str(int(value.timestamp())))
        elif char.isalpha():
            raise GraphQLError(
                f"The sandbox twin does not implement the date format letter {char!r}"
            )
        else:
            out.append(char)
    return "".join(out)


def resolve_date(source, info, format=DEFAULT_DATE_FORMAT):
    value = getattr(source, info.field_name)
    return None if value is None else php_date(value, format)


# -- paging, filtering, sorting -------------------------------------------------------------
def page_bounds(info, limit, page) -> tuple[int, int]:
    """The rows ``start:stop`` that ``limit`` and ``page`` ask for, once they are checked."""
    config = info.context["config"]
    limit = config.default_limit if limit is None else limit
    page = 1 if page is None else page
    if limit < 1 or limit > config.max_limit:
        raise GraphQLError(f"Limit must be in range 1 - {config.max_limit}")
    if page < 1:
        raise GraphQLError("page must be 1 or more")
    start = (page - 1) * limit
    return start, start + limit


def page_of(rows, info, limit, page):
    start, stop = page_bounds(info, limit, page)
    return rows[start:stop]


def sorted_by(rows, sort, *, default: str, keys=None):
    """Sort on ``field_ASC``/``field_DESC`` keys, the first key most significant. ``keys``
    maps a sort field to a function of the row; otherwise the row's attribute is used."""
    for key in reversed(list(sort or [default])):
        name, _, direction = key.rpartition("_")
        get = (keys or {}).get(name) or (lambda row, n=name: getattr(row, n))
        rows = sorted(rows, key=get, reverse=direction == "DESC")
    return rows


def supported(where, type_name: str, fields: set[str]) -> dict:
    """``where`` (or {}), after refusing the filter fields the twin does not implement."""
    where = where or {}
    unknown = sorted(set(where) - fields)
    if unknown:
        raise GraphQLError(
            f"The sandbox twin does not filter by {type_name}.{', '.join(unknown)}; "
            "implement it in syncs/sandbox/centra/schema.py before relying on it."
        )
    return where


def in_range(value: datetime, window) -> bool:
    if not window:
        return True
    start, end = window.get("from"), window.get("to")
    return (start is None or value >= start) and (end is None or value <= end)


def matches_text(value, match) -> bool:
    """``StringMatch``: ``equals`` and ``contains`` (the members the docs show)."""
    if not match:
        return True
    match = supported(match, "StringMatch", {"equals", "contains"})
    value = value or ""
    return ("equals" not in match or value == match["equals"]) and (
        "contains" not in match or match["contains"] in value
    )


def listed(where, name: str, value) -> bool:
    return name not in where or where[name] is None or value in where[name]


ORDER_FILTERS = {
    "id",
    "number",
    "status",
    "storeType",
    "storeId",
    "marketId",
    "createdAt",
    "updatedAt",
    "orderDate",
}


def order_matches(order, where) -> bool:
    return (
        listed(where, "id", order.id)
        and listed(where, "number", order.number)
        and listed(where, "status", order.status)
        and listed(where, "storeId", order.store.id)
        and listed(where, "marketId", order.market.id)
        and where.get("storeType") in (None, order.store.type)
        and in_range(order.createdAt, where.get("createdAt"))
        and in_range(order.updatedAt, where.get("updatedAt"))
        and in_range(order.orderDate, where.get("orderDate"))
    )


# -- root resolvers -------------------------------------------------------------------------
def state_of(info) -> CentraState:
    return info.context["state"]


def resolve_orders(_root, info, where=None, sort=None, limit=None, page=None):
    """Paged by date (the orders engine's read) from the date index, without a scan when
    the date window is the only filter; otherwise filtered, sorted, then paged."""
    where = supported(where, "OrderFilter", ORDER_FILTERS)
    state = state_of(info)
    if tuple(sort or ()) == OrdersByDate.SORT:
        start, stop = page_bounds(info, limit, page)
        keep = None if date_only(where) else (lambda order: order_matches(order, where))
        return state.orders_by_date.page(where.get("orderDate"), start, stop, keep)
    rows = [o for o in orders_named(state, where) if order_matches(o, where)]
    return page_of(sorted_by(rows, sort, default="number_ASC"), info, limit, page)


def date_only(where) -> bool:
    """Whether ``orderDate`` is the only filter set (the others absent or null)."""
    return all(value is None for name, value in where.items() if name != "orderDate")


def orders_named(state: CentraState, where) -> list:
    """The orders ``where`` can match, in placing (= number) order: only the ones it names
    when it names numbers (the engine's finance and market reads name up to 200 of them),
    else all of them."""
    numbers = where.get("number")
    if numbers is None:
        return list(state.orders.values())
    return [state.orders[number] for number in sorted(set(numbers)) if number in state.orders]


def resolve_order(_root, info, id=None, number=None):
    state = state_of(info)
    order = state.orders_by_id.get(id) if id is not None else state.orders.get(number)
    if order is None or (number is not None and order.number != number):
        return None
    return order


def resolve_products(_root, info, where=None, sort=None, limit=None, page=None):
    where = supported(where, "ProductFilter", {"id", "status", "productNumber", "name"})
    rows = [
        p
        for p in state_of(info).products.values()
        if listed(where, "id", p.id)
        and listed(where, "status", p.status)
        and matches_text(p.productNumber, where.get("productNumber"))
        and matches_text(p.name, where.get("name"))
    ]
    return page_of(sorted_by(rows, sort, default="id_ASC"), info, limit, page)


def resolve_product_variants(_root, info, where=None, sort=None, limit=None, page=None):
    where = supported(where, "ProductVariantFilter", {"id", "status", "productId"})
    rows = [
        v
        for v in state_of(info).variants.values()
        if listed(where, "id", v.id)
        and listed(where, "status", v.status)
        and listed(where, "productId", v.product.id)
    ]
    return page_of(sorted_by(rows, sort, default="id_ASC"), info, limit, page)


def resolve_product_sizes(_root, info, where=None, sort=None, limit=None, page=None):
    where = supported(where, "ProductSizeFilter", {"id", "SKU", "EAN", "sizeId"})
    rows = [
        s
        for s in state_of(info).sizes.values()
        if listed(where, "id", s.id)
        and listed(where, "sizeId", s.size.id)
        and matches_text(s.SKU, where.get("SKU"))
        and matches_text(s.EAN, where.get("EAN"))
    ]
    return page_of(sorted_by(rows, sort, default="id_ASC"), info, limit, page)


def resolve_warehouses(_root, info, where=None, sort=None, limit=None, page=None):
    where = supported(where, "WarehouseFilter", {"id", "name"})
    rows = [
        w
        for w in state_of(info).warehouses.values()
        if listed(where, "id", w.id) and matches_text(w.name, where.get("name"))
    ]
    return page_of(sorted_by(rows, sort, default="id_ASC"), info, limit, page)


RETURN_FILTERS = {
    "id",
    "status",
    "returnStatus",
    "createdAt",
    "orderId",
    "orderNumber",
    "storeId",
    "storeType",
}


def resolve_returns(_root, info, where=None, sort=None, limit=None, page=None):
    """Centra's default order of returns is not documented; the twin's is by id."""
    where = supported(where, "ReturnFilter", RETURN_FILTERS)
    rows = [
        r
        for r in state_of(info).returns.values()
        if listed(where, "id", r.id)
        and listed(where, "status", r.status)
        and listed(where, "returnStatus", r.returnStatus)
        and listed(where, "orderId", r.order.id)
        and listed(where, "orderNumber", r.order.number)
        and listed(where, "storeId", r.store.id)
        and where.get("storeType") in (None, r.store.type)
        and in_range(r.createdAt, where.get("createdAt"))
    ]
    return page_of(sorted_by(rows, sort, default="id_ASC"), info, limit, page)


def resolve_events(_root, info, where=None, limit=None):
    where = supported(where, "EventFilter", {"objectType", "changeType", "storeId", "marketId"})
    config = info.context["config"]
    limit = config.default_limit if limit is None else limit
    if limit < 1 or limit > config.max_limit:
        raise GraphQLError(f"Limit must be in range 1 - {config.max_limit}")
    found = []
    for event in state_of(info).events.values():  # oldest unconfirmed first [EVT]
        if (
            listed(where, "objectType", event.objectType)
            and listed(where, "changeType", event.changeType)
            and listed(where, "storeId", getattr(event.store, "id", None))
            and listed(where, "marketId", getattr(event.market, "id", None))
        ):
            found.append(event)
            if len(found) == limit:
                break
    return found


def resolve_event_listeners(_root, info):
    return list(state_of(info).listeners.values())


def resolve_rate_limits(_root, info):
    return info.context["rate_limits"]()


# -- stock lists (ProductVariant.stock, ProductSize.stock, Warehouse.stock) ------------------
STOCK_SORT_KEYS = {
    "productId": lambda row: row.productSize.productVariant.product.id,
    "productVariantId": lambda row: row.productSize.productVariant.id,
    "productSizeId": lambda row: row.productSize.id,
    "productSizeSort": lambda row: row.productSize.productVariant.productSizes.index(
        row.productSize
    ),
    "warehouseId": lambda row: row.warehouse.id,
}
STOCK_FILTERS = {"productId", "productVariantId", "productSizeId", "warehouseId"}


def stock_page(rows, info, where, sort, limit, page, *, default_sort: list[str]):
    """One page of stock rows: ``limit`` 1-200 [GD productsize.html], default 20."""
    where = supported(where, "StockFilter", STOCK_FILTERS)
    rows = [
        row
        for row in rows
        if all(
            listed(where, name, STOCK_SORT_KEYS[name](row))
            for name in ("productId", "productVariantId", "productSizeId", "warehouseId")
        )
    ]
    rows = sorted_by(rows, sort or default_sort, default="", keys=STOCK_SORT_KEYS)
    if limit is None or not 1 <= limit <= 200:
        raise GraphQLError("Limit must be in range 1 - 200")
    return page_of(rows, info, limit, page)


def resolve_variant_stock(variant, info, where=None, sort=None, limit=20, page=1):
    """Centra's default order here is not documented; the twin's is size, then warehouse."""
    return stock_page(
        variant.stock_rows(),
        info,
        where,
        sort,
        limit,
        page,
        default_sort=["productSizeSort_ASC", "warehouseId_ASC"],
    )


def resolve_size_stock(size, info, where=None, sort=None, limit=20, page=1):
    return stock_page(size.stock_rows(), info, where, sort, limit, page, default_sort=[])


def resolve_warehouse_stock(warehouse, info, where=None, sort=None, limit=20, page=1):
    rows = [
        size.levels[warehouse.id]
        for size in state_of(info).sizes.values()
        if warehouse.id in size.levels
    ]
    return stock_page(rows, info, where, sort, limit, page, default_sort=[])


# -- mutations ------------------------------------------------------------------------------
def user_error(message: str, *path) -> dict:
    return {"message": message, "path": [str(p) for p in path]}


def resolve_set_stock(_root, info, input):
    """Absolute stock. PHYSICAL below the allocated quantity is clamped to it with a
    warning (inferred from the REST stock endpoint, UNCONFIRMED for GraphQL); the FTA type
    sets physical = allocated + quantity, so Centra's own allocations survive."""
    state = state_of(info)
    config = info.context["config"]
    errors, warnings, targets = [], [], []
    warehouse = state.warehouses.get((input["warehouse"] or {}).get("id"))
    if warehouse is None:
        return {
            "stockChanges": [],
            "userWarnings": [],
            "userErrors": [user_error("Warehouse not found", "input", "warehouse")],
        }
    for i, item in enumerate(input.get("productSizes") or []):
        size = state.sizes.get((item["productSize"] or {}).get("id"))
        if size is None:
            errors.append(
                user_error("Product size not found", "input", "productSizes", i, "productSize")
            )
        else:
            targets.append((size, item["quantity"], ("input", "productSizes", i, "quantity")))
    for i, item in enumerate(input.get("productVariants") or []):
        variant = state.variants.get((item["productVariant"] or {}).get("id"))
        if variant is None:
            errors.append(
                user_error(
                    "Product variant not found", "input", "productVariants", i, "productVariant"
                )
            )
            continue
        for j, level in enumerate(item["sizeStockLevels"]):
            size = find_variant_size(variant, level["size"])
            where = ("input", "productVariants", i, "sizeStockLevels", j)
            if size is None:
                errors.append(user_error("Size not found", *where, "size"))
            else:
                targets.append((size, level["quantity"], (*where, "quantity")))
    fta = input["stockQuantityType"] == config.fta_quantity_type
    applied = []
    for size, quantity, path in targets:
        if quantity < 0:
            errors.append(user_error("Quantity must be 0 or more", *path))
            continue
        if size.SKU in state.stock_locked:
            errors.append(user_error("The product size is locked for stock changes", *path))
            continue
        row = state.level(size, warehouse.id)
        physical = row.allocatedQuantity + quantity if fta else quantity
        if physical < row.allocatedQuantity:
            warnings.append(
                user_error(
                    f"Physical quantity raised to the allocated quantity {row.allocatedQuantity}",
                    *path,
                )
            )
            physical = row.allocatedQuantity
        row.physicalQuantity = physical + state.stock_added_after_write.get(size.SKU, 0)
        applied.append(size)
    changes = []
    if applied:
        changes.append({"id": state.next_id("stock_change"), "description": input["description"]})
    return {"stockChanges": changes, "userErrors": errors, "userWarnings": warnings}


def find_variant_size(variant, size_input):
    size_input = size_input or {}
    for size in variant.productSizes:
        if size.size.id == size_input.get("id") or size.size.name == size_input.get("name"):
            return size
    return None


def resolve_change_stock(_root, info, input):
    """Relative stock: into a warehouse, out of one (at most its FTA), or both (a move)."""
    state = state_of(info)
    into = state.warehouses.get((input.get("intoWarehouse") or {}).get("id"))
    out = state.warehouses.get((input.get("outFromWarehouse") or {}).get("id"))
    errors = []
    if input.get("intoWarehouse") and into is None:
        errors.append(user_error("Warehouse not found", "input", "intoWarehouse"))
    if input.get("outFromWarehouse") and out is None:
        errors.append(user_error("Warehouse not found", "input", "outFromWarehouse"))
    if not input.get("intoWarehouse") and not input.get("outFromWarehouse"):
        errors.append(user_error("intoWarehouse or outFromWarehouse is required", "input"))
    if input.get("productSizes"):
        raise GraphQLError("The sandbox twin does not implement changeStock(productSizes:)")
    if errors:
        return {"stockChange": None, "userErrors": errors, "userWarnings": []}
    applied = 0
    for i, item in enumerate(input.get("productVariants") or []):
        variant = state.variants.get((item["productVariant"] or {}).get("id"))
        if variant is None:
            errors.append(
                user_error(
                    "Product variant not found", "input", "productVariants", i, "productVariant"
                )
            )
            continue
        for j, change in enumerate(item["sizeChanges"]):
            where = ("input", "productVariants", i, "sizeChanges", j)
            size = find_variant_size(variant, change["size"])
            quantity = change["deliveredQuantity"]
            if size is None:
                errors.append(user_error("Size not found", *where, "size"))
            elif quantity < 0:
                errors.append(user_error("Quantity must be 0 or more", *where, "deliveredQuantity"))
            elif out is not None and quantity > state.level(size, out.id).freeToAllocateQuantity:
                errors.append(
                    user_error(
                        f"Cannot take {quantity} out: only "
                        f"{state.level(size, out.id).freeToAllocateQuantity} free to allocate",
                        *where,
                        "deliveredQuantity",
                    )
                )
            else:
                if out is not None:
                    state.level(size, out.id).physicalQuantity -= quantity
                if into is not None:
                    state.level(size, into.id).physicalQuantity += quantity
                applied += 1
    change = None
    if applied:
        change = {"id": state.next_id("stock_change"), "description": input.get("description")}
    return {"stockChange": change, "userErrors": errors, "userWarnings": []}


def resolve_set_event_listeners(_root, info, input):
    """Listeners belong to the token's integration: without an integration name Centra
    refuses them [EVT] (the wording of its userError is UNCONFIRMED)."""
    state = state_of(info)
    if not state.integration_name:
        return {
            "eventListeners": [],
            "userErrors": [user_error("The API token has no integration name", "input")],
            "userWarnings": [],
        }
    for item in input:
        state.listen(item["objectType"], item.get("changeTypes"))
    return {"eventListeners": list(state.listeners.values()), "userErrors": [], "userWarnings": []}


def resolve_unset_event_listeners(_root, info, input):
    state = state_of(info)
    for item in input:
        state.unlisten(item["objectType"], item.get("changeTypes"))
    return {"eventListeners": list(state.listeners.values()), "userErrors": [], "userWarnings": []}


def resolve_confirm_events(_root, info, input):
    """Drop the events from the queue; ``events`` lists those confirmed."""
    state = state_of(info)
    warnings, confirmed = [], []
    for i, event_id in enumerate(input["eventsIds"]):
        event = state.events.pop(event_id, None)
        if event is None:
            warnings.append(user_error(f"Event {event_id} not found", "input", "eventsIds", i))
        else:
            confirmed.append(event)
    return {"events": confirmed, "userErrors": [], "userWarnings": warnings}


ROOT_RESOLVERS = {
    "Query": {
        "orders": resolve_orders,
        "order": resolve_order,
        "products": resolve_products,
        "productVariants": resolve_product_variants,
        "productSizes": resolve_product_sizes,
        "warehouses": resolve_warehouses,
        "returns": resolve_returns,
        "events": resolve_events,
        "eventListeners": resolve_event_listeners,
        "rateLimits": resolve_rate_limits,
    },
    "Mutation": {
        "setStock": resolve_set_stock,
        "changeStock": resolve_change_stock,
        "setEventListeners": resolve_set_event_listeners,
        "unsetEventListeners": resolve_unset_event_listeners,
        "confirmEvents": resolve_confirm_events,
    },
}
FIELD_RESOLVERS = {
    ("ProductVariant", "stock"): resolve_variant_stock,
    ("ProductSize", "stock"): resolve_size_stock,
    ("Warehouse", "stock"): resolve_warehouse_stock,
}


def default_resolver(source, info, **args):
    value = getattr(source, info.field_name, None)
    return value(info, **args) if callable(value) else value


def with_permission(name: str, resolver, permission: str | None):
    if permission is None:
        return resolver

    def checked(root, info, **args):
        info.context["permissions_used"].add(permission)
        allowed = info.context["permissions"]
        if allowed is not None and permission not in allowed:
            raise GraphQLError(
                f"You need {permission} permission to access {name}.",
                extensions={"category": "authorization"},
            )
        return resolver(root, info, **args)

    return checked


def abstract_type(value, _info, _type) -> str:
    return value.typename


def extensions_sdl() -> str:
    """The twin's additions to the documented schema ("" when there are none)."""
    text = EXTENSIONS_PATH.read_text(encoding="utf-8")
    has_definitions = any(
        line.strip() and not line.lstrip().startswith("#") for line in text.splitlines()
    )
    return text if has_definitions else ""


def served_schema(fta_quantity_type: str = "FREE_TO_ALLOCATE") -> GraphQLSchema:
    """The schema the twin serves, without resolvers: documented + extensions. The name of
    StockQuantityType's free-to-allocate member is UNCONFIRMED, so it is configurable."""
    sdl = documented_sdl()
    if fta_quantity_type != "FREE_TO_ALLOCATE":
        sdl = re.sub(r"^  FREE_TO_ALLOCATE$", f"  {fta_quantity_type}", sdl, flags=re.M)
    schema = build_schema(sdl)
    extensions = extensions_sdl()
    return extend_schema(schema, parse(extensions)) if extensions else schema


@cache
def executable_schema(fta_quantity_type: str = "FREE_TO_ALLOCATE") -> GraphQLSchema:
    return bind_resolvers(served_schema(fta_quantity_type))


def bind_resolvers(schema: GraphQLSchema) -> GraphQLSchema:
    """Attach the twin's resolvers to a schema built from the documented SDL (a test may
    pass a changed copy, to play a Centra whose schema moved). Every root field must have a
    resolver: a field added without one fails here, at build time, not on its first use."""
    for type_name in ("Query", "Mutation"):
        fields = schema.get_type(type_name).fields
        missing = sorted(set(fields) - set(ROOT_RESOLVERS[type_name]))
        if missing:
            raise LookupError(f"the twin has no resolver for {type_name}.{', '.join(missing)}")
        for name, resolver in ROOT_RESOLVERS[type_name].items():
            fields[name].resolve = with_permission(name, resolver, PERMISSIONS.get(name))
    for (type_name, field_name), resolver in FIELD_RESOLVERS.items():
        schema.get_type(type_name).fields[field_name].resolve = resolver
    for (type_name, field_name), permission in FIELD_PERMISSIONS.items():
        field = schema.get_type(type_name).fields[field_name]
        field.resolve = with_permission(field_name, default_resolver, permission)
    for named in schema.type_map.values():
        if isinstance(named, GraphQLInterfaceType | GraphQLUnionType):
            named.resolve_type = abstract_type
        if isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
            for field in named.fields.values():
                if "format" in field.args and field.resolve is None:
                    field.resolve = resolve_date
    scalar = schema.get_type("DateTimeTz")
    scalar.serialize = serialize_datetime
    scalar.parse_value = parse_datetime
    scalar.parse_literal = parse_datetime_literal
    return schema

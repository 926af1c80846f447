"""The twin's executable schema: Centra's SDL (``schema.graphql``) bound to ``CentraState``.

Root fields page like Centra's list queries (``limit``/``page``, page 1-based, a short or
empty page is the end, a page past the end is empty) and check the token's permissions the
way Centra reports a missing one: a GraphQL error with ``extensions.category:
"authorization"`` and the field nulled (here: the whole ``data`` null, the fields being
non-null). Stock writes validate per item and report problems as ``userErrors`` with a
``path`` into the input, applying the valid items (Centra: "batch mutations skip bad
items"); the exact per-item behaviour of the real API is UNCONFIRMED.
"""

from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from graphql import GraphQLError, GraphQLSchema, StringValueNode, build_schema

from .state import CentraState

SDL_PATH = Path(__file__).with_name("schema.graphql")

# Permission each root field needs [AUTH]; rateLimits needs none.
PERMISSIONS = {
    "orders": "Order:read",
    "order": "Order:read",
    "counters": "Order:read",
    "products": "Product:read",
    "productVariants": "Product:read",
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


# -- scalar ---------------------------------------------------------------------------------
def parse_datetime(value) -> datetime:
    """Centra accepts ISO 8601 and "YYYY-MM-DD HH:MM:SS"; naive times are taken as UTC."""
    if not isinstance(value, str):
        raise GraphQLError(f"DateTimeTz cannot represent a non-string value: {value!r}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as error:
        raise GraphQLError(f"DateTimeTz cannot represent value: {value!r}") from error
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def serialize_datetime(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


def parse_datetime_literal(node, _variables=None) -> datetime:
    if not isinstance(node, StringValueNode):
        raise GraphQLError("DateTimeTz must be a string")
    return parse_datetime(node.value)


# -- paging, filtering, sorting -------------------------------------------------------------
def page_of(rows, info, limit, page):
    config = info.context["config"]
    limit = config.default_limit if limit is None else limit
    page = 1 if page is None else page
    if limit < 1 or limit > config.max_limit:
        raise GraphQLError(f"limit must be between 1 and {config.max_limit}")
    if page < 1:
        raise GraphQLError("page must be 1 or more")
    start = (page - 1) * limit
    return rows[start : start + limit]


def sorted_by(rows, sort, *, default: str):
    keys = list(sort or [default])
    for key in reversed(keys):
        field, _, direction = key.rpartition("_")
        rows = sorted(rows, key=lambda row, f=field: getattr(row, f), reverse=direction == "DESC")
    return rows


def in_range(value: datetime, window) -> bool:
    if not window:
        return True
    start, end = window.get("from"), window.get("to")
    return (start is None or value >= start) and (end is None or value <= end)


def order_matches(order, where) -> bool:
    if not where:
        return True
    return (
        ("id" not in where or order.id in where["id"])
        and ("number" not in where or order.number in where["number"])
        and ("status" not in where or order.status in where["status"])
        and ("storeType" not in where or order.store.type == where["storeType"])
        and in_range(order.createdAt, where.get("createdAt"))
        and in_range(order.orderDate, where.get("orderDate"))
    )


def product_matches(item, where) -> bool:
    if not where:
        return True
    number = where.get("productNumber") or {}
    return (
        ("id" not in where or item.id in where["id"])
        and ("status" not in where or item.status in where["status"])
        and ("equals" not in number or item.productNumber == number["equals"])
        and ("contains" not in number or number["contains"] in item.productNumber)
    )


# -- root resolvers -------------------------------------------------------------------------
def state_of(info) -> CentraState:
    return info.context["state"]


def resolve_orders(_root, info, where=None, sort=None, limit=None, page=None):
    rows = [o for o in state_of(info).orders.values() if order_matches(o, where)]
    return page_of(sorted_by(rows, sort, default="number_ASC"), info, limit, page)


def resolve_order(_root, info, id):
    return state_of(info).orders_by_id.get(id)


def resolve_products(_root, info, where=None, sort=None, limit=None, page=None):
    rows = [p for p in state_of(info).products.values() if product_matches(p, where)]
    return page_of(sorted_by(rows, sort, default="id_ASC"), info, limit, page)


def resolve_product_variants(_root, info, where=None, sort=None, limit=None, page=None):
    where = where or {}
    rows = [
        v
        for v in state_of(info).variants.values()
        if ("id" not in where or v.id in where["id"])
        and ("status" not in where or v.status in where["status"])
    ]
    return page_of(sorted_by(rows, sort, default="id_ASC"), info, limit, page)


def resolve_warehouses(_root, info, where=None, sort=None, limit=None, page=None):
    where = where or {}
    rows = [
        w for w in state_of(info).warehouses.values() if "id" not in where or w.id in where["id"]
    ]
    return page_of(sorted_by(rows, sort, default="id_ASC"), info, limit, page)


def resolve_returns(_root, info, where=None, limit=None, page=None):
    where = where or {}
    rows = [
        r
        for r in state_of(info).returns.values()
        if ("id" not in where or r.id in where["id"])
        and ("storeType" not in where or r.order.store.type == where["storeType"])
        and in_range(r.createdAt, where.get("createdAt"))
    ]
    return page_of(rows, info, limit, page)


class Counters:
    def __init__(self, state):
        self.state = state

    def orders(self, info, where=None):
        return sum(1 for o in self.state.orders.values() if order_matches(o, where))

    def products(self, info, where=None):
        return sum(1 for p in self.state.products.values() if product_matches(p, where))


def resolve_counters(_root, info):
    return Counters(state_of(info))


def resolve_events(_root, info, where=None, limit=None):
    where = where or {}
    config = info.context["config"]
    limit = config.default_limit if limit is None else limit
    if limit < 1 or limit > config.max_limit:
        raise GraphQLError(f"limit must be between 1 and {config.max_limit}")
    found = []
    for event in state_of(info).events.values():  # oldest unconfirmed first [EVT]
        if (
            ("objectType" not in where or event.objectType in where["objectType"])
            and ("changeType" not in where or event.changeType in where["changeType"])
            and ("storeId" not in where or getattr(event.store, "id", None) == where["storeId"])
            and ("marketId" not in where or getattr(event.market, "id", None) == where["marketId"])
        ):
            found.append(event)
            if len(found) == limit:
                break
    return found


def resolve_event_listeners(_root, info):
    return list(state_of(info).listeners.values())


def resolve_rate_limits(_root, info):
    return info.context["rate_limits"]()


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
        row.physicalQuantity = physical
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
    if errors:
        return {"stockChange": None, "userErrors": errors, "userWarnings": []}
    applied = 0
    for i, item in enumerate(input["productVariants"]):
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
    state = state_of(info)
    for item in input:
        state.listen(item["objectType"], item.get("changeTypes"))
    return {"eventListeners": list(state.listeners.values()), "userErrors": [], "userWarnings": []}


def resolve_unset_event_listeners(_root, info, input):
    state = state_of(info)
    for item in input:
        state.unlisten(item["objectType"], item.get("changeTypes"))
    return {"eventListeners": list(state.listeners.values()), "userErrors": [], "userWarnings": []}


def resolve_confirm_events(_root, info, input):
    state = state_of(info)
    warnings = []
    for i, event_id in enumerate(input["eventsIds"]):
        if state.events.pop(event_id, None) is None:
            warnings.append(user_error(f"Event {event_id} not found", "input", "eventsIds", i))
    return {"userErrors": [], "userWarnings": warnings}


ROOT_RESOLVERS = {
    "Query": {
        "orders": resolve_orders,
        "order": resolve_order,
        "products": resolve_products,
        "productVariants": resolve_product_variants,
        "warehouses": resolve_warehouses,
        "returns": resolve_returns,
        "counters": resolve_counters,
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


def with_permission(name: str, resolver):
    permission = PERMISSIONS.get(name)
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


@cache
def executable_schema(fta_quantity_type: str = "FREE_TO_ALLOCATE") -> GraphQLSchema:
    """Build once per spelling of the FTA enum member (UNCONFIRMED, so configurable)."""
    sdl = SDL_PATH.read_text()
    if fta_quantity_type != "FREE_TO_ALLOCATE":
        sdl = sdl.replace("  FREE_TO_ALLOCATE\n", f"  {fta_quantity_type}\n")
    schema = build_schema(sdl)
    for type_name, resolvers in ROOT_RESOLVERS.items():
        fields = schema.get_type(type_name).fields
        for name, resolver in resolvers.items():
            fields[name].resolve = with_permission(name, resolver)
    for name in ("Order", "Return", "EventObject"):
        schema.get_type(name).resolve_type = abstract_type
    scalar = schema.get_type("DateTimeTz")
    scalar.serialize = serialize_datetime
    scalar.parse_value = parse_datetime
    scalar.parse_literal = parse_datetime_literal
    return schema

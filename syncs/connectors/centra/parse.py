"""Reading Centra's answers: payloads into typed rows, GraphQL errors into short texts.

Pure functions, no I/O: the client (``client.py``) sends the documents and hands what comes
back to these. They are module functions so that building a catalog's rows costs no method
lookups per row. A payload missing a field makes them raise one of ``PAYLOAD_ERRORS``,
which the client turns into a ``BadPayloadError``.
"""

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from syncs.connectors.base import ConnectorError

from .types import (
    Event,
    Order,
    OrderFinance,
    OrderLine,
    RateLimit,
    Return,
    ReturnLine,
    SizeRow,
    StockDelta,
    StockItemResult,
    StockRow,
    StockWriteResult,
    UserMessage,
)

INTERVALS = {"TEN_SECONDS": 10, "ONE_HOUR": 3600}
# Anything going wrong while reading a payload means Centra sent something we do not
# understand; these are the exceptions such reading raises.
PAYLOAD_ERRORS = (KeyError, TypeError, ValueError, AttributeError, IndexError, InvalidOperation)


def iso(value: datetime) -> str:
    """A ``DateTimeTz`` argument in whole seconds (the docs' examples never show fractions,
    and whether Centra accepts them is unverified), UTC, with its offset."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="seconds")


def parse_time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def money(value) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise TypeError(f"not a money value: {value!r}")
    return Decimal(str(value))


def build_orders(items) -> list[Order]:
    orders = []
    for o in items:
        lines = []
        for ln in o["lines"]:
            size = ln["productSize"] or {}
            lines.append(
                OrderLine(
                    int(ln["id"]),
                    int(size["id"]) if size.get("id") is not None else None,
                    size.get("SKU") or "",
                    size.get("EAN") or "",
                    ln["productName"] or "",
                    int(ln["quantity"]),
                    int(ln["cancelledQuantity"]),
                    int(ln["returnedQuantity"]),
                    money(ln["unitPrice"]["value"]),
                )
            )
        total = o["grandTotal"]
        orders.append(
            Order(
                str(o["id"]),
                int(o["number"]),
                o["status"],
                o["store"]["type"],
                parse_time(o["orderDate"]),
                parse_time(o["createdAt"]),
                total["currency"]["code"],
                money(total["value"]),
                tuple(lines),
            )
        )
    return orders


def build_sizes(items) -> list[SizeRow]:
    """One row per size. SKU, EAN, size number and the variant's and size's names are
    nullable in Centra's schema: a missing one becomes "" (a size without a SKU is the
    catalog's to report, not a reason to fail the read)."""
    rows = []
    append = rows.append
    for p in items:
        pid, pnum, pname, pstatus = int(p["id"]), p["productNumber"], p["name"], p["status"]
        for v in p["variants"]:
            vid, vnum, vname = int(v["id"]), v["variantNumber"] or "", v["name"] or ""
            for s in v["productSizes"]:
                append(
                    SizeRow(
                        pid,
                        pnum,
                        pname or "",
                        pstatus,
                        vid,
                        vnum,
                        vname,
                        int(s["id"]),
                        s["sizeNumber"] or "",
                        (s["size"] or {}).get("name") or "",
                        s["SKU"] or "",
                        s["EAN"] or "",
                    )
                )
    return rows


def build_stock(stock, fta_only: bool) -> list[StockRow]:
    rows = []
    for s in stock:
        size, warehouse = s["productSize"], s["warehouse"]
        rows.append(
            StockRow(
                int(size["id"]),
                size["SKU"] or "",
                int(warehouse["id"]),
                warehouse["name"],
                int(s["freeToAllocateQuantity"]),
                None if fta_only else int(s["physicalQuantity"]),
                None if fta_only else int(s["allocatedQuantity"]),
            )
        )
    return rows


def build_returns(items) -> list[Return]:
    returns = []
    for r in items:
        lines = tuple(
            ReturnLine(
                int(ln["id"]),
                int(ln["quantity"]),
                int(ln["shipmentLine"]["id"]),
                int(ln["orderLine"]["id"]),
                (ln["orderLine"].get("productSize") or {}).get("SKU") or "",
                optional_money(ln.get("lineValue")),
            )
            for ln in r["lines"]
        )
        total = r.get("grandTotal") or {}
        returns.append(
            Return(
                int(r["id"]),
                r["returnStatus"],
                parse_time(r["createdAt"]),
                str(r["order"]["id"]),
                int(r["order"]["number"]),
                int(r["shipment"]["id"]),
                lines,
                bool(r.get("returnedToStock")),
                r.get("comment") or "",
                optional_money(total),
                ((total.get("currency") or {}).get("code") or "")[:8],
                optional_rate(r.get("currencyBaseRate")),
            )
        )
    return returns


def optional_money(value: dict | None) -> Decimal | None:
    """A ``MonetaryValue``'s amount, or None when Centra sent none (a finance field must
    not sink the read it rides on)."""
    if not isinstance(value, dict) or value.get("value") is None:
        return None
    try:
        return money(value["value"])
    except (TypeError, ArithmeticError):
        return None


def optional_rate(value) -> Decimal | None:
    """A ``currencyBaseRate``; None when absent or not a positive number."""
    if value is None or isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        rate = Decimal(str(value))
    except ArithmeticError:
        return None
    return rate if rate.is_finite() and rate > 0 else None


def build_order_finance(items) -> list[OrderFinance]:
    """``ORDER_FINANCE`` rows; a row without a number is skipped (it names no order)."""
    rows = []
    for o in items:
        if not isinstance(o, dict) or o.get("number") is None:
            continue
        store = o.get("store") or {}
        store_id = store.get("id")
        rows.append(
            OrderFinance(
                int(o["number"]),
                optional_rate(o.get("currencyBaseRate")),
                int(store_id) if isinstance(store_id, int) and store_id > 0 else None,
                str(store.get("name") or "")[:100],
            )
        )
    return rows


def build_event(e) -> Event:
    obj = e["object"]
    object_id = number = None
    if obj:
        object_id = obj.get("orderId", obj.get("objectId"))
        number = obj.get("number")
    return Event(
        int(e["id"]),
        e["objectType"],
        e["changeType"],
        str(e["objectReference"]),
        parse_time(e["createdAt"]),
        obj["__typename"] if obj else None,
        str(object_id) if object_id is not None else None,
        int(number) if number is not None else None,
    )


def build_rate_limits(items) -> list[RateLimit]:
    """Centra's buckets. A row with an interval we do not know (the enum could grow) is
    left out rather than failing the stock cycle that paces on it."""
    return [
        RateLimit(
            r["type"],
            INTERVALS[r["intervalSeconds"]],
            int(r["quota"]),
            int(r["usedQuota"]),
            int(r["remainingQuota"]),
        )
        for r in items
        if r["intervalSeconds"] in INTERVALS
    ]


def error_details(errors) -> list[dict]:
    """Message, path and category of each GraphQL error: enough for a ticket, no more."""
    details = []
    for e in errors if isinstance(errors, list) else ():
        if isinstance(e, dict):
            extensions = e.get("extensions") if isinstance(e.get("extensions"), dict) else {}
            details.append(
                {
                    "message": str(e.get("message", "")),
                    "path": e.get("path"),
                    "category": extensions.get("category"),
                }
            )
    return details


def refuses_field(error: ConnectorError, name: str) -> bool:
    """Whether an authorization error is about field ``name`` alone (its path ends there)."""
    details = error.details if isinstance(error.details, list) else []
    paths = [d.get("path") for d in details if isinstance(d, dict)]
    return bool(paths) and all(isinstance(p, list) and p and p[-1] == name for p in paths)


def error_text(payload) -> str:
    """The first few GraphQL error messages, joined; "" when the body has none."""
    if not isinstance(payload, dict):
        return ""
    return "; ".join(d["message"] for d in error_details(payload.get("errors"))[:3])


def messages(payload: dict, key: str) -> tuple[UserMessage, ...]:
    return tuple(
        UserMessage(str(m["message"]), tuple(str(p) for p in (m.get("path") or ())))
        for m in (payload.get(key) or ())
    )


def change_stock_variants(deltas: Sequence[StockDelta]) -> tuple[dict[tuple, StockDelta], list]:
    """One ``changeStock``'s ``productVariants`` input for deltas of one sign, and the index
    from ``(variant position, size position)`` to the delta, which ``per_item`` reads the
    userErrors' paths with."""
    by_variant: dict[int, list[StockDelta]] = defaultdict(list)
    for delta in deltas:
        by_variant[delta.product_variant_id].append(delta)
    index = {}
    variants_input = []
    for i, (variant_id, variant_deltas) in enumerate(by_variant.items()):
        changes = []
        for j, delta in enumerate(variant_deltas):
            index[(i, j)] = delta
            changes.append(
                {"size": {"name": delta.size_name}, "deliveredQuantity": abs(delta.delta)}
            )
        variants_input.append({"productVariant": {"id": variant_id}, "sizeChanges": changes})
    return index, variants_input


def per_item(
    payload: dict, ids: tuple[int, ...], index: dict[tuple, object], list_name: str, items: Sequence
) -> StockWriteResult:
    """Hand each userError/userWarning to the input item its ``path`` points at
    (``["input", list_name, i, ...]`` and, for changeStock, ``..., "sizeChanges", j``); a
    message that names a variant but no size goes to every item of that variant, one that
    names nothing goes to the whole write."""
    found: dict[int, tuple[list, list]] = {id(item): ([], []) for item in items}
    general: tuple[list, list] = ([], [])
    for slot, key in ((0, "userErrors"), (1, "userWarnings")):
        for message in messages(payload, key):
            targets = match_path(message.path, index, list_name)
            for item in targets:
                found[id(item)][slot].append(message)
            if not targets:
                general[slot].append(message)
    return StockWriteResult(
        ids,
        tuple(
            StockItemResult(item, tuple(found[id(item)][0]), tuple(found[id(item)][1]))
            for item in items
        ),
        tuple(general[0]),
        tuple(general[1]),
    )


def match_path(path: tuple[str, ...], index: dict[tuple, object], list_name: str) -> list:
    if list_name not in path:
        return []
    numbers = []
    for part in path[path.index(list_name) + 1 :]:
        if part.isdigit():
            numbers.append(int(part))
    if not numbers:
        return []
    key = tuple(numbers[:2]) if len(next(iter(index), ())) == 2 else (numbers[0],)
    if key in index:
        return [index[key]]
    return [item for k, item in index.items() if k[0] == numbers[0]]

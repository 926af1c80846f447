"""The order ledger's writes: store Centra orders idempotently, derive their feed rows, park
and re-drive lines whose SKU is not mapped.

Idempotency: orders are keyed by Centra's order id, lines by Centra's line id, feed rows by
(source, line id). Storing the same order twice changes nothing, not even a timestamp: a
timestamp moves only when a value IP would see changes, because "has IP taken it?" is
answered by comparing ``SalesFeedRow.changed_at`` with the feed receipts. What a row holds
is decided in ``plan.py``.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from centra_ip.lookups import any_of
from exceptions.services import Condition, tickets_raise_many
from syncs.catalog.selectors import SkuIndex
from syncs.connectors.centra.types import Order as CentraOrder
from syncs.models import Order, OrderLine, SalesFeedRow, SkuMapping
from syncs.orders.plan import (
    CANCELLED,
    FEED_FIELDS,
    LINE_FIELDS,
    ORDER_FIELDS,
    feed_row_values,
    line_values,
    order_problem,
    order_values,
)
from syncs.orders.tickets import SOURCE, parked_condition, parked_tickets_clear


@dataclass
class StoreCounts:
    orders_new: int = 0
    orders_changed: int = 0
    lines_new: int = 0
    lines_changed: int = 0
    lines_parked: int = 0
    cancellations: int = 0
    feed_rows_written: int = 0
    parked: list[Condition] = field(default_factory=list)
    rejected: list[tuple[CentraOrder, str]] = field(default_factory=list)  # not stored, why

    def add(self, other: "StoreCounts") -> None:
        for name in (
            "orders_new",
            "orders_changed",
            "lines_new",
            "lines_changed",
            "lines_parked",
            "cancellations",
            "feed_rows_written",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.rejected.extend(other.rejected)

    def as_dict(self) -> dict:
        return {
            "orders_new": self.orders_new,
            "orders_changed": self.orders_changed,
            "lines_new": self.lines_new,
            "lines_changed": self.lines_changed,
            "lines_parked": self.lines_parked,
            "cancellations": self.cancellations,
            "feed_rows_written": self.feed_rows_written,
        }


def orders_store(*, orders: list[CentraOrder], skus: SkuIndex) -> StoreCounts:
    """Store one batch of Centra orders in one transaction; all of it or none of it.

    Lines whose SKU is not mapped are parked (kept, not published) and raise a
    ``sku_missing_in_ip`` ticket per SKU, in the same transaction; the rest of the order
    is published as usual.
    """
    counts = StoreCounts()
    now = timezone.now()
    unique = {}
    for fetched in orders:  # a page boundary may repeat an order: keyed by id
        problem = order_problem(fetched)
        if problem:
            counts.rejected.append((fetched, problem))
        else:
            unique[fetched.id] = fetched
    with transaction.atomic():
        stored = {o.centra_id: o for o in Order.objects.filter(any_of("centra_id", unique))}
        to_create, to_update = [], []
        for centra_id, fetched in unique.items():
            values = order_values(fetched)
            order = stored.get(centra_id)
            if order is None:
                order = Order(
                    centra_id=centra_id,
                    number=fetched.number,
                    stored_at=now,
                    updated_at=now,
                    cancelled_at=now if fetched.status == CANCELLED else None,
                    **values,
                )
                to_create.append(order)
                continue
            if any(getattr(order, k) != v for k, v in values.items()):
                if fetched.status == CANCELLED and order.status != CANCELLED:
                    order.cancelled_at = now
                    counts.cancellations += 1
                for k, v in values.items():
                    setattr(order, k, v)
                order.updated_at = now
                to_update.append(order)
        _orders_insert(to_create)
        Order.objects.bulk_update(to_update, [*ORDER_FIELDS, "updated_at", "cancelled_at"])
        counts.orders_new, counts.orders_changed = len(to_create), len(to_update)
        by_id = {**stored, **{o.centra_id: o for o in to_create}}
        lines, created = _lines_store(unique, by_id, skus, now, counts)
        _feed_rows_write(lines, now, counts, created=created)
        if counts.parked:
            tickets_raise_many(counts.parked, source=SOURCE)
    return counts


def _lines_store(
    unique, by_id, skus: SkuIndex, now, counts: StoreCounts
) -> tuple[list[OrderLine], set[int]]:
    """Create or update every line of the batch; returns all lines with their order set,
    and the Centra ids of the lines it created."""
    line_ids = [line.id for o in unique.values() for line in o.lines]
    stored = {
        line.centra_line_id: line
        for line in OrderLine.objects.filter(any_of("centra_line_id", line_ids))
    }
    to_create, to_update, result = [], [], []
    for centra_id, fetched in unique.items():
        order = by_id[centra_id]
        for fetched_line in fetched.lines:
            values = line_values(fetched_line)
            line = stored.get(fetched_line.id)
            if line is None:
                line = OrderLine(
                    order=order, centra_line_id=fetched_line.id, changed_at=now, **values
                )
                if fetched_line.cancelled_quantity or fetched.status == CANCELLED:
                    line.cancellation_seen_at = now
                _line_map(line, skus, order, counts)
                to_create.append(line)
            else:
                line.order = order
                cancelled_more = values["cancelled_quantity"] > line.cancelled_quantity or (
                    fetched.status == CANCELLED and line.cancellation_seen_at is None
                )
                changed = any(getattr(line, k) != v for k, v in values.items())
                for k, v in values.items():
                    setattr(line, k, v)
                if cancelled_more:
                    line.cancellation_seen_at = now
                    counts.cancellations += fetched.status != CANCELLED
                if line.parked:
                    changed |= _line_map(line, skus, order, counts)
                if changed or cancelled_more:
                    line.changed_at = now
                    to_update.append(line)
            result.append(line)
    rows_insert(OrderLine, [vars(line) for line in to_create])
    OrderLine.objects.bulk_update(
        to_update,
        [*LINE_FIELDS, "ip_sku", "ip_variant_id", "parked", "changed_at", "cancellation_seen_at"],
        batch_size=1000,
    )
    counts.lines_new, counts.lines_changed = len(to_create), len(to_update)
    return result, {line.centra_line_id for line in to_create}


def _line_map(line: OrderLine, skus: SkuIndex, order: Order, counts: StoreCounts) -> bool:
    """Resolve the line's IP SKU; park it (with a ticket condition) when there is none.

    Returns True when a parked line got its mapping (it is published from now on).
    """
    mapped = skus.find(line.centra_size_id, line.centra_sku)
    if mapped is None:
        if not line.parked or line.pk is None:
            counts.parked.append(parked_condition(line, order))
        line.parked, line.ip_sku, line.ip_variant_id = True, "", ""
        counts.lines_parked += 1
        return False
    was_parked = line.parked
    line.parked, line.ip_sku, line.ip_variant_id = False, mapped.sku, mapped.ip_variant_id
    return was_parked


def _feed_rows_write(
    lines: list[OrderLine], now, counts: StoreCounts, *, created: frozenset | set = frozenset()
) -> None:
    """Upsert the feed row of every published line; ``changed_at`` moves only on change.

    Only lines stored before (not in ``created``) can have a feed row: a line's row is
    written here, after the line, and goes only with the line's order. So a backfill looks
    up nothing. Looking up the new lines' rows cost the most of the database's time in the
    backfill, growing with the ledger (docs/benchmarks.md, "The orders backfill")."""
    published = [line for line in lines if not line.parked]
    refs = [str(line.centra_line_id) for line in published if line.centra_line_id not in created]
    stored = {
        row.source_ref: row
        for row in SalesFeedRow.objects.filter(
            any_of("source_ref", refs), source=SalesFeedRow.Source.ORDER_LINE
        )
    }
    to_create, to_update = [], []
    for line in published:
        values = feed_row_values(line.order, line)
        row = stored.get(str(line.centra_line_id))
        if row is None:
            to_create.append(
                {
                    "source": SalesFeedRow.Source.ORDER_LINE,
                    "source_ref": str(line.centra_line_id),
                    "order_id": line.order.pk,
                    "changed_at": now,
                    **values,
                }
            )
        elif any(getattr(row, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(row, k, v)
            row.changed_at = now
            to_update.append(row)
    rows_insert(SalesFeedRow, to_create)
    SalesFeedRow.objects.bulk_update(
        to_update, [*FEED_FIELDS, "cancelled", "changed_at"], batch_size=1000
    )
    counts.feed_rows_written += len(to_create) + len(to_update)


def order_lines_redrive(*, mappings: Iterable[SkuMapping]) -> int:
    """Publish the lines parked on these new mappings; returns how many were published.

    A "mapping created" hook (``syncs/catalog/hooks.py``), called inside the transaction that
    creates the mappings, so a mapping and the publication of its parked lines commit
    together.
    """
    if not OrderLine.objects.filter(parked=True).exists():
        return 0  # the usual case, and a catalog run may bring 100,000s of new mappings
    skus = SkuIndex(mappings)
    if not skus.by_size and not skus.by_sku:
        return 0
    candidates = OrderLine.objects.select_related("order").filter(
        Q(centra_size_id__in=list(skus.by_size)) | Q(centra_sku__in=list(skus.by_sku)),
        parked=True,
    )
    now = timezone.now()
    counts = StoreCounts()
    redriven = []
    for line in candidates:
        if _line_map(line, skus, line.order, counts):
            line.changed_at = now
            redriven.append(line)
    OrderLine.objects.bulk_update(
        redriven, ["ip_sku", "ip_variant_id", "parked", "changed_at"], batch_size=1000
    )
    _feed_rows_write(redriven, now, counts)
    parked_tickets_clear({line.centra_sku for line in redriven})
    return len(redriven)


def _orders_insert(orders: list[Order]) -> None:
    """Insert new orders and give each its id (their lines and feed rows point to it): on
    PostgreSQL one ``COPY`` (``rows_insert``) and one read of the ids, in the batch's
    transaction; elsewhere ``bulk_create``, which reads them back itself."""
    if connection.vendor != "postgresql":
        Order.objects.bulk_create(orders, batch_size=1000)
        return
    rows_insert(Order, [vars(order) for order in orders])
    ids = dict(
        Order.objects.filter(any_of("centra_id", [o.centra_id for o in orders])).values_list(
            "centra_id", "pk"
        )
    )
    for order in orders:
        order.pk = ids[order.centra_id]
        order._state.adding, order._state.db = False, connection.alias


def rows_insert(model, rows: list[dict]) -> None:
    """Insert new rows given as values by field (``attname``; an unset field takes the
    model's default, as ``Model()`` would), ids not read back.

    On PostgreSQL through ``COPY``: ``bulk_create`` prepares every value in Python and
    quotes it into the statement (as ``UNNEST`` arrays, client-side), and builds a model
    instance per row; together most of the backfill's own time (docs/benchmarks.md).
    ``COPY`` formats the rows in psycopg's C code. The values are already of their
    column's Python type (ints, strings, Decimals, aware datetimes), and a duplicate key
    fails the batch's transaction as ``bulk_create`` would. Elsewhere (SQLite)
    ``bulk_create``.
    """
    if not rows:
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    if connection.vendor != "postgresql":
        names = [f.attname for f in fields]
        objects = [model(**{n: row[n] for n in names if n in row}) for row in rows]
        model.objects.bulk_create(objects, batch_size=1000)
        return
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    statement = f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(
                [row[f.attname] if f.attname in row else f.get_default() for f in fields]
            )

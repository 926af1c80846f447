"""The sales-order file Inventory Planner fetches (legacy CSV connector, reference §4.2).

The file is the full data set over the feed horizon (IP deletes rows missing from it),
streamed from ``SalesFeedRow`` in file order, a few thousand rows in memory at a time.
Columns: ``order_number, product_id, sku, date, price, quantity, currency, canceled``.

IP identifies a row by order number and SKU (and date, sale or return), so lines of one
order with the same SKU are merged into one row here: units summed, price averaged over
the units, cancelled only when every merged line is. Returned units (rows the returns flow
writes with a negative quantity) are a separate row of the same order and SKU.

Every GET leaves a ``FeedDelivery`` (``delivery_stream``, shared with the products file):
started before the first byte, ``complete`` only when the last row went out (``broken`` when
the client hung up), with the row counts. Its ``served_through`` watermark is what "has IP
taken this?" is measured against.
"""

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import UTC
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from syncs.models import FeedDelivery, SalesFeedRow
from syncs.orders.config import orders_config

COLUMNS = ("order_number", "product_id", "sku", "date", "price", "quantity", "currency", "canceled")
CHUNK = 2000
CENT = Decimal("0.01")


def feed_delivery_start(
    *, feed: str = FeedDelivery.Feed.SALES_ORDERS, remote_addr: str = "", user_agent: str = ""
) -> FeedDelivery:
    config = orders_config()
    now = timezone.now()
    return FeedDelivery.every_feed.create(
        feed=feed,
        started_at=now,
        served_through=now - config.feed_commit_margin,
        horizon_start=now - config.feed_horizon,
        remote_addr=remote_addr[:64],
        user_agent=user_agent[:200],
    )


def _row_text(values: tuple) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(values)
    return buffer.getvalue()


def _merged(group: list[SalesFeedRow]) -> tuple:
    """One file row from the rows sharing order number, SKU, date and sign."""
    live = [row for row in group if not row.cancelled]
    counted = live or group
    units = sum(row.quantity for row in counted)
    weight = sum(abs(row.quantity) for row in counted)
    price = (
        sum(row.price * abs(row.quantity) for row in counted) / weight if weight else group[0].price
    )
    first = group[0]
    return (
        first.order_number,
        first.product_id,
        first.sku,
        first.date.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
        str(Decimal(price).quantize(CENT, rounding=ROUND_HALF_UP)),
        units,
        first.currency,
        "false" if live else "true",
    )


def feed_rows(*, horizon_start) -> Iterator[tuple]:
    """The file's data rows, merged, in file order (date, order number, SKU)."""
    rows = (
        SalesFeedRow.objects.filter(date__gte=horizon_start)
        .order_by("date", "order_number", "sku", "pk")
        .only(*(f for f in COLUMNS if f != "canceled"), "cancelled")
        .iterator(chunk_size=CHUNK)
    )
    group: list[SalesFeedRow] = []
    key = None
    for row in rows:
        row_key = (row.date, row.order_number, row.sku)
        if row_key != key and group:
            yield from _flush(group)
            group = []
        key = row_key
        group.append(row)
    if group:
        yield from _flush(group)


def _flush(group: list[SalesFeedRow]) -> Iterator[tuple]:
    sales = [row for row in group if row.quantity >= 0]
    returns = [row for row in group if row.quantity < 0]
    if sales:
        yield _merged(sales)
    if returns:
        yield _merged(returns)


def delivery_stream(
    *, delivery: FeedDelivery, columns: tuple, rows: Iterable[tuple], tally=None
) -> Iterator[str]:
    """A feed file as text chunks (header, then rows 500 at a time); records the delivery's
    outcome when the stream ends: ``complete`` only when the last row went out.

    ``tally(values)`` returns ``(cancelled, returned)`` flags for a row, for the counts the
    sales receipt carries; files without them leave it out.
    """
    count = cancelled = returned = size = 0
    status = FeedDelivery.Status.BROKEN
    try:
        header = _row_text(columns)
        size += len(header.encode())
        yield header
        batch: list[str] = []
        for values in rows:
            count += 1
            if tally is not None:
                is_cancelled, is_return = tally(values)
                cancelled += is_cancelled
                returned += is_return
            batch.append(_row_text(values))
            if len(batch) == 500:
                text = "".join(batch)
                size += len(text.encode())
                yield text
                batch = []
        if batch:
            text = "".join(batch)
            size += len(text.encode())
            yield text
        status = FeedDelivery.Status.COMPLETE
    finally:
        FeedDelivery.every_feed.filter(pk=delivery.pk).update(
            status=status,
            finished_at=timezone.now(),
            rows=count,
            cancelled_rows=cancelled,
            return_rows=returned,
            bytes=size,
        )


def feed_csv(*, delivery: FeedDelivery) -> Iterator[str]:
    """The sales-order file as text chunks, with its receipt's cancelled and return counts."""
    return delivery_stream(
        delivery=delivery,
        columns=COLUMNS,
        rows=feed_rows(horizon_start=delivery.horizon_start),
        tally=lambda values: (values[-1] == "true", values[5] < 0),
    )

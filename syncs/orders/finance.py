"""The order ledger's finance fields: Centra's base-currency rate, store and market.

They are read apart from the orders themselves, after each batch is stored, for the
ledger's orders that do not have them yet (``Order.finance_read_at`` is empty):

- ``ORDER_FINANCE`` asks ``currencyBaseRate`` and ``store { id name }``. The documented
  schema has these on ``Order`` by inference only (names read from a stripped page), so
  they ride in their own document: if Centra refuses it, the orders stream, the feed and
  the stock flow go on, the orders keep waiting for their figures, and reconciliation
  converts them with the rates table instead;
- ``ORDER_MARKET`` asks, per market finance listed (``CentraMarket``), which of the orders
  are in it, with the verified filter ``OrderFilter.marketId``: the documented schema has no
  readable ``Order.market``. An order in no listed market has no market ("").

The shipping warehouse is not read: no documented field gives it (``Order.shipments`` and
the shipment's warehouse are not in the schema). A failed read is recorded on the run and
retried on the next one; the recovery pass re-reads its whole horizon, so existing rows are
filled by it.
"""

from dataclasses import dataclass

from django.db import connection
from django.utils import timezone

from centra_ip.lookups import any_of
from reconciliation.models import CentraMarket
from syncs.connectors.base import ConnectorError
from syncs.models import Order

BATCH = 100  # order numbers per call (Centra's page limit is 200)


@dataclass
class FinanceRead:
    orders: int = 0  # orders given their finance fields
    error: str = ""  # the first failed read, redacted by the client


def orders_finance_fill(*, centra, numbers: list[int]) -> FinanceRead:
    """Read and store the finance fields of these ledger orders that lack them.

    Stops at the first connector error (the rest wait for the next run); never raises one.
    """

    pending = sorted(
        Order.objects.filter(any_of("number", numbers), finance_read_at__isnull=True).values_list(
            "number", flat=True
        )
    )
    markets = list(CentraMarket.objects.values_list("centra_id", "name"))
    result = FinanceRead()
    for start in range(0, len(pending), BATCH):
        chunk = pending[start : start + BATCH]
        try:
            rows = centra.order_finance(chunk)
            market_of = {}
            for market_id, name in markets:
                for number in centra.order_numbers_in_market(chunk, market_id):
                    market_of.setdefault(number, name)
        except ConnectorError as error:
            result.error = f"{type(error).__name__}: {error}"[:300]
            return result
        result.orders += _finance_store(rows, market_of, wanted=set(chunk))
    return result


FINANCE_FIELDS = ("currency_base_rate", "centra_store_id", "store_name", "market")
# PostgreSQL types a VALUES list from its first row, which may hold NULLs: cast every column.
_PG_ROW = "(%s::bigint, %s::numeric, %s::integer, %s::varchar, %s::varchar)"


def _finance_store(rows, market_of: dict[int, str], *, wanted: set[int]) -> int:
    """Write the read fields; an order Centra did not answer for stays pending.

    One ``UPDATE ... FROM (VALUES ...)`` per batch: ``bulk_update`` builds a CASE per row
    and field, which cost more than storing the orders themselves (the backfill's profile,
    docs/benchmarks.md). Values go through each field's own preparation, as Django's would.
    """
    found = {row.number: row for row in rows if row.number in wanted}  # once per order
    if not found:
        return 0
    fields = [Order._meta.get_field(name) for name in FINANCE_FIELDS]
    read_at = Order._meta.get_field("finance_read_at").get_db_prep_save(timezone.now(), connection)
    params = []
    for row in found.values():
        values = (
            row.currency_base_rate,
            row.store_id,
            row.store_name,
            market_of.get(row.number, ""),
        )
        params.append(row.number)
        params += [f.get_db_prep_save(v, connection) for f, v in zip(fields, values, strict=True)]
    table = connection.ops.quote_name(Order._meta.db_table)
    row_sql = _PG_ROW if connection.vendor == "postgresql" else "(%s, %s, %s, %s, %s)"
    columns = ", ".join(f"{name} = v.{name}" for name in FINANCE_FIELDS)
    # Only names and placeholders are formatted in; every value is a parameter.
    # VALUES names its columns column1, column2, ... on both databases; a statement that
    # starts with WITH would leave SQLite's rowcount at -1, so the rows are a subquery.
    names = ", ".join(
        f"column{index} AS {name}" for index, name in enumerate(("number", *FINANCE_FIELDS), 1)
    )
    rows_sql = ", ".join([row_sql] * len(found))
    sql = f"UPDATE {table} SET {columns}, finance_read_at = %s "  # noqa: S608
    sql += f"FROM (SELECT {names} FROM (VALUES {rows_sql}) AS rows) AS v "  # noqa: S608
    sql += f"WHERE {table}.number = v.number"
    with connection.cursor() as cursor:
        cursor.execute(sql, [read_at, *params])
        return cursor.rowcount


def orders_finance_reset() -> int:
    """Mark every order's finance fields for a new read (after the market list changed):
    the next runs, at the latest the next recovery pass, read them again."""
    return Order.objects.filter(finance_read_at__isnull=False).update(finance_read_at=None)

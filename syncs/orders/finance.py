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

from django.utils import timezone

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
        Order.objects.filter(number__in=numbers, finance_read_at__isnull=True).values_list(
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


def _finance_store(rows, market_of: dict[int, str], *, wanted: set[int]) -> int:
    """Write the read fields; an order Centra did not answer for stays pending."""
    now = timezone.now()
    by_number = {row.number: row for row in rows if row.number in wanted}
    orders = list(Order.objects.filter(number__in=list(by_number)))
    for order in orders:
        row = by_number[order.number]
        order.currency_base_rate = row.currency_base_rate
        order.centra_store_id = row.store_id
        order.store_name = row.store_name
        order.market = market_of.get(order.number, "")
        order.finance_read_at = now
    Order.objects.bulk_update(
        orders,
        ["currency_base_rate", "centra_store_id", "store_name", "market", "finance_read_at"],
        batch_size=1000,
    )
    return len(orders)


def orders_finance_reset() -> int:
    """Mark every order's finance fields for a new read (after the market list changed):
    the next runs, at the latest the next recovery pass, read them again."""
    return Order.objects.filter(finance_read_at__isnull=False).update(finance_read_at=None)

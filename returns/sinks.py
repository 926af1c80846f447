"""Where a stock-in is registered: Inventory Planner's stock orders, or a WMS webhook.

Both sinks are keyed by the stock-in's idempotency key, so every step can be run again:

- IP: the key is the stock order's ``reference``; before creating, the order is looked up by
  reference (a POST is not idempotent, and a timed-out POST may have created it). Receiving
  writes the *cumulative* received quantity (``PATCH .../items``), so a second write of the
  same figure changes nothing.
- Webhook: a signed JSON POST carrying ``Idempotency-Key``; the WMS must treat a repeated key
  as the same stock-in. Its read-back is ``GET <url>/<key>``. The HTTP is the connector's
  (``syncs.connectors.wms``); here is only what the stock-in asks of it.

Confirmation reads back, never trusts the write's answer: "receipt" mode reads the stock
order line's received quantity (or the WMS's record); "on_hand" mode reads IP's ``in_stock``
for the warehouse and wants it at least ``quantity`` above the baseline taken before the
write.
"""

from dataclasses import dataclass

from syncs.clients import wms_client
from syncs.connectors.base import PermanentError
from syncs.connectors.inventory_planner.types import PurchaseOrderDraft, PurchaseOrderLine
from syncs.connectors.wms import StockInNotice


@dataclass(frozen=True)
class StockInOrder:
    """What a sink needs to know about one stock-in (plain values, no models)."""

    key: str
    sku: str
    variant_id: str
    warehouse: str
    quantity: int
    return_id: int
    order_number: str
    note: str = ""


# -- Inventory Planner ------------------------------------------------------------------------
def ip_stock_order_find_or_create(client, order: StockInOrder) -> str:
    """The id of the returns stock order named ``order.key``, created only if none exists.

    After creating it, the reference is looked up again: a create sent by a worker that
    died can land late, beside ours. The oldest live order named ``order.key`` is kept
    and any other is cancelled (none has received units: only the kept one is received
    on), so exactly one stock order counts the return. ``stock_in_run``'s claim makes
    such a late create rare: it is taken over only after the client's timeout.
    """
    named = _stock_orders_named(client, order.key)
    if named:
        return named[0]
    created = client.create_purchase_order(
        PurchaseOrderDraft(
            warehouse=order.warehouse,
            lines=(PurchaseOrderLine(order.variant_id, order.quantity),),
            reference=order.key,
            notes=f"Customer return {order.return_id} (order {order.order_number})",
        )
    )
    named = _stock_orders_named(client, order.key) or [created.id]
    for duplicate in named[1:]:
        client.update_purchase_order(duplicate, {"status": "cancelled"})
    return named[0]


def _stock_orders_named(client, key: str) -> list[str]:
    """Ids of the stock orders with this reference that are not cancelled, oldest first
    (IP's ids are ObjectIds: they grow with creation time)."""
    found = client.iter_purchase_orders(
        filters={"reference": key}, fields=["id", "reference", "status"]
    )
    return sorted(o.id for o in found if o.reference == key and o.status != "cancelled")


def ip_stock_order_receive(client, po_id: str, order: StockInOrder) -> None:
    client.receive_purchase_order_items(po_id, {order.variant_id: order.quantity})


def ip_receipt_confirmed(client, po_id: str, order: StockInOrder) -> bool:
    line = client.get_purchase_order(po_id).item(order.variant_id)
    return line is not None and (line.received or 0) >= order.quantity


def ip_on_hand(client, order: StockInOrder) -> int:
    variant = client.get_variant(order.variant_id, fields=["id", "warehouse.in_stock"])
    block = variant.warehouse(order.warehouse)
    if block is None or block.in_stock is None:
        raise PermanentError(
            f"IP sent no in_stock for {order.sku} in {order.warehouse}",
            system="inventory_planner",
            operation="GET /variants/{id}",
        )
    return int(block.in_stock)


# -- WMS webhook ------------------------------------------------------------------------------
class WmsWebhook:
    """The WMS sink as the stock-in runs it: the connector's client
    (``syncs.connectors.wms``), its calls recorded, and what counts as confirmed."""

    def __init__(self, url: str, secret: str, *, timeout: float):
        self._client = wms_client(url, secret, timeout=timeout)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._client.close()

    def post(self, order: StockInOrder) -> None:
        self._client.stock_in_post(
            StockInNotice(
                key=order.key,
                return_id=order.return_id,
                order_number=order.order_number,
                warehouse=order.warehouse,
                sku=order.sku,
                quantity=order.quantity,
            )
        )

    def confirmed(self, order: StockInOrder) -> bool:
        """The WMS holds the key as received, with at least the stock-in's quantity."""
        record = self._client.stock_in_read(order.key)
        return (
            record is not None
            and record.status == "received"
            and (record.quantity >= order.quantity)
        )

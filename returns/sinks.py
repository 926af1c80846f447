"""Where a stock-in is registered: Inventory Planner's stock orders, or a WMS webhook.

Both sinks are keyed by the stock-in's idempotency key, so every step can be run again:

- IP: the key is the stock order's ``reference``; before creating, the order is looked up by
  reference (a POST is not idempotent, and a timed-out POST may have created it). Receiving
  writes the *cumulative* received quantity (``PATCH .../items``), so a second write of the
  same figure changes nothing.
- Webhook: a signed JSON POST carrying ``Idempotency-Key``; the WMS must treat a repeated key
  as the same stock-in. Its read-back is ``GET <url>/<key>``.

Confirmation reads back, never trusts the write's answer: "receipt" mode reads the stock
order line's received quantity (or the WMS's record); "on_hand" mode reads IP's ``in_stock``
for the warehouse and wants it at least ``quantity`` above the baseline taken before the
write.
"""

import hashlib
import hmac
import json
import time
from dataclasses import dataclass

import httpx

from syncs.connectors.base import PermanentError, RetryableError
from syncs.connectors.http import http_client
from syncs.connectors.inventory_planner.types import PurchaseOrderDraft, PurchaseOrderLine

SYSTEM = "wms"
SIGNATURE_HEADER = "X-Centra-IP-Signature"
TIMESTAMP_HEADER = "X-Centra-IP-Timestamp"


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
    """The id of the returns stock order named ``order.key``, created only if none exists."""
    for found in client.iter_purchase_orders(
        filters={"reference": order.key}, fields=["id", "reference"]
    ):
        if found.reference == order.key:
            return found.id
    created = client.create_purchase_order(
        PurchaseOrderDraft(
            warehouse=order.warehouse,
            lines=(PurchaseOrderLine(order.variant_id, order.quantity),),
            reference=order.key,
            notes=f"Customer return {order.return_id} (order {order.order_number})",
        )
    )
    return created.id


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
def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex HMAC of "<timestamp>.<body>">``: the WMS recomputes it to trust the call."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


class WmsWebhook:
    """The WMS sink: one ``httpx.Client`` with explicit timeouts; errors as ConnectorErrors."""

    def __init__(self, url: str, secret: str, *, timeout: float):
        self._url = url.rstrip("/")
        self._secret = secret
        self._http = http_client(
            "wms_webhook",
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            headers={"Accept": "application/json"},
        )

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._http.close()

    def post(self, order: StockInOrder) -> None:
        body = json.dumps(
            {
                "event": "return.stock_in",
                "idempotency_key": order.key,
                "return_id": order.return_id,
                "order_number": order.order_number,
                "warehouse": order.warehouse,
                "lines": [{"sku": order.sku, "quantity": order.quantity}],
            },
            separators=(",", ":"),
        ).encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": order.key,
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: webhook_signature(self._secret, timestamp, body),
        }
        self._send("POST", self._url, "POST webhook", content=body, headers=headers)

    def confirmed(self, order: StockInOrder) -> bool:
        """Read back the WMS's record of the key: ``{"status": "received", "quantity": n}``."""
        response = self._send("GET", f"{self._url}/{order.key}", "GET webhook", allow=(404,))
        if response.status_code == 404:
            return False
        try:
            data = response.json()
        except ValueError:
            raise PermanentError(
                "the WMS answered with no JSON", system=SYSTEM, operation="GET webhook"
            ) from None
        quantity = data.get("quantity", 0) if isinstance(data, dict) else None
        if not isinstance(quantity, int) or isinstance(quantity, bool):
            raise PermanentError(
                "the WMS answered with an unexpected shape (an object with a whole quantity)",
                system=SYSTEM,
                operation="GET webhook",
            )
        return data.get("status") == "received" and quantity >= order.quantity

    def _send(self, method, url, operation, *, allow=(), **kwargs) -> httpx.Response:
        try:
            response = self._http.request(method, url, **kwargs)
        except httpx.TransportError as exc:
            raise RetryableError(
                f"{type(exc).__name__}", system=SYSTEM, operation=operation
            ) from None
        status = response.status_code
        if status in allow or 200 <= status < 300:
            return response
        cls = RetryableError if status == 429 or status >= 500 else PermanentError
        raise cls(f"HTTP {status}", system=SYSTEM, operation=operation, status_code=status)

"""The Inventory Planner REST client: variants, purchase orders and their receiving.

Facts and their evidence are in ``reference/inventory-planner-api.md``; the choices made
where the reference says UNCONFIRMED are listed in ``docs/connector-inventory-planner.md``.

Politeness is the client's job because IP publishes no rate limit: one request at a time
(a lock) and at least ``min_gap_seconds`` between the end of one request and the start of
the next, with long timeouts. Every logical call (one page, one PO read or write) reports
one ``CallRecord`` after its retries; records never carry the key, the account or a URL
with its query string. Building query strings and reading answers is ``parse.py``'s.
"""

import json
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import TypeVar

import httpx
import orjson

from syncs.connectors.base import (
    AuthError,
    BadPayloadError,
    Clock,
    ClosingClient,
    ConnectorError,
    PermanentError,
    RetryableError,
    RetryPolicy,
    ThrottledError,
    call_with_retries,
    parse_retry_after,
    transport_errors,
)
from syncs.connectors.http import http_client
from syncs.connectors.inventory_planner.parse import (
    check_meta,
    error_message,
    listed,
    path_segment,
    query_params,
    single,
    unix_date,
)
from syncs.connectors.inventory_planner.types import (
    PayloadShapeError,
    PurchaseOrder,
    PurchaseOrderDraft,
    PurchaseOrderItem,
    Variant,
    parse_purchase_order,
    parse_purchase_order_item,
    parse_variant,
)
from syncs.connectors.recording import AttemptTally, Recorder, call_record, discard

T = TypeVar("T")

SYSTEM = "inventory_planner"
MAX_PAGE_SIZE = 1000  # the documented maximum `limit` (two independent client authors)
DEFAULT_RETRY_AFTER = 30.0  # what a working client waits after a 429 without Retry-After


def _json_body(response: httpx.Response) -> object:
    """The answer's JSON, or None. ``orjson`` first: a stock cycle decodes 100 pages of
    1,000 variants, 0.6-0.7 s of CPU with the standard library, about 0.4 s with orjson.
    What ``orjson`` refuses and the standard library reads (UTF-16 or UTF-32, NaN,
    integers past 64 bits) is read as before."""
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError:
        pass
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None


class NotFoundError(PermanentError):
    """The entity does not exist (IP: ``Failed to find <entity> <id>``)."""


class InventoryPlannerClient(ClosingClient):
    """One client per IP account, wrapping one ``httpx.Client``; safe to share between threads.

    ``transport`` is where tests mount the sandbox twin (``httpx.MockTransport(twin.handle)``)
    or a hand-written fake. ``min_gap_seconds=0`` turns pacing off (benchmarks, the twin).
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        account: str,
        *,
        transport: httpx.BaseTransport | None = None,
        clock: Clock | None = None,
        recorder: Recorder = discard,
        retry: RetryPolicy | None = None,
        min_gap_seconds: float = 1.0,
        timeout: float = 60.0,
        page_size: int = MAX_PAGE_SIZE,
    ):
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be between 1 and {MAX_PAGE_SIZE}")
        # Masked in error messages; too short a value would mangle ordinary words instead.
        self._secrets = [s for s in (api_key, account) if len(s) >= 4]
        self._http = http_client(
            "inventory_planner",
            base_url=base_url.rstrip("/") + "/",
            transport=transport,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 15.0)),
            headers={
                "Authorization": api_key,  # the bare key: IP takes no "Bearer" prefix
                "Account": account,
                "Accept": "application/json",
            },
        )
        self._clock = clock or Clock()
        self._recorder = recorder
        self._retry = retry or RetryPolicy()
        self._min_gap = min_gap_seconds
        self._page_size = page_size
        self._lock = threading.Lock()
        self._last_finished: float | None = None

    # -- variants ------------------------------------------------------------------------
    def iter_variants(
        self,
        *,
        fields: Sequence[str] | None = None,
        filters: Mapping[str, object] | None = None,
        sort: Mapping[str, str] | None = None,
    ) -> Iterator[Variant]:
        """Stream every matching variant, one page in memory at a time.

        ``fields`` narrows the payload (dot paths such as ``warehouse.in_stock`` reach into
        the per-warehouse blocks); ``filters`` are IP query filters (``{"sku": "A-1"}``,
        ``{"replenishment_gt": 0}``, ``{"sku_eqi": "a-1"}``); ``sort`` maps a field to
        ``asc``/``desc`` (sent as ``<field>_sort``).
        """
        return self._iter_pages(
            "variants", parse_variant, query_params(fields, filters, sort, nested=("warehouse",))
        )

    def get_variant(self, variant_id: str, *, fields: Sequence[str] | None = None) -> Variant:
        return self._call(
            "GET",
            f"variants/{path_segment(variant_id)}",
            "GET /variants/{id}",
            single("variant", parse_variant),
            params=query_params(fields, None, None, nested=("warehouse",)),
        )

    # -- purchase orders -----------------------------------------------------------------
    def iter_purchase_orders(
        self,
        *,
        fields: Sequence[str] | None = None,
        filters: Mapping[str, object] | None = None,
        sort: Mapping[str, str] | None = None,
    ) -> Iterator[PurchaseOrder]:
        """Stream stock orders, e.g. ``filters={"reference": "RET-1"}`` to find one again."""
        return self._iter_pages(
            "purchase-orders", parse_purchase_order, query_params(fields, filters, sort, nested=())
        )

    def get_purchase_order(self, po_id: str) -> PurchaseOrder:
        return self._call(
            "GET",
            f"purchase-orders/{path_segment(po_id)}",
            "GET /purchase-orders/{id}",
            single("purchase-order", parse_purchase_order),
        )

    def create_purchase_order(self, draft: PurchaseOrderDraft) -> PurchaseOrder:
        """Create a stock order with explicit lines.

        A POST is not idempotent, so it is retried only when the server certainly did not
        act on it (429, or the connection was never made); after a read timeout or a 5xx
        the caller gets a ``RetryableError`` and should look the order up by ``reference``
        before trying again.
        """
        order: dict[str, object] = {
            "status": draft.status.upper(),  # the docs' example writes upper case
            "type": draft.type,
            "warehouse": draft.warehouse,
            "items": [
                {"id": line.variant_id, "replenishment": line.quantity}
                | ({"cost_price": line.cost_price} if line.cost_price is not None else {})
                for line in draft.lines
            ],
        }
        optional = {
            "reference": draft.reference,
            "vendor": draft.vendor,
            "source_warehouse": draft.source_warehouse,
            "currency": draft.currency,
            "notes": draft.notes,
        }
        order.update({key: value for key, value in optional.items() if value is not None})
        if draft.expected_date is not None:
            order["expected_date"] = unix_date(draft.expected_date)
        return self._call(
            "POST",
            "purchase-orders",
            "POST /purchase-orders",
            single("purchase-order", parse_purchase_order),
            json={"purchase-order": order},
            idempotent=False,
        )

    def update_purchase_order(self, po_id: str, changes: Mapping[str, object]) -> PurchaseOrder:
        """Change header fields, e.g. ``{"status": "closed"}``; statuses are sent upper case."""
        order = dict(changes)
        if isinstance(order.get("status"), str):
            order["status"] = order["status"].upper()
        if isinstance(order.get("expected_date"), date):
            order["expected_date"] = unix_date(order["expected_date"])
        return self._call(
            "PUT",
            f"purchase-orders/{path_segment(po_id)}",
            "PUT /purchase-orders/{id}",
            single("purchase-order", parse_purchase_order),
            json={"purchase-order": order},
        )

    def receive_purchase_order_items(
        self, po_id: str, received: Mapping[str, int | float]
    ) -> tuple[PurchaseOrderItem, ...]:
        """Record received quantities: ``{variant_id: cumulative received units}``.

        The quantity is the running total received on the line, not a delta (the reference's
        best evidence; UNCONFIRMED). That also makes a retry after a timeout harmless.
        """
        if not received:
            raise ValueError("nothing to receive")

        def read(body: dict) -> tuple[PurchaseOrderItem, ...]:
            items = tuple(map(parse_purchase_order_item, listed(body, "items")))
            missing = set(received) - {item.id for item in items}
            if missing:  # a cut answer must not pass for a confirmed receipt
                raise PayloadShapeError(f"items missing from the answer: {sorted(missing)}")
            return items

        return self._call(
            "PATCH",
            f"purchase-orders/{path_segment(po_id)}/items",
            "PATCH /purchase-orders/{id}/items",
            read,
            json={"items": [{"id": item, "received": qty} for item, qty in received.items()]},
        )

    # -- paging --------------------------------------------------------------------------
    def _iter_pages(
        self, resource: str, parse: Callable[[object], object], params: dict[str, str]
    ) -> Iterator:
        """Zero-based pages until a short or empty page; one page in memory at a time.

        ``meta.limit`` wins over the requested limit when the server caps it. ``meta``'s
        semantics are inferred, so a disagreement is logged, never fatal: a page whose
        ``meta.count`` differs from its rows is read as it is, and a short page before
        ``meta.total`` is reached does not end the walk: the next page is read, and only an
        empty page ends it. So a truncating server costs a request, never rows.
        """
        operation = f"GET /{resource}"
        page = 0
        while True:
            query = params | {"page": str(page), "limit": str(self._page_size)}

            def read_page(body, page=page):
                rows = listed(body, resource)
                meta = body.get("meta")
                limit, more = self._page_size, False
                if isinstance(meta, dict):
                    limit, more = check_meta(meta, len(rows), page, limit, resource)
                return [parse(row) for row in rows], limit, more

            results, limit, more = self._call("GET", resource, operation, read_page, params=query)
            yield from results
            if not results or (len(results) < limit and not more):
                return
            page += 1

    # -- one logical call ----------------------------------------------------------------
    def _call(
        self,
        method: str,
        path: str,
        operation: str,
        read: Callable[[dict], T],
        *,
        params: dict[str, str] | None = None,
        json: object = None,
        idempotent: bool = True,
    ) -> T:
        """Send with retries (``call_with_retries``, shared with the Centra client), ``read``
        the JSON object into typed results, record once.

        Reading happens inside the call so a bad payload is recorded as the call's outcome.
        A non-idempotent call is retried only when the server cannot have acted on it.
        """
        started_at = datetime.now(UTC)
        t0 = self._clock.monotonic()
        status = {"code": None}  # of the last attempt that got an answer

        def attempt() -> T:
            status["code"] = None
            response = self._send(method, path, params, json, operation)
            status["code"] = response.status_code
            body = self._decode(response, operation)
            try:
                return read(body)
            except PayloadShapeError as exc:
                raise BadPayloadError(
                    str(exc), system=SYSTEM, operation=operation, status_code=response.status_code
                ) from None

        tally = AttemptTally()
        try:
            result, retries = call_with_retries(
                attempt, policy=self._retry, clock=self._clock, idempotent=idempotent, tally=tally
            )
        except ConnectorError as exc:
            code = exc.status_code or status["code"]
            self._record(operation, started_at, t0, exc, code, exc.retries, tally)
            raise
        self._record(operation, started_at, t0, None, status["code"], retries, tally)
        return result

    def _send(self, method, path, params, json, operation) -> httpx.Response:
        """One HTTP attempt under the lock, after the polite gap."""
        with self._lock:
            if self._last_finished is not None and self._min_gap > 0:
                wait = self._last_finished + self._min_gap - self._clock.monotonic()
                if wait > 0:
                    self._clock.sleep(wait)
            try:
                with transport_errors(system=SYSTEM, operation=operation):
                    return self._http.request(method, path, params=params, json=json)
            finally:
                self._last_finished = self._clock.monotonic()

    def _decode(self, response: httpx.Response, operation: str) -> dict:
        """Map a response to its JSON object or to the right error class."""
        status = response.status_code
        body = _json_body(response)
        message = error_message(body)

        def error(cls, text, **extra):
            return cls(
                self._redact(text), system=SYSTEM, operation=operation, status_code=status, **extra
            )

        if status == 429:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            raise error(
                ThrottledError,
                message or "too many requests",
                retry_after=DEFAULT_RETRY_AFTER if retry_after is None else retry_after,
            )
        if status in (401, 403):
            raise error(AuthError, message or "not authorised (bad key, account or path)")
        if status >= 500:
            if status == 500 and message is not None:
                # IP reports validation failures as 500 with an error envelope.
                raise error(PermanentError, message)
            raise error(RetryableError, message or f"server error {status}")
        if message is not None:
            # The error envelope on any other status (404, 400, or even 200).
            cls = (
                NotFoundError
                if status == 404 or message.startswith("Failed to find")
                else (PermanentError)
            )
            raise error(cls, message)
        if status >= 400:
            raise error(PermanentError, f"HTTP {status}")
        if not isinstance(body, dict):
            raise error(BadPayloadError, "response is not a JSON object")
        return body

    def _record(self, operation, started_at, t0, exc, status_code, retries, tally) -> None:
        self._recorder(
            call_record(
                system=SYSTEM,
                operation=operation,
                started_at=started_at,
                duration_ms=int((self._clock.monotonic() - t0) * 1000),
                status_code=status_code,
                retries=retries,
                tally=tally,
                error=exc,
            )
        )

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

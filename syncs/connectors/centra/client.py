"""Client for Centra's GraphQL Integration API (``POST <base>/graphql``, bearer token).

One ``httpx.Client`` with explicit timeouts. Every logical call (one GraphQL document, with
its retries) goes through ``CentraClient.execute``, which

1. waits for the pacer (client-side token buckets mirroring Centra's, so a burst of stock
   writes is spread out instead of running into 429s),
2. sends the document, classifies what comes back into the shared error classes
   (``syncs.connectors.base``): timeouts, connection errors, 429 and 5xx are retryable;
   401/403, GraphQL ``errors`` and unreadable payloads are permanent,
3. retries retryable errors with full-jitter backoff that never undercuts ``Retry-After``,
4. reports exactly one ``CallRecord`` (never the token) to the recorder.

Reads are generators that fetch one page at a time and build typed rows straight from the
JSON, so memory does not grow with the catalog. A payload that misses a field raises
``BadPayloadError``, never ``KeyError``.
"""

import json
import logging
import random
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

import httpx

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
)
from syncs.connectors.http import http_client
from syncs.connectors.recording import AttemptTally, CallRecord, Recorder, discard

from . import queries
from .pacing import CentraLimits, Pacer
from .types import (
    Event,
    EventListener,
    Order,
    OrderFinance,
    OrderLine,
    RateLimit,
    Return,
    ReturnLine,
    SizeRow,
    StockDelta,
    StockItemResult,
    StockLevel,
    StockRow,
    StockWriteResult,
    UserMessage,
    Warehouse,
)

logger = logging.getLogger(__name__)
SYSTEM = "centra"
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
INTERVALS = {"TEN_SECONDS": 10, "ONE_HOUR": 3600}
# Largest ``limit`` a list takes: "Limit must be in range 1 - 200" [GD query.html].
MAX_LIMIT = 200
# A 429 without a readable Retry-After waits out Centra's shortest bucket window [RL]:
# earlier requests would only re-trigger the limit.
DEFAULT_RETRY_AFTER = 10.0
# Anything going wrong while reading a payload means Centra sent something we do not
# understand; these are the exceptions such reading raises.
PAYLOAD_ERRORS = (KeyError, TypeError, ValueError, AttributeError, IndexError, InvalidOperation)


class CentraClient(ClosingClient):
    """Typed access to the parts of Centra the hub uses.

    Use one client per thread. Centra's buckets are per environment, so clients in one
    process that must share the quota share one ``pacer`` (it is thread-safe); otherwise
    each builds its own from ``limits``.
    """

    def __init__(
        self,
        url: str,
        token: str,
        *,
        transport: httpx.BaseTransport | None = None,
        clock: Clock | None = None,
        recorder: Recorder = discard,
        retry: RetryPolicy | None = None,
        limits: CentraLimits | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        fta_quantity_type: str = "FREE_TO_ALLOCATE",
        rng: random.Random | None = None,
        pacer: Pacer | None = None,
    ):
        self.url = url
        self.clock = clock or Clock()
        self.recorder = recorder
        self.retry = retry or RetryPolicy()
        self.pacer = pacer or Pacer(limits or CentraLimits(), self.clock)
        # UNCONFIRMED spelling of StockQuantityType's free-to-allocate member.
        self.fta_quantity_type = fta_quantity_type
        self._rng = rng or random.Random()
        self._complexity: dict[str, int] = {}  # last extensions.complexity per document
        # Masked wherever Centra's answers are read, so no message can carry it on.
        self._secrets = [token] if len(token) >= 4 else []
        self._http = http_client(
            "centra",
            transport=transport,
            timeout=timeout,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
        )

    # -- the one way out -------------------------------------------------------------------
    def execute(
        self,
        operation: str,
        query: str,
        variables: Mapping | None = None,
        *,
        mutation: bool = False,
        idempotent: bool = True,
        record_user_errors: str | None = None,
    ) -> dict:
        """Send one document (with retries) and return its ``data``; raise ConnectorError.

        ``idempotent=False`` (a relative ``changeStock``) is never sent again once it may
        have reached Centra (``call_with_retries``). ``record_user_errors`` names the
        mutation payload whose ``userErrors`` make the call record a ``permanent_error``
        (the result still carries them per item).
        """
        label = f"{'mutation' if mutation else 'query'} {operation}"
        started_at = datetime.now(UTC)
        t0 = self.clock.monotonic()
        tally = AttemptTally()
        try:
            data, retries = call_with_retries(
                lambda: self._attempt(label, query, variables, mutation),
                policy=self.retry,
                clock=self.clock,
                idempotent=idempotent,
                rng=self._rng,
                tally=tally,
            )
        except ConnectorError as error:
            self._record(
                label, started_at, t0, error.status_code, error.retries, error=error, tally=tally
            )
            raise
        self._record(
            label,
            started_at,
            t0,
            200,
            retries,
            user_errors=self._user_error_note(data, record_user_errors),
            tally=tally,
        )
        return data

    def _attempt(self, label: str, query: str, variables, mutation: bool) -> dict:
        estimate = self._complexity.get(query, 0)
        self.pacer.acquire(mutation=mutation, complexity=estimate)
        body = {"query": query, "variables": dict(variables or {})}
        try:
            response = self._http.post(self.url, json=body)
        except httpx.TimeoutException as error:
            raise RetryableError(
                f"timed out ({type(error).__name__})",
                system=SYSTEM,
                operation=label,
                may_have_acted=not isinstance(error, httpx.ConnectTimeout),
            ) from None
        except httpx.TransportError as error:
            raise RetryableError(
                f"connection failed ({type(error).__name__})",
                system=SYSTEM,
                operation=label,
                may_have_acted=not isinstance(error, httpx.ConnectError),
            ) from None
        status = response.status_code
        if status == 429:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            raise ThrottledError(
                "throttled by Centra",
                system=SYSTEM,
                operation=label,
                status_code=status,
                retry_after=DEFAULT_RETRY_AFTER if retry_after is None else retry_after,
            )
        if status >= 500:
            raise RetryableError(
                "Centra server error", system=SYSTEM, operation=label, status_code=status
            )
        try:
            payload = json.loads(self._redact(response.text))
        except ValueError:
            payload = None
        if status in (401, 403):
            raise AuthError(
                error_text(payload) or "not authorised",
                system=SYSTEM,
                operation=label,
                status_code=status,
            )
        if status != 200:
            raise PermanentError(
                error_text(payload) or "unexpected status",
                system=SYSTEM,
                operation=label,
                status_code=status,
            )
        if not isinstance(payload, dict):
            raise BadPayloadError(
                "answer is not a JSON object", system=SYSTEM, operation=label, status_code=status
            )
        self._settle_complexity(query, estimate, payload.get("extensions"))
        errors = payload.get("errors")
        if errors:
            categories = {d["category"] for d in error_details(errors)}
            kind = AuthError if categories & {"authorization", "authentication"} else PermanentError
            raise kind(
                error_text(payload) or "GraphQL error",
                system=SYSTEM,
                operation=label,
                status_code=status,
                details=error_details(errors),
            )
        data = payload.get("data")
        if not isinstance(data, dict):
            raise BadPayloadError(
                "answer has no data", system=SYSTEM, operation=label, status_code=status
            )
        return data

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def _settle_complexity(self, query: str, estimate: int, extensions) -> None:
        complexity = extensions.get("complexity") if isinstance(extensions, dict) else None
        if isinstance(complexity, int | float) and not isinstance(complexity, bool):
            self.pacer.settle_complexity(complexity - estimate)
            self._complexity[query] = int(complexity)

    def _record(
        self, label, started_at, t0, status_code, retries, *, error=None, user_errors="", tally
    ):
        if error is not None:
            outcome = "retryable_error" if error.retryable else "permanent_error"
            text = error.message
        else:
            outcome = "permanent_error" if user_errors else "ok"
            text = user_errors
        self.recorder(
            CallRecord(
                system=SYSTEM,
                operation=label,
                started_at=started_at,
                duration_ms=int((self.clock.monotonic() - t0) * 1000),
                outcome=outcome,
                status_code=status_code,
                retries=retries,
                error=text,
                **tally.fields,
            )
        )

    @staticmethod
    def _user_error_note(data: dict, payload_name: str | None) -> str:
        if payload_name is None:
            return ""
        payload = data.get(payload_name)
        errors = payload.get("userErrors") if isinstance(payload, dict) else None
        if not errors or not isinstance(errors, list):
            return ""
        first = errors[0].get("message", "") if isinstance(errors[0], dict) else ""
        return f"{len(errors)} userErrors: {first}"

    def _bad(self, operation: str, error: Exception) -> BadPayloadError:
        return BadPayloadError(
            f"unexpected payload ({type(error).__name__}: {error})",
            system=SYSTEM,
            operation=f"query {operation}",
        )

    def _pages(self, operation: str, query: str, variables: dict, page_size: int, build):
        """Yield typed rows page by page (page 1, 2, ...) until a short or empty page."""
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        page = 1
        while True:
            data = self.execute(operation, query, {**variables, "limit": page_size, "page": page})
            try:
                items = data[operation]
                if not isinstance(items, list):
                    raise TypeError(f"{operation} is not a list")
                rows = build(items)
            except PAYLOAD_ERRORS as error:
                raise self._bad(operation, error) from None
            yield from rows
            if len(items) < page_size:
                return
            page += 1

    # -- orders ---------------------------------------------------------------------------
    def iter_orders(
        self,
        *,
        date_from: datetime | None = None,
        date_to: datetime | None = None,
        updated_from: datetime | None = None,
        statuses: Sequence[str] | None = None,
        page_size: int = 100,
    ) -> Iterator[Order]:
        """Orders whose ``orderDate`` is within [date_from, date_to] and, with
        ``updated_from``, that changed at or after it (``OrderFilter.updatedAt``), oldest
        first, every line included (also fully cancelled ones, so cancellations are seen).

        The ``updatedAt`` filter is open-ended on purpose: an order changing while the pages
        are read stays in the result and keeps its place (the sort is by order date and
        number), so paging neither skips nor repeats it."""
        where: dict = {}
        window = {k: iso(v) for k, v in (("from", date_from), ("to", date_to)) if v}
        if window:
            where["orderDate"] = window
        if updated_from:
            where["updatedAt"] = {"from": iso(updated_from)}
        if statuses:
            where["status"] = list(statuses)
        return self._pages(
            "orders", queries.ORDERS, {"where": where or None}, page_size, build_orders
        )

    def order_finance(self, numbers: Sequence[int]) -> list[OrderFinance]:
        """Centra's base-currency rate and store of these orders (at most 200 numbers)."""
        numbers = list(numbers)
        data = self.execute(
            "orderFinance", queries.ORDER_FINANCE, {"numbers": numbers, "limit": len(numbers)}
        )
        try:
            return build_order_finance(data["orders"])
        except PAYLOAD_ERRORS as error:
            raise self._bad("orderFinance", error) from None

    def order_numbers_in_market(self, numbers: Sequence[int], market_id: int) -> set[int]:
        """Which of these orders (at most 200) belong to Centra market ``market_id``."""
        numbers = list(numbers)
        data = self.execute(
            "orderMarket",
            queries.ORDER_MARKET,
            {"numbers": numbers, "market": market_id, "limit": len(numbers)},
        )
        try:
            return {int(o["number"]) for o in data["orders"]}
        except PAYLOAD_ERRORS as error:
            raise self._bad("orderMarket", error) from None

    # -- catalog --------------------------------------------------------------------------
    def iter_sizes(
        self, *, statuses: Sequence[str] = ("ACTIVE", "INACTIVE"), page_size: int = 100
    ) -> Iterator[SizeRow]:
        """Every product size as one row with its product and variant (``page_size`` counts
        products, each of which may hold many sizes)."""
        return self._pages(
            "products", queries.PRODUCT_SIZES, {"status": list(statuses)}, page_size, build_sizes
        )

    def iter_warehouses(self, *, page_size: int = 100) -> Iterator[Warehouse]:
        return self._pages(
            "warehouses",
            queries.WAREHOUSES,
            {},
            page_size,
            lambda items: [Warehouse(int(w["id"]), w["name"]) for w in items],
        )

    def iter_stock(
        self,
        *,
        page_size: int = 20,
        stock_limit: int = 200,
        free_to_allocate_only: bool = False,
        variant_ids: Sequence[int] | None = None,
        warehouse_ids: Sequence[int] | None = None,
    ) -> Iterator[StockRow]:
        """Stock per size and warehouse, read variant by variant (``productVariants.stock``).

        ``free_to_allocate_only`` asks only for the quantity that costs no complexity.
        ``variant_ids`` reads only those variants (``productVariants(where: {id: [...]})``),
        ``warehouse_ids`` only those warehouses' rows (``stock(where: {warehouseId})``).
        ``stock`` pages like a root list (``stock_limit`` 1-200 rows a page): a variant
        whose first page comes back full is read on, page by page, never cut short.
        """
        if not 1 <= stock_limit <= MAX_LIMIT:
            raise ValueError(f"stock_limit must be between 1 and {MAX_LIMIT}")
        query = queries.STOCK_FTA if free_to_allocate_only else queries.STOCK_FULL
        where = None if variant_ids is None else {"id": sorted({int(i) for i in variant_ids})}
        if where is not None and not where["id"]:
            return iter(())
        stock_where = None
        if warehouse_ids is not None:
            stock_where = {"warehouseId": sorted({int(i) for i in warehouse_ids})}
            if not stock_where["warehouseId"]:
                return iter(())
        variables = {"where": where, "stockWhere": stock_where, "stockLimit": stock_limit}

        def build(items):
            rows = []
            for variant in items:
                stock = variant["stock"]
                rows += build_stock(stock, free_to_allocate_only)
                if len(stock) == stock_limit:
                    rows += self._variant_stock_rest(
                        query, int(variant["id"]), variables, free_to_allocate_only
                    )
            return rows

        return self._pages(
            "productVariants", query, {**variables, "stockPage": 1}, page_size, build
        )

    def _variant_stock_rest(
        self, query: str, variant_id: int, variables: dict, fta_only: bool
    ) -> list[StockRow]:
        """Pages 2, 3, ... of one variant's stock (its first page came back full)."""
        rows: list[StockRow] = []
        page = 2
        while True:
            data = self.execute(
                "productVariants",
                query,
                {
                    **variables,
                    "where": {"id": [variant_id]},
                    "limit": 1,
                    "page": 1,
                    "stockPage": page,
                },
            )
            try:
                variants = data["productVariants"]
                stock = variants[0]["stock"] if variants else []
                rows += build_stock(stock, fta_only)
            except PAYLOAD_ERRORS as error:
                raise self._bad("productVariants", error) from None
            if len(stock) < variables["stockLimit"]:
                return rows
            page += 1

    # -- returns ---------------------------------------------------------------------------
    def iter_returns(
        self,
        *,
        created_from: datetime | None = None,
        created_to: datetime | None = None,
        page_size: int = 100,
    ) -> Iterator[Return]:
        """Returns created within the window, by id (a stable order for paging).

        A token without ``Return.comment:read`` fails the read on its first return; the
        returns are then read without their comment (""), with a warning in the log, so the
        stream goes on (``manage.py check_apis`` names the missing permission)."""
        window = {k: iso(v) for k, v in (("from", created_from), ("to", created_to)) if v}
        variables = {"where": {"createdAt": window} if window else None}
        read = 0
        try:
            for row in self._pages("returns", queries.RETURNS, variables, page_size, build_returns):
                read += 1
                yield row
        except AuthError as error:
            if read or not refuses_field(error, "comment"):
                raise
            logger.warning("Centra: no Return.comment:read; reading returns without comments")
            yield from self._pages(
                "returns", queries.RETURNS_WITHOUT_COMMENT, variables, page_size, build_returns
            )

    # -- events queue ------------------------------------------------------------------------
    def set_event_listeners(
        self, listeners: Mapping[str, Sequence[str] | None]
    ) -> list[EventListener]:
        """Subscribe ``{objectType: [changeType, ...] or None for all}``; idempotent."""
        payload_input = [
            {"objectType": t, **({"changeTypes": list(c)} if c else {})}
            for t, c in listeners.items()
        ]
        data = self.execute(
            "setEventListeners",
            queries.SET_EVENT_LISTENERS,
            {"input": payload_input},
            mutation=True,
        )
        payload = self._payload(data, "setEventListeners")
        try:
            return [
                EventListener(x["objectType"], tuple(x["changeTypes"]))
                for x in payload["eventListeners"]
            ]
        except PAYLOAD_ERRORS as error:
            raise self._bad("setEventListeners", error) from None

    def events(
        self,
        *,
        object_types: Sequence[str] | None = None,
        change_types: Sequence[str] | None = None,
        limit: int = 100,
    ) -> list[Event]:
        """The oldest unconfirmed events. They come back on every call until confirmed."""
        where = {}
        if object_types:
            where["objectType"] = list(object_types)
        if change_types:
            where["changeType"] = list(change_types)
        data = self.execute("events", queries.EVENTS, {"where": where or None, "limit": limit})
        try:
            return [build_event(e) for e in data["events"]]
        except PAYLOAD_ERRORS as error:
            raise self._bad("events", error) from None

    def confirm_events(self, event_ids: Sequence[int]) -> tuple[UserMessage, ...]:
        """Confirm (drop from the queue); returns Centra's warnings (e.g. unknown ids)."""
        if not event_ids:
            return ()
        data = self.execute(
            "confirmEvents", queries.CONFIRM_EVENTS, {"ids": list(event_ids)}, mutation=True
        )
        payload = self._payload(data, "confirmEvents")
        return messages(payload, "userWarnings")

    def _payload(self, data: dict, name: str) -> dict:
        """A mutation payload; its userErrors (no per-item meaning here) are permanent."""
        payload = data.get(name)
        if not isinstance(payload, dict):
            raise BadPayloadError(
                f"{name} payload missing", system=SYSTEM, operation=f"mutation {name}"
            )
        try:
            errors = messages(payload, "userErrors")
        except PAYLOAD_ERRORS as error:
            raise self._bad(name, error) from None
        if errors:
            raise PermanentError(
                "; ".join(e.message for e in errors[:3]),
                system=SYSTEM,
                operation=f"mutation {name}",
                details=errors,
            )
        return payload

    # -- stock writes ----------------------------------------------------------------------
    def set_stock(
        self,
        warehouse_id: int,
        levels: Sequence[StockLevel],
        *,
        description: str,
        free_to_allocate: bool = False,
    ) -> StockWriteResult:
        """Absolute stock for many sizes in one ``setStock`` (one mutation token).

        PHYSICAL overwrites what is on the shelf: an order allocated in Centra between our
        read and this write is not lost (allocations stay) but its units are no longer
        subtracted from what we meant to be sellable. ``free_to_allocate=True`` writes the
        free-to-allocate quantity instead, which keeps such allocations on top.
        """
        quantity_type = self.fta_quantity_type if free_to_allocate else "PHYSICAL"
        variables = {
            "input": {
                "warehouse": {"id": warehouse_id},
                "description": description,
                "stockQuantityType": quantity_type,
                "productSizes": [
                    {"productSize": {"id": level.product_size_id}, "quantity": level.quantity}
                    for level in levels
                ],
            }
        }
        data = self.execute(
            "setStock", queries.SET_STOCK, variables, mutation=True, record_user_errors="setStock"
        )
        try:
            payload = data["setStock"]
            ids = tuple(int(change["id"]) for change in payload["stockChanges"])
            index = {(i,): level for i, level in enumerate(levels)}
            return per_item(payload, ids, index, "productSizes", levels)
        except PAYLOAD_ERRORS as error:
            raise self._bad("setStock", error) from None

    def change_stock(
        self, warehouse_id: int, deltas: Sequence[StockDelta], *, description: str
    ) -> StockWriteResult:
        """Relative stock: positive deltas go ``intoWarehouse``, negative ones come
        ``outFromWarehouse`` (at most the FTA there), one mutation for each sign present.

        The additions are sent first; if the removals then fail with an exception, the
        additions stand (Centra has no transaction across mutations) and the caller sees
        the exception, so a retry must send only the removals. A relative change is not
        idempotent: after a timeout or a 5xx it is not sent again (Centra may have applied
        it); the caller must read the stock back before deciding.
        """
        items: list[StockItemResult] = []
        ids: list[int] = []
        general_errors: list[UserMessage] = []
        general_warnings: list[UserMessage] = []
        for direction, sign in (("intoWarehouse", 1), ("outFromWarehouse", -1)):
            group = [d for d in deltas if d.delta * sign > 0]
            if not group:
                continue
            by_variant: dict[int, list[StockDelta]] = defaultdict(list)
            for delta in group:
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
                variants_input.append(
                    {"productVariant": {"id": variant_id}, "sizeChanges": changes}
                )
            variables = {
                "input": {
                    direction: {"id": warehouse_id},
                    "description": description,
                    "productVariants": variants_input,
                }
            }
            data = self.execute(
                "changeStock",
                queries.CHANGE_STOCK,
                variables,
                mutation=True,
                idempotent=False,  # relative: a blind re-send could add the units twice
                record_user_errors="changeStock",
            )
            try:
                payload = data["changeStock"]
                change = payload["stockChange"]
                result = per_item(
                    payload,
                    (int(change["id"]),) if change else (),
                    index,
                    "productVariants",
                    list(index.values()),
                )
            except PAYLOAD_ERRORS as error:
                raise self._bad("changeStock", error) from None
            ids += result.stock_change_ids
            items += result.items
            general_errors += result.errors
            general_warnings += result.warnings
        return StockWriteResult(
            tuple(ids), tuple(items), tuple(general_errors), tuple(general_warnings)
        )

    # -- rate limits -----------------------------------------------------------------------
    def rate_limits(self) -> list[RateLimit]:
        """Centra's buckets. A row with an interval this client does not know (the enum
        could grow) is left out rather than failing the stock cycle that paces on it."""
        data = self.execute("rateLimits", queries.RATE_LIMITS)
        try:
            return [
                RateLimit(
                    r["type"],
                    INTERVALS[r["intervalSeconds"]],
                    int(r["quota"]),
                    int(r["usedQuota"]),
                    int(r["remainingQuota"]),
                )
                for r in data["rateLimits"]
                if r["intervalSeconds"] in INTERVALS
            ]
        except PAYLOAD_ERRORS as error:
            raise self._bad("rateLimits", error) from None

    def sync_pacing(self) -> list[RateLimit]:
        """Size the pacer's buckets from Centra's own quotas (the environment's plan, not
        the Growth-plan defaults), then never plan on more than Centra says is left: other
        integrations on the environment draw on the same buckets."""
        limits = self.rate_limits()
        for limit in limits:
            self.pacer.resize(limit.type, limit.interval_seconds, limit.quota)
            self.pacer.observe_remaining(limit.type, limit.interval_seconds, limit.remaining_quota)
        return limits


# -- building typed rows (module functions: no per-row method lookups) ------------------------
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

"""Client for Centra's GraphQL Integration API (``POST <base>/graphql``, bearer token).

``CentraClient`` holds the operations the hub uses: reads of orders, the catalog, stock,
returns and the events queue, and the stock writes. Each one sends its document through
``CentraSession.execute`` (``session.py``: pacing, retries, error classes, one call record)
and reads the answer with ``parse.py``. The documents are in ``queries.py``.

Reads are generators that fetch one page at a time and build typed rows straight from the
JSON, so memory does not grow with the catalog. A payload that misses a field raises
``BadPayloadError``, never ``KeyError``.
"""

import logging
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime

from syncs.connectors.base import AuthError

from . import queries
from .parse import (
    PAYLOAD_ERRORS,
    build_event,
    build_order_finance,
    build_orders,
    build_rate_limits,
    build_returns,
    build_sizes,
    build_stock,
    change_stock_variants,
    iso,
    messages,
    per_item,
    refuses_field,
)
from .session import CentraSession
from .types import (
    Event,
    EventListener,
    Order,
    OrderFinance,
    RateLimit,
    Return,
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
# Largest ``limit`` a list takes: "Limit must be in range 1 - 200" [GD query.html].
MAX_LIMIT = 200


class CentraClient(CentraSession):
    """Typed access to the parts of Centra the hub uses.

    Use one client per thread. Centra's buckets are per environment, so clients in one
    process that must share the quota share one ``pacer`` (it is thread-safe); otherwise
    each builds its own from ``limits``.
    """

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

    def orders_by_number(self, numbers: Sequence[int]) -> list[Order]:
        """The current state of these orders (at most 200 numbers), every line included.

        The events queue names orders by number while ``iter_orders`` pages by date, so the
        orders an event names are read here, in one page."""
        numbers = list(numbers)
        if not numbers:
            return []
        if len(numbers) > MAX_LIMIT:
            raise ValueError(f"at most {MAX_LIMIT} order numbers a call")
        data = self.execute(
            "orders",
            queries.ORDERS,
            {"where": {"number": numbers}, "limit": len(numbers), "page": 1},
        )
        try:
            return build_orders(data["orders"])
        except PAYLOAD_ERRORS as error:
            raise self._bad("orders", error) from None

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
            index, variants_input = change_stock_variants(group)
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
            return build_rate_limits(data["rateLimits"])
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

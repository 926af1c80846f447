"""The Inventory Planner twin: IP's REST API as an httpx handler, plus its CSV connector.

Mount it in tests as ``httpx.MockTransport(twin.handle)`` under any base URL ending in
``/api/v1`` (like ``https://app.inventory-planner.com/api/v1``); the demo serves the same
``handle`` over a threaded HTTP server. A request goes: faults → route (unknown path: 403
as Cloudflare answers) → auth (``Authorization: <key>``, ``Account: <id>``) → the state,
under its lock → envelope → possible corruption by the fault plan.
"""

import json
import re
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import httpx

from syncs.sandbox.faults import FaultPlan, malformed_response
from syncs.sandbox.inventory_planner.entities import (
    ORDER_FILTER_FIELDS,
    VARIANT_FILTER_FIELDS,
    IPFailure,
    TwinSettings,
)
from syncs.sandbox.inventory_planner.feed import FeedFetch, parse_sales_csv
from syncs.sandbox.inventory_planner.query import (
    QueryError,
    field_tree,
    page_meta,
    parse_filters,
    project,
    select,
    sort_keys,
)
from syncs.sandbox.inventory_planner.state import IPState

API_PREFIX = "/api/v1/"
ROUTES = (
    ("GET", re.compile(r"variants"), "list_variants"),
    ("GET", re.compile(r"variants/([^/]+)"), "get_variant"),
    ("GET", re.compile(r"purchase-orders"), "list_orders"),
    ("POST", re.compile(r"purchase-orders"), "create_order"),
    ("GET", re.compile(r"purchase-orders/([^/]+)"), "get_order"),
    ("PUT", re.compile(r"purchase-orders/([^/]+)"), "update_order"),
    ("PATCH", re.compile(r"purchase-orders/([^/]+)"), "update_order"),
    ("GET", re.compile(r"purchase-orders/([^/]+)/items"), "get_items"),
    ("PATCH", re.compile(r"purchase-orders/([^/]+)/items"), "patch_items"),
    ("GET", re.compile(r"purchase-orders/([^/]+)/items/([^/]+)"), "get_item"),
)


@dataclass
class _Feed:
    url: str
    username: str
    password: str
    client: httpx.Client


class InventoryPlannerTwin(IPState):
    """IP's API over the in-memory state; the seeding API is inherited from ``IPState``."""

    def __init__(
        self,
        api_key: str = "sandbox-ip-key",
        account: str = "sandbox-account",
        *,
        faults: FaultPlan | None = None,
        settings: TwinSettings | None = None,
        now=None,
    ):
        super().__init__(settings=settings, now=now)
        self.api_key = api_key
        self.account = account
        self.faults = faults or FaultPlan()
        self._feed: _Feed | None = None
        # IP's CSV connection paused (the sandbox story): whoever schedules the fetches
        # (``manage.py sandbox``) skips them while this is set.
        self.sales_feed_paused = False
        # When set, creating a purchase order is refused (422) with this message, as IP
        # refuses an order it cannot accept (the sandbox story: returns cannot stock in).
        self.purchase_orders_refused = ""
        self._fetches: list[FeedFetch] = []

    # -- HTTP ----------------------------------------------------------------------------
    def handle(self, request: httpx.Request) -> httpx.Response:
        injected = self.faults.before(request)
        if injected is not None:
            return injected
        path = request.url.path
        at = path.find(API_PREFIX)
        route = self._route(request.method, path[at + len(API_PREFIX) :]) if at >= 0 else None
        if route is None:
            return httpx.Response(403, text="<html><body>403 Forbidden</body></html>")
        if (
            self.faults.expired_token
            or request.headers.get("Authorization") != self.api_key
            or request.headers.get("Account") != self.account
        ):
            return _error(self.settings.auth_error_status, "Invalid API key or account")
        name, args = route
        try:
            with self._lock:
                body, cut = getattr(self, f"_http_{name}")(request, *args)
                corruption = self.faults.corrupt()
                if corruption == "partial":
                    body = cut(body)
                payload = json.dumps(body, separators=(",", ":"))
        except IPFailure as failure:
            return _error(failure.status, failure.message)
        if corruption == "malformed":
            return malformed_response()
        return httpx.Response(
            200, content=payload.encode(), headers={"Content-Type": "application/json"}
        )

    def _route(self, method: str, rest: str):
        rest = rest.rstrip("/")
        for route_method, pattern, name in ROUTES:
            match = pattern.fullmatch(rest)
            if match and route_method == method:
                return name, match.groups()  # httpx has already percent-decoded the path
        return None

    def _list(self, request, name: str, records: list, known: frozenset) -> tuple:
        params = list(request.url.params.multi_items())
        query = dict(params)
        try:
            predicates = parse_filters(params, known, unknown=self.settings.unknown_filter)
        except QueryError as exc:
            raise IPFailure(self.settings.validation_status, str(exc)) from None
        rows = select(records, predicates, sort_keys(params))
        limit = _int(query.get("limit"), self.settings.default_limit)
        limit = min(max(limit, 1), self.settings.max_limit)
        page = max(_int(query.get("page"), 0), 0)
        chosen = rows[page * limit : (page + 1) * limit]
        tree = field_tree(query.get("fields"))
        if tree is not None:
            chosen = [project(row, tree) for row in chosen]
        meta = page_meta(name, total=len(rows), count=len(chosen), limit=limit, page=page)
        # A "partial" fault drops the second half of the rows but keeps the meta, as a
        # response cut short by a proxy would.
        return {"meta": meta, name: chosen}, lambda b: b | {name: b[name][: len(b[name]) // 2]}

    def _one(self, request, key: str, record: dict) -> tuple:
        tree = field_tree(request.url.params.get("fields"))
        return {key: project(record, tree) if tree else record}, lambda b: {key: {}}

    def _http_list_variants(self, request):
        return self._list(request, "variants", list(self._variants.values()), VARIANT_FILTER_FIELDS)

    def _http_get_variant(self, request, variant_id):
        record = self._variants.get(variant_id)
        if record is None:
            raise self._not_found(f"Failed to find variant {variant_id}")
        return self._one(request, "variant", record)

    def _http_list_orders(self, request):
        return self._list(
            request, "purchase-orders", list(self._orders.values()), ORDER_FILTER_FIELDS
        )

    def _http_create_order(self, request):
        if self.purchase_orders_refused:
            raise self._invalid(self.purchase_orders_refused)
        return self._one(request, "purchase-order", self.create_order(self._body(request)))

    def _http_get_order(self, request, po_id):
        return self._one(request, "purchase-order", self._order(po_id))

    def _http_update_order(self, request, po_id):
        return self._one(request, "purchase-order", self.update_order(po_id, self._body(request)))

    def _http_get_items(self, request, po_id):
        items = self._order(po_id)["items"]
        return {"items": items}, lambda b: {"items": b["items"][: len(b["items"]) // 2]}

    def _http_patch_items(self, request, po_id):
        items = self.update_items(po_id, self._body(request, "items", list))
        return {"items": items}, lambda b: {"items": b["items"][: len(b["items"]) // 2]}

    def _http_get_item(self, request, po_id, item_id):
        return self._one(request, "item", self._line(self._order(po_id), item_id))

    def _body(self, request, key: str = "purchase-order", kind: type = dict):
        """The write envelope (``{"purchase-order": {...}}``, ``{"items": [...]}``)."""
        try:
            body = json.loads(request.content or b"null")
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise self._invalid("Invalid JSON") from None
        value = body.get(key) if isinstance(body, dict) else None
        if not isinstance(value, kind):
            raise self._invalid(f"Missing {key}")
        return value

    # -- the legacy CSV connector --------------------------------------------------------
    def configure_sales_feed(
        self,
        url: str,
        *,
        username: str = "",
        password: str = "",
        transport: httpx.BaseTransport | None = None,
        client: httpx.Client | None = None,
    ) -> None:
        """Point the twin's CSV connection at the hub's sales-order file.

        ``transport`` (or a ready ``client``) is how it reaches the hub: in tests a
        ``MockTransport`` or Django's WSGI app, in the demo plain loopback HTTP.
        """
        with self._lock:
            self._feed = _Feed(
                url=url,
                username=username,
                password=password,
                client=client or httpx.Client(transport=transport, timeout=60.0),
            )

    def fetch_sales_feed(self) -> FeedFetch:
        """Fetch the file once and fold it into the sales history; returns the receipt.

        A failed fetch (network, non-200, a missing required column) folds nothing. Rows
        are identified by order number, SKU, date and sale-or-return: a row seen again
        replaces the earlier one, so refetching never double counts. With
        ``settings.feed_full_snapshot`` rows absent from the file are deleted, as the legacy
        connector documents.
        """
        feed = self._feed
        if feed is None:
            raise RuntimeError("no sales feed configured: call configure_sales_feed() first")
        fetched_at = self._now()
        receipt = {"fetched_at": fetched_at, "url": _without_credentials(feed.url)}
        auth = (feed.username, feed.password) if feed.username else None
        try:
            response = feed.client.get(feed.url, auth=auth)  # network I/O outside the lock
        except httpx.HTTPError as exc:
            return self._log_fetch(FeedFetch(ok=False, error=type(exc).__name__, **receipt))
        receipt["status_code"] = response.status_code
        if response.status_code != 200:
            error = f"HTTP {response.status_code}"
            return self._log_fetch(FeedFetch(ok=False, error=error, **receipt))
        with self._lock:
            try:
                lines, rejected = parse_sales_csv(response.text, frozenset(self._by_sku))
            except (ValueError, UnicodeDecodeError) as exc:
                return self._log_fetch(FeedFetch(ok=False, error=str(exc), **receipt))
            taken = {line.key: line for line in lines}
            removed = self.sales_fold(taken, replace_all=self.settings.feed_full_snapshot)
            return self._log_fetch(
                FeedFetch(
                    ok=True,
                    rows_taken=len(lines),
                    rows_removed=removed,
                    rejected=tuple(rejected),
                    **receipt,
                )
            )

    @property
    def feed_fetches(self) -> list[FeedFetch]:
        """Every fetch so far, oldest first (the delivery receipts, seen from IP's side)."""
        with self._lock:
            return list(self._fetches)

    def _log_fetch(self, fetch: FeedFetch) -> FeedFetch:
        with self._lock:
            self._fetches.append(fetch)
        return fetch


def _error(status: int, message: str) -> httpx.Response:
    return httpx.Response(status, json={"result": {"status": "error", "message": message}})


def _int(text: str | None, default: int) -> int:
    try:
        return int(text) if text is not None else default
    except ValueError:
        return default


def _without_credentials(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))

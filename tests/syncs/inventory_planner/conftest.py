"""Shared fixtures: a fake clock, a seeded twin, and clients mounted on a transport."""

from datetime import UTC, datetime

import httpx
import pytest

from syncs.connectors.base import RetryPolicy
from syncs.connectors.inventory_planner import InventoryPlannerClient
from syncs.sandbox.inventory_planner import InventoryPlannerTwin
from tests.clocks import FakeClock

BASE_URL = "https://app.inventory-planner.com/api/v1"
KEY = "sandbox-ip-key"
ACCOUNT = "sandbox-account"
MAIN = "c1_main"
OUTLET = "c1_outlet"
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


# No jitter: with base_delay 0 the backoff is exactly max(0, Retry-After).
NO_JITTER = RetryPolicy(max_retries=3, base_delay=0.0)


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def records():
    return []


@pytest.fixture
def make_client(clock, records):
    """``make_client(handler_or_transport, **overrides)``: a client with a fake clock and
    a list recorder; pacing is off unless a test asks for it."""
    made = []

    def make(target, **overrides) -> InventoryPlannerClient:
        transport = target if isinstance(target, httpx.BaseTransport) else None
        transport = transport or httpx.MockTransport(target)
        options = {
            "transport": transport,
            "clock": clock,
            "recorder": records.append,
            "retry": NO_JITTER,
            "min_gap_seconds": 0,
        } | overrides
        client = InventoryPlannerClient(
            options.pop("base_url", BASE_URL),
            options.pop("api_key", KEY),
            options.pop("account", ACCOUNT),
            **options,
        )
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def twin():
    """Two warehouses, one vendor, five variants (SKU-0..SKU-4) with known figures."""
    twin = InventoryPlannerTwin(now=lambda: NOW)
    twin.add_warehouse(MAIN, "Main")
    twin.add_warehouse(OUTLET, "Outlet")
    twin.add_vendor("acme")
    for i in range(5):
        twin.add_variant(
            f"SKU-{i}",
            barcode=f"735000000000{i}",
            stock={MAIN: 10 * i, OUTLET: i},
            minimum_stock={MAIN: 2, OUTLET: 0},
            velocity={MAIN: 0.5 * i, OUTLET: 0.0},
            cost_price=4.0,
            variant_id=f"c1_{100 + i}",
        )
    return twin


@pytest.fixture
def twin_client(twin, make_client):
    return make_client(httpx.MockTransport(twin.handle))


class Script:
    """A transport that answers with prepared responses, in order, and keeps the requests."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def envelope_error(status: int, message: str) -> httpx.Response:
    return httpx.Response(status, json={"result": {"status": "error", "message": message}})


def variants_page(rows, *, page=0, limit=2, total=None, count=None) -> httpx.Response:
    start = page * limit
    meta = {
        "name": "variants",
        "display_name": "variants",
        "total": start + len(rows) if total is None else total,
        "count": len(rows) if count is None else count,
        "limit": limit,
        "page": page,
        "start": start,
        "end": start + len(rows) - 1,
    }
    return httpx.Response(200, json={"meta": meta, "variants": rows})

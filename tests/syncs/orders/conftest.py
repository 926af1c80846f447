"""Orders fixtures: a mapped catalog, and the IP twin fetching the hub's feed in-process."""

import httpx
import pytest
from django.test import Client

FEED_PATH = "/feeds/inventory-planner/sales-orders.csv"
FEED_PASSWORD = "feed-secret"


class DjangoTransport(httpx.BaseTransport):
    """The twin's HTTP client reaches the hub through Django's test client: the real view,
    middleware and auth, inside the test's database transaction."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        headers = {}
        if "authorization" in request.headers:
            headers["HTTP_AUTHORIZATION"] = request.headers["authorization"]
        response = Client().generic(request.method, request.url.path, **headers)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        return httpx.Response(response.status_code, headers=dict(response.items()), content=body)


@pytest.fixture
def catalog(sandbox, run_engine):
    """The SKU map of the small world (257 pairs)."""
    run_engine("catalog")
    return sandbox


@pytest.fixture
def ip_fetch(sandbox, settings):
    """``ip_fetch()``: the IP twin fetches the feed once, like IP's CSV connection does."""
    settings.IP_FEED_PASSWORD = FEED_PASSWORD
    sandbox.inventory_planner.configure_sales_feed(
        f"http://testserver{FEED_PATH}",
        username=settings.IP_FEED_USERNAME,
        password=FEED_PASSWORD,
        transport=DjangoTransport(),
    )
    return sandbox.inventory_planner.fetch_sales_feed

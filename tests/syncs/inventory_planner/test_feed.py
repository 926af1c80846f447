"""The twin's legacy CSV connection: it fetches the hub's sales file and folds it in."""

import base64
from datetime import date

import httpx
import pytest

from syncs.sandbox.inventory_planner import (
    FeedFetch,
    InventoryPlannerTwin,
    RejectedRow,
    SalesLine,
    TwinSettings,
)
from tests.syncs.inventory_planner.conftest import MAIN, NOW

FEED_URL = "http://hub.test/feeds/inventory-planner/sales-orders.csv"
HEADER = "order_number,product_id,sku,date,price,quantity,currency,canceled\n"


class FeedServer:
    """The hub's feed as IP sees it: basic auth, then whatever file is current."""

    def __init__(self, text: str, username="ip", password="s3cret"):
        self.text = text
        self.expected = "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.headers.get("Authorization") != self.expected:
            return httpx.Response(401, headers={"WWW-Authenticate": 'Basic realm="feeds"'})
        return httpx.Response(200, text=self.text, headers={"Content-Type": "text/csv"})


def configured(twin, server, *, password="s3cret", url=FEED_URL):
    twin.configure_sales_feed(
        url, username="ip", password=password, transport=httpx.MockTransport(server)
    )
    return twin


FILE = HEADER + (
    "1001,p1,SKU-1,2026-11-20,10.00,2,EUR,\n"
    "1001,p2,SKU-2,2026-11-20,12.00,1,EUR,\n"
    "1002,p1,SKU-1,2026-11-21,10.00,3,EUR,1\n"
    "1001,p1,SKU-1,2026-11-24,10.00,-1,EUR,\n"
)


def test_a_fetch_folds_sales_cancellations_and_returns(twin):
    fetch = configured(twin, FeedServer(FILE)).fetch_sales_feed()
    assert fetch == FeedFetch(fetched_at=NOW, url=FEED_URL, ok=True, status_code=200, rows_taken=4)
    assert twin.sales_history("SKU-1") == [
        SalesLine("1001", "SKU-1", "p1", date(2026, 11, 20), 2.0, 10.0, "EUR", False),
        SalesLine("1002", "SKU-1", "p1", date(2026, 11, 21), 3.0, 10.0, "EUR", True),
        SalesLine("1001", "SKU-1", "p1", date(2026, 11, 24), -1.0, 10.0, "EUR", False),
    ]
    assert twin.units_sold("SKU-1") == 1.0  # 2 sold, 3 cancelled, 1 returned
    assert twin.units_sold("SKU-2") == 1.0


def test_refetching_the_same_file_counts_nothing_twice(twin):
    configured(twin, FeedServer(FILE))
    twin.fetch_sales_feed()
    second = twin.fetch_sales_feed()
    assert (second.rows_taken, second.rows_removed) == (4, 0)
    assert len(twin.sales_history()) == 4
    assert twin.units_sold("SKU-1") == 1.0
    assert len(twin.feed_fetches) == 2


def test_an_updated_row_replaces_the_earlier_one(twin):
    server = FeedServer(FILE)
    configured(twin, server).fetch_sales_feed()
    server.text = FILE.replace(
        "1001,p2,SKU-2,2026-11-20,12.00,1,EUR,", "1001,p2,SKU-2,2026-11-20,12.00,1,EUR,true"
    )
    twin.fetch_sales_feed()
    [line] = twin.sales_history("SKU-2")
    assert line.cancelled is True
    assert twin.units_sold("SKU-2") == 0


def test_rows_missing_from_the_full_file_are_deleted(twin):
    server = FeedServer(FILE)
    configured(twin, server).fetch_sales_feed()
    server.text = HEADER + "1001,p1,SKU-1,2026-11-20,10.00,2,EUR,\n"
    fetch = twin.fetch_sales_feed()
    assert (fetch.rows_taken, fetch.rows_removed) == (1, 3)
    assert [line.order_number for line in twin.sales_history()] == ["1001"]


def test_incremental_mode_keeps_rows_missing_from_the_file():
    twin = InventoryPlannerTwin(settings=TwinSettings(feed_full_snapshot=False))
    twin.add_warehouse(MAIN)
    twin.add_variant("SKU-1", stock={MAIN: 0})
    twin.add_variant("SKU-2", stock={MAIN: 0})
    server = FeedServer(FILE)
    configured(twin, server).fetch_sales_feed()
    server.text = HEADER
    assert twin.fetch_sales_feed().rows_removed == 0
    assert len(twin.sales_history()) == 4


def test_bad_basic_auth_is_recorded_and_folds_nothing(twin):
    server = FeedServer(FILE)
    fetch = configured(twin, server, password="wrong").fetch_sales_feed()
    assert fetch == FeedFetch(
        fetched_at=NOW, url=FEED_URL, ok=False, status_code=401, error="HTTP 401"
    )
    assert twin.sales_history() == []
    assert twin.feed_fetches == [fetch]
    assert server.requests[0].headers["Authorization"].startswith("Basic ")


def test_a_network_failure_is_recorded(twin):
    def down(request):
        raise httpx.ConnectError("refused")

    fetch = configured(twin, down).fetch_sales_feed()
    assert (fetch.ok, fetch.status_code, fetch.error) == (False, None, "ConnectError")
    assert twin.sales_history() == []


def test_a_missing_required_column_rejects_the_whole_file(twin):
    text = "order_number,sku,date,price,quantity\n1001,SKU-1,2026-11-20,10,2\n"
    fetch = configured(twin, FeedServer(text)).fetch_sales_feed()
    assert (fetch.ok, fetch.status_code, fetch.error) == (False, 200, "missing columns: product_id")
    assert twin.sales_history() == []


def test_bad_rows_are_rejected_with_their_line_and_reason(twin):
    text = HEADER + (
        "1001,p1,SKU-1,2026-11-20,10.00,2,EUR,\n"
        "1002,p9,NOPE,2026-11-20,10.00,1,EUR,\n"
        "1003,p1,SKU-1,2026-11-20,10.00,two,EUR,\n"
        ",p1,SKU-1,2026-11-20,10.00,1,EUR,\n"
        "1004,p1,SKU-1,20/11/2026,10.00,1,EUR,\n"
        "1005,p1,SKU-1,2026-11-20,10.00,1,EUR,maybe\n"
        "1006,p1,SKU-1\n"
    )
    fetch = configured(twin, FeedServer(text)).fetch_sales_feed()
    assert fetch.ok is True
    assert fetch.rows_taken == 1
    assert fetch.rejected == (
        RejectedRow(3, "unknown sku NOPE"),
        RejectedRow(4, "quantity is not a number: 'two'"),
        RejectedRow(5, "order_number is empty"),
        RejectedRow(6, "date is not a date: '20/11/2026'"),
        RejectedRow(7, "canceled is not a flag: 'maybe'"),
        RejectedRow(8, "3 cells, 8 columns"),
    )
    assert [line.order_number for line in twin.sales_history()] == ["1001"]


def test_header_case_spelling_and_extra_columns_are_tolerated(twin):
    text = (
        "ORDER_NUMBER,Product_ID,SKU,date,price,quantity,cancelled,note\n"
        "1001,p1,SKU-1,2026-11-20T10:00:00+00:00,10,2,yes,gift\n"
    )
    configured(twin, FeedServer(text)).fetch_sales_feed()
    [line] = twin.sales_history()
    assert (line.date, line.cancelled, line.currency) == (date(2026, 11, 20), True, "")


def test_credentials_never_appear_in_the_receipt(twin):
    url = "http://ip:s3cret@hub.test:8000/feeds/inventory-planner/sales-orders.csv?x=1"
    fetch = configured(twin, FeedServer(FILE), url=url).fetch_sales_feed()
    assert fetch.url == "http://hub.test:8000/feeds/inventory-planner/sales-orders.csv"
    assert "s3cret" not in repr(twin.feed_fetches)


def test_fetching_without_a_feed_is_a_programming_error():
    with pytest.raises(RuntimeError, match="configure_sales_feed"):
        InventoryPlannerTwin().fetch_sales_feed()

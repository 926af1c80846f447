"""IP's own sales (``orders_by_day``) in the reconciliation: read through the client with
the twin as the transport after the twin fetched its feed, stored per day and SKU, shown
next to the feed units taken (screen and CSV alike), and a failed read that breaks nothing."""

from datetime import date

import httpx
import pytest
from django.utils import timezone

from reconciliation.debt import freshness
from reconciliation.models import (
    DayTotals,
    IpDailySales,
    IpSalesRead,
    ReconciliationRun,
    ReconciliationSettings,
)
from reconciliation.reports import Filters
from reconciliation.selectors import day_skus, month_overview
from reconciliation.services import reconciliation_compute, reconciliation_refresh
from syncs.clients import transports_install
from syncs.models import ExternalCall
from syncs.sandbox.inventory_planner import InventoryPlannerTwin
from tests.reconciliation.conftest import at
from tests.reconciliation.test_views import csv_rows, screen_tables
from tests.syncs.inventory_planner.conftest import envelope_error, variants_page

MARCH_1, MARCH_31 = date(2026, 3, 1), date(2026, 3, 31)
MAIN = "c1_main"
# What IP took from the hub's file: SKU-A as Centra sold it, SKU-B one unit short, and
# SKU-C on a day the hub has no sale for it.
FEED = (
    "order_number,product_id,sku,date,price,quantity,currency,canceled\n"
    "21,p-a,SKU-A,2026-03-03,10.00,1,EUR,\n"
    "23,p-a,SKU-A,2026-03-03,10.00,1,EUR,1\n"
    "22,p-b,SKU-B,2026-03-04,5.00,2,EUR,\n"
    "90,p-c,SKU-C,2026-03-05,5.00,4,EUR,\n"
    "91,p-c,SKU-C,2026-04-02,5.00,7,EUR,\n"
)
IP_COLUMNS = [
    "Feed net units taken (taken - returned)",
    "IP's own sales (orders_by_day)",
    "IP's own minus feed net taken",
]


class Recording(httpx.MockTransport):
    def __init__(self, handler):
        self.requests: list[httpx.Request] = []

        def handle(request):
            self.requests.append(request)
            return handler(request)

        super().__init__(handle)


@pytest.fixture
def twin():
    """IP after one fetch of the feed above."""
    twin = InventoryPlannerTwin()
    twin.add_warehouse(MAIN, "Main")
    for sku in ("SKU-A", "SKU-B", "SKU-C"):
        twin.add_variant(sku, stock={MAIN: 10})
    twin.configure_sales_feed(
        "http://hub.test/feed.csv",
        transport=httpx.MockTransport(lambda request: httpx.Response(200, text=FEED)),
    )
    assert twin.fetch_sales_feed().rows_taken == 5
    return twin


@pytest.fixture
def march(ledger):
    ledger.order(21, at("2026-03-03 10:00"), ledger.line("a", qty=1, price="10.00", cancelled=1))
    ledger.order(22, at("2026-03-04 10:00"), ledger.line("b", qty=3, price="5.00"))
    ledger.ip_takes_everything()
    return ledger


def refresh(transport):
    with transports_install(inventory_planner=transport):
        return reconciliation_refresh(start_day=MARCH_1, end_day=MARCH_31)


def ip_cells(rows, key="day"):
    return [
        (row[key], row["h_units_net_taken"], row["ip_units"], row["ip_diff"], row.get("status"))
        for row in rows
    ]


def test_the_read_asks_for_two_fields_and_stores_the_window(march, twin):
    transport = Recording(twin.handle)
    refresh(transport)
    [request] = transport.requests
    assert request.url.path == "/api/v1/variants"
    assert request.url.params["fields"] == "id,sku,orders_by_day"
    assert list(IpDailySales.objects.values_list("day", "sku", "units")) == [
        (date(2026, 3, 3), "SKU-A", 1),  # the cancelled row is not a sale
        (date(2026, 3, 4), "SKU-B", 2),
        (date(2026, 3, 5), "SKU-C", 4),  # April is outside the window
    ]
    read = IpSalesRead.objects.get()
    assert (read.ok, read.error, read.variants, read.rows) == (True, "", 3, 3)
    assert (read.period_start, read.period_end) == (MARCH_1, MARCH_31)
    assert ExternalCall.objects.filter(operation="GET /variants", outcome="ok").count() == 1


def test_the_month_shows_ip_own_sales_against_the_feed_with_the_tolerance(march, twin):
    refresh(httpx.MockTransport(twin.handle))
    rows = month_overview(month=MARCH_1, filters=Filters()).rows
    assert ip_cells(rows) == [
        (date(2026, 3, 3), 1, 1, 0, "ok"),
        (date(2026, 3, 4), 3, 2, -1, "ip-differs"),
        (date(2026, 3, 5), 0, 4, 4, "ip-differs"),  # a day only IP has sales on
    ]
    # The unit tolerance applies per day (and per SKU on the day's page).
    ReconciliationSettings.objects.filter(pk=1).update(unit_tolerance=1)
    rows = month_overview(month=MARCH_1, filters=Filters()).rows
    assert [row["status"] for row in rows] == ["ok", "ok", "ip-differs"]


def test_the_day_lists_each_sku_with_ip_own_sales(march, twin):
    refresh(httpx.MockTransport(twin.handle))
    skus = day_skus(day=date(2026, 3, 4), filters=Filters(), only_differences=True).rows
    assert ip_cells(skus, "sku") == [("SKU-B", 3, 2, -1, None)]
    only_ip = day_skus(day=date(2026, 3, 5), filters=Filters(), only_differences=False).rows
    assert ip_cells(only_ip, "sku") == [("SKU-C", 0, 4, 4, None)]
    assert only_ip[0]["c_units_sold"] == 0


def test_a_currency_or_channel_filter_has_no_ip_figure(march, twin):
    refresh(httpx.MockTransport(twin.handle))
    rows = month_overview(month=MARCH_1, filters=Filters(currency="EUR")).rows
    assert ip_cells(rows) == [
        (date(2026, 3, 3), 1, "n/a (filtered)", "", "ok"),
        (date(2026, 3, 4), 3, "n/a (filtered)", "", "ok"),
    ]


def test_the_columns_are_on_screen_and_in_the_csv(march, twin, client_for):
    refresh(httpx.MockTransport(twin.handle))
    client = client_for("finance")
    screen = screen_tables(client.get("/reconciliation/?month=2026-03"))["month"]
    exported = csv_rows(client.get("/reconciliation/?month=2026-03&export=month"))
    assert exported == screen
    header = exported[0]
    first = header.index(IP_COLUMNS[0])
    assert header[first - 2 : first + 3] == ["Units difference", "Returned difference", *IP_COLUMNS]
    columns = [header.index(title) for title in IP_COLUMNS]
    assert [[row[0], *(row[i] for i in columns)] for row in exported[1:]] == [
        ["2026-03-03", "1", "1", "0"],
        ["2026-03-04", "3", "2", "-1"],
        ["2026-03-05", "0", "4", "4"],
    ]
    day = screen_tables(client.get("/reconciliation/day/2026-03-04/"))["skus"]
    day_csv = csv_rows(client.get("/reconciliation/day/2026-03-04/?export=skus"))
    assert day_csv == day
    columns = [day_csv[0].index(title) for title in IP_COLUMNS]
    assert [[row[0], *(row[i] for i in columns)] for row in day_csv[1:]] == [
        ["SKU-B", "3", "2", "-1"]
    ]


def test_a_failed_read_shows_not_read_and_the_computation_still_runs(march, twin, client_for):
    refresh(httpx.MockTransport(twin.handle))
    assert IpDailySales.objects.count() == 3
    refused = Recording(lambda request: envelope_error(401, "Invalid API key"))
    outcome = refresh(refused)
    assert len(refused.requests) == 1  # an auth error is not retried
    assert IpDailySales.objects.count() == 0  # no stale figures for the window
    read = IpSalesRead.objects.first()
    assert (read.ok, read.variants, read.rows) == (False, 0, 0)
    assert read.error.startswith("AuthError: ")
    assert "Invalid API key" in read.error
    assert outcome.run.finished_at is not None  # the rest of the reconciliation ran
    assert ReconciliationRun.objects.count() == 2
    assert DayTotals.objects.filter(day__gte=MARCH_1).count() == 2
    rows = month_overview(month=MARCH_1, filters=Filters()).rows
    assert ip_cells(rows) == [
        (date(2026, 3, 3), 1, "not read", "", "ok"),
        (date(2026, 3, 4), 3, "not read", "", "ok"),
    ]
    [ip] = [f for f in freshness() if f.source == "IP's own sales"]
    assert ip.at == IpSalesRead.objects.get(ok=True).finished_at
    failed_at = timezone.localtime(read.finished_at).strftime("%Y-%m-%d %H:%M")
    assert ip.note == (
        f"the last read failed at {failed_at} ({read.error}); "
        'its days show IP\'s own sales as "not read"'
    )
    page = client_for("finance").get("/reconciliation/?month=2026-03")
    assert "its days show IP&#x27;s own sales as &quot;not read&quot;" in page.content.decode()
    exported = csv_rows(client_for("finance").get("/reconciliation/?month=2026-03&export=month"))
    column = exported[0].index("IP's own sales (orders_by_day)")
    assert [row[column] for row in exported[1:]] == ["not read", "not read"]


def test_a_bad_orders_by_day_shape_fails_the_read_naming_the_field(march):
    row = {"id": "c1_1", "sku": "SKU-A", "orders_by_day": {"2026": {"3": 2}}}
    refresh(httpx.MockTransport(lambda request: variants_page([row], limit=1000)))
    read = IpSalesRead.objects.get()
    assert read.ok is False
    assert read.error == (
        "BadPayloadError: inventory_planner GET /variants (HTTP 200): "
        "orders_by_day has an unknown shape: month 2026-3 is not an object"
    )
    assert IpDailySales.objects.count() == 0
    assert DayTotals.objects.filter(day__gte=MARCH_1).count() == 2


def test_days_never_read_are_not_read(march):
    reconciliation_compute(start_day=MARCH_1, end_day=MARCH_31)
    rows = month_overview(month=MARCH_1, filters=Filters()).rows
    assert [row["ip_units"] for row in rows] == ["not read", "not read"]
    [ip] = [f for f in freshness() if f.source == "IP's own sales"]
    assert (ip.at, ip.note) == (None, "never read")

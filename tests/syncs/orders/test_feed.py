"""The sales-order feed: basic auth, IP's CSV format, streaming, delivery receipts, and the
IP twin folding it into its sales history."""

import base64
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.signals import request_finished
from django.db import close_old_connections
from django.test import Client, RequestFactory

from syncs.models import FeedDelivery, Order, SalesFeedRow
from syncs.views.feeds import SANDBOX_FEED_PASSWORD, sales_orders_csv
from tests.syncs.orders.conftest import FEED_PASSWORD, FEED_PATH

pytestmark = pytest.mark.django_db

HEADER = "order_number,product_id,sku,date,price,quantity,currency,canceled"


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def fetch(password: str | None, *, method: str = "get", username: str = "inventory-planner"):
    headers = {} if password is None else {"HTTP_AUTHORIZATION": basic(username, password)}
    return getattr(Client(), method)(FEED_PATH, **headers)


def ledger_order(number: int, when: datetime, rows: list[tuple]) -> Order:
    """A ledger order with feed rows ``(line id, sku, quantity, price, cancelled)``."""
    order = Order.objects.create(
        centra_id=f"id{number}",
        number=number,
        status="CONFIRMED",
        order_date=when,
        currency="EUR",
        grand_total=Decimal("0"),
        stored_at=when,
        updated_at=when,
    )
    for line_id, sku, quantity, price, cancelled in rows:
        SalesFeedRow.objects.create(
            source="order_line",
            source_ref=str(line_id),
            order=order,
            order_number=str(number),
            sku=sku,
            product_id=f"v-{sku}",
            date=when,
            quantity=quantity,
            price=Decimal(price),
            currency="EUR",
            cancelled=cancelled,
            changed_at=when,
        )
    return order


@pytest.fixture
def password(settings):
    settings.IP_FEED_PASSWORD = FEED_PASSWORD
    return FEED_PASSWORD


def test_without_credentials_the_feed_answers_401_and_records_nothing(password):
    for response in (fetch(None), fetch("wrong"), fetch(password, username="someone")):
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == 'Basic realm="centra-ip feeds", charset="UTF-8"'
    assert FeedDelivery.objects.count() == 0


def test_with_debug_off_and_no_password_the_feed_is_refused(settings):
    settings.IP_FEED_PASSWORD = ""
    settings.DEBUG = False
    response = fetch(SANDBOX_FEED_PASSWORD)
    assert response.status_code == 404  # as if it did not exist: no hint at the settings
    assert b"IP_FEED_PASSWORD" not in response.content
    assert FeedDelivery.objects.count() == 0


def test_in_debug_without_a_password_the_sandbox_password_opens_it(settings):
    settings.IP_FEED_PASSWORD = ""
    settings.DEBUG = True
    assert fetch(SANDBOX_FEED_PASSWORD).status_code == 200
    assert fetch("").status_code == 401


def test_the_file_is_ips_csv_format_with_merged_lines_and_return_rows(password):
    when = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    ledger_order(
        1001,
        when,
        [(1, "A-1", 2, "10.00", False), (2, "A-1", 1, "13.00", False), (3, "B-2", 1, "5.00", True)],
    )
    ledger_order(1002, when.replace(hour=10), [(4, "A-1", 3, "10.00", False)])
    SalesFeedRow.objects.create(  # what the returns flow contributes: a negative row
        source="return_line",
        source_ref="r1",
        order=None,
        order_number="1001",
        sku="A-1",
        product_id="v-A-1",
        date=when,
        quantity=-1,
        price=Decimal("10.00"),
        currency="EUR",
        changed_at=when,
    )

    response = fetch(password)

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert b"".join(response.streaming_content).decode().splitlines() == [
        HEADER,
        "1001,v-A-1,A-1,2026-11-20 09:30:00,11.00,3,EUR,false",
        "1001,v-A-1,A-1,2026-11-20 09:30:00,10.00,-1,EUR,false",
        "1001,v-B-2,B-2,2026-11-20 09:30:00,5.00,1,EUR,true",
        "1002,v-A-1,A-1,2026-11-20 10:30:00,10.00,3,EUR,false",
    ]
    delivery = FeedDelivery.objects.get()
    assert delivery.status == FeedDelivery.Status.COMPLETE
    assert (delivery.rows, delivery.cancelled_rows, delivery.return_rows) == (4, 1, 1)
    assert delivery.bytes == len(HEADER) + 1 + sum(
        len(line) + 1
        for line in [
            "1001,v-A-1,A-1,2026-11-20 09:30:00,11.00,3,EUR,false",
            "1001,v-A-1,A-1,2026-11-20 09:30:00,10.00,-1,EUR,false",
            "1001,v-B-2,B-2,2026-11-20 09:30:00,5.00,1,EUR,true",
            "1002,v-A-1,A-1,2026-11-20 10:30:00,10.00,3,EUR,false",
        ]
    )
    assert delivery.served_through < delivery.started_at


def test_rows_older_than_the_horizon_are_left_out(password, settings):
    settings.IP_FEED_HORIZON_DAYS = 30
    ledger_order(1, datetime(2020, 1, 1, tzinfo=UTC), [(1, "A-1", 1, "1.00", False)])

    response = fetch(password)

    assert b"".join(response.streaming_content).decode().splitlines() == [HEADER]
    assert FeedDelivery.objects.get().rows == 0


def test_head_checks_the_url_without_a_receipt(password):
    response = fetch(password, method="head")
    assert response.status_code == 200
    assert FeedDelivery.objects.count() == 0


def test_a_fetch_broken_off_is_not_a_delivery(password):
    """IP reads the header and hangs up: the WSGI server closes the response early."""
    ledger_order(1, datetime(2026, 11, 20, tzinfo=UTC), [(1, "A-1", 1, "1.00", False)])
    request = RequestFactory().get(
        FEED_PATH, HTTP_AUTHORIZATION=basic("inventory-planner", password)
    )
    response = sales_orders_csv(request)
    next(iter(response.streaming_content))
    # As a test client does around a request: the test's connection stays open.
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)

    assert FeedDelivery.objects.get().status == FeedDelivery.Status.BROKEN


def test_the_ip_twin_takes_the_feed_into_its_sales_history(catalog, run_engine, ip_fetch):
    a, b = catalog.world.sellable[:2]
    state = catalog.centra.state
    kept = state.place_order([(a, 2, "49.00"), (b, 1, "29.00")])
    cancelled = state.place_order([(a, 5, "49.00")])
    run_engine("orders")
    state.cancel_order(cancelled.number)
    run_engine("orders")

    receipt = ip_fetch()

    assert (receipt.ok, receipt.status_code, receipt.rows_taken, receipt.rejected) == (
        True,
        200,
        3,
        (),
    )
    history = {
        (line.order_number, line.sku): line for line in catalog.inventory_planner.sales_history()
    }
    assert history[(str(kept.number), a)].quantity == 2
    assert history[(str(cancelled.number), a)].cancelled is True
    assert catalog.inventory_planner.units_sold(b) == 1
    delivery = FeedDelivery.objects.get()
    assert (delivery.status, delivery.rows, delivery.cancelled_rows) == ("complete", 3, 1)

"""Finance on Centra's own money: base amounts at each order's Centra rate, refunds from
Centra's booked figures (units x price only as the labelled fallback), the market / store /
currency / channel filters through drill-downs and exports, XLSX exports, the month-end
close with after-close adjustments, and the audited finance configuration."""

import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from reconciliation.closing import CloseError, month_close, month_reopen
from reconciliation.models import (
    CentraMarket,
    CloseAdjustment,
    Discrepancy,
    MonthClose,
    MonthCloseEvent,
    OrderBalance,
)
from reconciliation.services import reconciliation_compute
from returns.intake import order_lines_refunds_note
from syncs.models import ConfigChange, Order, OrderLine
from tests.reconciliation.conftest import at, day_sku, returns_flow
from tests.reconciliation.test_views import csv_rows, screen_tables

APRIL = datetime(2026, 4, 10, 12, 0).astimezone()  # "now" for closing March


@pytest.fixture
def finance_user(personas):
    return personas["finance"]


def compute(now=None):
    return reconciliation_compute(start_day=date(2026, 3, 1), end_day=date(2026, 3, 31), now=now)


@pytest.fixture
def markets(ledger):
    """March 2026 in two markets: Europe (EUR, Centra rate 1) and the Nordics (SEK at
    Centra's 0.0871, while the rates table says 0.09), all balanced and taken by IP."""
    ledger.order(
        31,
        at("2026-03-03 10:00"),
        ledger.line("a", qty=2, price="10.00"),
        market="Europe",
        store_name="Retail",
        rate="1",
    )
    ledger.order(
        32,
        at("2026-03-03 11:00"),
        ledger.line("b", qty=1, price="1000.00"),
        currency="SEK",
        market="Nordics",
        store_name="Retail",
        rate="0.0871",
    )
    ledger.order(
        33,
        at("2026-03-04 09:00"),
        ledger.line("c", qty=3, price="20.00"),
        store="WHOLESALE",
        market="Europe",
        store_name="Wholesale",
        rate="1",
    )
    ledger.ip_takes_everything()
    compute()
    return ledger


# --- Base currency at Centra's own rate ------------------------------------------------------


def test_base_amounts_use_each_orders_centra_rate_not_the_rates_table(markets):
    sek = day_sku(date(2026, 3, 3), "SKU-B")
    assert (sek.currency, sek.market, sek.store) == ("SEK", "Nordics", "Retail")
    assert sek.c_gross_base == Decimal("87.10")  # 1000 SEK x 0.0871 (the table says 0.09)
    assert sek.h_net_base == Decimal("87.10")
    balance = OrderBalance.objects.get(order_number="32")
    assert balance.base_rate == Decimal("0.0871")


def test_an_order_without_centras_rate_falls_back_to_the_rates_table(ledger):
    ledger.order(
        41, at("2026-03-05 10:00"), ledger.line("b", qty=1, price="100.00"), currency="SEK"
    )
    ledger.ip_takes_everything()
    compute()
    assert day_sku(date(2026, 3, 5)).c_gross_base == Decimal("9.00")  # the table's 0.09
    assert OrderBalance.objects.get().base_rate == Decimal("0.09")


# --- Refunds from Centra's figures -----------------------------------------------------------


def test_returned_value_is_centras_line_value_and_units_x_price_only_as_fallback(ledger):
    order = ledger.order(
        51,
        at("2026-03-06 10:00"),
        ledger.line("a", qty=3, price="10.00", returned=2),
        rate="1",
    )
    line = returns_flow(
        order, sku="SKU-A", expected=1, passed=1, stocked_in=0, when=at("2026-03-07 10:00")
    )
    line.centra_line_value = Decimal("8.50")  # Centra booked the unit at a discount
    line.save()
    order_lines_refunds_note([line.centra_order_line_id])  # as the returns flow does
    compute()
    row = day_sku(date(2026, 3, 6))
    # One returned unit at Centra's 8.50, the other (no return line read) at 10.00.
    assert row.c_returned_value == Decimal("18.50")
    assert row.c_units_returned_estimated == 1
    assert row.c_net_base == Decimal("11.50")  # 30.00 - 18.50


def test_the_month_lists_refunds_as_centra_booked_them(ledger, client_for):
    order = ledger.order(
        52,
        at("2026-03-06 10:00"),
        ledger.line("b", qty=2, price="500.00", returned=2),
        currency="SEK",
        market="Nordics",
        rate="0.0871",
    )
    line = returns_flow(
        order, sku="SKU-B", expected=2, passed=2, stocked_in=0, when=at("2026-03-08 10:00")
    )
    line.centra_line_value = Decimal("1000.00")
    line.save()
    order_lines_refunds_note([line.centra_order_line_id])
    ret = line.expected_return
    ret.centra_grand_total, ret.centra_currency = Decimal("1049.00"), "SEK"  # + shipping
    ret.centra_currency_base_rate = Decimal("0.0871")
    ret.save()
    ledger.order(53, at("2026-03-09 10:00"), ledger.line("a", qty=1, price="10.00", returned=1))
    unread = returns_flow(
        Order.objects.get(number=53),
        sku="SKU-A",
        expected=1,
        passed=1,
        stocked_in=0,
        when=at("2026-03-10 10:00"),
    )
    compute()

    rows = screen_tables(client_for("finance").get("/reconciliation/?month=2026-03"))["refunds"]
    assert rows[0][:10] == [
        "Market",
        "Currency",
        "Returns",
        "With Centra's figures",
        "Centra refunds: items",
        "Centra refunds: shipping and other",
        "Centra refunds: total",
        "Centra refunds: total (base)",
        "Returns without Centra's figures",
        "Their value at units x price (fallback)",
    ]
    assert rows[1] == ["", "EUR", "1", "0", "0.00", "0.00", "0.00", "0.00", "1", "10.00"]
    assert rows[2] == [
        "Nordics",
        "SEK",
        "1",
        "1",
        "1000.00",
        "49.00",
        "1049.00",
        "91.37",
        "0",
        "0.00",
    ]
    assert unread.expected_return.centra_grand_total is None


# --- Filters ---------------------------------------------------------------------------------


def test_the_market_filter_holds_through_the_day_the_sku_and_the_exports(markets, client_for):
    client = client_for("finance")
    month = client.get("/reconciliation/?month=2026-03&market=Nordics")
    table = screen_tables(month)["month"]
    assert [row[0] for row in table[1:]] == ["2026-03-03"]
    assert 'href="/reconciliation/day/2026-03-03/?market=Nordics"' in month.content.decode()
    exported = csv_rows(client.get("/reconciliation/?month=2026-03&market=Nordics&export=month"))
    assert [row[0] for row in exported[1:]] == ["2026-03-03"]

    day = client.get("/reconciliation/day/2026-03-03/?market=Nordics&all=1")
    skus = screen_tables(day)["skus"]
    assert [row[0] for row in skus[1:]] == ["SKU-B"]
    assert 'href="/reconciliation/day/2026-03-03/sku/SKU-B/?market=Nordics"' in (
        day.content.decode()
    )
    orders = client.get("/reconciliation/day/2026-03-03/sku/SKU-B/?market=Nordics")
    assert [row[:5] for row in screen_tables(orders)["orders"][1:]] == [
        ["32", "Nordics", "Retail", "SEK", "DTC"]
    ]
    assert client.get("/reconciliation/day/2026-03-03/sku/SKU-A/?market=Nordics").status_code == (
        200
    )
    assert screen_tables(client.get("/reconciliation/day/2026-03-03/sku/SKU-A/?market=Nordics"))[
        "orders"
    ][1:] == [["Nothing here."]]


def test_store_and_channel_filters_and_their_choices(markets, client_for):
    client = client_for("finance")
    page = client.get("/reconciliation/?month=2026-03")
    assert page.context["choices"] == {
        "market": ["Europe", "Nordics"],
        "store": ["Retail", "Wholesale"],
        "currency": ["EUR", "SEK"],
        "channel": ["DTC", "WHOLESALE"],
    }
    wholesale = screen_tables(client.get("/reconciliation/?month=2026-03&store=Wholesale"))
    assert [row[0] for row in wholesale["month"][1:]] == ["2026-03-04"]
    name = "United Kingdom & Ireland"  # a market name needs URL quoting in every link
    Order.objects.filter(number=31).update(market=name)
    compute()
    page = client.get("/reconciliation/", {"month": "2026-03", "market": name})
    assert "market=United+Kingdom+%26+Ireland" in page.content.decode()
    assert [row[0] for row in screen_tables(page)["month"][1:]] == ["2026-03-03"]


# --- XLSX ------------------------------------------------------------------------------------


def test_xlsx_has_typed_cells_a_header_and_one_sheet_per_table(markets, client_for):
    # A SKU from outside that looks like a formula, with a control character XML cannot hold.
    OrderLine.objects.filter(ip_sku="SKU-A").update(ip_sku='=HYPERLINK("x")\x07')
    compute()
    client = client_for("finance")
    response = client.get("/reconciliation/?month=2026-03&export=all&format=xlsx")
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert 'filename="reconciliation-2026-03.xlsx"' in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["month", "Refunds booked by Centra"]
    sheet = book["month"]
    assert [c.value for c in sheet[1]][:3] == ["Day", "Orders", "Orders cancelled"]
    assert sheet["A2"].value == datetime(2026, 3, 3) and sheet["A2"].is_date
    assert sheet["B2"].value == 2 and sheet["B2"].data_type == "n"
    header = [c.value for c in sheet[1]]
    gross = sheet.cell(row=2, column=header.index("Centra gross (base)") + 1)
    assert (gross.value, gross.data_type) == (107.1, "n")  # 20 + 1000 x 0.0871

    day = client.get("/reconciliation/day/2026-03-03/?all=1&export=skus&format=xlsx")
    skus = load_workbook(io.BytesIO(day.content))["skus"]
    cell = skus["A2"]
    # Outside text that looks like a formula stays text: no formula is stored.
    assert (cell.value, cell.data_type) == ('=HYPERLINK("x")', "s")
    raw = load_workbook(io.BytesIO(day.content), data_only=False)
    assert all(c.data_type != "f" for row in raw["skus"].iter_rows() for c in row)


def test_an_unknown_table_is_404_in_either_format(markets, client_for):
    client = client_for("finance")
    assert client.get("/reconciliation/?export=nope&format=xlsx").status_code == 404
    assert client.get("/reconciliation/?export=all").status_code == 404  # CSV: one per file


# --- Month-end close -------------------------------------------------------------------------


def test_finance_closes_a_reviewed_month_and_its_totals_are_kept(markets, client_for, settings):
    from time_machine import travel

    with travel(APRIL, tick=False):
        response = client_for("finance").post(
            "/reconciliation/month/2026-03/close/", {"note": "Reviewed with the Nordics."}
        )
    assert response.status_code == 302
    record = MonthClose.objects.get()
    assert (record.month, record.closed, record.closed_by_name, record.note) == (
        date(2026, 3, 1),
        True,
        "finance-persona",
        "Reviewed with the Nordics.",
    )
    assert record.totals["orders"] == "3"
    assert record.totals["c_gross_base"] == "167.10"  # 20 + 87.10 + 60
    assert record.orders.count() == 3
    assert list(MonthCloseEvent.objects.values_list("kind", "actor_name")) == [
        ("closed", "finance-persona")
    ]


def test_a_month_with_open_discrepancies_or_not_over_cannot_be_closed(ledger, finance_user):
    ledger.order(61, at("2026-03-04 10:00"), ledger.line("zz", qty=1, price="9.00"))
    ledger.ip_takes_everything()
    compute(now=APRIL)
    assert Discrepancy.objects.get().status == "open"
    with pytest.raises(CloseError, match="1 open discrepancies"):
        month_close(month=date(2026, 3, 1), actor=finance_user, now=APRIL)
    with pytest.raises(CloseError, match="not over"):
        month_close(month=date(2026, 4, 1), actor=finance_user, now=APRIL)
    assert not MonthClose.objects.exists()


def test_a_change_after_close_is_an_adjustment_with_its_cause(markets, finance_user):
    record = month_close(month=date(2026, 3, 1), actor=finance_user, now=APRIL)
    # A late cancellation of one unit of order 33 in Centra, after the close.
    line = OrderLine.objects.get(order__number=33)
    line.quantity, line.cancelled_quantity = 2, 1
    line.save()
    compute(now=APRIL)

    adjustment = CloseAdjustment.objects.get()
    assert (adjustment.order_number, adjustment.cause) == ("33", "cancelled after close")
    assert (adjustment.units_sold_change, adjustment.c_net_change) == (-1, Decimal("-20.00"))
    record.refresh_from_db()
    assert record.totals["c_gross_base"] == "167.10"  # the totals at close never move
    assert record.orders.get(order_number="33").c_units_cancelled == 0

    # Back as it was at close: the adjustment is gone, nothing else changed.
    line.quantity, line.cancelled_quantity = 3, 0
    line.save()
    compute(now=APRIL)
    assert not CloseAdjustment.objects.exists()


def test_a_new_order_in_a_closed_month_is_an_adjustment(markets, finance_user):
    month_close(month=date(2026, 3, 1), actor=finance_user, now=APRIL)
    markets.order(34, at("2026-03-20 10:00"), markets.line("a", qty=1, price="10.00"), rate="1")
    compute(now=APRIL)
    adjustment = CloseAdjustment.objects.get()
    assert (adjustment.order_number, adjustment.cause, adjustment.c_net_change) == (
        "34",
        "order new in the ledger after close",
        Decimal("10.00"),
    )


def test_the_month_page_shows_the_close_and_the_adjustments(markets, finance_user, client_for):
    month_close(month=date(2026, 3, 1), actor=finance_user, note="ok", now=APRIL)
    OrderLine.objects.filter(order__number=31).update(returned_quantity=1)
    compute(now=APRIL)
    page = client_for("finance").get("/reconciliation/?month=2026-03")
    text = page.content.decode()
    assert "closed</span> by finance-persona" in text
    rows = screen_tables(page)["adjustments"]
    assert rows[1][:6] == ["31", "2026-03-03", "Europe", "Retail", "EUR", "DTC"]
    assert rows[1][6] == "returned after close; refund value changed after close"
    # Finance cannot reopen (no form, and the endpoint refuses).
    assert "Reopen month" not in text
    assert client_for("finance").post(
        "/reconciliation/month/2026-03/reopen/", {"reason": "x"}
    ).status_code == (403)
    assert MonthClose.objects.get().closed


def test_an_admin_reopens_with_a_reason_audited(markets, finance_user, client_for):
    month_close(month=date(2026, 3, 1), actor=finance_user, now=APRIL)
    admin = client_for("admin")
    assert admin.post("/reconciliation/month/2026-03/reopen/", {"reason": " "}).status_code == 302
    assert MonthClose.objects.get().closed  # no reason, no reopen
    assert admin.post(
        "/reconciliation/month/2026-03/reopen/", {"reason": "Late wholesale credit note."}
    ).status_code == (302)
    record = MonthClose.objects.get()
    assert not record.closed
    event = record.events.last()
    assert (event.kind, event.actor_name, event.note) == (
        "reopened",
        "admin-persona",
        "Late wholesale credit note.",
    )
    assert event.totals["adjustments_after_close"] == "0"
    assert not record.orders.exists()
    with pytest.raises(CloseError, match="not closed"):
        month_reopen(record=record, actor=finance_user, reason="again")


# --- Audited configuration -------------------------------------------------------------------


def test_settings_rates_and_markets_are_audited_with_before_and_after(ledger, client_for):
    admin = client_for("admin")
    admin.post(
        "/reconciliation/configuration/",
        {
            "base_currency": "EUR",
            "time_zone": "Europe/Stockholm",
            "unit_tolerance": 3,
            "value_tolerance": "0.00",
            "grace_hours": 24,
            "window_days": 62,
        },
    )
    admin.post(
        "/reconciliation/configuration/",
        {"add_rate": "1", "currency": "sek", "valid_from": "2026-01-01", "rate": "0.0925"},
    )
    admin.post(
        "/reconciliation/configuration/", {"add_market": "1", "centra_id": 2, "name": "Nordics"}
    )
    changes = list(ConfigChange.objects.order_by("pk"))
    assert [(c.area, c.action, c.actor_name) for c in changes] == [
        ("reconciliation_settings", "updated", "admin-persona"),
        ("currency_rate", "updated", "admin-persona"),
        ("centra_market", "created", "admin-persona"),
    ]
    assert (changes[0].before["unit_tolerance"], changes[0].after["unit_tolerance"]) == ("0", "3")
    assert (changes[1].before["rate"], changes[1].after["rate"]) == ("0.09000000", "0.0925")
    assert changes[2].after == {"centra_id": "2", "name": "Nordics"}
    page = client_for("finance").get("/reconciliation/configuration/")
    assert "Created centra_market 2" in page.content.decode()
    market = CentraMarket.objects.get()
    admin.post("/reconciliation/configuration/", {"delete_market": market.pk})
    assert ConfigChange.objects.order_by("pk").last().action == "deleted"
    assert not CentraMarket.objects.exists()


def test_a_market_change_has_every_order_read_again(markets, client_for):
    Order.objects.update(finance_read_at=APRIL)
    client_for("admin").post(
        "/reconciliation/configuration/", {"add_market": "1", "centra_id": 3, "name": "UK"}
    )
    assert not Order.objects.filter(finance_read_at__isnull=False).exists()

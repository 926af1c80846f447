"""The arithmetic of both sides on hand-built ledgers: currencies and rates, partial and
whole cancellations, returns across a month end, and the brand's day boundary."""

import io
from datetime import date
from decimal import Decimal

import pytest

from reconciliation.day_skus import day_sku_rows
from reconciliation.figures import DAY_FIGURES, LEDGER_FIGURES
from reconciliation.models import DayOrders, DayTotals, Discrepancy, OrderBalance
from reconciliation.selectors import Filters, month_overview
from reconciliation.services import reconciliation_compute
from tests.reconciliation.conftest import at, day_sku

MARCH, APRIL = date(2026, 3, 1), date(2026, 4, 1)


def compute(first=date(2026, 3, 1), last=date(2026, 4, 30)):
    return reconciliation_compute(start_day=first, end_day=last)


def figures(row) -> dict:
    """The figures in units and the order's currency of a computed row."""
    return {name: getattr(row, name) for name in LEDGER_FIGURES}


def test_partial_cancellation_counts_on_both_sides_and_agrees(ledger):
    ledger.order(
        1,
        at("2026-03-10 12:00"),
        ledger.line("a", qty=2, price="10.00", cancelled=1),
        ledger.line("b", qty=1, price="5.50"),
    )
    ledger.ip_takes_everything()
    compute()
    assert figures(day_sku(date(2026, 3, 10), "SKU-A")) == {
        "c_units_ordered": 3,
        "c_units_cancelled": 1,
        "c_units_returned": 0,
        "c_gross": Decimal("30.00"),
        "c_cancelled_value": Decimal("10.00"),
        "c_returned_value": Decimal("0.00"),
        "h_units_published": 2,
        "h_units_taken": 2,
        "h_units_released": 0,  # a partial cancellation is released by the lower quantity
        "h_units_returned_published": 0,
        "h_units_returned": 0,
        "h_value_taken": Decimal("20.00"),
        "h_returned_value": Decimal("0.00"),
    }
    assert figures(OrderBalance.objects.get(order_number="1"))["c_gross"] == Decimal("35.50")
    assert figures(OrderBalance.objects.get(order_number="1"))["h_value_taken"] == Decimal("25.50")
    assert Discrepancy.objects.count() == 0


def test_whole_order_cancelled_is_released_in_ip(ledger):
    ledger.order(
        2,
        at("2026-03-11 09:00"),
        ledger.line("a", qty=0, price="10.00", cancelled=3),
        status="CANCELLED",
    )
    ledger.ip_takes_everything()
    compute()
    row = figures(day_sku(date(2026, 3, 11), "SKU-A"))
    assert (row["c_units_ordered"], row["c_units_cancelled"], row["c_gross"]) == (
        3,
        3,
        Decimal("30.00"),
    )
    assert (row["h_units_published"], row["h_units_taken"], row["h_units_released"]) == (0, 0, 3)
    day = DayOrders.objects.get(day=date(2026, 3, 11))
    assert (day.orders, day.orders_cancelled) == (1, 1)
    assert Discrepancy.objects.count() == 0


def test_a_days_sku_rows_add_up_to_its_stored_totals(ledger):
    ledger.order(
        11,
        at("2026-03-12 10:00"),
        ledger.line("a", qty=2, price="10.00", cancelled=1),
        ledger.line("b", qty=1, price="5.50", returned=1),
    )
    ledger.order(
        12, at("2026-03-12 11:00"), ledger.line("a", qty=3, price="333.33"), currency="SEK"
    )
    ledger.ip_takes_everything()
    compute()
    rows = day_sku_rows(date(2026, 3, 12))
    assert sorted((r["sku"], r["currency"]) for r in rows) == [
        ("SKU-A", "EUR"),
        ("SKU-A", "SEK"),
        ("SKU-B", "EUR"),
    ]
    totals = DayTotals.objects.filter(day=date(2026, 3, 12))
    for name in DAY_FIGURES:
        stored = sum(getattr(row, name) for row in totals)
        assert sum(row[name] for row in rows) == stored, name


def test_currencies_convert_to_base_with_the_rate_valid_on_the_day(ledger):
    ledger.order(3, at("2026-03-31 12:00"), ledger.line("a", qty=1, price="100.00"))
    ledger.order(
        4, at("2026-03-31 13:00"), ledger.line("a", qty=1, price="1000.00"), currency="SEK"
    )
    ledger.order(
        5, at("2026-04-01 13:00"), ledger.line("a", qty=1, price="1000.00"), currency="SEK"
    )
    ledger.ip_takes_everything()
    compute()
    march = {row["day"]: row for row in month_overview(month=MARCH, filters=Filters()).rows}
    assert march[date(2026, 3, 31)]["c_net"] == Decimal("1100.00")  # mixed currencies, raw
    assert march[date(2026, 3, 31)]["c_net_base"] == Decimal("190.00")  # 100 + 1000 x 0.09
    assert march[date(2026, 3, 31)]["h_net_base"] == Decimal("190.00")
    assert march[date(2026, 3, 31)]["net_diff_base"] == Decimal("0.00")
    april = {row["day"]: row for row in month_overview(month=APRIL, filters=Filters()).rows}
    assert april[date(2026, 4, 1)]["c_net_base"] == Decimal("100.00")  # 1000 x 0.10
    only_sek = month_overview(month=MARCH, filters=Filters(currency="SEK")).rows
    assert [(row["day"], row["c_net"], row["orders"]) for row in only_sek] == [
        (date(2026, 3, 31), Decimal("1000.00"), 1)
    ]


def test_a_return_booked_next_month_balances_its_order_and_shows_both_date_bases(ledger):
    order = ledger.order(
        6, at("2026-03-30 15:00"), ledger.line("b", qty=2, price="40.00", returned=1)
    )
    ledger.return_row(order, "SKU-B", units=1, price="40.00", when=at("2026-04-02 10:00"))
    ledger.ip_takes_everything()
    compute()
    march_day = figures(day_sku(date(2026, 3, 30), "SKU-B"))
    april_day = figures(day_sku(date(2026, 4, 2), "SKU-B"))
    assert (march_day["c_units_returned"], march_day["h_units_returned"]) == (1, 0)
    assert (april_day["c_units_returned"], april_day["h_units_returned"]) == (0, 1)
    assert april_day["h_returned_value"] == Decimal("40.00")
    balance = figures(OrderBalance.objects.get(order_number="6"))
    assert (balance["c_units_returned"], balance["h_units_returned"]) == (1, 1)
    assert Discrepancy.objects.count() == 0
    march = {row["day"]: row for row in month_overview(month=MARCH, filters=Filters()).rows}
    assert march[date(2026, 3, 30)]["returned_diff"] == 1
    assert march[date(2026, 3, 30)]["status"] == "ok"  # the order balances; dates differ


def test_days_follow_the_brand_time_zone(ledger):
    ledger.order(7, at("2026-03-31 23:30"), ledger.line("a", qty=1, price="10.00"))
    ledger.order(8, at("2026-04-01 00:30"), ledger.line("a", qty=1, price="10.00"))  # UTC: Mar 31
    ledger.ip_takes_everything()
    compute()
    assert list(DayOrders.objects.values_list("day", "orders").order_by("day")) == [
        (date(2026, 3, 31), 1),
        (date(2026, 4, 1), 1),
    ]


def test_days_in_utc_when_the_brand_says_so(ledger):
    from reconciliation.models import ReconciliationSettings

    ReconciliationSettings.objects.filter(pk=1).update(time_zone="UTC")
    ledger.order(7, at("2026-03-31 23:30"), ledger.line("a", qty=1, price="10.00"))
    ledger.order(8, at("2026-04-01 00:30"), ledger.line("a", qty=1, price="10.00"))
    ledger.ip_takes_everything()
    compute()
    assert list(DayOrders.objects.values_list("day", "orders")) == [(date(2026, 3, 31), 2)]
    assert day_sku(date(2026, 3, 31), "SKU-A").c_units_ordered == 2


def test_recomputing_a_window_replaces_it_and_leaves_other_days_alone(ledger):
    ledger.order(9, at("2026-03-05 10:00"), ledger.line("a", qty=1, price="10.00"))
    ledger.order(10, at("2026-03-20 10:00"), ledger.line("a", qty=1, price="10.00"))
    ledger.ip_takes_everything()
    compute()
    compute(first=date(2026, 3, 20), last=date(2026, 3, 20))
    assert list(DayTotals.objects.values_list("day", "c_units_ordered").order_by("day")) == [
        (date(2026, 3, 5), 1),
        (date(2026, 3, 20), 1),
    ]


def test_the_returns_flow_shows_on_centras_return_date(ledger):
    from tests.reconciliation.conftest import returns_flow

    order = ledger.order(
        30,
        at("2026-03-28 15:00"),
        ledger.line("b", qty=3, price="40.00", returned=2),
        currency="SEK",
    )
    returns_flow(
        order, sku="SKU-B", expected=2, passed=1, stocked_in=1, when=at("2026-04-03 09:00")
    )
    ledger.return_row(
        order, "SKU-B", units=1, price="40.00", when=order.order_date
    )  # as IP dates it
    ledger.ip_takes_everything()
    compute()
    april = day_sku(date(2026, 4, 3))
    assert (april.sku, april.currency, april.channel) == ("SKU-B", "SEK", "DTC")
    assert (april.r_units_returned, april.r_units_qc_passed, april.r_units_stocked_in) == (2, 1, 1)
    assert april.c_units_ordered == 0
    march = day_sku(date(2026, 3, 28))
    assert (march.c_units_returned, march.h_units_returned, march.r_units_returned) == (2, 1, 0)
    # Centra says 2 returned, the feed has 1 (QC failed the other): a discrepancy for finance.
    assert Discrepancy.objects.get().kinds == "returns_unpublished"
    row = {r["day"]: r for r in month_overview(month=APRIL, filters=Filters()).rows}[
        date(2026, 4, 3)
    ]
    assert (row["r_units_returned"], row["r_units_stocked_in"]) == (2, 1)


def test_the_scheduled_task_computes_the_configured_window(ledger):
    from centra_ip.schedules import SCHEDULES
    from reconciliation.tasks import compute as task

    assert [s.func for s in SCHEDULES if s.name == "reconciliation"] == [
        "reconciliation.tasks.compute"
    ]
    ledger.order(40, at("2026-03-10 12:00"), ledger.line("a", qty=1, price="10.00"))
    counts = task()  # today is far past March: the 62-day window does not reach it
    assert (counts["scope"], counts["days"]) == ("window", 63)
    run = counts["runs"][0]
    assert (run["day_total_rows"], run["discrepancies_found"]) == (0, 0)


def test_the_command_recomputes_the_given_days(ledger):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    ledger.order(41, at("2026-03-10 12:00"), ledger.line("zz", qty=1, price="10.00"))
    out = io.StringIO()
    call_command("reconcile", "--from", "2026-03-01", "--to", "2026-03-31", stdout=out)
    assert (
        out.getvalue()
        == "reconciled 2026-03-01..2026-03-31: 1 discrepancies, 1 raised, 0 cleared\n"
    )
    with pytest.raises(CommandError):
        call_command("reconcile", "--from", "2026-03-01")
    assert DayTotals.objects.filter(day=date(2026, 3, 10)).count() == 1

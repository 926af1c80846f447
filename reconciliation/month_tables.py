"""What the month page shows beside its table of days: the refunds Centra booked, the
after-close adjustments of a closed month, the rates missing, and the filters' values."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Min, Sum
from django.utils import timezone

from reconciliation.config import brand_zone, month_bounds, reconciliation_settings
from reconciliation.models import CurrencyRate, DayOrders
from reconciliation.reports import Column, Filters, ReportTable
from reconciliation.selectors import SLICE_COLUMNS
from returns.models import ExpectedReturn, ReturnLine
from syncs.models import Order, OrderLine


def refunds_booked(*, month: date, filters: Filters) -> ReportTable:
    """Centra's own refund figures for the month's returns (by Centra's return date), per
    market and currency: the returned items as Centra booked them, the rest of each return's
    total apart (shipping, handling, minus return costs), and the total in base currency at
    the return's own rate (else the rates table). Returns whose figures are not read are
    counted and valued at units x the order line's price, labelled as such."""
    zone = brand_zone(reconciliation_settings())
    first, last = month_bounds(month)
    start = datetime.combine(first, time.min, tzinfo=zone)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone)
    returns = (
        ExpectedReturn.objects.filter(centra_created_at__gte=start, centra_created_at__lt=end)
        .prefetch_related("lines")
        .order_by("centra_id")
    )
    orders = {
        str(o["number"]): o
        for o in Order.objects.filter(
            number__in=[
                int(n) for n in returns.values_list("order_number", flat=True) if n.isdigit()
            ]
        ).values("number", "currency", "store_type", "market", "store_name", "currency_base_rate")
    }
    prices = dict(
        OrderLine.objects.filter(
            centra_line_id__in=ReturnLine.objects.filter(expected_return__in=returns).values(
                "centra_order_line_id"
            )
        ).values_list("centra_line_id", "unit_price")
    )
    groups: dict[tuple, dict] = {}
    for ret in returns:
        order = orders.get(ret.order_number, {})
        slices = {
            "market": order.get("market", ""),
            "store": order.get("store_name", ""),
            "currency": ret.centra_currency or order.get("currency", ""),
            "channel": order.get("store_type", ""),
        }
        if any(value and slices[name] != value for name, value in vars(filters).items()):
            continue
        row = groups.setdefault(
            (slices["market"], slices["currency"]),
            {
                "market": slices["market"],
                "currency": slices["currency"],
                "returns": 0,
                "returns_booked": 0,
                "refund_items": Decimal(0),
                "refund_other": Decimal(0),
                "refund_total": Decimal(0),
                "refund_base": Decimal(0),
                "returns_estimated": 0,
                "estimated_value": Decimal(0),
            },
        )
        row["returns"] += 1
        lines = list(ret.lines.all())
        if ret.centra_grand_total is not None:
            items = sum((ln.centra_line_value or 0 for ln in lines), Decimal(0))
            row["returns_booked"] += 1
            row["refund_items"] += items
            row["refund_other"] += ret.centra_grand_total - items
            row["refund_total"] += ret.centra_grand_total
            rate = ret.centra_currency_base_rate or order.get("currency_base_rate")
            if rate is not None:
                row["refund_base"] += ret.centra_grand_total * rate
        else:
            row["returns_estimated"] += 1
            row["estimated_value"] += sum(
                (ln.quantity * prices.get(ln.centra_order_line_id, 0) for ln in lines),
                Decimal(0),
            )
    columns = [
        Column("market", "Market", numeric=False),
        Column("currency", "Currency", numeric=False),
        Column("returns", "Returns"),
        Column("returns_booked", "With Centra's figures"),
        Column("refund_items", "Centra refunds: items"),
        Column("refund_other", "Centra refunds: shipping and other"),
        Column("refund_total", "Centra refunds: total"),
        Column("refund_base", "Centra refunds: total (base)"),
        Column("returns_estimated", "Returns without Centra's figures"),
        Column("estimated_value", "Their value at units x price (fallback)"),
    ]
    rows = [groups[key] for key in sorted(groups)]
    return ReportTable("refunds", columns, rows, title="Refunds booked by Centra")


def close_adjustments(*, record, filters: Filters) -> ReportTable | None:
    """The orders of a closed month changed since the close (None when not closed)."""
    if record is None or not record.closed:
        return None
    rows = [
        {
            "order": a.order_number,
            "day": a.day,
            "market": a.market,
            "store": a.store,
            "currency": a.currency,
            "channel": a.channel,
            "cause": a.cause,
            "units_sold_change": a.units_sold_change,
            "units_returned_change": a.units_returned_change,
            "c_net_change": a.c_net_change,
            "c_net_base_change": a.c_net_base_change,
            "h_net_change": a.h_net_change,
            "first_seen_at": timezone.localtime(a.first_seen_at).date(),
        }
        for a in record.adjustments.filter(filters.q())
    ]
    columns = [
        Column("order", "Order", numeric=False),
        Column("day", "Day", numeric=False),
        *SLICE_COLUMNS,
        Column("cause", "Cause", numeric=False),
        Column("units_sold_change", "Units sold change"),
        Column("units_returned_change", "Units returned change"),
        Column("c_net_change", "Centra net change"),
        Column("c_net_base_change", "Centra net change (base)"),
        Column("h_net_change", "IP net taken change"),
        Column("first_seen_at", "Seen after close on", numeric=False),
    ]
    return ReportTable("adjustments", columns, rows, title="After close adjustments")


def filter_choices(*, month: date) -> dict[str, list[str]]:
    """The values each filter can take in the month ("" = orders with no market/store)."""
    first, last = month_bounds(month)
    rows = DayOrders.objects.filter(day__gte=first, day__lte=last).order_by()
    return {
        name: sorted(set(rows.values_list(name, flat=True).distinct()) - {""})
        for name in ("market", "store", "currency", "channel")
    }


def missing_rates(*, month: date) -> list[str]:
    """Currencies of the month with orders that have no base-currency rate: no Centra
    ``currencyBaseRate`` in the ledger and no rates-table rate valid on their day."""
    first, last = month_bounds(month)
    earliest = dict(
        CurrencyRate.objects.order_by()
        .values("currency")
        .annotate(first=Min("valid_from"))
        .values_list("currency", "first")
    )
    unrated = (
        DayOrders.objects.filter(day__gte=first, day__lte=last, orders_unrated__gt=0)
        .exclude(currency=reconciliation_settings().base_currency)
        .order_by()
        .values("currency")
        .annotate(first=Min("day"))
    )
    return sorted(
        row["currency"]
        for row in unrated
        if row["currency"] not in earliest or earliest[row["currency"]] > row["first"]
    )


def unrated_orders(*, month: date) -> int:
    """Orders of the month still converted with the rates table (no Centra rate read)."""
    first, last = month_bounds(month)
    rows = DayOrders.objects.filter(day__gte=first, day__lte=last)
    return rows.aggregate(n=Sum("orders_unrated"))["n"] or 0

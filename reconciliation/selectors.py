"""What the finance screens read: the month's days, a day's SKUs and orders, a SKU's
orders and the discrepancies, each a ``ReportTable``. The month reads the computed tables
(``DayTotals``, ``DayOrders``, ``Discrepancy``): a few hundred rows however many lines it
had. A day's SKUs are computed when the day is opened and kept (``reconciliation.day_skus``).
"""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, ExpressionWrapper, F, Q, Sum, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from reconciliation.compute import SKU, balance_differences
from reconciliation.config import brand_zone, month_bounds, reconciliation_settings
from reconciliation.day_skus import day_sku_rows, keep_day_skus
from reconciliation.discrepancies import KINDS
from reconciliation.figures import MONEY
from reconciliation.ip_sales import ip_sales
from reconciliation.models import (
    DayOrders,
    DayTotals,
    Discrepancy,
    KeptDaySku,
    OrderBalance,
    ReconciliationRun,
)
from reconciliation.reports import Column, Filters, ReportTable
from syncs.models import OrderLine, SalesFeedRow


def _side_sums(*, base: bool):
    """The sums per group. Derived sums come first: once ``c_gross`` names an aggregate,
    ``F("c_gross")`` would mean the aggregate, not the column."""
    c_net = F("c_gross") - F("c_cancelled_value") - F("c_returned_value")
    h_net = F("h_value_taken") - F("h_returned_value")
    sums = {}
    if base:  # converted at each order's rate when the tables were computed
        sums["c_gross_base"] = Sum("c_gross_base")
        sums["c_net_base"] = Sum("c_net_base")
        sums["h_net_base"] = Sum("h_net_base")
    sums |= {
        "c_net": Sum(ExpressionWrapper(c_net, output_field=MONEY)),
        "h_net": Sum(ExpressionWrapper(h_net, output_field=MONEY)),
        "c_units_ordered": Sum("c_units_ordered"),
        "c_units_cancelled": Sum("c_units_cancelled"),
        "c_units_returned": Sum("c_units_returned"),
        "h_units_published": Sum("h_units_published"),
        "h_units_taken": Sum("h_units_taken"),
        "h_units_released": Sum("h_units_released"),
        "h_units_returned": Sum("h_units_returned"),
        "c_gross": Sum("c_gross"),
        "r_units_returned": Sum("r_units_returned"),
        "r_units_qc_passed": Sum("r_units_qc_passed"),
        "r_units_stocked_in": Sum("r_units_stocked_in"),
        "c_units_returned_estimated": Sum("c_units_returned_estimated"),
    }
    return sums


def _derive(row: dict) -> dict:
    """Differences: Centra minus hub/IP. Units sold = ordered - cancelled."""
    row["c_units_sold"] = row["c_units_ordered"] - row["c_units_cancelled"]
    row["units_diff"] = row["c_units_sold"] - row["h_units_taken"]
    row["h_units_net_taken"] = row["h_units_taken"] - row["h_units_returned"]
    row["returned_diff"] = row["c_units_returned"] - row["h_units_returned"]
    row["net_diff"] = (row["c_net"] or 0) - (row["h_net"] or 0)
    if "c_net_base" in row:
        row["net_diff_base"] = (row["c_net_base"] or 0) - (row["h_net_base"] or 0)
    return row


# --- Tables -----------------------------------------------------------------------------------

# What a reader needs first (review problem 13): the row, its units and money on both sides,
# the difference and the status; the other columns are one tick away.
SUMMARY = frozenset(
    {
        *("day", "sku", "order", "orders", "c_units_sold", "h_units_taken", "units_diff"),
        *("c_net_base", "h_net_base", "net_diff_base", "c_net", "h_net", "net_diff"),
        *("open", "status", "discrepancy"),
    }
)

UNIT_COLUMNS = [
    Column("c_units_sold", "Centra units sold"),
    Column("c_units_cancelled", "Centra units cancelled"),
    Column("c_units_returned", "Centra units returned (order date)"),
    Column("h_units_published", "Feed units published"),
    Column("h_units_taken", "IP units taken"),
    Column("h_units_released", "IP cancelled rows taken"),
    Column("h_units_returned", "IP units returned (feed date)"),
    Column("units_diff", "Units difference"),
    Column("returned_diff", "Returned difference"),
]

# IP's own figure (``orders_by_day``) next to what the feed says IP took, net of returns.
IP_COLUMNS = [
    Column("h_units_net_taken", "Feed net units taken (taken - returned)"),
    Column("ip_units", "IP's own sales (orders_by_day)"),
    Column("ip_diff", "IP's own minus feed net taken"),
]

SLICE_COLUMNS = [
    Column("market", "Market", numeric=False),
    Column("store", "Store", numeric=False),
    Column("currency", "Currency", numeric=False),
    Column("channel", "Channel", numeric=False),
]
# Returned units valued at units x price because Centra's own figure is not known (yet).
ESTIMATED_COLUMN = Column("c_units_returned_estimated", "Returned units at units x price")

# The other date basis: the returns flow by Centra's return date.
RETURN_DATE_COLUMNS = [
    Column("r_units_returned", "Centra returns (return date)"),
    Column("r_units_qc_passed", "QC passed (return date)"),
    Column("r_units_stocked_in", "Stocked in (return date)"),
]


def month_overview(*, month: date, filters: Filters) -> ReportTable:
    """Days as rows: orders, both sides' units and revenue, differences and status."""
    first, last = month_bounds(month)
    in_month = Q(day__gte=first, day__lte=last) & filters.q()
    figures = {
        row["day"]: row
        for row in DayTotals.objects.filter(in_month)
        .order_by()
        .values("day")
        .annotate(**_side_sums(base=True))
    }
    orders = {
        row["day"]: row
        for row in DayOrders.objects.filter(in_month)
        .order_by()
        .values("day")
        .annotate(orders=Sum("orders"), orders_cancelled=Sum("orders_cancelled"))
    }
    statuses = {
        row["day"]: row
        for row in Discrepancy.objects.filter(in_month)
        .order_by()
        .values("day")
        .annotate(
            open=Count("pk", filter=Q(status=Discrepancy.Status.OPEN)),
            explained=Count("pk", filter=Q(status=Discrepancy.Status.EXPLAINED)),
        )
    }
    settled_before = _settled_before()
    ip = ip_sales(first, last, filtered=filters.active, by_sku=False)
    shown_by_ip = set() if ip.filtered else {d for d, n in ip.units.items() if n}
    rows = []
    day = first
    while day <= last:
        row = figures.get(day)
        if row is not None or day in orders or day in shown_by_ip:
            row = _derive(row or _empty(day))
            row.update(orders.get(day, {"orders": 0, "orders_cancelled": 0}))
            counts = statuses.get(day, {"open": 0, "explained": 0})
            row["open"], row["explained"] = counts["open"], counts["explained"]
            ip.compare(row, day, day)
            row["status"] = _status(day, counts, settled_before, ip_differs=row["ip_differs"])
            row["day"] = day
            rows.append(row)
        day += timedelta(days=1)
    columns = [
        Column("day", "Day", numeric=False),
        Column("orders", "Orders"),
        Column("orders_cancelled", "Orders cancelled"),
        *UNIT_COLUMNS,
        *IP_COLUMNS,
        *RETURN_DATE_COLUMNS,
        Column("c_gross_base", "Centra gross (base)"),
        Column("c_net_base", "Centra net (base)"),
        Column("h_net_base", "IP net taken (base)"),
        Column("net_diff_base", "Net difference (base)"),
        ESTIMATED_COLUMN,
        Column("open", "Open discrepancies"),
        Column("status", "Status", numeric=False, badge=True),
    ]
    return ReportTable("month", columns, rows, summary=SUMMARY)


def _empty(day: date) -> dict:
    return {key: 0 for key in _side_sums(base=True)} | {"day": day}


def _status(day: date, counts: dict, settled_before: date, *, ip_differs: bool) -> str:
    """Order discrepancies first; IP's own figure only flags a settled day that is
    otherwise ok (it raises no ticket: see ``docs/reconciliation.md``)."""
    if counts["open"]:
        return "mismatch"
    if counts["explained"]:
        return "explained"
    if day >= settled_before:
        return "pending"
    if ip_differs:
        return "ip-differs"
    return "ok"


def _settled_before() -> date:
    config = reconciliation_settings()
    now = timezone.now()
    return (now - timedelta(hours=config.grace_hours)).astimezone(brand_zone(config)).date()


def _differs(row: dict) -> bool:
    return bool(
        row["units_diff"]
        or row["returned_diff"]
        or row.get("net_diff_base")
        or row.get("ip_differs")
    )


def _sum_by_sku(rows) -> list[dict]:
    """A day's rows per SKU and slice summed per SKU, with the sums ``_side_sums`` gives."""
    by_sku: dict[str, dict] = {}
    names = list(_side_sums(base=True))  # once: building the expressions per row cost seconds
    for row in rows:
        sums = by_sku.get(row["sku"])
        if sums is None:
            sums = by_sku[row["sku"]] = dict.fromkeys(names, 0)
        for key in sums:
            sums[key] += row.get(key, 0)
        sums["c_net"] += row["c_gross"] - row["c_cancelled_value"] - row["c_returned_value"]
        sums["h_net"] += row["h_value_taken"] - row["h_returned_value"]
    return [{"sku": sku, **sums} for sku, sums in by_sku.items()]


def day_skus(*, day: date, filters: Filters, only_differences: bool) -> ReportTable:
    """One day's SKUs, differences first, then by SKU; ``only_differences`` keeps the page
    short on a busy day (thousands of SKUs), the export follows the same choice."""
    ip = ip_sales(day, day, filtered=filters.active, by_sku=True)
    run = keep_day_skus(day)
    if run is None:  # never computed: nothing kept, computed for this opening only
        rows = _sum_by_sku(
            row
            for row in day_sku_rows(day)
            if all(not value or row[name] == value for name, value in vars(filters).items())
        )
    else:
        kept = KeptDaySku.objects.filter(Q(day=day, run=run) & filters.q())
        rows = list(kept.order_by().values("sku").annotate(**_side_sums(base=True)))
    if not ip.filtered:  # SKUs IP says sold that day while the feed has nothing for them
        listed = {row["sku"] for row in rows}
        rows += [
            _empty(day) | {"sku": sku} for sku, n in ip.units.items() if n and sku not in listed
        ]
    rows = [ip.compare(_derive(row), day, row["sku"]) for row in rows]
    if only_differences:
        rows = [row for row in rows if _differs(row)]
    rows.sort(key=lambda r: (not _differs(r), r["sku"]))
    columns = [
        Column("sku", "SKU", numeric=False),
        *UNIT_COLUMNS,
        *IP_COLUMNS,
        *RETURN_DATE_COLUMNS,
        Column("c_net_base", "Centra net (base)"),
        Column("h_net_base", "IP net taken (base)"),
        Column("net_diff_base", "Net difference (base)"),
    ]
    return ReportTable("skus", columns, rows, summary=SUMMARY)


def sku_orders(*, day: date, sku: str, filters: Filters) -> ReportTable:
    """The orders of one day with this SKU: both sides per order for this SKU only."""
    config = reconciliation_settings()
    zone = brand_zone(config)
    start = datetime.combine(day, time.min, tzinfo=zone)
    end = start + timedelta(days=1)
    order_filter = Q(order__order_date__gte=start, order__order_date__lt=end) & filters.order_q()
    centra = (
        OrderLine.objects.filter(order_filter)
        .annotate(key=SKU)
        .filter(key=sku)
        .order_by()
        .values(
            "order_id",
            "order__number",
            "order__currency",
            "order__store_type",
            "order__market",
            "order__store_name",
        )
        .annotate(
            c_units_ordered=Sum(F("quantity") + F("cancelled_quantity")),
            c_units_cancelled=Sum("cancelled_quantity"),
            c_units_returned=Sum("returned_quantity"),
            c_net=Sum(  # returned units at Centra's figure, else units x price (as computed)
                ExpressionWrapper(
                    F("quantity") * F("unit_price")
                    - F("refunded_value")
                    - Greatest(F("returned_quantity") - F("refunded_units"), Value(0))
                    * F("unit_price"),
                    output_field=MONEY,
                )
            ),
            parked=Count("pk", filter=Q(parked=True)),
        )
    )
    by_order = {row["order_id"]: row for row in centra}
    through = (
        ReconciliationRun.objects.order_by("-started_at")
        .values_list("feed_taken_through", flat=True)
        .first()
    )
    taken = Q(changed_at__lte=through) if through else Q(pk__in=[])
    sale, ret = Q(source="order_line"), Q(source="return_line")
    hub = (
        SalesFeedRow.objects.filter(order_id__in=list(by_order), sku=sku)
        .order_by()
        .values("order_id")
        .annotate(
            h_units_published=Coalesce(Sum("quantity", filter=sale & Q(cancelled=False)), 0),
            h_units_taken=Coalesce(Sum("quantity", filter=sale & Q(cancelled=False) & taken), 0),
            h_units_released=Coalesce(Sum("quantity", filter=sale & Q(cancelled=True) & taken), 0),
            h_units_returned=Coalesce(Sum(-F("quantity"), filter=ret & taken), 0),
            h_net=Sum(
                ExpressionWrapper(F("quantity") * F("price"), output_field=MONEY),
                filter=(sale & Q(cancelled=False) & taken) | (ret & taken),
            ),
        )
    )
    hub_by_order = {row["order_id"]: row for row in hub}
    statuses = dict(
        Discrepancy.objects.filter(
            order_number__in=[str(r["order__number"]) for r in centra]
        ).values_list("order_number", "status")
    )
    rows = []
    for order_id, row in by_order.items():
        empty = {
            "h_units_published": 0,
            "h_units_taken": 0,
            "h_units_released": 0,
            "h_units_returned": 0,
            "h_net": Decimal(0),
        }
        row.update(hub_by_order.get(order_id, empty))
        row["order"] = str(row.pop("order__number"))
        row["currency"] = row.pop("order__currency")
        row["channel"] = row.pop("order__store_type")
        row["market"] = row.pop("order__market")
        row["store"] = row.pop("order__store_name")
        row["discrepancy"] = statuses.get(row["order"], "")
        rows.append(_derive(row))
    rows.sort(key=lambda r: (r["units_diff"] == 0 and r["returned_diff"] == 0, int(r["order"])))
    columns = [
        Column("order", "Order", numeric=False),
        *SLICE_COLUMNS,
        *UNIT_COLUMNS,
        Column("parked", "Parked lines"),
        Column("c_net", "Centra net"),
        Column("h_net", "IP net taken"),
        Column("net_diff", "Net difference"),
        Column("discrepancy", "Discrepancy", numeric=False, badge=True),
    ]
    return ReportTable("orders", columns, rows, summary=SUMMARY)


def day_discrepancies(*, day: date, filters: Filters) -> tuple[ReportTable, list[Discrepancy]]:
    """The orders behind a day's mismatch (every status), and the objects for the forms."""
    items = list(
        Discrepancy.objects.filter(Q(day=day) & filters.q())
        .select_related("explained_by")
        .order_by("status", "order_number", "pk")
    )
    rows = [
        {
            "order": d.order_number,
            "market": d.market,
            "store": d.store,
            "currency": d.currency,
            "channel": d.channel,
            "kinds": "; ".join(KINDS[k] for k in d.kinds.split(",")),
            "skus": " ".join(d.skus),
            "c_units": d.c_units,
            "h_units": d.h_units,
            "c_units_returned": d.c_units_returned,
            "h_units_returned": d.h_units_returned,
            "c_value": d.c_value,
            "h_value": d.h_value,
            "value_diff_base": d.value_diff_base,
            "status": d.status,
            "explained": (
                f"{d.explained_by.get_username() if d.explained_by else ''}: {d.explained_note}"
                if d.status == Discrepancy.Status.EXPLAINED
                else ""
            ),
            "pk": d.pk,
        }
        for d in items
    ]
    columns = [
        Column("order", "Order", numeric=False),
        *SLICE_COLUMNS,
        Column("kinds", "What differs", numeric=False),
        Column("skus", "SKUs", numeric=False),
        Column("c_units", "Centra units sold"),
        Column("h_units", "IP units taken"),
        Column("c_units_returned", "Centra units returned"),
        Column("h_units_returned", "IP units returned"),
        Column("c_value", "Centra net"),
        Column("h_value", "IP net taken"),
        Column("value_diff_base", "Difference (base)"),
        Column("status", "Status", numeric=False, badge=True),
        Column("explained", "Explanation", numeric=False),
    ]
    return ReportTable("discrepancies", columns, rows), items


def order_balances(*, day: date, filters: Filters, only_differences: bool) -> ReportTable:
    """Every order of a day with both sides (all SKUs): the ledger behind the day's totals."""

    qs = balance_differences(OrderBalance.objects.filter(Q(day=day) & filters.q()))
    if only_differences:
        qs = qs.exclude(unit_diff=0, returned_diff=0, value_diff=0)
    rows = []
    for b in qs.order_by("order_id", "pk").values():
        rows.append(
            {
                "order": b["order_number"],
                "market": b["market"],
                "store": b["store"],
                "currency": b["currency"],
                "channel": b["channel"],
                "c_units_sold": b["c_units_ordered"] - b["c_units_cancelled"],
                "h_units_taken": b["h_units_taken"],
                "units_diff": b["unit_diff"],
                "returned_diff": b["returned_diff"],
                "value_diff": b["value_diff"],
                "value_diff_base": b["value_diff_base"],
            }
        )
    columns = [
        Column("order", "Order", numeric=False),
        *SLICE_COLUMNS,
        Column("c_units_sold", "Centra units sold"),
        Column("h_units_taken", "IP units taken"),
        Column("units_diff", "Units difference"),
        Column("returned_diff", "Returned difference"),
        Column("value_diff", "Net difference"),
        Column("value_diff_base", "Net difference (base)"),
    ]
    return ReportTable("orders", columns, rows, summary=SUMMARY)

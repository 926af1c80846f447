"""What the finance screens read: every table is a handful of aggregate queries over the
computed tables (``DaySku``, ``DayOrders``, ``OrderBalance``, ``Discrepancy``), so a month of
a million order lines reads a few thousand rows.

Each table is declared once (``Table``: columns and rows) and rendered twice, as HTML and as
CSV, so the export is the screen by construction.
"""

import calendar
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Min, Q, Sum, Value
from django.db.models.functions import Abs, Coalesce, Greatest, NullIf
from django.utils import timezone

from centra_ip.exports import csv_text
from reconciliation.models import (
    CurrencyRate,
    DayOrders,
    DaySku,
    DayTotals,
    Discrepancy,
    IpDailySales,
    IpSalesRead,
    OrderBalance,
    ReconciliationRun,
)
from reconciliation.services import (
    KINDS,
    balance_differences,
    brand_zone,
    day_start,
    reconciliation_settings,
)
from returns.models import ExpectedReturn, ReturnLine
from syncs.models import FeedDelivery, Order, OrderLine, SalesFeedRow
from syncs.services import stream_last_successes
from syncs.streams import ORDERS, RETURNS

MONEY = DecimalField(max_digits=18, decimal_places=2)
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Filters:
    """The slices finance filters by: Centra's market and store (from the order ledger's
    finance fields), the order currency and the channel (store type). Every computed table
    carries all four, so a filter applies the same on every screen and export."""

    market: str = ""
    store: str = ""
    currency: str = ""
    channel: str = ""

    def q(self, prefix: str = "") -> Q:
        q = Q()
        for name, value in vars(self).items():
            if value:
                q &= Q(**{f"{prefix}{name}": value})
        return q

    def order_q(self) -> Q:
        """The same filter on order lines (through their order)."""
        fields = {
            "market": "market",
            "store": "store_name",
            "currency": "currency",
            "channel": "store_type",
        }
        q = Q()
        for name, value in vars(self).items():
            if value:
                q &= Q(**{f"order__{fields[name]}": value})
        return q

    @property
    def active(self) -> bool:
        return any(vars(self).values())


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    numeric: bool = True
    badge: bool = False  # a status word, shown as a badge


@dataclass
class Table:
    """Columns and rows (dicts keyed by column key); ``links`` maps a column to a row's URL."""

    name: str
    columns: list[Column]
    rows: list[dict]
    links: dict[str, Callable[[dict], str]] = field(default_factory=dict)
    title: str = ""  # the XLSX sheet's name ("" = ``name``)
    # The columns of the summary view (the page shows these until "all columns" is ticked;
    # exports always carry every column); empty: no summary, every column shows.
    summary: frozenset = frozenset()

    def is_extra(self, column: Column) -> bool:
        return bool(self.summary) and column.key not in self.summary

    def header(self):
        """(column, css class) for the template's header row."""
        for c in self.columns:
            yield c, " ".join(x for x in ("num" if c.numeric else "", self._extra(c)) if x)

    def _extra(self, column: Column) -> str:
        return "extra" if self.is_extra(column) else ""

    def cells(self):
        """Rows as (row, [(text, url, css class, badge)]) for the template, decided here once
        so the template does no per-cell logic (a day can have thousands of rows)."""
        header = list(self.header())
        for row in self.rows:
            yield (
                row,
                [
                    (
                        _text(row.get(c.key)),
                        self.links[c.key](row) if c.key in self.links else "",
                        css,
                        c.badge,
                    )
                    for c, css in header
                ],
            )

    def csv_rows(self):
        yield [c.title for c in self.columns]
        for row in self.rows:
            yield [_csv_text(row.get(c.key)) for c in self.columns]

    def xlsx_sheet(self) -> tuple[str, list[str], list[list]]:
        """The table as typed cells: numbers (Decimal, int), dates and text as they are."""
        return (
            self.title or self.name,
            [c.title for c in self.columns],
            [[_typed(row.get(c.key)) for c in self.columns] for row in self.rows],
        )


def _csv_text(value) -> str:
    """As on screen, but text from outside (a SKU) cannot run as a spreadsheet formula."""
    return csv_text(value) if isinstance(value, str) else _text(value)


def _typed(value):
    """An XLSX cell value: money rounded to cents, other numbers and dates unchanged."""
    if isinstance(value, Decimal):
        return value.quantize(CENT)
    return "" if value is None else value


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return str(value.quantize(CENT))
    return str(value)


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


def month_bounds(month: date) -> tuple[date, date]:
    first = month.replace(day=1)
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    return first, last


@dataclass(frozen=True)
class Pending:
    """The days still inside the grace period: computed and shown, never raised."""

    first_day: date  # this day and every later one are pending
    settles_at: datetime  # when ``first_day`` leaves the grace period
    grace_hours: int


def pending_days(config, now: datetime | None = None) -> Pending:
    """From which day differences are still pending, and when that day settles (the rule of
    ``reconciliation.services``: a day younger than the grace period is never raised)."""
    zone = brand_zone(config)
    grace = timedelta(hours=config.grace_hours)
    first = ((now or timezone.now()) - grace).astimezone(zone).date()
    settles = day_start(first + timedelta(days=1), zone) + grace
    return Pending(first_day=first, settles_at=settles, grace_hours=config.grace_hours)


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
NOT_READ = "not read"
FILTERED = "n/a (filtered)"


@dataclass(frozen=True)
class IpSales:
    """IP's own units for some days (per day, or per SKU of one day) and which days were
    read: a day whose latest read failed, or that no read covered, is "not read"."""

    units: dict
    read: set[date]
    filtered: bool  # IP's figure has no currency or channel: it compares only unfiltered
    tolerance: int

    def compare(self, row: dict, day: date, key) -> dict:
        if self.filtered or day not in self.read:
            row["ip_units"], row["ip_diff"] = (FILTERED if self.filtered else NOT_READ), ""
            row["ip_differs"] = False
        else:
            row["ip_units"] = self.units.get(key, 0)
            row["ip_diff"] = row["ip_units"] - row["h_units_net_taken"]
            row["ip_differs"] = abs(row["ip_diff"]) > self.tolerance
        return row


def _ip_days_read(first: date, last: date) -> set[date]:
    """Days of ``first..last`` whose latest covering read succeeded (newest reads first,
    stopping once every day is decided)."""
    decided: dict[date, bool] = {}
    wanted = (last - first).days + 1
    reads = (
        IpSalesRead.objects.filter(period_start__lte=last, period_end__gte=first)
        .order_by("-started_at", "-pk")
        .values_list("period_start", "period_end", "ok")
    )
    for start, end, ok in reads.iterator():
        day = max(start, first)
        while day <= min(end, last):
            decided.setdefault(day, ok)
            day += timedelta(days=1)
        if len(decided) == wanted:
            break
    return {day for day, ok in decided.items() if ok}


def _ip_sales(first: date, last: date, filters: Filters, *, by_sku: bool) -> IpSales:
    rows = IpDailySales.objects.filter(day__gte=first, day__lte=last).order_by()
    if by_sku:
        units = dict(rows.values_list("sku", "units"))
    else:
        units = dict(rows.values("day").annotate(n=Sum("units")).values_list("day", "n"))
    return IpSales(
        units=units,
        read=_ip_days_read(first, last),
        filtered=filters.active,
        tolerance=reconciliation_settings().unit_tolerance,
    )


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


def month_overview(*, month: date, filters: Filters) -> Table:
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
    ip = _ip_sales(first, last, filters, by_sku=False)
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
    return Table("month", columns, rows, summary=SUMMARY)


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


def day_skus(*, day: date, filters: Filters, only_differences: bool) -> Table:
    """One day's SKUs, differences first, then by SKU; ``only_differences`` keeps the page
    short on a busy day (thousands of SKUs), the export follows the same choice."""
    ip = _ip_sales(day, day, filters, by_sku=True)
    rows = list(
        DaySku.objects.filter(Q(day=day) & filters.q())
        .order_by()
        .values("sku")
        .annotate(**_side_sums(base=True))
    )
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
    return Table("skus", columns, rows, summary=SUMMARY)


def sku_orders(*, day: date, sku: str, filters: Filters) -> Table:
    """The orders of one day with this SKU: both sides per order for this SKU only."""
    config = reconciliation_settings()
    zone = brand_zone(config)
    start = datetime.combine(day, time.min, tzinfo=zone)
    end = start + timedelta(days=1)
    order_filter = Q(order__order_date__gte=start, order__order_date__lt=end) & filters.order_q()
    centra = (
        OrderLine.objects.filter(order_filter)
        .annotate(key=Coalesce(NullIf("ip_sku", Value("")), "centra_sku"))
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
    return Table("orders", columns, rows, summary=SUMMARY)


def day_discrepancies(*, day: date, filters: Filters) -> tuple[Table, list[Discrepancy]]:
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
    return Table("discrepancies", columns, rows), items


def order_balances(*, day: date, filters: Filters, only_differences: bool) -> Table:
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
    return Table("orders", columns, rows, summary=SUMMARY)


# --- Refunds Centra booked, and the month's close --------------------------------------------


def refunds_booked(*, month: date, filters: Filters) -> Table:
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
    return Table("refunds", columns, rows, title="Refunds booked by Centra")


def close_adjustments(*, record, filters: Filters) -> Table | None:
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
    return Table("adjustments", columns, rows, title="After close adjustments")


# --- Debt, freshness, filters -----------------------------------------------------------------


@dataclass(frozen=True)
class Debt:
    count: int
    value: Decimal
    unconverted: int  # open discrepancies with no base-currency rate
    oldest_days: int | None
    buckets: dict[str, int]


AGE_BUCKETS = (
    ("0-2 days", 0, 3),
    ("3-7 days", 3, 8),
    ("8-30 days", 8, 31),
    ("over 30 days", 31, None),
)


def debt_now(*, now: datetime | None = None) -> Debt:
    """Open discrepancies: how many, their absolute base-currency value, their age by the
    order's day (what finance settles on), in one query."""
    now = now or timezone.now()
    today = now.astimezone(brand_zone(reconciliation_settings())).date()
    aggregates = {
        "count": Count("pk"),
        "value": Coalesce(Sum(Abs("value_diff_base")), Decimal(0), output_field=MONEY),
        "unconverted": Count("pk", filter=Q(value_diff_base__isnull=True)),
        "oldest": Min("day"),
    }
    for index, (_, low, high) in enumerate(AGE_BUCKETS):
        q = Q(day__lte=today - timedelta(days=low))
        if high is not None:
            q &= Q(day__gt=today - timedelta(days=high))
        aggregates[f"age{index}"] = Count("pk", filter=q)
    row = Discrepancy.objects.filter(status=Discrepancy.Status.OPEN).aggregate(**aggregates)
    return Debt(
        count=row["count"],
        value=row["value"],
        unconverted=row["unconverted"],
        oldest_days=(today - row["oldest"]).days if row["oldest"] else None,
        buckets={label: row[f"age{index}"] for index, (label, _, _) in enumerate(AGE_BUCKETS)},
    )


def debt_trend(*, now: datetime | None = None, days: int = 30) -> list[dict]:
    """Open debt at the end of each of the last ``days`` days, rebuilt from the discrepancies'
    own timestamps (seen, cleared, explained) in one query; no snapshots to keep."""
    now = now or timezone.now()
    zone = brand_zone(reconciliation_settings())
    today = now.astimezone(zone).date()
    ends = [
        datetime.combine(today - timedelta(days=n), time.min, tzinfo=zone) + timedelta(days=1)
        for n in range(days - 1, -1, -1)
    ]
    aggregates = {}
    for index, end in enumerate(ends):
        open_then = (
            Q(first_seen_at__lt=end)
            & (Q(cleared_at__isnull=True) | Q(cleared_at__gte=end))
            & (Q(explained_at__isnull=True) | Q(explained_at__gte=end))
        )
        aggregates[f"n{index}"] = Count("pk", filter=open_then)
        aggregates[f"v{index}"] = Sum(Abs("value_diff_base"), filter=open_then)
    row = Discrepancy.objects.aggregate(**aggregates)
    return [
        {
            "day": (end - timedelta(days=1)).date(),
            "count": row[f"n{index}"],
            "value": row[f"v{index}"] or Decimal(0),
        }
        for index, end in enumerate(ends)
    ]


@dataclass(frozen=True)
class Freshness:
    source: str
    at: datetime | None
    note: str


def freshness() -> list[Freshness]:
    """How old each source's data is: Centra orders, IP's last fetch, returns, the computation."""
    last = stream_last_successes()
    fetch = (
        FeedDelivery.objects.filter(status=FeedDelivery.Status.COMPLETE)
        .order_by("-served_through")
        .values("finished_at", "served_through")
        .first()
    )
    ip_read = IpSalesRead.objects.order_by("-started_at", "-pk").first()
    ip_ok = IpSalesRead.objects.filter(ok=True).order_by("-started_at", "-pk").first()
    if ip_read is None:
        ip_note = "never read"
    elif ip_read.ok:
        ip_note = (
            f"last read of IP's orders_by_day ({ip_read.period_start} to {ip_read.period_end})"
        )
    else:
        ip_note = (
            f"the last read failed at {timezone.localtime(ip_read.finished_at):%Y-%m-%d %H:%M}"
            f' ({ip_read.error}); its days show IP\'s own sales as "{NOT_READ}"'
        )
    runs = ReconciliationRun.objects.filter(finished_at__isnull=False)
    run = runs.order_by("-started_at").first()
    return [
        Freshness("Centra orders", last.get(ORDERS), "last successful orders sync"),
        Freshness(
            "IP feed",
            fetch["finished_at"] if fetch else None,
            "last complete fetch of the sales feed by IP",
        ),
        Freshness("IP's own sales", ip_ok.finished_at if ip_ok else None, ip_note),
        Freshness("Returns", last.get(RETURNS), "last successful returns sync"),
        Freshness(
            "Reconciliation",
            run.finished_at if run else None,
            _run_note(run),
        ),
    ]


def _run_note(run) -> str:
    if run is None:
        return "never run"
    if run.scope == ReconciliationRun.Scope.CHANGED and not run.counts.get("day_sku_rows"):
        return "last check: no input changed since the computation before"
    scope = run.get_scope_display().lower()
    return f"last computation ({run.period_start} to {run.period_end}, {scope})"


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

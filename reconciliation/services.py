"""The reconciliation computation: both sides of the ledger per day, SKU and order, the
discrepancies beyond tolerance as finance tickets, and finance's audited explanations.

Everything is computed by the database: each computed table is rebuilt for a window of days
by one ``INSERT ... SELECT`` over a ``UNION ALL`` of the Centra side (order lines) and the
hub/IP side (the sales feed rows, "taken" per the feed receipts), grouped once. The queries
are built with the ORM and compiled for the connection, so the brand-local day
(``TruncDate`` with the brand's zone) is right on SQLite and PostgreSQL alike.

Date bases: Centra figures sit on the order's day (the ledger keeps ``returned_quantity`` on
the line, so Centra returns are dated by their order); feed rows sit on their own date (the
date IP books them on). Per order, the comparison ignores dates, so a return booked in the
next month still balances its order.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from time import perf_counter
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import (
    Case,
    CharField,
    Count,
    DateField,
    DecimalField,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Abs, Cast, Coalesce, Collate, Greatest, NullIf, TruncDate
from django.utils import timezone

from centra_ip.teams import actor_name
from exceptions.registry import TicketType
from exceptions.services import (
    Condition,
    ticket_resolve_for,
    tickets_clear_many,
    tickets_raise_many,
)
from reconciliation.changes import changed_days, config_changed_since, day_ranges
from reconciliation.models import (
    CurrencyRate,
    DayOrders,
    DaySku,
    DayTotals,
    Discrepancy,
    DiscrepancyEvent,
    IpDailySales,
    IpSalesRead,
    OrderBalance,
    ReconciliationRun,
    ReconciliationSettings,
)
from returns.models import ReturnLine, StockIn
from syncs.clients import inventory_planner_client
from syncs.connectors.base import ConnectorError, RetryPolicy
from syncs.models import FeedDelivery, Order, OrderLine, SalesFeedRow

TICKET_TYPE = TicketType.RECONCILIATION_MISMATCH
SOURCE = "reconciliation"
CANCELLED = "CANCELLED"
MONEY = DecimalField(max_digits=18, decimal_places=2)
RATE = DecimalField(max_digits=18, decimal_places=8)
ZERO = Value(0, output_field=IntegerField())
ZERO_MONEY = Value(Decimal("0.00"), output_field=MONEY)

# What can be wrong with an order, in the order a person should check them.
KINDS = {
    "unpublished": "Units in Centra not in the feed (line parked or unmapped)",
    "untaken": "Units in the feed that IP has not taken yet",
    "returns_unpublished": "Returned units in Centra not in the feed",
    "returns_untaken": "Returned units in the feed that IP has not taken yet",
    "value": "Units agree but the value differs (price)",
}

FIGURES = (
    "c_units_ordered",
    "c_units_cancelled",
    "c_units_returned",
    "c_gross",
    "c_cancelled_value",
    "c_returned_value",
    "h_units_published",
    "h_units_taken",
    "h_units_released",
    "h_units_returned_published",
    "h_units_returned",
    "h_value_taken",
    "h_returned_value",
    "c_gross_base",
    "c_net_base",
    "h_net_base",
    "c_units_returned_estimated",
)
# Only per day and SKU: the returns flow's own lines, dated by Centra's return date.
RETURN_FIGURES = ("r_units_returned", "r_units_qc_passed", "r_units_stocked_in")
DAY_FIGURES = FIGURES + RETURN_FIGURES

MONEY_FIGURES = {
    "c_gross",
    "c_cancelled_value",
    "c_returned_value",
    "h_value_taken",
    "h_returned_value",
    "c_gross_base",
    "c_net_base",
    "h_net_base",
}
# The slices finance filters by, on every computed table.
SLICES = ("currency", "channel", "market", "store")


# --- Configuration ----------------------------------------------------------------------------


def reconciliation_settings() -> ReconciliationSettings:
    config, _ = ReconciliationSettings.objects.get_or_create(pk=1)
    return config


def brand_zone(config: ReconciliationSettings) -> ZoneInfo:
    return ZoneInfo(config.time_zone or settings.TIME_ZONE)


def day_start(day: date, zone: ZoneInfo) -> datetime:
    """The first instant of a brand-local day (aware)."""
    return datetime.combine(day, time.min, tzinfo=zone)


def feed_taken_through() -> datetime | None:
    """The feed watermark, None before IP's first complete fetch (stored as such on a run)."""
    return FeedDelivery.objects.taken_through()


def rate_expression(*, currency: str = "currency", day: str = "day"):
    """A SQL ``CASE`` giving the base-currency rate per row (NULL where no rate is known).

    The base currency converts at 1; other currencies at the latest rate valid on the day.
    """
    base = reconciliation_settings().base_currency
    whens = [When(**{currency: base}, then=Value(Decimal(1), output_field=RATE))]
    rates = list(CurrencyRate.objects.order_by("currency", "valid_from"))
    for index, rate in enumerate(rates):
        following = rates[index + 1] if index + 1 < len(rates) else None
        condition = Q(**{currency: rate.currency, f"{day}__gte": rate.valid_from})
        if following is not None and following.currency == rate.currency:
            condition &= Q(**{f"{day}__lt": following.valid_from})
        whens.append(When(condition, then=Value(rate.rate, output_field=RATE)))
    return Case(*whens, default=Value(None, output_field=RATE), output_field=RATE)


# --- The computation --------------------------------------------------------------------------


def _money(expression):
    return ExpressionWrapper(expression, output_field=MONEY)


def _when(condition: Q, expression, output=None):
    """``expression`` where ``condition`` holds, else 0 (per row; the outer query sums)."""
    output = output or IntegerField()
    return Case(When(condition, then=expression), default=Value(0), output_field=output)


def order_rate(*, own: str, currency: str, day: str):
    """The base-currency rate of a row: its order's own (Centra's ``currencyBaseRate``, the
    field ``own``), else the rates table's for ``currency`` on ``day`` (an annotation), else
    NULL."""
    return Coalesce(
        F(own),
        rate_expression(currency=currency, day=day),
        output_field=RATE,
    )


def _with_rate_day(lines, zone: ZoneInfo):
    """Order lines with their order's brand-local day (for the rates-table fallback)."""
    return lines.annotate(rate_day=TruncDate("order__order_date", tzinfo=zone))


def _centra_side(lines, dims: dict, order_rate_known=None):
    """Order lines (``_with_rate_day``) grouped by ``dims``: Centra's figures, zeros on the
    hub side. Returned value: Centra's own ``lineValue`` for the units its return lines
    cover (``refunded_*``, kept by the returns flow); units x price, counted as estimated,
    for returned units they do not.

    Base amounts are each line's amount at its order's rate. ``order_rate_known``: that rate
    when the lines are one order's (the caller has it); the sums are then multiplied by it
    once, which is exactly the sum of the products (decimal arithmetic) without a product
    per line. Otherwise the rate is looked up per line."""
    ordered = F("quantity") + F("cancelled_quantity")
    estimated = Greatest(F("returned_quantity") - F("refunded_units"), Value(0))
    gross = ordered * F("unit_price")
    returned_value = F("refunded_value") + estimated * F("unit_price")
    net = F("quantity") * F("unit_price") - returned_value
    if order_rate_known is None:
        rate = order_rate(
            own="order__currency_base_rate", currency="order__currency", day="rate_day"
        )
        base = {
            "c_gross_base": _money(gross * rate),
            "c_net_base": _money(net * rate),
        }
    else:
        base = {
            "c_gross_base": _money(Sum(_money(gross)) * order_rate_known),
            "c_net_base": _money(Sum(_money(net)) * order_rate_known),
        }
    measures = {
        "c_units_ordered": ordered,
        "c_units_cancelled": F("cancelled_quantity"),
        "c_units_returned": F("returned_quantity"),
        "c_gross": _money(gross),
        "c_cancelled_value": _money(F("cancelled_quantity") * F("unit_price")),
        "c_returned_value": _money(returned_value),
        **base,
        "c_units_returned_estimated": estimated,
    }
    return _side(lines, dims, measures)


def _hub_side(rows, dims: dict, through: datetime | None, own_rate="order__currency_base_rate"):
    """Feed rows (annotated with ``rate_day``) grouped by ``dims``: what the hub published
    and what IP took. ``own_rate``: the field holding the order's own rate."""
    sale = Q(source=SalesFeedRow.Source.ORDER_LINE)
    ret = Q(source=SalesFeedRow.Source.RETURN_LINE)
    taken = Q(changed_at__lte=through) if through else Q(pk__in=[])
    live = sale & Q(cancelled=False)
    money = DecimalField(max_digits=18, decimal_places=2)
    value = F("quantity") * F("price")  # negative on return rows
    rate = order_rate(own=own_rate, currency="currency", day="rate_day")
    measures = {
        "h_net_base": _when((live | ret) & taken, value * rate, money),
        "h_units_published": _when(live, F("quantity")),
        "h_units_taken": _when(live & taken, F("quantity")),
        "h_units_released": _when(sale & Q(cancelled=True) & taken, F("quantity")),
        "h_units_returned_published": _when(ret, -F("quantity")),
        "h_units_returned": _when(ret & taken, -F("quantity")),
        "h_value_taken": _when(live & taken, value, money),
        "h_returned_value": _when(ret & taken, -value, money),
    }
    return _side(rows, dims, measures)


def _returns_side(lines, dims: dict):
    """Return lines grouped by ``dims``: expected back, QC passed, stock-in confirmed."""
    measures = {
        "r_units_returned": F("quantity"),
        "r_units_qc_passed": Coalesce("qc_passed", 0),
        "r_units_stocked_in": _when(
            Q(stock_in__state=StockIn.State.CONFIRMED), F("stock_in__quantity")
        ),
    }
    return _side(lines, dims, measures)


TEXT_KEYS = {"sku", *SLICES}


def _group_key(name: str, expression):
    """On PostgreSQL a text key groups byte-wise (``COLLATE "C"``): the same groups, as
    equality does not depend on the collation, but sorted without the locale's rules, which
    saves a tenth of grouping a month's lines."""
    if name in TEXT_KEYS and connection.vendor == "postgresql":
        return Collate(expression, "C")
    return expression


def _side(queryset, dims: dict, measures: dict):
    """``SELECT dims, SUM(measure)... GROUP BY dims``: one side's own figures only (the
    others are filled in when the sides are joined, never summed as zeros)."""
    keyed = {f"k_{name}": _group_key(name, expression) for name, expression in dims.items()}
    sums = {
        name: expression
        if getattr(expression, "contains_aggregate", False)  # summed already (and scaled)
        else Sum(expression, output_field=MONEY if name in MONEY_FIGURES else IntegerField())
        for name, expression in measures.items()
    }
    return queryset.order_by().annotate(**keyed).values(*keyed).annotate(**sums)


def _insert_select(model, dims: list[str], union, figures=FIGURES) -> int:
    """``INSERT INTO model (dims, figures) SELECT dims, SUM(figures) FROM (union) GROUP BY``.

    The union's dimension columns are aliased ``k_<column>`` (an annotation may not take the
    name of a model field); figures keep their names.
    """
    sql, params = union.query.get_compiler(connection=connection).as_sql()
    quote = connection.ops.quote_name
    columns = [*dims, *figures]
    sums = ", ".join(f"COALESCE(SUM(u.{quote(name)}), 0)" for name in figures)
    dim_list = ", ".join(f"u.{quote('k_' + name)}" for name in dims)
    # Only quoted identifiers from our own models and the ORM-compiled SQL go in; every
    # value stays a query parameter.
    target = f"{quote(model._meta.db_table)} ({', '.join(quote(c) for c in columns)})"
    select = f"SELECT {dim_list}, {sums} FROM ({sql}) u GROUP BY {dim_list}"  # noqa: S608
    statement = f"INSERT INTO {target} {select}"
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.rowcount


def _insert_joined(
    model,
    dims: list[str],
    sides: list,
    *,
    on: list[str],
    figures,
    figures_required=False,
    lateral=False,
) -> int:
    """``INSERT INTO model SELECT ... FROM side0 FULL JOIN side1 ON (keys) FULL JOIN ...``.

    Each side is grouped on its own rows with its own figures (``_side``); the join puts
    them side by side, one row per key. A dimension or figure is taken from the sides that
    have it; figures no side has are 0. With ``figures_required`` a row needs a side with
    figures (the first side then only lends dimensions, e.g. an order's day and slices).
    Cheaper than grouping the union of all rows: each aggregate sums only its own columns.
    With ``lateral`` (PostgreSQL) the other sides are ``LEFT JOIN LATERAL``: each is
    computed for one row of the first, which it refers to as ``s0``.
    """
    quote = connection.ops.quote_name
    compiled = [side.query.get_compiler(connection=connection).as_sql() for side in sides]
    own = [set(side.query.annotation_select) | set(side.query.values_select) for side in sides]
    aliases = [f"s{index}" for index in range(len(sides))]

    def first_of(column: str, among: list[str]) -> str:
        names = [
            f"{a}.{quote(column)}"
            for a, cols in zip(aliases, own, strict=True)
            if a in among and column in cols
        ]
        return f"COALESCE({', '.join(names)})" if len(names) > 1 else names[0]

    select = [first_of(f"k_{name}", aliases) for name in dims]
    for name in figures:
        having = [a for a, names in zip(aliases, own, strict=True) if name in names]
        # An amount with no rate is NULL: it adds nothing, and a slice of only such is 0.
        parts = ", ".join(f"{a}.{quote(name)}" for a in having)
        select.append(f"COALESCE({parts}, 0)" if having else "0")
    source = f"({compiled[0][0]}) {aliases[0]}"
    for index in range(1, len(sides)):
        if lateral:  # the side is computed per row of the first (it refers to s0)
            source += f" LEFT JOIN LATERAL ({compiled[index][0]}) {aliases[index]} ON true"
            continue
        condition = " AND ".join(
            f"{first_of('k_' + key, aliases[:index])} = {aliases[index]}.{quote('k_' + key)}"
            for key in on
        )
        source += f" FULL OUTER JOIN ({compiled[index][0]}) {aliases[index]} ON {condition}"
    where = ""
    if figures_required:
        present = " OR ".join(f"{a}.{quote('k_' + on[0])} IS NOT NULL" for a in aliases[1:])
        where = f" WHERE {present}"
    params = [param for _, side_params in compiled for param in side_params]
    target = f"{quote(model._meta.db_table)} ({', '.join(quote(c) for c in [*dims, *figures])})"
    # Only quoted identifiers from our own models and the ORM-compiled SQL go in; every
    # value stays a query parameter.
    statement = f"INSERT INTO {target} SELECT {', '.join(select)} FROM {source}{where}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.rowcount


def _order_slices(prefix: str = "order__") -> dict:
    """The order's finance slices as group keys ("" where a row has no order)."""
    return {
        name: Coalesce(F(f"{prefix}{field}"), Value(""), output_field=CharField())
        for name, field in (
            ("currency", "currency"),
            ("channel", "store_type"),
            ("market", "market"),
            ("store", "store_name"),
        )
    }


def _day_sku_rebuild(*, start: datetime, end: datetime, zone: ZoneInfo, through) -> int:
    lines = _with_rate_day(
        OrderLine.objects.filter(order__order_date__gte=start, order__order_date__lt=end), zone
    )
    rows = SalesFeedRow.objects.filter(date__gte=start, date__lt=end).annotate(
        rate_day=TruncDate("date", tzinfo=zone)
    )
    returned = ReturnLine.objects.filter(
        expected_return__centra_created_at__gte=start, expected_return__centra_created_at__lt=end
    )
    sold = OrderLine.objects.filter(centra_line_id=OuterRef("centra_order_line_id"))
    sku = Coalesce(NullIf("ip_sku", Value("")), "centra_sku")
    centra = _centra_side(
        lines,
        {"day": TruncDate("order__order_date", tzinfo=zone), "sku": sku, **_order_slices()},
    )
    hub = _hub_side(
        rows,
        {
            "day": TruncDate("date", tzinfo=zone),
            "sku": F("sku"),
            **_order_slices(),
            "currency": F("currency"),
        },
        through,
    )
    returns = _returns_side(
        returned,
        {
            "day": TruncDate("expected_return__centra_created_at", tzinfo=zone),
            "sku": sku,
            **{
                name: Coalesce(
                    Subquery(sold.values(f"order__{field}")[:1]),
                    Value(""),
                    output_field=CharField(),
                )
                for name, field in (
                    ("currency", "currency"),
                    ("channel", "store_type"),
                    ("market", "market"),
                    ("store", "store_name"),
                )
            },
        },
    )
    DaySku.objects.filter(day__gte=start.date(), day__lt=end.date()).delete()
    dims = ["day", "sku", *SLICES]
    return _insert_joined(DaySku, dims, [centra, hub, returns], on=dims, figures=DAY_FIGURES)


def _day_totals_rebuild(*, start: datetime, end: datetime) -> int:
    """Sum the window's ``DaySku`` rows over SKUs (after ``_day_sku_rebuild``)."""
    window = {"day__gte": start.date(), "day__lt": end.date()}
    dims = {"day": F("day"), **{name: F(name) for name in SLICES}}
    totals = _side(DaySku.objects.filter(**window), dims, {f: F(f) for f in DAY_FIGURES})
    DayTotals.objects.filter(**window).delete()
    return _insert_select(DayTotals, list(dims), totals, DAY_FIGURES)


def _outer_order(column: str, output_field):
    """A column of the order a ``LATERAL`` side is computed for (``s0``, the orders)."""
    quote = connection.ops.quote_name
    # Only quoted identifiers of our own making go in.
    return RawSQL(f"{quote('s0')}.{quote('k_' + column)}", [], output_field=output_field)  # noqa: S611


def _order_balance_rebuild(*, start: datetime, end: datetime, zone: ZoneInfo, through) -> int:
    """Both sides per order; feed rows count towards their order whatever their date.

    One pass over the window's orders gives each order's number, day, slices and rate. On
    PostgreSQL each side is then summed per order through ``LATERAL`` (the order's lines and
    feed rows read through their ``order_id`` index, with the order's rate and day taken
    from the order row, not looked up again per line): no hash table of every order's
    running sums, so a month of a million lines takes half the time of grouping them.
    Elsewhere each side is grouped by order id (a narrow key) and joined on."""
    orders = (
        Order.objects.filter(order_date__gte=start, order_date__lt=end)
        .annotate(rate_day=TruncDate("order_date", tzinfo=zone))
        .annotate(
            k_order_id=F("id"),
            k_order_number=Cast("number", CharField()),
            k_day=TruncDate("order_date", tzinfo=zone),
            **{f"k_{name}": expression for name, expression in _order_slices("").items()},
            k_own_rate=F("currency_base_rate"),
            k_base_rate=order_rate(own="currency_base_rate", currency="currency", day="rate_day"),
        )
        .order_by()
    )
    dims = ["order_id", "order_number", "day", *SLICES, "base_rate"]
    key = {"order_id": F("order_id")}
    lateral = connection.vendor == "postgresql"
    if lateral:
        orders = orders.values(*[f"k_{name}" for name in dims], "k_own_rate")
        of_order = {"order_id": _outer_order("order_id", IntegerField())}
        centra = _centra_side(
            OrderLine.objects.filter(**of_order),
            key,
            order_rate_known=_outer_order("base_rate", RATE),
        )
        rows = SalesFeedRow.objects.filter(**of_order).annotate(
            rate_day=_outer_order("day", DateField()), own_rate=_outer_order("own_rate", RATE)
        )
        hub = _hub_side(rows, key, through, own_rate="own_rate")
    else:
        orders = orders.values(*[f"k_{name}" for name in dims])
        window = {"order__order_date__gte": start, "order__order_date__lt": end}
        centra = _centra_side(_with_rate_day(OrderLine.objects.filter(**window), zone), key)
        rows = SalesFeedRow.objects.filter(**window).annotate(
            rate_day=TruncDate("order__order_date", tzinfo=zone)
        )
        hub = _hub_side(rows, key, through)
    OrderBalance.objects.filter(day__gte=start.date(), day__lt=end.date()).delete()
    return _insert_joined(
        OrderBalance,
        dims,
        [orders, centra, hub],
        on=["order_id"],
        figures=FIGURES,
        figures_required=True,
        lateral=lateral,
    )


def _day_orders_rebuild(*, start: datetime, end: datetime, zone: ZoneInfo) -> int:
    orders = (
        Order.objects.filter(order_date__gte=start, order_date__lt=end)
        .order_by()
        .annotate(day=TruncDate("order_date", tzinfo=zone))
        .values("day", "currency", "store_type", "market", "store_name")
        .annotate(
            orders=Count("pk"),
            orders_cancelled=Count("pk", filter=Q(status=CANCELLED)),
            orders_unrated=Count("pk", filter=Q(currency_base_rate__isnull=True)),
        )
    )
    DayOrders.objects.filter(day__gte=start.date(), day__lt=end.date()).delete()
    DayOrders.objects.bulk_create(
        DayOrders(
            day=row["day"],
            currency=row["currency"],
            channel=row["store_type"],
            market=row["market"],
            store=row["store_name"],
            orders=row["orders"],
            orders_cancelled=row["orders_cancelled"],
            orders_unrated=row["orders_unrated"],
        )
        for row in orders
    )
    return len(orders)


def balance_differences(queryset):
    """Annotate order balances with their differences (Centra minus hub/IP); the base
    difference at the order's own rate (NULL when it has none)."""
    rate = F("base_rate")
    c_net = F("c_gross") - F("c_cancelled_value") - F("c_returned_value")
    h_net = F("h_value_taken") - F("h_returned_value")
    return queryset.annotate(
        unit_diff=F("c_units_ordered") - F("c_units_cancelled") - F("h_units_taken"),
        returned_diff=F("c_units_returned") - F("h_units_returned"),
        value_diff=ExpressionWrapper(c_net - h_net, output_field=MONEY),
        value_diff_base=ExpressionWrapper((c_net - h_net) * rate, output_field=MONEY),
    )


def _mismatches(*, start_day: date, end_day: date, settled_before: date, config):
    """Order balances of settled days beyond tolerance (the database filters them)."""
    tolerance = config.value_tolerance
    balances = balance_differences(
        OrderBalance.objects.filter(day__gte=start_day, day__lt=min(end_day, settled_before))
    ).annotate(value_diff_abs=Abs("value_diff"), value_diff_base_abs=Abs("value_diff_base"))
    return balances.filter(
        Q(unit_diff__gt=config.unit_tolerance)
        | Q(unit_diff__lt=-config.unit_tolerance)
        | Q(returned_diff__gt=config.unit_tolerance)
        | Q(returned_diff__lt=-config.unit_tolerance)
        | Q(value_diff_base_abs__gt=tolerance)
        | Q(value_diff_base__isnull=True, value_diff_abs__gt=tolerance)
    ).order_by("day", "order_id")


def balance_kinds(balance) -> list[str]:
    """What is wrong with one order's balance, most basic first."""
    c_live = balance.c_units_ordered - balance.c_units_cancelled
    kinds = []
    if c_live != balance.h_units_published:
        kinds.append("unpublished")
    if balance.h_units_published != balance.h_units_taken:
        kinds.append("untaken")
    if balance.c_units_returned != balance.h_units_returned_published:
        kinds.append("returns_unpublished")
    if balance.h_units_returned_published != balance.h_units_returned:
        kinds.append("returns_untaken")
    if not kinds:
        kinds.append("value")
    return kinds


def _planner_settings() -> None:
    """PostgreSQL, for this transaction only: room in memory for grouping (hash aggregates
    instead of sorts spilled to disk: a month of a million lines groups 2-3x faster), and
    index reads priced as on SSD storage (with the default, rebuilding one changed day
    scans every order line and feed row instead of reading the day's through the indexes:
    2.5 s instead of 0.6 s for a day of a million-line month), and no JIT compilation (each
    statement runs once per computation; compiling it cost 1.4 s a statement, more than it
    saved)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '256MB'")
            cursor.execute("SET LOCAL random_page_cost = 1.1")
            cursor.execute("SET LOCAL jit = off")


class _Timer:
    """Calls a step and keeps its wall time (the run's ``counts["seconds"]``)."""

    def __init__(self):
        self.seconds: dict[str, float] = {}

    def __call__(self, name, function, *args, **kwargs):
        started = perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            self.seconds[name] = round(perf_counter() - started, 3)


@dataclass
class RunOutcome:
    run: ReconciliationRun
    raised: int
    cleared: int


def reconciliation_compute(
    *, start_day: date, end_day: date, now: datetime | None = None, scope: str = "days"
):
    """Rebuild the computed tables for brand-local days ``start_day..end_day`` (inclusive)
    and settle the discrepancies of those days: raise new ones, update changed ones, clear
    those that now agree. Days younger than the grace period are computed, never raised."""
    now = now or timezone.now()
    config = reconciliation_settings()
    zone = brand_zone(config)
    start, end = day_start(start_day, zone), day_start(end_day + timedelta(days=1), zone)
    through = feed_taken_through()
    settled_before = (now - timedelta(hours=config.grace_hours)).astimezone(zone).date()
    with transaction.atomic():
        # One computation at a time: each deletes and re-inserts its window, and two of them
        # interleaved would both insert. The settings row is the lock (a no-op on SQLite,
        # which serialises writers anyway).
        ReconciliationSettings.objects.select_for_update().get(pk=config.pk)
        _planner_settings()
        run = ReconciliationRun.objects.create(
            scope=scope,
            started_at=now,
            period_start=start_day,
            period_end=end_day,
            feed_taken_through=through,
        )
        timer = _Timer()
        counts = {
            "day_sku_rows": timer(
                "day_sku", _day_sku_rebuild, start=start, end=end, zone=zone, through=through
            ),
            "day_total_rows": timer("day_totals", _day_totals_rebuild, start=start, end=end),
            "order_balances": timer(
                "order_balances",
                _order_balance_rebuild,
                start=start,
                end=end,
                zone=zone,
                through=through,
            ),
            "day_order_rows": timer(
                "day_orders", _day_orders_rebuild, start=start, end=end, zone=zone
            ),
        }
        found = timer(
            "mismatches",
            lambda: list(
                _mismatches(
                    start_day=start_day,
                    end_day=end_day + timedelta(days=1),
                    settled_before=settled_before,
                    config=config,
                )
            ),
        )
        raised, cleared = timer(
            "settle",
            _discrepancies_settle,
            found=found,
            start_day=start_day,
            end_day=end_day,
            settled_before=settled_before,
            now=now,
        )
        counts.update(discrepancies_found=len(found), raised=len(raised), cleared=len(cleared))
        counts["after_close_adjustments"] = timer(
            "after_close", _after_close, start_day, end_day, now
        )
        counts["seconds"] = timer.seconds
        run.finished_at = timezone.now()
        run.counts = counts
        run.save(update_fields=["finished_at", "counts"])
    return RunOutcome(run=run, raised=len(raised), cleared=len(cleared))


def _after_close(start_day: date, end_day: date, now: datetime) -> int:
    from reconciliation.closing import close_adjustments_refresh  # closing builds on this

    return close_adjustments_refresh(start_day=start_day, end_day=end_day, now=now)


FULL_EVERY = timedelta(hours=24)  # the whole window is rebuilt at least daily


@dataclass
class WindowOutcome:
    """The periodic computation: which days it rebuilt (the whole window, or only those
    whose inputs changed) and the computations that did it (none when nothing changed)."""

    scope: str
    days: int
    runs: list[RunOutcome]

    @property
    def raised(self) -> int:
        return sum(r.raised for r in self.runs)

    @property
    def cleared(self) -> int:
        return sum(r.cleared for r in self.runs)

    def as_dict(self) -> dict:
        return {"scope": self.scope, "days": self.days, "runs": [r.run.counts for r in self.runs]}


def reconciliation_run_window(*, now: datetime | None = None) -> WindowOutcome:
    """The periodic computation over the configured window of days up to today: IP's own
    sales are read for the window, then only the days whose inputs changed since the last
    run are rebuilt (``reconciliation.changes``); the whole window on the first run of a
    day, after a settings/rates/markets change, or when no run is on record."""

    now = now or timezone.now()
    config = reconciliation_settings()
    zone = brand_zone(config)
    today = now.astimezone(zone).date()
    start_day, end_day = today - timedelta(days=config.window_days), today
    ip_sales_read(start_day=start_day, end_day=end_day, now=now)
    runs = ReconciliationRun.objects.filter(finished_at__isnull=False).order_by("-started_at")
    last = runs.first()
    last_window = runs.filter(scope=ReconciliationRun.Scope.WINDOW).first()
    if (
        last is None
        or last_window is None
        or now - last_window.started_at >= FULL_EVERY
        or config_changed_since(last.started_at)
    ):
        outcome = reconciliation_compute(
            start_day=start_day, end_day=end_day, now=now, scope=ReconciliationRun.Scope.WINDOW
        )
        return WindowOutcome(
            ReconciliationRun.Scope.WINDOW, (end_day - start_day).days + 1, [outcome]
        )
    grace = timedelta(hours=config.grace_hours)
    days = {
        day
        for day in changed_days(
            since=last.started_at,
            taken_before=last.feed_taken_through,
            taken_now=feed_taken_through(),
            settled_before=(last.started_at - grace).astimezone(zone).date(),
            settled_now=(now - grace).astimezone(zone).date(),
            zone=zone,
        )
        if start_day <= day <= end_day
    }
    outcomes = [
        reconciliation_compute(
            start_day=first, end_day=last_day, now=now, scope=ReconciliationRun.Scope.CHANGED
        )
        for first, last_day in day_ranges(days)
    ]
    if not outcomes:  # nothing changed: on record all the same (freshness, next "since")
        ReconciliationRun.objects.create(
            scope=ReconciliationRun.Scope.CHANGED,
            started_at=now,
            finished_at=timezone.now(),
            period_start=today,
            period_end=today,
            feed_taken_through=feed_taken_through(),
            counts={"changed_days": 0},
        )
    return WindowOutcome(ReconciliationRun.Scope.CHANGED, len(days), outcomes)


def reconciliation_refresh(*, start_day: date, end_day: date, now: datetime | None = None):
    """Read IP's own daily sales for the days, then compute them. The read comes first and
    outside the computation's transaction (it is network I/O); its failure is recorded and
    the computation runs all the same."""
    ip_sales_read(start_day=start_day, end_day=end_day, now=now)
    return reconciliation_compute(start_day=start_day, end_day=end_day, now=now)


# One retry only: the read runs every hour, and a failed one just shows "not read" until
# the next, so waiting out a long outage here would only hold up the computation.
IP_SALES_RETRY = RetryPolicy(max_retries=1)
IP_SALES_FIELDS = ["sku", "orders_by_day"]


def ip_sales_read(*, start_day: date, end_day: date, now: datetime | None = None) -> IpSalesRead:
    """Store IP's own units per day and SKU (``orders_by_day``) for ``start_day..end_day``.

    Every variant is read with the two fields only (one page per 1,000 variants). The days
    are taken as IP dates them (see ``docs/reconciliation.md``). The window's earlier rows
    are replaced either way: after a failed read the days are "not read", not stale.
    """
    started_at = now or timezone.now()
    units: dict[tuple[date, str], int] = {}
    variants, error = 0, ""
    try:
        with inventory_planner_client(retry=IP_SALES_RETRY) as ip:
            for variant in ip.iter_variants(fields=IP_SALES_FIELDS):
                variants += 1
                for day, sold in (variant.orders_by_day or {}).items():
                    if variant.sku and start_day <= day <= end_day:
                        key = (day, variant.sku)
                        units[key] = units.get(key, 0) + round(sold)
    except ConnectorError as exc:
        error = f"{type(exc).__name__}: {exc}"[:1000]
    with transaction.atomic():
        IpDailySales.objects.filter(day__gte=start_day, day__lte=end_day).delete()
        if not error:
            IpDailySales.objects.bulk_create(
                (IpDailySales(day=day, sku=sku, units=n) for (day, sku), n in units.items()),
                batch_size=5000,
            )
        return IpSalesRead.objects.create(
            started_at=started_at,
            finished_at=timezone.now(),
            period_start=start_day,
            period_end=end_day,
            ok=not error,
            error=error,
            variants=variants,
            rows=0 if error else len(units),
        )


def _line_skus(order_ids: list[int]) -> dict[int, list[str]]:
    skus: dict[int, list[str]] = {}
    lines = (
        OrderLine.objects.filter(order_id__in=order_ids)
        .annotate(key=Coalesce(NullIf("ip_sku", Value("")), "centra_sku"))
        .values_list("order_id", "key")
        .order_by("order_id", "key")
        .distinct()
    )
    for order_id, key in lines:
        skus.setdefault(order_id, []).append(key)
    return skus


def _numbers(balance) -> dict:
    return {
        "c_units": balance.c_units_ordered - balance.c_units_cancelled,
        "h_units": balance.h_units_taken,
        "c_units_returned": balance.c_units_returned,
        "h_units_returned": balance.h_units_returned,
        "c_value": balance.c_gross - balance.c_cancelled_value - balance.c_returned_value,
        "h_value": balance.h_value_taken - balance.h_returned_value,
        "value_diff_base": (
            None
            if balance.value_diff_base is None
            else Decimal(balance.value_diff_base).quantize(Decimal("0.01"))
        ),
    }


def _condition(discrepancy: Discrepancy) -> Condition:
    return Condition(
        type_code=TICKET_TYPE,
        order_number=discrepancy.order_number,
        summary=f"Order {discrepancy.order_number} of {discrepancy.day}: "
        + ", ".join(KINDS[k].lower() for k in discrepancy.kinds.split(",")),
        context={
            "day": discrepancy.day.isoformat(),
            "currency": discrepancy.currency,
            "kinds": discrepancy.kinds.split(","),
            "skus": discrepancy.skus,
            "centra": {
                "units": discrepancy.c_units,
                "units_returned": discrepancy.c_units_returned,
                "net_value": str(discrepancy.c_value),
            },
            "hub_ip": {
                "units_taken": discrepancy.h_units,
                "units_returned_taken": discrepancy.h_units_returned,
                "net_value_taken": str(discrepancy.h_value),
            },
            "value_diff_base": (
                None if discrepancy.value_diff_base is None else str(discrepancy.value_diff_base)
            ),
        },
    )


def _discrepancies_settle(*, found, start_day: date, end_day: date, settled_before, now):
    """Make ``Discrepancy`` rows and tickets match what the computation found."""
    existing = {
        d.order_number: d
        for d in Discrepancy.objects.filter(
            Q(order_number__in=[b.order_number for b in found])
            | Q(day__gte=start_day, day__lte=end_day)
        )
    }
    skus = _line_skus([b.order_id for b in found])
    events, to_raise, new, seen = [], [], [], []
    found_numbers = set()
    for balance in found:
        found_numbers.add(balance.order_number)
        numbers = _numbers(balance)
        values = {
            "day": balance.day,
            "currency": balance.currency,
            "channel": balance.channel,
            "market": balance.market,
            "store": balance.store,
            "kinds": ",".join(balance_kinds(balance)),
            "skus": skus.get(balance.order_id, []),
            **numbers,
        }
        discrepancy = existing.get(balance.order_number)
        if discrepancy is None:
            discrepancy = Discrepancy(
                order_number=balance.order_number, first_seen_at=now, last_seen_at=now, **values
            )
            new.append((discrepancy, numbers))
            continue
        same_numbers = all(getattr(discrepancy, k) == v for k, v in numbers.items())
        if discrepancy.status == Discrepancy.Status.EXPLAINED and same_numbers:
            seen.append(discrepancy.pk)
            continue
        if discrepancy.status == Discrepancy.Status.OPEN and all(
            getattr(discrepancy, k) == v for k, v in values.items()
        ):  # found again as it was: only seen again (its ticket too)
            seen.append(discrepancy.pk)
            to_raise.append(discrepancy)
            continue
        kind = None
        if discrepancy.status != Discrepancy.Status.OPEN:
            kind = DiscrepancyEvent.Kind.REOPENED
        elif not same_numbers:
            kind = DiscrepancyEvent.Kind.CHANGED
        for key, value in values.items():
            setattr(discrepancy, key, value)
        if discrepancy.status == Discrepancy.Status.CLEARED:
            discrepancy.first_seen_at = now
        discrepancy.status = Discrepancy.Status.OPEN
        discrepancy.last_seen_at = now
        discrepancy.cleared_at = None
        discrepancy.save()
        if kind:
            events.append(_event(discrepancy, kind, now, numbers))
        to_raise.append(discrepancy)
    # In bulk: a first computation can find thousands, and a rerun the same again.
    Discrepancy.objects.filter(pk__in=seen).update(last_seen_at=now)
    Discrepancy.objects.bulk_create([discrepancy for discrepancy, _ in new], batch_size=1000)
    for discrepancy, numbers in new:
        events.append(_event(discrepancy, DiscrepancyEvent.Kind.RAISED, now, numbers))
        to_raise.append(discrepancy)
    to_clear = [
        d
        for number, d in existing.items()
        if number not in found_numbers
        and d.status != Discrepancy.Status.CLEARED
        and start_day <= d.day <= end_day
        and d.day < settled_before
    ]
    for discrepancy in to_clear:
        events.append(_event(discrepancy, DiscrepancyEvent.Kind.CLEARED, now, {}))
    Discrepancy.objects.filter(pk__in=[d.pk for d in to_clear]).update(
        status=Discrepancy.Status.CLEARED, cleared_at=now
    )
    DiscrepancyEvent.objects.bulk_create(events)
    if to_raise:
        tickets_raise_many([_condition(d) for d in to_raise], source=SOURCE)
    if to_clear:
        tickets_clear_many(
            [Condition(type_code=TICKET_TYPE, order_number=d.order_number) for d in to_clear],
            source=SOURCE,
        )
    return to_raise, to_clear


def _event(discrepancy, kind, now, data, *, actor=None, note="") -> DiscrepancyEvent:
    return DiscrepancyEvent(
        discrepancy=discrepancy,
        kind=kind,
        at=now,
        actor=actor,
        actor_name=actor_name(actor, SOURCE),
        note=note,
        data={k: (str(v) if isinstance(v, Decimal) else v) for k, v in data.items()},
    )


class ExplainError(Exception):
    """The discrepancy cannot be explained as asked (no note, or not open)."""


def discrepancy_explain(*, discrepancy: Discrepancy, actor, note: str) -> bool:
    """Finance says the difference is understood: audited, and its ticket is resolved.

    Compare-and-set on the status, so a double submit explains once (returns False).
    The discrepancy stays explained while its numbers stay the same.
    """

    note = note.strip()
    if not note:
        raise ExplainError("Say why the difference is fine.")
    now = timezone.now()
    with transaction.atomic():
        changed = Discrepancy.objects.filter(
            pk=discrepancy.pk, status=Discrepancy.Status.OPEN
        ).update(
            status=Discrepancy.Status.EXPLAINED,
            explained_at=now,
            explained_by=actor,
            explained_note=note,
        )
        if not changed:
            return False
        DiscrepancyEvent.objects.create(
            discrepancy=discrepancy,
            kind=DiscrepancyEvent.Kind.EXPLAINED,
            at=now,
            actor=actor,
            actor_name=actor.get_username(),
            note=note,
        )
        ticket_resolve_for(
            condition=Condition(type_code=TICKET_TYPE, order_number=discrepancy.order_number),
            actor=actor,
            note=f"Explained by finance: {note}",
        )
    return True

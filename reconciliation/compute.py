"""The reconciliation computation: both sides of the ledger per day and per order, in SQL.

Each computed table is rebuilt for a window of days by one ``INSERT ... SELECT`` joining
the Centra side (order lines) and the hub/IP side (the sales feed rows, "taken" per the
feed receipts), each grouped on its own rows (``reconciliation.sql``):

- ``DayTotals``: per brand-local day and slice (currency, channel, market, store), the
  month overview's source;
- ``OrderBalance``: per order, what the discrepancies and the close compare;
- ``DayOrders``: orders per day and slice.

A day's SKUs are not part of the computation: ``reconciliation.day_skus`` computes them when
the day is first opened (a day is a thirty-first of a month's lines, read through the date
indexes) and keeps them until the day is computed again, so a month's computation sums
each line once per table instead of once more per day and SKU (docs/benchmarks.md, issue 16).

Date bases: Centra figures sit on the order's day (the ledger keeps ``returned_quantity`` on
the line, so Centra returns are dated by their order); feed rows sit on their own date (the
date IP books them on). Per order, the comparison ignores dates, so a return booked in the
next month still balances its order.
"""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import (
    Case,
    CharField,
    Count,
    DateField,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Abs, Cast, Coalesce, Greatest, NullIf, TruncDate

from reconciliation.config import reconciliation_settings
from reconciliation.figures import (
    DAY_FIGURES,
    FIGURES,
    MONEY,
    RATE,
    SLICES,
)
from reconciliation.models import (
    CurrencyRate,
    DayOrders,
    DayTotals,
    OrderBalance,
)
from reconciliation.sql import grouped_by_hashing, insert_joined, side
from returns.models import ReturnLine, StockIn
from syncs.models import Order, OrderLine, SalesFeedRow

CANCELLED = "CANCELLED"
DAY_SKU_DIMS = ["day", "sku", *SLICES]
# A line's SKU: IP's, else Centra's (unmapped lines).
SKU = Coalesce(NullIf("ip_sku", Value("")), "centra_sku")


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


def _money(expression):
    return ExpressionWrapper(expression, output_field=MONEY)


def _sum_where(condition: Q, expression, output=MONEY):
    """The sum of ``expression`` over the rows where ``condition`` holds (``FILTER``: the
    other rows are skipped, not summed as zeros); NULL where none holds."""
    return Sum(expression, filter=condition, output_field=output)


def _when(condition: Q, expression, output=None):
    """``_sum_where``, 0 where no row holds (also where the condition can hold for none)."""
    output = output or IntegerField()
    return Coalesce(_sum_where(condition, expression, output), Value(0), output_field=output)


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
    per line (the net base as the gross less cancelled and returned: the same sums, which
    PostgreSQL computes once). Otherwise the rate is looked up per line."""
    ordered = F("quantity") + F("cancelled_quantity")
    estimated = Greatest(F("returned_quantity") - F("refunded_units"), Value(0))
    gross = _money(ordered * F("unit_price"))
    cancelled_value = _money(F("cancelled_quantity") * F("unit_price"))
    returned_value = _money(F("refunded_value") + estimated * F("unit_price"))
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
        sums = [Sum(gross), Sum(cancelled_value), Sum(returned_value)]
        base = {
            "c_gross_base": _money(sums[0] * order_rate_known),
            "c_net_base": _money((sums[0] - sums[1] - sums[2]) * order_rate_known),
        }
    measures = {
        "c_units_ordered": ordered,
        "c_units_cancelled": F("cancelled_quantity"),
        "c_units_returned": F("returned_quantity"),
        "c_gross": gross,
        "c_cancelled_value": cancelled_value,
        "c_returned_value": returned_value,
        **base,
        "c_units_returned_estimated": estimated,
    }
    return side(lines, dims, measures)


def _hub_side(rows, dims: dict, through: datetime | None, own_rate_known=None):
    """Feed rows (annotated with ``rate_day``) grouped by ``dims``: what the hub published
    and what IP took. ``own_rate_known``: the order's own rate when the rows are one
    order's (annotated as ``own_rate``), as for ``_centra_side``: the taken value times it
    once; only an order without one converts each row at the rates table."""
    sale = Q(source=SalesFeedRow.Source.ORDER_LINE)
    ret = Q(source=SalesFeedRow.Source.RETURN_LINE)
    taken = Q(changed_at__lte=through) if through else Q(pk__in=[])
    live = sale & Q(cancelled=False)
    value = F("quantity") * F("price")  # negative on return rows
    if own_rate_known is None:
        rate = order_rate(own="order__currency_base_rate", currency="currency", day="rate_day")
        net_base = _when((live | ret) & taken, value * rate, MONEY)
    else:
        by_table = rate_expression(currency="currency", day="rate_day")
        net_base = Coalesce(
            _money(_sum_where((live | ret) & taken, value) * own_rate_known),
            _sum_where(Q(own_rate__isnull=True) & (live | ret) & taken, value * by_table),
        )
    measures = {
        "h_net_base": net_base,
        "h_units_published": _when(live, F("quantity")),
        "h_units_taken": _when(live & taken, F("quantity")),
        "h_units_released": _when(sale & Q(cancelled=True) & taken, F("quantity")),
        "h_units_returned_published": _when(ret, -F("quantity")),
        "h_units_returned": _when(ret & taken, -F("quantity")),
        "h_value_taken": _when(live & taken, value, MONEY),
        "h_returned_value": _when(ret & taken, -value, MONEY),
    }
    return side(rows, dims, measures)


def _returns_side(lines, dims: dict):
    """Return lines grouped by ``dims``: expected back, QC passed, stock-in confirmed."""
    measures = {
        "r_units_returned": F("quantity"),
        "r_units_qc_passed": Coalesce("qc_passed", 0),
        "r_units_stocked_in": _when(
            Q(stock_in__state=StockIn.State.CONFIRMED), F("stock_in__quantity")
        ),
    }
    return side(lines, dims, measures)


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


def _centra_day_side(*, start: datetime, end: datetime, zone: ZoneInfo, sku=None):
    """Centra's order lines of ``start..end`` on their order's day, per slice (and per SKU
    given the SKU expression)."""
    lines = _with_rate_day(
        OrderLine.objects.filter(order__order_date__gte=start, order__order_date__lt=end), zone
    )
    day = TruncDate("order__order_date", tzinfo=zone)
    return _centra_side(
        lines, {"day": day, **({"sku": sku} if sku is not None else {}), **_order_slices()}
    )


def _other_day_sides(*, start: datetime, end: datetime, zone: ZoneInfo, through, by_sku: bool):
    """The feed rows of ``start..end`` on their own date and the returns flow's lines on
    Centra's return date, per day and slice (and per SKU with ``by_sku``)."""
    rows = SalesFeedRow.objects.filter(date__gte=start, date__lt=end).annotate(
        rate_day=TruncDate("date", tzinfo=zone)
    )
    returned = ReturnLine.objects.filter(
        expected_return__centra_created_at__gte=start, expected_return__centra_created_at__lt=end
    )
    sold = OrderLine.objects.filter(centra_line_id=OuterRef("centra_order_line_id"))
    hub = _hub_side(
        rows,
        {
            "day": TruncDate("date", tzinfo=zone),
            **({"sku": F("sku")} if by_sku else {}),
            **_order_slices(),
            "currency": F("currency"),
        },
        through,
    )
    returns = _returns_side(
        returned,
        {
            "day": TruncDate("expected_return__centra_created_at", tzinfo=zone),
            **({"sku": SKU} if by_sku else {}),
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
    return [hub, returns]


def day_totals_rebuild(*, start: datetime, end: datetime, zone: ZoneInfo, through) -> int:
    """Both sides per day and slice (a few hundred groups for a month). Centra's side is
    the window's order balances summed per day (``order_balances_rebuild`` runs first):
    each line was summed once, into its order's balance, so it is not summed again here.
    The hub side and the returns flow are grouped from their rows, on their own dates."""
    window = {"day__gte": start.date(), "day__lt": end.date()}
    dims = ["day", *SLICES]
    centra = side(
        OrderBalance.objects.filter(**window),
        {name: F(name) for name in dims},
        {name: F(name) for name in FIGURES if name.startswith("c_")},
    )
    others = _other_day_sides(start=start, end=end, zone=zone, through=through, by_sku=False)
    DayTotals.objects.filter(**window).delete()
    with grouped_by_hashing():
        return insert_joined(DayTotals, dims, [centra, *others], on=dims, figures=DAY_FIGURES)


def day_sku_sides(*, start: datetime, end: datetime, zone: ZoneInfo, through) -> list:
    """The sides of one day's figures per SKU and slice (``DAY_SKU_DIMS``), for
    ``reconciliation.day_skus``, which computes them when the day is opened."""
    return [
        _centra_day_side(start=start, end=end, zone=zone, sku=SKU),
        *_other_day_sides(start=start, end=end, zone=zone, through=through, by_sku=True),
    ]


class _OuterColumn(RawSQL):
    """A column of the outer query: one value for all the rows of a ``LATERAL`` side, so
    never a group key (Django would group by it, as by any raw SQL beside an aggregate)."""

    def get_group_by_cols(self):
        return []


def _outer_order(column: str, output_field):
    """A column of the order a ``LATERAL`` side is computed for (``s0``, the orders)."""
    quote = connection.ops.quote_name
    # Only quoted identifiers of our own making go in.
    return _OuterColumn(f"{quote('s0')}.{quote('k_' + column)}", [], output_field=output_field)


def order_balances_rebuild(*, start: datetime, end: datetime, zone: ZoneInfo, through) -> int:
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
        key = {"order_id": Max("order_id")}  # one order's rows: one group, no GROUP BY
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
        hub = _hub_side(rows, key, through, own_rate_known=_outer_order("own_rate", RATE))
    else:
        orders = orders.values(*[f"k_{name}" for name in dims])
        window = {"order__order_date__gte": start, "order__order_date__lt": end}
        centra = _centra_side(_with_rate_day(OrderLine.objects.filter(**window), zone), key)
        rows = SalesFeedRow.objects.filter(**window).annotate(
            rate_day=TruncDate("order__order_date", tzinfo=zone)
        )
        hub = _hub_side(rows, key, through)
    OrderBalance.objects.filter(day__gte=start.date(), day__lt=end.date()).delete()
    return insert_joined(
        OrderBalance,
        dims,
        [orders, centra, hub],
        on=["order_id"],
        figures=FIGURES,
        figures_required=True,
        lateral=lateral,
    )


def day_orders_rebuild(*, start: datetime, end: datetime, zone: ZoneInfo) -> int:
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


def mismatches(*, start_day: date, end_day: date, settled_before: date, config):
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

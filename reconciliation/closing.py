"""Month-end close: finance freezes a reviewed month; later changes become adjustments.

Closing copies the month's order balances (``ClosedOrderBalance``) and keeps its totals as
they were (``MonthClose.totals``). Every computation afterwards compares the month's
current balances with that copy: an order whose figures moved is a ``CloseAdjustment``
with the change and its cause (a cancellation, a return, a rate...), shown beside the
closed totals, which never move. Reopening (admins only) and every close are audited in
``MonthCloseEvent``; closing again takes a new copy.
"""

from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from reconciliation.config import brand_zone, reconciliation_settings
from reconciliation.figures import FIGURES
from reconciliation.models import (
    CloseAdjustment,
    ClosedOrderBalance,
    DayOrders,
    DayTotals,
    Discrepancy,
    MonthClose,
    MonthCloseEvent,
    OrderBalance,
    ReconciliationSettings,
)

TOTAL_FIGURES = (
    "c_units_ordered",
    "c_units_cancelled",
    "c_units_returned",
    "c_gross",
    "c_gross_base",
    "c_net_base",
    "h_units_taken",
    "h_units_returned",
    "h_net_base",
)
# What is compared per order, and what a change of it says happened.
CAUSES = (
    ("c_units_cancelled", "cancelled after close"),
    ("c_units_returned", "returned after close"),
    ("c_returned_value", "refund value changed after close"),
    ("c_gross", "order changed in Centra after close (lines or prices)"),
    ("h_units_taken", "IP took feed rows after close"),
    ("h_units_returned", "IP took return rows after close"),
    ("h_value_taken", "value IP took changed after close"),
)
RATE_CHANGED = "base-currency rate changed after close"  # when nothing else did
CENT = Decimal("0.01")
NEW_ORDER = "order new in the ledger after close"
GONE_ORDER = "order no longer in this month (moved or removed in Centra)"


class CloseError(Exception):
    """The month cannot be closed or reopened as asked (the message says why)."""


def _month_days(month: date) -> tuple[date, date]:
    first = month.replace(day=1)
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first, following - timedelta(days=1)


def month_totals(*, month: date) -> dict:
    """The month's figures (all slices): what a close keeps, as JSON-ready strings."""
    first, last = _month_days(month)
    window = Q(day__gte=first, day__lte=last)
    sums = DayTotals.objects.filter(window).aggregate(**{f: Sum(f) for f in TOTAL_FIGURES})
    orders = DayOrders.objects.filter(window).aggregate(n=Sum("orders"))["n"] or 0
    discrepancies = Discrepancy.objects.filter(window).aggregate(
        open=Count("pk", filter=Q(status=Discrepancy.Status.OPEN)),
        explained=Count("pk", filter=Q(status=Discrepancy.Status.EXPLAINED)),
    )
    totals = {
        name: str(Decimal(value or 0).quantize(CENT) if "base" in name else value or 0)
        for name, value in sums.items()
    }
    totals["orders"] = str(orders)
    totals["net_diff_base"] = str(Decimal(totals["c_net_base"]) - Decimal(totals["h_net_base"]))
    return totals | {key: str(value) for key, value in discrepancies.items()}


def month_close_get(month: date) -> MonthClose | None:
    return MonthClose.objects.filter(month=month.replace(day=1)).first()


def month_close(*, month: date, actor, note: str = "", now: datetime | None = None):
    """Close a month that is over and has no open discrepancy (review first: explain or
    clear them). Keeps who, when, the totals and every order's balance at close."""
    now = now or timezone.now()
    month = month.replace(day=1)
    first, last = _month_days(month)
    config = reconciliation_settings()
    today = now.astimezone(brand_zone(config)).date()
    if last >= today:
        raise CloseError(f"{month:%B %Y} is not over yet; close it once it has ended.")
    with transaction.atomic():
        # The computation holds this lock while it rebuilds: a close never copies a
        # half-rebuilt month.
        ReconciliationSettings.objects.select_for_update().get(pk=config.pk)
        existing = MonthClose.objects.select_for_update().filter(month=month).first()
        if existing is not None and existing.closed:
            raise CloseError(f"{month:%B %Y} is closed already.")
        open_count = Discrepancy.objects.filter(
            day__gte=first, day__lte=last, status=Discrepancy.Status.OPEN
        ).count()
        if open_count:
            raise CloseError(
                f"{open_count} open discrepancies in {month:%B %Y}: explain or clear them "
                "before closing."
            )
        totals = month_totals(month=month)
        values = {
            "closed": True,
            "closed_at": now,
            "closed_by": actor,
            "closed_by_name": actor.get_username(),
            "note": note.strip(),
            "totals": totals,
        }
        record, _ = MonthClose.objects.update_or_create(month=month, defaults=values)
        record.orders.all().delete()
        record.adjustments.all().delete()
        _balances_copy(record, first, last)
        MonthCloseEvent.objects.create(
            month_close=record,
            kind=MonthCloseEvent.Kind.CLOSED,
            at=now,
            actor=actor,
            actor_name=actor.get_username(),
            note=note.strip(),
            totals=totals,
        )
    return record


def _balances_copy(record: MonthClose, first: date, last: date) -> None:
    """``INSERT INTO closed balances SELECT ... FROM order balances`` for the month."""
    quote = connection.ops.quote_name
    columns = ["order_id", "order_number", "day", "currency", "channel", "market", "store"]
    columns += list(FIGURES)
    names = ", ".join(quote(c) for c in columns)
    source = quote(OrderBalance._meta.db_table)
    target = quote(ClosedOrderBalance._meta.db_table)
    # Identifiers come from our own models; the values are parameters.
    statement = (
        f"INSERT INTO {target} (month_close_id, {names}) "  # noqa: S608
        f"SELECT %s, {names} FROM {source} WHERE day >= %s AND day <= %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, [record.pk, first, last])


def month_reopen(*, record: MonthClose, actor, reason: str, now: datetime | None = None):
    """Reopen a closed month (the view lets only admins): audited with the reason and the
    totals at that moment; its adjustments and copy go (a new close takes a new one)."""
    reason = reason.strip()
    if not reason:
        raise CloseError("Say why the month is reopened.")
    now = now or timezone.now()
    with transaction.atomic():
        record = MonthClose.objects.select_for_update().get(pk=record.pk)
        if not record.closed:
            raise CloseError(f"{record.month:%B %Y} is not closed.")
        MonthCloseEvent.objects.create(
            month_close=record,
            kind=MonthCloseEvent.Kind.REOPENED,
            at=now,
            actor=actor,
            actor_name=actor.get_username(),
            note=reason,
            totals=month_totals(month=record.month)
            | {"adjustments_after_close": str(record.adjustments.count())},
        )
        record.closed = False
        record.save(update_fields=["closed"])
        record.orders.all().delete()
        record.adjustments.all().delete()
    return record


def _key(row) -> dict:
    return {name: row[name] for name in (*FIGURES, "day", "currency", "channel", "market", "store")}


def _adjustment_values(before: dict | None, after: dict | None) -> dict:
    """The change (after minus before) of one order and its cause."""
    zero = dict.fromkeys(FIGURES, 0)
    b, a = before or zero, after or zero
    if before is None:
        cause = NEW_ORDER
    elif after is None:
        cause = GONE_ORDER
    else:
        cause = "; ".join(text for name, text in CAUSES if a[name] != b[name]) or RATE_CHANGED

    def net(row):
        return row["c_gross"] - row["c_cancelled_value"] - row["c_returned_value"]

    def h_net(row):
        return row["h_value_taken"] - row["h_returned_value"]

    def sold(row):
        return row["c_units_ordered"] - row["c_units_cancelled"]

    slices = after or before
    return {
        "day": slices["day"],
        "currency": slices["currency"],
        "channel": slices["channel"],
        "market": slices["market"],
        "store": slices["store"],
        "cause": cause[:300],
        "units_sold_change": sold(a) - sold(b),
        "units_returned_change": a["c_units_returned"] - b["c_units_returned"],
        "c_net_change": net(a) - net(b),
        "c_net_base_change": a["c_net_base"] - b["c_net_base"],
        "h_net_change": h_net(a) - h_net(b),
    }


def close_adjustments_refresh(*, start_day: date, end_day: date, now: datetime) -> int:
    """After a computation of ``start_day..end_day``: in each closed month it touched, the
    orders of those days whose balance differs from the close become (or stay)
    adjustments; those back at their closed figures drop out. Only the recomputed days are
    compared (the others did not change). Returns how many adjustments those days have."""
    total = 0
    fields = ("order_number", *FIGURES, "day", "currency", "channel", "market", "store")
    for record in MonthClose.objects.filter(closed=True):
        first, last = _month_days(record.month)
        days = {"day__gte": max(first, start_day), "day__lte": min(last, end_day)}
        if days["day__gte"] > days["day__lte"]:
            continue
        closed = {r["order_number"]: _key(r) for r in record.orders.filter(**days).values(*fields)}
        current = {
            r["order_number"]: _key(r) for r in OrderBalance.objects.filter(**days).values(*fields)
        }
        changed = {
            number
            for number in closed.keys() | current.keys()
            if closed.get(number) != current.get(number)
        }
        existing = {a.order_number: a for a in record.adjustments.filter(**days)}
        record.adjustments.filter(**days).exclude(order_number__in=changed).delete()
        for number in sorted(changed):
            values = _adjustment_values(closed.get(number), current.get(number))
            adjustment = existing.get(number)
            if adjustment is None:
                CloseAdjustment.objects.create(
                    month_close=record,
                    order_number=number,
                    first_seen_at=now,
                    last_seen_at=now,
                    **values,
                )
            else:
                for name, value in values.items():
                    setattr(adjustment, name, value)
                adjustment.last_seen_at = now
                adjustment.save()
        total += len(changed)
    return total

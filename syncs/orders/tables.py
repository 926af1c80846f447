"""The order ledger's list: its filter and table, over a queryset that annotates everything
the columns show (one query per page, whatever the page size)."""

import django_filters
import django_tables2 as tables
from django.db.models import Count, Exists, OuterRef, Q

from syncs.models import Order, OrderLine, SalesFeedRow, SyncRun
from syncs.orders.detection import feed_taken_through

STATUSES = ["PENDING", "CONFIRMED", "PROCESSING", "SHIPPED", "ARCHIVED", "CANCELLED"]
YES_NO = [("yes", "Yes"), ("no", "No")]


def ledger_queryset():
    """Orders with their line counts, parked flag and "taken by IP" flag annotated."""
    through = feed_taken_through()
    return Order.objects.annotate(
        line_count=Count("lines"),
        has_parked=Exists(OrderLine.objects.filter(order=OuterRef("pk"), parked=True)),
        untaken=Exists(SalesFeedRow.objects.filter(order=OuterRef("pk"), changed_at__gt=through)),
        has_rows=Exists(SalesFeedRow.objects.filter(order=OuterRef("pk"))),
    )


class OrderFilter(django_filters.FilterSet):
    number = django_filters.NumberFilter(label="Order number")
    status = django_filters.ChoiceFilter(
        choices=[(s, s.title()) for s in STATUSES], empty_label="Any status"
    )
    date_from = django_filters.DateFilter(field_name="order_date", lookup_expr="date__gte")
    date_to = django_filters.DateFilter(field_name="order_date", lookup_expr="date__lte")
    published = django_filters.ChoiceFilter(
        choices=YES_NO, method="filter_published", label="Taken by IP", empty_label="Either"
    )
    parked = django_filters.ChoiceFilter(
        choices=YES_NO, method="filter_parked", label="Parked lines", empty_label="Either"
    )

    class Meta:
        model = Order
        fields = ["number", "status"]

    def filter_published(self, queryset, name, value):
        taken = Q(untaken=False, has_rows=True)
        return queryset.filter(taken) if value == "yes" else queryset.exclude(taken)

    def filter_parked(self, queryset, name, value):
        return queryset.filter(has_parked=value == "yes")


class OrderTable(tables.Table):
    number = tables.Column(linkify=("syncs:order", {"number": tables.A("number")}))
    order_date = tables.DateTimeColumn(verbose_name="Date", order_by=("order_date", "pk"))
    status = tables.Column(order_by=("status", "pk"))
    store_type = tables.Column(verbose_name="Store", order_by=("store_type", "pk"))
    line_count = tables.Column(verbose_name="Lines", order_by=("line_count", "pk"))
    has_parked = tables.BooleanColumn(verbose_name="Parked", order_by=("has_parked", "pk"))
    published = tables.Column(
        accessor="untaken", verbose_name="Taken by IP", order_by=("untaken", "pk")
    )
    grand_total = tables.Column(verbose_name="Total", order_by=("grand_total", "pk"))

    class Meta:
        model = Order
        fields = ()
        sequence = (
            "number",
            "order_date",
            "status",
            "store_type",
            "line_count",
            "has_parked",
            "published",
            "grand_total",
        )
        order_by = ("-order_date",)
        attrs = {"class": "table"}

    def order_number(self, queryset, is_descending):
        return queryset.order_by(("-" if is_descending else "") + "number", "pk"), True

    def render_published(self, record):
        if not record.has_rows:
            return "nothing to publish"
        return "no" if record.untaken else "yes"

    def render_grand_total(self, record):
        return f"{record.grand_total} {record.currency}"


class RunTable(tables.Table):
    started_at = tables.DateTimeColumn(verbose_name="Started", order_by=("started_at", "pk"))
    status = tables.Column(order_by=("status", "pk"))
    trigger = tables.Column(order_by=("trigger", "pk"))
    duration = tables.Column(accessor="finished_at", verbose_name="Duration", orderable=False)
    summary = tables.Column(orderable=False)
    counts = tables.Column(orderable=False)
    error = tables.Column(orderable=False)

    class Meta:
        model = SyncRun
        fields = ()
        sequence = ("started_at", "status", "trigger", "duration", "summary", "counts", "error")
        order_by = ("-started_at",)
        attrs = {"class": "table"}

    def render_duration(self, record):
        seconds = (record.finished_at - record.started_at).total_seconds()
        return f"{seconds:.1f} s"

    def render_counts(self, value):
        return ", ".join(f"{k}: {v}" for k, v in value.items()) or "—"

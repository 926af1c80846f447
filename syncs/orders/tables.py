"""The order ledger's list: its filter and table (the queryset is
``syncs.orders.selectors.ledger_queryset``)."""

import django_filters
import django_tables2 as tables
from django.db.models import Q

from centra_ip.tables import BaseTable
from syncs.models import Order

STATUSES = ["PENDING", "CONFIRMED", "PROCESSING", "SHIPPED", "ARCHIVED", "CANCELLED"]
YES_NO = [("yes", "Yes"), ("no", "No")]


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


class OrderTable(BaseTable):
    number = tables.Column(linkify=("syncs:order", {"number": tables.A("number")}))
    order_date = tables.DateTimeColumn(verbose_name="Date")
    status = tables.Column()
    store_type = tables.Column(verbose_name="Store")
    line_count = tables.Column(verbose_name="Lines")
    has_parked = tables.BooleanColumn(verbose_name="Parked")
    published = tables.Column(accessor="untaken", verbose_name="Taken by IP")
    grand_total = tables.Column(verbose_name="Total")

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

    def render_published(self, record):
        if not record.has_rows:
            return "nothing to publish"
        return "no" if record.untaken else "yes"

    def render_grand_total(self, record):
        return f"{record.grand_total} {record.currency}"

"""The order ledger's filter, over ``selectors.ledger_queryset`` (its annotations)."""

import django_filters
from django.db.models import Q

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

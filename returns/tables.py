"""The returns queue: a declarative table and filter over expected returns.

Every ordering ends in ``pk``; the line count is an annotation, so a page costs a fixed
number of queries whatever its length.
"""

import django_filters
import django_tables2 as tables
from django.db.models import Count, Q

from returns.models import ExpectedReturn, ReturnState


def queue_queryset():
    return ExpectedReturn.objects.annotate(line_count=Count("lines")).order_by(
        "centra_created_at", "pk"
    )


class ReturnFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Return, order or SKU")
    state = django_filters.ChoiceFilter(choices=ReturnState.choices, empty_label="Any state")

    class Meta:
        model = ExpectedReturn
        fields = ("q", "state")

    def search(self, queryset, name, value):
        value = value.strip()
        found = Q(order_number=value) | Q(lines__centra_sku__iexact=value)
        found |= Q(lines__ip_sku__iexact=value)
        if value.isdigit():
            found |= Q(centra_id=int(value))
        return queryset.filter(pk__in=ExpectedReturn.objects.filter(found).values("pk"))


class ReturnTable(tables.Table):
    centra_id = tables.TemplateColumn(
        "<a href=\"{% url 'returns:detail' record.centra_id %}\">{{ record.centra_id }}</a>",
        verbose_name="Return",
        order_by=("centra_id", "pk"),
    )
    order_number = tables.Column(verbose_name="Order", order_by=("order_number", "pk"))
    state = tables.TemplateColumn(
        '<span class="badge {{ record.state }}">{{ record.get_state_display }}</span>',
        order_by=("state", "pk"),
    )
    line_count = tables.Column(verbose_name="Lines", order_by=("line_count", "pk"))
    centra_created_at = tables.TemplateColumn(
        '<span title="{{ value }}">{{ value|timesince }}</span>',
        verbose_name="Age",
        order_by=("centra_created_at", "pk"),
    )
    state_changed_at = tables.TemplateColumn(
        '<span title="{{ value }}">{{ value|timesince }}</span>',
        verbose_name="In this state for",
        order_by=("state_changed_at", "pk"),
    )

    class Meta:
        model = ExpectedReturn
        fields = ()
        sequence = (
            "centra_id",
            "order_number",
            "state",
            "line_count",
            "centra_created_at",
            "state_changed_at",
        )
        attrs = {"class": "table", "id": "returns-table"}
        empty_text = "No returns match."

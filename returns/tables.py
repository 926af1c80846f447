"""The returns queue: a declarative table and filter over expected returns (the queryset is
``returns.selectors.queue_queryset``; ``pk`` ends every ordering, ``centra_ip.tables``)."""

import django_filters
import django_tables2 as tables
from django.db.models import Q

from centra_ip.tables import BaseTable
from returns.models import ExpectedReturn, ReturnState


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


class ReturnTable(BaseTable):
    centra_id = tables.TemplateColumn(
        "<a href=\"{% url 'returns:detail' record.centra_id %}\">{{ record.centra_id }}</a>",
        verbose_name="Return",
    )
    order_number = tables.Column(verbose_name="Order")
    state = tables.TemplateColumn(
        '<span class="badge {{ record.state }}">{{ record.get_state_display }}</span>',
    )
    line_count = tables.Column(verbose_name="Lines")
    centra_created_at = tables.TemplateColumn(
        '<span title="{{ value }}">{{ value|timesince }}</span>',
        verbose_name="Age",
    )
    state_changed_at = tables.TemplateColumn(
        '<span title="{{ value }}">{{ value|timesince }}</span>',
        verbose_name="In this state for",
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

"""The queue's filters. Every filter is a plain GET parameter, so a filtered queue is a link
that can be shared, bookmarked and put in a digest."""

from datetime import timedelta

import django_filters
from django.db.models import F, Func, Q, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from centra_ip.teams import TEAM_CHOICES
from exceptions.models import Ticket, sla_breached_q
from exceptions.registry import SEVERITY_CHOICES, type_choices
from exceptions.widgets import QuickSelect

ACTIVE = "active"
CLOSED = "closed"
ANY = "any"
STATUS_CHOICES = [
    (ACTIVE, "Active (open, acknowledged; snoozed apart)"),
    *Ticket.Status.choices,
    (CLOSED, "Closed (resolved, auto-resolved)"),
    (ANY, "Any status"),
]
AGE_CHOICES = [
    ("1h", "Older than an hour"),
    ("1d", "Older than a day"),
    ("7d", "Older than a week"),
    ("30d", "Older than 30 days"),
]


class _Joined(Func):
    """Text values joined by a space, with ``||`` (not ``CONCAT``, which PostgreSQL does not
    allow in an index): the columns are never null."""

    arg_joiner = " || ' ' || "
    template = "(%(expressions)s)"
    output_field = TextField()


# Everything the search looks in, as one text: the trigram index ``ticket_search``
# (migration 0007) is on this expression, so PostgreSQL finds the candidates of a search
# from the index instead of reading every ticket. Change both together.
SEARCH_TEXT = _Joined(
    F("sku"), F("order_number"), F("return_id"), F("summary"), Cast("context", TextField())
)
_AGES = {
    "1h": timedelta(hours=1),
    "1d": timedelta(days=1),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
}


class _Choice(django_filters.ChoiceFilter):
    """A choice filter drawn by ``QuickSelect`` (the form is on every queue page)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, widget=QuickSelect, **kwargs)


class TicketFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_search", label="Search")
    team = _Choice(choices=TEAM_CHOICES, empty_label="All teams")
    type = _Choice(choices=type_choices, empty_label="All types")
    status = _Choice(choices=STATUS_CHOICES, method="filter_status", empty_label=None)
    severity = _Choice(choices=SEVERITY_CHOICES, empty_label="Any severity")
    age = _Choice(choices=AGE_CHOICES, method="filter_age", empty_label="Any age", label="Age")
    sla = _Choice(
        choices=[("breached", "Past SLA")], method="filter_sla", empty_label="Any", label="SLA"
    )

    class Meta:
        model = Ticket
        fields = ["q", "team", "type", "status", "severity", "age", "sla"]

    def __init__(self, data=None, *args, **kwargs):
        # The queue shows active tickets unless another status is asked for.
        if data is not None and not data.get("status"):
            data = data.copy()
            data["status"] = ACTIVE
        super().__init__(data, *args, **kwargs)

    def filter_search(self, queryset, name, value):
        """A SKU, order, return or word anywhere in the subject, summary or facts ("RED-03"
        finds P00377-RED-03; "12" finds "Order 12: line ... is parked")."""
        value = value.strip()
        if not value:
            return queryset
        # The joined text holds the value whenever one of the fields does: it narrows the
        # rows through the index, and the test of each field keeps the answer exact (a value
        # spanning two fields in the joined text is not a match).
        candidates = queryset.alias(search_text=SEARCH_TEXT).filter(search_text__icontains=value)
        return candidates.alias(context_text=Cast("context", TextField())).filter(
            Q(sku__icontains=value)
            | Q(order_number__icontains=value)
            | Q(return_id__icontains=value)
            | Q(summary__icontains=value)
            | Q(context_text__icontains=value)
        )

    def filter_status(self, queryset, name, value):
        if value == ACTIVE:
            # snoozed tickets are parked on purpose: they have their own status choice
            return queryset.filter(status__in=(Ticket.Status.OPEN, Ticket.Status.ACKNOWLEDGED))
        if value == CLOSED:
            return queryset.filter(status__in=Ticket.CLOSED)
        if value == ANY:
            return queryset
        return queryset.filter(status=value)

    def filter_age(self, queryset, name, value):
        return queryset.filter(first_seen__lt=timezone.now() - _AGES[value])

    def filter_sla(self, queryset, name, value):
        now = timezone.now()
        if self.form.cleaned_data.get("status") in (CLOSED, ANY):
            return queryset.filter(sla_breached_q(now))
        # An active status is filtered already, so only the deadline is left to test: the
        # status test again would make PostgreSQL count the status twice, expect a few
        # dozen rows instead of thousands, and sort them all for the first page.
        return queryset.filter(sla_due_at__lt=now)

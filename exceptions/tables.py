"""The queue table. Every column sorts with ``pk`` last, so pages never overlap or skip
rows when many tickets share a value (a run raises thousands with the same last_seen)."""

import django_tables2 as tables
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.timesince import timesince

from exceptions.models import Ticket


class TicketTable(tables.Table):
    tickets = tables.CheckBoxColumn(
        accessor="pk",
        attrs={
            "th__input": {"id": "select-all", "aria-label": "Select all"},
            "td__input": {"form": "bulk-form", "aria-label": "Select"},
        },
    )
    id = tables.Column(
        verbose_name="#", linkify=("exceptions:ticket", [tables.A("pk")]), order_by=("pk",)
    )
    title = tables.Column(
        accessor="type",
        verbose_name="Ticket",
        linkify=("exceptions:ticket", [tables.A("pk")]),
        order_by=("type", "pk"),
    )
    severity = tables.Column(order_by=("severity", "pk"))
    team = tables.Column(order_by=("team", "pk"))
    status = tables.Column(order_by=("status", "pk"))
    assignee = tables.Column(order_by=("assignee__username", "pk"))
    occurrences = tables.Column(verbose_name="Seen", order_by=("occurrences", "pk"))
    first_seen = tables.Column(verbose_name="Age", order_by=("first_seen", "pk"))
    last_seen = tables.Column(verbose_name="Last seen", order_by=("last_seen", "pk"))
    sla = tables.Column(verbose_name="SLA", empty_values=(), orderable=False)

    class Meta:
        model = Ticket
        fields = ()
        sequence = (
            "tickets",
            "id",
            "title",
            "severity",
            "team",
            "status",
            "assignee",
            "occurrences",
            "first_seen",
            "last_seen",
            "sla",
        )
        order_by = ("-last_seen",)
        attrs = {"class": "table queue", "id": "queue-table"}
        row_attrs = {"id": lambda record: f"ticket-{record.pk}"}
        empty_text = "No tickets match."

    def render_title(self, record):
        summary = (
            format_html('<div class="muted">{}</div>', record.summary) if record.summary else ""
        )
        regression = (
            format_html(' <span class="badge regression">regression #{}</span>', record.regressions)
            if record.regressions
            else ""
        )
        return format_html("{}{}{}", record.title, regression, summary)

    def render_severity(self, record):
        return format_html(
            '<span class="badge {}">{}</span>', record.severity, record.get_severity_display()
        )

    def render_team(self, record):
        return record.get_team_display()

    def render_status(self, record):
        return format_html(
            '<span class="badge {}">{}</span>', record.status, record.get_status_display()
        )

    def render_first_seen(self, value):
        return format_html('<span title="{}">{}</span>', value.isoformat(), timesince(value))

    def render_sla(self, record):
        if record.is_sla_breached:
            return mark_safe('<span class="badge breached">past SLA</span>')
        return ""

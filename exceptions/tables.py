"""The queue table. Every column sorts with ``pk`` last (``centra_ip.tables.BaseTable``), so
pages never overlap or skip rows when many tickets share a value (a run raises thousands
with the same last_seen).

The columns declare headers and ordering; the row markup is one ``{% queue_row %}`` per row
(``exceptions/_queue_table.html``, ``exceptions.templatetags.exception_queue``) rather than a
render method per cell: django-tables2's per-cell machinery costs ~1 ms per row, the template
engine ~0.4 ms, which at 50 rows was most of the queue's time.
"""

import django_tables2 as tables

from centra_ip.tables import BaseTable
from exceptions.models import Ticket


class TicketTable(BaseTable):
    tickets = tables.CheckBoxColumn(
        accessor="pk", attrs={"th__input": {"id": "select-all", "aria-label": "Select all"}}
    )
    id = tables.Column(verbose_name="#", order_by=("pk",))
    title = tables.Column(accessor="type", verbose_name="Ticket")
    severity = tables.Column(order_by=("severity_rank",))  # critical first
    team = tables.Column()
    status = tables.Column()
    assignee = tables.Column(order_by=("assignee__username",))
    occurrences = tables.Column(verbose_name="Seen")
    first_seen = tables.Column(verbose_name="Age")
    last_seen = tables.Column(verbose_name="Last seen")

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
        )
        order_by = ("-last_seen",)
        template_name = "exceptions/_queue_table.html"
        attrs = {"class": "table queue", "id": "queue-table"}
        empty_text = "No tickets match."

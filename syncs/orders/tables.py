"""The order ledger's table and the run history table (their filter is ``filters.py``,
their queryset ``selectors.py``)."""

import django_tables2 as tables

from syncs.models import Order, SyncRun


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

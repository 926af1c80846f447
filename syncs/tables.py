"""The run history of every stream: one table, one screen (``/syncs/runs/<stream>/``).

Every stream's runs show when, how, how long, the summary, the counts and the error; a
stream whose counts are worth columns of their own names them in ``COUNT_COLUMNS`` (the
stock run's throughput), and those replace the generic counts column. The syncs hub shows
the same table over all streams, with a stream column.
"""

import django_tables2 as tables

from centra_ip.tables import BaseTable
from syncs.models import SyncRun
from syncs.stock.tables import run_columns as stock_run_columns

COUNT_COLUMNS = {"stock": stock_run_columns}


class SyncRunTable(BaseTable):
    stream = tables.Column()
    started_at = tables.DateTimeColumn(verbose_name="Started")
    status = tables.TemplateColumn(
        '<span class="badge {{ record.status }}">{{ record.get_status_display }}</span>'
        '{% if record.dry_run %} <span class="muted">dry run</span>{% endif %}',
    )
    trigger = tables.Column()
    duration = tables.Column(accessor="finished_at", verbose_name="Duration", orderable=False)
    summary = tables.Column(orderable=False)
    counts = tables.Column(orderable=False)
    error = tables.Column(orderable=False)

    class Meta:
        model = SyncRun
        fields = ()
        order_by = ("-started_at",)
        attrs = {"class": "table", "id": "runs-table"}
        empty_text = "No runs yet."

    def __init__(self, data, *, stream: str | None = None, **kwargs):
        """``stream``: one stream's runs (no stream column; its own count columns, if any)."""
        counts = COUNT_COLUMNS[stream]() if stream in COUNT_COLUMNS else []
        hidden = ("stream",) if stream else ()
        if counts:
            hidden += ("counts",)
        names = [name for name, _ in counts]
        sequence = ("stream", "started_at", "status", "trigger", "duration", *names)
        sequence += ("summary", "counts", "error")
        super().__init__(data, extra_columns=counts, exclude=hidden, sequence=sequence, **kwargs)

    def render_stream(self, record):
        return record.get_stream_display()

    def render_duration(self, record):
        seconds = (record.finished_at - record.started_at).total_seconds()
        return f"{seconds:.1f} s"

    def render_counts(self, value):
        return ", ".join(f"{k}: {v}" for k, v in value.items()) or "—"

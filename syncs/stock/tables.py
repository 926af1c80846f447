"""The stock room's tables: a push's lines, and the counts a stock run adds to the run
history (``syncs.tables.SyncRunTable`` shows them as columns for the stock stream)."""

import django_tables2 as tables

from centra_ip.tables import BaseTable
from syncs.models import StockPushLine


def run_columns() -> list[tuple[str, tables.Column]]:
    """A stock run's throughput, read from its counts (fresh columns for each table).

    A column whose accessor is a JSON key needs its own heading (django-tables2 would title
    it after the field: "Counts")."""

    def count(key: str, heading: str) -> tables.Column:
        return tables.Column(
            accessor=f"counts__{key}", orderable=False, default="", verbose_name=heading
        )

    return [
        ("planned", count("planned", "Lines")),
        ("mutations", count("mutations", "Mutations")),
        ("rejected", count("rejected", "Rejected")),
        ("push_seconds", count("push_seconds", "Push s")),
        ("lines_per_second", count("lines_per_second", "SKUs/s")),
        (
            "quota",
            count("mutations_per_10s", "Mutations per 10 s (extrapolated from the run's pace)"),
        ),
        ("drift", count("drift", "Drifting")),
        (
            "zero_lane_write",
            count("read_to_write__zero__max", "IP read to Centra write, zero lane (slowest s)"),
        ),
    ]


class PushLineTable(BaseTable):
    rows_per_page = 100  # a push is read as one list: its batches and lanes side by side

    position = tables.Column(verbose_name="#")
    lane = tables.Column(order_by=("lane", "position"))
    sku = tables.TemplateColumn(
        "<a href=\"{% url 'syncs:stock_sku' record.sku %}\">{{ record.sku }}</a>",
        verbose_name="SKU",
    )
    centra_warehouse_id = tables.Column(verbose_name="Warehouse")
    previous_pushed = tables.Column(verbose_name="Last pushed", orderable=False, default="-")
    centra_before = tables.Column(verbose_name="Centra had", orderable=False, default="-")
    quantity = tables.Column(verbose_name="New ATS")
    why = tables.Column(orderable=False)
    batch = tables.Column(order_by=("batch", "position"), default="-")
    status = tables.Column()
    message = tables.Column(orderable=False, default="")

    class Meta:
        model = StockPushLine
        fields = ()
        sequence = (
            "position",
            "lane",
            "sku",
            "centra_warehouse_id",
            "previous_pushed",
            "centra_before",
            "quantity",
            "why",
            "batch",
            "status",
            "message",
        )
        order_by = ("position",)
        attrs = {"class": "table", "id": "push-lines"}
        empty_text = "Nothing to push."

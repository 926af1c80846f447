"""The order ledger's table (its filter is ``syncs.orders.filters.OrderFilter``, its
queryset ``syncs.orders.selectors.ledger_queryset``)."""

import django_tables2 as tables

from centra_ip.tables import BaseTable
from syncs.models import Order


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

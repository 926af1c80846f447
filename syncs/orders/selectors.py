"""Reads for the orders screens: the ledger's queryset, annotated with everything its
columns show (one query per page, whatever the page size)."""

from django.db.models import Count, Exists, OuterRef

from syncs.models import Order, OrderLine, SalesFeedRow
from syncs.orders.tickets import feed_taken_through


def ledger_queryset():
    """Orders with their line counts, parked flag and "taken by IP" flag annotated."""
    through = feed_taken_through()
    return Order.objects.annotate(
        line_count=Count("lines"),
        has_parked=Exists(OrderLine.objects.filter(order=OuterRef("pk"), parked=True)),
        untaken=Exists(SalesFeedRow.objects.filter(order=OuterRef("pk"), changed_at__gt=through)),
        has_rows=Exists(SalesFeedRow.objects.filter(order=OuterRef("pk"))),
    )

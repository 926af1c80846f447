"""The order ledger, one order's page and the feed's delivery receipts (read-only screens)."""

from django.db.models import Q
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from centra_ip.permissions import VIEW_SYNCS, requires
from exceptions.models import Ticket
from syncs.models import FeedDelivery, Order
from syncs.orders.filters import OrderFilter
from syncs.orders.selectors import ledger_queryset
from syncs.orders.tables import OrderTable


@require_GET
@requires(VIEW_SYNCS)
def ledger(request):
    filtered = OrderFilter(request.GET, queryset=ledger_queryset())
    table = OrderTable(filtered.qs).configure(request)
    return render(
        request,
        "syncs/orders/ledger.html",
        {
            "filter": filtered,
            "table": table,
            "deliveries": FeedDelivery.objects.all()[:5],
        },
    )


@require_GET
@requires(VIEW_SYNCS)
def order_detail(request, number: int):
    order = get_object_or_404(Order, number=number)
    rows = list(order.feed_rows.order_by("sku", "pk"))
    last_change = max((row.changed_at for row in rows), default=None)
    taken_by = (
        FeedDelivery.objects.filter(
            status=FeedDelivery.Status.COMPLETE, served_through__gte=last_change
        )
        .order_by("served_through", "pk")
        .first()
        if last_change
        else None
    )
    return render(
        request,
        "syncs/orders/order.html",
        {
            "order": order,
            "lines": order.lines.order_by("centra_line_id", "pk"),
            "rows": rows,
            "last_change": last_change,
            "taken_by": taken_by,
            "receipts": FeedDelivery.objects.filter(started_at__gte=order.stored_at)[:10],
            # a parked line's ticket is about its SKU (one ticket for every order parked on
            # it; its context names the latest): the order shows the tickets of its lines
            "tickets": Ticket.objects.filter(
                Q(order_number=str(order.number))
                | Q(context__order_number=order.number)
                | Q(
                    type="sku_missing_in_ip",
                    sku__in=order.lines.filter(parked=True).values("centra_sku"),
                )
            ).order_by("-pk"),
        },
    )


@require_GET
@requires(VIEW_SYNCS)
def feed_deliveries(request):
    return render(
        request,
        "syncs/orders/deliveries.html",
        {
            "deliveries": FeedDelivery.objects.all()[:100],
            "taken_through": FeedDelivery.objects.taken_through(),
        },
    )

"""The orders engine against the Centra twin: idempotent ledger, cancellations, parked lines,
cursor discipline and failures mid-run."""

from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from django.utils import timezone

from exceptions.models import Ticket
from syncs.catalog.mapping import sku_mapping_create
from syncs.clients import transports_install
from syncs.connectors.base import BadPayloadError
from syncs.models import Order, OrderLine, OrdersCursor, SalesFeedRow, SkuMapping
from syncs.orders import pull as orders_pull_module

pytestmark = pytest.mark.django_db


def sellable(sandbox, n: int) -> list[str]:
    return sandbox.world.sellable[:n]


def centra_only_sku(sandbox) -> str:
    return next(sku for sku in sandbox.centra.state.sizes_by_sku if sku.startswith("P00013"))


def feed_row(line_id: int) -> SalesFeedRow:
    return SalesFeedRow.objects.get(source="order_line", source_ref=str(line_id))


def test_orders_are_stored_once_however_often_the_run_repeats(catalog, run_engine):
    a, b = sellable(catalog, 2)
    first = catalog.centra.state.place_order([(a, 2, "49.00"), (b, 1, "29.00")])
    second = catalog.centra.state.place_order([(a, 1, "49.00")])

    result = run_engine("orders")

    assert result.counts["mode"] == "events+recovery"
    assert (result.counts["orders_new"], result.counts["lines_new"]) == (2, 3)
    assert Order.objects.count() == 2
    order = Order.objects.get(number=first.number)
    assert (order.centra_id, order.status, order.currency) == (first.id, "CONFIRMED", "EUR")
    line = OrderLine.objects.get(centra_line_id=first.all_lines[0].id)
    assert (line.centra_sku, line.ip_sku, line.quantity, line.unit_price, line.parked) == (
        a,
        a,
        2,
        Decimal("49.00"),
        False,
    )
    row = feed_row(first.all_lines[0].id)
    mapping = SkuMapping.objects.get(sku=a)
    assert (row.order_number, row.sku, row.product_id, row.quantity, row.cancelled) == (
        str(first.number),
        a,
        mapping.ip_variant_id,
        2,
        False,
    )
    stamps = list(SalesFeedRow.objects.order_by("pk").values_list("pk", "changed_at"))

    again = run_engine("orders")  # the events are confirmed: nothing comes back
    full = run_engine("orders", full=True)  # a recovery pass reads both orders again

    assert again.counts["mode"] == "events+poll"
    assert again.counts["events"] == 0
    # The poll re-reads what changed within its overlap, and finds nothing new in it.
    assert again.counts["fetched"] == 2
    assert (again.counts["orders_new"], again.counts["orders_changed"]) == (0, 0)
    assert full.counts["fetched"] == 2 + 2  # the poll's overlap, then the recovery pass
    assert (full.counts["orders_new"], full.counts["orders_changed"]) == (0, 0)
    assert full.counts["lines_changed"] == full.counts["feed_rows_written"] == 0
    assert Order.objects.count() == 2 and OrderLine.objects.count() == 3
    assert list(SalesFeedRow.objects.order_by("pk").values_list("pk", "changed_at")) == stamps
    assert second.number in set(Order.objects.values_list("number", flat=True))


def test_a_crash_between_fetch_and_store_loses_nothing(catalog, run_engine, monkeypatch):
    run_engine("orders")  # subscribed, first recovery pass done
    order = catalog.centra.state.place_order([(sellable(catalog, 1)[0], 1, "10.00")])
    real_store = orders_pull_module.orders_store

    def crash(**kwargs):
        raise RuntimeError("worker killed")

    monkeypatch.setattr(orders_pull_module, "orders_store", crash)
    with pytest.raises(RuntimeError):
        run_engine("orders")
    assert not Order.objects.filter(number=order.number).exists()
    assert len(catalog.centra.state.events) == 1  # not confirmed: it comes back

    monkeypatch.setattr(orders_pull_module, "orders_store", real_store)
    result = run_engine("orders")
    result_again = run_engine("orders")  # the task delivered twice

    assert (result.counts["events"], result.counts["orders_new"]) == (1, 1)
    assert result_again.counts["events"] == 0
    assert Order.objects.filter(number=order.number).count() == 1
    assert catalog.centra.state.events == {}


def test_full_and_line_cancellations_update_the_ledger_and_the_feed(catalog, run_engine):
    a, b = sellable(catalog, 2)
    state = catalog.centra.state
    whole = state.place_order([(a, 2, "49.00"), (b, 1, "29.00")])
    partial = state.place_order([(a, 3, "49.00"), (b, 2, "29.00")])
    run_engine("orders")

    state.cancel_order(whole.number)
    state.cancel_line(partial.number, partial.all_lines[0].id, 1)
    state.cancel_line(partial.number, partial.all_lines[1].id, 2)
    result = run_engine("orders")

    assert result.counts["orders_changed"] == 2
    assert result.counts["cancellations"] == 3  # one order, two lines
    cancelled = Order.objects.get(number=whole.number)
    assert cancelled.status == "CANCELLED" and cancelled.cancelled_at is not None
    assert [(r.quantity, r.cancelled) for r in SalesFeedRow.objects.filter(order=cancelled)] == [
        (2, True),
        (1, True),
    ]
    reduced = feed_row(partial.all_lines[0].id)
    assert (reduced.quantity, reduced.cancelled) == (2, False)
    gone = feed_row(partial.all_lines[1].id)
    assert (gone.quantity, gone.cancelled) == (2, True)
    line = OrderLine.objects.get(centra_line_id=partial.all_lines[0].id)
    assert (line.quantity, line.cancelled_quantity) == (2, 1)
    assert line.cancellation_seen_at is not None


def test_an_unmapped_line_is_parked_with_a_ticket_and_the_rest_published(catalog, run_engine):
    a = sellable(catalog, 1)[0]
    unmapped = centra_only_sku(catalog)
    order = catalog.centra.state.place_order([(a, 1, "49.00"), (unmapped, 2, "79.00")])

    result = run_engine("orders")

    assert result.counts["lines_parked"] == 1
    parked = OrderLine.objects.get(centra_line_id=order.all_lines[1].id)
    assert (parked.parked, parked.ip_sku) == (True, "")
    assert SalesFeedRow.objects.filter(order__number=order.number).count() == 1
    ticket = Ticket.objects.get(type="sku_missing_in_ip", sku=unmapped)
    assert ticket.status == Ticket.Status.OPEN
    assert ticket.occurrences == 2  # the catalog run raised it, the parked line counted on it

    # The merchandiser creates the IP variant under another SKU and maps it by hand.
    variant_id = catalog.inventory_planner.add_variant("IP-" + unmapped, barcode="")
    run_engine("catalog")
    mapping = sku_mapping_create(
        centra_size_id=catalog.centra.state.size(unmapped).id,
        ip_variant_id=variant_id,
        source=SkuMapping.Source.MANUAL,
    )

    parked.refresh_from_db()
    assert (parked.parked, parked.ip_sku, parked.ip_variant_id) == (False, mapping.sku, variant_id)
    row = feed_row(order.all_lines[1].id)
    assert (row.sku, row.quantity, row.price) == ("IP-" + unmapped, 2, Decimal("79.00"))
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.AUTO_RESOLVED

    again = run_engine("orders", full=True)
    assert again.counts["lines_parked"] == 0 and again.counts["feed_rows_written"] == 0


def test_a_parked_lines_ticket_resolves_when_an_automatic_mapping_publishes_it(
    catalog, run_engine, client_for
):
    """The catalog run maps the SKU by itself (IP got the same SKU): the moment the line is
    published its ticket resolves, not at the next catalog run; the order page shows it."""
    from syncs.orders.store import order_lines_redrive

    unmapped = centra_only_sku(catalog)
    order = catalog.centra.state.place_order([(unmapped, 1, "49.00")])
    run_engine("orders")
    ticket = Ticket.objects.get(type="sku_missing_in_ip", sku=unmapped)
    page = client_for("operations").get(f"/syncs/orders/{order.number}/").content.decode()
    assert f'href="/exceptions/{ticket.pk}/"' in page
    size = catalog.centra.state.size(unmapped)
    mapping = SkuMapping.objects.create(
        sku=unmapped,
        ip_variant_id="v-auto",
        centra_size_id=size.id,
        centra_variant_id=1,
        centra_product_id=1,
        centra_sku=unmapped,
        source=SkuMapping.Source.AUTOMATIC,
        created_at=timezone.now(),
        updated_at=timezone.now(),
    )
    assert order_lines_redrive(mappings=[mapping]) == 1
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.AUTO_RESOLVED
    assert "parked order lines were published" in ticket.events.last().note


def test_every_order_parked_on_a_sku_shows_that_skus_ticket(catalog, run_engine, client_for):
    """One ticket per unmapped SKU, whose context names the latest order parked on it: the
    earlier order's page still lists it, through its parked line."""
    unmapped = centra_only_sku(catalog)
    first = catalog.centra.state.place_order([(unmapped, 1, "49.00")])
    run_engine("orders")
    catalog.centra.state.place_order([(unmapped, 1, "49.00")])
    run_engine("orders")
    ticket = Ticket.objects.get(type="sku_missing_in_ip", sku=unmapped)
    assert ticket.context["order_number"] != first.number
    page = client_for("operations").get(f"/syncs/orders/{first.number}/").content.decode()
    assert f'href="/exceptions/{ticket.pk}/"' in page


def test_without_events_a_failed_pass_keeps_its_stored_batches_and_is_redone(
    catalog, run_engine, settings
):
    """Events off: recovery on the first run, then the poll. Page two of the first pass
    fails: page one stays stored and the cursor does not move, so the next run redoes the
    pass (storing is idempotent); afterwards each run polls."""
    settings.ORDERS_USE_EVENTS = False
    state = catalog.centra.state
    start = (timezone.now() - timedelta(hours=5)).replace(microsecond=0)
    skus = sellable(catalog, 3)
    for n in range(150):
        state.place_order([(skus[n % 3], 1, "10.00")], order_date=start + timedelta(minutes=n))
    orders_requests = {"n": 0}

    def centra(request):
        if b"query orders" in request.content:
            orders_requests["n"] += 1
            if orders_requests["n"] == 2:
                catalog.centra.faults.update(fail_next=1, fail_next_kind="malformed")
        return catalog.centra.handle(request)

    with transports_install(centra=httpx.MockTransport(centra)), pytest.raises(BadPayloadError):
        run_engine("orders")

    assert Order.objects.count() == 100
    cursor = OrdersCursor.objects.get()
    assert (cursor.window_end, cursor.recovered_at) == (None, None)

    result = run_engine("orders")
    assert result.counts["mode"] == "recovery"
    assert (result.counts["orders_new"], Order.objects.count()) == (50, 150)
    assert OrdersCursor.objects.get().window_end is not None

    state.place_order([(skus[0], 1, "10.00")])
    result = run_engine("orders")
    assert result.counts["mode"] == "poll"
    assert (result.counts["orders_new"], result.counts["orders_changed"]) == (1, 0)


def test_a_failed_poll_does_not_move_its_cursor(catalog, run_engine, settings):
    settings.ORDERS_USE_EVENTS = False
    run_engine("orders")
    before = OrdersCursor.objects.get().window_end
    order = catalog.centra.state.place_order([(sellable(catalog, 1)[0], 1, "10.00")])
    catalog.centra.faults.update(fail_next=1, fail_next_kind="malformed")

    with pytest.raises(BadPayloadError):
        run_engine("orders")

    assert OrdersCursor.objects.get().window_end == before
    result = run_engine("orders")
    assert result.counts["mode"] == "poll" and result.counts["orders_new"] == 1
    assert Order.objects.filter(number=order.number).exists()
    assert OrdersCursor.objects.get().window_end > before


def test_dry_run_stores_nothing_and_confirms_nothing(catalog, run_engine):
    run_engine("orders")
    catalog.centra.state.place_order([(sellable(catalog, 1)[0], 1, "10.00")])

    result = run_engine("orders", dry_run=True)

    assert result.summary.startswith("dry run: events+poll: ")
    assert result.counts["events"] == 1
    assert Order.objects.count() == 0
    assert len(catalog.centra.state.events) == 1


def test_5xx_answers_mid_run_are_retried_and_the_run_finishes(catalog, run_engine):
    state = catalog.centra.state
    for _ in range(120):  # two pages
        state.place_order([(sellable(catalog, 1)[0], 1, "10.00")])
    pages = {"n": 0}

    def centra(request):
        if b"query orders" in request.content:
            pages["n"] += 1
            if pages["n"] == 2:  # the second page fails twice before it is answered
                catalog.centra.faults.update(fail_next=2, fail_next_kind="server_error")
        return catalog.centra.handle(request)

    with transports_install(centra=httpx.MockTransport(centra)):
        result = run_engine("orders")

    assert (result.counts["orders_new"], Order.objects.count()) == (120, 120)
    assert OrderLine.objects.count() == SalesFeedRow.objects.count() == 120

"""Each stock-in failure, its ticket, and the retry that re-runs exactly the failed step."""

from datetime import timedelta

import httpx
import pytest
import time_machine
from django.utils import timezone

from exceptions.models import Ticket
from exceptions.services import ticket_retry
from returns.models import ExpectedReturn, ReturnState, StockIn
from returns.services import return_line_qc, return_line_receive
from returns.stock_in import stock_in_run
from returns.tasks import stock_in as stock_in_task
from syncs.clients import inventory_planner_client, transports_install
from syncs.models import ExternalCall
from syncs.sandbox.world import IP_WAREHOUSE
from syncs.stock.ledger import status_quantities
from tests.engines import engine_run
from tests.returns.conftest import in_qc, shipped_return

pytestmark = pytest.mark.django_db


def received_line(world, sku, quantity=1):
    centra_return = shipped_return(world, [(sku, quantity)])
    engine_run("returns")
    line = ExpectedReturn.objects.get(centra_id=centra_return.id).lines.get()
    return_line_receive(line=line, quantity=quantity)
    return line


def stock_orders(reference):
    with inventory_planner_client() as client:
        return [po for po in client.iter_purchase_orders() if po.reference == reference]


def failing(world, method, *, status=503, act=False):
    """The IP twin, except that ``method`` requests answer ``status`` (after the twin acted
    on them when ``act``: the "it worked but the answer was lost" case)."""

    def handle(request):
        if request.method != method:
            return world.inventory_planner.handle(request)
        if act:
            world.inventory_planner.handle(request)
        return httpx.Response(status, text="<html>bad gateway</html>")

    return transports_install(inventory_planner=httpx.MockTransport(handle))


def posts():
    return ExternalCall.objects.filter(operation="POST /purchase-orders", outcome="ok").count()


def test_a_failed_create_raises_a_fulfilment_ticket_and_the_units_stay_unsellable(world, personas):
    sku = world.world.sellable[10]
    line = received_line(world, sku, 2)
    with failing(world, "POST"):
        stock_in = return_line_qc(line=line, passed=2, actor=personas["fulfilment"])
    assert (stock_in.state, stock_in.step, stock_in.attempts) == ("failed", "create", 1)
    assert stock_in.last_error == "POST /purchase-orders: server error 503"
    assert stock_orders(stock_in.idempotency_key) == []
    assert in_qc(sku) == 2
    assert status_quantities({IP_WAREHOUSE: 1})[(sku, 1)] == {"in_qc": 2}
    ret = line.expected_return
    ret.refresh_from_db()
    assert ret.state == ReturnState.EXCEPTION
    ticket = Ticket.objects.get(type="stock_in_failed")
    assert (ticket.return_id, ticket.sku, ticket.order_number, ticket.team) == (
        str(ret.centra_id),
        sku,
        ret.order_number,
        "fulfilment",
    )
    assert ticket.context["return_line_id"] == line.centra_line_id
    assert ticket.context["step"] == "create"

    result = ticket_retry(ticket=ticket, actor=personas["fulfilment"])
    assert result.ok, result.message
    stock_in.refresh_from_db()
    ticket.refresh_from_db()
    assert (stock_in.state, ticket.status) == ("confirmed", "auto_resolved")
    assert len(stock_orders(stock_in.idempotency_key)) == 1
    assert in_qc(sku) == 0
    ret.refresh_from_db()
    assert ret.state == ReturnState.COMPLETE
    assert [(a.step, a.ok, a.trigger) for a in stock_in.attempt_rows.all()] == [
        ("create", False, "qc"),
        ("create", True, "ticket retry"),
        ("receive", True, "ticket retry"),
        ("confirm", True, "ticket retry"),
    ]


def test_a_failed_receive_is_retried_without_creating_a_second_stock_order(world):
    sku = world.world.sellable[11]
    line = received_line(world, sku)
    with failing(world, "PATCH", status=403):  # e.g. a key without write access
        stock_in = return_line_qc(line=line, passed=1)
    assert (stock_in.state, stock_in.step) == ("failed", "receive")
    [po] = stock_orders(stock_in.idempotency_key)
    assert po.item(line.ip_variant_id).received == 0
    assert posts() == 1

    ticket = Ticket.objects.get(type="stock_in_failed")
    assert ticket_retry(ticket=ticket, actor=None).ok
    assert ticket_retry(ticket=ticket, actor=None) is None  # closed: the second retry does nothing
    stock_in.refresh_from_db()
    assert (stock_in.state, stock_in.po_id) == ("confirmed", po.id)
    assert posts() == 1
    assert stock_orders(stock_in.idempotency_key)[0].item(line.ip_variant_id).received == 1


def test_a_create_that_acted_but_answered_badly_is_found_by_reference_not_created_twice(world):
    sku = world.world.sellable[12]
    line = received_line(world, sku)
    with failing(world, "POST", status=200, act=True):
        stock_in = return_line_qc(line=line, passed=1)
    assert (stock_in.state, stock_in.step, stock_in.po_id) == ("failed", "create", "")
    assert len(stock_orders(stock_in.idempotency_key)) == 1  # IP did create it

    stock_in_run(stock_in_id=stock_in.pk, trigger="ticket retry")
    stock_in.refresh_from_db()
    assert stock_in.state == "confirmed"
    assert len(stock_orders(stock_in.idempotency_key)) == 1
    assert in_qc(sku) == 0


def test_a_task_delivered_twice_and_a_retry_after_success_stock_in_once(world):
    sku = world.world.sellable[13]
    line = received_line(world, sku, 2)
    with failing(world, "POST"):
        stock_in = return_line_qc(line=line, passed=2)
    assert stock_in.state == "failed"
    assert stock_in_task(stock_in.pk) == f"stock-in {stock_in.idempotency_key}: confirmed"
    assert stock_in_task(stock_in.pk) == f"stock-in {stock_in.idempotency_key}: confirmed"
    ticket = Ticket.objects.get(type="stock_in_failed")
    assert ticket.status == "auto_resolved"
    calls = ExternalCall.objects.count()
    assert stock_in_run(stock_in_id=stock_in.pk, trigger="ticket retry").state == "confirmed"
    assert ExternalCall.objects.count() == calls  # nothing sent for a confirmed stock-in
    assert posts() == 1
    assert in_qc(sku) == 0
    assert stock_orders(stock_in.idempotency_key)[0].item(line.ip_variant_id).received == 2


def test_a_claimed_stock_in_is_not_run_by_a_second_delivery(world):
    line = received_line(world, world.world.sellable[14])
    with failing(world, "POST"):
        stock_in = return_line_qc(line=line, passed=1)
    StockIn.objects.filter(pk=stock_in.pk).update(running_since=timezone.now())
    calls = ExternalCall.objects.count()
    assert stock_in_run(stock_in_id=stock_in.pk, trigger="task").state == "failed"
    assert ExternalCall.objects.count() == calls


def test_on_hand_mode_waits_for_the_rise_then_tickets_after_the_sla(world, settings):
    settings.RETURNS_CONFIRM = "on_hand"
    sku = world.world.sellable[15]
    line = received_line(world, sku)
    stock_in = return_line_qc(line=line, passed=1)
    # receiving does not move IP's on-hand (the twin's default, as the reference says)
    assert (stock_in.state, stock_in.step) == ("awaiting", "confirm")
    assert in_qc(sku) == 1
    ret = line.expected_return
    ret.refresh_from_db()
    assert ret.state == ReturnState.STOCKING_IN
    engine_run("returns")
    stock_in.refresh_from_db()
    assert stock_in.state == "awaiting" and not Ticket.objects.filter(type="stock_in_failed")

    with time_machine.travel(timezone.now() + timedelta(hours=5)):
        engine_run("returns")
    stock_in.refresh_from_db()
    ticket = Ticket.objects.get(type="stock_in_failed")
    assert (stock_in.state, stock_in.step) == ("failed", "confirm")
    assert "not confirmed within" in ticket.summary

    world.inventory_planner.adjust_stock(sku, IP_WAREHOUSE, 1)  # the WMS reports the unit
    engine_run("returns")
    stock_in.refresh_from_db()
    ticket.refresh_from_db()
    assert (stock_in.state, ticket.status) == ("confirmed", "auto_resolved")
    assert in_qc(sku) == 0


def test_an_unreceived_return_is_overdue_after_n_days_until_it_is_received(world, settings):
    settings.RETURNS_OVERDUE_DAYS = 3
    centra_return = shipped_return(world, [(world.world.sellable[16], 1)])
    engine_run("returns")
    assert not Ticket.objects.filter(type="return_overdue").exists()
    with time_machine.travel(timezone.now() + timedelta(days=4)):
        engine_run("returns")
    ticket = Ticket.objects.get(type="return_overdue")
    assert (ticket.return_id, ticket.team) == (str(centra_return.id), "fulfilment")
    line = ExpectedReturn.objects.get(centra_id=centra_return.id).lines.get()
    return_line_receive(line=line, quantity=1)
    ticket.refresh_from_db()
    assert ticket.status == "auto_resolved"


def test_a_retry_that_fails_again_keeps_the_ticket_open_and_says_why(world):
    line = received_line(world, world.world.sellable[17])
    with failing(world, "POST"):
        stock_in = return_line_qc(line=line, passed=1)
        ticket = Ticket.objects.get(type="stock_in_failed")
        result = ticket_retry(ticket=ticket, actor=None)
    assert result.ok is False
    assert result.message == (
        f"Stock-in {stock_in.idempotency_key} is failed at step 'Create the stock order': "
        "POST /purchase-orders: server error 503"
    )
    ticket.refresh_from_db()
    stock_in.refresh_from_db()
    assert (ticket.status, ticket.occurrences, stock_in.attempts) == ("open", 2, 2)
    assert stock_orders(stock_in.idempotency_key) == []
    assert in_qc(line.ip_sku) == 1


def test_a_ticket_about_no_known_stock_in_cannot_be_retried_into_success(world):
    from exceptions.services import ticket_raise

    ticket = ticket_raise(type_code="stock_in_failed", source="test", return_id="R-1")
    assert ticket_retry(ticket=ticket, actor=None).message == "'R-1' is not a Centra return id."
    other = ticket_raise(type_code="stock_in_failed", source="test", return_id="999", sku="X")
    assert ticket_retry(ticket=other, actor=None).ok is False

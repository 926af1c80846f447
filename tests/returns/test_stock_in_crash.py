"""A stock-in whose worker was killed: its late "create stock order" request must not leave
two stock orders in IP (found by the soak: docs/reliability.md), and its claim is taken
over only once that request can no longer land."""

from datetime import timedelta

import httpx
import pytest
from django.utils import timezone

from returns.models import StockIn
from returns.services import return_line_qc
from returns.stock_in import CLAIM_EXPIRES, stock_in_run, stock_ins_due, stock_ins_not_yet_due
from syncs.clients import transports_install
from syncs.models import ExternalCall
from tests.returns.test_stock_in_failures import received_line, stock_orders

pytestmark = pytest.mark.django_db


def dead_worker_create(world, *, lands: str):
    """The IP twin, with a dead worker's earlier create for the same reference landing
    just before (``lands="before"``) or just after (``"after"``) this worker's create."""

    def handle(request):
        is_create = request.method == "POST" and request.url.path.endswith("/purchase-orders")
        if is_create and lands == "before":
            world.inventory_planner.handle(request)
        response = world.inventory_planner.handle(request)
        if is_create and lands == "after":
            world.inventory_planner.handle(request)
        return response

    return transports_install(inventory_planner=httpx.MockTransport(handle))


def live_orders(reference):
    return [po for po in stock_orders(reference) if po.status != "cancelled"]


@pytest.mark.parametrize("lands", ["before", "after"])
def test_a_dead_workers_late_create_leaves_exactly_one_live_stock_order(world, lands):
    line = received_line(world, world.world.sellable[20], 2)

    with dead_worker_create(world, lands=lands):
        stock_in = return_line_qc(line=line, passed=2)

    assert stock_in.state == "confirmed"
    every = stock_orders(stock_in.idempotency_key)
    assert len(every) == 2  # the duplicate exists in IP, cancelled
    live = live_orders(stock_in.idempotency_key)
    assert [po.id for po in live] == [min(po.id for po in every)] == [stock_in.po_id]
    assert live[0].item(line.ip_variant_id).received == 2
    cancelled = [po for po in every if po.status == "cancelled"]
    assert [po.item(line.ip_variant_id).received or 0 for po in cancelled] == [0]


def test_without_a_late_create_nothing_is_cancelled(world):
    line = received_line(world, world.world.sellable[21])

    stock_in = return_line_qc(line=line, passed=1)

    assert [po.status for po in stock_orders(stock_in.idempotency_key)] != ["cancelled"]
    assert len(stock_orders(stock_in.idempotency_key)) == 1
    assert not ExternalCall.objects.filter(operation="PUT /purchase-orders/{id}").exists()


def test_a_claim_renewed_within_the_client_timeout_is_not_taken_over(world):
    """A worker that died 70 s after its last renewal may still have a create in flight
    (the IP client waits 60 s): the claim holds until CLAIM_EXPIRES, then expires."""
    assert timedelta(seconds=70) < CLAIM_EXPIRES  # the client's 60 s and one 10 s renewal
    line = received_line(world, world.world.sellable[22])
    with transports_install(
        inventory_planner=httpx.MockTransport(lambda r: httpx.Response(503, text="down"))
    ):
        stock_in = return_line_qc(line=line, passed=1)
    assert stock_in.step == "create"
    now = timezone.now()
    StockIn.objects.filter(pk=stock_in.pk).update(running_since=now - timedelta(seconds=70))
    calls = ExternalCall.objects.count()

    assert stock_in_run(stock_in_id=stock_in.pk, trigger="engine").state == "failed"
    assert ExternalCall.objects.count() == calls  # nothing sent while the claim holds

    StockIn.objects.filter(pk=stock_in.pk).update(running_since=now - CLAIM_EXPIRES)
    assert stock_in_run(stock_in_id=stock_in.pk, trigger="engine").state == "confirmed"
    assert len(live_orders(stock_in.idempotency_key)) == 1


def test_a_dead_workers_claim_is_not_yet_due_until_it_expires_then_due(world):
    """What waits for the engine to take a killed stock-in over (the soak's clean cycles)
    waits exactly as long as the claim holds; a pending stock-in is due only once its
    own task had time to come."""
    line = received_line(world, world.world.sellable[23])
    with transports_install(
        inventory_planner=httpx.MockTransport(lambda r: httpx.Response(503, text="down"))
    ):
        stock_in = return_line_qc(line=line, passed=1)
    now = timezone.now()
    killed = StockIn.objects.filter(pk=stock_in.pk)
    killed.update(state="pending", step="receive", created_at=now - timedelta(minutes=10))

    killed.update(running_since=now - timedelta(seconds=70))
    assert list(stock_ins_not_yet_due().values_list("pk", flat=True)) == [stock_in.pk]
    assert stock_in.pk not in stock_ins_due()

    killed.update(running_since=now - CLAIM_EXPIRES - timedelta(seconds=1))
    assert not stock_ins_not_yet_due().exists()
    assert stock_ins_due() == [stock_in.pk]

    killed.update(running_since=None, created_at=now)
    assert list(stock_ins_not_yet_due().values_list("pk", flat=True)) == [stock_in.pk]
    assert stock_in.pk not in stock_ins_due()

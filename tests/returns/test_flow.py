"""The whole returns flow on the twins: Centra return → receipt → QC → confirmed stock-in."""

from decimal import Decimal

import pytest

from exceptions.models import Ticket
from returns.forms import LineReceipt
from returns.models import ExpectedReturn, LineState, ReturnEvent, ReturnState, StockIn
from returns.services import ReturnsError, return_line_qc, return_line_receive, return_receive
from syncs.clients import inventory_planner_client
from syncs.models import CentraSize, OrderLine, SalesFeedRow, SkuMapping, StockStatusBalance
from syncs.sandbox.world import IP_WAREHOUSE
from tests.engines import engine_run
from tests.returns.conftest import in_qc, shipped_return

pytestmark = pytest.mark.django_db


def stock_orders(reference: str):
    with inventory_planner_client() as client:
        return [po for po in client.iter_purchase_orders() if po.reference == reference]


def test_a_return_is_received_passed_and_confirmed_and_only_then_sellable(world, personas):
    sku = world.world.sellable[3]
    centra_return = shipped_return(world, [(sku, 2)])
    engine_run("orders")  # the sale is in the ledger: the return row is dated and priced like it
    assert engine_run("returns").counts["returns_new"] == 1
    ret = ExpectedReturn.objects.get(centra_id=centra_return.id)
    line = ret.lines.get()
    assert (ret.state, line.state, line.quantity, line.ip_sku) == ("expected", "expected", 2, sku)
    user = personas["fulfilment"]

    assert return_line_receive(line=line, quantity=2, actor=user) is True
    assert in_qc(sku) == 2
    ret.refresh_from_db()
    assert ret.state == ReturnState.RECEIVED

    stock_in = return_line_qc(line=line, passed=2, actor=user)
    assert stock_in.state == StockIn.State.CONFIRMED
    assert in_qc(sku) == 0
    [po] = stock_orders(f"RET-{centra_return.id}-{line.centra_line_id}")
    assert (po.warehouse, po.item(line.ip_variant_id).received) == (IP_WAREHOUSE, 2)
    ret.refresh_from_db()
    assert (ret.state, ret.lines.get().state) == (ReturnState.COMPLETE, LineState.COMPLETE)
    row = SalesFeedRow.objects.get(source="return_line")
    sold = OrderLine.objects.get(centra_line_id=line.centra_order_line_id)
    assert (row.order_number, row.sku, row.product_id, row.quantity, row.price) == (
        ret.order_number,
        sku,
        line.ip_variant_id,
        -2,
        Decimal("49.00"),
    )
    assert (row.date, row.currency, row.order_id) == (sold.order.order_date, "EUR", sold.order_id)
    assert list(ret.events.values_list("kind", flat=True)) == [
        "centra_created",
        "received",
        "qc",
        "confirmed",
        "complete",
    ]
    assert [(a.step, a.ok) for a in stock_in.attempt_rows.all()] == [
        ("create", True),
        ("receive", True),
        ("confirm", True),
    ]
    assert not Ticket.objects.filter(type="stock_in_failed").exists()


def test_the_stream_is_idempotent_and_notes_centra_completion(world):
    centra_return = shipped_return(world, [(world.world.sellable[4], 1)])
    engine_run("returns")
    world.centra.state.complete_return(centra_return.id)
    engine_run("returns")
    engine_run("returns")
    ret = ExpectedReturn.objects.get(centra_id=centra_return.id)
    assert ExpectedReturn.objects.count() == 1
    assert ret.lines.count() == 1
    assert (ret.centra_status, ret.centra_completed_at is not None) == ("COMPLETED", True)
    assert list(ret.events.values_list("kind", flat=True)) == ["centra_created", "centra_completed"]


def test_a_line_with_an_unmapped_sku_is_parked_with_a_ticket_and_mapped_later(world):
    mapped = set(SkuMapping.objects.values_list("centra_sku", flat=True))
    unmapped = CentraSize.objects.exclude(sku__in=mapped).order_by("sku").first().sku
    centra_return = shipped_return(world, [(unmapped, 1), (world.world.sellable[5], 1)])
    engine_run("returns")
    ret = ExpectedReturn.objects.get(centra_id=centra_return.id)
    parked = ret.lines.get(centra_sku=unmapped)
    assert (ret.state, parked.state, parked.ip_sku) == ("exception", "parked", "")
    ticket = Ticket.objects.get(type="sku_missing_in_ip", return_id=str(centra_return.id))
    assert (ticket.sku, ticket.order_number, ticket.status) == (unmapped, ret.order_number, "open")
    with pytest.raises(ReturnsError, match="not mapped"):
        return_line_receive(line=parked, quantity=1)
    assert in_qc(unmapped) == 0

    world.inventory_planner.add_variant(unmapped, stock={IP_WAREHOUSE: 0})
    engine_run("catalog")  # maps the SKU now that IP has it
    variant_id = SkuMapping.objects.get(sku=unmapped).ip_variant_id
    engine_run("returns")
    parked.refresh_from_db()
    ticket.refresh_from_db()
    assert (parked.state, parked.ip_sku, parked.ip_variant_id) == ("expected", unmapped, variant_id)
    assert ticket.status == "auto_resolved"


def test_partial_receipt_and_partial_qc(world, personas):
    a, b = world.world.sellable[6], world.world.sellable[7]
    centra_return = shipped_return(world, [(a, 2), (b, 1)])
    engine_run("returns")
    ret = ExpectedReturn.objects.get(centra_id=centra_return.id)
    line_a, line_b = ret.lines.get(centra_sku=a), ret.lines.get(centra_sku=b)
    user = personas["fulfilment"]
    with pytest.raises(ReturnsError, match="add a note"):
        return_line_receive(line=line_a, quantity=3, actor=user)
    assert in_qc(a) == 0 and line_a.events.count() == 0

    # More than expected: refused without an admin's explicit override (review finding 1).
    with pytest.raises(ReturnsError, match="needs an admin's override"):
        return_line_receive(line=line_a, quantity=3, note="customer sent one extra", actor=user)
    with pytest.raises(ReturnsError, match="Only an admin"):
        return_line_receive(
            line=line_a, quantity=3, note="customer sent one extra", actor=user, override=True
        )
    assert in_qc(a) == 0 and line_a.events.count() == 0
    admin = personas["admin"]
    return_line_receive(
        line=line_a, quantity=3, note="customer sent one extra", actor=admin, override=True
    )
    line_a.refresh_from_db()
    assert (line_a.received_quantity, line_a.receipt_override_by) == (3, admin.username)
    assert "more than expected accepted by admin-persona" in line_a.events.get().note
    ret.refresh_from_db()
    assert ret.state == ReturnState.RECEIVED  # line b still expected
    with pytest.raises(ReturnsError, match="add up to the 3"):
        return_line_qc(line=line_a, passed=2, actor=user)
    with pytest.raises(ReturnsError, match="reason"):
        return_line_qc(line=line_a, passed=2, failed=1, fail_status="damaged", actor=user)
    assert in_qc(a) == 3 and not StockIn.objects.exists()

    stock_in = return_line_qc(
        line=line_a, passed=2, failed=1, fail_status="damaged", reason="torn seam", actor=user
    )
    assert (stock_in.quantity, stock_in.state) == (2, "confirmed")
    assert in_qc(a) == 0
    damaged = StockStatusBalance.objects.get(sku=a, status__code="damaged")
    assert damaged.quantity == 1
    assert SalesFeedRow.objects.get(source="return_line", sku=a).quantity == -3
    ret.refresh_from_db()
    assert ret.state == ReturnState.RECEIVED

    return_line_receive(line=line_b, quantity=0, note="box was empty", actor=user)
    ret.refresh_from_db()
    assert ret.state == ReturnState.COMPLETE
    assert not SalesFeedRow.objects.filter(sku=b).filter(source="return_line").exists()


def test_a_double_submit_acts_once(world, personas):
    sku = world.world.sellable[8]
    centra_return = shipped_return(world, [(sku, 1)])
    engine_run("returns")
    line = ExpectedReturn.objects.get(centra_id=centra_return.id).lines.get()
    user = personas["fulfilment"]
    assert return_line_receive(line=line, quantity=1, actor=user, key="k1") is True
    assert return_line_receive(line=line, quantity=1, actor=user, key="k1") is False
    assert return_line_receive(line=line, quantity=1, actor=user, key="k2") is False
    assert in_qc(sku) == 1
    assert return_line_qc(line=line, passed=1, actor=user, key="q1") is not None
    assert return_line_qc(line=line, passed=1, actor=user, key="q1") is None
    assert StockIn.objects.count() == 1
    assert ReturnEvent.objects.filter(kind="received").count() == 1
    assert len(stock_orders(f"RET-{centra_return.id}-{line.centra_line_id}")) == 1


def test_a_return_is_received_whole_or_not_at_all_and_the_error_names_its_line(world, personas):
    a, b = world.world.sellable[8], world.world.sellable[9]
    centra_return = shipped_return(world, [(a, 2), (b, 1)])
    engine_run("returns")
    ret = ExpectedReturn.objects.get(centra_id=centra_return.id)
    line_a, line_b = ret.lines.get(centra_sku=a), ret.lines.get(centra_sku=b)
    user = personas["fulfilment"]
    short_without_note = {line_a.pk: LineReceipt(2), line_b.pk: LineReceipt(0)}
    with pytest.raises(ReturnsError, match="add a note") as refused:
        return_receive(ret=ret, receipts=short_without_note, actor=user, key="k1")
    assert refused.value.line_id == line_b.pk
    assert (in_qc(a), in_qc(b)) == (0, 0)  # line a's receipt was rolled back with b's
    assert not ReturnEvent.objects.filter(expected_return=ret, kind="received").exists()

    receipts = {line_a.pk: LineReceipt(2), line_b.pk: LineReceipt(1)}
    assert return_receive(ret=ret, receipts=receipts, actor=user, key="k2") == 2
    assert return_receive(ret=ret, receipts=receipts, actor=user, key="k2") == 0  # acts once
    assert (in_qc(a), in_qc(b)) == (2, 1)
    assert ReturnEvent.objects.filter(expected_return=ret, kind="received").count() == 2

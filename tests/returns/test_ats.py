"""The stock engine sees the flow's statuses: returned units are sellable exactly when their
stock-in is confirmed, not at receipt and not at QC."""

import httpx
import pytest

from returns.models import ExpectedReturn
from returns.services import return_line_qc, return_line_receive
from returns.stock_in import stock_in_run
from syncs.clients import transports_install
from syncs.models import StockPosition
from syncs.sandbox.world import IP_WAREHOUSE
from tests.engines import engine_run
from tests.returns.conftest import shipped_return

pytestmark = pytest.mark.django_db


def ats(sku: str) -> int:
    engine_run("stock")
    return StockPosition.objects.get(sku=sku).ats


def test_returned_units_count_for_ats_only_once_confirmed(world):
    stock = world.inventory_planner.in_stock
    sku = next(s for s in world.world.sellable if stock(s, IP_WAREHOUSE) >= 8)
    before = ats(sku)
    centra_return = shipped_return(world, [(sku, 2)])
    engine_run("returns")
    line = ExpectedReturn.objects.get(centra_id=centra_return.id).lines.get()
    return_line_receive(line=line, quantity=2)
    assert ats(sku) == before - 2  # on hand, but in QC

    def post_fails(request):
        if request.method == "POST":
            return httpx.Response(503)
        return world.inventory_planner.handle(request)

    with transports_install(inventory_planner=httpx.MockTransport(post_fails)):
        stock_in = return_line_qc(line=line, passed=2)
    assert stock_in.state == "failed"
    assert ats(sku) == before - 2  # passed QC, but not confirmed

    assert stock_in_run(stock_in_id=stock_in.pk, trigger="test").state == "confirmed"
    assert ats(sku) == before

"""A stock-in task delivered to several workers at once registers the units once.

PostgreSQL only (marked ``postgres``; see tests/exceptions/test_concurrency.py for why the
SQLite run leaves such races out): the claim is a compare-and-set UPDATE that only one
worker can win.
"""

import pytest
from django_q.models import OrmQ

from returns.models import ExpectedReturn, StockIn
from returns.services import return_line_qc, return_line_receive
from returns.tasks import stock_in as stock_in_task
from syncs.models import ExternalCall, StockStatus
from tests.engines import engine_run
from tests.exceptions.test_concurrency import run_at_once
from tests.returns.conftest import in_qc, shipped_return

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_four_deliveries_at_once_create_one_stock_order_and_confirm_once(world, settings):
    StockStatus.objects.get_or_create(code="in_qc", defaults={"name": "In QC"})
    settings.RETURNS_STOCK_IN_INLINE = False
    centra_return = shipped_return(world, [(world.world.sellable[80], 3)])
    engine_run("returns")
    line = ExpectedReturn.objects.get(centra_id=centra_return.id).lines.get()
    return_line_receive(line=line, quantity=3)
    stock_in = return_line_qc(line=line, passed=3)
    assert OrmQ.objects.count() == 1

    assert run_at_once(lambda: stock_in_task(stock_in.pk)) == []
    stock_in.refresh_from_db()
    assert stock_in.state == StockIn.State.CONFIRMED
    assert ExternalCall.objects.filter(operation="POST /purchase-orders").count() == 1
    assert ExternalCall.objects.filter(operation="PATCH /purchase-orders/{id}/items").count() == 1
    assert in_qc(line.ip_sku) == 0

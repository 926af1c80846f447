"""The returns stream's dry run, the queued stock-in, and the settings that fail loudly."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django_q.models import OrmQ

from returns.config import returns_config
from returns.models import ExpectedReturn, ReturnEvent, StockIn
from returns.services import return_line_qc, return_line_receive
from returns.tasks import stock_in as stock_in_task
from syncs.models import ExternalCall
from tests.engines import engine_run
from tests.returns.conftest import in_qc, shipped_return

pytestmark = pytest.mark.django_db


def test_a_dry_run_reads_centra_and_writes_nothing(world):
    shipped_return(world, [(world.world.sellable[60], 1)])
    result = engine_run("returns", dry_run=True)
    assert result.counts == {"returns_read": 1, "returns_new": 1}
    assert result.summary == "dry run: 1 returns read, 1 would be new"
    assert not ExpectedReturn.objects.exists() and not ReturnEvent.objects.exists()


def test_without_inline_the_qc_enqueues_one_task_after_commit(
    world, settings, django_capture_on_commit_callbacks
):
    settings.RETURNS_STOCK_IN_INLINE = False
    centra_return = shipped_return(world, [(world.world.sellable[61], 1)])
    engine_run("returns")
    line = ExpectedReturn.objects.get(centra_id=centra_return.id).lines.get()
    return_line_receive(line=line, quantity=1)
    calls = ExternalCall.objects.count()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        stock_in = return_line_qc(line=line, passed=1)
    assert (len(callbacks), OrmQ.objects.count()) == (1, 1)
    assert (stock_in.state, stock_in.step) == ("pending", "create")
    assert ExternalCall.objects.count() == calls  # nothing sent inside the request
    assert stock_in_task(stock_in.pk) == f"stock-in {stock_in.idempotency_key}: confirmed"
    assert in_qc(line.ip_sku) == 0
    assert StockIn.objects.get().attempt_rows.filter(trigger="task").count() == 3


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("RETURNS_SINK", "ftp", "RETURNS_SINK must be one of ip_stock_order, webhook"),
        ("RETURNS_CONFIRM", "maybe", "RETURNS_CONFIRM must be one of receipt, on_hand"),
        ("RETURNS_OVERDUE_DAYS", 0, "RETURNS_OVERDUE_DAYS must be a positive number"),
        ("RETURNS_STOCK_IN_INLINE", "yes", "RETURNS_STOCK_IN_INLINE must be True or False"),
    ],
)
def test_a_wrong_setting_fails_loudly(returns_settings, name, value, message):
    setattr(returns_settings, name, value)
    with pytest.raises(ImproperlyConfigured, match=message):
        returns_config()


def test_the_webhook_sink_needs_its_url_and_secret(returns_settings):
    returns_settings.RETURNS_SINK = "webhook"
    with pytest.raises(ImproperlyConfigured, match="needs RETURNS_WEBHOOK_URL"):
        returns_config()


def test_without_a_warehouse_setting_the_first_mapped_ip_warehouse_is_used(settings, db):
    from syncs.models import WarehouseMapping

    settings.RETURNS_IP_WAREHOUSE = ""
    with pytest.raises(ImproperlyConfigured, match="Set RETURNS_IP_WAREHOUSE"):
        returns_config()
    WarehouseMapping.objects.create(ip_warehouse="wh-2", centra_warehouse_id=2)
    WarehouseMapping.objects.create(ip_warehouse="wh-1", centra_warehouse_id=1)
    assert returns_config().ip_warehouse == "wh-2"


def test_a_rerun_skips_settled_returns_in_a_fixed_number_of_queries(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def rerun_queries() -> int:
        engine_run("returns")
        with CaptureQueriesContext(connection) as rerun:
            result = engine_run("returns")
        assert result.counts["returns_new"] == 0
        return len(rerun.captured_queries)

    shipped_return(world, [(world.world.sellable[62], 1)])
    few = rerun_queries()
    for i in range(4):
        shipped_return(world, [(world.world.sellable[63 + i], 1)])
    assert rerun_queries() == few


def test_manage_py_sync_returns_runs_the_stream_through_the_runner(world):
    from django.core.management import call_command

    from syncs.models import SyncRun

    shipped_return(world, [(world.world.sellable[70], 1)])
    call_command("sync", "returns")
    run = SyncRun.objects.filter(stream="returns").latest("pk")
    assert (run.status, run.counts["returns_new"]) == ("succeeded", 1)
    assert ExpectedReturn.objects.count() == 1


def test_centras_comment_and_stock_policy_are_kept_with_the_return(world):
    state = world.centra.state
    sku = world.world.sellable[62]
    state.set_stock(sku, next(iter(state.warehouses)), 5)
    order = state.place_order([(sku, 1, "49.00")])
    shipment = state.ship(order.number)
    centra_return = state.create_return(shipment.id, release_to_stock=True, comment="Too small")
    engine_run("returns")
    ret = ExpectedReturn.objects.get(centra_id=centra_return.id)
    assert (ret.centra_returned_to_stock, ret.centra_comment) == (True, "Too small")
    assert list(ret.lines.values_list("reason", flat=True)) == ["Too small"]

"""The sandbox world with the SKU map built, and helpers that make Centra returns."""

import pytest
from django.utils import timezone
from django.utils.module_loading import import_string

from syncs.models import StockStatusBalance, SyncRun
from syncs.sandbox.world import IP_WAREHOUSE
from syncs.streams import stream_get
from tests.syncs.conftest import sandbox  # noqa: F401  (the shared twin fixture)


@pytest.fixture
def returns_settings(settings):
    settings.RETURNS_IP_WAREHOUSE = IP_WAREHOUSE
    settings.RETURNS_STOCK_IN_INLINE = True
    return settings


@pytest.fixture
def world(sandbox, returns_settings, db):  # noqa: F811
    """The twins with the SKU map built by a real catalog run."""
    engine_run("catalog")
    return sandbox


def engine_run(stream: str, *, dry_run: bool = False):
    """Run an engine as the runner does (a SyncRun row, then the engine) and return its
    result; the runner's own ticket bookkeeping has its tests in tests/syncs."""
    run = SyncRun.objects.create(stream=stream, started_at=timezone.now(), dry_run=dry_run)
    result = import_string(stream_get(stream).engine)(run=run, dry_run=dry_run, full=False)
    run.status, run.finished_at = SyncRun.Status.SUCCEEDED, timezone.now()
    run.save(update_fields=["status", "finished_at"])
    return result


def shipped_return(twins, lines: list[tuple[str, int]], *, returned: dict | None = None):
    """Place, ship and return an order of ``[(sku, qty)]`` in the Centra twin.

    ``returned`` maps a SKU to the units returned (default: all of them)."""
    state = twins.centra.state
    warehouse = next(iter(state.warehouses))
    for sku, qty in lines:
        state.set_stock(sku, warehouse, qty + 10)
    order = state.place_order([(sku, qty, "49.00") for sku, qty in lines])
    shipment = state.ship(order.number)
    wanted = {
        sl.id: (returned or {}).get(sl.orderLine.productSize.SKU, sl.quantity)
        for sl in shipment.lines
    }
    return state.create_return(shipment.id, wanted, release_to_stock=False)


def in_qc(sku: str) -> int:
    row = StockStatusBalance.objects.filter(
        sku=sku, ip_warehouse=IP_WAREHOUSE, status__code="in_qc"
    ).first()
    return row.quantity if row else 0

"""The sandbox world with the SKU map built, and helpers that make Centra returns."""

import pytest

from syncs.models import StockStatusBalance
from syncs.sandbox.world import IP_WAREHOUSE
from tests.engines import engine_run
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

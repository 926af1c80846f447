"""The order ledger's finance fields (Centra's base rate, store, market) read through the
twin, the existing rows filled by the recovery pass, and a refused read that costs finance
its fields but never the orders."""

from decimal import Decimal

import httpx
import pytest

from reconciliation.models import CentraMarket
from syncs.clients import transports_install
from syncs.models import Order, OrdersCursor, SalesFeedRow
from syncs.orders.finance import orders_finance_reset

pytestmark = pytest.mark.django_db


def sku(sandbox) -> str:
    return sandbox.world.sellable[0]


@pytest.fixture
def markets(db):
    CentraMarket.objects.create(centra_id=1, name="Europe")
    CentraMarket.objects.create(centra_id=2, name="Nordics")


def test_each_order_gets_centras_rate_store_and_market(catalog, run_engine, markets):
    state = catalog.centra.state
    eur = state.place_order([(sku(catalog), 1, "49.00")])
    sek = state.place_order([(sku(catalog), 2, "499.00")], currency="SEK")
    usd = state.place_order([(sku(catalog), 1, "59.00")], currency="USD")  # market not listed
    wholesale = state.place_order([(sku(catalog), 5, "20.00")], store_type="WHOLESALE")

    result = run_engine("orders")

    assert result.counts["finance_orders"] == 4
    assert "finance_error" not in result.counts
    got = {
        o.number: (o.currency_base_rate, o.centra_store_id, o.store_name, o.market)
        for o in Order.objects.all()
    }
    assert got == {
        eur.number: (Decimal("1.00000000"), 1, "Retail", "Europe"),
        sek.number: (Decimal("0.08710000"), 1, "Retail", "Nordics"),
        usd.number: (Decimal("0.92300000"), 1, "Retail", ""),
        wholesale.number: (Decimal("1.00000000"), 2, "Wholesale", "Europe"),
    }
    assert all(o.finance_read_at for o in Order.objects.all())


def test_the_next_recovery_pass_fills_rows_stored_without_them(catalog, run_engine, markets):
    state = catalog.centra.state
    order = state.place_order([(sku(catalog), 1, "49.00")], currency="SEK")
    run_engine("orders")
    # Rows stored before the fields existed (or after a market was added): not read.
    orders_finance_reset()
    Order.objects.update(currency_base_rate=None, centra_store_id=None, store_name="", market="")
    updated_at = Order.objects.get().updated_at

    OrdersCursor.objects.update(recovered_at=None)  # the recovery pass is due
    result = run_engine("orders", full=True)

    assert "recovery" in result.counts["mode"]
    stored = Order.objects.get(number=order.number)
    assert (stored.currency_base_rate, stored.store_name, stored.market) == (
        Decimal("0.08710000"),
        "Retail",
        "Nordics",
    )
    # Finance fields are not what IP sees: the order and its feed row did not "change".
    assert stored.updated_at == updated_at
    assert SalesFeedRow.objects.get().changed_at <= updated_at


def test_a_refused_finance_read_stores_the_orders_and_says_why(catalog, run_engine, markets):
    """Centra answers the finance document with a validation error (the inferred field
    does not exist): the orders, their lines and feed rows are stored all the same."""
    state = catalog.centra.state
    placed = state.place_order([(sku(catalog), 2, "49.00")])
    asked = []

    def centra(request):
        if b"query orderFinance" in request.content:
            asked.append(1)
            return httpx.Response(
                400,
                json={
                    "errors": [
                        {"message": 'Cannot query field "currencyBaseRate" on type "Order".'}
                    ]
                },
            )
        return catalog.centra.handle(request)

    with transports_install(centra=httpx.MockTransport(centra)):
        result = run_engine("orders")

    assert len(asked) == 1  # one refusal per run, not one per batch
    assert "currencyBaseRate" in result.counts["finance_error"]
    assert result.counts["finance_orders"] == 0
    order = Order.objects.get(number=placed.number)
    assert (order.currency_base_rate, order.market, order.finance_read_at) == (None, "", None)
    assert SalesFeedRow.objects.filter(order=order).count() == 1

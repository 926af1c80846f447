"""The demo world: the same catalog on both twins, with the deliberate mismatches."""

from datetime import datetime

import httpx

from syncs.connectors.centra import CentraClient
from syncs.connectors.inventory_planner.client import InventoryPlannerClient
from syncs.sandbox.sandbox import CENTRA_TOKEN, IP_ACCOUNT, IP_API_KEY, sandbox_build
from syncs.sandbox.world import WorldConfig

SMALL = WorldConfig(seed=7, products=40, missing_in_ip=3, missing_in_centra=2, near_duplicates=1)


def clients(sandbox):
    centra = CentraClient(
        "http://sandbox/graphql", CENTRA_TOKEN, transport=httpx.MockTransport(sandbox.centra.handle)
    )
    ip = InventoryPlannerClient(
        "http://sandbox/api/v1",
        IP_API_KEY,
        IP_ACCOUNT,
        min_gap_seconds=0,
        transport=httpx.MockTransport(sandbox.inventory_planner.handle),
    )
    return centra, ip


def test_both_sides_share_the_catalog_except_the_planted_mismatches():
    sandbox = sandbox_build(config=SMALL)
    centra, ip = clients(sandbox)
    centra_skus = {row.sku for row in centra.iter_sizes()}
    ip_skus = {v.sku for v in ip.iter_variants() if not v.removed}
    only_centra = centra_skus - ip_skus
    only_ip = ip_skus - centra_skus
    assert {sku for sku in only_ip if sku.startswith("NEW")} == {"NEW000-STD-00", "NEW001-STD-00"}
    near = only_ip - {"NEW000-STD-00", "NEW001-STD-00"}
    assert len(near) == 1
    (typo,) = near
    assert typo.strip().upper() in only_centra  # retired in IP for the typo'd SKU
    # The rest: every size of 3 products that were never created in IP.
    assert len({sku[:6] for sku in only_centra - {typo.strip().upper()}}) == 3


def test_the_same_seed_builds_the_same_world_and_ticks_the_same_way():
    def run():
        sandbox = sandbox_build(config=SMALL)
        for minute in range(8):
            sandbox.world.tick(datetime(2026, 11, 26, 10, minute))
        stats = sandbox.world.stats
        return (stats.orders, stats.cancellations, stats.shipments, sorted(sandbox.world.sellable))

    first = run()
    assert first == run()
    assert first[0] > 0


def test_a_flash_sale_sells_faster_than_an_ordinary_minute():
    calm, sale = sandbox_build(config=SMALL), sandbox_build(config=SMALL)
    for minute in range(3):
        calm.world.tick(datetime(2026, 11, 26, 10, 30 + minute))
        sale.world.tick(datetime(2026, 11, 26, 10, minute))
    assert sale.world.stats.orders > 3 * calm.world.stats.orders


def test_orders_sell_in_four_markets_at_centras_rates_and_returns_refund_shipping():
    """The finance demo: markets with their currencies, Centra's base rates, a wholesale
    store, and returns whose booked total refunds shipping on some of them."""
    sandbox = sandbox_build(config=SMALL)
    for minute in range(60):
        sandbox.world.tick(datetime(2026, 3, 10, 12, minute))
    state = sandbox.centra.state
    seen = {(o.market.name, o.currency.code, o.store.name) for o in state.orders.values()}
    assert seen == {
        ("Europe", "EUR", "Retail"),
        ("Europe", "EUR", "Wholesale"),
        ("Nordics", "SEK", "Retail"),
        ("United Kingdom", "GBP", "Retail"),
        ("United States", "USD", "Retail"),
    }
    rates = {o.currency.code: o.currencyBaseRate for o in state.orders.values()}
    assert rates == {"EUR": 1.0, "SEK": 0.0871, "GBP": 1.165, "USD": 0.923}
    returns = list(state.returns.values())
    assert any(ret.shipping_cost for ret in returns) and not all(
        ret.shipping_cost for ret in returns
    )
    for ret in returns:
        items = sum(line.lineValue.value for line in ret.lines)
        assert ret.grandTotal.value == round(items + float(ret.shipping_cost), 2)
        assert ret.currencyBaseRate == ret.order.currencyBaseRate

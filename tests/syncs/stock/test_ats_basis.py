"""Keeping an unchanged ATS: a position read with its stored inputs, under the basis its
ATS was computed with, keeps that ATS; any change to what the formula reads computes it
again, and the next cycle pushes the right number (docs/stock-engine.md)."""

import pytest

from syncs.connectors.inventory_planner.types import Variant, WarehouseBlock
from syncs.models import ChannelAllocation, SafetyStockRule, StockPosition, StockStatus
from syncs.sandbox.world import IP_WAREHOUSE
from syncs.stock import basis, plan
from syncs.stock.ats import RuleBook
from syncs.stock.ledger import stock_status_set
from syncs.stock.plan import Catalog, Known, positions_compute
from tests.syncs.stock.conftest import stock_cycle
from tests.syncs.stock.test_engine import a_mapped_sku, centra_level

pytestmark = pytest.mark.django_db


@pytest.fixture
def computed(monkeypatch):
    """The SKUs whose ATS the formula computed, cycle by cycle (``computed.clear()``)."""
    skus = []
    formula = plan.ats_compute

    def counting(item, book):
        skus.append(item.sku)
        return formula(item, book)

    monkeypatch.setattr(plan, "ats_compute", counting)
    return skus


def pushed(mapped, position) -> tuple[int, int]:
    """What the hub stored as last pushed for the SKU, and what Centra shows."""
    stored = StockPosition.objects.get(pk=position.pk)
    assert stored.last_pushed == stored.ats
    return stored.ats, centra_level(mapped, position.sku)[0]


def test_a_no_change_cycle_keeps_every_ats_without_computing(mapped, computed):
    stock_cycle()
    positions = StockPosition.objects.count()
    assert len(computed) == positions
    assert not StockPosition.objects.filter(ats_basis="").exists()
    computed.clear()
    assert stock_cycle().counts["planned"] == 0
    assert computed == []


def test_an_ip_stock_change_computes_that_sku_alone_and_pushes_it(mapped, computed):
    stock_cycle()
    position = a_mapped_sku()
    mapped.inventory_planner.set_stock(position.sku, IP_WAREHOUSE, position.on_hand + 3)
    computed.clear()
    stock_cycle()
    assert computed == [position.sku]
    assert pushed(mapped, position) == (position.ats + 3, position.ats + 3)


def test_a_safety_stock_rule_change_computes_every_position_again(mapped, computed):
    stock_cycle()
    position = a_mapped_sku(on_hand_at_least=10)
    computed.clear()
    SafetyStockRule.objects.create(scope="global", key="", kind="units", value=4)
    stock_cycle()
    assert len(computed) == StockPosition.objects.count()
    assert pushed(mapped, position) == (position.on_hand - 4, position.on_hand - 4)
    SafetyStockRule.objects.all().delete()  # back to the first rules: back to the first ATS
    stock_cycle()
    assert pushed(mapped, position) == (position.ats, position.ats)


def test_a_rule_value_edit_computes_again(mapped):
    stock_cycle()
    position = a_mapped_sku(on_hand_at_least=10)
    rule = SafetyStockRule.objects.create(scope="sku", key=position.sku, kind="units", value=2)
    stock_cycle()
    assert pushed(mapped, position)[0] == position.on_hand - 2
    SafetyStockRule.objects.filter(pk=rule.pk).update(value=5)
    stock_cycle()
    assert pushed(mapped, position) == (position.on_hand - 5, position.on_hand - 5)


def test_a_channel_allocation_computes_again(mapped):
    stock_cycle()
    position = a_mapped_sku(on_hand_at_least=10)
    ChannelAllocation.objects.create(
        channel="wholesale", scope="sku", key=position.sku, kind="units", value=3
    )
    stock_cycle()
    assert pushed(mapped, position) == (position.ats - 3, position.ats - 3)


def test_a_reservation_computes_that_sku_again(mapped, computed):
    stock_cycle()
    position = a_mapped_sku(on_hand_at_least=10)
    computed.clear()
    stock_status_set(
        sku=position.sku, ip_warehouse=IP_WAREHOUSE, status="reserved", quantity=2, reason="t"
    )
    stock_cycle()
    assert computed == [position.sku]
    assert pushed(mapped, position) == (position.ats - 2, position.ats - 2)
    computed.clear()
    stock_cycle()  # the same reservation: kept
    assert computed == []
    stock_status_set(
        sku=position.sku, ip_warehouse=IP_WAREHOUSE, status="reserved", quantity=0, reason="t"
    )
    stock_cycle()
    assert computed == [position.sku]
    assert pushed(mapped, position) == (position.ats, position.ats)


def test_a_status_made_sellable_computes_again(mapped):
    stock_cycle()
    position = a_mapped_sku(on_hand_at_least=10)
    stock_status_set(
        sku=position.sku, ip_warehouse=IP_WAREHOUSE, status="reserved", quantity=2, reason="t"
    )
    stock_cycle()
    assert pushed(mapped, position)[0] == position.ats - 2
    StockStatus.objects.filter(code="reserved").update(sellable=True)
    stock_cycle()
    assert pushed(mapped, position) == (position.ats, position.ats)


def test_a_changed_formula_computes_every_position_again(mapped, computed, monkeypatch):
    stock_cycle()
    computed.clear()
    monkeypatch.setattr(basis, "_FORMULA", b"ATS = a deployed fix of the formula")
    stock_cycle()
    assert len(computed) == StockPosition.objects.count()


def known_for(position, *, ats: int, ats_basis: str) -> Known:
    values = plan.compared_values(position)[: len(plan.INPUTS)]
    return Known(*values, ats, ats_basis, ats, None, None)


def test_a_fractional_on_hand_is_never_kept(computed):
    """The stored on hand is truncated: 4.9999999999 (ATS from 5) and a later 4 would look
    alike, so a fractional sum gets the blank basis and is computed every time."""
    variant = _variant(in_stock=4.9999999999)
    catalog = Catalog({"A-1": (1, 10)}, {}, {}, {7: ["w1"]})
    fresh, _ = positions_compute(variants=[variant], book=RuleBook(), catalog=catalog)
    position = fresh[("A-1", 7)]
    assert (position.on_hand, position.ats, position.ats_basis) == (4, 5, basis.NEVER)
    previous = {("A-1", 7): known_for(position, ats=5, ats_basis=position.ats_basis)}
    computed.clear()
    fresh, _ = positions_compute(
        variants=[_variant(in_stock=4)], book=RuleBook(), catalog=catalog, previous=previous
    )
    assert (fresh[("A-1", 7)].ats, computed) == (4, ["A-1"])


def test_kept_only_with_the_same_inputs_and_basis(computed):
    catalog = Catalog({"A-1": (1, 10)}, {}, {}, {7: ["w1"]})
    fresh, _ = positions_compute(variants=[_variant(in_stock=9)], book=RuleBook(), catalog=catalog)
    position = fresh[("A-1", 7)]
    cases = {
        "same": (known_for(position, ats=123, ats_basis=position.ats_basis), 123),
        "other basis": (known_for(position, ats=123, ats_basis="other"), 9),
        "blank basis": (known_for(position, ats=123, ats_basis=""), 9),
        "other velocity": (
            known_for(position, ats=123, ats_basis=position.ats_basis)._replace(velocity=2.0),
            9,
        ),
    }
    for name, (known, expected) in cases.items():
        fresh, _ = positions_compute(
            variants=[_variant(in_stock=9)],
            book=RuleBook(),
            catalog=catalog,
            previous={("A-1", 7): known},
        )
        assert fresh[("A-1", 7)].ats == expected, name


def _variant(*, in_stock):
    return Variant("v1", "A-1", warehouses=(WarehouseBlock("w1", in_stock=in_stock),))

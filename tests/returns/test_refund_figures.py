"""Centra's booked figures of a return (its grand total, currency, base rate, each line's
value), read by the returns stream and copied onto the order lines for reconciliation."""

from decimal import Decimal

import pytest

from returns.models import ExpectedReturn
from syncs.models import OrderLine

from .conftest import engine_run, shipped_return

pytestmark = pytest.mark.django_db


def test_the_returns_stream_keeps_centras_refund_figures(world):
    a, b = world.world.sellable[:2]
    ret = shipped_return(world, [(a, 2), (b, 1)], returned={a: 1, b: 1})
    ret.shipping_cost = Decimal("4.95")  # createReturn's shippingCost
    engine_run("orders")
    engine_run("returns")

    stored = ExpectedReturn.objects.get(centra_id=ret.id)
    assert (stored.centra_grand_total, stored.centra_currency) == (Decimal("102.95"), "EUR")
    assert stored.centra_currency_base_rate == Decimal("1.00000000")
    assert stored.centra_figures_at is not None
    values = dict(stored.lines.values_list("centra_sku", "centra_line_value"))
    assert values == {a: Decimal("49.00"), b: Decimal("49.00")}
    line = OrderLine.objects.get(centra_sku=a)
    assert (line.refunded_units, line.refunded_value) == (1, Decimal("49.00"))


def test_a_return_read_without_figures_gets_them_on_a_later_read(world):
    a = world.world.sellable[0]
    ret = shipped_return(world, [(a, 1)])
    engine_run("orders")
    engine_run("returns")
    stored = ExpectedReturn.objects.get(centra_id=ret.id)
    # As if stored before the fields were read (or Centra sent none then).
    ExpectedReturn.objects.filter(pk=stored.pk).update(centra_grand_total=None)
    stored.lines.update(centra_line_value=None)
    OrderLine.objects.update(refunded_units=0, refunded_value=0)

    engine_run("returns")

    stored.refresh_from_db()
    assert stored.centra_grand_total == Decimal("49.00")
    assert OrderLine.objects.get().refunded_value == Decimal("49.00")

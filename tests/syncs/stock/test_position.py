"""The stock position is described once (``plan.Position``); the other field lists follow it."""

from dataclasses import fields

from syncs.models import StockPosition
from syncs.stock.ats import AtsInput
from syncs.stock.plan import COMPARED, INPUT_FIELDS, KEY, Known, Position, position_input


def test_the_stored_and_compared_fields_are_the_positions_own():
    names = [f.name for f in fields(Position)]
    assert [*KEY, *INPUT_FIELDS] == names
    assert [name for name in INPUT_FIELDS if name not in COMPARED] == ["read_at"]
    assert Known._fields[: len(COMPARED)] == COMPARED
    stored = {f.name for f in StockPosition._meta.concrete_fields}
    assert set(names) <= stored


def test_the_formulas_input_is_built_from_a_position_by_its_field_names():
    shared = {f.name for f in fields(AtsInput)} - {"warehouse", "statuses"}
    assert shared <= {f.name for f in fields(Position)}
    position = Position("S-1", 7, 11, "P1", "shoes", 5, 1.0, 0.5, ["wh1"], None, 0)
    item = position_input(position, {"damaged": 1})
    assert (item.sku, item.warehouse, item.on_hand, item.product, item.category) == (
        "S-1",
        "7",
        5,
        "P1",
        "shoes",
    )
    assert (item.minimum_stock, item.velocity, item.statuses) == (1.0, 0.5, {"damaged": 1})
    assert position_input(position, {}, on_hand=5.9).on_hand == 5.9

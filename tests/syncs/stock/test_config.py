"""Configuration: audited changes, the status ledger, import/export and the what-if."""

import json
from decimal import Decimal

import pytest

from syncs.models import (
    ChannelAllocation,
    ConfigChange,
    SafetyStockRule,
    StockPosition,
    StockSettings,
    StockStatus,
    StockStatusBalance,
    StockStatusMovement,
    WarehouseMapping,
)
from syncs.stock import config, config_io, ledger, what_if

pytestmark = pytest.mark.django_db


def test_default_statuses_are_not_sellable():
    assert list(StockStatus.objects.values_list("code", "sellable")) == [
        ("damaged", False),
        ("in_qc", False),
        ("quarantined", False),
        ("reserved", False),
    ]


def test_rule_changes_are_audited_with_before_and_after(personas):
    admin = personas["admin"]
    rule = config.config_save(
        area="safety_stock",
        instance=SafetyStockRule(scope="sku", key="A-1", kind="units", value=Decimal(2)),
        actor=admin,
    )
    rule.value = Decimal("3.5")
    config.config_save(area="safety_stock", instance=rule, actor=admin)
    config.config_delete(area="safety_stock", instance=rule, actor=admin)
    changes = list(
        ConfigChange.objects.order_by("pk").values_list(
            "actor_name", "area", "object_key", "action", "before", "after", "via"
        )
    )
    data = {"scope": "sku", "key": "A-1", "kind": "units", "note": ""}
    assert changes == [
        (
            "admin-persona",
            "safety_stock",
            "sku/A-1",
            "created",
            None,
            {**data, "value": "2"},
            "screen",
        ),
        (
            "admin-persona",
            "safety_stock",
            "sku/A-1",
            "updated",
            {**data, "value": "2"},
            {**data, "value": "3.5"},
            "screen",
        ),
        (
            "admin-persona",
            "safety_stock",
            "sku/A-1",
            "deleted",
            {**data, "value": "3.5"},
            None,
            "screen",
        ),
    ]


def test_saving_an_unchanged_rule_writes_no_audit(personas):
    rule = SafetyStockRule.objects.create(scope="global", key="", kind="units", value=1)
    config.config_save(area="safety_stock", instance=rule, actor=personas["admin"])
    assert ConfigChange.objects.count() == 0


def test_status_ledger_moves_and_never_goes_negative():
    ledger.stock_status_move(sku="A-1", ip_warehouse="wh", status="in_qc", delta=3, reason="return")
    ledger.stock_status_move(
        sku="A-1", ip_warehouse="wh", status="in_qc", delta=-2, reason="QC pass"
    )
    with pytest.raises(ledger.LedgerError):
        ledger.stock_status_move(sku="A-1", ip_warehouse="wh", status="in_qc", delta=-2, reason="x")
    with pytest.raises(ledger.LedgerError):
        ledger.stock_status_move(sku="A-1", ip_warehouse="wh", status="nope", delta=1, reason="x")
    assert StockStatusBalance.objects.get().quantity == 1
    assert list(
        StockStatusMovement.objects.order_by("pk").values_list("delta", "balance_after")
    ) == [
        (3, 3),
        (-2, 1),
    ]


def test_status_csv_import_is_all_or_nothing():
    good = "sku,ip_warehouse,status,quantity\nA-1,wh,damaged,4\nB-2,wh,reserved,1\n"
    assert ledger.stock_status_import_csv(text=good, actor=None) == 2
    bad = "sku,ip_warehouse,status,quantity\nA-1,wh,damaged,9\nB-2,wh,bogus,1\nC,wh,damaged,-1\n"
    with pytest.raises(ledger.LedgerError) as raised:
        ledger.stock_status_import_csv(text=bad, actor=None)
    assert "line 3: unknown status 'bogus'" in str(raised.value)
    assert "line 4: quantity cannot be negative" in str(raised.value)
    assert dict(StockStatusBalance.objects.values_list("sku", "quantity")) == {"A-1": 4, "B-2": 1}


def configured():
    SafetyStockRule.objects.create(scope="global", key="", kind="units", value=2)
    SafetyStockRule.objects.create(scope="category", key="tops", kind="percent", value=10)
    ChannelAllocation.objects.create(
        channel="wholesale", scope="product", key="P1", kind="units", value=5
    )
    WarehouseMapping.objects.create(
        ip_warehouse="c1_main", centra_warehouse_id=1, centra_warehouse_name="Main"
    )


def test_export_import_round_trip_changes_nothing(personas):
    configured()
    text = config_io.config_export_text()
    result = config_io.config_import_text(text=text, actor=personas["admin"])
    assert (result.created, result.updated, result.deleted, result.settings_changed) == (
        0,
        0,
        0,
        False,
    )
    assert ConfigChange.objects.count() == 0
    assert config_io.config_export_text() == text
    exported = json.loads(text)
    assert exported["safety_stock"][0] == {
        "scope": "category",
        "key": "tops",
        "kind": "percent",
        "value": "10",
        "note": "",
    }
    assert exported["warehouse_map"] == [
        {"ip_warehouse": "c1_main", "centra_warehouse_id": 1, "centra_warehouse_name": "Main"}
    ]


def test_import_applies_the_file_and_audits_each_change(personas):
    configured()
    data = config_io.config_export()
    data["safety_stock"] = [{"scope": "global", "key": "", "kind": "units", "value": "4"}]
    data["allocations"].append(
        {"channel": "outlet", "scope": "global", "key": "", "kind": "percent", "value": "5"}
    )
    data["settings"]["batch_size"] = 100
    result = config_io.config_import(data=data, actor=personas["admin"])
    assert (result.created, result.updated, result.deleted, result.settings_changed) == (
        1,
        1,
        1,
        True,
    )
    assert list(SafetyStockRule.objects.values_list("scope", "value")) == [("global", Decimal(4))]
    assert StockSettings.load().batch_size == 100
    assert sorted(ConfigChange.objects.values_list("area", "object_key", "action", "via")) == [
        ("allocation", "outlet/global/*", "created", "import"),
        ("safety_stock", "category/tops", "deleted", "import"),
        ("safety_stock", "global/*", "updated", "import"),
        ("settings", "stock engine", "updated", "import"),
    ]


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.update(version=2), "version must be 1"),
        (
            lambda d: d["safety_stock"].append(
                {"scope": "sku", "key": "X", "kind": "units", "value": "-1"}
            ),
            "safety_stock[2].value",
        ),
        (
            lambda d: d["safety_stock"].append(
                {"scope": "sku", "key": "X", "kind": "weeks", "value": "1"}
            ),
            "safety_stock[2].kind",
        ),
        (
            lambda d: d["safety_stock"].append(
                {"scope": "global", "key": "", "kind": "units", "value": "1"}
            ),
            "a second row for global/*",
        ),
        (
            lambda d: d["safety_stock"].append(
                {"scope": "sku", "key": "", "kind": "units", "value": "1"}
            ),
            "every other scope needs one",
        ),
        (
            lambda d: d["allocations"].append(
                {"channel": "x", "scope": "sku", "key": "A", "kind": "days_of_cover", "value": "1"}
            ),
            "allocations[1].kind",
        ),
        (
            lambda d: d["warehouse_map"].append(
                {"ip_warehouse": "b", "centra_warehouse_id": "one"}
            ),
            "warehouse_map[1].centra_warehouse_id",
        ),
        (lambda d: d["settings"].update(guard_zero_share="2"), "settings.guard_zero_share"),
        (lambda d: d.update(stock_statuses=[]), "in_qc has ledger history and cannot be removed"),
        (lambda d: d["safety_stock"].append({"scope": "sku"}), "missing key"),
        (lambda d: d.update(extra=1), "unknown sections: extra"),
    ],
)
def test_a_bad_file_changes_nothing(personas, mutate, message):
    configured()
    ledger.stock_status_move(
        sku="A-1", ip_warehouse="c1_main", status="in_qc", delta=1, reason="test"
    )
    before = config_io.config_export_text()
    data = config_io.config_export()
    data["stock_statuses"].append({"code": "display", "name": "Display", "sellable": True})
    mutate(data)
    with pytest.raises(config_io.ConfigImportError) as raised:
        config_io.config_import(data=data, actor=personas["admin"])
    assert message in str(raised.value)
    assert config_io.config_export_text() == before
    assert ConfigChange.objects.count() == 0


def test_not_json_changes_nothing(personas):
    with pytest.raises(config_io.ConfigImportError):
        config_io.config_import_text(text="{nope", actor=personas["admin"])
    assert ConfigChange.objects.count() == 0


def test_what_if_counts_changes_zeroes_and_biggest_moves():
    WarehouseMapping.objects.create(ip_warehouse="c1_main", centra_warehouse_id=1)
    for sku, on_hand, category in (("A", 10, "tops"), ("B", 3, "tops"), ("C", 50, "shoes")):
        StockPosition.objects.create(
            sku=sku, centra_warehouse_id=1, on_hand=on_hand, category=category
        )
    ledger.stock_status_move(sku="C", ip_warehouse="c1_main", status="damaged", delta=4, reason="t")
    proposed = SafetyStockRule(scope="category", key="tops", kind="units", value=3)
    result = what_if.what_if(proposed=what_if.rulebook_with_safety(rule=proposed))
    assert (result.skus, result.changed, result.to_zero) == (3, 2, 1)
    assert (result.total_before, result.total_after) == (59, 53)
    assert [(m.sku, m.before, m.after) for m in result.biggest] == [("A", 10, 7), ("B", 3, 0)]
    assert SafetyStockRule.objects.count() == 0  # a preview saves nothing

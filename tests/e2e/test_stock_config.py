"""An admin changes a safety stock rule, sees the what-if, saves, dry-runs, reads the explainer."""

import httpx
import pytest
from django.utils import timezone
from playwright.sync_api import expect

from syncs.catalog.engine import catalog_engine
from syncs.clients import transports_install
from syncs.models import ConfigChange, SafetyStockRule, StockPosition, SyncRun
from syncs.sandbox.sandbox import sandbox_build
from syncs.sandbox.world import WorldConfig
from syncs.stock.engine import stock_engine

pytestmark = pytest.mark.e2e


@pytest.fixture
def world(transactional_db):
    built = sandbox_build(config=WorldConfig(seed=3, products=10, missing_in_ip=1))
    built.centra.config.throttle = False
    with transports_install(
        centra=httpx.MockTransport(built.centra.handle),
        inventory_planner=httpx.MockTransport(built.inventory_planner.handle),
    ):
        for stream, engine in (("catalog", catalog_engine), ("stock", stock_engine)):
            run = SyncRun.objects.create(stream=stream, started_at=timezone.now())
            engine(run=run, dry_run=False, full=False)
            SyncRun.objects.filter(pk=run.pk).update(status="succeeded", finished_at=timezone.now())
        yield built


def test_admin_changes_a_rule_previews_saves_and_explains(world, page, login):
    position = StockPosition.objects.filter(on_hand__gte=8).order_by("sku").first()
    login("admin")
    page.goto("/configuration/")
    page.get_by_role("link", name="Add a safety stock rule").click()
    page.get_by_label("Scope").select_option("sku")
    page.get_by_label("Key").fill(position.sku)
    page.get_by_label("Kind").select_option("units")
    page.get_by_label("Value").fill("6")
    page.get_by_role("button", name="Preview the effect").click()
    what_if = page.locator("#what-if")
    assert "1 change ATS" in what_if.inner_text()
    assert position.sku in what_if.inner_text()
    assert SafetyStockRule.objects.count() == 0
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/configuration/")
    assert "Safety stock rule saved." in page.content()
    change = ConfigChange.objects.get(area="safety_stock")
    assert (change.actor_name, change.after["key"]) == ("admin-e2e", position.sku)

    page.goto("/syncs/stock/")
    page.get_by_role("button", name="Dry run now").click()
    page.wait_for_url("**/syncs/stock/pushes/*/")
    assert "Blast radius" in page.content()
    page.locator("#push-lines").get_by_role("link", name=position.sku, exact=True).click()
    page.wait_for_url(f"**/syncs/stock/sku/{position.sku}/")
    explainer = page.locator(".ats-explainer").inner_text()
    assert f"sku {position.sku} rule: 6 units" in explainer
    assert f"= ATS\t{max(0, position.on_hand - 6)}" in explainer


def test_configuration_refuses_nonsense_warns_on_dead_keys_and_audits_balances(world, page, login):
    """Review problem 7: a balance for an unknown SKU or warehouse is refused with a reason,
    a rule whose key matches nothing says so in its preview, a balance change is in "Recent
    changes", and the audit reads as field: before → after, not as Python dicts."""
    from syncs.models import StockStatusBalance, WarehouseMapping

    position = StockPosition.objects.order_by("sku").first()
    warehouse = WarehouseMapping.objects.get().ip_warehouse
    login("admin")
    page.goto("/configuration/")
    balance = page.locator("form[action$='/config/statuses/balance/']")
    balance.get_by_label("SKU").fill("NOT-A-SKU")
    balance.get_by_label("IP warehouse").fill("main")
    balance.get_by_label("Status").select_option("damaged")
    balance.get_by_label("Quantity").fill("2")
    balance.get_by_role("button", name="Set quantity").click()
    error = page.locator(".message.error")
    expect(error).to_contain_text("'NOT-A-SKU' is not a SKU of the catalog")
    expect(error).to_contain_text(
        f"'main' is not an IP warehouse of the warehouse map (known: {warehouse})"
    )
    assert not StockStatusBalance.objects.exists()

    balance.get_by_label("SKU").fill(position.sku)
    balance.get_by_label("IP warehouse").fill(warehouse)
    balance.get_by_label("Status").select_option("damaged")
    balance.get_by_label("Quantity").fill("2")
    balance.get_by_role("button", name="Set quantity").click()
    expect(page.locator(".message.success")).to_contain_text(f"{position.sku}: ")
    row = page.locator("#audit tbody tr").first
    expect(row).to_contain_text(f"Created status_balance {position.sku}/{warehouse}/damaged")
    expect(row).to_contain_text("quantity: 2")

    page.get_by_role("link", name="Add a safety stock rule").click()
    page.get_by_label("Scope").select_option("sku")
    page.get_by_label("Key").fill("P99999-NOPE-01")
    page.get_by_label("Kind").select_option("units")
    page.get_by_label("Value").fill("3")
    page.get_by_role("button", name="Preview the effect").click()
    expect(page.locator("#key-warning")).to_contain_text(
        "'P99999-NOPE-01' matches no SKU the last stock cycle read: this rule changes nothing"
    )
    page.get_by_label("Key").fill(position.sku)
    page.get_by_role("button", name="Preview the effect").click()
    expect(page.locator("#key-warning")).to_have_count(0)
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/configuration/")
    page.locator("#audit").get_by_text(f"Created safety_stock sku/{position.sku}").wait_for()
    page.get_by_role("link", name="Edit").first.click()
    page.get_by_label("Value").fill("4")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/configuration/")
    expect(page.locator("#audit tbody tr").first).to_contain_text("value: 3 → 4")
    expect(page.locator("#audit")).not_to_contain_text("{'")


def test_a_dry_run_says_what_the_rest_lane_defers_and_the_sku_page_when(world, page, login):
    """Review problem 11: a change in the rest lane, deferred because the rest lane went out
    minutes ago, is counted on the dry run with its next send time, can be included with
    one click, and the SKU page says the push is pending and when it goes."""
    from syncs.models import StockSettings

    settings = StockSettings.load()
    position = (
        StockPosition.objects.filter(
            on_hand__gte=settings.low_stock_units + 10,
            velocity__lt=settings.high_velocity_per_day,
        )
        .order_by("sku")
        .first()
    )
    SafetyStockRule.objects.create(scope="sku", key=position.sku, kind="units", value=2)
    login("admin")
    page.goto("/syncs/stock/")
    page.get_by_role("button", name="Dry run now").click()
    page.wait_for_url("**/syncs/stock/pushes/*/")
    deferred = page.locator("#deferred")
    expect(deferred).to_contain_text("1 change deferred to the rest lane, next sent ≈ ")
    expect(page.locator("#push-lines")).not_to_contain_text(position.sku)

    deferred.get_by_role("button", name="Dry run including them").click()
    page.wait_for_url("**/syncs/stock/pushes/*/")
    expect(page.locator("#deferred")).to_have_count(0)
    expect(page.locator("#push-lines")).to_contain_text(position.sku)

    page.goto(f"/syncs/stock/sku/{position.sku}/")
    expect(page.locator(".pending-push")).to_contain_text(
        f"Pending push: ATS {position.on_hand - 2}, Centra was last sent {position.on_hand}."
    )
    expect(page.locator(".pending-push")).to_contain_text("Deferred to the rest lane: sent ≈ ")

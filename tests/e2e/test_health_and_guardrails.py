"""Operations sees a held stock stream at once (dashboard, banner, run history), cannot
release a held push without typing its size, and cannot release one a later cycle has
superseded."""

import pytest
from playwright.sync_api import expect

from syncs.models import StockPosition, StockPush
from syncs.runner import sync_run_stream
from syncs.sandbox.world import IP_WAREHOUSE
from tests.e2e.test_stock_config import world  # noqa: F401  (a catalog + stock cycle done)

pytestmark = pytest.mark.e2e


def zero_all_stock_and_run(world) -> StockPush:  # noqa: F811
    for position in StockPosition.objects.all():
        world.inventory_planner.set_stock(position.sku, IP_WAREHOUSE, 0)
    run = sync_run_stream(stream="stock")
    assert run.status == "held"
    return StockPush.objects.get(run=run)


def test_a_held_stream_turns_the_desk_amber_and_its_push_needs_typed_confirmation(
    world,  # noqa: F811
    page,
    login,
):
    from centra_ip.schedules import schedules_sync

    schedules_sync()  # a fresh install: orders and returns are waiting for their first run
    held = zero_all_stock_and_run(world)
    lines = held.lines.count()
    login("operations")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    expect(page.locator("#stream-returns .level")).to_have_text("Waiting for first run")

    stock = page.locator("#stream-stock")
    expect(stock.locator(".level")).to_have_text("Held by guard")
    expect(stock.locator(".runs-held")).to_have_text("1 held")
    expect(page.locator("#freshness")).to_have_class("freshness amber")
    alert = page.locator(".freshness-alert")
    expect(alert).to_contain_text(
        "Stock to Centra: held by guard; the storefront's stock is stale since"
    )
    alert.click()
    page.wait_for_url("**/syncs/runs/stock/")
    expect(page.locator("#stream-state")).to_contain_text("Held by guard")
    expect(page.locator("table")).to_contain_text("held by the guard")

    page.goto(f"/syncs/stock/pushes/{held.pk}/")
    discard = page.get_by_role("button", name="Discard: send nothing")
    expect(discard).to_have_class("button primary")
    page.get_by_label("type").fill(str(lines + 1))
    page.get_by_role("button", name=f"Release: send these {lines} lines").click()
    expect(page.locator(".message.error")).to_contain_text(f"not released: type {lines}")
    held.refresh_from_db()
    assert held.status == "held"

    # the next cycle plans again: the page now says the push is stale and offers nothing
    later = zero_all_stock_and_run(world)
    page.reload()
    expect(page.locator("#superseded")).to_contain_text(
        f"a later cycle planned push {later.pk}. Its lines are stale"
    )
    expect(page.get_by_role("button", name="Release", exact=False)).to_have_count(0)

    page.goto(f"/syncs/stock/pushes/{later.pk}/")
    page.get_by_role("button", name="Discard: send nothing").click()
    expect(page.locator(".message.success")).to_contain_text("Discarded: nothing was sent.")
    later.refresh_from_db()
    assert later.status == "discarded"


def test_a_fat_fingered_global_rule_needs_its_size_typed_before_it_is_saved(
    world,  # noqa: F811
    page,
    login,
):
    from syncs.models import SafetyStockRule

    changed = StockPosition.objects.filter(ats__gt=0).count()
    login("admin")
    page.goto("/syncs/config/safety_stock/new/")
    page.get_by_label("Scope").select_option("global")
    page.get_by_label("Kind").select_option("units")
    page.get_by_label("Value").fill("1000")
    page.get_by_role("button", name="Preview the effect").click()
    warning = page.locator("#guard-warning")
    expect(warning).to_contain_text("The guard will hold the next push")
    expect(warning).to_contain_text("would go to zero")
    expect(page.get_by_role("button", name="Save")).to_have_class("button danger")

    page.get_by_role("button", name="Save").click()
    expect(page.locator(".message.error")).to_contain_text(
        f"Not saved: the guard would hold the next push. To go ahead, type {changed}"
    )
    assert not SafetyStockRule.objects.exists()

    page.get_by_label("To save it anyway").fill(str(changed))
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/configuration/")
    expect(page.locator(".message.success")).to_contain_text("Safety stock rule saved.")
    assert SafetyStockRule.objects.get().value == 1000

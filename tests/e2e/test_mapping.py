"""A merchandising user maps an unmatched SKU on the workbench and sees the order line that
was parked on it published to the sales feed."""

import httpx
import pytest
from django.utils import timezone
from playwright.sync_api import expect

from syncs.catalog.engine import catalog_engine
from syncs.clients import transports_install
from syncs.models import SyncRun
from syncs.orders.engine import orders_engine
from syncs.sandbox.sandbox import sandbox_build
from syncs.sandbox.world import WorldConfig

pytestmark = pytest.mark.e2e


def run(engine, stream: str) -> None:
    sync_run = SyncRun.objects.create(stream=stream, started_at=timezone.now())
    engine(run=sync_run, dry_run=False, full=False)
    SyncRun.objects.filter(pk=sync_run.pk).update(status="succeeded", finished_at=timezone.now())


@pytest.fixture
def parked_order(transactional_db):
    """A small world, its catalog mapped, and an order with a line on a Centra-only SKU;
    IP now has the variant under its own spelling, so it needs a person to map it."""
    world = sandbox_build(config=WorldConfig(seed=7, products=40, missing_in_ip=3))
    world.centra.config.throttle = False
    unmapped = next(s for s in world.centra.state.sizes_by_sku if s.startswith("P00013"))
    with transports_install(
        centra=httpx.MockTransport(world.centra.handle),
        inventory_planner=httpx.MockTransport(world.inventory_planner.handle),
    ):
        world.inventory_planner.add_variant(f"IP {unmapped}", barcode="")
        run(catalog_engine, "catalog")
        order = world.centra.state.place_order(
            [(world.world.sellable[0], 1, "49.00"), (unmapped, 2, "79.00")]
        )
        run(orders_engine, "orders")
    return order.number, unmapped


def test_mapping_an_unmatched_sku_publishes_the_parked_line(page, login, parked_order):
    number, unmapped = parked_order
    login("merchandising", username="maria")

    page.goto(f"/syncs/orders/{number}/")
    expect(page.get_by_text("parked: SKU not mapped")).to_be_visible()

    page.goto("/syncs/catalog/")
    unmatched = page.locator("#unmatched-centra")
    expect(unmatched.get_by_role("link", name=unmapped, exact=True)).to_be_visible()
    manual = page.locator("#manual")
    manual.get_by_label("Centra SKU").fill(unmapped)
    manual.get_by_label("IP SKU").fill(f"IP {unmapped}")
    manual.get_by_role("button", name="Map").click()

    expect(page.locator(".messages")).to_contain_text(
        f"Mapped Centra '{unmapped}' to IP 'IP {unmapped}'; parked order lines on it are published."
    )
    expect(unmatched.get_by_role("link", name=unmapped, exact=True)).to_have_count(0)

    page.goto(f"/syncs/orders/{number}/")
    expect(page.get_by_text("parked: SKU not mapped")).to_have_count(0)
    expect(page.get_by_role("cell", name=f'"IP {unmapped}"')).to_be_visible()
    expect(page.locator("#published")).to_contain_text("Waiting for IP")

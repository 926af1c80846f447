"""A fulfilment user works two returns in the browser: one completes straight through, the
other's stock-in fails (fault injected into the IP twin), shows in the exception queue and
completes after a retry from the ticket."""

import httpx
import pytest
from django.utils import timezone
from playwright.sync_api import expect

from returns.engine import returns_engine
from returns.models import ExpectedReturn, StockIn
from syncs.catalog.engine import catalog_engine
from syncs.clients import transports_install
from syncs.models import StockStatusBalance, SyncRun
from syncs.sandbox.sandbox import sandbox_build
from syncs.sandbox.world import IP_WAREHOUSE, WorldConfig

pytestmark = pytest.mark.e2e


@pytest.fixture
def twins(settings, transactional_db):
    settings.RETURNS_IP_WAREHOUSE = IP_WAREHOUSE
    settings.RETURNS_STOCK_IN_INLINE = True
    built = sandbox_build(config=WorldConfig(seed=3, products=12, missing_in_ip=1))
    built.centra.config.throttle = False
    with transports_install(
        centra=httpx.MockTransport(built.centra.handle),
        inventory_planner=httpx.MockTransport(built.inventory_planner.handle),
    ):
        for engine, stream in ((catalog_engine, "catalog"), (returns_engine, "returns")):
            if stream == "returns":
                for sku in built.world.sellable[:2]:
                    state = built.centra.state
                    state.set_stock(sku, next(iter(state.warehouses)), 5)
                    order = state.place_order([(sku, 1, "59.00")])
                    state.create_return(state.ship(order.number).id, release_to_stock=False)
            run = SyncRun.objects.create(stream=stream, started_at=timezone.now())
            engine(run=run, dry_run=False, full=False)
        yield built


def in_qc(sku):
    row = StockStatusBalance.objects.filter(sku=sku, status__code="in_qc").first()
    return row.quantity if row else 0


def receive_and_qc(page, ret):
    sku = ret.lines.get().ip_sku
    page.goto("/returns/receive/")
    page.get_by_label("Scan or type").fill(ret.order_number)
    page.keyboard.press("Enter")  # keyboard only: find, then the quantity has the focus
    expect(page.get_by_label(f"Received {sku}")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(".message.success")).to_contain_text(
        f"Return {ret.centra_id}: 1 line(s) received"
    )
    assert in_qc(sku) == 1
    page.get_by_role("link", name="QC", exact=True).click()
    expect(page.get_by_label(f"Passed {sku}")).to_have_value("1")
    page.get_by_role("button", name="Record QC").click()


def test_fulfilment_receives_passes_qc_and_a_failed_stock_in_completes_after_a_retry(
    page, login, twins
):
    first, second = ExpectedReturn.objects.order_by("centra_id")
    login("fulfilment")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Returns").click()
    expect(page.locator("#returns-table")).to_contain_text(str(first.centra_id))

    receive_and_qc(page, first)
    expect(page.locator(".message.success")).to_contain_text("stock-in Confirmed")
    page.goto(f"/returns/{first.centra_id}/")
    expect(page.locator("#return-state")).to_have_text("Complete")
    expect(page.locator("#timeline")).to_contain_text("Stock-in confirmed")
    assert in_qc(first.lines.get().ip_sku) == 0

    # IP answers the stock order lookup with garbage once: the stock-in fails.
    twins.inventory_planner.faults.update(fail_next=1, fail_next_kind="malformed")
    receive_and_qc(page, second)
    expect(page.locator(".message.error")).to_contain_text("the stock-in failed")
    assert in_qc(second.lines.get().ip_sku) == 1
    page.goto("/returns/?state=exception")
    expect(page.locator("#returns-table")).to_contain_text(str(second.centra_id))

    page.goto("/exceptions/?team=fulfilment")
    page.get_by_role("link", name="Stock-in failed / not confirmed").click()
    # IP still fails: the failed retry is shown as a failure, never in a green banner
    twins.inventory_planner.faults.update(fail_next=1, fail_next_kind="malformed")
    page.get_by_role("button", name="Retry: Register this return's stock-in again").click()
    expect(page.locator("#ticket-body .message.error")).to_contain_text("Retry failed")
    expect(page.locator("#ticket-body .message.success")).to_have_count(0)
    page.get_by_role("button", name="Retry: Register this return's stock-in again").click()
    expect(page.locator("#ticket-body")).to_contain_text("Stocked in and confirmed (1 line(s)).")
    expect(page.locator("#ticket-body")).to_contain_text("Auto-resolved")
    page.goto(f"/returns/{second.centra_id}/")
    expect(page.locator("#return-state")).to_have_text("Complete")
    expect(page.locator("#stock-ins")).to_contain_text("ticket retry")
    assert StockIn.objects.get(line__expected_return=second).state == "confirmed"
    assert in_qc(second.lines.get().ip_sku) == 0


def test_a_refused_receipt_keeps_what_was_typed_and_points_at_its_line(page, login, twins):
    """Review problem 8: a line received as 0 with no note is refused on its own row, every
    typed count stays as typed (never reset to the expected figures), and the focus is on
    that row's note, so one more Enter cannot record a wrong receipt."""
    state = twins.centra.state
    skus = twins.world.sellable[4:7]
    for sku in skus:
        state.set_stock(sku, next(iter(state.warehouses)), 9)
    order = state.place_order([(sku, 2, "59.00") for sku in skus])
    centra_return = state.create_return(state.ship(order.number).id, release_to_stock=False)
    run = SyncRun.objects.create(
        stream="returns", started_at=timezone.now(), status=SyncRun.Status.SUCCEEDED
    )
    returns_engine(run=run, dry_run=False, full=False)
    ret = ExpectedReturn.objects.get(centra_id=centra_return.id)
    first, second, third = ret.lines.order_by("pk")

    login("fulfilment")
    page.goto(f"/returns/receive/?q={ret.centra_id}")
    page.get_by_label(f"Received {first.ip_sku}").fill("0")
    page.get_by_label(f"Received {third.ip_sku}").fill("1")
    page.get_by_label(f"Note {third.ip_sku}").fill("one torn")
    page.get_by_label(f"Received {first.ip_sku}").press("Enter")

    error = page.locator(f"#error-{first.pk}")
    expect(error).to_contain_text(f"{first.ip_sku}: Expected 2, received 0: add a note")
    expect(page.get_by_label(f"Note {first.ip_sku}")).to_be_focused()
    expect(page.get_by_label(f"Received {first.ip_sku}")).to_have_value("0")
    expect(page.get_by_label(f"Received {second.ip_sku}")).to_have_value("2")
    expect(page.get_by_label(f"Received {third.ip_sku}")).to_have_value("1")
    expect(page.get_by_label(f"Note {third.ip_sku}")).to_have_value("one torn")
    assert not ret.lines.filter(received_quantity__isnull=False).exists()

    page.keyboard.type("lost in transit")
    page.keyboard.press("Enter")
    expect(page.locator(".message.success")).to_contain_text("3 line(s) received")
    received = dict(ret.lines.values_list("pk", "received_quantity"))
    assert received == {first.pk: 0, second.pk: 2, third.pk: 1}

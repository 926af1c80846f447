from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_operations_follows_a_red_stream_to_its_ticket_and_its_runbook(page, login):
    from exceptions.models import Ticket
    from syncs.freshness import watchdog_check
    from syncs.models import SyncRun

    at = timezone.now() - timedelta(hours=2)
    SyncRun.objects.create(stream="orders", status="succeeded", started_at=at, finished_at=at)
    watchdog_check()
    ticket = Ticket.objects.get(type="stream_late", stream="orders")

    login("operations", username="olivia")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", name="Sync health")).to_be_visible()
    orders = page.locator("#stream-orders")
    expect(orders).to_have_class("stream-row red")
    expect(orders.locator(".level")).to_have_text("Behind")
    expect(page.locator("#freshness")).to_have_class("freshness red")

    orders.get_by_role("link", name="Stream late ticket").click()
    page.wait_for_url(f"**/exceptions/{ticket.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Stream late: stream orders")

    page.get_by_role("link", name="How to handle “Stream late”").click()
    page.wait_for_url("**/docs/runbooks/stream_late/")
    expect(page.get_by_role("heading", name="Runbook: Stream late")).to_be_visible()
    expect(page.locator("#runbook-owner")).to_have_text("Admin")
    expect(page.locator("#runbook-queue")).to_have_text("1 active ticket")
    expect(page.get_by_role("navigation", name="On this page")).to_contain_text("How to fix")


def test_a_team_ticks_off_its_checklist_in_the_browser(page, login):
    login("fulfilment", username="fran")
    page.get_by_role("link", name="Checklists").click()
    expect(page.get_by_role("heading", name="Fulfilment checklist")).to_be_visible()
    item = page.locator("#item-daily-stock_in")
    expect(item.locator(".state")).to_have_text("0")
    item.get_by_role("button", name="Tick off").click()
    expect(page.locator(".messages")).to_contain_text("Ticked off: Open “Stock-in failed")
    expect(item.locator(".ticked")).to_contain_text("fran at")
    expect(page.locator("#checklist-history")).to_contain_text("fran")

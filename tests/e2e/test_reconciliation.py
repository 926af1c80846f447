"""A finance user opens the month, drills into a mismatched day, explains the order behind
it, and exports the day's discrepancies."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest

from reconciliation.models import CurrencyRate, Discrepancy, ReconciliationSettings
from reconciliation.services import reconciliation_compute
from tests.reconciliation.conftest import Ledger, at

pytestmark = pytest.mark.e2e


@pytest.fixture
def march(transactional_db):
    ReconciliationSettings.objects.update_or_create(
        pk=1, defaults={"base_currency": "EUR", "time_zone": "Europe/Stockholm"}
    )
    CurrencyRate.objects.create(currency="SEK", valid_from="2026-01-01", rate=Decimal("0.09"))
    ledger = Ledger()
    ledger.order(501, at("2026-03-03 10:00"), ledger.line("a", qty=2, price="10.00"))
    ledger.order(502, at("2026-03-04 10:00"), ledger.line("zz", qty=1, price="90.00"))
    ledger.order(
        503, at("2026-03-04 12:00"), ledger.line("b", qty=1, price="100.00"), currency="SEK"
    )
    ledger.ip_takes_everything()
    reconciliation_compute(start_day=date(2026, 3, 1), end_day=date(2026, 3, 31))


def test_finance_opens_the_month_drills_into_a_mismatch_and_exports_it(march, page, login):
    login("finance")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Reconciliation").click()
    page.goto("/reconciliation/?month=2026-03")
    assert page.locator("#debt-count").inner_text() == "1"
    month = page.locator("#table-month")
    assert month.locator("tbody tr").count() == 2
    mismatched = month.locator("tr.status-mismatch")
    assert mismatched.locator("td").first.inner_text() == "2026-03-04"

    mismatched.get_by_role("link", name="2026-03-04").click()
    page.wait_for_url("**/reconciliation/day/2026-03-04/")
    discrepancies = page.locator("#table-discrepancies tbody tr")
    assert discrepancies.count() == 1
    assert discrepancies.first.locator("td").first.inner_text() == "502"
    assert "c-sku-zz" in page.locator("#table-skus tbody tr").first.inner_text()

    with page.expect_download() as download:
        page.locator("#table-discrepancies").locator(
            "xpath=../following-sibling::p[1]"
        ).get_by_role("link", name="Export CSV").click()
    rows = list(csv.reader(io.StringIO(download.value.path().read_text(encoding="utf-8"))))
    assert rows[0][:6] == ["Order", "Market", "Store", "Currency", "Channel", "What differs"]
    assert [row[0] for row in rows[1:]] == ["502"]

    page.get_by_label("Explain order 502").fill("Gift wrapping service, no stock item.")
    page.get_by_role("button", name="Mark explained").click()
    page.wait_for_url("**/reconciliation/day/2026-03-04/")
    assert page.get_by_text("Order 502 explained.").is_visible()
    assert Discrepancy.objects.get().status == "explained"


def test_the_month_reads_as_a_summary_first_and_says_why_today_is_pending(march, page, login):
    """Review problem 13: the month table opens on its key columns (net difference and
    status in view, the day column sticky), "Show all columns" reveals the rest, and a
    banner says which days are still pending and when they settle."""
    from playwright.sync_api import expect

    login("finance")
    page.goto("/reconciliation/?month=2026-03")
    month = page.locator("#table-month")
    header = month.locator("thead")
    header.scroll_into_view_if_needed()
    expect(header.get_by_text("Net difference (base)")).to_be_in_viewport()
    expect(header.get_by_text("Status", exact=True)).to_be_in_viewport()
    expect(header.get_by_text("IP cancelled rows taken")).to_be_hidden()
    all_columns = month.locator("xpath=../preceding-sibling::label[1]")
    expect(all_columns).to_have_text(f"Show all {month.locator('thead th').count()} columns")
    all_columns.click()
    expect(header.get_by_text("IP cancelled rows taken")).to_be_visible()
    first_cell = month.locator("tbody tr td").first
    assert first_cell.evaluate("cell => getComputedStyle(cell).position") == "sticky"
    expect(page.locator("#pending-banner")).to_contain_text("are pending")
    expect(page.locator("#pending-banner")).to_contain_text(
        "become discrepancies (and finance tickets) only once 24 hours have passed"
    )

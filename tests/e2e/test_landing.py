"""Each team lands on its work, sees in the navigation only what it may open, and a link
it may not open explains who may."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_operations_lands_on_its_queue_and_a_denied_page_says_who_may_open_it(page, login):
    login("operations")
    page.wait_for_url("**/exceptions/?team=operations")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Dashboard")).to_be_visible()
    expect(nav.get_by_role("link", name="Reconciliation")).to_have_count(0)

    page.goto("/reconciliation/")  # a link shared by finance
    expect(page.get_by_role("heading", level=1)).to_have_text("Not allowed")
    expect(page.locator("#denied")).to_contain_text(
        "Your team cannot open reconciliation. Finance, Admin may open it."
    )
    expect(nav).to_be_visible()  # the app's layout, not a bare error page
    page.get_by_role("link", name="Back to your start page").click()
    page.wait_for_url("**/exceptions/?team=operations")


@pytest.mark.parametrize(
    ("team", "heading"),
    [("finance", "Reconciliation"), ("fulfilment", "Returns"), ("merchandising", "SKU mapping")],
)
def test_each_team_lands_on_its_work(page, login, team, heading):
    login(team)
    expect(page.get_by_role("heading", level=1)).to_contain_text(heading)


def work_of_every_team():
    """A held stock push, a return to receive and an open discrepancy."""
    from django.utils import timezone

    from reconciliation.models import Discrepancy
    from returns.models import ExpectedReturn
    from syncs.models import StockPush

    now = timezone.now()
    StockPush.objects.create(status=StockPush.Status.HELD, reasons=["test"])
    ExpectedReturn.objects.create(
        centra_id=9,
        centra_status="PENDING",
        centra_created_at=now,
        order_number="9",
        centra_order_id="x9",
        shipment_id=1,
        ip_warehouse="main",
        first_seen_at=now,
        state_changed_at=now,
    )
    Discrepancy.objects.create(
        order_number="9",
        day=now.date(),
        currency="EUR",
        kinds="units",
        c_units=1,
        h_units=0,
        c_units_returned=0,
        h_units_returned=0,
        c_value=10,
        h_value=0,
        first_seen_at=now,
        last_seen_at=now,
    )


@pytest.mark.parametrize(
    ("team", "work", "link"),
    [
        ("operations", "1 stock pushes held", "/syncs/stock/"),
        ("fulfilment", "1 returns to receive", "/returns/receive/"),
        ("finance", "1 open discrepancies", "/reconciliation/"),
        ("merchandising", "1 tickets need you", "/exceptions/?team=merchandising"),
        ("ecommerce", "1 tickets need you", "/exceptions/?team=ecommerce"),
    ],
)
def test_each_landing_says_what_needs_the_team_now(page, login, team, work, link):
    """A "today" card on every team's landing page: its workload and its tickets, each
    figure a link to exactly those items; other teams' pages do not show it."""
    from exceptions.services import ticket_raise

    work_of_every_team()
    by_team = {
        "operations": ("stock_drift", {"sku": "A-1"}),
        "merchandising": ("sku_missing_in_ip", {"sku": "A-2"}),
        "ecommerce": ("stock_push_rejected", {"sku": "A-3"}),
        "fulfilment": ("return_overdue", {"return_id": "9"}),
        "finance": ("reconciliation_mismatch", {"order_number": "9"}),
    }
    type_code, subject = by_team[team]
    ticket_raise(type_code=type_code, source="test", **subject)
    login(team)
    card = page.locator("#today")
    expect(card).to_contain_text(work)
    expect(card.get_by_role("link", name=work)).to_have_attribute("href", link)
    expect(card.locator(".today-types")).to_contain_text("(1)")
    card.locator(".today-types a").first.click()
    page.wait_for_url(f"**/exceptions/?team={team}&type={type_code}")
    expect(page.locator("#queue")).to_contain_text("1 ticket")
    expect(page.locator("#today")).to_have_count(0 if team != "operations" else 1)

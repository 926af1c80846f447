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

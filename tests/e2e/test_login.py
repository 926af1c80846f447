import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_an_operations_user_logs_in_sees_the_navigation_and_logs_out(page, login):
    login("operations", username="olivia")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link")).to_have_text(
        ["Dashboard", "Exceptions", "Syncs", "Returns", "Configuration", "Docs"]
    )
    expect(page.locator(".usermenu")).to_contain_text("olivia · Operations")
    nav.get_by_role("link", name="Syncs").click()
    expect(page.get_by_role("heading", name="Syncs", exact=True)).to_be_visible()
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login/")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    page.goto("/syncs/")
    assert "/login/?next=/syncs/" in page.url


def test_a_wrong_password_is_refused_in_the_browser(page, transactional_db):
    from tests.factories import UserFactory

    UserFactory(username="frank", team="finance")
    page.goto("/login/")
    page.get_by_label("Username").fill("frank")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".error")).to_contain_text("Please enter a correct username and password")
    assert page.url.endswith("/login/")

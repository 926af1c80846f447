"""The Content-Security-Policy in a real browser: every page the route table reaches opens
with no violation on the console (the ``page`` fixture fails the test on any), and sends
the policy. The pages come from the hostile-input corpus's crawl, so a new page is covered
here too without new test code."""

import pytest
from django.test import Client

from tests.hostile.crawl import crawl, routes
from tests.hostile.test_corpus import plain_values, world_build

pytestmark = pytest.mark.e2e

NOT_HTML = ("feeds:", "metrics", "healthz", "exceptions:export", "syncs:config_export")
# The Django admin is Django's own code; these show it works under the same policy.
ADMIN_PAGES = ("/admin/", "/admin/exceptions/teamroute/add/", "/admin/auth/user/")


def test_no_page_breaks_the_content_security_policy(page, login):
    world_build()
    user = login("admin")
    user.is_staff = user.is_superuser = True
    user.save()
    client = Client()
    client.force_login(user)
    site = crawl(client, routes(), plain=plain_values())
    urls = [
        site.pages[name]
        for name in sorted(site.readable)
        if not name.startswith(NOT_HTML) and name != "logout"
    ]
    assert len(urls) > 30
    for url in [*urls, *ADMIN_PAGES]:
        response = page.goto(url)
        assert response.status == 200, url
        policy = response.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "style-src 'self'" in policy, url
        page.wait_for_load_state("networkidle")


def test_an_inline_style_is_refused_and_reported(page, login):
    """The check itself: a style added inline is blocked and reaches the console, where the
    ``page`` fixture finds it (cleared here, since this one is on purpose)."""
    login("operations")
    page.evaluate(
        "() => { const s = document.createElement('style');"
        " s.textContent = 'body { display: none }'; document.head.appendChild(s); }"
    )
    page.wait_for_timeout(300)
    assert page.csp_violations, "the browser did not report the inline style"
    assert page.locator("body").is_visible()  # the style was not applied
    page.csp_violations.clear()

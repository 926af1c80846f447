"""Browser tests: Python Playwright driving Debian's Chromium against a live server.

Playwright cannot download its own browser here, so it launches /usr/bin/chromium
(``make test`` installs the package when it is missing). Playwright's sync API runs an
event loop in the test thread; Django refuses ORM calls from such a thread unless told
that this is a test, hence DJANGO_ALLOW_ASYNC_UNSAFE for this folder only.
"""

import os

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS
        )
        yield browser
        browser.close()


# Chromium reports a Content-Security-Policy violation on the console ("Refused to ...
# because it violates the following Content Security Policy directive"); the init script
# also reports each ``securitypolicyviolation`` event there, with what was blocked.
CSP_REPORTER = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI}`
                + ` at ${event.sourceFile}:${event.lineNumber}`);
});
"""


def csp_violation(text: str) -> bool:
    return "Content Security Policy" in text or text.startswith("CSP violation")


@pytest.fixture
def page(browser, live_server):
    """A page on the live server; the test fails if any page it opened broke the CSP."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 800})
    context.add_init_script(CSP_REPORTER)
    page = context.new_page()
    page.set_default_timeout(10_000)
    violations: list[str] = []
    page.csp_violations = violations  # a test that provokes one on purpose reads and clears it
    page.on(
        "console",
        lambda message: (
            violations.append(f"{page.url}: {message.text}")
            if csp_violation(message.text)
            else None
        ),
    )
    yield page
    context.close()
    assert not violations, "Content-Security-Policy violations:\n" + "\n".join(violations)


@pytest.fixture
def login(page, transactional_db):
    """``login("operations")``: log in through the real form as a new user of that team."""
    from tests.factories import PASSWORD, UserFactory

    def do(team_code: str, username: str | None = None):
        user = UserFactory(username=username or f"{team_code}-e2e", team=team_code)
        page.goto("/login/")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(lambda url: "/login/" not in url)  # each team lands on its work
        return user

    return do

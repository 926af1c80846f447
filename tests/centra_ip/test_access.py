"""Every page needs a login; the navigation and the team groups are in place."""

import re

import pytest
from django.contrib.auth.models import Group
from django.urls import URLPattern, URLResolver, get_resolver

from centra_ip.teams import TEAM_CODES, TEAM_PERMISSIONS

# The only pages an anonymous visitor may see.
PUBLIC = {"/healthz", "/login/", "/admin/login/"}
_PLACEHOLDER = {
    "int": "1",
    "slug": "some-slug",
    "str": "x",
    "uuid": "00000000-0000-0000-0000-000000000000",
    "path": "x/y",
}


def _walk(patterns, prefix=""):
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            yield route


def _concrete(route: str) -> str:
    """A URL for a route: converters get a placeholder, regex routes a plausible value."""
    url = re.sub(r"<(?:(\w+):)?\w+>", lambda m: _PLACEHOLDER.get(m.group(1) or "str", "x"), route)
    url = url.lstrip("^").rstrip("$").replace("\\Z", "").replace("\\", "")
    url = re.sub(r"\(\?P<\w+>[^)]*\)", "1", url)
    url = re.sub(r"[()?*+]", "", url)
    return "/" + url


def all_urls():
    return sorted({_concrete(route) for route in _walk(get_resolver().url_patterns)})


def test_the_walk_finds_the_pages_of_every_app():
    urls = all_urls()
    for expected in (
        "/",
        "/exceptions/",
        "/syncs/",
        "/returns/",
        "/reconciliation/",
        "/configuration/",
        "/docs/",
        "/healthz",
        "/admin/",
    ):
        assert expected in urls


@pytest.mark.django_db
@pytest.mark.parametrize("url", [url for url in all_urls() if url not in PUBLIC])
def test_an_anonymous_request_is_redirected_to_login_or_refused(client, url):
    for method in (client.get, client.post):
        response = method(url)
        if response.status_code in (301, 302):
            assert "login" in response["Location"], f"{url} redirects to {response['Location']}"
        else:
            assert response.status_code in (401, 403, 404, 405), f"{url}: {response.status_code}"


@pytest.mark.django_db
def test_every_team_exists_with_its_declared_permissions():
    for code in TEAM_CODES:
        group = Group.objects.get(name=code)
        granted = {
            f"{app}.{codename}"
            for app, codename in group.permissions.values_list(
                "content_type__app_label", "codename"
            )
        }
        assert granted == set(TEAM_PERMISSIONS[code])


def test_the_navigation_shows_every_area(client_for):
    response = client_for("operations").get("/docs/")
    assert response.status_code == 200
    nav = re.search(r'<nav class="mainnav".*?</nav>', response.content.decode(), re.S).group(0)
    titles = re.findall(r">([^<]+)</a>", nav)
    assert titles == ["Dashboard", "Exceptions", "Syncs", "Returns", "Configuration", "Docs"]


@pytest.mark.parametrize(
    "url", ["/exceptions/", "/syncs/", "/returns/", "/configuration/", "/docs/"]
)
def test_each_area_renders_inside_the_layout_with_the_freshness_slot(client_for, url):
    response = client_for("operations").get(url, follow=True)  # a landing may redirect
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="freshness"' in html
    assert '<nav class="mainnav"' in html


def test_reconciliation_is_for_finance_and_admin_only(client_for):
    assert client_for("finance").get("/reconciliation/").status_code == 200
    assert client_for("admin").get("/reconciliation/").status_code == 200
    for team in ("operations", "ecommerce", "merchandising", "fulfilment"):
        assert client_for(team).get("/reconciliation/").status_code == 403


@pytest.mark.django_db
def test_login_page_is_public_and_logging_in_lands_on_the_overview(client):
    from tests.factories import PASSWORD, UserFactory

    UserFactory(username="ops", team="operations")
    assert client.get("/login/").status_code == 200
    assert client.get("/admin/login/").status_code == 200
    response = client.post("/login/", {"username": "ops", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").status_code == 302  # operations land on their queue


def test_logout_is_post_only(client_for):
    client = client_for("operations")
    assert client.get("/logout/").status_code == 405
    assert client.post("/logout/").status_code == 302
    assert client.get("/").status_code == 302


@pytest.mark.django_db
def test_the_navigation_shows_a_team_only_what_it_may_open(client_for):
    def titles(team):
        html = client_for(team).get("/docs/").content.decode()
        nav = re.search(r'<nav class="mainnav".*?</nav>', html, re.S).group(0)
        return re.findall(r">([^<]+)</a>", nav)

    everything = [
        "Dashboard",
        "Exceptions",
        "Syncs",
        "Returns",
        "Reconciliation",
        "Configuration",
        "Docs",
    ]
    assert titles("finance") == everything
    assert titles("operations") == [t for t in everything if t != "Reconciliation"]


@pytest.mark.django_db
def test_a_denied_page_is_styled_and_says_which_teams_may_open_it(client_for):
    response = client_for("operations").get("/reconciliation/")
    html = response.content.decode()
    assert response.status_code == 403
    assert "<h1>Not allowed</h1>" in html
    assert (
        "Your team cannot open reconciliation. <strong>Finance, Admin</strong> may open it." in html
    )
    assert 'id="freshness"' in html and '<nav class="mainnav"' in html  # the app's layout
    refused = client_for("finance").post("/returns/999999/receive/")
    assert refused.status_code == 403
    assert "cannot open receiving and QC of returns" in refused.content.decode()
    assert "<strong>Fulfilment, Admin</strong> may open it." in refused.content.decode()

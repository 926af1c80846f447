"""Every exception type has a runbook, it carries the type's live facts, and every ticket
links to it."""

import re

import pytest
from django.conf import settings

from centra_ip.teams import TEAMS
from exceptions.models import TypeOverride
from exceptions.registry import TYPES
from exceptions.services import ticket_raise

SECTIONS = ["What it means", "Likely causes", "What to check", "How to fix", "When to escalate"]


@pytest.mark.parametrize("kind", TYPES, ids=lambda kind: kind.code)
def test_every_registered_type_has_a_runbook_with_every_section(kind):
    path = settings.DOCS_DIR / "runbooks" / f"{kind.code}.md"
    assert path.is_file(), f"write docs/runbooks/{kind.code}.md for the new exception type"
    text = path.read_text()
    assert text.startswith(f"# Runbook: {kind.title}\n")
    assert re.findall(r"^## (.+)$", text, re.MULTILINE) == SECTIONS


def test_no_runbook_is_left_for_a_type_that_no_longer_exists():
    codes = {kind.code for kind in TYPES}
    files = {path.stem for path in (settings.DOCS_DIR / "runbooks").glob("*.md")}
    assert files == codes


def test_the_runbook_shows_the_type_as_it_applies_now(client_for):
    client = client_for("operations")
    ticket_raise(type_code="push_held", source="test", stream="stock", summary="held")
    html = client.get("/docs/runbooks/push_held/").content.decode()
    assert '<dd id="runbook-owner">Operations</dd>' in html
    assert "<dd>acknowledge within 30 min, resolve within 2 h</dd>" in html
    assert '<a href="/exceptions/?type=push_held" id="runbook-queue">1 active ticket</a>' in html
    assert (
        '<h1 id="runbook-stock-push-held-by-guard">Runbook: Stock push held by guard</h1>' in html
    )

    assert html.index("Runbook: Stock push held by guard</h1>") < html.index('id="runbook-facts"')

    TypeOverride.objects.create(type="push_held", team="admin", resolve_within_minutes=90)
    html = client.get("/docs/runbooks/push_held/").content.decode()
    assert '<dd id="runbook-owner">Admin</dd>' in html
    assert "<dd>acknowledge within 30 min, resolve within 90 min</dd>" in html


def test_the_docs_index_lists_every_runbook_in_registry_order(client_for):
    html = client_for("finance").get("/docs/").content.decode()
    listed = re.findall(r'<a href="/docs/runbooks/([a-z_]+)/">', html)
    assert listed == [kind.code for kind in TYPES]


def test_search_reaches_the_runbooks(client_for):
    found = client_for("finance").get("/docs/", {"q": "anomaly guard"}).context["results"]
    assert [r["page"].slug for r in found][:1] == ["push_held"]
    assert found[0]["page"].url == "/docs/runbooks/push_held/"


def test_every_ticket_page_links_to_its_runbook(client_for):
    client = client_for("fulfilment")
    for kind in TYPES:
        subject = {"sku": "S1", "order_number": "O1", "return_id": "R1", "stream": "stock"}
        ticket = ticket_raise(type_code=kind.code, source="test", **subject)
        html = client.get(f"/exceptions/{ticket.pk}/").content.decode()
        assert (
            f'<a href="/docs/runbooks/{kind.code}/" id="ticket-runbook">How to handle '
            f"“{kind.title}”</a>" in html
        ), kind.code


@pytest.mark.parametrize("team", [team.code for team in TEAMS])
def test_every_role_has_a_training_page_whose_links_all_resolve(client_for, team):
    client = client_for(team)
    response = client.get(f"/docs/training-{team}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'href="/checklists/{team}/"' in html
    article = html[html.index('<article class="prose">') :]
    for link in set(re.findall(r'href="(/[^"#?]*)', article)):
        status = client.get(link).status_code
        assert status in (200, 302), (link, status)

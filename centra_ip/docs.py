"""The documentation pages: Markdown files in ``docs/``, rendered inside the app.

Operators read the same files on GitHub and in the browser; the list is the folder, so a
new page needs no code. Three kinds of page live there:

- ``docs/<slug>.md``: guides and the operating model (``training-<role>.md`` are the
  training pages, listed apart);
- ``docs/runbooks/<type code>.md``: one runbook per exception type, shown with the type's
  facts as they apply now (owner after overrides, SLA, route, open tickets);
- live sections: a line ``{{ live:<name> }}`` is replaced by a section generated from the
  configuration (``centra_ip.operating_model``), so the page follows the configuration.

Every page gets a table of contents from its headings; ``/docs/?q=`` searches every page,
live sections included.
"""

import re
from dataclasses import dataclass
from pathlib import Path

import markdown
from django.conf import settings
from django.db.models import Count
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import strip_tags
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from centra_ip.operating_model import LIVE_LINE, duration_text, live_section, route_text
from centra_ip.permissions import VIEW_DOCS, requires
from centra_ip.teams import TEAM_CHOICES
from exceptions.models import TeamRoute, Ticket
from exceptions.overrides import effective_type
from exceptions.registry import TYPE_CODES, TYPES, retry_action

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_LIVE = re.compile(LIVE_LINE, re.MULTILINE)
# Links between pages are written as relative .md paths (they work on GitHub too).
_MD_LINK = re.compile(r'href="((?:\.\./)?(?:runbooks/)?)([a-z0-9_-]+)\.md(#[^"]*)?"')
TRAINING_PREFIX = "training-"
SEARCH_RESULTS = 30
# The runbooks show live ownership and open counts: reading them is a team permission.
can_read = requires(VIEW_DOCS)


@dataclass(frozen=True)
class DocPage:
    slug: str
    title: str
    path: Path
    runbook: bool = False

    @property
    def url(self) -> str:
        if self.runbook:
            return reverse("docs:runbook", args=[self.slug])
        return reverse("docs:page", args=[self.slug])

    @property
    def training(self) -> bool:
        return self.slug.startswith(TRAINING_PREFIX)


def _title(text: str, fallback: str) -> str:
    for line in text.splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return fallback


def _page(path: Path, *, runbook: bool = False) -> DocPage:
    return DocPage(path.stem, _title(path.read_text(), path.stem), path, runbook)


def docs_pages() -> list[DocPage]:
    return [_page(path) for path in sorted(settings.DOCS_DIR.glob("*.md"))]


def runbook_path(type_code: str) -> Path:
    return settings.DOCS_DIR / "runbooks" / f"{type_code}.md"


def runbook_pages() -> list[DocPage]:
    """The runbooks of the registered types, in registry order (a missing one is left out;
    the test suite fails on it)."""
    paths = (runbook_path(kind.code) for kind in TYPES)
    return [_page(path, runbook=True) for path in paths if path.is_file()]


def _link(match: re.Match, in_runbooks: bool) -> str:
    prefix, slug, anchor = match.group(1), match.group(2), match.group(3) or ""
    to_runbook = prefix == "runbooks/" or (in_runbooks and prefix == "")
    url = reverse("docs:runbook" if to_runbook else "docs:page", args=[slug])
    return f'href="{url}{anchor}"'


def docs_render(text: str, *, in_runbooks: bool = False) -> tuple[str, str]:
    """(body HTML, table-of-contents HTML) of one Markdown page, live sections filled in.

    The docs are our own files, not user input, so their HTML is trusted.
    """
    sections = []

    def hold(match: re.Match) -> str:
        sections.append(live_section(match.group(1)))
        return f"\n\nLIVESECTION{len(sections) - 1}\n\n"

    text = _LIVE.sub(hold, text)
    md = markdown.Markdown(
        extensions=["tables", "fenced_code", "toc"], extension_configs={"toc": {"toc_depth": "2-3"}}
    )
    html = md.convert(text)
    for n, section in enumerate(sections):
        html = html.replace(f"<p>LIVESECTION{n}</p>", section)
    html = _MD_LINK.sub(lambda m: _link(m, in_runbooks), html)
    toc = md.toc if md.toc_tokens else ""
    return html, toc


def _plain_text(text: str, *, in_runbooks: bool = False) -> str:
    """What a page says, live sections included, for search."""
    html, _ = docs_render(text, in_runbooks=in_runbooks)
    return re.sub(r"\s+", " ", strip_tags(html)).strip()


def docs_search(query: str) -> list[dict]:
    """Pages containing every word of ``query`` (case-insensitive), most hits first, each
    with a snippet around the first hit."""
    words = [w.lower() for w in query.split() if w.strip()]
    if not words:
        return []
    results = []
    for doc in docs_pages() + runbook_pages():
        text = _plain_text(doc.path.read_text(), in_runbooks=doc.runbook)
        lowered = text.lower()
        if not all(word in lowered for word in words):
            continue
        first = min(lowered.index(word) for word in words)
        start = max(0, first - 80)
        snippet = ("…" if start else "") + text[start : first + 160] + "…"
        hits = sum(lowered.count(word) for word in words)
        results.append({"page": doc, "snippet": snippet, "hits": hits})
    results.sort(key=lambda r: (-r["hits"], r["page"].title))
    return results[:SEARCH_RESULTS]


@require_GET
@can_read
def index(request):
    query = request.GET.get("q", "").strip()
    pages = docs_pages()
    context = {
        "pages": [p for p in pages if not p.training],
        "training": [p for p in pages if p.training],
        "runbooks": runbook_pages(),
        "query": query,
        "results": docs_search(query) if query else None,
    }
    return render(request, "centra_ip/docs_index.html", context)


def _render_page(request, doc: DocPage, extra: dict | None = None):
    html, toc = docs_render(doc.path.read_text(), in_runbooks=doc.runbook)
    # The title first, then anything the view puts under it (a runbook's live facts).
    heading, end, body = html.partition("</h1>")
    if not end:
        heading, body = "", html
    context = {
        "title": doc.title,
        "heading": mark_safe(heading + end),
        "html": mark_safe(body),
        "toc": mark_safe(toc),
        **(extra or {}),
    }
    return render(request, "centra_ip/docs_page.html", context)


@require_GET
@can_read
def page(request, slug):
    path = settings.DOCS_DIR / f"{slug}.md"
    # Checked before the file system is asked: a 300-character name is an OSError there.
    if len(slug) > 100 or not _SLUG.match(slug) or not path.is_file():
        raise Http404("No such documentation page")
    return _render_page(request, _page(path))


@require_GET
@can_read
def runbook(request, code):
    """A type's runbook, headed by the type's facts as they apply now."""

    path = runbook_path(code)
    if code not in TYPE_CODES or not path.is_file():
        raise Http404("No runbook for this exception type")
    kind = effective_type(code)
    open_by_status = dict(
        Ticket.objects.filter(type=code, status__in=Ticket.ACTIVE)
        .values_list("status")
        .annotate(n=Count("pk"))
    )
    facts = {
        "kind": kind,
        "team_name": dict(TEAM_CHOICES)[kind.team],
        "acknowledge": duration_text(kind.acknowledge_within),
        "resolve": duration_text(kind.resolve_within),
        "route": route_text(TeamRoute.objects.filter(team=kind.team).first()),
        "retry": kind.retry_label if retry_action(code) else "",
        "open_tickets": sum(open_by_status.values()),
        "queue_url": f"{reverse('exceptions:index')}?type={code}",
    }
    return _render_page(request, _page(path, runbook=True), {"runbook_facts": facts})

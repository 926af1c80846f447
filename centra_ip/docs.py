"""The documentation pages: Markdown files in ``docs/``, rendered inside the app.

Operators read the same files on GitHub and in the browser; the list is the folder, so a
new page needs no code.
"""

import re

import markdown
from django.conf import settings
from django.http import Http404
from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def _title(text: str, fallback: str) -> str:
    for line in text.splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return fallback


def docs_pages() -> list[dict[str, str]]:
    pages = []
    for path in sorted(settings.DOCS_DIR.glob("*.md")):
        pages.append({"slug": path.stem, "title": _title(path.read_text(), path.stem)})
    return pages


@require_GET
def index(request):
    return render(request, "centra_ip/docs_index.html", {"pages": docs_pages()})


@require_GET
def page(request, slug):
    path = settings.DOCS_DIR / f"{slug}.md"
    if not _SLUG.match(slug) or not path.is_file():
        raise Http404("No such documentation page")
    text = path.read_text()
    # The docs are our own files, not user input, so their HTML is trusted.
    html = markdown.markdown(text, extensions=["tables", "fenced_code", "toc"])
    html = re.sub(r'href="([a-z0-9-]+)\.md"', r'href="../\1/"', html)
    return render(
        request,
        "centra_ip/docs_page.html",
        {"title": _title(text, slug), "html": mark_safe(html), "pages": docs_pages()},
    )

"""The route table and the pages' forms, found at run time so a new page needs no new test.

``routes()`` walks the URL resolver (the Django admin, Django's own code, is left out; our
models' validation applies there anyway). ``crawl()`` opens every page that takes no
argument, follows the links on them to one concrete URL of each route that does, and reads
every ``<form>`` on every page: its method, action and fields with their default values.
"""

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urljoin, urlsplit

from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.exceptions import Resolver404


@dataclass(frozen=True)
class Route:
    name: str
    arguments: tuple[str, ...]
    converters: dict = field(default_factory=dict, compare=False, hash=False)


def routes() -> list[Route]:
    found: list[Route] = []

    def walk(patterns, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = pattern.namespace or ""
                full = ":".join(p for p in (namespace, inner) if p)
                if full.startswith("admin"):
                    continue
                walk(pattern.url_patterns, full)
            elif isinstance(pattern, URLPattern) and pattern.name:
                name = f"{namespace}:{pattern.name}" if namespace else pattern.name
                regex = pattern.pattern.regex
                converters = getattr(pattern.pattern, "converters", {})
                found.append(Route(name, tuple(regex.groupindex), dict(converters)))

    walk(get_resolver().url_patterns, "")
    return found


@dataclass
class Form:
    method: str
    action: str  # a path
    fields: list[tuple[str, str]]  # (name, default) in page order; repeated names allowed
    kinds: dict[str, str]  # name -> input type (text, hidden, file, select, checkbox...)
    choices: dict[str, list[str]]

    @property
    def signature(self) -> tuple:
        return (route_name(self.action), self.method, tuple(sorted(self.kinds)))


class _Forms(HTMLParser):
    def __init__(self, page_url: str):
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.forms: list[Form] = []
        self.links: list[str] = []
        self._form: Form | None = None
        self._by_id: dict[str, Form] = {}
        self._select: tuple[Form, str] | None = None
        self._textarea: str | None = None
        self._button_taken = False

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(urljoin(self.page_url, a["href"]))
        if tag == "form":
            action = urljoin(self.page_url, a.get("action") or self.page_url)
            self._form = Form(a.get("method", "get").lower(), action, [], {}, {})
            self._button_taken = False
            self.forms.append(self._form)
            if a.get("id"):
                self._by_id[a["id"]] = self._form
            return
        if tag == "option" and self._select:
            select_form, select = self._select
            select_form.choices[select].append(a.get("value", ""))
            return
        # A field may sit outside its form and name it (form="bulk"), as table checkboxes do.
        form = self._by_id.get(a["form"]) if a.get("form") else self._form
        if form is None or not a.get("name"):
            return
        name = a["name"]
        if tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "image", "reset"):
                self._button(form, name, a.get("value", ""))
                return
            form.kinds[name] = kind
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    form.fields.append((name, a.get("value", "on")))
                form.choices.setdefault(name, []).append(a.get("value", "on"))
            elif kind != "file":
                form.fields.append((name, a.get("value", "")))
        elif tag == "button" and a.get("type", "submit") == "submit":
            self._button(form, name, a.get("value", ""))
        elif tag == "select":
            self._select = (form, name)
            form.kinds[name] = "select"
            form.choices[name] = []
        elif tag == "textarea":
            self._textarea = name
            form.kinds[name] = "textarea"
            form.fields.append((name, ""))

    def _button(self, form: Form, name: str, value: str) -> None:
        form.kinds.setdefault(name, "submit")
        if not self._button_taken:  # the first named button is what a click sends
            form.fields.append((name, value))
            self._button_taken = True

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select:
            form, name = self._select
            options = [o for o in form.choices[name] if o] or form.choices[name]
            if options:  # what a browser sends: the first option with a value
                form.fields.append((name, options[0]))
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def route_name(url: str) -> str | None:
    try:
        return resolve(urlsplit(url).path).view_name
    except Resolver404:
        return None


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


@dataclass
class Site:
    pages: dict[str, str]  # route name -> one concrete URL (path and query)
    readable: set[str]  # the routes whose page answered a GET with 200
    forms: list[Form]  # every distinct form, GET and POST
    query_params: dict[str, set[str]]  # route name -> parameter names seen in links and forms


def _plain_url(route: Route, plain: dict[str, str]) -> str | None:
    kwargs = {
        name: plain.get(type(route.converters.get(name)).__name__, "1") for name in route.arguments
    }
    try:
        return reverse(route.name, kwargs=kwargs)
    except NoReverseMatch:
        return None


def crawl(client, all_routes: list[Route], *, plain: dict[str, str]) -> Site:
    """Every argument-free GET page and every link on them, to one concrete URL of each
    route; each GET form is submitted once as it stands (a search form's results hold more
    forms). A route with arguments that no link reaches is tried with ``plain`` values per
    converter (``{"StringConverter": "2026-01-01"}``)."""
    pages: dict[str, str] = {}
    for route in all_routes:
        if not route.arguments:
            try:
                pages[route.name] = reverse(route.name)
            except NoReverseMatch:
                continue
    forms: dict[tuple, Form] = {}
    params: dict[str, set[str]] = {}
    readable: set[str] = set()
    queue, seen = list(pages.values()), set()
    shapes = set()  # (route, query keys) already queued: one page per shape of link
    while queue or _unreached(all_routes, pages, seen, plain, queue):
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url, follow=True)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        final = _path(response.wsgi_request.get_full_path())
        readable.add(route_name(final))
        parser = _Forms("http://testserver" + final)
        parser.feed(response.content.decode("utf-8", "replace"))
        for form in parser.forms:
            form.action = _path(form.action)
            forms.setdefault(form.signature, form)
            if form.method == "get" and route_name(form.action):
                params.setdefault(route_name(form.action), set()).update(form.kinds)
                query = "&".join(f"{k}={v}" for k, v in form.fields if v)
                queue.append(form.action.split("?")[0] + (f"?{query}" if query else ""))
        for link in parser.links:
            parts = urlsplit(link)
            if parts.netloc not in ("", "testserver"):
                continue
            name = route_name(link)
            if name is None or name.startswith("admin"):
                continue
            keys = frozenset(k for k, _ in parse_qsl(parts.query))
            params.setdefault(name, set()).update(keys)
            if name not in pages:
                pages[name] = _path(link)
            if (name, keys) not in shapes:
                shapes.add((name, keys))
                queue.append(_path(link))
    return Site(pages=pages, readable=readable, forms=list(forms.values()), query_params=params)


def _unreached(all_routes, pages, seen, plain, queue) -> bool:
    """Queue the plain URL of one route no link reached; False when none is left."""
    for route in all_routes:
        if route.name in pages or not route.arguments:
            continue
        url = _plain_url(route, plain)
        pages[route.name] = url or ""
        if url and url not in seen:
            queue.append(url)
            return True
    return False

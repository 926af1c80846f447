"""The hostile-input corpus: every route, URL parameter, form field and upload, as every team
and anonymously, with the values of ``values.py``.

Nothing here names a page: ``crawl.routes()`` walks the URL resolver and ``crawl.crawl()``
finds one concrete URL per route and every form on every page, so a new page or a new field
is covered the day it exists. For each request:

- never a 500 (nor a database error);
- a GET writes nothing;
- an answer that refuses (4xx, a form error, an error message, or the login page for an
  anonymous client) wrote nothing (the row count of every table is unchanged) and sent
  nothing (no HTTP to Centra, IP, a team webhook or the WMS; no mail);
- a 4xx says something (a body, not an empty answer).

Input that is *accepted* (a unicode comment on a ticket) may write: that is the feature.
Each case runs in a savepoint that is rolled back, so every case starts from the same world.
The sandbox control page forwards its form to the sandbox (which validates it), and points at
a closed port here. Findings are collected and reported together, grouped by route and kind.
"""

import logging
from collections import Counter
from datetime import timedelta

import httpx
import pytest
from django.apps import apps
from django.contrib.messages import constants as message_levels
from django.contrib.sessions.models import Session
from django.core import mail
from django.db import connection, transaction
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from centra_ip.teams import TEAM_CODES
from exceptions.services import ticket_raise
from exceptions.webhook_guard import webhook_resolver_set
from reconciliation.models import CurrencyRate, Discrepancy
from returns.models import ExpectedReturn, LineState, ReturnLine
from syncs.clients import transports_install
from syncs.models import (
    CentraSize,
    IpVariant,
    Order,
    OrderLine,
    StockPush,
    StockPushLine,
    SyncRun,
)
from syncs.models.config import (
    ChannelAllocation,
    RuleKind,
    SafetyStockRule,
    Scope,
    StockStatus,
    WarehouseMapping,
)
from tests.factories import UserFactory
from tests.hostile.crawl import Route, crawl, routes
from tests.hostile.values import BODIES, CORE, FEW, FILES, VALUES

PERSONAS = (*TEAM_CODES, "anonymous")
CSRF_FIELD = "csrfmiddlewaretoken"
SKIPPED_TABLES = {Session._meta.db_table}  # a login writes a session: not application data


# -- the world the pages show --------------------------------------------------------------


def world_build() -> None:
    """A little of everything, so every page has its forms: tickets of several teams, an
    order, a return with a line to receive and one in QC, a held stock push, a discrepancy,
    configuration rows and a catalog pair to map."""
    now = timezone.now()
    for type_code, extra in (
        ("stock_push_rejected", {"sku": "SKU-1"}),
        ("orphaned_order", {"order_number": "1001"}),
        ("reconciliation_mismatch", {"order_number": "1002"}),
        ("return_overdue", {"return_id": "77", "order_number": "1003"}),
    ):
        ticket_raise(type_code=type_code, source="corpus", summary="x", **extra)
    order = Order.objects.create(
        centra_id="o1",
        number=1001,
        status="PENDING",
        order_date=now,
        currency="EUR",
        grand_total=10,
        stored_at=now,
        updated_at=now,
    )
    OrderLine.objects.create(
        order=order,
        centra_line_id=1,
        centra_sku="SKU-1",
        product_name="Shirt",
        quantity=1,
        unit_price=10,
        changed_at=now,
    )
    ret = ExpectedReturn.objects.create(
        centra_id=77,
        centra_status="PENDING",
        centra_created_at=now - timedelta(days=2),
        order_number="1001",
        centra_order_id="o1",
        shipment_id=1,
        ip_warehouse="main",
        first_seen_at=now,
        state_changed_at=now,
    )
    for line_id, received in ((11, None), (12, 1)):
        ReturnLine.objects.create(
            expected_return=ret,
            centra_line_id=line_id,
            centra_order_line_id=1,
            centra_sku="SKU-1",
            ip_sku="SKU-1",
            quantity=1,
            received_quantity=received,
            received_at=now if received else None,
            state=LineState.IN_QC if received else LineState.EXPECTED,
        )
    StockStatus.objects.filter(code="in_qc").exists()
    from syncs.stock.ledger import stock_status_move

    stock_status_move(sku="SKU-1", ip_warehouse="main", status="in_qc", delta=1, reason="corpus")
    run = SyncRun.objects.create(stream="stock", started_at=now, status="success")
    push = StockPush.objects.create(run=run, status=StockPush.Status.HELD, reasons=["corpus"])
    StockPushLine.objects.create(
        push=push,
        sku="SKU-1",
        centra_warehouse_id=1,
        product_size_id=1,
        quantity=3,
        lane="rest",
        position=1,
        why="corpus",
    )
    SyncRun.objects.create(stream="orders", started_at=now, status="success")
    Discrepancy.objects.create(
        order_number="1002",
        day=now.date(),
        currency="EUR",
        kinds="untaken",
        c_units=1,
        h_units=2,
        c_units_returned=0,
        h_units_returned=0,
        c_value=1,
        h_value=2,
        first_seen_at=now,
        last_seen_at=now,
    )
    CurrencyRate.objects.create(currency="USD", valid_from=now.date(), rate="0.9")
    CentraSize.objects.create(
        size_id=5, sku="SKU-5", sku_key="sku-5", product_id=1, variant_id=1, seen_at=now
    )
    IpVariant.objects.create(variant_id="v5", sku="SKU-5", sku_key="sku-5", seen_at=now)
    SafetyStockRule.objects.create(scope=Scope.GLOBAL, key="", kind=RuleKind.UNITS, value=1)
    ChannelAllocation.objects.create(
        channel="wholesale", scope=Scope.GLOBAL, key="", kind=RuleKind.UNITS, value=1
    )
    WarehouseMapping.objects.create(ip_warehouse="main", centra_warehouse_id=1)


def plain_values() -> dict[str, str]:
    """Arguments for routes no link reaches: today (the discrepancy's day), the world's SKU."""
    today = timezone.now().date().isoformat()
    return {"StringConverter": today, "PathConverter": "SKU-1", "SlugConverter": "operations"}


# -- what was written and what was sent ----------------------------------------------------


def _counts_query() -> str:
    quote = connection.ops.quote_name
    tables = sorted(
        {m._meta.db_table for m in apps.get_models() if m._meta.managed} - SKIPPED_TABLES
    )
    existing = set(connection.introspection.table_names())
    return "SELECT " + ", ".join(
        f"(SELECT COUNT(*) FROM {quote(t)})" for t in tables if t in existing
    )


class Outbox:
    """Every HTTP request to Centra, IP, a team webhook or the WMS (all refused), and mail."""

    def __init__(self):
        self.requests: list[str] = []

    def transport(self) -> httpx.MockTransport:
        def refuse(request):
            self.requests.append(f"{request.method} {request.url.host}")
            raise httpx.ConnectError("corpus: nothing may be sent", request=request)

        return httpx.MockTransport(refuse)

    def size(self) -> int:
        return len(self.requests) + len(mail.outbox)


@pytest.fixture
def quiet_errors():
    """Thousands of 4xx (and any 500) would each log a line or a traceback; the corpus reports
    its findings itself."""
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    yield
    logger.setLevel(level)


@pytest.fixture
def outbox(settings, quiet_errors):
    settings.SANDBOX_URL = "http://127.0.0.1:9"  # discard port: nothing listens
    box = Outbox()
    webhook_resolver_set(lambda host: ["93.184.215.14"])
    with transports_install(
        centra=box.transport(),
        inventory_planner=box.transport(),
        wms_webhook=box.transport(),
        team_webhook=box.transport(),
    ):
        yield box
    webhook_resolver_set(None)


# -- judging one answer --------------------------------------------------------------------


def _refused(response, anonymous: bool) -> bool:
    if response.status_code >= 400:
        return True
    if anonymous and response.status_code == 302 and "/login/" in response.get("Location", ""):
        return True
    request = getattr(response, "wsgi_request", None)
    stored = getattr(request, "_messages", None) if request else None
    if stored is not None and any(m.level >= message_levels.ERROR for m in stored):
        return True
    return (
        response.status_code == 200 and not response.streaming and b"errorlist" in response.content
    )


class Corpus:
    """Sends each case in a rolled-back savepoint and notes what went wrong, by kind."""

    def __init__(self, client: Client, anonymous: bool, outbox: Outbox):
        self.client, self.anonymous, self.outbox = client, anonymous, outbox
        self.counts_sql = _counts_query()
        # Every case is rolled back, so each starts from this same state.
        self.baseline = self._counts()
        self.findings: list[str] = []
        self.sent = 0

    def _counts(self) -> tuple:
        with connection.cursor() as cursor:
            cursor.execute(self.counts_sql)
            return cursor.fetchone()

    def send(self, method: str, url: str, what: str, **kwargs) -> None:
        self.sent += 1
        before, sent_before = self.baseline, self.outbox.size()
        try:
            with transaction.atomic():
                response = getattr(self.client, method)(url, **kwargs)
                wrote = self._counts() != before
                sent = self.outbox.size() != sent_before
                transaction.set_rollback(True)
        except Exception as error:  # a broken transaction: the database refused a statement
            self.findings.append(f"{method.upper()} {url[:120]} [{what}]: {error!r}"[:400])
            return
        finally:
            del mail.outbox[:]
        self._judge(method, url, what, response, wrote, sent)

    def _judge(self, method, url, what, response, wrote, sent) -> None:
        where = f"{method.upper()} {url[:120]} [{what}]"
        if response.status_code >= 500:
            error = getattr(response, "exc_info", None)
            cause = repr(error[1])[:200] if error else response.content[:200]
            self.findings.append(f"{where}: {response.status_code} {cause}")
        elif method in ("get", "head") and wrote:
            self.findings.append(f"{where}: a GET wrote to the database")
        elif _refused(response, self.anonymous) and (wrote or sent):
            self.findings.append(
                f"{where}: refused ({response.status_code}) but "
                + " and ".join(w for w, f in (("wrote", wrote), ("sent", sent)) if f)
            )
        elif 400 <= response.status_code < 500 and not response.content:
            self.findings.append(f"{where}: {response.status_code} with no explanation")

    def dump(self, path) -> None:
        with open(path, "w") as out:
            out.write("\n".join(self.findings))

    def report(self) -> str:
        kinds = Counter(f.split(" [")[0] for f in self.findings)
        head = f"{len(self.findings)} findings in {self.sent} requests; by route: {dict(kinds)}"
        return "\n".join([head, *self.findings[:60]])


# -- the cases -----------------------------------------------------------------------------


def _path_values(route: Route, names: tuple[str, ...]) -> list[tuple[str, str]]:
    """Hostile URLs for a route with arguments: each argument in turn takes each value the
    route's pattern accepts (digits only for <int:>), the others a plain value."""
    plain = {"int": "1", "slug": "orders", "str": "2026-01-01", "path": "SKU-1"}
    urls = []
    for argument in route.arguments:
        for name in names:
            kwargs = {}
            for other in route.arguments:
                kind = type(route.converters.get(other)).__name__.lower().replace("converter", "")
                kwargs[other] = VALUES[name] if other == argument else plain.get(kind, "1")
            try:
                urls.append((f"{argument}={name}", reverse(route.name, kwargs=kwargs)))
            except NoReverseMatch:
                continue  # the pattern itself refuses this value (a 404 by construction)
    return urls


def _with(fields: list[tuple[str, str]], name: str, value) -> dict:
    data: dict[str, list] = {}
    for key, default in fields:
        data.setdefault(key, []).append(value if key == name else default)
    if name not in data:
        data[name] = [value]
    return data


def _upload(name: str, content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def run_corpus(corpus: Corpus, site, all_routes, *, thorough: bool) -> None:
    """``thorough`` (the admin, who may use every form): each CORE value alone in each field
    and parameter, and every value in all of them at once. Otherwise FEW values, each in all
    fields at once: the other personas are refused before most fields are read."""
    alone = CORE if thorough else ()
    together = tuple(VALUES) if thorough else FEW
    posted = {form.signature[0] for form in site.forms if form.method == "post"}
    for route in all_routes:
        _path_cases(corpus, route, site, posted, alone or FEW[:4])
    for name in sorted(site.readable):
        if name in site.pages:  # every team reads the same pages: two values suffice there
            _query_cases(corpus, site, name, alone, together if thorough else ("huge", "nested"))
    for form in site.forms:
        if form.method == "post":
            _form_cases(corpus, form, alone, together, thorough=thorough)


def _path_cases(corpus, route, site, posted, names) -> None:
    """A route's arguments: GET where it is a page, POST where it takes a form."""
    methods = [m for m, known in (("get", site.readable), ("post", posted)) if route.name in known]
    for what, url in _path_values(route, names):
        for method in methods or ["get", "post"]:
            corpus.send(method, url, what, data={})


def _query_cases(corpus, site, name, alone, together) -> None:
    params = set(site.query_params.get(name, set()))
    if "sort" in params:  # a django-tables2 list: its paging parameters too
        params |= {"page", "per_page"}
    base = site.pages[name].split("?")[0]
    for value in alone:
        for param in sorted(params):
            corpus.send("get", base, f"?{param}={value}", data={param: VALUES[value]})
    for value in together:
        corpus.send("get", base, f"?*={value}", data=dict.fromkeys(params or ["q"], VALUES[value]))


def _form_cases(corpus, form, alone, together, *, thorough: bool) -> None:
    files = [n for n, kind in form.kinds.items() if kind == "file"]
    # The test client does not check CSRF tokens, so that field proves nothing here.
    fields = [n for n, kind in form.kinds.items() if kind != "file" and n != CSRF_FIELD]
    base = list(form.fields)

    def uploads(kind: str = "bom-csv") -> dict:
        return {n: _upload(f"{kind}.csv", FILES[kind]) for n in files}

    for value in alone:
        for field in fields:
            data = {**_with(base, field, VALUES[value]), **uploads()}
            corpus.send("post", form.action, f"{field}={value}", data=data)
    for value in together:
        data = {**{n: VALUES[value] for n in fields}, **uploads()}
        corpus.send("post", form.action, f"*={value}", data=data)
    for kind in (FILES if thorough else list(FILES)[:4]) if files else ():
        data = {**_with(base, "", ""), **uploads(kind)}
        data.pop("", None)
        corpus.send("post", form.action, f"file={kind}", data=data)
    if thorough or corpus.anonymous:
        for kind, (content_type, body) in BODIES.items():
            corpus.send("post", form.action, kind, data=body, content_type=content_type)


@pytest.mark.parametrize("persona", PERSONAS)
def test_hostile_input_gets_a_clear_answer_and_changes_nothing(persona, outbox, db):
    world_build()
    admin = Client()
    admin.force_login(UserFactory(username="corpus-admin", team="admin"))
    all_routes = routes()
    site = crawl(admin, all_routes, plain=plain_values())
    client = Client(raise_request_exception=False)
    if persona != "anonymous":
        client.force_login(UserFactory(username=f"corpus-{persona}", team=persona))
    corpus = Corpus(client, persona == "anonymous", outbox)
    run_corpus(corpus, site, all_routes, thorough=persona == "admin")
    import os

    if os.environ.get("CORPUS_DUMP"):
        corpus.dump(f"{os.environ['CORPUS_DUMP']}-{persona}.txt")
    assert not corpus.findings, corpus.report()


def test_the_crawl_reaches_every_route_and_finds_the_forms(outbox, db):
    """The corpus is only as good as what it finds: every argument-free page opens, most
    routes with arguments are reached through a link, and the pages' forms are read."""
    world_build()
    admin = Client()
    admin.force_login(UserFactory(username="corpus-admin", team="admin"))
    all_routes = routes()
    site = crawl(admin, all_routes, plain=plain_values())
    assert len(all_routes) > 50
    unreached = {r.name for r in all_routes} - set(site.pages)
    # POST-only endpoints are reached through forms, not links.
    posted = {f.signature[0] for f in site.forms if f.method == "post"}
    assert unreached - posted <= {"logout"} | {r.name for r in all_routes if r.arguments}, (
        unreached - posted
    )
    for expected in (
        "exceptions:ticket_action",
        "exceptions:bulk",
        "returns:receive_submit",
        "returns:qc_submit",
        "syncs:config_import",
        "syncs:config_status_import",
        "syncs:catalog_import",
        "syncs:stock_push_release",
        "reconciliation:explain",
        "reconciliation:configuration",
    ):
        assert expected in posted, expected

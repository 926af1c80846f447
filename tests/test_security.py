"""Security review as tests: who may change what, secrets, redirects, CSRF, escaping, feeds.

Each test names the flaw it guards against and fails while that flaw is present. The route
table below classifies every URL the resolver knows, so a new mutating endpoint cannot slip
in without a permission row here.
"""

import base64
import hmac
import io
import json
import logging
import re

import httpx
import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core import serializers
from django.core.management import call_command
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from centra_ip.docs import docs_pages, runbook_pages
from centra_ip.teams import TEAM_CODES, TEAM_PERMISSIONS
from exceptions.models import TeamRoute, Ticket
from exceptions.services import ticket_raise
from returns.models import ExpectedReturn, LineState, ReturnLine
from syncs.clients import transports_install
from syncs.models import (
    CentraSize,
    ExternalCall,
    FeedDelivery,
    IpVariant,
    Order,
    OrderLine,
    SkuMapping,
    StockPush,
    SyncRun,
)
from syncs.models.config import RuleKind, SafetyStockRule, Scope, StockStatus
from syncs.runner import sync_run_stream
from syncs.sandbox.sandbox import sandbox_build
from syncs.streams import STREAM_CODES
from tests.exceptions.conftest import webhook  # noqa: F401  (records the team webhook)
from tests.factories import UserFactory
from tests.syncs.conftest import SMALL_WORLD

# --- The route table ----------------------------------------------------------------------

CHANGE = "centra_ip.change_configuration"
# Pages that answer GET only and change nothing.
READ_ONLY = {
    "home",
    "healthz",
    "metrics",
    "dashboard",
    "checklists",
    "checklist",
    "configuration",
    "docs:index",
    "docs:page",
    "docs:runbook",
    "exceptions:index",
    "exceptions:export",
    "exceptions:stats",
    "exceptions:types",
    "exceptions:ticket",
    "syncs:index",
    "syncs:catalog",
    "syncs:sku",
    "syncs:orders",
    "syncs:feed_deliveries",
    "syncs:order",
    "syncs:stream_runs",
    "syncs:stock",
    "syncs:stock_push",
    "syncs:stock_sku",
    "syncs:config_export",
    "feeds:ip_sales_orders",
    "feeds:ip_products",
    "returns:index",
    "returns:receive",
    "returns:qc",
    "returns:detail",
    "reconciliation:index",
    "reconciliation:day",
    "reconciliation:sku",
}
# Endpoints that change something: (kwargs, permissions needed, permissions that GET's
# form page needs, or None when GET must be refused with 405).
# Ticket actions and checklist ticks are decided per object (team), tested separately.
MUTATING = {
    "syncs:catalog_map": ({}, ("centra_ip.map_skus",), None),
    "syncs:catalog_import": ({}, ("centra_ip.map_skus",), None),
    "syncs:stock_dry_run": ({}, ("centra_ip.run_syncs",), None),
    "syncs:stock_push_release": ({"pk": 999999}, ("centra_ip.run_syncs",), None),
    "syncs:stock_push_discard": ({"pk": 999999}, ("centra_ip.run_syncs",), None),
    "syncs:sandbox": ({}, ("centra_ip.control_sandbox",), ("centra_ip.control_sandbox",)),
    "syncs:check_apis": ({}, (CHANGE,), None),
    "syncs:config_import": ({}, (CHANGE,), None),
    "syncs:config_settings": ({}, (CHANGE,), (CHANGE,)),
    "syncs:config_status_import": ({}, (CHANGE,), None),
    "syncs:config_balance": ({}, (CHANGE,), None),
    "syncs:config_new": ({"area": "safety_stock"}, (CHANGE,), (CHANGE,)),
    "syncs:config_edit": ({"area": "safety_stock", "pk": 999999}, (CHANGE,), (CHANGE,)),
    "syncs:config_delete": (
        {"area": "safety_stock", "pk": 999999},
        (CHANGE,),
        None,
    ),
    "returns:receive_submit": ({"centra_id": 999999}, ("centra_ip.handle_returns",), None),
    "returns:qc_submit": ({"line_id": 999999}, ("centra_ip.handle_returns",), None),
    "reconciliation:explain": (
        {"pk": 999999},
        ("centra_ip.view_reconciliation", "centra_ip.act_on_team_tickets"),
        None,
    ),
    # Finance reads the tolerances; only admins change them.
    "reconciliation:configuration": ({}, (CHANGE,), ("centra_ip.view_reconciliation",)),
    # Finance closes a month; only admins reopen one.
    "reconciliation:close": (
        {"month": "2026-03"},
        ("centra_ip.view_reconciliation", "centra_ip.act_on_team_tickets"),
        None,
    ),
    "reconciliation:reopen": (
        {"month": "2026-03"},
        ("centra_ip.view_reconciliation", CHANGE),
        None,
    ),
}
PER_OBJECT = {"exceptions:ticket_action", "exceptions:bulk", "checklist_tick"}
AUTH = {"login", "logout"}  # Django's own views


def _route_names(patterns, namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _route_names(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern):
            yield f"{namespace}{entry.name}"


def test_every_route_is_classified_as_read_only_or_mutating():
    """A new endpoint must say here whether it changes anything and who may do it."""
    names = {name for name in _route_names(get_resolver().url_patterns)}
    ours = {name for name in names if not name.startswith("admin:")}
    assert ours == READ_ONLY | set(MUTATING) | PER_OBJECT | AUTH


def _may(team: str, needed: tuple[str, ...]) -> bool:
    return set(needed) <= set(TEAM_PERMISSIONS[team])


def _snapshot() -> str:
    """Every row of the project's own apps, as text: "nothing changed" is an equality."""
    rows = []
    for label in ("centra_ip", "syncs", "exceptions", "returns", "reconciliation", "auth"):
        rows += [serializers.serialize("json", m.objects.order_by("pk")) for m in _tables(label)]
    return "\n".join(rows)


def _tables(label: str):
    return [m for m in apps.get_app_config(label).get_models() if m._meta.managed]


@pytest.fixture
def some_state(db):
    """A little of everything the mutating endpoints touch, so "nothing changed" means it."""
    from reconciliation.config import reconciliation_settings

    reconciliation_settings()  # made on first read, not by a refused POST
    ticket_raise(type_code="stock_push_rejected", source="test", sku="SKU-1", summary="x")
    ticket_raise(type_code="orphaned_order", source="test", order_number="1001", summary="y")


@pytest.mark.parametrize("name", sorted(MUTATING))
def test_mutating_endpoints_refuse_teams_without_the_permission_and_change_nothing(
    name, client_for, some_state
):
    kwargs, needed, _ = MUTATING[name]
    url = reverse(name, kwargs=kwargs)
    for team in TEAM_CODES:
        client = client_for(team)
        before = _snapshot()
        response = client.post(url, {"twin": "centra", "sku": "SKU-1", "quantity": "5"})
        if _may(team, needed):
            assert response.status_code != 403, f"{team} refused at {url}"
        else:
            assert response.status_code == 403, f"{team} may POST {url}"
            assert _snapshot() == before, f"{team}'s refused POST to {url} changed data"


@pytest.mark.parametrize("name", sorted(MUTATING))
def test_mutating_endpoints_do_not_act_on_get(name, client_for):
    kwargs, _, form_needs = MUTATING[name]
    url = reverse(name, kwargs=kwargs)
    if form_needs is None:
        assert client_for("admin").get(url).status_code == 405
    else:
        # A form page: GET only shows it, and only to those who may read it.
        refused = [t for t in TEAM_CODES if client_for(t).get(url).status_code == 403]
        assert refused == [t for t in TEAM_CODES if not _may(t, form_needs)]


@pytest.fixture
def teamless(db):
    user = UserFactory(username="no-team")
    client = Client()
    client.force_login(user)
    return client


PUBLIC = {"healthz", "metrics", "feeds:ip_sales_orders", "feeds:ip_products"}
# Values for the read-only routes that take arguments; a new one fails here until it has some.
READ_KWARGS = {
    "checklist": {"team": "operations"},
    "docs:page": {"slug": "operating-model"},
    "docs:runbook": {"code": "stock_push_rejected"},
    "exceptions:ticket": {"pk": 1},
    "syncs:sku": {"sku": "SKU-1"},
    "syncs:order": {"number": 1001},
    "syncs:stream_runs": {"stream": "orders"},
    "syncs:stock_push": {"pk": 1},
    "syncs:stock_sku": {"sku": "SKU-1"},
    "returns:detail": {"centra_id": 1},
    "reconciliation:day": {"day": "2026-01-01"},
    "reconciliation:sku": {"day": "2026-01-01", "sku": "SKU-1"},
}


@pytest.mark.parametrize("name", sorted(READ_ONLY - PUBLIC))
def test_a_user_in_no_team_sees_nothing(name, teamless):
    """Reading is a team permission: an account an admin made without a team reads nothing
    (not the runs and external calls, not the live runbooks, not the checklists)."""
    url = reverse(name, kwargs=READ_KWARGS.get(name, {}))
    assert teamless.get(url, follow=True).status_code == 403, url


@pytest.mark.parametrize("name", sorted(MUTATING))
def test_a_user_in_no_team_changes_nothing(name, teamless, some_state):
    url = reverse(name, kwargs=MUTATING[name][0])
    before = _snapshot()
    assert teamless.post(url, {"twin": "centra"}).status_code == 403, url
    assert _snapshot() == before


# --- Tickets: acting is per team ------------------------------------------------------------

ACTIONS = {
    "acknowledge": {"acknowledge-key": "k-ack"},
    "assign": {"assign-key": "k-assign", "assign-assignee": ""},
    "comment": {"comment-key": "k-comment", "comment-note": "a note"},
    "snooze": {"snooze-key": "k-snooze", "snooze-hours": "24"},
    "resolve": {"resolve-key": "k-resolve", "resolve-note": "done"},
    "retry": {"retry-key": "k-retry"},
}


def _ticket_state(ticket: Ticket) -> tuple:
    ticket.refresh_from_db()
    return ticket.status, ticket.assignee_id, ticket.snoozed_until, ticket.events.count()


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_ticket_actions_are_for_the_owning_team_and_admins(
    action, client_for, teamless, some_state
):
    ticket = Ticket.objects.get(type="orphaned_order")  # owned by operations
    url = reverse("exceptions:ticket_action", kwargs={"pk": ticket.pk, "action": action})
    assert client_for("operations").get(url).status_code == 405
    others = [client_for(team) for team in ("finance", "ecommerce", "merchandising", "fulfilment")]
    for client in [*others, teamless]:
        before = _ticket_state(ticket)
        assert client.post(url, ACTIONS[action]).status_code == 403
        assert _ticket_state(ticket) == before
    for team in ("operations", "admin"):
        assert client_for(team).post(url, ACTIONS[action]).status_code in (200, 302), team


def test_bulk_acts_only_on_the_tickets_of_the_users_team(client_for, some_state):
    ticket = Ticket.objects.get(type="orphaned_order")
    before = _ticket_state(ticket)
    response = client_for("finance").post(
        reverse("exceptions:bulk"), {"action": "acknowledge", "tickets": [ticket.pk], "key": "b"}
    )
    assert response.status_code == 302
    assert _ticket_state(ticket) == before
    assert client_for("finance").get(reverse("exceptions:bulk")).status_code == 405


def test_a_checklist_is_ticked_by_its_team_only(client_for, teamless):
    from centra_ip.models import ChecklistTick

    url = reverse("checklist_tick", kwargs={"team": "finance"})
    item = {"item": _first_item("finance")}
    assert client_for("finance").get(url).status_code == 405
    assert client_for("operations").post(url, item).status_code == 403
    assert teamless.post(url, item).status_code == 403
    assert ChecklistTick.objects.count() == 0
    assert client_for("finance").post(url, item).status_code == 302
    assert ChecklistTick.objects.count() == 1


def _first_item(team: str) -> str:
    from centra_ip.checklists import CHECKLISTS

    periods = CHECKLISTS[team]
    return next(iter(periods.values()))[0].code


# --- Open redirects -------------------------------------------------------------------------

EVIL = ("https://evil.example/", "//evil.example/", "/\\evil.example/", "https:evil.example")


@pytest.mark.parametrize("target", EVIL)
def test_post_redirects_never_leave_the_site(target, client_for, some_state):
    merch, ops = client_for("merchandising"), client_for("operations")
    answers = [
        merch.post(reverse("syncs:catalog_map"), {"centra_sku": "nope", "next": target}),
        ops.post(reverse("exceptions:bulk"), {"action": "acknowledge", "next": target}),
    ]
    for response in answers:
        assert response.status_code == 302
        assert "evil.example" not in response["Location"]


@pytest.mark.parametrize("target", EVIL)
def test_login_does_not_redirect_off_site(target, db):
    from tests.factories import PASSWORD

    UserFactory(username="ops", team="operations")
    response = Client().post(
        f"/login/?next={target}", {"username": "ops", "password": PASSWORD, "next": target}
    )
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


# --- CSRF -----------------------------------------------------------------------------------


def test_htmx_posts_need_the_csrf_token_the_page_sends(personas, some_state):
    ticket = Ticket.objects.get(type="orphaned_order")
    client = Client(enforce_csrf_checks=True)
    client.force_login(personas["operations"])
    page = client.get(reverse("exceptions:ticket", kwargs={"pk": ticket.pk})).content.decode()
    token = re.search(r"""<body hx-headers='\{"X-CSRFToken": "([^"]+)"\}'>""", page).group(1)
    url = reverse("exceptions:ticket_action", kwargs={"pk": ticket.pk, "action": "acknowledge"})
    data = {"acknowledge-key": "csrf"}
    forged = client.post(url, data, headers={"HX-Request": "true"})
    assert forged.status_code == 403
    assert _ticket_state(ticket)[0] == Ticket.Status.OPEN
    sent = client.post(url, data, headers={"HX-Request": "true", "X-CSRFToken": token})
    assert sent.status_code == 200
    assert _ticket_state(ticket)[0] == Ticket.Status.ACKNOWLEDGED


# --- Escaping -------------------------------------------------------------------------------

SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
SKU = f"X{SCRIPT}"


@pytest.fixture
def scripted(db):
    """A script in every field people type or systems send: SKU, order, summary, reason,
    and in the admin data the docs' live sections show."""
    now = timezone.now()
    tickets = [
        ticket_raise(type_code="stock_push_rejected", source="t", sku=SKU, summary=SCRIPT),
        ticket_raise(type_code="orphaned_order", source="t", order_number=SCRIPT, summary="x"),
    ]
    CentraSize.objects.create(
        size_id=1, sku=SKU, sku_key=SKU, product_id=1, variant_id=1, seen_at=now
    )
    IpVariant.objects.create(variant_id="v1", sku=f"Y{SCRIPT}", sku_key="y", seen_at=now)
    order = Order.objects.create(
        centra_id="o1",
        number=7001,
        status="PENDING",
        order_date=now,
        currency="EUR",
        grand_total=1,
        stored_at=now,
        updated_at=now,
    )
    OrderLine.objects.create(
        order=order,
        centra_line_id=1,
        centra_sku=SKU,
        product_name=SCRIPT,
        quantity=1,
        unit_price=1,
        parked=True,
        changed_at=now,
    )
    expected = ExpectedReturn.objects.create(
        centra_id=4242,
        centra_status="PENDING",
        centra_created_at=now,
        order_number=f"7001{SCRIPT}",
        centra_order_id="o1",
        shipment_id=1,
        centra_comment=SCRIPT,
        ip_warehouse="main",
        first_seen_at=now,
        state_changed_at=now,
    )
    for line_id, state in ((1, LineState.EXPECTED), (2, LineState.IN_QC)):
        ReturnLine.objects.create(
            expected_return=expected,
            centra_line_id=line_id,
            centra_order_line_id=line_id,
            centra_sku=SKU,
            ip_sku=SKU,
            quantity=1,
            received_quantity=1 if state == LineState.IN_QC else None,
            reason=SCRIPT,
            state=state,
        )
    TeamRoute.objects.create(team="ecommerce", email=f"a@example.com{SCRIPT}")
    SafetyStockRule.objects.create(scope=Scope.SKU, key=SKU, kind=RuleKind.UNITS, value=2)
    StockStatus.objects.create(code="scripted", name=SCRIPT, sellable=False)
    return tickets


URL_ENCODED = "%3Cscript%3Ealert%281%29%3C%2Fscript%3E"
SCRIPTED_PAGES = [
    ("exceptions:index", {}, "?team="),
    ("exceptions:index", {}, "?q=%3Cscript%3Ealert(1)%3C/script%3E"),
    ("exceptions:ticket", {"pk": 0}, ""),
    ("exceptions:ticket", {"pk": 1}, ""),
    ("syncs:catalog", {}, ""),
    ("syncs:sku", {"sku": SKU}, ""),
    ("syncs:stock_sku", {"sku": SKU}, ""),
    ("syncs:order", {"number": 7001}, ""),
    ("reconciliation:sku", {"day": "2026-01-01", "sku": SKU}, ""),
    ("reconciliation:index", {}, "?channel=%3Cscript%3Ealert(1)%3C/script%3E"),
    ("reconciliation:day", {"day": "2026-01-01"}, "?channel=%3Cscript%3Ealert(1)%3C/script%3E"),
    ("returns:index", {}, ""),
    ("returns:detail", {"centra_id": 4242}, ""),
    ("returns:receive", {}, "?q=4242"),
    ("returns:qc", {}, ""),
    ("docs:index", {}, "?q=%3Cscript%3Ealert(1)%3C/script%3E"),
    ("docs:page", {"slug": "operating-model"}, ""),
    ("exceptions:types", {}, ""),
    ("configuration", {}, ""),
]


@pytest.mark.parametrize(("name", "kwargs", "query"), SCRIPTED_PAGES)
def test_a_script_renders_escaped_where_it_shows(name, kwargs, query, scripted, client_for):
    if "pk" in kwargs:  # the n-th ticket of the fixture
        kwargs = {"pk": scripted[kwargs["pk"]].pk}
    url = reverse(name, kwargs=kwargs) + query
    response = client_for("admin").get(url)
    assert response.status_code == 200, url
    html = response.content.decode()
    assert SCRIPT not in html
    # The value is on the page, as text (or, in the reconciliation links, URL-encoded).
    assert ESCAPED in html or URL_ENCODED in html


# --- Secrets --------------------------------------------------------------------------------

SECRETS = {
    "CENTRA_API_TOKEN": "centra-token-S3CR3T-a1",
    "INVENTORY_PLANNER_API_KEY": "ip-key-S3CR3T-b2",
    "INVENTORY_PLANNER_ACCOUNT": "ip-account-S3CR3T-c3",
    "IP_FEED_PASSWORD": "feed-password-S3CR3T-d4",
    "RETURNS_WEBHOOK_SECRET": "returns-hook-S3CR3T-e5",
    "METRICS_TOKEN": "metrics-token-S3CR3T-f6",
    "EMAIL_HOST_PASSWORD": "smtp-password-S3CR3T-g7",
}
TEAM_WEBHOOK = "https://hooks.example/services/T0/B0/webhook-S3CR3T-h8"
LEAKS = re.compile(r"S3CR3T")


@pytest.fixture
def configured(settings):
    """Real-looking credentials everywhere; the twins demand them, so calls use them."""
    for name, value in SECRETS.items():
        setattr(settings, name, value)
    settings.CENTRA_API_URL = "https://brand.centra.example/graphql"
    settings.CENTRA_USES_SANDBOX = False
    settings.INVENTORY_PLANNER_USES_SANDBOX = False
    settings.IP_PRODUCTS_FEED = True
    settings.RETURNS_SINK = "webhook"
    settings.RETURNS_WEBHOOK_URL = "https://wms.example/stock-in"
    built = sandbox_build(config=SMALL_WORLD)
    built.centra.config.throttle = False
    built.centra.token = SECRETS["CENTRA_API_TOKEN"]
    built.inventory_planner.api_key = SECRETS["INVENTORY_PLANNER_API_KEY"]
    built.inventory_planner.account = SECRETS["INVENTORY_PLANNER_ACCOUNT"]
    with transports_install(
        centra=httpx.MockTransport(built.centra.handle),
        inventory_planner=httpx.MockTransport(built.inventory_planner.handle),
    ):
        yield built


@pytest.fixture
def failed_runs(configured, webhook, db, caplog, django_capture_on_commit_callbacks):  # noqa: F811
    """Good catalog, orders and stock (dry) runs, then an auth failure on each side, notified
    to a team webhook that cannot be reached. Returns every log line written meanwhile."""
    TeamRoute.objects.create(team="admin", webhook_url=TEAM_WEBHOOK)
    # httpx quotes the URL in its errors: the URL carries the webhook's secret.
    webhook.error = httpx.ConnectError(f"cannot connect to {TEAM_WEBHOOK}")
    caplog.set_level("DEBUG")
    lines = _LogLines()
    logging.getLogger().addHandler(lines)
    try:
        _runs(configured, django_capture_on_commit_callbacks)
    finally:
        logging.getLogger().removeHandler(lines)
    assert webhook.requests, "the team webhook was not tried"
    return lines.text


class _LogLines(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(self.format(record))

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def _runs(twins, capture_on_commit) -> None:
    with capture_on_commit(execute=True):
        for stream in ("catalog", "orders"):
            assert sync_run_stream(stream=stream).status == SyncRun.Status.SUCCEEDED
        assert sync_run_stream(stream="stock", dry_run=True).pushes.exists()
        twins.centra.faults.expired_token = True
        assert sync_run_stream(stream="catalog").status == SyncRun.Status.FAILED
        twins.centra.faults.expired_token = False
        twins.inventory_planner.faults.expired_token = True
        assert sync_run_stream(stream="catalog").status == SyncRun.Status.FAILED


def test_connector_errors_leave_no_secret_in_calls_tickets_or_logs(failed_runs):
    refused = ExternalCall.objects.filter(status_code=401)
    assert set(refused.values_list("system", flat=True)) == {"centra", "inventory_planner"}
    assert Ticket.objects.get(type="api_auth_failure").context["status_code"] == 401
    stored = "\n".join(
        serializers.serialize("json", model.objects.all())
        for label in ("syncs", "exceptions", "returns", "reconciliation", "centra_ip")
        for model in _tables(label)
        if model is not TeamRoute  # where the webhook URL is kept, by design
    )
    assert not LEAKS.search(stored)
    assert "notification webhook failed" in failed_runs  # logged, without the URL
    assert not LEAKS.search(failed_runs)


def _get_pages() -> list[str]:
    """Every GET page with real objects behind it: the walk of READ_ONLY with values."""
    urls = [_reverse_plain(name) for name in sorted(READ_ONLY) if not name.startswith("feeds:")]
    urls = [url for url in urls if url and url != "/metrics"]
    urls += [reverse("exceptions:ticket", kwargs={"pk": t.pk}) for t in Ticket.objects.all()]
    urls += [reverse("checklist", kwargs={"team": team}) for team in TEAM_CODES]
    urls += [reverse("syncs:stream_runs", kwargs={"stream": s}) for s in STREAM_CODES]
    urls += [reverse("docs:runbook", kwargs={"code": page.slug}) for page in runbook_pages()]
    urls += [reverse("docs:page", kwargs={"slug": page.slug}) for page in docs_pages()]
    numbers = Order.objects.values_list("number", flat=True)[:20]
    urls += [reverse("syncs:order", kwargs={"number": number}) for number in numbers]
    urls += [
        reverse("syncs:stock_push", kwargs={"pk": push.pk}) for push in StockPush.objects.all()
    ]
    # The form pages too; the sandbox control page does not exist with real credentials.
    urls += [
        reverse(name)
        for name, (kwargs, _, form) in MUTATING.items()
        if form and not kwargs and name != "syncs:sandbox"
    ]
    sku = SkuMapping.objects.order_by("pk").first().sku
    urls += [reverse("syncs:sku", kwargs={"sku": sku}), reverse("syncs:stock_sku", args=[sku])]
    return urls


def _reverse_plain(name: str) -> str:
    """The route's URL when it takes no arguments, else ""."""
    try:
        return reverse(name)
    except NoReverseMatch:
        return ""


def test_no_page_shows_a_secret(failed_runs, client_for):
    client = client_for("admin")
    for url in _get_pages():
        response = client.get(url, follow=True)
        assert response.status_code == 200, url
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert not LEAKS.search(body.decode()), f"a secret on {url}"
        contexts = response.context if isinstance(response.context, list) else [response.context]
        shown = repr([context.flatten() for context in contexts if context is not None])
        assert not LEAKS.search(shown), f"a secret in the context of {url}"


def test_no_admin_changelist_or_machine_answer_shows_a_secret(failed_runs, db):
    superuser = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client = Client()
    client.force_login(superuser)
    for model in admin.site._registry:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        response = client.get(url)
        assert response.status_code == 200, url
        assert not LEAKS.search(response.content.decode()), f"a secret on {url}"
    health = client.get("/healthz")
    metrics = client.get(
        "/metrics", headers={"Authorization": f"Bearer {SECRETS['METRICS_TOKEN']}"}
    )
    assert metrics.status_code == 200
    out = io.StringIO()
    call_command("tickets", "--status", "all", "--json", stdout=out)
    assert json.loads(out.getvalue())
    for text in (health.content.decode(), metrics.content.decode(), out.getvalue()):
        assert not LEAKS.search(text)


# --- Feed and metrics: constant-time, no details --------------------------------------------


def _basic(user: str, password: str) -> dict:
    pair = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {pair}"}


FEEDS = ("feeds:ip_sales_orders", "feeds:ip_products")


@pytest.mark.parametrize("feed", FEEDS)
def test_the_feed_compares_both_credentials_in_constant_time(feed, configured, db, monkeypatch):
    compared = []
    real = hmac.compare_digest

    def spy(a, b):
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    response = Client().get(reverse(feed), headers=_basic("inventory-planner", "wrong"))
    assert response.status_code == 401
    assert (b"wrong", SECRETS["IP_FEED_PASSWORD"].encode()) in compared
    assert (b"inventory-planner", b"inventory-planner") in compared


@pytest.mark.parametrize(
    "headers",
    [
        {},
        _basic("inventory-planner", "wrong"),
        _basic("someone-else", SECRETS["IP_FEED_PASSWORD"]),
        {"Authorization": "Basic !!!not-base64"},
        {"Authorization": f"Bearer {SECRETS['IP_FEED_PASSWORD']}"},
    ],
)
@pytest.mark.parametrize("feed", FEEDS)
def test_a_refused_feed_fetch_says_nothing_about_why(feed, headers, configured, db, settings):
    settings.DEBUG = False
    response = Client().get(reverse(feed), headers=headers)
    assert response.status_code == 401
    assert response.content == b"Authentication required."
    assert response["WWW-Authenticate"] == 'Basic realm="centra-ip feeds", charset="UTF-8"'
    assert FeedDelivery.objects.count() == 0


def test_metrics_refuse_a_wrong_token_in_constant_time_and_without_details(
    configured, db, settings, monkeypatch
):
    settings.DEBUG = False
    compared = []
    real = hmac.compare_digest
    monkeypatch.setattr(hmac, "compare_digest", lambda a, b: compared.append(b) or real(a, b))
    for header in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic x"}):
        response = Client().get("/metrics", headers=header)
        assert response.status_code == 401
        assert response.content == b"Unauthorized\n"
    assert compared == [f"Bearer {SECRETS['METRICS_TOKEN']}".encode()] * 3
    settings.METRICS_TOKEN = ""
    response = Client().get("/metrics", headers={"Authorization": "Bearer "})
    assert response.status_code == 404
    assert b"METRICS_TOKEN" not in response.content

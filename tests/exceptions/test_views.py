"""The desk's screens: the queue (filters, landing, pagination, query counts), the ticket
page and its actions (Post/Redirect/Get, htmx, double submit), bulk actions, counts, CSV."""

import csv
import io
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from exceptions.models import TeamRoute, Ticket, TicketEvent, TypeOverride
from exceptions.registry import RetryResult
from exceptions.services import (
    Condition,
    ticket_acknowledge,
    ticket_raise,
    ticket_resolve,
    ticket_snooze,
    tickets_raise_many,
)

pytestmark = pytest.mark.django_db
QUEUE = reverse("exceptions:index")


def action_url(ticket, action):
    return reverse("exceptions:ticket_action", args=[ticket.pk, action])


@pytest.fixture
def sku_ticket():
    return ticket_raise(type_code="stock_push_rejected", source="stock", sku="S-1")


@pytest.fixture
def order_ticket():
    return ticket_raise(type_code="orphaned_order", source="orders", order_number="1001")


def test_the_queue_lands_on_the_users_team(client_for):
    response = client_for("operations").get(QUEUE)
    assert response.status_code == 302
    assert response["Location"] == f"{QUEUE}?team=operations"


def test_the_queue_filters_by_team_status_type_and_search(client_for, sku_ticket, order_ticket):
    client = client_for("operations")
    mine = client.get(QUEUE, {"team": "operations"})
    assert list(mine.context["table"].data) == [order_ticket]
    everyone = client.get(QUEUE, {"team": ""})
    assert {t.pk for t in everyone.context["table"].data} == {sku_ticket.pk, order_ticket.pk}
    by_type = client.get(QUEUE, {"team": "", "type": "stock_push_rejected"})
    assert list(by_type.context["table"].data) == [sku_ticket]
    search = client.get(QUEUE, {"team": "", "q": "100"})
    assert list(search.context["table"].data) == [order_ticket]
    closed = client.get(QUEUE, {"team": "", "status": "closed"})
    assert list(closed.context["table"].data) == []


@pytest.fixture
def overdue_ticket():
    """An orphaned order raised two days ago: past its SLA and older than a day."""
    with time_machine.travel(timezone.now() - timedelta(days=2)):
        return ticket_raise(type_code="orphaned_order", source="orders", order_number="900")


def test_the_queue_filters_sla_breaches_and_age(client_for, sku_ticket, overdue_ticket):
    client = client_for("admin")
    breached = client.get(QUEUE, {"team": "", "sla": "breached"})
    assert list(breached.context["table"].data) == [overdue_ticket]
    assert b"past SLA" in breached.content
    old = client.get(QUEUE, {"team": "", "age": "1d"})
    assert list(old.context["table"].data) == [overdue_ticket]


def test_the_past_sla_filter_lists_the_breached_tickets_of_every_status_choice(
    client_for, personas, sku_ticket
):
    def overdue(number, days):
        with time_machine.travel(timezone.now() - timedelta(days=days)):
            return ticket_raise(type_code="orphaned_order", source="orders", order_number=number)

    open_late = overdue("901", 2)
    acknowledged_late = overdue("902", 3)
    ticket_acknowledge(ticket=acknowledged_late, actor=personas["operations"])
    snoozed_late = overdue("903", 4)
    ticket_snooze(
        ticket=snoozed_late, actor=personas["operations"], until=timezone.now() + timedelta(1)
    )
    ticket_resolve(ticket=overdue("904", 5), actor=personas["operations"], note="done")
    client = client_for("admin")
    expected = {
        "": {open_late, acknowledged_late},
        "open": {open_late},
        "acknowledged": {acknowledged_late},
        "snoozed": {snoozed_late},
        "closed": set(),
        "any": {open_late, acknowledged_late, snoozed_late},
    }
    for status, tickets in expected.items():
        response = client.get(QUEUE, {"team": "", "sla": "breached", "status": status})
        assert set(response.context["table"].data) == tickets, status


def test_acknowledging_moves_the_deadline_to_resolution(client_for, personas):
    with time_machine.travel(timezone.now() - timedelta(hours=2)):
        ticket = ticket_raise(type_code="orphaned_order", source="orders", order_number="900")
    assert ticket.is_sla_breached  # not acknowledged within an hour
    ticket_acknowledge(ticket=ticket, actor=personas["operations"])
    assert not ticket.is_sla_breached  # 8 hours to resolve
    ticket_snooze(
        ticket=ticket, actor=personas["operations"], until=timezone.now() + timedelta(days=1)
    )
    assert ticket.sla_due_at == ticket.resolve_due_at
    ticket_resolve(ticket=ticket, actor=personas["operations"], note="done")
    assert ticket.sla_due_at is None


def test_the_queue_renders_only_the_table_for_htmx(client_for, order_ticket):
    response = client_for("operations").get(
        QUEUE, {"team": "operations"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="queue"
    )
    assert response.templates[0].name == "exceptions/_queue.html"
    assert b'id="queue"' in response.content
    assert b"<html" not in response.content


def test_the_queue_query_count_does_not_grow_with_rows(client_for, personas):
    client = client_for("operations")
    tickets_raise_many(
        [Condition(type_code="orphaned_order", order_number=str(n)) for n in range(5)],
        source="orders",
    )
    Ticket.objects.update(assignee=personas["operations"])
    with CaptureQueriesContext(connection) as few:
        assert client.get(QUEUE, {"team": "operations"}).status_code == 200
    tickets_raise_many(
        [Condition(type_code="orphaned_order", order_number=str(n)) for n in range(5, 45)],
        source="orders",
    )
    Ticket.objects.update(assignee=personas["operations"])
    with CaptureQueriesContext(connection) as many:
        response = client.get(QUEUE, {"team": "operations"})
    assert len(response.context["table"].page.object_list) == 45
    assert len(many) == len(few)


def test_queue_pages_are_ordered_down_to_the_pk(client_for):
    tickets_raise_many(
        [Condition(type_code="orphaned_order", order_number=str(n)) for n in range(60)],
        source="orders",
    )  # one run: every ticket has the same last_seen
    client = client_for("operations")
    first = client.get(QUEUE, {"team": "operations"}).context["table"].page.object_list
    second = client.get(QUEUE, {"team": "operations", "page": 2}).context["table"].page.object_list
    ids = [row.record.pk for row in first] + [row.record.pk for row in second]
    assert ids == sorted(Ticket.objects.values_list("pk", flat=True), reverse=True)


def test_the_queue_counts_its_pages_from_the_counts_by_type(client_for):
    conditions = [Condition(type_code="orphaned_order", order_number=str(n)) for n in range(40)]
    conditions += [Condition(type_code="stock_drift", sku=f"S-{n}") for n in range(30)]
    tickets_raise_many(conditions, source="engines")
    client = client_for("operations")
    for query, matching in (
        ({"team": "operations"}, 70),
        ({"team": "operations", "type": "stock_drift"}, 30),
        ({"team": "operations", "q": "S-1"}, 11),
        ({"team": "operations", "status": "closed"}, 0),
    ):
        table = client.get(QUEUE, query).context["table"]
        assert table.paginator.count == matching, query
        assert table.paginator.num_pages == max(1, -(-matching // 50)), query
    last = client.get(QUEUE, {"team": "operations", "page": 2}).context["table"]
    assert len(last.page.object_list) == 20


def test_the_ticket_page_shows_history_context_and_related(client_for, sku_ticket):
    other = ticket_raise(type_code="stock_drift", source="stock", sku="S-1", warehouse="W1")
    response = client_for("finance").get(reverse("exceptions:ticket", args=[sku_ticket.pk]))
    assert response.status_code == 200
    assert response.context["related"][0] == other
    assert [e.kind for e in response.context["history"]] == ["raised"]
    assert response.context["can_act"] is False
    assert b"you can read it but not act on it" in response.content


def test_the_ticket_page_query_count_is_fixed(client_for, sku_ticket, personas):
    client = client_for("ecommerce")
    url = reverse("exceptions:ticket", args=[sku_ticket.pk])
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(10):
        client.post(
            action_url(sku_ticket, "comment"), {"comment-key": f"k{n}", "comment-note": "x"}
        )
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


def test_assign_comment_resolve_redirect_back_and_write_history(client_for, order_ticket, personas):
    client = client_for("operations")
    page = reverse("exceptions:ticket", args=[order_ticket.pk])
    response = client.post(
        action_url(order_ticket, "assign"),
        {"assign-key": "a1", "assign-assignee": personas["operations"].pk},
    )
    assert (response.status_code, response["Location"]) == (302, page)
    client.post(
        action_url(order_ticket, "comment"), {"comment-key": "c1", "comment-note": "Looking"}
    )
    client.post(action_url(order_ticket, "resolve"), {"resolve-key": "r1", "resolve-note": "Fixed"})
    order_ticket.refresh_from_db()
    assert (order_ticket.status, order_ticket.assignee) == ("resolved", personas["operations"])
    events = list(order_ticket.events.values_list("kind", "actor__username", "note"))
    assert events == [
        ("raised", None, ""),
        ("assigned", "operations-persona", ""),
        ("commented", "operations-persona", "Looking"),
        ("resolved", "operations-persona", "Fixed"),
    ]


def test_a_double_submit_acts_once(client_for, order_ticket):
    client = client_for("operations")
    for _ in range(2):
        client.post(
            action_url(order_ticket, "comment"), {"comment-key": "same", "comment-note": "Hi"}
        )
    assert order_ticket.events.filter(kind="commented").count() == 1


def test_an_invalid_form_changes_nothing(client_for, order_ticket):
    client = client_for("operations")
    response = client.post(
        action_url(order_ticket, "resolve"), {"resolve-key": "r", "resolve-note": ""}
    )
    assert response.status_code == 302
    order_ticket.refresh_from_db()
    assert order_ticket.status == "open"
    assert order_ticket.events.count() == 1


def test_an_htmx_action_returns_the_ticket_body(client_for, order_ticket):
    response = client_for("operations").post(
        action_url(order_ticket, "acknowledge"), {"acknowledge-key": "k"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert response.templates[0].name == "exceptions/_ticket_body.html"
    assert b"Acknowledged." in response.content
    order_ticket.refresh_from_db()
    assert order_ticket.status == "acknowledged"


def test_actions_are_post_only(client_for, order_ticket):
    response = client_for("operations").get(action_url(order_ticket, "acknowledge"))
    assert response.status_code == 405


def test_retry_from_the_ticket_page(client_for, sku_ticket, retry_outcomes):
    script, seen = retry_outcomes
    script.append(RetryResult(ok=True, message="pushed 7"))
    client_for("ecommerce").post(action_url(sku_ticket, "retry"), {"retry-key": "k"})
    sku_ticket.refresh_from_db()
    assert (sku_ticket.status, seen) == ("resolved", ["S-1"])


def test_a_failed_retry_is_shown_as_an_error_not_a_success(client_for, sku_ticket, retry_outcomes):
    script, _seen = retry_outcomes
    script.append(RetryResult(ok=False, message="Centra rejected S-1 again"))
    page = client_for("ecommerce").post(
        action_url(sku_ticket, "retry"), {"retry-key": "k"}, HTTP_HX_REQUEST="true"
    )
    html = page.content.decode()
    assert '<li class="message error">Retry failed: Centra rejected S-1 again</li>' in html
    assert "message success" not in html
    sku_ticket.refresh_from_db()
    assert sku_ticket.status == "open"


def test_a_type_without_retry_says_so(client_for):
    overdue = ticket_raise(type_code="return_overdue", source="returns", return_id="R-1")
    client = client_for("fulfilment")
    page = client.get(reverse("exceptions:ticket", args=[overdue.pk]))
    assert b'id="no-retry"' in page.content
    client.post(action_url(overdue, "retry"), {"retry-key": "k"})
    assert overdue.events.count() == 1


def test_bulk_acknowledge_acts_only_on_the_users_tickets(client_for, sku_ticket, order_ticket):
    client = client_for("operations")
    response = client.post(
        reverse("exceptions:bulk"),
        {
            "key": "b1",
            "action": "acknowledge",
            "tickets": [sku_ticket.pk, order_ticket.pk],
            "hours": 24,
            "next": f"{QUEUE}?team=operations",
        },
    )
    assert response["Location"] == f"{QUEUE}?team=operations"
    sku_ticket.refresh_from_db()
    order_ticket.refresh_from_db()
    assert (sku_ticket.status, order_ticket.status) == ("open", "acknowledged")
    page = client.get(response["Location"])
    assert (
        '<li class="message warning">Acknowledge: 1 of 2 tickets. '
        "1 not yours to act on (another team&#x27;s).</li>"
    ) in page.content.decode()


def test_bulk_snooze_and_assign(client_for, sku_ticket, order_ticket, personas):
    client = client_for("admin")
    ids = [sku_ticket.pk, order_ticket.pk]
    client.post(
        reverse("exceptions:bulk"), {"key": "s", "action": "snooze", "tickets": ids, "hours": 4}
    )
    client.post(
        reverse("exceptions:bulk"),
        {
            "key": "a",
            "action": "assign",
            "tickets": ids,
            "hours": 24,
            "assignee": personas["admin"].pk,
        },
    )
    assert set(Ticket.objects.values_list("status", "assignee")) == {
        ("snoozed", personas["admin"].pk)
    }


def test_bulk_redirect_refuses_foreign_hosts(client_for, order_ticket):
    response = client_for("admin").post(
        reverse("exceptions:bulk"),
        {
            "key": "x",
            "action": "acknowledge",
            "tickets": [order_ticket.pk],
            "hours": 24,
            "next": "https://evil.example/",
        },
    )
    assert response["Location"] == QUEUE


def test_counts_and_trend(client_for, sku_ticket, order_ticket):
    response = client_for("finance").get(reverse("exceptions:stats"))
    assert response.status_code == 200
    assert response.context["total"] == 2
    assert response.context["trend"]["opened"][-1] == 2
    assert len(response.context["trend"]["labels"]) == 30


def test_csv_export_follows_the_filters(client_for, sku_ticket, order_ticket):
    response = client_for("finance").get(reverse("exceptions:export"), {"team": "operations"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(row["id"], row["order"], row["team"]) for row in rows] == [
        (str(order_ticket.pk), "1001", "operations")
    ]


def test_history_is_not_written_by_a_denied_view(client_for, sku_ticket):
    before = TicketEvent.objects.count()
    client_for("operations").post(
        action_url(sku_ticket, "comment"), {"comment-key": "k", "comment-note": "x"}
    )
    assert TicketEvent.objects.count() == before


def test_the_types_page_shows_overrides_and_routes(client_for):
    TypeOverride.objects.create(type="stream_late", team="operations")
    TeamRoute.objects.create(
        team="operations", email="ops@example.com", webhook_url="https://h.example/x"
    )
    response = client_for("finance").get(reverse("exceptions:types"))
    row = next(r for r in response.context["rows"] if r["type"].code == "stream_late")
    # a late stream retries by running the stream (syncs/retries.py); a type with no action
    # shows none
    assert (row["type"].team, row["overridden"], row["retry"]) == ("operations", True, True)
    assert (row["acknowledge_within"], row["resolve_within"]) == ("30 minutes", "4 hours")
    overdue = next(r for r in response.context["rows"] if r["type"].code == "return_overdue")
    assert overdue["retry"] is False
    sku = next(r for r in response.context["rows"] if r["type"].code == "sku_missing_in_centra")
    assert (sku["team_name"], sku["resolve_within"]) == ("E-commerce", "2 days")
    assert b"ops@example.com + webhook" in response.content
    assert b"https://h.example/x" not in response.content


def test_the_queue_shows_the_teams_sla_breaches_at_a_glance(client_for, overdue_ticket):
    response = client_for("operations").get(QUEUE, {"team": "operations"})
    assert response.context["breaches"] == [
        {"code": "operations", "name": "Operations", "count": 1}
    ]
    assert b"Operations: 1 past SLA" in response.content


def test_the_trend_can_be_narrowed_to_one_team(client_for, sku_ticket, order_ticket):
    response = client_for("finance").get(reverse("exceptions:stats"), {"team": "ecommerce"})
    assert (response.context["trend_team"], response.context["trend"]["opened"][-1]) == (
        "ecommerce",
        1,
    )
    unknown = client_for("finance").get(reverse("exceptions:stats"), {"team": "nope"})
    assert unknown.context["trend"]["opened"][-1] == 2


def test_the_export_link_follows_the_filters_after_an_htmx_swap(client_for, order_ticket):
    response = client_for("operations").get(
        QUEUE,
        {"team": "operations", "type": "orphaned_order"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="queue",
    )
    assert b'/exceptions/export.csv?team=operations&amp;type=orphaned_order"' in response.content


def test_the_assign_form_starts_at_the_current_assignee(client_for, personas, order_ticket):
    Ticket.objects.filter(pk=order_ticket.pk).update(assignee=personas["operations"])
    page = client_for("operations").get(reverse("exceptions:ticket", args=[order_ticket.pk]))
    form = page.context["forms"]["assign"]
    assert form["assignee"].value() == personas["operations"].pk
    assert f'<option value="{personas["operations"].pk}" selected>' in page.content.decode()


def test_the_ticket_links_to_what_it_is_about(client_for):
    held = ticket_raise(
        type_code="push_held",
        source="stock",
        stream="stock",
        context={"push": 5, "sync_run": 41},
        summary="held",
    )
    html = client_for("operations").get(reverse("exceptions:ticket", args=[held.pk])).content
    assert (
        '<dd id="ticket-subject"><a href="/syncs/stock/pushes/5/">Stock push 5</a> · '
        '<a href="/syncs/runs/stock/">Stock runs (run 41)</a></dd>'
    ) in html.decode()
    stock_in = ticket_raise(
        type_code="stock_in_failed", source="returns", sku="P-1", order_number="6", return_id="1"
    )
    html = client_for("fulfilment").get(reverse("exceptions:ticket", args=[stock_in.pk])).content
    assert (
        '<dd id="ticket-subject"><a href="/syncs/stock/sku/P-1/">SKU P-1</a> · '
        '<a href="/syncs/orders/6/">Order 6</a> · <a href="/returns/1/">Return 1</a></dd>'
    ) in html.decode()


def test_triage_basics_search_anywhere_snoozed_apart_and_severity_by_rank(client_for, personas):
    parked = ticket_raise(
        type_code="sku_missing_in_ip",
        source="orders",
        sku="P00377-RED-03",
        summary="Order 12: line 2 is parked",
    )
    held = ticket_raise(type_code="push_held", source="stock", stream="stock", summary="held")
    drift = ticket_raise(type_code="stock_drift", source="stock", sku="A-1")
    client = client_for("admin")

    def shown(**query):
        return [t.pk for t in client.get(QUEUE, {"team": "", **query}).context["table"].data]

    assert shown(q="RED-03") == [parked.pk]  # inside the SKU
    assert shown(q="order 12") == [parked.pk]  # in the summary, any case
    assert shown(q="P00377") == [parked.pk]
    ticket_snooze(ticket=drift, actor=personas["admin"], until=timezone.now() + timedelta(hours=1))
    assert drift.pk not in shown()
    assert shown(status="snoozed") == [drift.pk]
    ranks = shown(sort="severity", status="any")
    assert ranks[0] == held.pk  # critical before warning, whatever the spelling sorts to


def test_assign_to_me_is_one_click(client_for, order_ticket):
    client = client_for("operations")
    page = client.get(reverse("exceptions:ticket", args=[order_ticket.pk])).content.decode()
    assert "Assign to me</button>" in page
    me = client.session["_auth_user_id"]
    client.post(action_url(order_ticket, "assign"), {"assign-key": "me", "assign-assignee": me})
    order_ticket.refresh_from_db()
    assert str(order_ticket.assignee_id) == me
    page = client.get(reverse("exceptions:ticket", args=[order_ticket.pk])).content.decode()
    assert "Assign to me</button>" not in page


def test_select_all_matching_acts_on_every_page_of_the_filtered_queue(client_for, settings):
    tickets = [
        ticket_raise(type_code="orphaned_order", source="orders", order_number=str(5000 + n))
        for n in range(55)  # more than one page of 50
    ]
    other = ticket_raise(type_code="stock_push_rejected", source="stock", sku="S-9")
    client = client_for("admin")
    page = client.get(QUEUE, {"team": "", "type": "orphaned_order"}).content.decode()
    assert "all 55 matching, on every page" in page
    response = client.post(
        reverse("exceptions:bulk"),
        {
            "key": "all",
            "action": "acknowledge",
            "all_matching": "on",
            "query": "team=&type=orphaned_order",
            "hours": 24,
        },
        follow=True,
    )
    assert "Acknowledge: 55 of 55 tickets." in response.content.decode()
    assert (
        Ticket.objects.filter(pk__in=[t.pk for t in tickets], status="acknowledged").count() == 55
    )
    other.refresh_from_db()
    assert other.status == "open"  # not matching the filters: untouched


def test_an_empty_team_queue_says_what_is_active_elsewhere(client_for, sku_ticket):
    html = client_for("operations").get(QUEUE, {"team": "operations"}).content.decode()
    assert (
        '<p class="empty-state" id="queue-empty">Nothing here needs you now. '
        '<a href="?team=">1 active ticket in other teams</a>.</p>'
    ) in html


def test_one_outage_shows_as_one_incident_with_each_teams_part(client_for):
    api = ticket_raise(
        type_code="api_unavailable", source="stock run 3", stream="stock", summary="IP 503"
    )
    held = ticket_raise(type_code="push_held", source="stock", stream="stock", summary="held")
    stock_in = ticket_raise(type_code="stock_in_failed", source="returns", return_id="1")
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        later = ticket_raise(type_code="api_timeout", source="orders run 9", stream="orders")
    unrelated = ticket_raise(type_code="stock_drift", source="stock", sku="A-1")
    page = client_for("operations").get(reverse("exceptions:ticket", args=[held.pk]))
    assert [t.pk for t in page.context["incident"]] == [api.pk, stock_in.pk]
    html = page.content.decode()
    assert (
        f'Likely cause: <a href="/exceptions/{api.pk}/">#{api.pk} API unavailable: stream stock'
        "</a> (Admin)"
    ) in html
    assert f"#{stock_in.pk} Stock-in failed / not confirmed: return 1</a> · Fulfilment" in html
    assert later.pk not in [t.pk for t in page.context["incident"]]
    assert unrelated.pk not in [t.pk for t in page.context["incident"]]
    api_page = client_for("admin").get(reverse("exceptions:ticket", args=[api.pk]))
    assert api_page.context["cause"] is None


def test_the_queue_groups_by_type_and_a_group_narrows_it(client_for):
    for n in range(3):
        ticket_raise(type_code="stock_drift", source="stock", sku=f"D-{n}")
    ticket_raise(type_code="orphaned_order", source="orders", order_number="77")
    client = client_for("admin")
    html = client.get(QUEUE, {"team": ""}).content.decode()
    assert (
        '<p class="by-type" id="by-type">By type: '
        '<a class="badge" href="?team=&amp;status=active&amp;type=stock_drift">'
        "Stock drift / oversell risk (3)</a>"
    ) in html
    narrowed = client.get(QUEUE, {"team": "", "type": "stock_drift"})
    assert narrowed.context["by_type"] == []
    assert len(narrowed.context["table"].data) == 3


def test_a_push_held_ticket_says_which_pushes_are_still_held_next_to_resolve(client_for):
    """Review problem 1: resolving the ticket left push 5 held with no pointer to it."""
    from syncs.models import StockPush

    held_push = StockPush.objects.create(status=StockPush.Status.HELD, reasons=["many zeros"])
    StockPush.objects.create(status=StockPush.Status.DISCARDED)
    ticket = ticket_raise(type_code="push_held", source="stock", stream="stock", summary="held")
    html = client_for("operations").get(reverse("exceptions:ticket", args=[ticket.pk]))
    page = html.content.decode()
    assert page.count("is still held by the guard") == 1
    assert (
        f'<a href="/syncs/stock/pushes/{held_push.pk}/">Open push {held_push.pk} to discard it</a>'
        in page
    )
    StockPush.objects.filter(pk=held_push.pk).update(status=StockPush.Status.DISCARDED)
    html = client_for("operations").get(reverse("exceptions:ticket", args=[ticket.pk]))
    assert "is still held by the guard" not in html.content.decode()

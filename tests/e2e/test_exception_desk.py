"""The exception desk in the browser: an operations user narrows the queue down to one ticket,
assigns it, comments and resolves it (each action swaps the ticket body in place through
htmx), and a finance user can read that ticket but not act on it."""

import pytest
from playwright.sync_api import expect

from exceptions.models import Ticket, TicketEvent
from exceptions.services import ticket_acknowledge, ticket_raise
from tests.factories import UserFactory

pytestmark = pytest.mark.e2e


@pytest.fixture
def tickets(transactional_db):
    """Five active tickets; only ``orphan`` survives every filter the test applies.

    The finance ticket is about the same order as ``orphan``, so only the team filter can
    hide it; ``drift`` is operations' too, hidden by the type; ``acknowledged`` matches the
    search too, hidden by the status; ``other_orphan`` by the search.
    """
    acknowledged = ticket_raise(
        type_code="orphaned_order",
        source="orders engine",
        order_number="CE-10099",
        summary="Not in the ledger.",
    )
    ticket_acknowledge(ticket=acknowledged, actor=None)
    return {
        "acknowledged": acknowledged,
        "orphan": ticket_raise(
            type_code="orphaned_order",
            source="orders engine",
            order_number="CE-10042",
            summary="Not in the ledger 3 hours after it was placed.",
            context={"order": "CE-10042", "placed_at": "2026-11-26T09:00:00Z"},
        ),
        "other_orphan": ticket_raise(
            type_code="orphaned_order",
            source="orders engine",
            order_number="CE-20077",
            summary="IP has not taken it within its SLA.",
        ),
        "drift": ticket_raise(
            type_code="stock_drift",
            source="stock engine",
            sku="CE-10042-RED-M",
            summary="Centra shows 7, ATS is 2.",
        ),
        "finance": ticket_raise(
            type_code="reconciliation_mismatch",
            source="reconciliation",
            order_number="CE-10042",
            summary="Revenue differs by 49.00.",
        ),
    }


def queue_rows(page):
    return page.locator("#queue-table tbody tr")


def filter_by(page, action):
    """Change the queue filter and wait for htmx's answer, so the next step starts from it."""
    with page.expect_response(lambda response: "/exceptions/?" in response.url):
        action()


def test_operations_filters_the_queue_then_assigns_comments_and_resolves_a_ticket(
    page, login, tickets
):
    orphan, other_orphan, drift, finance, acknowledged = (
        tickets[name] for name in ("orphan", "other_orphan", "drift", "finance", "acknowledged")
    )
    colleague = UserFactory(username="olga", team="operations")
    user = login("operations", username="oscar")

    page.goto("/exceptions/?team=")
    expect(queue_rows(page)).to_have_count(5)

    filter_by(page, lambda: page.locator("#id_team").select_option("operations"))
    expect(queue_rows(page)).to_have_count(4)
    expect(page.locator(f"#ticket-{finance.pk}")).to_have_count(0)
    for ticket in (orphan, other_orphan, drift, acknowledged):
        expect(page.locator(f"#ticket-{ticket.pk}")).to_contain_text("Operations")

    filter_by(page, lambda: page.locator("#id_type").select_option("orphaned_order"))
    expect(queue_rows(page)).to_have_count(3)
    expect(page.locator(f"#ticket-{drift.pk}")).to_have_count(0)

    filter_by(page, lambda: page.locator("#id_status").select_option("open"))
    expect(queue_rows(page)).to_have_count(2)
    expect(page.locator(f"#ticket-{acknowledged.pk}")).to_have_count(0)

    page.get_by_label("Search").fill("CE-100")
    filter_by(page, lambda: page.locator("#queue-filter-submit").click())
    expect(queue_rows(page)).to_have_count(1)
    row = page.locator(f"#ticket-{orphan.pk}")
    expect(row).to_contain_text("Orphaned order: order CE-10042")
    expect(row).to_contain_text("Open")
    # htmx pushed the filtered queue's address: it can be shared as it is.
    assert page.url.endswith(
        "/exceptions/?q=CE-100&team=operations&type=orphaned_order&status=open&severity=&age=&sla="
    )

    row.get_by_role("link", name="Orphaned order: order CE-10042").click()
    page.wait_for_url(f"**/exceptions/{orphan.pk}/")
    expect(page.locator("#ticket-status")).to_have_text("Open")
    expect(page.locator("#ticket-team")).to_have_text("Operations")
    expect(page.locator("#ticket-assignee")).to_have_text("nobody")
    expect(page.locator("#ticket-history li")).to_have_count(1)
    expect(page.locator("#ticket-history")).to_contain_text("Raised by orders engine")
    # The finance ticket about the same order is listed as related.
    expect(page.locator("#related-tickets")).to_contain_text(f"#{finance.pk} Reconciliation")

    assign = page.locator("#assign-form")
    assign.get_by_label("Assign to").select_option(label="olga")
    assign.get_by_role("button", name="Assign").click()
    expect(page.locator(".message.success")).to_have_text("Assigned.")
    expect(page.locator("#ticket-assignee")).to_have_text("olga")
    expect(page.locator("#ticket-status")).to_have_text("Open")
    expect(page.locator("#ticket-history li")).to_have_count(2)
    expect(page.locator("#ticket-history li").last).to_contain_text("Assigned by oscar to olga")

    comment = page.locator("#comment-form")
    comment.get_by_label("Comment").fill("Centra shows it paid; asking IP why the feed skipped it.")
    comment.get_by_role("button", name="Comment").click()
    expect(page.locator(".message.success")).to_have_text("Comment added.")
    expect(page.locator("#ticket-history li")).to_have_count(3)
    last = page.locator("#ticket-history li").last
    expect(last).to_contain_text("Commented by oscar")
    expect(last).to_contain_text("asking IP why the feed skipped it.")

    resolve = page.locator("#resolve-form")
    resolve.get_by_label("Resolution note").fill("Published again by hand; IP has it now.")
    resolve.get_by_role("button", name="Resolve").click()
    expect(page.locator(".message.success")).to_have_text("Resolved.")
    expect(page.locator("#ticket-status")).to_have_text("Resolved")
    expect(page.locator("#ticket-assignee")).to_have_text("olga")
    expect(page.locator("#ticket-history li")).to_have_count(4)
    last = page.locator("#ticket-history li").last
    expect(last).to_contain_text("Resolved by oscar")
    expect(last).to_contain_text("Published again by hand; IP has it now.")
    # A closed ticket offers no more triage: only a comment can still be added.
    for form in ("#assign-form", "#resolve-form", "#snooze-form", "#acknowledge-form"):
        expect(page.locator(form)).to_have_count(0)
    expect(page.locator("#comment-form")).to_be_visible()

    page.goto("/exceptions/?team=operations")
    expect(queue_rows(page)).to_have_count(3)
    expect(page.locator(f"#ticket-{orphan.pk}")).to_have_count(0)

    orphan.refresh_from_db()
    assert orphan.status == Ticket.Status.RESOLVED
    assert orphan.assignee == colleague
    assert orphan.resolved_at is not None
    assert orphan.sla_due_at is None
    assert list(
        orphan.events.order_by("at", "pk").values_list("kind", "actor__username", "note", "data")
    ) == [
        (
            TicketEvent.Kind.RAISED,
            None,
            "Not in the ledger 3 hours after it was placed.",
            {"occurrences": 1},
        ),
        (TicketEvent.Kind.ASSIGNED, user.username, "", {"assignee": "olga", "previous": None}),
        (
            TicketEvent.Kind.COMMENTED,
            user.username,
            "Centra shows it paid; asking IP why the feed skipped it.",
            {},
        ),
        (TicketEvent.Kind.RESOLVED, user.username, "Published again by hand; IP has it now.", {}),
    ]
    # Nothing else was touched.
    acknowledged.refresh_from_db()
    assert acknowledged.status == Ticket.Status.ACKNOWLEDGED
    for ticket in (other_orphan, drift, finance):
        ticket.refresh_from_db()
        assert (ticket.status, ticket.assignee_id) == (Ticket.Status.OPEN, None)
        assert list(ticket.events.values_list("kind", flat=True)) == [TicketEvent.Kind.RAISED]


def test_finance_reads_an_operations_ticket_but_cannot_act_on_it(page, login, tickets):
    orphan = tickets["orphan"]
    login("finance", username="fiona")

    page.goto(f"/exceptions/{orphan.pk}/")
    expect(page.locator("#ticket-status")).to_have_text("Open")
    expect(page.locator("#ticket-team")).to_have_text("Operations")
    expect(page.locator("#ticket-history")).to_contain_text("Raised by orders engine")
    expect(page.locator("#ticket-actions")).to_contain_text(
        "This ticket belongs to Operations; you can read it but not act on it."
    )
    for form in ("#acknowledge-form", "#assign-form", "#comment-form", "#resolve-form"):
        expect(page.locator(form)).to_have_count(0)

    # Posting anyway, with the session and a valid CSRF token, is refused.
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    response = page.request.post(
        f"/exceptions/{orphan.pk}/resolve/",
        form={"resolve-key": "finance-try", "resolve-note": "Not mine to resolve."},
        headers={"X-CSRFToken": csrf, "Referer": page.url},
    )
    assert response.status == 403

    orphan.refresh_from_db()
    assert (orphan.status, orphan.resolved_at) == (Ticket.Status.OPEN, None)
    assert list(orphan.events.values_list("kind", flat=True)) == [TicketEvent.Kind.RAISED]

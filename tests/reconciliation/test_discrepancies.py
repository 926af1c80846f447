"""Discrepancies beyond tolerance become finance tickets with the numbers and the orders
behind them; they clear themselves when the sides agree; explaining one is audited."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from exceptions.models import Ticket, TicketEvent
from reconciliation.discrepancies import ExplainError, discrepancy_explain
from reconciliation.models import Discrepancy, DiscrepancyEvent, ReconciliationSettings
from reconciliation.services import reconciliation_compute
from syncs.models import FeedDelivery
from tests.reconciliation.conftest import at


def compute():
    return reconciliation_compute(start_day=date(2026, 3, 1), end_day=date(2026, 3, 31))


def tickets():
    return list(
        Ticket.objects.filter(type="reconciliation_mismatch").values_list(
            "order_number", "status", "team"
        )
    )


def test_an_order_ip_has_not_taken_is_a_finance_ticket_with_its_numbers(ledger):
    ledger.order(
        11,
        at("2026-03-12 10:00"),
        ledger.line("a", qty=2, price="10.00"),
        ledger.line("c", qty=1, price="7.00"),
        currency="SEK",
    )
    outcome = compute()
    assert (outcome.raised, outcome.cleared) == (1, 0)
    d = Discrepancy.objects.get()
    assert (d.order_number, d.day, d.kinds, d.status) == (
        "11",
        date(2026, 3, 12),
        "untaken",
        "open",
    )
    assert (d.c_units, d.h_units, d.c_value, d.h_value) == (3, 0, Decimal("27.00"), Decimal("0"))
    assert d.value_diff_base == Decimal("2.43")  # 27 SEK x 0.09
    assert d.skus == ["SKU-A", "SKU-C"]
    ticket = Ticket.objects.get(type="reconciliation_mismatch")
    assert (ticket.order_number, ticket.team, ticket.status) == ("11", "finance", "open")
    assert ticket.context == {
        "day": "2026-03-12",
        "currency": "SEK",
        "kinds": ["untaken"],
        "skus": ["SKU-A", "SKU-C"],
        "centra": {"units": 3, "units_returned": 0, "net_value": "27.00"},
        "hub_ip": {"units_taken": 0, "units_returned_taken": 0, "net_value_taken": "0.00"},
        "value_diff_base": "2.43",
    }
    assert list(d.events.values_list("kind", "actor_name")) == [("raised", "reconciliation")]


def test_a_discrepancy_found_again_unchanged_is_only_seen_again(ledger):
    ledger.order(11, at("2026-03-12 10:00"), ledger.line("a", qty=2, price="10.00"))
    ledger.order(12, at("2026-03-13 10:00"), ledger.line("b", qty=1, price="5.00"))
    compute()
    before = {d.order_number: d for d in Discrepancy.objects.all()}
    later = timezone.now() + timedelta(minutes=5)
    outcome = reconciliation_compute(
        start_day=date(2026, 3, 1), end_day=date(2026, 3, 31), now=later
    )
    assert (outcome.raised, outcome.cleared) == (2, 0)  # both still there, none new
    after = {d.order_number: d for d in Discrepancy.objects.all()}
    assert set(after) == {"11", "12"}
    for number, discrepancy in after.items():
        assert discrepancy.pk == before[number].pk
        assert discrepancy.status == "open"
        assert discrepancy.first_seen_at == before[number].first_seen_at
        assert discrepancy.last_seen_at == later
        assert (discrepancy.c_units, discrepancy.skus) == (
            before[number].c_units,
            before[number].skus,
        )
    assert list(DiscrepancyEvent.objects.values_list("kind", flat=True)) == ["raised", "raised"]
    assert sorted(tickets()) == [("11", "open", "finance"), ("12", "open", "finance")]


def test_unmapped_lines_are_unpublished_and_clear_when_ip_takes_them(ledger):
    ledger.order(12, at("2026-03-12 10:00"), ledger.line("zz", qty=1, price="9.00"))
    ledger.ip_takes_everything()
    compute()
    assert Discrepancy.objects.get().kinds == "unpublished"
    # The line was mapped and published meanwhile (the feed now has it, and IP took it).
    from syncs.models import OrderLine, SalesFeedRow

    line = OrderLine.objects.get()
    SalesFeedRow.objects.create(
        source="order_line",
        source_ref=str(line.centra_line_id),
        order=line.order,
        order_number="12",
        sku="SKU-ZZ",
        date=line.order.order_date,
        quantity=1,
        price=Decimal("9.00"),
        currency="EUR",
        changed_at=timezone.now() - timedelta(minutes=1),
    )
    outcome = compute()
    assert (outcome.raised, outcome.cleared) == (0, 1)
    assert Discrepancy.objects.get().status == "cleared"
    assert tickets() == [("12", "auto_resolved", "finance")]
    assert list(Discrepancy.objects.get().events.values_list("kind", flat=True)) == [
        "raised",
        "cleared",
    ]


def test_orders_within_the_grace_period_are_pending_not_raised(ledger):
    now = timezone.now()
    ledger.order(13, now - timedelta(hours=2), ledger.line("a", qty=1, price="10.00"))
    today = timezone.localdate(now, timezone=ledger_zone())
    outcome = reconciliation_compute(start_day=today - timedelta(days=1), end_day=today)
    assert outcome.raised == 0
    assert Discrepancy.objects.count() == 0
    assert tickets() == []


def ledger_zone():
    from zoneinfo import ZoneInfo

    return ZoneInfo("Europe/Stockholm")


def test_a_difference_within_tolerance_is_not_raised(ledger):
    ReconciliationSettings.objects.filter(pk=1).update(
        unit_tolerance=1, value_tolerance=Decimal("10.00")
    )
    ledger.order(14, at("2026-03-12 10:00"), ledger.line("zz", qty=1, price="9.00"))
    ledger.order(15, at("2026-03-12 11:00"), ledger.line("zz", qty=2, price="9.00"))
    ledger.ip_takes_everything()
    compute()
    assert list(Discrepancy.objects.values_list("order_number", flat=True)) == ["15"]


def test_a_currency_with_no_rate_compares_in_its_own_currency(ledger):
    ledger.order(16, at("2026-03-12 10:00"), ledger.line("zz", qty=1, price="9.00"), currency="USD")
    ledger.ip_takes_everything()
    compute()
    d = Discrepancy.objects.get()
    assert (d.value_diff_base, d.c_value) == (None, Decimal("9.00"))


@pytest.fixture
def explained(ledger, personas):
    ledger.order(17, at("2026-03-12 10:00"), ledger.line("zz", qty=1, price="9.00"))
    ledger.ip_takes_everything()
    compute()
    d = Discrepancy.objects.get()
    assert discrepancy_explain(
        discrepancy=d, actor=personas["finance"], note="Sample sent to a stylist, not sold."
    )
    return d


def test_explaining_is_audited_and_resolves_the_ticket(explained, personas):
    d = Discrepancy.objects.get(pk=explained.pk)
    assert (d.status, d.explained_by, d.explained_note) == (
        "explained",
        personas["finance"],
        "Sample sent to a stylist, not sold.",
    )
    event = d.events.get(kind="explained")
    assert (event.actor, event.note) == (personas["finance"], "Sample sent to a stylist, not sold.")
    ticket = Ticket.objects.get(type="reconciliation_mismatch")
    assert ticket.status == "resolved"
    assert ticket.events.filter(kind=TicketEvent.Kind.RESOLVED, actor=personas["finance"]).exists()


def test_explaining_twice_acts_once(explained, personas):
    assert not discrepancy_explain(discrepancy=explained, actor=personas["finance"], note="again")
    assert DiscrepancyEvent.objects.filter(kind="explained").count() == 1


def test_explaining_needs_a_note_and_changes_nothing_without_one(ledger, personas):
    ledger.order(18, at("2026-03-12 10:00"), ledger.line("zz", qty=1, price="9.00"))
    compute()
    d = Discrepancy.objects.get()
    with pytest.raises(ExplainError):
        discrepancy_explain(discrepancy=d, actor=personas["finance"], note="  ")
    assert Discrepancy.objects.get().status == "open"
    assert not DiscrepancyEvent.objects.filter(kind="explained").exists()
    assert tickets() == [("18", "open", "finance")]


def test_an_explained_discrepancy_stays_explained_while_its_numbers_stay(explained):
    outcome = compute()
    assert outcome.raised == 0
    assert Discrepancy.objects.get().status == "explained"
    assert tickets() == [("17", "resolved", "finance")]


def test_an_explained_discrepancy_reopens_when_its_numbers_change(explained, ledger):
    from syncs.models import OrderLine

    OrderLine.objects.update(quantity=3)  # Centra now says 3 units
    FeedDelivery.objects.all().delete()
    ledger.ip_takes_everything()
    outcome = compute()
    assert outcome.raised == 1
    d = Discrepancy.objects.get()
    assert (d.status, d.c_units) == ("open", 3)
    assert list(d.events.values_list("kind", flat=True)) == ["raised", "explained", "reopened"]
    ticket = Ticket.objects.get(type="reconciliation_mismatch")
    assert (ticket.status, ticket.regressions) == ("open", 1)

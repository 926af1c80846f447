"""Retry from the ticket: the type's action runs once, its outcome goes to history, and
success resolves the ticket."""

import pytest
from django.utils import timezone

from exceptions.models import Ticket
from exceptions.registry import RetryResult, retry_action
from exceptions.services import TicketActionError, ticket_raise, ticket_resolve, ticket_retry

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket():
    return ticket_raise(type_code="stock_push_rejected", source="stock", sku="S-1")


def test_success_records_the_outcome_and_resolves(ticket, personas, retry_outcomes):
    script, seen = retry_outcomes
    script.append(RetryResult(ok=True, message="Centra accepted 7", data={"quantity": 7}))
    result = ticket_retry(ticket=ticket, actor=personas["ecommerce"], key="k1")
    assert result == RetryResult(ok=True, message="Centra accepted 7", data={"quantity": 7})
    assert seen == ["S-1"]
    assert (ticket.status, ticket.retry_started_at) == ("resolved", None)
    assert list(ticket.events.values_list("kind", "note", "data")) == [
        ("raised", "", {"occurrences": 1}),
        ("retried", "Centra accepted 7", {"ok": True, "quantity": 7}),
        ("resolved", "Retry succeeded.", {}),
    ]


def test_failure_records_the_outcome_and_leaves_the_ticket_open(ticket, personas, retry_outcomes):
    retry_outcomes[0].append(RetryResult(ok=False, message="userErrors: stock negative"))
    result = ticket_retry(ticket=ticket, actor=personas["ecommerce"])
    assert result.ok is False
    assert (ticket.status, ticket.retry_started_at) == ("open", None)
    event = ticket.events.last()
    assert (event.kind, event.note, event.data) == (
        "retried",
        "userErrors: stock negative",
        {"ok": False},
    )


def test_an_action_that_raises_is_a_failed_retry_without_secrets(ticket, personas, retry_outcomes):
    retry_outcomes[0].append(RuntimeError("401 for Authorization: Bearer s3cr3t"))
    result = ticket_retry(ticket=ticket, actor=personas["ecommerce"])
    assert result == RetryResult(
        ok=False, message="RuntimeError: 401 for Authorization: Bearer [redacted]"
    )
    assert ticket.status == "open"
    assert "s3cr3t" not in ticket.events.last().note


def test_the_same_key_retries_once(ticket, personas, retry_outcomes):
    script, seen = retry_outcomes
    script += [RetryResult(ok=False, message="no"), RetryResult(ok=False, message="no")]
    ticket_retry(ticket=ticket, actor=personas["ecommerce"], key="same")
    assert ticket_retry(ticket=ticket, actor=personas["ecommerce"], key="same") is None
    assert seen == ["S-1"]


def test_a_running_retry_is_not_started_twice(ticket, personas, retry_outcomes):
    Ticket.objects.filter(pk=ticket.pk).update(retry_started_at=timezone.now())
    assert ticket_retry(ticket=ticket, actor=personas["ecommerce"]) is None
    assert retry_outcomes[1] == []
    assert ticket.events.count() == 1


def test_a_closed_ticket_is_not_retried(ticket, personas, retry_outcomes):
    ticket_resolve(ticket=ticket, actor=personas["ecommerce"], note="by hand")
    assert ticket_retry(ticket=ticket, actor=personas["ecommerce"]) is None
    assert retry_outcomes[1] == []


def test_a_type_without_a_retry_action_refuses(personas):
    ticket = ticket_raise(type_code="return_overdue", source="returns", return_id="R-1")
    assert retry_action("return_overdue") is None
    with pytest.raises(TicketActionError, match="Return overdue tickets cannot be retried"):
        ticket_retry(ticket=ticket, actor=personas["fulfilment"])
    assert ticket.events.count() == 1


def test_asking_for_the_retry_of_an_unknown_type_fails_loudly():
    with pytest.raises(KeyError, match="Unknown exception type 'nope'"):
        retry_action("nope")

"""Who may read and who may act: everyone with view_exceptions reads; a team acts on its own
tickets; admins act on all. A denied action changes nothing and writes no history."""

import pytest
from django.forms.models import model_to_dict
from django.test import Client
from django.urls import reverse

from centra_ip.teams import TEAM_CODES
from exceptions.models import Ticket, TicketEvent
from exceptions.registry import RetryResult
from exceptions.services import ticket_raise
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ACTIONS = ("acknowledge", "assign", "comment", "snooze", "resolve", "retry")
ALLOWED = {"ecommerce", "admin"}  # the ticket below is an e-commerce ticket


def payload(action, personas):
    return {
        "acknowledge": {},
        "assign": {"assign-assignee": personas["ecommerce"].pk},
        "comment": {"comment-note": "note"},
        "snooze": {"snooze-hours": 4},
        "resolve": {"resolve-note": "done"},
        "retry": {},
    }[action] | {f"{action}-key": f"{action}-key"}


@pytest.fixture
def ticket():
    return ticket_raise(type_code="stock_push_rejected", source="stock", sku="S-1")


@pytest.mark.parametrize("team", TEAM_CODES)
@pytest.mark.parametrize("action", ACTIONS)
def test_action_matrix(team, action, client_for, personas, ticket, retry_outcomes):
    retry_outcomes[0].append(RetryResult(ok=False, message="still rejected"))
    before = model_to_dict(Ticket.objects.get(pk=ticket.pk))
    response = client_for(team).post(
        reverse("exceptions:ticket_action", args=[ticket.pk, action]), payload(action, personas)
    )
    events = TicketEvent.objects.filter(ticket=ticket).exclude(kind="raised")
    if team in ALLOWED:
        assert response.status_code == 302
        assert events.count() >= 1
    else:
        assert response.status_code == 403
        assert model_to_dict(Ticket.objects.get(pk=ticket.pk)) == before
        assert events.count() == 0
        assert retry_outcomes[1] == []  # the retry action never ran


@pytest.mark.parametrize("team", TEAM_CODES)
def test_bulk_matrix(team, client_for, ticket):
    client_for(team).post(
        reverse("exceptions:bulk"),
        {"key": "k", "action": "acknowledge", "tickets": [ticket.pk], "hours": 24},
    )
    ticket.refresh_from_db()
    assert ticket.status == ("acknowledged" if team in ALLOWED else "open")


@pytest.mark.parametrize("team", TEAM_CODES)
@pytest.mark.parametrize(
    "name,args", [("index", []), ("stats", []), ("types", []), ("export", []), ("ticket", ["pk"])]
)
def test_every_team_reads(team, name, args, client_for, ticket):
    url = reverse(f"exceptions:{name}", args=[ticket.pk for _ in args])
    assert client_for(team).get(url, {"team": ""}).status_code == 200


@pytest.mark.parametrize(
    "name,args", [("index", []), ("stats", []), ("types", []), ("export", []), ("ticket", ["pk"])]
)
def test_a_user_without_read_permission_is_refused(name, args, ticket):
    client = Client()
    client.force_login(UserFactory(username="nobody"))
    url = reverse(f"exceptions:{name}", args=[ticket.pk for _ in args])
    assert client.get(url, {"team": ""}).status_code == 403
    response = client.post(
        reverse("exceptions:ticket_action", args=[ticket.pk, "comment"]),
        {"comment-key": "k", "comment-note": "x"},
    )
    assert response.status_code == 403
    assert TicketEvent.objects.exclude(kind="raised").count() == 0


def test_anonymous_users_go_to_login(ticket):
    response = Client().get(reverse("exceptions:ticket", args=[ticket.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))

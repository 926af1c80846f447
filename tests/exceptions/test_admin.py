"""The admin pages of the desk open, and an override changes who owns new tickets."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from exceptions.models import TypeOverride
from exceptions.services import ticket_raise
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_admin_pages_render():
    ticket = ticket_raise(type_code="stock_push_rejected", source="stock", sku="S-1")
    client = Client()
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    for name in ("ticket", "typeoverride", "teamroute", "notificationattempt"):
        assert client.get(reverse(f"admin:exceptions_{name}_changelist")).status_code == 200
    assert (
        client.get(reverse("admin:exceptions_ticket_change", args=[ticket.pk])).status_code == 200
    )


def test_an_override_changes_owner_and_sla_of_new_tickets():
    TypeOverride.objects.create(
        type="stock_push_rejected", team="operations", acknowledge_within_minutes=15
    )
    before = timezone.now()
    ticket = ticket_raise(type_code="stock_push_rejected", source="stock", sku="S-1")
    assert ticket.team == "operations"
    assert before + timedelta(minutes=15) <= ticket.acknowledge_due_at
    assert ticket.acknowledge_due_at <= timezone.now() + timedelta(minutes=15)
    assert ticket.resolve_due_at - ticket.first_seen == timedelta(hours=4)

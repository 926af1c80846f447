"""Notifications: new tickets, regressions and SLA breaches reach the owning team by e-mail
and webhook, throttled, recorded, and never break the engine that raised them."""

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.mail.backends.base import BaseEmailBackend

from exceptions import notifications
from exceptions.models import NotificationAttempt, TeamRoute
from exceptions.services import Condition, ticket_clear, ticket_raise, tickets_raise_many
from exceptions.tasks import notify_sla_breaches, send_daily_digests
from exceptions.webhook_guard import webhook_resolver_set

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
HOOK = "https://hooks.example.com/services/T000/B000/SECRETTOKEN"


class BrokenBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise ConnectionRefusedError("smtp down")


@pytest.fixture
def raise_now(django_capture_on_commit_callbacks):
    """Raise one condition and run the after-commit notifications, as in production."""

    def run(**kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return ticket_raise(source="engine", **kwargs)

    return run


def attempts():
    return list(
        NotificationAttempt.objects.order_by("id").values_list("channel", "reason", "outcome")
    )


def test_a_new_ticket_mails_the_owning_team(personas, raise_now):
    ticket = raise_now(type_code="stock_push_rejected", sku="S-1", summary="userErrors")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ecommerce-persona@example.com"]
    assert message.subject == "[centra-ip] New ticket: Stock push rejected: SKU S-1"
    assert f"/exceptions/{ticket.pk}/" in message.body
    attempt = NotificationAttempt.objects.get()
    assert (attempt.team, attempt.channel, attempt.reason, attempt.outcome) == (
        "ecommerce",
        "email",
        "new",
        "sent",
    )
    assert list(attempt.tickets.all()) == [ticket]


def test_counting_on_an_open_ticket_notifies_nobody(personas, raise_now):
    raise_now(type_code="stock_push_rejected", sku="S-1")
    raise_now(type_code="stock_push_rejected", sku="S-1")
    assert len(mail.outbox) == 1


def test_the_team_webhook_gets_a_slack_message_and_the_secret_is_not_recorded(
    personas, raise_now, webhook
):
    TeamRoute.objects.create(team="ecommerce", webhook_url=HOOK, email="shop@example.com")
    raise_now(type_code="stock_push_rejected", sku="S-1")
    assert [str(r.url) for r in webhook.requests] == [HOOK]
    body = json.loads(webhook.requests[0].content)
    assert body["text"].startswith("*[centra-ip] New ticket: Stock push rejected: SKU S-1*\n")
    assert webhook.requests[0].headers["User-Agent"] == "centra-ip/0.1"
    assert mail.outbox[0].to == ["shop@example.com"]
    hook = NotificationAttempt.objects.get(channel="webhook")
    assert (hook.outcome, hook.target) == ("sent", "https://hooks.example.com")


def test_a_failing_webhook_is_recorded_and_mail_still_goes(personas, raise_now, webhook):
    TeamRoute.objects.create(team="ecommerce", webhook_url=HOOK)
    webhook.status = 500
    ticket = raise_now(type_code="stock_push_rejected", sku="S-1")
    assert ticket.pk is not None
    assert len(mail.outbox) == 1
    hook = NotificationAttempt.objects.get(channel="webhook")
    # The same words for every failure: no status code, no exception name (finding 5).
    assert (hook.outcome, hook.error) == ("failed", "the webhook did not accept the message")


def test_an_unreachable_webhook_does_not_raise_into_the_engine(personas, raise_now, webhook):
    TeamRoute.objects.create(team="ecommerce", webhook_url=HOOK)
    webhook.error = httpx.ConnectError("connection refused to " + HOOK)
    raise_now(type_code="stock_push_rejected", sku="S-1")
    hook = NotificationAttempt.objects.get(channel="webhook")
    assert (hook.outcome, hook.error) == ("failed", "the webhook did not accept the message")


def test_a_failing_mail_server_is_recorded(personas, raise_now, settings):
    settings.EMAIL_BACKEND = f"{__name__}.BrokenBackend"
    ticket = raise_now(type_code="stock_push_rejected", sku="S-1")
    assert ticket.status == "open"
    attempt = NotificationAttempt.objects.get()
    assert (attempt.outcome, attempt.error) == ("failed", "ConnectionRefusedError: smtp down")


def test_a_team_without_addresses_is_recorded_as_such(raise_now):
    raise_now(type_code="stock_push_rejected", sku="S-1")
    assert attempts() == [("email", "new", "no_recipient")]
    assert mail.outbox == []


def test_a_route_with_immediate_off_sends_nothing(personas, raise_now):
    TeamRoute.objects.create(team="ecommerce", immediate=False)
    raise_now(type_code="stock_push_rejected", sku="S-1")
    assert (mail.outbox, attempts()) == ([], [])


def test_a_regression_is_notified_once_while_it_flaps(personas, raise_now):
    raise_now(type_code="stock_push_rejected", sku="S-1")
    for _ in range(3):
        ticket_clear(type_code="stock_push_rejected", source="engine", sku="S-1")
        raise_now(type_code="stock_push_rejected", sku="S-1")
    assert attempts() == [("email", "new", "sent"), ("email", "regression", "sent")]
    assert mail.outbox[1].subject == "[centra-ip] Regression: Stock push rejected: SKU S-1"


def test_a_team_over_its_hourly_budget_is_throttled(personas, raise_now):
    for n in range(notifications.TEAM_MESSAGES_PER_HOUR + 1):
        raise_now(type_code="stock_push_rejected", sku=f"S-{n}")
    assert len(mail.outbox) == notifications.TEAM_MESSAGES_PER_HOUR
    assert attempts()[-1] == ("email", "new", "throttled")


def test_a_batch_is_one_message_per_team(personas, django_capture_on_commit_callbacks):
    conditions = [Condition(type_code="orphaned_order", order_number=str(n)) for n in range(30)]
    conditions.append(Condition(type_code="stock_push_rejected", sku="S-1"))
    with django_capture_on_commit_callbacks(execute=True):
        tickets_raise_many(conditions, source="orders engine")
    assert sorted(m.subject for m in mail.outbox) == [
        "[centra-ip] 30 new tickets for Operations",
        "[centra-ip] New ticket: Stock push rejected: SKU S-1",
    ]
    operations = next(m for m in mail.outbox if "Operations" in m.subject)
    assert operations.body.splitlines()[-1] == "… and 10 more in the queue."


def test_an_sla_breach_is_notified_once(personas, raise_now):
    with time_machine.travel(T0, tick=False):
        ticket = raise_now(type_code="orphaned_order", order_number="1001")
    with time_machine.travel(T0 + timedelta(minutes=59), tick=False):
        assert notify_sla_breaches() == "0 tickets newly past their SLA"
    with time_machine.travel(T0 + timedelta(hours=1, minutes=1), tick=False):
        assert notify_sla_breaches() == "1 tickets newly past their SLA"
        assert notify_sla_breaches() == "0 tickets newly past their SLA"
    assert mail.outbox[-1].subject == f"[centra-ip] SLA breached: {ticket.title}"
    assert attempts() == [("email", "new", "sent"), ("email", "sla_breach", "sent")]


def test_the_daily_digest_goes_to_teams_with_tickets(personas, raise_now, webhook):
    TeamRoute.objects.create(team="operations", webhook_url=HOOK)
    with time_machine.travel(T0, tick=False):
        raise_now(type_code="orphaned_order", order_number="1001")
        raise_now(type_code="orphaned_order", order_number="1002")
    mail.outbox.clear()
    with time_machine.travel(T0 + timedelta(hours=12), tick=False):
        assert send_daily_digests() == "digest sent to 1 teams"
    message = mail.outbox[0]
    assert (message.subject, message.to) == (
        "[centra-ip] Daily digest for Operations",
        ["operations-persona@example.com"],
    )
    assert message.body.splitlines()[:4] == [
        "2 active tickets:",
        "- Orphaned order: 2",
        "New in the last 24 hours: 2; resolved: 0.",
        "Past their SLA:",
    ]
    assert json.loads(webhook.requests[-1].content)["text"].startswith("*[centra-ip] Daily digest")


# -- security review finding 5 (SSRF) and 6 (Slack markup) -----------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1:5432/x",
        "http://169.254.169.254/latest/meta-data/",
        "https://10.0.0.7/hook",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://internal.example/hook",  # resolves to a private address below
        "ftp://hooks.example.com/x",
        "file:///etc/passwd",
    ],
)
def test_a_webhook_to_a_non_public_address_cannot_be_saved(url, webhook):
    webhook_resolver_set(lambda host: ["10.1.2.3"] if host == "internal.example" else ["8.8.8.8"])
    route = TeamRoute(team="ecommerce", webhook_url=url)
    with pytest.raises(ValidationError) as caught:
        route.full_clean()
    assert "webhook_url" in caught.value.message_dict


def test_every_resolved_address_must_be_public(webhook):
    webhook_resolver_set(lambda host: ["8.8.8.8", "192.168.1.5"])
    with pytest.raises(ValidationError):
        TeamRoute(team="ecommerce", webhook_url=HOOK).full_clean()


def test_a_public_webhook_saves_and_the_admin_setting_allows_private_ones(webhook, settings):
    TeamRoute(team="ecommerce", webhook_url=HOOK).full_clean()
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    TeamRoute(team="ecommerce", webhook_url="https://10.0.0.7/hook").full_clean()


def test_a_webhook_that_turned_private_is_not_called(personas, raise_now, webhook):
    """Saved while public, its name now resolves to the metadata service: checked at send."""
    TeamRoute.objects.create(team="ecommerce", webhook_url=HOOK)
    webhook_resolver_set(lambda host: ["169.254.169.254"])
    raise_now(type_code="stock_push_rejected", sku="S-1")
    assert webhook.requests == []
    hook = NotificationAttempt.objects.get(channel="webhook")
    assert hook.outcome == "failed"
    assert "public" in hook.error and "169.254" not in hook.error
    assert len(mail.outbox) == 1  # the e-mail still goes


def test_slack_markup_in_ticket_text_is_escaped(personas, raise_now, webhook):
    TeamRoute.objects.create(team="ecommerce", webhook_url=HOOK)
    raise_now(type_code="stock_push_rejected", sku="<!channel> & <https://evil.example|Open>")
    text = json.loads(webhook.requests[0].content)["text"]
    assert "<!channel>" not in text and "<https://evil" not in text
    assert "&lt;!channel&gt; &amp; &lt;https://evil.example|Open&gt;" in text
    # E-mail is plain text: it keeps the SKU as it is.
    assert "<!channel> & <https://evil.example|Open>" in mail.outbox[0].subject

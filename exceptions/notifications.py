"""Telling the owning team: new tickets, regressions and SLA breaches as they happen, and a
daily digest. E-mail goes through Django's mail backend; a team may also have a
Slack-compatible webhook (a JSON ``{"text": ...}`` POST).

Rules:
- every delivery attempt leaves a ``NotificationAttempt`` row, sent or not;
- a failing channel is recorded and never raises into the engine that raised the ticket;
- throttling: one ticket is announced for one reason at most once per ``RENOTIFY_AFTER``
  (a flapping condition does not spam), and a team gets at most ``TEAM_MESSAGES_PER_HOUR``
  immediate messages per channel; the rest are recorded as throttled and left to the digest;
- a batch (an engine raising many tickets) becomes one message per team, not one per ticket.
"""

import logging
from collections import defaultdict
from datetime import timedelta
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from centra_ip.bulk import bulk_insert_rows
from centra_ip.lookups import any_of, in_chunks
from centra_ip.teams import TEAMS
from exceptions.models import NotificationAttempt, TeamRoute, Ticket, sla_breached_q
from exceptions.registry import get_type
from exceptions.webhook_guard import webhook_url_problem
from syncs.connectors.http import http_client

logger = logging.getLogger(__name__)

RENOTIFY_AFTER = timedelta(hours=6)
TEAM_MESSAGES_PER_HOUR = 12
LISTED_TICKETS = 20
# The attempts' tickets (the many-to-many's table).
_LINKS = NotificationAttempt.tickets.through
_TEAM_NAMES = {team.code: team.name for team in TEAMS}
# Subject prefix for one ticket, and the words for several.
_REASON_TEXT = {
    NotificationAttempt.Reason.NEW: ("New ticket", "new tickets"),
    NotificationAttempt.Reason.REGRESSION: ("Regression", "regressions"),
    NotificationAttempt.Reason.SLA_BREACH: ("SLA breached", "tickets past their SLA"),
}


def _webhook_client() -> httpx.Client:
    # Tests route the "team_webhook" role through a transport (syncs.connectors.http).
    return http_client(
        "team_webhook", timeout=httpx.Timeout(5.0, connect=3.0), follow_redirects=False
    )


def _ticket_url(ticket: Ticket) -> str:
    # SITE_URL (optional) makes links absolute in mail; without it they are site-relative.
    return settings.SITE_URL + reverse("exceptions:ticket", args=[ticket.pk])


def team_email_recipients(team: str, route: TeamRoute | None) -> list[str]:
    """The route's addresses when an admin set them, else the team's active members'."""
    if route and route.email:
        return [address.strip() for address in route.email.split(",") if address.strip()]
    users = get_user_model().objects.filter(groups__name=team, is_active=True).exclude(email="")
    return sorted(set(users.values_list("email", flat=True)))


def _webhook_target(url: str) -> str:
    """Where a webhook went, without its path: Slack-style URLs carry the secret in the path."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}"


def _deliver(
    *,
    team: str,
    route: TeamRoute | None,
    reason: str,
    subject: str,
    body: str,
    ticket_ids: list[int],
    throttled: bool = False,
) -> list[NotificationAttempt]:
    """Send one message on every channel of the team and record each attempt."""
    now = timezone.now()
    attempts = []
    channels = [NotificationAttempt.Channel.EMAIL]
    if route and route.webhook_url:
        channels.append(NotificationAttempt.Channel.WEBHOOK)
    for channel in channels:
        attempt = NotificationAttempt(team=team, channel=channel, reason=reason, at=now)
        if channel == NotificationAttempt.Channel.EMAIL:
            recipients = team_email_recipients(team, route)
            attempt.target = ", ".join(recipients)[:500]
            if not recipients:
                attempt.outcome = NotificationAttempt.Outcome.NO_RECIPIENT
            elif throttled:
                attempt.outcome = NotificationAttempt.Outcome.THROTTLED
            else:
                attempt.outcome, attempt.error = _send_email(subject, body, recipients)
        else:
            attempt.target = _webhook_target(route.webhook_url)
            if throttled:
                attempt.outcome = NotificationAttempt.Outcome.THROTTLED
            else:
                attempt.outcome, attempt.error = _send_webhook(route.webhook_url, subject, body)
        attempt.save()
        # The attempt is new, so its tickets are too: one COPY of plain rows, not ``set()``'s
        # two lookups of an engine run's 10,000 ids nor a model instance per link.
        links = [(attempt.pk, pk) for pk in ticket_ids]
        bulk_insert_rows(_LINKS, ["notificationattempt_id", "ticket_id"], links)
        attempts.append(attempt)
    return attempts


def _send_email(subject: str, body: str, recipients: list[str]) -> tuple[str, str]:
    try:
        send_mail(subject, body, None, recipients, fail_silently=False)
    except Exception as error:
        # Any mail failure (SMTP, DNS, socket) is this attempt's outcome, never the engine's.
        logger.warning("notification e-mail failed: %s", type(error).__name__)
        return NotificationAttempt.Outcome.FAILED, f"{type(error).__name__}: {error}"[:1000]
    return NotificationAttempt.Outcome.SENT, ""


def slack_escape(text: str) -> str:
    """Slack's escaping for message text: ``&``, ``<`` and ``>`` only. A SKU or title from
    outside then cannot ping the channel (``<!channel>``) or disguise a link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# What a failed webhook records: the same words whatever went wrong (refused, a timeout, an
# HTTP status), so the record cannot be used to probe which hosts and ports answer.
WEBHOOK_FAILED = "the webhook did not accept the message"
WEBHOOK_NOT_ALLOWED = "not sent: the webhook URL is not a public http(s) address"


def _send_webhook(url: str, subject: str, body: str) -> tuple[str, str]:
    problem = webhook_url_problem(url)
    if problem:
        logger.warning("notification webhook refused: the URL is not allowed")
        return NotificationAttempt.Outcome.FAILED, WEBHOOK_NOT_ALLOWED
    text = f"*{slack_escape(subject)}*\n{slack_escape(body)}"
    try:
        with _webhook_client() as client:
            response = client.post(url, json={"text": text})
    except httpx.HTTPError as error:
        # The error text may quote the URL, which holds the webhook's secret.
        logger.warning("notification webhook failed: %s", type(error).__name__)
        return NotificationAttempt.Outcome.FAILED, WEBHOOK_FAILED
    if response.is_success:
        return NotificationAttempt.Outcome.SENT, ""
    logger.warning("notification webhook failed: HTTP %s", response.status_code)
    return NotificationAttempt.Outcome.FAILED, WEBHOOK_FAILED


def _compose(team: str, reason: str, listed: list[Ticket], total: int) -> tuple[str, str]:
    """The message for ``total`` tickets, of which ``listed`` are the first (at most
    LISTED_TICKETS)."""
    one, several = _REASON_TEXT[reason]
    if total == 1:
        subject = f"[centra-ip] {one}: {listed[0].title}"
    else:
        subject = f"[centra-ip] {total} {several} for {_TEAM_NAMES[team]}"
    lines = []
    for ticket in listed:
        times = "once" if ticket.occurrences == 1 else f"{ticket.occurrences} times"
        line = f"- #{ticket.pk} {ticket.title} (seen {times})"
        if ticket.summary:
            line += f": {ticket.summary}"
        lines.append(f"{line}\n  {_ticket_url(ticket)}")
    if total > LISTED_TICKETS:
        lines.append(f"… and {total - LISTED_TICKETS} more in the queue.")
    return subject[:250], "\n".join(lines)


def tickets_notify(*, ticket_ids: list[int], reason: str) -> list[NotificationAttempt]:
    """Announce tickets to their teams; called after the raising transaction commits.

    Never raises: the engine that raised the tickets must go on whatever mail does.
    """
    try:
        return _tickets_notify(ticket_ids, reason)
    except Exception:
        logger.exception("notifying %s tickets failed", reason)
        return []


def _tickets_notify(ticket_ids: list[int], reason: str) -> list[NotificationAttempt]:
    now = timezone.now()
    already = set()
    for chunk in in_chunks(ticket_ids):
        already.update(
            _LINKS.objects.filter(
                any_of("ticket_id", chunk),
                notificationattempt__reason=reason,
                notificationattempt__outcome=NotificationAttempt.Outcome.SENT,
                notificationattempt__at__gte=now - RENOTIFY_AFTER,
            ).values_list("ticket_id", flat=True)
        )
    # Ids only: a message lists LISTED_TICKETS of a team's tickets, loaded below.
    by_team: dict[str, list[int]] = defaultdict(list)
    for chunk in in_chunks(sorted(set(ticket_ids) - already)):
        rows = Ticket.objects.filter(any_of("pk", chunk)).order_by("pk")
        for pk, team in rows.values_list("pk", "team"):
            by_team[team].append(pk)
    routes = {route.team: route for route in TeamRoute.objects.filter(team__in=by_team)}
    recent = dict(
        NotificationAttempt.objects.filter(
            team__in=by_team,
            at__gte=now - timedelta(hours=1),
            outcome=NotificationAttempt.Outcome.SENT,
        )
        .exclude(reason=NotificationAttempt.Reason.DIGEST)
        .values_list("team")
        .annotate(count=Count("*"))
    )
    attempts = []
    for team, ids in by_team.items():
        route = routes.get(team)
        if route and not route.immediate:
            continue
        listed = list(Ticket.objects.filter(pk__in=ids[:LISTED_TICKETS]).order_by("pk"))
        subject, body = _compose(team, reason, listed, len(ids))
        throttled = recent.get(team, 0) >= TEAM_MESSAGES_PER_HOUR
        attempts += _deliver(
            team=team,
            route=route,
            reason=reason,
            subject=subject,
            body=body,
            ticket_ids=ids,
            throttled=throttled,
        )
    return attempts


def team_digest_send(team: str) -> list[NotificationAttempt]:
    """The daily digest for one team: what is open, what breached, what came and went."""
    now = timezone.now()
    since = now - timedelta(days=1)
    route = TeamRoute.objects.filter(team=team).first()
    if route and not route.digest:
        return []
    active = Ticket.objects.filter(team=team, status__in=Ticket.ACTIVE)
    by_type = list(active.values_list("type").annotate(count=Count("*")).order_by("-count", "type"))
    breached = list(
        active.filter(sla_breached_q(now)).order_by("sla_due_at", "pk")[:LISTED_TICKETS]
    )
    new_count = Ticket.objects.filter(team=team, first_seen__gte=since).count()
    closed_count = Ticket.objects.filter(
        team=team, status__in=Ticket.CLOSED, resolved_at__gte=since
    ).count()
    if not by_type and not new_count and not closed_count:
        return []
    lines = [f"{sum(count for _, count in by_type)} active tickets:"]
    lines += [f"- {get_type(code).title}: {count}" for code, count in by_type]
    lines.append(f"New in the last 24 hours: {new_count}; resolved: {closed_count}.")
    if breached:
        lines.append("Past their SLA:")
        lines += [f"- #{t.pk} {t.title}\n  {_ticket_url(t)}" for t in breached]
    subject = f"[centra-ip] Daily digest for {_TEAM_NAMES[team]}"
    return _deliver(
        team=team,
        route=route,
        reason=NotificationAttempt.Reason.DIGEST,
        subject=subject,
        body="\n".join(lines),
        ticket_ids=[ticket.pk for ticket in breached],
    )

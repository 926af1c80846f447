"""Reading tickets: the permission-checked getter, the queue's queryset, related tickets,
the counts and the trend. Views and the ``tickets`` command read through these only.
"""

from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.shortcuts import get_object_or_404
from django.utils import timezone

from centra_ip.permissions import ACT_ON_ALL_TICKETS, ACT_ON_TEAM_TICKETS, VIEW_EXCEPTIONS
from centra_ip.teams import TEAM_CHOICES, user_team_codes
from exceptions.conditions import fingerprint_for
from exceptions.models import SEVERITY_RANK, TeamRoute, Ticket, TicketEvent, sla_breached_q
from exceptions.overrides import effective_type, overrides_load
from exceptions.registry import API_FAILURE_TYPES, TYPES, TicketType, retry_action


def user_can_act(user, ticket: Ticket) -> bool:
    """Admins act on every ticket; a team member with the permission on their team's."""
    if user.has_perm(ACT_ON_ALL_TICKETS):
        return True
    return user.has_perm(ACT_ON_TEAM_TICKETS) and ticket.team in user_team_codes(user)


def tickets_actable_by(user, tickets):
    """Narrow a ticket queryset to those the user may act on (bulk actions)."""
    if user.has_perm(ACT_ON_ALL_TICKETS):
        return tickets
    if not user.has_perm(ACT_ON_TEAM_TICKETS):
        return tickets.none()
    return tickets.filter(team__in=user_team_codes(user))


def ticket_get_for_user(*, user, pk: int, act: bool = False) -> Ticket:
    """The one way views get a ticket: 403 without read access, 404 when it does not exist,
    403 when ``act`` is asked and the user may not act on it."""
    if not user.has_perm(VIEW_EXCEPTIONS):
        raise PermissionDenied("You cannot read the exception desk.")
    ticket = get_object_or_404(Ticket.objects.select_related("assignee"), pk=pk)
    if act and not user_can_act(user, ticket):
        raise PermissionDenied("This ticket belongs to another team.")
    return ticket


def queue_queryset():
    """Every ticket with what the queue's columns show, newest activity first; severity
    sorts by rank (critical first), not by its code's spelling."""
    return (
        Ticket.objects.select_related("assignee")
        .annotate(severity_rank=SEVERITY_RANK)
        .order_by("-last_seen", "-pk")
    )


def ticket_history(ticket: Ticket):
    return ticket.events.select_related("actor").order_by("at", "pk")


def ticket_related(ticket: Ticket, limit: int = 10):
    """Other tickets about the same SKU or order: often one cause shows up as several types."""
    match = Q()
    if ticket.sku:
        match |= Q(sku=ticket.sku)
    if ticket.order_number:
        match |= Q(order_number=ticket.order_number)
    if not match:
        return Ticket.objects.none()
    return (
        Ticket.objects.filter(match)
        .exclude(pk=ticket.pk)
        .select_related("assignee")
        .order_by("-last_seen", "-pk")[:limit]
    )


def ticket_likely_match(ticket: Ticket) -> dict | None:
    """The pair a one-sided SKU ticket names as its likely match (``context["likely_match"]``)
    with ``other``, the latest ticket of the other side it names (type and SKU), or None:
    the catalog's two tickets about one near-duplicate pair, one per team, are one incident."""
    match = ticket.context.get("likely_match")
    if not isinstance(match, dict) or not match.get("centra_size_id"):
        return None
    named = match.get("ticket")
    other = None
    if isinstance(named, dict) and named.get("type") and named.get("sku"):
        fingerprint = fingerprint_for(str(named["type"]), {"sku": str(named["sku"])})
        other = Ticket.objects.filter(fingerprint=fingerprint).order_by("-pk").first()
    return {**match, "other": other}


# Tickets first raised this close together, on a stream or by an API failure, are read as
# one incident: one IP outage raises "API unavailable" (admin), "push held" (operations)
# and "stock-in failed" (fulfilment) within minutes.
INCIDENT_WINDOW = timedelta(minutes=10)
# Every API ticket: a failed call, or throttling the client absorbed.
API_TYPES = (*API_FAILURE_TYPES, TicketType.API_THROTTLED)


def ticket_incident(ticket: Ticket, limit: int = 12) -> list[Ticket]:
    """The other tickets of this ticket's incident, each team's part: tickets on a stream,
    of an API type or a failed stock-in, first raised within INCIDENT_WINDOW of this one.
    API tickets come first: they are the likely cause."""
    near = Q(
        first_seen__gte=ticket.first_seen - INCIDENT_WINDOW,
        first_seen__lte=ticket.first_seen + INCIDENT_WINDOW,
    )
    kinds = (*API_TYPES, TicketType.STOCK_IN_FAILED)
    incident_like = ~Q(stream="") | Q(type__in=kinds)
    if not (ticket.stream or ticket.type in kinds):
        return []
    found = list(
        Ticket.objects.filter(near & incident_like)
        .exclude(pk=ticket.pk)
        .exclude(type="stream_late")
        .order_by("first_seen", "pk")[:limit]
    )
    return sorted(found, key=lambda other: (other.type not in API_TYPES, other.first_seen))


def ticket_counts(tickets) -> list[dict]:
    """Active tickets by type and team: rows of {"type", "team", "count"}."""
    return list(
        tickets.filter(status__in=Ticket.ACTIVE)
        .values("type", "team")
        .annotate(count=Count("*"))
        .order_by("type", "team")
    )


def ticket_breach_counts(teams: list[str] | None = None) -> dict[str, int]:
    """Active tickets past their SLA, per team (all teams, or those in ``teams``)."""
    tickets = Ticket.objects.filter(sla_breached_q(timezone.now()))
    if teams:
        tickets = tickets.filter(team__in=teams)
    rows = tickets.values_list("team").annotate(count=Count("*"))
    return dict(rows)


def ticket_trend(*, days: int = 30, team: str | None = None) -> dict:
    """Per day of the last ``days``: tickets opened (raised or reopened) and closed, for all
    teams or one (by the ticket's current owner)."""
    today = timezone.localdate()
    start = today - timedelta(days=days - 1)
    since = timezone.make_aware(timezone.datetime.combine(start, timezone.datetime.min.time()))
    labels = [start + timedelta(days=n) for n in range(days)]

    def per_day(kinds) -> list[int]:
        events = TicketEvent.objects.filter(kind__in=kinds, at__gte=since)
        if team:
            events = events.filter(ticket__team=team)
        rows = events.annotate(day=TruncDate("at")).values("day").annotate(count=Count("*"))
        found = {row["day"]: row["count"] for row in rows}
        return [found.get(day, 0) for day in labels]

    kinds = TicketEvent.Kind
    return {
        "labels": [day.isoformat() for day in labels],
        "opened": per_day([kinds.RAISED, kinds.REOPENED_REGRESSION]),
        "closed": per_day([kinds.RESOLVED, kinds.AUTO_RESOLVED]),
    }


def ticket_as_dict(ticket: Ticket) -> dict:
    """The stable, machine-readable shape of a ticket (``tickets --json``, CSV export)."""
    return {
        "id": ticket.pk,
        "type": ticket.type,
        "title": ticket.title,
        "status": ticket.status,
        "severity": ticket.severity,
        "team": ticket.team,
        "assignee": ticket.assignee.get_username() if ticket.assignee_id else None,
        "subject": ticket.subject_label,
        "sku": ticket.sku or None,
        "order": ticket.order_number or None,
        "return_id": ticket.return_id or None,
        "stream": ticket.stream or None,
        "warehouse": ticket.warehouse or None,
        "occurrences": ticket.occurrences,
        "regressions": ticket.regressions,
        "first_seen": ticket.first_seen.isoformat(),
        "last_seen": ticket.last_seen.isoformat(),
        "acknowledge_due_at": ticket.acknowledge_due_at.isoformat(),
        "resolve_due_at": ticket.resolve_due_at.isoformat(),
        "summary": ticket.summary,
    }


def exception_type_rows() -> list[dict]:
    """Every type as it applies now: the registry with the admins' overrides, the owner
    team's notification route and whether a retry action exists. Pages format the rows;
    this is the one place that decides what applies."""
    overrides = overrides_load()
    routes = {route.team: route for route in TeamRoute.objects.all()}
    names = dict(TEAM_CHOICES)
    rows = []
    for declared in TYPES:
        kind = effective_type(declared.code, overrides)
        rows.append(
            {
                "type": kind,
                "team_name": names[kind.team],
                "overridden": declared.code in overrides,
                "route": routes.get(kind.team),
                "retry": retry_action(declared.code) is not None,
            }
        )
    return rows

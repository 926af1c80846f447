"""Tickets, their append-only history, the admins' overrides and the notification record.

Every change of a ticket is made by a service in ``exceptions.services`` that writes the
matching ``TicketEvent`` in the same transaction; nothing here carries domain logic.
"""

from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Case, F, IntegerField, Q, Value, When
from django.utils import timezone

from centra_ip.history import KeyedHistoryEvent
from centra_ip.limits import out_of_range
from centra_ip.teams import TEAM_CHOICES
from exceptions.registry import SEVERITY_CHOICES, get_type, type_choices
from exceptions.webhook_guard import webhook_url_problem

# Severity by rank (critical first), not by its code's spelling: the queue sorts by it, and
# an index on it lets a team's queue be read in that order.
SEVERITY_RANK = Case(
    When(severity="critical", then=Value(0)),
    When(severity="warning", then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)
_ACTIVE = Q(status__in=["open", "acknowledged", "snoozed"])


class Ticket(models.Model):
    """One condition (type + subject) that someone must look at.

    ``fingerprint`` identifies the condition; the database guarantees at most one *active*
    ticket per fingerprint (a partial unique index), so concurrent raisers cannot open two.
    A closed ticket whose condition comes back is reopened as a regression, not duplicated.
    """

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        SNOOZED = "snoozed", "Snoozed"
        RESOLVED = "resolved", "Resolved"
        AUTO_RESOLVED = "auto_resolved", "Auto-resolved"

    ACTIVE = (Status.OPEN, Status.ACKNOWLEDGED, Status.SNOOZED)
    CLOSED = (Status.RESOLVED, Status.AUTO_RESOLVED)

    type = models.CharField(max_length=64, choices=type_choices)
    fingerprint = models.CharField(max_length=64)
    severity = models.CharField(max_length=16, choices=SEVERITY_CHOICES)
    summary = models.CharField(max_length=300, blank=True)

    sku = models.CharField(max_length=120, blank=True)
    order_number = models.CharField(max_length=120, blank=True)
    return_id = models.CharField(max_length=120, blank=True)
    stream = models.CharField(max_length=64, blank=True)
    warehouse = models.CharField(max_length=120, blank=True)

    team = models.CharField(max_length=32, choices=TEAM_CHOICES)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    snoozed_until = models.DateTimeField(null=True, blank=True)
    # A snoozed ticket also wakes when its occurrence count reaches this number.
    snooze_wake_occurrences = models.PositiveIntegerField(null=True, blank=True)

    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    occurrences = models.PositiveIntegerField(default=1)
    context = models.JSONField(default=dict, blank=True)
    regressions = models.PositiveIntegerField(default=0)

    acknowledge_due_at = models.DateTimeField()
    resolve_due_at = models.DateTimeField()
    # The next deadline this ticket can still miss: acknowledge_due_at while open,
    # resolve_due_at while acknowledged or snoozed, none once closed. Kept by the services
    # on every status change, so "past SLA" is one indexed comparison, not an OR of two.
    sla_due_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    sla_breach_notified_at = models.DateTimeField(null=True, blank=True)
    # When the last "raised"/"raised_again" event was written: repeats are counted on the
    # ticket and written to history at most once per interval, or history would swamp.
    raise_logged_at = models.DateTimeField()
    # Claimed while a retry runs, so a double click runs the retry action once.
    retry_started_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["fingerprint"],
                condition=Q(status__in=["open", "acknowledged", "snoozed"]),
                name="ticket_one_active_per_fingerprint",
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=["open", "acknowledged", "snoozed", "resolved", "auto_resolved"]
                ),
                name="ticket_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="snoozed") | Q(snoozed_until__isnull=False),
                name="ticket_snoozed_has_until",
            ),
        ]
        indexes = [
            # The queue's landing view, "my team, active, newest activity first", and the same
            # for all teams: partial indexes in the queue's order, so the first page is read
            # straight off the index however many tickets are closed. With the status
            # included, a deep page's ids are read from the index alone (``exceptions.paging``).
            models.Index(
                fields=["team", "-last_seen", "-id"],
                condition=Q(status__in=["open", "acknowledged", "snoozed"]),
                include=["status"],
                name="ticket_active_team_queue",
            ),
            models.Index(
                fields=["-last_seen", "-id"],
                condition=Q(status__in=["open", "acknowledged", "snoozed"]),
                include=["status"],
                name="ticket_active_queue",
            ),
            models.Index(fields=["status", "-last_seen", "-id"], name="ticket_queue"),
            # The active queue oldest first ("Age" column), per team and for all: without
            # them PostgreSQL walks ``first_seen`` from the oldest, closed, tickets.
            models.Index(
                fields=["team", "first_seen", "id"],
                condition=Q(status__in=["open", "acknowledged", "snoozed"]),
                include=["status"],
                name="ticket_active_team_age",
            ),
            models.Index(
                fields=["first_seen", "id"],
                condition=Q(status__in=["open", "acknowledged", "snoozed"]),
                name="ticket_active_age",
            ),
            # The type filter on the active queue, the counts by type and team, and the
            # queue's counts for all teams (by type, severity, SLA, age) from the index alone.
            models.Index(
                fields=["type", "severity", "sla_due_at", "first_seen"],
                include=["team", "status", "id"],
                condition=Q(status__in=["open", "acknowledged", "snoozed"]),
                name="ticket_active_counts",
            ),
            # A team's queue counts, answered from the index alone: the page count, the
            # counts by type and the team's "today" figures (total, critical, past SLA), for
            # any status and age. At 1,000,000 tickets, reading the rows for them took most
            # of a queue page's time (issue 17, docs/benchmarks.md). ``id`` is included
            # because Django counts ``COUNT(id)``.
            models.Index(
                fields=["team", "status", "type", "severity", "sla_due_at", "first_seen"],
                include=["id"],
                name="ticket_queue_counts",
            ),
            # A team's active queue sorted by a column (type, severity, status, seen), read
            # in that order off the index instead of sorting the team's tickets (0.2-0.6 s
            # at 1,000,000, issue 17).
            models.Index(F("team"), F("type"), F("id"), condition=_ACTIVE, name="ticket_sort_type"),
            models.Index(
                F("team"), SEVERITY_RANK, F("id"), condition=_ACTIVE, name="ticket_sort_severity"
            ),
            models.Index(
                F("team"), F("status"), F("id"), condition=_ACTIVE, name="ticket_sort_status"
            ),
            models.Index(
                F("team"), F("occurrences"), F("id"), condition=_ACTIVE, name="ticket_sort_seen"
            ),
            # By assignee: the team's ids and assignees from the index alone, joined to the
            # few users and sorted there (the ids-first pages, ``exceptions.paging``).
            models.Index(
                fields=["team", "assignee", "id"],
                include=["status"],
                condition=_ACTIVE,
                name="ticket_sort_assignee",
            ),
            # Closed tickets and "any status", per team and for all, newest activity first:
            # the first page, and deep pages, read off the index.
            models.Index(
                fields=["team", "-last_seen", "-id"], include=["status"], name="ticket_team_recent"
            ),
            models.Index(fields=["-last_seen", "-id"], name="ticket_recent"),
            # Regression lookup (closed tickets by fingerprint) and the related-tickets box.
            models.Index(fields=["fingerprint", "-id"], name="ticket_fingerprint"),
            # Equality and the queue's prefix search; the pattern opclass lets PostgreSQL use
            # the index for LIKE 'x%' whatever the collation (ignored on SQLite).
            models.Index(fields=["sku"], name="ticket_sku", opclasses=["varchar_pattern_ops"]),
            models.Index(
                fields=["order_number"], name="ticket_order", opclasses=["varchar_pattern_ops"]
            ),
            # Used by exceptions.tasks.notify_sla_breaches and the "SLA breached" filter.
            # "Past SLA" per team (the queue's banner, counts page) without touching the table.
            # Active only (closed tickets have no SLA due), so counting breaches per team
            # is answered from the index alone.
            models.Index(
                fields=["team", "sla_due_at"],
                condition=Q(status__in=["open", "acknowledged", "snoozed"]),
                name="ticket_team_sla_due_active",
            ),
            # Used by exceptions.tasks.notify_sla_breaches: breaches not announced yet.
            models.Index(
                fields=["sla_due_at"],
                condition=Q(sla_due_at__isnull=False, sla_breach_notified_at__isnull=True),
                name="ticket_sla_unannounced",
            ),
            # Used by exceptions.tasks.wake_snoozed.
            models.Index(fields=["status", "snoozed_until"], name="ticket_snoozed"),
            models.Index(fields=["first_seen"], name="ticket_first_seen"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.title}"

    @property
    def exception_type(self):
        return get_type(self.type)

    @property
    def subject_label(self) -> str:
        parts = [
            ("SKU", self.sku),
            ("order", self.order_number),
            ("return", self.return_id),
            ("stream", self.stream),
            ("warehouse", self.warehouse),
        ]
        return " · ".join(f"{name} {value}" for name, value in parts if value)

    @property
    def title(self) -> str:
        kind = get_type(self.type).title
        subject = self.subject_label
        return f"{kind}: {subject}" if subject else kind

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def is_sla_breached(self) -> bool:
        return self.sla_due_at is not None and self.sla_due_at < timezone.now()

    def next_deadline(self):
        """What ``sla_due_at`` must be for the current status (see the field)."""
        if self.status == self.Status.OPEN:
            return self.acknowledge_due_at
        if self.status in self.ACTIVE:
            return self.resolve_due_at
        return None


def sla_breached_q(now: datetime) -> Q:
    """Active tickets past a deadline: not acknowledged in time, or not resolved in time.

    Closed tickets have no ``sla_due_at``, so the status test changes no answer; it lets
    PostgreSQL use the active-only index instead of scanning the table ("Any status")."""
    return Q(sla_due_at__lt=now, status__in=Ticket.ACTIVE)


class TicketEventKind(models.TextChoices):
    """What happened to a ticket; module level so the check constraint below can list it."""

    RAISED = "raised", "Raised"
    RAISED_AGAIN = "raised_again", "Raised again"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    ASSIGNED = "assigned", "Assigned"
    COMMENTED = "commented", "Commented"
    SNOOZED = "snoozed", "Snoozed"
    WOKE = "woke", "Woke up"
    RETRIED = "retried", "Retried"
    RESOLVED = "resolved", "Resolved"
    AUTO_RESOLVED = "auto_resolved", "Auto-resolved"
    REOPENED_REGRESSION = "reopened_regression", "Reopened as regression"
    TEAM_CHANGED = "team_changed", "Owner team changed"


class TicketEvent(KeyedHistoryEvent):
    """One entry of a ticket's history. Append-only: written once by a service, never edited."""

    Kind = TicketEventKind

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    data = models.JSONField(default=dict, blank=True)

    class Meta(KeyedHistoryEvent.Meta):
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["ticket", "at", "id"], name="ticketevent_history"),
            models.Index(fields=["kind", "at"], name="ticketevent_kind_at"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=TicketEventKind.values), name="ticketevent_kind_valid"
            )
        ]

    @property
    def who(self) -> str:
        if self.actor_id:
            return self.actor.get_username()
        return self.actor_name or "system"


class TypeOverride(models.Model):
    """An admin's change to a type's owner team or SLA; applies to tickets raised after it."""

    type = models.CharField(max_length=64, choices=type_choices, unique=True)
    team = models.CharField(max_length=32, choices=TEAM_CHOICES, blank=True)
    acknowledge_within_minutes = models.PositiveIntegerField(null=True, blank=True)
    resolve_within_minutes = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["type"]

    def __str__(self):
        return f"override for {self.type}"

    def clean(self):
        year = 525_600  # minutes; longer overflows the SLA deadline of every ticket raised
        bounds = {"acknowledge_within_minutes": (1, year), "resolve_within_minutes": (1, year)}
        errors = out_of_range(self, bounds)
        if errors:
            raise ValidationError(errors)


class TeamRoute(models.Model):
    """Where a team's notifications go, editable by admins.

    With no ``email`` the team's members' addresses are used; the webhook is optional and
    Slack-compatible (a JSON ``{"text": ...}`` POST). The webhook URL is a secret (it
    carries the token), so it is never shown in notification records.
    """

    team = models.CharField(max_length=32, choices=TEAM_CHOICES, unique=True)
    email = models.CharField(
        max_length=500, blank=True, help_text="Comma-separated; empty means the team's members."
    )
    webhook_url = models.URLField(max_length=500, blank=True)
    immediate = models.BooleanField(
        default=True, help_text="Send new tickets, regressions and SLA breaches as they happen."
    )
    digest = models.BooleanField(default=True, help_text="Send the daily digest.")

    class Meta:
        ordering = ["team"]

    def __str__(self):
        return f"route for {self.team}"

    def clean(self):
        problem = self.webhook_url and webhook_url_problem(self.webhook_url)
        if problem:
            raise ValidationError({"webhook_url": problem})


class NotificationAttempt(models.Model):
    """One delivery attempt of one message on one channel: "was the team told?" is a query."""

    class Channel(models.TextChoices):
        EMAIL = "email", "E-mail"
        WEBHOOK = "webhook", "Webhook"

    class Reason(models.TextChoices):
        NEW = "new", "New ticket"
        REGRESSION = "regression", "Regression"
        SLA_BREACH = "sla_breach", "SLA breach"
        DIGEST = "digest", "Daily digest"

    class Outcome(models.TextChoices):
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        THROTTLED = "throttled", "Throttled (left for the digest)"
        NO_RECIPIENT = "no_recipient", "No recipient"

    team = models.CharField(max_length=32, choices=TEAM_CHOICES)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    reason = models.CharField(max_length=16, choices=Reason.choices)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    at = models.DateTimeField()
    target = models.CharField(max_length=500, blank=True)
    error = models.CharField(max_length=1000, blank=True)
    tickets = models.ManyToManyField(Ticket, blank=True, related_name="notifications")

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["team", "reason", "-at"], name="notification_recent")]

    def __str__(self):
        return f"{self.reason} to {self.team} by {self.channel}: {self.outcome}"

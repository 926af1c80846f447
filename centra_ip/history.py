"""The one shape of an append-only history row: ticket, return and discrepancy events.

Each app's event model declares its own subject (the ticket, the return, the discrepancy)
and its own ``kind`` choices, and takes the rest from here, so the three histories cannot
drift apart again (they had: a name cut at 120 or 150 characters, a note at 500 or none,
a key of 64 or 80). Rows are written once by the service that changes the subject's status
and never edited. Bottom layer: imports nothing of ours.
"""

from django.conf import settings
from django.db import models


class HistoryEvent(models.Model):
    """When, who (a person, or the engine or timer named in ``actor_name``), and why."""

    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    # The name as it was then; who acted when no person did: "catalog engine", "snooze timer"
    actor_name = models.CharField(max_length=150, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        abstract = True
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.get_kind_display()} at {self.at:%Y-%m-%d %H:%M}"


class KeyedHistoryEvent(HistoryEvent):
    """A history whose events a person submits: one submitted form acts once, because a
    second POST with the same key finds this row (``None`` when no form was involved)."""

    idempotency_key = models.CharField(max_length=80, null=True, blank=True, unique=True)

    class Meta(HistoryEvent.Meta):
        abstract = True

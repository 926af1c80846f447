"""Timers: what the scheduled tasks do to tickets (wake the snoozed, claim SLA breaches
for notification)."""

import logging

from django.db import transaction
from django.utils import timezone

from exceptions.models import Ticket, TicketEvent, sla_breached_q
from exceptions.raising import ticket_wake

logger = logging.getLogger(__name__)


# --- Timers -----------------------------------------------------------------------------------


def tickets_wake_due(*, source: str = "snooze timer") -> int:
    """Wake every snoozed ticket whose time has passed; returns how many woke."""
    now = timezone.now()
    woke = 0
    due = Ticket.objects.filter(status=Ticket.Status.SNOOZED, snoozed_until__lte=now)
    for pk in due.values_list("pk", flat=True).order_by("snoozed_until", "pk")[:5000]:
        with transaction.atomic():
            ticket = (
                Ticket.objects.select_for_update()
                .filter(pk=pk, status=Ticket.Status.SNOOZED, snoozed_until__lte=now)
                .first()
            )
            if ticket is None:
                continue
            ticket_wake(ticket)
            ticket.save(
                update_fields=["status", "snoozed_until", "snooze_wake_occurrences", "sla_due_at"]
            )
            TicketEvent.objects.create(
                ticket=ticket,
                kind=TicketEvent.Kind.WOKE,
                at=now,
                actor_name=source,
                data={"reason": "time"},
            )
            woke += 1
    return woke


def tickets_claim_sla_breaches() -> list[int]:
    """Mark newly breached tickets as notified (compare-and-set) and return their ids.

    Each breach is claimed once, so two overlapping checks never notify it twice.
    """
    now = timezone.now()
    candidates = list(
        Ticket.objects.filter(sla_breached_q(now), sla_breach_notified_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)[:5000]
    )
    claimed = []
    for pk in candidates:
        if Ticket.objects.filter(pk=pk, sla_breach_notified_at__isnull=True).update(
            sla_breach_notified_at=now
        ):
            claimed.append(pk)
    return claimed

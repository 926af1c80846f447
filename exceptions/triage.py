"""Triage actions: what people do to a ticket (acknowledge, assign, comment, snooze,
resolve, retry). Each is a compare-and-set on the locked ticket that writes its history event
in the same transaction, and takes an idempotency key so a double submit acts once."""

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from exceptions.conditions import Condition, context_scrub
from exceptions.models import Ticket, TicketEvent
from exceptions.registry import (
    RetryResult,
    get_type,
    retry_action,
)

logger = logging.getLogger(__name__)

# A retry claim older than this is from a worker that died; another retry may take over.
RETRY_CLAIM_EXPIRES = timedelta(minutes=15)


class TicketActionError(Exception):
    """The action cannot be done on this ticket (e.g. no retry action for its type)."""


# --- Triage actions ---------------------------------------------------------------------------


def _act(
    *,
    ticket: Ticket,
    actor,
    key: str | None,
    kind: str,
    change: Callable[[Ticket, datetime], list[str] | None],
    note: str = "",
    data: dict | None = None,
) -> bool:
    """Apply ``change`` to the locked ticket and write its event, atomically, once per key.

    ``change`` returns the fields it changed, or None when the action does not apply to the
    ticket's current state (acknowledging a resolved ticket): then nothing is written.
    A second submit of the same form (same ``key``) finds the first one's event and does
    nothing; ``ticket`` is refreshed from the database either way.
    """
    now = timezone.now()
    try:
        with transaction.atomic():
            if key and TicketEvent.objects.filter(idempotency_key=key).exists():
                acted = False
            else:
                locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
                fields = change(locked, now)
                acted = fields is not None
                if acted:
                    if fields:
                        locked.save(update_fields=fields)
                    TicketEvent.objects.create(
                        ticket=locked,
                        kind=kind,
                        at=now,
                        actor=actor,
                        note=note,
                        data=data or {},
                        idempotency_key=key or None,
                    )
    except IntegrityError:
        # Two submits of one form raced; the other one acted.
        if key and TicketEvent.objects.filter(idempotency_key=key).exists():
            acted = False
        else:
            raise
    ticket.refresh_from_db()
    return acted


def ticket_acknowledge(*, ticket: Ticket, actor, key: str | None = None) -> bool:
    def change(locked, now):
        if locked.status != Ticket.Status.OPEN:
            return None
        locked.status = Ticket.Status.ACKNOWLEDGED
        locked.acknowledged_at = now
        locked.sla_due_at = locked.next_deadline()
        # The next deadline is a new one: its breach is announced again.
        locked.sla_breach_notified_at = None
        return ["status", "acknowledged_at", "sla_due_at", "sla_breach_notified_at"]

    return _act(
        ticket=ticket, actor=actor, key=key, kind=TicketEvent.Kind.ACKNOWLEDGED, change=change
    )


def ticket_assign(*, ticket: Ticket, actor, assignee, key: str | None = None) -> bool:
    """Assign an active ticket (``assignee=None`` unassigns)."""
    previous = ticket.assignee.get_username() if ticket.assignee_id else None

    def change(locked, now):
        if not locked.is_active or locked.assignee_id == (assignee.pk if assignee else None):
            return None
        locked.assignee = assignee
        return ["assignee"]

    data = {"assignee": assignee.get_username() if assignee else None, "previous": previous}
    return _act(
        ticket=ticket,
        actor=actor,
        key=key,
        kind=TicketEvent.Kind.ASSIGNED,
        change=change,
        data=data,
    )


def ticket_comment(*, ticket: Ticket, actor, note: str, key: str | None = None) -> bool:
    if not note.strip():
        raise TicketActionError("A comment needs text.")
    return _act(
        ticket=ticket,
        actor=actor,
        key=key,
        kind=TicketEvent.Kind.COMMENTED,
        change=lambda locked, now: [],
        note=note.strip(),
    )


def ticket_snooze(
    *,
    ticket: Ticket,
    actor,
    until: datetime,
    wake_after_occurrences: int | None = None,
    note: str = "",
    key: str | None = None,
) -> bool:
    """Snooze until ``until``; also wake when ``wake_after_occurrences`` more occurrences come."""
    if until <= timezone.now():
        raise TicketActionError("Snooze until a time in the future.")

    def change(locked, now):
        if not locked.is_active:
            return None
        locked.status = Ticket.Status.SNOOZED
        locked.snoozed_until = until
        locked.snooze_wake_occurrences = (
            locked.occurrences + wake_after_occurrences if wake_after_occurrences else None
        )
        locked.sla_due_at = locked.next_deadline()
        return ["status", "snoozed_until", "snooze_wake_occurrences", "sla_due_at"]

    data = {"until": until.isoformat(), "wake_after_occurrences": wake_after_occurrences}
    return _act(
        ticket=ticket,
        actor=actor,
        key=key,
        kind=TicketEvent.Kind.SNOOZED,
        change=change,
        note=note,
        data=data,
    )


def _resolve(locked: Ticket, now: datetime) -> list[str] | None:
    if not locked.is_active:
        return None
    locked.status = Ticket.Status.RESOLVED
    locked.resolved_at = now
    locked.snoozed_until = None
    locked.snooze_wake_occurrences = None
    locked.sla_due_at = None
    return ["status", "resolved_at", "snoozed_until", "snooze_wake_occurrences", "sla_due_at"]


def ticket_resolve(*, ticket: Ticket, actor, note: str, key: str | None = None) -> bool:
    """Resolve by hand, saying why; the condition coming back reopens it as a regression."""
    if not note.strip():
        raise TicketActionError("Say how it was resolved.")
    return _act(
        ticket=ticket,
        actor=actor,
        key=key,
        kind=TicketEvent.Kind.RESOLVED,
        change=_resolve,
        note=note.strip(),
    )


def ticket_resolve_for(*, condition: Condition, actor, note: str) -> bool:
    """A person settled this condition elsewhere (e.g. finance explained a discrepancy):
    resolve its active ticket, if there is one, as ``ticket_resolve`` would."""
    ticket = Ticket.objects.filter(
        fingerprint=condition.fingerprint, status__in=Ticket.ACTIVE
    ).first()
    if ticket is None:
        return False
    return ticket_resolve(ticket=ticket, actor=actor, note=note)


def ticket_retry(*, ticket: Ticket, actor, key: str | None = None) -> RetryResult | None:
    """Run the type's retry action for this ticket and write the outcome to its history.

    The action runs outside any transaction (it calls external APIs) and re-derives the unit
    from current state. A claim on the ticket (``retry_started_at``) makes a double click run
    it once; None means the retry was not run (already running, already done, or closed).
    Success resolves the ticket.
    """
    action = retry_action(ticket.type)
    if action is None:
        raise TicketActionError(f"{get_type(ticket.type).title} tickets cannot be retried.")
    if key and TicketEvent.objects.filter(idempotency_key=key).exists():
        return None
    now = timezone.now()
    claimed = (
        Ticket.objects.filter(pk=ticket.pk, status__in=Ticket.ACTIVE)
        .filter(
            Q(retry_started_at__isnull=True) | Q(retry_started_at__lt=now - RETRY_CLAIM_EXPIRES)
        )
        .update(retry_started_at=now)
    )
    if claimed != 1:
        return None
    ticket.refresh_from_db()
    try:
        result = action(ticket)
    except Exception as error:
        # The action is engine code calling external systems: whatever it raises is this
        # retry's outcome, recorded on the ticket for the person who pressed the button.
        logger.exception("retry action for ticket %s failed", ticket.pk)
        result = RetryResult(ok=False, message=context_scrub(f"{type(error).__name__}: {error}"))
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        locked.retry_started_at = None
        fields = ["retry_started_at"]
        now = timezone.now()
        TicketEvent.objects.create(
            ticket=locked,
            kind=TicketEvent.Kind.RETRIED,
            at=now,
            actor=actor,
            note=context_scrub(result.message),
            data={"ok": result.ok, **context_scrub(result.data or {})},
            idempotency_key=key or None,
        )
        if result.ok:
            resolved = _resolve(locked, now)
            if resolved is not None:
                fields += resolved
                TicketEvent.objects.create(
                    ticket=locked,
                    kind=TicketEvent.Kind.RESOLVED,
                    at=now,
                    actor=actor,
                    note="Retry succeeded.",
                )
        locked.save(update_fields=fields)
    ticket.refresh_from_db()
    return result

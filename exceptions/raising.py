"""Raising and clearing conditions: what engines call. Each call writes the tickets'
history events in the same transaction as the change.

``ticket_raise`` / ``ticket_clear`` take one condition, ``tickets_raise_many`` /
``tickets_clear_many`` a whole run (on PostgreSQL one round of queries whatever its size:
each lookup takes its fingerprints or ids as one array, ``centra_ip.lookups.any_of``), and
``tickets_settle`` is the step an engine ends with. All are safe under concurrency: the
database allows one active ticket per fingerprint, a raiser that loses the race gets an
``IntegrityError``, rolls back its savepoint and tries again, finding the winner's ticket to
count on.
"""

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from centra_ip.heap import without_collector
from centra_ip.lookups import any_of, in_chunks
from exceptions.conditions import Condition, context_store
from exceptions.models import Ticket, TicketEvent
from exceptions.notifications import tickets_notify
from exceptions.overrides import effective_type, overrides_load
from exceptions.registry import get_type
from exceptions.writes import (
    events_insert,
    rows_insert,
    ticket_new,
    tickets_state_write,
)

logger = logging.getLogger(__name__)

# Repeats of an active condition are counted on the ticket at every raise, but written to
# the history at most this often, or an engine re-raising every few minutes would bury the
# human events under thousands of "raised again" lines.
RAISE_LOG_INTERVAL = timedelta(hours=1)

_RACE_ATTEMPTS = 3


# --- Raising and clearing ---------------------------------------------------------------------


@dataclass
class RaiseOutcome:
    """What one raise call did; ``tickets`` maps each fingerprint to its (active) ticket."""

    tickets: dict[str, Ticket] = field(default_factory=dict)
    created: list[Ticket] = field(default_factory=list)
    regressed: list[Ticket] = field(default_factory=list)
    counted: list[Ticket] = field(default_factory=list)
    woke: list[Ticket] = field(default_factory=list)


def _locked_by_fingerprint(fingerprints: list[str], statuses) -> dict[str, Ticket]:
    """Lock and return the newest ticket in ``statuses`` for each fingerprint. Active and
    closed are asked apart: the active ones are found in the small partial unique index
    (200,000 of 1,000,000 tickets in the bench), not in the index of every ticket."""
    found: dict[str, Ticket] = {}
    for chunk in in_chunks(fingerprints):
        rows = (
            Ticket.objects.select_for_update()
            .filter(any_of("fingerprint", chunk), status__in=statuses)
            .order_by("fingerprint", "-id")
        )
        for ticket in rows:
            found.setdefault(ticket.fingerprint, ticket)
    return found


def _wake_reason(ticket: Ticket, now: datetime, *, cause_changed: bool = False) -> str | None:
    if ticket.status != Ticket.Status.SNOOZED:
        return None
    if ticket.snoozed_until and ticket.snoozed_until <= now:
        return "time"
    if ticket.snooze_wake_occurrences and ticket.occurrences >= ticket.snooze_wake_occurrences:
        return "occurrences"
    if cause_changed:
        return "cause changed"
    return None


def _facts_changed(before: str, after: str) -> bool:
    """Whether a re-occurrence says something new: its summary differs beyond its numbers
    ("no success since 20 min ago" -> "25 min ago" is the same cause; "IP answered 503" ->
    "held by the guard: 2138 SKUs would go to zero" is a different one)."""
    if not after:
        return False
    return re.sub(r"\d+", "#", before) != re.sub(r"\d+", "#", after[:300])


def ticket_wake(ticket: Ticket) -> None:
    """Wake a snoozed ticket in memory (the caller saves): back to acknowledged or open,
    with its SLA deadline running again."""
    ticket.status = Ticket.Status.ACKNOWLEDGED if ticket.acknowledged_at else Ticket.Status.OPEN
    ticket.snoozed_until = None
    ticket.snooze_wake_occurrences = None
    ticket.sla_due_at = ticket.next_deadline()


def _raise_batch(pending: dict[str, tuple[Condition, int]], source: str) -> RaiseOutcome:
    now = timezone.now()
    outcome = RaiseOutcome()
    events: list[tuple] = []  # (ticket, kind, note, data): new tickets get their pk below
    fingerprints = list(pending)
    overrides = overrides_load({condition.type_code for condition, _ in pending.values()})

    def event(ticket, kind, note="", **data):
        events.append((ticket, kind, note, data))

    found = _locked_by_fingerprint(fingerprints, Ticket.ACTIVE)
    rest = [fp for fp in fingerprints if fp not in found]
    found |= _locked_by_fingerprint(rest, Ticket.CLOSED)
    new: list[Ticket] = []
    touched: list[Ticket] = []  # rows are locked: their state here is what gets written
    for fp, (condition, count) in pending.items():
        context = context_store(condition.context)
        ticket = found.get(fp)
        if ticket is None:
            kind = effective_type(condition.type_code, overrides)
            new.append(
                ticket_new(
                    type=condition.type_code,
                    fingerprint=fp,
                    severity=kind.severity,
                    summary=condition.summary[:300],
                    team=kind.team,
                    first_seen=now,
                    last_seen=now,
                    occurrences=count,
                    context=context,
                    acknowledge_due_at=now + kind.acknowledge_within,
                    resolve_due_at=now + kind.resolve_within,
                    sla_due_at=now + kind.acknowledge_within,
                    raise_logged_at=now,
                    **condition.subject,
                )
            )
            continue
        changed = _facts_changed(ticket.summary, condition.summary)
        previous_summary = ticket.summary
        ticket.occurrences += count
        ticket.last_seen = now
        ticket.context = context
        ticket.summary = condition.summary[:300] or ticket.summary
        touched.append(ticket)
        if ticket.is_active:
            reason = _wake_reason(ticket, now, cause_changed=changed)
            if reason:
                ticket_wake(ticket)
                event(ticket, TicketEvent.Kind.WOKE, reason=reason, occurrences=ticket.occurrences)
                outcome.woke.append(ticket)
            if changed:
                # a re-occurrence with new facts is always in the history, whatever the
                # interval: the timeline must show what the ticket absorbed
                ticket.raise_logged_at = now
                event(
                    ticket,
                    TicketEvent.Kind.RAISED_AGAIN,
                    note=ticket.summary,
                    occurrences=ticket.occurrences,
                    previous_summary=previous_summary,
                )
            elif now - ticket.raise_logged_at >= RAISE_LOG_INTERVAL:
                ticket.raise_logged_at = now
                event(ticket, TicketEvent.Kind.RAISED_AGAIN, occurrences=ticket.occurrences)
            outcome.counted.append(ticket)
        else:
            kind = effective_type(condition.type_code, overrides)
            event(
                ticket,
                TicketEvent.Kind.REOPENED_REGRESSION,
                note=condition.summary[:300],
                previous_status=ticket.status,
                resolved_at=ticket.resolved_at.isoformat() if ticket.resolved_at else None,
            )
            ticket.status = Ticket.Status.OPEN
            ticket.regressions += 1
            ticket.team = kind.team
            ticket.severity = kind.severity
            ticket.acknowledged_at = None
            ticket.resolved_at = None
            ticket.snoozed_until = None
            ticket.snooze_wake_occurrences = None
            ticket.acknowledge_due_at = now + kind.acknowledge_within
            ticket.resolve_due_at = now + kind.resolve_within
            ticket.sla_due_at = ticket.acknowledge_due_at
            ticket.sla_breach_notified_at = None
            ticket.retry_started_at = None
            ticket.raise_logged_at = now
            outcome.regressed.append(ticket)
        outcome.tickets[fp] = ticket

    tickets_state_write(touched)
    rows_insert(Ticket, new)
    for ticket in new:
        event(ticket, TicketEvent.Kind.RAISED, note=ticket.summary, occurrences=ticket.occurrences)
        outcome.tickets[ticket.fingerprint] = ticket
    outcome.created = new
    events_insert([(t.pk, kind, now, source, note, data) for t, kind, note, data in events])
    return outcome


# An engine run's 10,000 tickets and their rows form no reference cycles, but as they are
# built the cyclic collector walks the heap again and again: 0.1-0.3 s of each 10,000-condition
# step (bench_ticket_queue, A/B on the same load). Paused for the call, as the stock engine.
@without_collector
def tickets_raise_many(conditions: Iterable[Condition], *, source: str) -> RaiseOutcome:
    """Raise many conditions at once (an engine run); ``source`` names the raiser in history.

    Conditions with the same fingerprint within the batch count as several occurrences of one.
    New tickets and regressions are notified after the transaction commits.
    """
    pending: dict[str, tuple[Condition, int]] = {}
    for condition in conditions:
        fp = condition.fingerprint
        count = pending[fp][1] + 1 if fp in pending else 1
        pending[fp] = (condition, count)
    if not pending:
        return RaiseOutcome()
    for attempt in range(_RACE_ATTEMPTS):
        try:
            with transaction.atomic():
                outcome = _raise_batch(pending, source)
            break
        except IntegrityError:
            # Another worker opened (or reopened) one of these fingerprints between our read
            # and our write; its ticket is visible now, so the next attempt counts on it.
            if attempt == _RACE_ATTEMPTS - 1:
                raise
            logger.info("ticket raise lost a race, retrying (attempt %s)", attempt + 1)
    _notify_on_commit(outcome)
    return outcome


def ticket_raise(
    *,
    type_code: str,
    source: str,
    sku: str = "",
    order_number: str = "",
    return_id: str = "",
    stream: str = "",
    warehouse: str = "",
    context: dict | None = None,
    summary: str = "",
) -> Ticket:
    """Raise one condition: open a ticket, count on the active one, or reopen a closed one."""
    condition = Condition(
        type_code=type_code,
        sku=sku,
        order_number=order_number,
        return_id=return_id,
        stream=stream,
        warehouse=warehouse,
        context=context or {},
        summary=summary,
    )
    outcome = tickets_raise_many([condition], source=source)
    return outcome.tickets[condition.fingerprint]


def _notify_on_commit(outcome: RaiseOutcome) -> None:
    """Announce new tickets and regressions once the raise is committed (never for a rolled
    back one). Delivery runs in the raising process, not as a queued task: engines already
    run as tasks, a batch is one message per team, channels have short timeouts and every
    failure is recorded instead of raised, so the engine loses seconds at worst."""

    created = [ticket.pk for ticket in outcome.created]
    regressed = [ticket.pk for ticket in outcome.regressed]
    if created:
        transaction.on_commit(lambda: tickets_notify(ticket_ids=created, reason="new"))
    if regressed:
        transaction.on_commit(lambda: tickets_notify(ticket_ids=regressed, reason="regression"))


@without_collector
def tickets_clear_many(conditions: Iterable[Condition], *, source: str, note: str = "") -> int:
    """The engine saw these conditions clear: auto-resolve their active tickets.

    Returns how many tickets were resolved; clearing a condition with no active ticket is a
    no-op, so engines may clear everything that is fine without asking first.
    """
    fingerprints = list(dict.fromkeys(condition.fingerprint for condition in conditions))
    if not fingerprints:
        return 0
    now = timezone.now()
    with transaction.atomic():
        tickets = list(_locked_by_fingerprint(fingerprints, Ticket.ACTIVE).values())
        events = []
        for ticket in tickets:
            ticket.status = Ticket.Status.AUTO_RESOLVED
            ticket.resolved_at = now
            ticket.snoozed_until = None
            ticket.snooze_wake_occurrences = None
            ticket.sla_due_at = None
            reason = note or get_type(ticket.type).auto_resolves_when
            events.append((ticket.pk, TicketEvent.Kind.AUTO_RESOLVED, now, source, reason, {}))
        for chunk in in_chunks([ticket.pk for ticket in tickets]):
            Ticket.objects.filter(any_of("pk", chunk)).update(
                status=Ticket.Status.AUTO_RESOLVED,
                resolved_at=now,
                snoozed_until=None,
                snooze_wake_occurrences=None,
                sla_due_at=None,
            )
        events_insert(events)
    return len(tickets)


def ticket_clear(
    *,
    type_code: str,
    source: str,
    sku: str = "",
    order_number: str = "",
    return_id: str = "",
    stream: str = "",
    warehouse: str = "",
    note: str = "",
) -> bool:
    """Clear one condition; True when an active ticket was auto-resolved."""
    condition = Condition(
        type_code=type_code,
        sku=sku,
        order_number=order_number,
        return_id=return_id,
        stream=stream,
        warehouse=warehouse,
    )
    return tickets_clear_many([condition], source=source, note=note) == 1

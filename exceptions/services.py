"""Everything that changes a ticket: raising and clearing conditions (engines) and the triage
actions (people). Each service writes the ticket's history event in the same transaction as
the change, so the history can never disagree with the status.

Engines call ``ticket_raise`` / ``ticket_clear`` for one condition, or ``tickets_raise_many``
/ ``tickets_clear_many`` for a whole run (one round of queries per 1,000 conditions instead
of one per condition). Both are safe under concurrency: the database allows one active ticket
per fingerprint, a raiser that loses the race gets an ``IntegrityError``, rolls back its
savepoint and tries again, finding the winner's ticket to count on.
"""

import hashlib
import json
import logging
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from exceptions.models import Ticket, TicketEvent, sla_breached_q
from exceptions.notifications import tickets_notify
from exceptions.overrides import effective_type, overrides_load
from exceptions.registry import (
    ORDER,
    RETURN,
    SKU,
    STREAM,
    WAREHOUSE,
    RetryResult,
    get_type,
    retry_action,
)

logger = logging.getLogger(__name__)

SUBJECT_FIELDS = ("sku", "order_number", "return_id", "stream", "warehouse")
_SUBJECT_FIELD_OF_KIND = {
    SKU: "sku",
    ORDER: "order_number",
    RETURN: "return_id",
    STREAM: "stream",
    WAREHOUSE: "warehouse",
}
# Repeats of an active condition are counted on the ticket at every raise, but written to
# the history at most this often, or an engine re-raising every few minutes would bury the
# human events under thousands of "raised again" lines.
RAISE_LOG_INTERVAL = timedelta(hours=1)
# A retry claim older than this is from a worker that died; another retry may take over.
RETRY_CLAIM_EXPIRES = timedelta(minutes=15)
MAX_CONTEXT_CHARS = 20_000
_CHUNK = 1000
_RACE_ATTEMPTS = 3


class TicketActionError(Exception):
    """The action cannot be done on this ticket (e.g. no retry action for its type)."""


# --- Conditions and fingerprints --------------------------------------------------------------


def _clean(value) -> str:
    return " ".join(str(value or "").split())


@dataclass
class Condition:
    """One condition an engine saw: a type, a subject and what the engine saw (``context``)."""

    type_code: str
    sku: str = ""
    order_number: str = ""
    return_id: str = ""
    stream: str = ""
    warehouse: str = ""
    context: dict = field(default_factory=dict)
    summary: str = ""

    def __post_init__(self):
        declared = get_type(self.type_code)
        for name in SUBJECT_FIELDS:
            setattr(self, name, _clean(getattr(self, name)))
        required = _SUBJECT_FIELD_OF_KIND[declared.subject]
        if not getattr(self, required):
            raise ValueError(f"A {self.type_code} condition needs its subject field {required!r}")

    @property
    def subject(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in SUBJECT_FIELDS}

    @property
    def fingerprint(self) -> str:
        return fingerprint_for(self.type_code, self.subject)


def fingerprint_for(type_code: str, subject: dict[str, str]) -> str:
    """Type plus the normalised subject (whitespace collapsed, case folded), hashed.

    Case is folded because the same SKU arrives as "abc-1" from one system and "ABC-1" from
    the other; two real SKUs differing only by case would be a catalog problem of its own.
    """
    parts = [type_code] + [
        f"{name}={_clean(subject.get(name)).casefold()}" for name in SUBJECT_FIELDS
    ]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


# --- Context scrubbing ------------------------------------------------------------------------

_SECRET_KEY = re.compile(
    r"token|password|passwd|secret|authorization|api[_-]?key|cookie|credential|signature", re.I
)
_BEARER = re.compile(r"(bearer|basic)\s+[A-Za-z0-9._~+/=-]+", re.I)
REDACTED = "[redacted]"


def context_scrub(value):
    """A copy of ``value`` safe to store and show: secret-looking keys and bearer/basic
    credentials inside strings are replaced, anything not JSON-native becomes its text."""
    if isinstance(value, dict):
        return {
            str(key): REDACTED if _SECRET_KEY.search(str(key)) else context_scrub(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple | set):
        return [context_scrub(item) for item in value]
    if isinstance(value, str):
        return _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", value)
    if value is None or isinstance(value, bool | int | float):
        return value
    return context_scrub(json.loads(json.dumps(value, cls=DjangoJSONEncoder, default=str)))


def _context_store(context: dict) -> dict:
    clean = context_scrub(context or {})
    text = json.dumps(clean, cls=DjangoJSONEncoder)
    if len(text) > MAX_CONTEXT_CHARS:
        return {"truncated": True, "excerpt": text[:MAX_CONTEXT_CHARS]}
    return clean


# --- Raising and clearing ---------------------------------------------------------------------


@dataclass
class RaiseOutcome:
    """What one raise call did; ``tickets`` maps each fingerprint to its (active) ticket."""

    tickets: dict[str, Ticket] = field(default_factory=dict)
    created: list[Ticket] = field(default_factory=list)
    regressed: list[Ticket] = field(default_factory=list)
    counted: list[Ticket] = field(default_factory=list)
    woke: list[Ticket] = field(default_factory=list)


def _chunks(items: list, size: int = _CHUNK):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _locked_by_fingerprint(fingerprints: list[str], statuses) -> dict[str, Ticket]:
    """Lock and return the newest ticket in ``statuses`` for each fingerprint."""
    found: dict[str, Ticket] = {}
    for chunk in _chunks(fingerprints):
        rows = (
            Ticket.objects.select_for_update()
            .filter(fingerprint__in=chunk, status__in=statuses)
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


def _wake(ticket: Ticket) -> None:
    ticket.status = Ticket.Status.ACKNOWLEDGED if ticket.acknowledged_at else Ticket.Status.OPEN
    ticket.snoozed_until = None
    ticket.snooze_wake_occurrences = None
    ticket.sla_due_at = ticket.next_deadline()


def _contexts_write(rows: list[tuple[int, dict, str]]) -> None:
    """Set each ticket's own context and summary: one ``UPDATE ... FROM (VALUES ...)`` per
    1,000 tickets. ``bulk_update`` builds a CASE per row and field, which takes tens of
    seconds for the 10,000 conditions of one engine run; this takes well under one."""
    table = connection.ops.quote_name(Ticket._meta.db_table)
    if connection.vendor == "postgresql":
        row_sql = "(%s::bigint, %s::jsonb, %s::varchar)"
    else:
        row_sql = "(%s, %s, %s)"
    with connection.cursor() as cursor:
        for chunk in _chunks(rows):
            params = []
            for pk, context, summary in chunk:
                params += [pk, json.dumps(context, cls=DjangoJSONEncoder), summary]
            # Only the table name and placeholders are formatted in; every value is a parameter.
            values = ", ".join([row_sql] * len(chunk))
            sql = f"WITH v(id, context, summary) AS (VALUES {values}) UPDATE {table} "
            sql += f"SET context = v.context, summary = v.summary FROM v WHERE {table}.id = v.id"
            cursor.execute(sql, params)


# What waking writes, by the status a ticket wakes to (see ``_wake``).
_WAKE_UPDATES = {
    Ticket.Status.OPEN: {
        "status": Ticket.Status.OPEN,
        "snoozed_until": None,
        "snooze_wake_occurrences": None,
        "sla_due_at": F("acknowledge_due_at"),
    },
    Ticket.Status.ACKNOWLEDGED: {
        "status": Ticket.Status.ACKNOWLEDGED,
        "snoozed_until": None,
        "snooze_wake_occurrences": None,
        "sla_due_at": F("resolve_due_at"),
    },
}


def _update_in_chunks(pks: list[int], **values) -> None:
    for chunk in _chunks(pks):
        Ticket.objects.filter(pk__in=chunk).update(**values)


def _raise_batch(pending: dict[str, tuple[Condition, int]], source: str) -> RaiseOutcome:
    now = timezone.now()
    outcome = RaiseOutcome()
    events: list[TicketEvent] = []
    fingerprints = list(pending)
    overrides = overrides_load({condition.type_code for condition, _ in pending.values()})

    def event(ticket, kind, note="", **data):
        events.append(
            TicketEvent(ticket=ticket, kind=kind, at=now, actor_name=source, note=note, data=data)
        )

    active = _locked_by_fingerprint(fingerprints, Ticket.ACTIVE)
    closed = _locked_by_fingerprint([fp for fp in fingerprints if fp not in active], Ticket.CLOSED)
    new: list[Ticket] = []
    # Rows are locked, so the values computed here are what the set-based updates write.
    increments: dict[int, list[int]] = defaultdict(list)  # occurrences added -> ticket ids
    logged: list[int] = []
    woke_to: dict[str, list[int]] = defaultdict(list)
    reopened: dict[str, list[int]] = defaultdict(list)  # type code -> ticket ids
    contexts: list[tuple[int, dict, str]] = []
    for fp, (condition, count) in pending.items():
        context = _context_store(condition.context)
        ticket = active.get(fp) or closed.get(fp)
        if ticket is None:
            kind = effective_type(condition.type_code, overrides)
            new.append(
                Ticket(
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
        increments[count].append(ticket.pk)
        contexts.append((ticket.pk, ticket.context, ticket.summary))
        if fp in active:
            reason = _wake_reason(ticket, now, cause_changed=changed)
            if reason:
                _wake(ticket)
                woke_to[ticket.status].append(ticket.pk)
                event(ticket, TicketEvent.Kind.WOKE, reason=reason, occurrences=ticket.occurrences)
                outcome.woke.append(ticket)
            if changed:
                # a re-occurrence with new facts is always in the history, whatever the
                # interval: the timeline must show what the ticket absorbed
                ticket.raise_logged_at = now
                logged.append(ticket.pk)
                event(
                    ticket,
                    TicketEvent.Kind.RAISED_AGAIN,
                    note=ticket.summary,
                    occurrences=ticket.occurrences,
                    previous_summary=previous_summary,
                )
            elif now - ticket.raise_logged_at >= RAISE_LOG_INTERVAL:
                ticket.raise_logged_at = now
                logged.append(ticket.pk)
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
            logged.append(ticket.pk)
            reopened[condition.type_code].append(ticket.pk)
            outcome.regressed.append(ticket)
        outcome.tickets[fp] = ticket

    for count, pks in increments.items():
        _update_in_chunks(pks, occurrences=F("occurrences") + count, last_seen=now)
    _update_in_chunks(logged, raise_logged_at=now)
    for status, pks in woke_to.items():
        _update_in_chunks(pks, **_WAKE_UPDATES[status])
    for type_code, pks in reopened.items():
        kind = effective_type(type_code, overrides)
        _update_in_chunks(
            pks,
            status=Ticket.Status.OPEN,
            regressions=F("regressions") + 1,
            team=kind.team,
            severity=kind.severity,
            acknowledged_at=None,
            resolved_at=None,
            snoozed_until=None,
            snooze_wake_occurrences=None,
            acknowledge_due_at=now + kind.acknowledge_within,
            resolve_due_at=now + kind.resolve_within,
            sla_due_at=now + kind.acknowledge_within,
            sla_breach_notified_at=None,
            retry_started_at=None,
        )
    _contexts_write(contexts)
    Ticket.objects.bulk_create(new, batch_size=500)
    for ticket in new:
        event(ticket, TicketEvent.Kind.RAISED, note=ticket.summary, occurrences=ticket.occurrences)
        outcome.tickets[ticket.fingerprint] = ticket
    outcome.created = new
    TicketEvent.objects.bulk_create(events, batch_size=1000)
    return outcome


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
            events.append(
                TicketEvent(
                    ticket=ticket,
                    kind=TicketEvent.Kind.AUTO_RESOLVED,
                    at=now,
                    actor_name=source,
                    note=note or get_type(ticket.type).auto_resolves_when,
                )
            )
        _update_in_chunks(
            [ticket.pk for ticket in tickets],
            status=Ticket.Status.AUTO_RESOLVED,
            resolved_at=now,
            snoozed_until=None,
            snooze_wake_occurrences=None,
            sla_due_at=None,
        )
        TicketEvent.objects.bulk_create(events, batch_size=1000)
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


@dataclass
class SettleOutcome:
    raised: RaiseOutcome
    cleared: int


def tickets_settle(
    *,
    type_codes: Iterable[str],
    holding: Iterable[Condition],
    source: str,
    keep: Callable[[Condition], bool] | None = None,
    note: str = "",
) -> SettleOutcome:
    """The step every engine ends with: raise what holds, clear what no longer does.

    Every condition in ``holding`` is raised; every other active ticket of ``type_codes``
    is auto-resolved, unless ``keep`` (given the ticket's condition: its type and subject)
    says it still holds although this run did not see it. ``note`` goes to the cleared
    tickets' history (default: the type's "resolves when").
    """
    holding = list(holding)
    raised = tickets_raise_many(holding, source=source)
    still = {condition.fingerprint for condition in holding}
    stale = []
    for type_code, *subject in Ticket.objects.filter(
        type__in=list(type_codes), status__in=Ticket.ACTIVE
    ).values_list("type", *SUBJECT_FIELDS):
        subject = dict(zip(SUBJECT_FIELDS, subject, strict=True))
        condition = Condition(type_code=type_code, **subject)
        if condition.fingerprint in still or (keep is not None and keep(condition)):
            continue
        stale.append(condition)
    return SettleOutcome(raised, tickets_clear_many(stale, source=source, note=note))


def tickets_active_subjects(type_code: str, *fields: str) -> set[tuple[str, ...]]:
    """The subject fields (e.g. SKU and warehouse) of a type's active tickets: an engine
    that clears as it goes clears only these, rather than a condition per row it saw."""
    return set(Ticket.objects.filter(type=type_code, status__in=Ticket.ACTIVE).values_list(*fields))


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
            _wake(ticket)
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

"""Everything that changes a ticket, in one import: engines and views import from here.

The services live by role, each in its own module:

- ``exceptions.conditions``: what an engine saw (``Condition``), fingerprints, scrubbing;
- ``exceptions.raising``: raising and clearing conditions (engines);
- ``exceptions.settling``: ``tickets_settle``, the step each engine run ends with;
- ``exceptions.triage``: what people do to a ticket (acknowledge ... retry);
- ``exceptions.timers``: what the scheduled tasks do (wake snoozed, claim SLA breaches).

Each writes the ticket's history event in the same transaction as the change, so the
history can never disagree with the status.
"""

from exceptions.conditions import (
    MAX_CONTEXT_CHARS,
    REDACTED,
    SUBJECT_FIELDS,
    Condition,
    context_scrub,
    context_store,
    fingerprint_for,
)
from exceptions.models import sla_breached_q
from exceptions.raising import (
    RAISE_LOG_INTERVAL,
    RaiseOutcome,
    ticket_clear,
    ticket_raise,
    ticket_wake,
    tickets_clear_many,
    tickets_raise_many,
)
from exceptions.settling import SettleOutcome, tickets_active_subjects, tickets_settle
from exceptions.timers import (
    tickets_claim_sla_breaches,
    tickets_wake_due,
)
from exceptions.triage import (
    RETRY_CLAIM_EXPIRES,
    TicketActionError,
    ticket_acknowledge,
    ticket_assign,
    ticket_comment,
    ticket_resolve,
    ticket_resolve_for,
    ticket_retry,
    ticket_snooze,
)

__all__ = [
    "MAX_CONTEXT_CHARS",
    "RAISE_LOG_INTERVAL",
    "REDACTED",
    "RETRY_CLAIM_EXPIRES",
    "SUBJECT_FIELDS",
    "Condition",
    "RaiseOutcome",
    "SettleOutcome",
    "TicketActionError",
    "context_scrub",
    "context_store",
    "fingerprint_for",
    "sla_breached_q",
    "ticket_acknowledge",
    "ticket_assign",
    "ticket_clear",
    "ticket_comment",
    "ticket_raise",
    "ticket_resolve",
    "ticket_resolve_for",
    "ticket_retry",
    "ticket_snooze",
    "ticket_wake",
    "tickets_active_subjects",
    "tickets_claim_sla_breaches",
    "tickets_clear_many",
    "tickets_raise_many",
    "tickets_settle",
    "tickets_wake_due",
]

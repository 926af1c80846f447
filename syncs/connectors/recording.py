"""How connectors report their calls without knowing about the database.

A client takes a ``recorder`` callable and hands it one ``CallRecord`` per logical call
(after its retries). The Django side (``syncs.services.external_call_record``) stores it
as an ``ExternalCall`` row; tests may collect records in a list. A record never carries
headers, tokens or full URLs with query strings: only what an operator needs.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class CallRecord:
    system: str  # "centra" | "inventory_planner" | "wms"
    operation: str  # e.g. "query orders", "mutation setStock", "GET /variants"
    started_at: datetime
    duration_ms: int
    outcome: str  # "ok" | "retryable_error" | "permanent_error"
    status_code: int | None = None
    retries: int = 0
    error: str = ""
    throttled: int = 0  # attempts answered "too many requests" (429), absorbed or not
    longest_wait_ms: int = 0  # the longest wait before a retry


Recorder = Callable[[CallRecord], None]


class AttemptTally:
    """What a call's attempts went through, for its one record: how many were throttled
    and the longest wait before a retry (a 429 storm absorbed by retries is otherwise
    invisible: the call ends "ok")."""

    def __init__(self):
        self.throttled = 0
        self.longest_wait = 0.0

    def note(self, *, throttled: bool, wait: float = 0.0) -> float:
        """Count one failed attempt; returns ``wait`` so the caller can sleep on it."""
        self.throttled += int(throttled)
        self.longest_wait = max(self.longest_wait, wait)
        return wait

    @property
    def fields(self) -> dict:
        return {"throttled": self.throttled, "longest_wait_ms": int(self.longest_wait * 1000)}


def call_record(
    *,
    system: str,
    operation: str,
    started_at: datetime,
    duration_ms: int,
    status_code: int | None,
    retries: int,
    tally: AttemptTally,
    error=None,
    note: str = "",
) -> CallRecord:
    """The record of one call, from how it ended: ``error``, the final ``ConnectorError``
    (its ``retryable`` flag names the outcome, its ``message`` is the error), or an answer
    with a ``note`` of the errors it carried (a mutation's userErrors: a permanent error
    although the call itself went through). Every connector records through this, so the
    outcomes mean the same for every system."""
    if error is not None:
        outcome = "retryable_error" if error.retryable else "permanent_error"
        text = error.message
    else:
        outcome = "permanent_error" if note else "ok"
        text = note
    return CallRecord(
        system=system,
        operation=operation,
        started_at=started_at,
        duration_ms=duration_ms,
        outcome=outcome,
        status_code=status_code,
        retries=retries,
        error=text,
        **tally.fields,
    )


def discard(record: CallRecord) -> None:
    """The default recorder: drop the record."""

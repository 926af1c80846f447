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
    system: str  # "centra" | "inventory_planner"
    operation: str  # e.g. "query orders", "mutation setStock", "GET /variants"
    started_at: datetime
    duration_ms: int
    outcome: str  # "ok" | "retryable_error" | "permanent_error"
    status_code: int | None = None
    retries: int = 0
    error: str = ""


Recorder = Callable[[CallRecord], None]


def discard(record: CallRecord) -> None:
    """The default recorder: drop the record."""

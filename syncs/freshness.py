"""How fresh each stream's data is, and the watchdog that turns staleness into tickets.

Only streams with an engine count: a stream that does not exist yet is not "late". The
same reading feeds the banner on every page, /healthz, /metrics and the watchdog, so they
can never disagree.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from syncs import engines
from syncs.models import SyncRun
from syncs.services import stream_last_successes
from syncs.streams import STREAMS, Stream

FRESH, AMBER, RED = "fresh", "amber", "red"


@dataclass(frozen=True)
class Freshness:
    stream: Stream
    last_success: datetime | None
    age: timedelta | None
    level: str  # fresh | amber | red

    @property
    def age_text(self) -> str:
        if self.age is None:
            return "never"
        minutes = int(self.age.total_seconds() // 60)
        if minutes < 1:
            return "just now"
        if minutes < 120:
            return f"{minutes} min ago"
        return f"{minutes // 60} h ago"


def stream_freshness(now: datetime | None = None) -> list[Freshness]:
    """One reading per stream that has an engine, in STREAMS order (one query)."""
    now = now or timezone.now()
    last = stream_last_successes()
    readings = []
    for stream in STREAMS:
        if stream.code not in engines.ENGINES:
            continue
        finished = last[stream.code]
        age = None if finished is None else now - finished
        amber = stream.late_after * settings.FRESHNESS_AMBER_FACTOR
        red = stream.late_after * settings.FRESHNESS_RED_FACTOR
        if age is None or age > red:
            level = RED
        elif age > amber:
            level = AMBER
        else:
            level = FRESH
        readings.append(Freshness(stream, finished, age, level))
    return readings


def _recent_runs_all_failed(stream: str, count: int) -> bool:
    statuses = list(
        SyncRun.objects.filter(stream=stream, dry_run=False)
        .exclude(status=SyncRun.Status.RUNNING)
        .order_by("-started_at", "-pk")
        .values_list("status", flat=True)[:count]
    )
    return len(statuses) == count and all(s == SyncRun.Status.FAILED for s in statuses)


def watchdog_check(now: datetime | None = None) -> dict[str, str]:
    """Raise "stream late" for each late stream and clear it for each healthy one.

    Late: no success within amber time, or the last WATCHDOG_FAILED_RUNS runs all failed.
    A stream that never succeeded is late only once its first run is older than its amber
    time (a fresh install is not late at its first minute).
    """
    from exceptions.services import ticket_clear, ticket_raise

    now = now or timezone.now()
    verdicts = {}
    for reading in stream_freshness(now):
        code = reading.stream.code
        failing = _recent_runs_all_failed(code, settings.WATCHDOG_FAILED_RUNS)
        late = reading.level != FRESH and not _too_new_to_be_late(reading, now)
        if late or failing:
            why = (
                f"the last {settings.WATCHDOG_FAILED_RUNS} runs failed"
                if failing
                else f"no success since {reading.age_text}"
            )
            ticket_raise(
                type_code="stream_late",
                source="watchdog",
                stream=code,
                summary=f"{reading.stream.title}: {why}",
                context={
                    "last_success": reading.last_success.isoformat()
                    if reading.last_success
                    else None,
                    "expected_every": reading.stream.every,
                    "why": why,
                },
            )
            verdicts[code] = "late"
        else:
            ticket_clear(
                type_code="stream_late",
                source="watchdog",
                stream=code,
                note="the stream succeeded again within its cadence",
            )
            verdicts[code] = "ok"
    return verdicts


def _too_new_to_be_late(reading: Freshness, now: datetime) -> bool:
    """Never succeeded, but its first run started less than amber time ago (or none ran:
    the watchdog runs in the same task cluster, so a dead cluster is /healthz's to report)."""
    if reading.last_success is not None:
        return False
    first = SyncRun.objects.filter(stream=reading.stream.code).order_by("started_at").first()
    amber = reading.stream.late_after * settings.FRESHNESS_AMBER_FACTOR
    return first is None or now - first.started_at < amber

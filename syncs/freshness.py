"""How fresh each stream's data is, and the watchdog that turns staleness into tickets.

Every declared stream (``syncs.streams.STREAMS``) is watched. The same reading feeds the
banner on every page, /healthz, /metrics and the watchdog, so they can never disagree.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Max, Min, Q, Sum
from django.utils import timezone

from centra_ip.schedules import NAME_PREFIX
from exceptions.services import ticket_clear, ticket_raise
from syncs import streams
from syncs.models import ExternalCall, SyncRun
from syncs.streams import STOCK, STREAMS, Stream

FRESH, AMBER, RED = "fresh", "amber", "red"

# A stream's state, from its last finished real runs (a dry run sends nothing, so it
# proves nothing about the storefront).
OK, BEHIND, FAILING, HELD, PENDING = "ok", "behind", "failing", "held", "pending"
STATE_TITLES = {
    OK: "OK",
    BEHIND: "Behind",
    FAILING: "Failing",
    HELD: "Held by guard",
    PENDING: "Waiting for first run",
}
# Behind: the last success is older than this many cadences.
BEHIND_CADENCES = 2


@dataclass(frozen=True)
class Freshness:
    stream: Stream
    last_success: datetime | None
    age: timedelta | None
    level: str  # fresh | amber | red
    state: str = OK  # ok | behind | failing | held | pending
    next_run: datetime | None = None  # when a stream that never ran will first run

    @property
    def age_text(self) -> str:
        if self.state == PENDING:
            return f"first run {self.next_run_text}"
        if self.age is None:
            return "never"
        minutes = int(self.age.total_seconds() // 60)
        if minutes < 1:
            return "just now"
        if minutes < 120:
            return f"{minutes} min ago"
        return f"{minutes // 60} h ago"

    @property
    def next_run_text(self) -> str:
        if self.next_run is None or self.next_run <= timezone.now():
            return "due now"
        return f"at {timezone.localtime(self.next_run):%H:%M}"

    @property
    def state_title(self) -> str:
        return STATE_TITLES[self.state]

    @property
    def late(self) -> bool:
        """Late by age alone: no success within the late time. One failed or held run turns
        the banner amber, but is not "late" (for the watchdog's ticket and /healthz): a
        held push and a failed run have tickets of their own."""
        if self.state == PENDING:
            return False
        amber = self.stream.late_after * settings.FRESHNESS_AMBER_FACTOR
        return self.age is None or self.age > amber

    @property
    def stale(self) -> bool:
        """The data this stream keeps up to date is not current: failing, held or behind."""
        return self.state in (BEHIND, FAILING, HELD)

    @property
    def alert(self) -> str:
        """The banner's sentence for a stale stream ("" when it is current): what is wrong
        and since when the data it feeds is stale (the last success)."""
        if not self.stale:
            return ""
        what = "the storefront's stock" if self.stream.code == STOCK else "its data"
        if self.last_success is None:
            since = "has never been updated"
        else:
            since = f"is stale since {timezone.localtime(self.last_success):%H:%M}"
        return f"{self.stream.title}: {self.state_title.lower()}; {what} {since}"


def _run_outcomes() -> dict[str, dict]:
    """Per stream: the last finish of each outcome and the first start, in one query."""
    finished = ~Q(status=SyncRun.Status.RUNNING)
    rows = (
        SyncRun.objects.filter(dry_run=False)
        .values("stream")
        .annotate(
            last_success=Max("finished_at", filter=Q(status=SyncRun.Status.SUCCEEDED)),
            last_failed=Max("finished_at", filter=Q(status=SyncRun.Status.FAILED)),
            last_held=Max("finished_at", filter=Q(status=SyncRun.Status.HELD)),
            first_started=Min("started_at"),
            last_finished=Max("finished_at", filter=finished),
        )
        .order_by()
    )
    return {row["stream"]: row for row in rows}


def _first_runs(codes: list[str]) -> dict[str, datetime]:
    """When each never-run stream's schedule will first fire (only asked on a fresh install)."""
    if not codes:
        return {}
    from django_q.models import Schedule

    names = {NAME_PREFIX + code: code for code in codes}
    return {
        names[name]: next_run
        for name, next_run in Schedule.objects.filter(
            name__in=names, func="syncs.tasks.run_stream"
        ).values_list("name", "next_run")
    }


def _state(stream: Stream, outcome: dict, age: timedelta | None) -> str:
    success = outcome.get("last_success")
    failed, held = outcome.get("last_failed"), outcome.get("last_held")
    latest = max((at for at in (success, failed, held) if at is not None), default=None)
    if latest is not None and latest == held and latest != success:
        return HELD
    if latest is not None and latest == failed and latest != success:
        return FAILING
    if age is None or age > stream.cadence * BEHIND_CADENCES:
        return BEHIND
    return OK


def _level(stream: Stream, age: timedelta | None, state: str, first_started, now) -> str:
    amber = stream.late_after * settings.FRESHNESS_AMBER_FACTOR
    red = stream.late_after * settings.FRESHNESS_RED_FACTOR
    if age is None:
        # ran but never succeeded: amber while it is new, red once its first run is old
        return AMBER if first_started and now - first_started < amber else RED
    if age > red:
        return RED
    if age > amber or state != OK:
        return AMBER
    return FRESH


def stream_freshness(now: datetime | None = None) -> list[Freshness]:
    """One reading per stream, in STREAMS order (one query; one more on
    a fresh install, for the first scheduled run of streams that never ran).

    The state comes from the last runs: a failed or held last run, or a last success older
    than two cadences, turns the reading amber at once, whatever the age thresholds say;
    they still decide red."""
    now = now or timezone.now()
    outcomes = _run_outcomes()
    # read through the module, so a test can watch fewer streams (tests/conftest.py)
    watched = streams.STREAMS
    never_ran = [s.code for s in watched if s.code not in outcomes]
    first_runs = _first_runs(never_ran)
    readings = []
    for stream in watched:
        outcome = outcomes.get(stream.code, {})
        finished = outcome.get("last_success")
        age = None if finished is None else now - finished
        if stream.code in never_ran and _still_pending(stream, first_runs.get(stream.code), now):
            readings.append(
                Freshness(stream, None, None, FRESH, PENDING, first_runs.get(stream.code))
            )
            continue
        state = _state(stream, outcome, age)
        level = _level(stream, age, state, outcome.get("first_started"), now)
        readings.append(Freshness(stream, finished, age, level, state))
    return readings


def _still_pending(stream: Stream, next_run: datetime | None, now: datetime) -> bool:
    """Before its first scheduled run (and for its amber time after it, as a run takes a
    while), a stream that never ran is waiting, not late."""
    if next_run is None:
        return False  # not scheduled at all: nothing will run it, so it is not "waiting"
    return now < next_run + stream.late_after * settings.FRESHNESS_AMBER_FACTOR


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

    now = now or timezone.now()
    verdicts = {}
    for reading in stream_freshness(now):
        code = reading.stream.code
        failing = _recent_runs_all_failed(code, settings.WATCHDOG_FAILED_RUNS)
        late = reading.late and not _too_new_to_be_late(reading, now)
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


def throttling_check(now: datetime | None = None) -> dict[str, int]:
    """Raise "API throttling persists" for each stream whose calls were answered 429 at
    least THROTTLE_TICKET_ANSWERS times in the last THROTTLE_WINDOW_MINUTES (even when
    retries absorbed them), and clear it for the others. Returns the counts found."""

    now = now or timezone.now()
    window = timedelta(minutes=settings.THROTTLE_WINDOW_MINUTES)
    rows = (
        ExternalCall.objects.filter(started_at__gte=now - window, throttled__gt=0)
        .exclude(sync_run__isnull=True)
        .values("sync_run__stream")
        .annotate(answers=Sum("throttled"), longest=Max("longest_wait_ms"), calls=Count("pk"))
        .order_by()
    )
    found = {row["sync_run__stream"]: row for row in rows}
    for stream in STREAMS:
        row = found.get(stream.code)
        if row and row["answers"] >= settings.THROTTLE_TICKET_ANSWERS:
            ticket_raise(
                type_code="api_throttled",
                source="watchdog",
                stream=stream.code,
                summary=(
                    f"{stream.title}: {row['answers']} throttled (429) answers in "
                    f"{settings.THROTTLE_WINDOW_MINUTES} min, longest wait "
                    f"{row['longest'] / 1000:.0f} s"
                ),
                context={
                    "throttled_answers": row["answers"],
                    "calls": row["calls"],
                    "longest_wait_seconds": round(row["longest"] / 1000, 1),
                    "window_minutes": settings.THROTTLE_WINDOW_MINUTES,
                },
            )
        else:
            ticket_clear(
                type_code="api_throttled",
                source="watchdog",
                stream=stream.code,
                note="throttling fell below the threshold",
            )
    return {code: row["answers"] for code, row in found.items()}

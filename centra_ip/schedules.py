"""Every scheduled task, in one list synced by ``manage.py sync_schedules``.

The streams' schedules are derived from ``syncs.streams.STREAMS`` (declare a stream there,
not here); the other tasks are declared below. The command creates, updates and removes
django-q2 ``Schedule`` rows so the database always matches this list.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.utils import timezone

from syncs.streams import STREAMS


@dataclass(frozen=True)
class ScheduleSpec:
    name: str
    func: str
    minutes: int
    args: tuple = field(default_factory=tuple)
    first_run_after_minutes: int = 0  # see Stream.first_run_after


STREAM_SCHEDULES = tuple(
    ScheduleSpec(
        name=stream.code,
        func="syncs.tasks.run_stream",
        minutes=int(stream.cadence.total_seconds() // 60),
        args=(stream.code,),
        first_run_after_minutes=int(stream.first_run_after.total_seconds() // 60),
    )
    for stream in STREAMS
)

SCHEDULES: tuple[ScheduleSpec, ...] = (
    *STREAM_SCHEDULES,
    ScheduleSpec(name="watchdog", func="syncs.tasks.watchdog", minutes=5),
    ScheduleSpec(name="wake snoozed tickets", func="exceptions.tasks.wake_snoozed", minutes=5),
    ScheduleSpec(
        name="notify SLA breaches", func="exceptions.tasks.notify_sla_breaches", minutes=5
    ),
    ScheduleSpec(
        name="daily exception digests",
        func="exceptions.tasks.send_daily_digests",
        minutes=24 * 60,
    ),
    # Advanced CSV drop folder (off while IP_ADVANCED_CSV_DIR is empty): hourly, so a file
    # is there well before IP's nightly load whatever its hour; IP takes several files a day
    ScheduleSpec(name="advanced csv files", func="syncs.tasks.write_advanced_csv", minutes=60),
    # reconciliation: hourly rebuild of the configured window (IP fetches the feed daily)
    # (on a fresh install five minutes in: after the orders backfill and IP's first fetches)
    ScheduleSpec(
        name="reconciliation",
        func="reconciliation.tasks.compute",
        minutes=60,
        first_run_after_minutes=5,
    ),
    # daily: Centra's schema, the token's permissions and IP's stock fields still as used
    ScheduleSpec(name="check apis", func="syncs.tasks.check_apis", minutes=24 * 60),
    ScheduleSpec(
        name="prune external call records",
        func="syncs.tasks.prune_external_calls",
        minutes=24 * 60,
    ),
)


NAME_PREFIX = "centra-ip: "


def schedules_sync() -> dict[str, int]:
    """Make django-q2's schedules match ``SCHEDULES`` exactly; safe to run at every deploy.

    Only schedules named with ``NAME_PREFIX`` are ours: those no longer declared are
    deleted, the rest are created or updated in place (``next_run`` is kept, so a deploy
    does not make every task fire at once).
    """
    from django_q.models import Schedule

    counts = {"created": 0, "updated": 0, "unchanged": 0, "deleted": 0}
    declared = {NAME_PREFIX + spec.name: spec for spec in SCHEDULES}
    for name, spec in declared.items():
        wanted = {
            "func": spec.func,
            "args": repr(spec.args) if spec.args else None,
            "schedule_type": Schedule.MINUTES,
            "minutes": spec.minutes,
            "repeats": -1,
        }
        schedule = Schedule.objects.filter(name=name).first()
        if schedule is None:
            first_run = timezone.now() + timedelta(minutes=spec.first_run_after_minutes)
            Schedule.objects.create(name=name, next_run=first_run, **wanted)
            counts["created"] += 1
        elif any(getattr(schedule, key) != value for key, value in wanted.items()):
            Schedule.objects.filter(pk=schedule.pk).update(**wanted)
            counts["updated"] += 1
        else:
            counts["unchanged"] += 1
    stale = Schedule.objects.filter(name__startswith=NAME_PREFIX).exclude(name__in=declared)
    counts["deleted"], _ = stale.delete()
    return counts

"""Services around sync runs and the record of external calls."""

from django.db.models import Max
from django.utils import timezone

from syncs import streams
from syncs.connectors.recording import CallRecord
from syncs.models import ExternalCall, SyncRun


def external_call_record(record: CallRecord, *, sync_run: SyncRun | None = None) -> ExternalCall:
    """Store one connector call; the record is already free of secrets."""
    return ExternalCall.objects.create(
        system=record.system,
        operation=record.operation[:120],
        started_at=record.started_at,
        duration_ms=record.duration_ms,
        outcome=record.outcome,
        status_code=record.status_code,
        retries=record.retries,
        throttled=record.throttled,
        longest_wait_ms=record.longest_wait_ms,
        error=record.error[:1000],
        sync_run=sync_run,
    )


def stream_last_successes() -> dict[str, object]:
    """Each watched stream's last successful finish (None when it never succeeded), in one
    query. ``streams.STREAMS`` is read at each call, as freshness reads it, so a test that
    watches some streams only (``watch_streams``) sees the same set everywhere."""
    rows = (
        SyncRun.objects.filter(status=SyncRun.Status.SUCCEEDED)
        .values("stream")
        .annotate(last=Max("finished_at"))
    )
    found = {row["stream"]: row["last"] for row in rows}
    return {stream.code: found.get(stream.code) for stream in streams.STREAMS}


def external_calls_prune(*, keep_days: int = 30) -> int:
    """Delete call records older than ``keep_days``; returns how many went."""
    cutoff = timezone.now() - timezone.timedelta(days=keep_days)
    deleted, _ = ExternalCall.objects.filter(started_at__lt=cutoff).delete()
    return deleted

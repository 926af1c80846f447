"""Retry for the tickets about a whole stream: run the stream once, now.

API failures, a failed run, a late stream and a held stock push all say "the stream's next
run settles it"; the retry is that run, started from the ticket instead of waiting for the
schedule. The runner clears the stream's API and failure tickets itself when the run
succeeds; success here resolves the ticket pressed (``exceptions.triage.ticket_retry``).
Declared on the types (``retry=`` in ``exceptions.registry``).
"""

from exceptions.registry import RetryResult
from syncs.models import SyncRun
from syncs.runner import StreamBusy, sync_run_stream
from syncs.streams import STREAM_CODES


def stream_run_retry(ticket) -> RetryResult:
    """One real run of the ticket's stream; ok only when it succeeded (a held stock push
    is held again, not sent)."""
    stream = ticket.stream
    if stream not in STREAM_CODES:
        return RetryResult(ok=False, message=f"{stream!r} is not a stream this hub runs.")
    try:
        run = sync_run_stream(stream=stream, trigger=SyncRun.Trigger.RETRY)
    except StreamBusy:
        return RetryResult(ok=False, message=f"A {stream} run is in progress; retry in a minute.")
    data = {"sync_run": run.pk}
    if run.status == SyncRun.Status.SUCCEEDED:
        return RetryResult(ok=True, message=f"{stream} run {run.pk}: {run.summary}", data=data)
    why = run.error or run.summary
    return RetryResult(
        ok=False,
        message=f"{stream} run {run.pk} {run.get_status_display().lower()}: {why}",
        data=data,
    )

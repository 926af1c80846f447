"""Run one cycle of one stream: claim it, call its engine, record the run, raise or clear.

Every cycle leaves a ``SyncRun`` row. A connector error that survived the client's own
retries becomes an API ticket on the stream (owner: admin) and fails the run; the next
successful run clears those tickets. Anything else that goes wrong fails the run and
raises a ``sync_failed`` ticket with the error's type and message: a worker never dies
of a bad payload, and no failure goes unseen.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from exceptions.registry import API_FAILURE_TYPES, TicketType
from exceptions.services import ticket_clear, ticket_raise
from syncs.connectors.base import AuthError, BadPayloadError, ConnectorError, RetryableError
from syncs.engines import EngineResult
from syncs.models import SyncRun
from syncs.streams import stream_get

logger = logging.getLogger(__name__)


class StreamBusy(Exception):
    """Another real run of the stream is in progress."""


def api_ticket_type(error: ConnectorError) -> str:
    """Which API ticket a connector error becomes."""
    if isinstance(error, AuthError):
        return TicketType.API_AUTH_FAILURE
    if isinstance(error, BadPayloadError):
        return TicketType.API_BAD_PAYLOAD
    if isinstance(error, RetryableError):
        if error.status_code is None:
            return TicketType.API_TIMEOUT
        return TicketType.API_UNAVAILABLE
    # a GraphQL error or a rejected request: the exchange is wrong
    return TicketType.API_BAD_PAYLOAD


def _claim(*, stream: str, trigger: str, dry_run: bool, full: bool) -> SyncRun:
    """Create the run row; the partial unique constraint refuses a second real run.

    A run left "running" longer than the task timeout belongs to a worker that died: it is
    marked failed first, so a crash does not block the stream forever.
    """
    stale_before = timezone.now() - timedelta(seconds=settings.Q_CLUSTER["timeout"])
    SyncRun.objects.filter(
        stream=stream, status=SyncRun.Status.RUNNING, started_at__lt=stale_before
    ).update(status=SyncRun.Status.FAILED, finished_at=timezone.now(), error="abandoned")
    try:
        with transaction.atomic():
            return SyncRun.objects.create(
                stream=stream,
                trigger=trigger,
                dry_run=dry_run,
                full=full,
                started_at=timezone.now(),
            )
    except IntegrityError:
        raise StreamBusy(f"{stream} is already running") from None


def _finish(run: SyncRun, *, status: str, summary: str, counts=None, error: str = "") -> None:
    run.status = status
    run.finished_at = timezone.now()
    run.summary = summary[:500]
    run.counts = counts or {}
    run.error = error
    run.save(update_fields=["status", "finished_at", "summary", "counts", "error"])


def sync_run_stream(
    *,
    stream: str,
    trigger: str = SyncRun.Trigger.SCHEDULE,
    dry_run: bool = False,
    full: bool = False,
) -> SyncRun:
    """One cycle of ``stream``; returns the finished run (succeeded, held or failed)."""
    engine = import_string(stream_get(stream).engine)
    run = _claim(stream=stream, trigger=trigger, dry_run=dry_run, full=full)
    try:
        result: EngineResult = engine(run=run, dry_run=dry_run, full=full)
    except ConnectorError as error:
        _fail_with_ticket(
            run,
            api_ticket_type(error),
            error,
            {
                "system": error.system,
                "operation": error.operation,
                "status_code": error.status_code,
                "error": error.message,
            },
        )
        return run
    except Exception as error:  # the engine's bug or an unforeseen payload: fail, ticket, go on
        logger.exception("%s run %s failed", stream, run.pk)
        _fail_with_ticket(
            run,
            TicketType.SYNC_FAILED,
            error,
            {
                "error_type": type(error).__name__,
                "error": str(error)[:500],
            },
        )
        return run
    status = SyncRun.Status.HELD if result.held else SyncRun.Status.SUCCEEDED
    _finish(run, status=status, summary=result.summary, counts=result.counts)
    if not dry_run:
        for type_code in (*API_FAILURE_TYPES, TicketType.SYNC_FAILED):
            ticket_clear(
                type_code=type_code,
                source=f"{stream} run {run.pk}",
                stream=stream,
                note="the stream ran successfully",
            )
    return run


def _fail_with_ticket(run: SyncRun, type_code: str, error: Exception, context: dict) -> None:
    message = str(error)[:500]
    _finish(run, status=SyncRun.Status.FAILED, summary=f"failed: {message}", error=message)
    ticket_raise(
        type_code=type_code,
        source=f"{run.stream} run {run.pk}",
        stream=run.stream,
        context={**context, "sync_run": run.pk},
        summary=message,
    )

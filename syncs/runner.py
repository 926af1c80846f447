"""Run one cycle of one stream: claim it, call its engine, record the run, raise or clear.

Every cycle leaves a ``SyncRun`` row. A connector error that survived the client's own
retries becomes an API ticket on the stream (owner: admin) and fails the run; the next
successful run clears those tickets. Anything else that goes wrong fails the run and
raises a ``sync_failed`` ticket with the error's type and message: a worker never dies
of a bad payload, and no failure goes unseen.

A run holds a lease (``SyncRun.lease_expires_at``) that a heartbeat thread renews every
third of ``SYNC_LEASE_SECONDS`` while the engine works. A worker killed mid-run (SIGKILL,
the OOM killer, a lost machine) stops renewing it; the next run of the stream finds the
lease expired, marks the dead run failed ("abandoned") and starts, so a crash delays the
stream by at most one lease, not the task timeout. The same holds on SQLite.
"""

import logging
import os
import socket
import threading
from collections.abc import Callable
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import IntegrityError, close_old_connections, connection, transaction
from django.db.models import Q
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


def lease_length() -> timedelta:
    return timedelta(seconds=settings.SYNC_LEASE_SECONDS)


def worker_name() -> str:
    """Who holds a run's lease: "host:pid" of this process."""
    return f"{socket.gethostname()}:{os.getpid()}"


def runs_abandoned_release(*, stream: str | None = None) -> int:
    """Mark failed the running runs whose lease expired: their worker is gone. A run from
    before leases existed (no lease) is judged by the task timeout, as it was then."""
    now = timezone.now()
    before_leases = now - timedelta(seconds=settings.Q_CLUSTER["timeout"])
    dead = SyncRun.objects.filter(status=SyncRun.Status.RUNNING).filter(
        Q(lease_expires_at__lt=now) | Q(lease_expires_at__isnull=True, started_at__lt=before_leases)
    )
    if stream is not None:
        dead = dead.filter(stream=stream)
    return dead.update(
        status=SyncRun.Status.FAILED,
        finished_at=now,
        error="abandoned: the worker stopped renewing its lease (killed or lost)",
    )


def _claim(*, stream: str, trigger: str, dry_run: bool, full: bool) -> SyncRun:
    """Create the run row with a fresh lease; the partial unique constraint refuses a
    second real run while the first one's lease is alive."""
    runs_abandoned_release(stream=stream)
    now = timezone.now()
    try:
        with transaction.atomic():
            return SyncRun.objects.create(
                stream=stream,
                trigger=trigger,
                dry_run=dry_run,
                full=full,
                started_at=now,
                lease_expires_at=now + lease_length(),
                worker=worker_name(),
            )
    except IntegrityError:
        raise StreamBusy(f"{stream} is already running") from None


class Heartbeat:
    """Call ``renew`` every ``every`` seconds until stopped, from its own thread (and so its
    own database connection, closed when it stops): what keeps a lease alive."""

    def __init__(self, renew: Callable[[], object], *, every: float, name: str):
        self.renew, self.every, self.name = renew, every, name
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=name, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _beat(self) -> None:
        try:
            while not self._stop.wait(self.every):
                try:
                    close_old_connections()  # a database restart: reconnect, keep beating
                    self.renew()
                except Exception:  # the next beat tries again; the lease has room for it
                    logger.warning("%s: could not renew the lease", self.name)
        finally:
            connection.close()


def run_lease_renew(run_pk: int) -> bool:
    """Push a running run's lease forward; False when it is no longer running (ours)."""
    return bool(
        SyncRun.objects.filter(pk=run_pk, status=SyncRun.Status.RUNNING).update(
            lease_expires_at=timezone.now() + lease_length()
        )
    )


def run_heartbeat(run: SyncRun) -> Heartbeat:
    return Heartbeat(
        partial(run_lease_renew, run.pk),
        every=lease_length().total_seconds() / 3,
        name=f"{run.stream} run {run.pk}",
    )


LATE = "finished after its lease expired and the run was marked abandoned"


def _finish(run: SyncRun, *, status: str, summary: str, counts=None, error: str = "") -> bool:
    """Record the run's outcome, only while it is still running: a worker stalled past its
    lease (a long GC pause, a frozen VM) finds its run already failed as abandoned, and a
    newer run may be going. Overwriting that would hide the abandonment and could let a late
    success clear tickets the newer run raised, so the late outcome is noted in the summary
    and the status stays failed. Returns False for such a late finish."""
    ours = SyncRun.objects.filter(pk=run.pk, status=SyncRun.Status.RUNNING)
    finished = ours.update(
        status=status,
        finished_at=timezone.now(),
        summary=summary[:500],
        counts=counts or {},
        error=error,
    )
    if not finished:
        logger.warning("%s run %s %s", run.stream, run.pk, LATE)
        SyncRun.objects.filter(pk=run.pk).update(summary=f"{LATE}: {summary}"[:500])
    run.refresh_from_db()
    return bool(finished)


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
        with run_heartbeat(run):
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
    finished = _finish(run, status=status, summary=result.summary, counts=result.counts)
    if finished and not dry_run:
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

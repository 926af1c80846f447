"""The runner: claims a stream, runs its engine, records the run, raises or clears tickets.

The stream under test runs ``scripted_engine`` below (declared through ``syncs.streams``,
as every engine is), so each test decides what the engine does.
"""

from dataclasses import replace
from datetime import timedelta

import pytest
from django.utils import timezone

from exceptions.models import Ticket
from exceptions.services import ticket_raise
from syncs import streams
from syncs.connectors.base import (
    AuthError,
    BadPayloadError,
    PermanentError,
    RetryableError,
    ThrottledError,
)
from syncs.engines import EngineResult
from syncs.models import SyncRun
from syncs.runner import StreamBusy, runs_abandoned_release, sync_run_stream

pytestmark = pytest.mark.django_db
STREAM = streams.ORDERS
calls = []
script = {}


def scripted_engine(*, run, dry_run, full):
    calls.append((run.pk, dry_run, full))
    if "during" in script:
        script["during"](run)
    if "raise" in script:
        raise script["raise"]
    return script.get("result", EngineResult(summary="done", counts={"orders": 3}))


@pytest.fixture(autouse=True)
def scripted(monkeypatch):
    declared = tuple(
        replace(s, engine=f"{__name__}.scripted_engine") if s.code == STREAM else s
        for s in streams.STREAMS
    )
    monkeypatch.setattr(streams, "STREAMS", declared)
    calls.clear()
    script.clear()


def tickets():
    return sorted(Ticket.objects.filter(stream=STREAM).values_list("type", "status"), key=str)


def running(started_ago: timedelta) -> SyncRun:
    return SyncRun.objects.create(
        stream=STREAM, status=SyncRun.Status.RUNNING, started_at=timezone.now() - started_ago
    )


def test_a_successful_run_records_the_engines_summary_and_counts():
    run = sync_run_stream(stream=STREAM, full=True)
    assert (run.status, run.summary, run.counts, run.full) == (
        "succeeded",
        "done",
        {"orders": 3},
        True,
    )
    assert run.finished_at is not None
    assert calls == [(run.pk, False, True)]


def test_a_held_result_is_recorded_as_held():
    script["result"] = EngineResult(summary="held by the guard", held=True)
    assert sync_run_stream(stream=STREAM).status == "held"


def test_a_busy_stream_is_refused_and_its_engine_not_called():
    other = running(timedelta(minutes=1))
    with pytest.raises(StreamBusy, match="orders is already running"):
        sync_run_stream(stream=STREAM)
    assert calls == []
    assert list(SyncRun.objects.values_list("pk", "status")) == [(other.pk, "running")]


def test_a_dry_run_is_not_refused_by_a_running_real_run():
    running(timedelta(minutes=1))
    run = sync_run_stream(stream=STREAM, dry_run=True)
    assert (run.status, run.dry_run) == ("succeeded", True)


def test_a_run_abandoned_past_the_task_timeout_is_failed_and_the_stream_runs(settings):
    stale = running(timedelta(seconds=settings.Q_CLUSTER["timeout"] + 60))
    run = sync_run_stream(stream=STREAM)
    stale.refresh_from_db()
    assert stale.status == "failed" and stale.error.startswith("abandoned")
    assert stale.finished_at is not None
    assert run.status == "succeeded"


def _error(kind, **options):
    return kind("it broke", system="centra", operation="orders", **options)


@pytest.mark.parametrize(
    ("error", "ticket_type"),
    [
        (_error(AuthError, status_code=401), "api_auth_failure"),
        (_error(BadPayloadError), "api_bad_payload"),
        (_error(PermanentError, status_code=400), "api_bad_payload"),
        (_error(RetryableError), "api_timeout"),
        (_error(RetryableError, status_code=503), "api_unavailable"),
        (_error(ThrottledError, status_code=429), "api_unavailable"),
    ],
    ids=["auth", "bad-payload", "permanent", "timeout", "unavailable", "throttled"],
)
def test_each_connector_error_fails_the_run_with_its_api_ticket(error, ticket_type):
    script["raise"] = error
    run = sync_run_stream(stream=STREAM)
    assert (run.status, run.error) == ("failed", str(error))
    assert run.summary == f"failed: {error}"
    ticket = Ticket.objects.get(stream=STREAM)
    assert (ticket.type, ticket.status, ticket.team) == (ticket_type, "open", "admin")
    assert ticket.context == {
        "system": "centra",
        "operation": "orders",
        "status_code": error.status_code,
        "error": "it broke",
        "sync_run": run.pk,
    }


def test_an_unexpected_error_fails_the_run_with_a_sync_failed_ticket():
    script["raise"] = KeyError("totalAmount")
    run = sync_run_stream(stream=STREAM)
    assert (run.status, run.error) == ("failed", "'totalAmount'")
    ticket = Ticket.objects.get(stream=STREAM)
    assert (ticket.type, ticket.summary) == ("sync_failed", "'totalAmount'")
    assert ticket.context == {
        "error_type": "KeyError",
        "error": "'totalAmount'",
        "sync_run": run.pk,
    }


def _raise_stream_tickets():
    for type_code in ("api_timeout", "api_auth_failure", "sync_failed"):
        ticket_raise(type_code=type_code, source="earlier run", stream=STREAM)
    ticket_raise(type_code="api_timeout", source="earlier run", stream=streams.STOCK)


def test_a_successful_run_clears_the_streams_api_and_failure_tickets():
    _raise_stream_tickets()
    sync_run_stream(stream=STREAM)
    assert tickets() == [
        ("api_auth_failure", "auto_resolved"),
        ("api_timeout", "auto_resolved"),
        ("sync_failed", "auto_resolved"),
    ]
    other = Ticket.objects.get(stream=streams.STOCK)
    assert other.status == "open"


def test_a_dry_run_clears_nothing():
    _raise_stream_tickets()
    sync_run_stream(stream=STREAM, dry_run=True)
    assert tickets() == [
        ("api_auth_failure", "open"),
        ("api_timeout", "open"),
        ("sync_failed", "open"),
    ]


def test_a_failed_run_clears_nothing():
    _raise_stream_tickets()
    script["raise"] = _error(RetryableError)
    sync_run_stream(stream=STREAM)
    assert [status for _, status in tickets()] == ["open", "open", "open"]


def _stall_past_the_lease(run):
    """What a worker frozen longer than its lease sees: the run was failed as abandoned."""
    SyncRun.objects.filter(pk=run.pk).update(lease_expires_at=timezone.now() - timedelta(1))
    runs_abandoned_release(stream=STREAM)


def test_a_run_that_finishes_after_being_abandoned_stays_failed_and_clears_nothing():
    _raise_stream_tickets()
    script["during"] = _stall_past_the_lease
    run = sync_run_stream(stream=STREAM)
    run.refresh_from_db()
    assert run.status == "failed" and run.error.startswith("abandoned")
    assert run.summary == (
        "finished after its lease expired and the run was marked abandoned: done"
    )
    assert run.counts == {}
    assert [status for _, status in tickets()] == ["open", "open", "open"]


def test_a_run_that_fails_after_being_abandoned_keeps_the_abandonment_and_raises():
    script["during"] = _stall_past_the_lease
    script["raise"] = ValueError("late bug")
    run = sync_run_stream(stream=STREAM)
    run.refresh_from_db()
    assert run.status == "failed" and run.error.startswith("abandoned")
    assert run.summary.endswith("failed: late bug")
    assert tickets() == [("sync_failed", "open")]

"""A ticket about a whole stream retries by running that stream once, now; the eight
types whose label promised a retry without an action now have one (syncs/retries.py)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from exceptions.services import ticket_raise, ticket_retry
from syncs.models import SyncRun

pytestmark = pytest.mark.django_db


def test_a_failed_run_ticket_retries_by_running_its_stream_and_resolves(sandbox, personas):
    ticket = ticket_raise(type_code="sync_failed", source="catalog run 1", stream="catalog")
    result = ticket_retry(ticket=ticket, actor=personas["admin"])
    run = SyncRun.objects.get(stream="catalog")
    assert (run.trigger, run.status) == ("retry", "succeeded")
    assert result.ok and result.data == {"sync_run": run.pk}, result.message
    ticket.refresh_from_db()
    assert ticket.status in ("resolved", "auto_resolved")  # the run clears it, or the retry


def test_a_stream_already_running_is_not_run_twice_and_the_ticket_stays_open(sandbox, personas):
    now = timezone.now()
    SyncRun.objects.create(
        stream="catalog", started_at=now, lease_expires_at=now + timedelta(minutes=5)
    )
    ticket = ticket_raise(type_code="stream_late", source="watchdog", stream="catalog")
    result = ticket_retry(ticket=ticket, actor=personas["admin"])
    assert (result.ok, result.message) == (
        False,
        "A catalog run is in progress; retry in a minute.",
    )
    assert SyncRun.objects.filter(stream="catalog").count() == 1
    ticket.refresh_from_db()
    assert ticket.status == "open"


def test_a_failing_run_is_a_failed_retry_and_the_ticket_stays_open(sandbox, personas):
    sandbox.centra.faults.update(expired_token=True)  # 401: permanent, no backoff
    ticket = ticket_raise(type_code="api_auth_failure", source="catalog run 1", stream="catalog")
    result = ticket_retry(ticket=ticket, actor=personas["admin"])
    run = SyncRun.objects.get(stream="catalog", trigger="retry")
    assert run.status == "failed"
    assert result.ok is False and result.message.startswith(f"catalog run {run.pk} failed: ")
    ticket.refresh_from_db()
    assert ticket.status == "open"


def test_a_ticket_without_a_known_stream_runs_nothing(personas):
    ticket = ticket_raise(type_code="sync_failed", source="test", stream="nosuch")
    result = ticket_retry(ticket=ticket, actor=personas["admin"])
    assert (result.ok, result.message) == (False, "'nosuch' is not a stream this hub runs.")
    assert not SyncRun.objects.exists()

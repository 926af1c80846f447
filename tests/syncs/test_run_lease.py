"""The run lease: a killed worker's run is taken over once its lease expires, not after
the task timeout; a live run's heartbeat keeps its lease, and the stream, its own."""

import os
import time
from datetime import timedelta

import httpx
import pytest
from django.utils import timezone

from syncs.clients import transports_install
from syncs.models import SyncRun
from syncs.runner import StreamBusy, run_lease_renew, runs_abandoned_release, sync_run_stream

pytestmark = pytest.mark.django_db


def _running(*, lease_left: timedelta, started_ago=timedelta(seconds=40)) -> SyncRun:
    now = timezone.now()
    return SyncRun.objects.create(
        stream="orders",
        started_at=now - started_ago,
        lease_expires_at=now + lease_left,
        worker="dead-host:4242",
    )


def test_a_run_whose_lease_expired_is_abandoned_and_the_next_run_starts(sandbox, settings):
    settings.SYNC_LEASE_SECONDS = 30
    dead = _running(lease_left=timedelta(seconds=-1))

    run = sync_run_stream(stream="orders")

    dead.refresh_from_db()
    assert dead.status == SyncRun.Status.FAILED
    assert dead.error.startswith("abandoned")
    assert dead.finished_at is not None
    assert run.status == SyncRun.Status.SUCCEEDED


def test_a_run_with_a_live_lease_keeps_the_stream_even_when_it_started_long_ago(sandbox):
    alive = _running(lease_left=timedelta(seconds=20), started_ago=timedelta(hours=2))

    with pytest.raises(StreamBusy):
        sync_run_stream(stream="orders")

    alive.refresh_from_db()
    assert alive.status == SyncRun.Status.RUNNING
    assert SyncRun.objects.count() == 1


def test_a_new_run_records_its_lease_and_its_worker(sandbox, settings):
    settings.SYNC_LEASE_SECONDS = 30
    before = timezone.now()

    run = sync_run_stream(stream="orders")

    assert before + timedelta(seconds=30) <= run.lease_expires_at
    assert run.lease_expires_at <= timezone.now() + timedelta(seconds=30)
    assert run.worker.endswith(f":{os.getpid()}")


def test_the_heartbeat_pushes_a_running_runs_lease_forward(settings):
    settings.SYNC_LEASE_SECONDS = 30
    run = _running(lease_left=timedelta(seconds=2))

    assert run_lease_renew(run.pk) is True

    run.refresh_from_db()
    assert run.lease_expires_at > timezone.now() + timedelta(seconds=25)


def test_the_heartbeat_does_not_revive_a_run_already_abandoned(settings):
    run = _running(lease_left=timedelta(seconds=-1))
    assert runs_abandoned_release() == 1

    assert run_lease_renew(run.pk) is False

    run.refresh_from_db()
    assert run.status == SyncRun.Status.FAILED
    assert run.lease_expires_at < timezone.now()


def test_a_run_from_before_leases_is_judged_by_the_task_timeout(settings):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "timeout": 900}
    now = timezone.now()
    recent = SyncRun.objects.create(stream="orders", started_at=now - timedelta(minutes=5))
    old = SyncRun.objects.create(stream="stock", started_at=now - timedelta(minutes=20))

    assert runs_abandoned_release() == 1

    recent.refresh_from_db()
    old.refresh_from_db()
    assert (recent.status, old.status) == (SyncRun.Status.RUNNING, SyncRun.Status.FAILED)


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_renews_the_lease_while_a_slow_run_works(sandbox, settings):
    """A run longer than its lease keeps it: the heartbeat thread renews it meanwhile."""
    settings.SYNC_LEASE_SECONDS = 3  # a beat every second
    slow_centra = sandbox.centra.handle

    def slow(request):
        time.sleep(1.5)
        return slow_centra(request)

    with transports_install(centra=httpx.MockTransport(slow)):
        run = sync_run_stream(stream="orders")

    assert run.status == SyncRun.Status.SUCCEEDED
    took = run.finished_at - run.started_at
    assert took > timedelta(seconds=3)  # longer than the lease it started with
    run.refresh_from_db()
    assert run.lease_expires_at > run.started_at + timedelta(seconds=4)  # renewed on the way

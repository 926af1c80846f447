"""Run an engine the way the runner does (a SyncRun row, then the engine), without the
runner's ticket bookkeeping, so these tests measure the engine alone."""

import pytest
from django.utils import timezone
from django.utils.module_loading import import_string

from syncs.models import SyncRun
from syncs.streams import stream_get


@pytest.fixture
def run_engine(db):
    def run(stream: str, *, dry_run: bool = False, full: bool = False):
        sync_run = SyncRun.objects.create(
            stream=stream, started_at=timezone.now(), dry_run=dry_run, full=full
        )
        try:
            engine = import_string(stream_get(stream).engine)
            result = engine(run=sync_run, dry_run=dry_run, full=full)
        except Exception as error:
            sync_run.status, sync_run.error = SyncRun.Status.FAILED, str(error)
            raise
        else:
            sync_run.status = SyncRun.Status.SUCCEEDED
            sync_run.summary, sync_run.counts = result.summary, result.counts
            return result
        finally:
            sync_run.finished_at = timezone.now()
            sync_run.save(update_fields=["status", "finished_at", "summary", "counts", "error"])

    return run

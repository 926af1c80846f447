"""Run an engine the way the runner does: a ``SyncRun`` row, the engine, then the row's
outcome, without the runner's ticket bookkeeping, so engine tests see the engine alone.
The runner itself is tested in tests/syncs/test_runner.py."""

from django.utils import timezone
from django.utils.module_loading import import_string

from syncs.engines import EngineResult
from syncs.models import SyncRun
from syncs.streams import stream_get


def engine_run(
    stream: str, *, dry_run: bool = False, full: bool = False, **options
) -> EngineResult:
    """One cycle of ``stream``'s declared engine; ``options`` go to the engine (e.g. the
    stock engine's clock). The run row is failed and the error raised if the engine raises."""
    run = SyncRun.objects.create(
        stream=stream, started_at=timezone.now(), dry_run=dry_run, full=full
    )
    try:
        result = import_string(stream_get(stream).engine)(
            run=run, dry_run=dry_run, full=full, **options
        )
    except Exception as error:
        run.status, run.error = SyncRun.Status.FAILED, str(error)
        raise
    else:
        run.status = SyncRun.Status.HELD if result.held else SyncRun.Status.SUCCEEDED
        run.summary, run.counts = result.summary, result.counts
        return result
    finally:
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "finished_at", "summary", "counts", "error"])

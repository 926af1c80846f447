"""A sandbox world whose SKU map is built by a catalog cycle, ready for stock cycles.

The engines are called directly with a fresh ``SyncRun`` (what the runner does), so these
tests exercise the engine's own decisions; the runner has its own tests.
"""

import pytest
from django.utils import timezone

from syncs.catalog.engine import catalog_engine
from syncs.connectors.base import Clock
from syncs.connectors.centra import CentraLimits, Pacer
from syncs.engines import EngineResult
from syncs.models import SyncRun
from syncs.stock import engine as stock_engine_module
from syncs.stock.engine import stock_engine


def engine_run(engine, stream: str, *, dry_run=False, full=False, **options):
    run = SyncRun.objects.create(
        stream=stream, dry_run=dry_run, full=full, started_at=timezone.now()
    )
    result = engine(run=run, dry_run=dry_run, full=full, **options)
    run.status = SyncRun.Status.HELD if result.held else SyncRun.Status.SUCCEEDED
    run.finished_at, run.summary, run.counts = timezone.now(), result.summary, result.counts
    run.save()
    return run, result


def stock_cycle(*, dry_run=False, full=False, **options) -> EngineResult:
    return engine_run(stock_engine, "stock", dry_run=dry_run, full=full, **options)[1]


@pytest.fixture(autouse=True)
def unpaced(monkeypatch):
    """The engine's process-wide pacer would carry Centra's quota from test to test (and
    sleep in real time); the sandbox here does not throttle, so neither do we. Pacing is
    tested with a simulated clock in test_engine."""
    monkeypatch.setattr(stock_engine_module, "_PACER", Pacer(CentraLimits.unlimited(), Clock()))


@pytest.fixture
def mapped(db, sandbox):
    """The sandbox with the catalog engine's SKU map in place."""
    engine_run(catalog_engine, "catalog")
    return sandbox

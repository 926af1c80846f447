"""A sandbox world whose SKU map is built by a catalog cycle, ready for stock cycles.

The engines run as the runner runs them (``tests.engines.engine_run``), so these tests
exercise the engine's own decisions; the runner has its own tests.
"""

import pytest

from syncs.connectors.base import Clock
from syncs.connectors.centra import CentraLimits, Pacer
from syncs.engines import EngineResult
from syncs.stock import engine as stock_engine_module
from tests.engines import engine_run


def stock_cycle(*, dry_run=False, full=False, **options) -> EngineResult:
    return engine_run("stock", dry_run=dry_run, full=full, **options)


@pytest.fixture(autouse=True)
def unpaced(monkeypatch):
    """The engine's process-wide pacer would carry Centra's quota from test to test (and
    sleep in real time); the sandbox here does not throttle, so neither do we. Pacing is
    tested with a simulated clock in test_engine."""
    monkeypatch.setattr(stock_engine_module, "_PACER", Pacer(CentraLimits.unlimited(), Clock()))


@pytest.fixture
def mapped(db, sandbox):
    """The sandbox with the catalog engine's SKU map in place."""
    engine_run("catalog")
    return sandbox

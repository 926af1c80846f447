"""A small sandbox world with both twins wired in as the clients' transports."""

import httpx
import pytest

from syncs.clients import transports_install
from syncs.sandbox.sandbox import sandbox_build
from syncs.sandbox.world import WorldConfig
from tests.engines import engine_run

SMALL_WORLD = WorldConfig(
    seed=7, products=40, missing_in_ip=3, missing_in_centra=2, near_duplicates=1
)


@pytest.fixture
def sandbox():
    """Both twins with a deterministic ~300-SKU world; clients built by ``syncs.clients``
    inside the test talk to them in-process. ``sandbox.centra.faults`` etc. inject faults."""
    built = sandbox_build(config=SMALL_WORLD)
    built.centra.config.throttle = False  # pacing has its own tests; keep these fast
    with transports_install(
        centra=httpx.MockTransport(built.centra.handle),
        inventory_planner=httpx.MockTransport(built.inventory_planner.handle),
    ):
        yield built


@pytest.fixture
def run_engine(db):
    """``run_engine("catalog")``: one cycle of a stream's engine (``tests.engines``)."""
    return engine_run

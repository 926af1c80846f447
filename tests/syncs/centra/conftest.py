"""Fixtures for the Centra client and twin: a fake clock, a seeded twin, clients on it."""

import httpx
import pytest

from syncs.connectors.centra import CentraClient
from syncs.sandbox.centra import CentraState, CentraTwin
from tests.clocks import FakeClock

from .helpers import WallClock, make_client


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def twin(clock):
    """A twin with two warehouses and two products (2 variants x 2 sizes, 1 x 3)."""
    twin = CentraTwin(clock=clock, state=CentraState(wall=WallClock()))
    state = twin.state
    state.add_warehouse("Stockholm")
    state.add_warehouse("Berlin")
    state.add_product(
        "SHIRT",
        "Oxford shirt",
        variants={
            "BLU": [("S", "01", "7350000000011"), ("M", "02", "7350000000012")],
            "WHT": [("S", "01", "7350000000021"), ("M", "02", "7350000000022")],
        },
    )
    state.add_product(
        "CAP",
        "Wool cap",
        status="INACTIVE",
        variants={"GRY": [("S", "1", ""), ("M", "2", "7350000000032"), ("L", "3", "")]},
    )
    return twin


@pytest.fixture
def client_on(clock):
    """``client_on(twin, **options)``: a client whose transport is the twin."""

    def make(twin: CentraTwin, **options) -> CentraClient:
        return make_client(httpx.MockTransport(twin.handle), clock, **options)

    return make


@pytest.fixture
def client(twin, client_on):
    return client_on(twin)

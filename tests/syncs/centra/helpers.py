"""Shared pieces of the Centra tests: fake clocks and a client factory."""

import random
from datetime import UTC, datetime, timedelta

from syncs.connectors.base import RetryPolicy
from syncs.connectors.centra import CentraClient

URL = "https://brand.centra.com/graphql"
TOKEN = "sandbox-centra-token"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class WallClock:
    """Deterministic wall time for the twin's timestamps: T0 plus one minute per call."""

    def __init__(self):
        self.now = T0

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


def make_client(transport, clock, **options) -> CentraClient:
    options.setdefault("retry", RetryPolicy(max_retries=3))
    return CentraClient(
        URL, TOKEN, transport=transport, clock=clock, rng=random.Random(0), **options
    )

"""Client-side pacing: a burst is spread over time so the twin's buckets never run dry."""

import httpx
import pytest

from syncs.connectors.base import RetryPolicy, ThrottledError
from syncs.connectors.centra import CentraLimits, Pacer, StockLevel
from syncs.connectors.centra.pacing import TokenBucket

from .helpers import make_client


def test_bucket_refills_continuously_up_to_capacity():
    bucket = TokenBucket(20, 10, now=0.0)
    bucket.take(20, 0.0)
    assert bucket.wait_for(1, 0.0) == pytest.approx(0.5)
    assert bucket.wait_for(1, 0.5) == 0
    assert bucket.wait_for(30, 0.5) == pytest.approx(9.5)  # capped at a full bucket
    bucket.refill(100.0)
    assert bucket.tokens == 20


def test_pacer_waits_only_as_long_as_the_tightest_bucket(clock):
    pacer = Pacer(CentraLimits(mutations_10s=2, requests_10s=60), clock)
    assert [pacer.acquire(mutation=True) for _ in range(2)] == [0.0, 0.0]
    waited = pacer.acquire(mutation=True)
    assert waited == pytest.approx(5.005)  # 1 token at 2 per 10 s, plus the margin
    assert pacer.acquire(mutation=False) == 0.0  # queries do not draw on mutations


def test_complexity_debt_delays_the_next_request(clock):
    pacer = Pacer(CentraLimits(complexity_10s=1000), clock)
    pacer.acquire(mutation=False, complexity=0)
    pacer.settle_complexity(1500)  # the answer said 1500: 500 in debt
    assert pacer.acquire(mutation=False, complexity=100) == pytest.approx(6.005)


def test_share_leaves_room_for_other_integrations(clock):
    pacer = Pacer(CentraLimits(share=0.5), clock)
    assert pacer.buckets[("MUTATION_COUNT", 10)].capacity == 10
    assert pacer.buckets[("REQUEST_COUNT", 3600)].capacity == 2500


def test_burst_of_mutations_is_spread_and_never_throttled(twin, clock):
    statuses = []

    def handle(request):
        response = twin.handle(request)
        statuses.append(response.status_code)
        return response

    client = make_client(httpx.MockTransport(handle), clock, retry=RetryPolicy(max_retries=0))
    start = clock.monotonic()

    for i in range(60):
        result = client.set_stock(1, [StockLevel(1, i), StockLevel(2, i)], description="burst")
        assert result.ok

    assert statuses == [200] * 60
    # 20 go at once, the other 40 at the refill rate of 2 per second.
    assert clock.monotonic() - start == pytest.approx(40 / 2, abs=40 * 0.006)
    assert twin.state.size(2).levels[1].physicalQuantity == 59


def test_without_pacing_the_twin_answers_429_with_retry_after(twin, clock):
    client = make_client(
        httpx.MockTransport(twin.handle),
        clock,
        limits=CentraLimits.unlimited(),
        retry=RetryPolicy(max_retries=0),
    )
    for i in range(20):
        client.set_stock(1, [StockLevel(1, i)], description="burst")
    with pytest.raises(ThrottledError) as caught:
        client.set_stock(1, [StockLevel(1, 99)], description="burst")
    assert caught.value.retry_after == 1  # 0.5 s to the next token, rounded up
    assert twin.state.size(1).levels[1].physicalQuantity == 19


def test_a_throttled_call_is_retried_after_retry_after(twin, clock):
    client = make_client(httpx.MockTransport(twin.handle), clock, limits=CentraLimits.unlimited())
    for i in range(21):
        client.set_stock(1, [StockLevel(1, i)], description="burst")
    assert clock.sleeps == [1]
    assert twin.state.size(1).levels[1].physicalQuantity == 20


def test_clients_can_share_one_pacer(twin, clock):
    shared = Pacer(CentraLimits(mutations_10s=2), clock)
    first = make_client(httpx.MockTransport(twin.handle), clock, pacer=shared)
    second = make_client(httpx.MockTransport(twin.handle), clock, pacer=shared)
    first.set_stock(1, [StockLevel(1, 1)], description="a")
    second.set_stock(1, [StockLevel(1, 2)], description="b")
    assert clock.sleeps == []
    first.set_stock(1, [StockLevel(1, 3)], description="c")
    assert clock.sleeps == [pytest.approx(5.005)]

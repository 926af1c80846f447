"""Polite pacing: a minimum gap between requests and never two requests at once."""

import threading
import time

import httpx

from syncs.connectors.base import Clock
from tests.syncs.inventory_planner.conftest import Script, variants_page

VARIANT = {"id": "c1_1"}


def test_the_minimum_gap_is_kept_between_requests(make_client, clock):
    script = Script(*[httpx.Response(200, json={"variant": VARIANT}) for _ in range(3)])
    client = make_client(script, min_gap_seconds=1.5)
    for _ in range(3):
        client.get_variant("c1_1")
    assert clock.sleeps == [1.5, 1.5]


def test_time_already_passed_counts_towards_the_gap(make_client, clock):
    script = Script(*[httpx.Response(200, json={"variant": VARIANT}) for _ in range(3)])
    client = make_client(script, min_gap_seconds=1.0)
    client.get_variant("c1_1")
    clock.now += 0.25
    client.get_variant("c1_1")
    clock.now += 5
    client.get_variant("c1_1")
    assert clock.sleeps == [0.75]


def test_pages_are_paced_too(make_client, clock):
    script = Script(
        variants_page([{"id": "a"}, {"id": "b"}], total=3),
        variants_page([{"id": "c"}], page=1, total=3),
    )
    rows = list(make_client(script, min_gap_seconds=1.0, page_size=2).iter_variants())
    assert len(rows) == 3
    assert clock.sleeps == [1.0]


def test_a_retry_waits_for_backoff_not_for_gap_and_backoff(make_client, clock):
    script = Script(
        httpx.Response(429, headers={"Retry-After": "3"}),
        httpx.Response(200, json={"variant": VARIANT}),
    )
    make_client(script, min_gap_seconds=1.0).get_variant("c1_1")
    assert clock.sleeps == [3.0]


def test_zero_gap_never_sleeps(make_client, clock):
    script = Script(*[httpx.Response(200, json={"variant": VARIANT}) for _ in range(3)])
    client = make_client(script, min_gap_seconds=0)
    for _ in range(3):
        client.get_variant("c1_1")
    assert clock.sleeps == []


def test_never_two_requests_at_once_across_threads(make_client):
    active = 0
    peak = 0
    guard = threading.Lock()

    def slow(request):
        nonlocal active, peak
        with guard:
            active += 1
            peak = max(peak, active)
        time.sleep(0.01)
        with guard:
            active -= 1
        return httpx.Response(200, json={"variant": VARIANT})

    client = make_client(slow, clock=Clock())
    threads = [threading.Thread(target=client.get_variant, args=("c1_1",)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert peak == 1

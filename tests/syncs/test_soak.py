"""The soak's own parts: faults drawn and counted, served over HTTP as the client meets
them, the twins' write log, and invariants that catch what they promise to catch."""

import threading

import httpx
import pytest

from returns.services import return_line_qc
from syncs.sandbox.sandbox import sandbox_build
from syncs.sandbox.world import WorldConfig
from syncs.soak.invariants import stock_ins_once, writes_within_ats
from syncs.soak.twins import SOAK_KINDS, SoakFaults, SoakTwins, soak_server
from tests.returns.conftest import returns_settings, world  # noqa: F401  (the twin world)
from tests.returns.test_stock_in_failures import received_line
from tests.syncs.conftest import sandbox  # noqa: F401

PORT = 8142  # this worktree's range


def test_faults_are_drawn_at_the_rate_and_counted_by_kind():
    none = SoakFaults(rate=0.0, seed=1, hang_seconds=0)
    every = SoakFaults(rate=1.0, seed=1, hang_seconds=0)

    assert [none.draw() for _ in range(50)] == [None] * 50
    drawn = [every.draw() for _ in range(700)]

    assert set(drawn) == set(SOAK_KINDS)
    assert sum(every.counts.values()) == 700 == every.calls
    assert none.calls == 50 and not none.counts


@pytest.fixture
def served():
    built = sandbox_build(config=WorldConfig(seed=3, products=8, missing_in_ip=0))
    built.centra.config.throttle = False
    twins = SoakTwins(built, SoakFaults(rate=0.0, seed=3, hang_seconds=0.2))
    server = soak_server(twins, host="127.0.0.1", port=PORT, secret_key="k")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield twins
    server.shutdown()
    server.server_close()


def ip_get(path="/api/v1/variants?limit=1", timeout=5.0):
    headers = {"Authorization": "sandbox-ip-key", "Account": "sandbox-account"}
    return httpx.get(f"http://127.0.0.1:{PORT}{path}", headers=headers, timeout=timeout)


@pytest.mark.parametrize(
    ("kind", "seen"),
    [
        ("reset", (httpx.ReadError, httpx.RemoteProtocolError)),
        ("timeout", (httpx.ReadTimeout,)),
    ],
)
def test_a_reset_or_a_timeout_reaches_the_client_as_a_dropped_call(served, kind, seen):
    served.faults.rate = 1.0
    served.faults._rng.choice = lambda kinds: kind  # this kind, every call

    with pytest.raises(seen):
        ip_get(timeout=0.1 if kind == "timeout" else 5.0)

    assert served.faults.counts == {kind: 1}


def test_a_server_error_is_a_503_and_the_faults_can_be_turned_off(served):
    served.faults.rate = 1.0
    served.faults._rng.choice = lambda kinds: "server_error"
    assert ip_get().status_code == 503

    httpx.post(f"http://127.0.0.1:{PORT}/soak/faults", json={"rate": 0, "tick": False})

    assert ip_get().status_code == 200
    assert served.ticking is False
    truth = httpx.get(f"http://127.0.0.1:{PORT}/soak/state").json()
    assert truth["faults"] == {"server_error": 1} and truth["calls"] == 2


@pytest.mark.django_db
def test_the_stock_invariant_fails_on_a_second_live_stock_order(world_stock_in):
    key, quantity = world_stock_in
    one = {"id": "a", "reference": key, "status": "open", "received": quantity}
    two = {"id": "b", "reference": key, "status": "open", "received": 0}
    cancelled = {**two, "status": "cancelled"}

    assert stock_ins_once({"ip_stock_orders": [one, cancelled]}).ok
    failed = stock_ins_once({"ip_stock_orders": [one, two]})
    assert not failed.ok and failed.count == 1 and key in failed.detail


@pytest.mark.django_db
def test_the_push_invariant_fails_on_a_write_above_its_line_or_from_no_push(mapped_push):
    push, size, warehouse, quantity = mapped_push
    write = {"size": size, "warehouse": warehouse, "quantity": quantity}
    named = {"description": f"centra-ip stock push {push} batch 1"}

    assert writes_within_ats({"stock_writes": [write | named]}).ok
    assert not writes_within_ats({"stock_writes": [write | named | {"quantity": quantity + 1}]}).ok
    assert not writes_within_ats({"stock_writes": [write | {"description": "by hand"}]}).ok


@pytest.fixture
def world_stock_in(world):  # noqa: F811
    """A stock-in confirmed through the IP twin, as QC makes one."""
    line = received_line(world, world.world.sellable[5], 2)
    stock_in = return_line_qc(line=line, passed=2)
    assert stock_in.state == "confirmed"
    return stock_in.idempotency_key, stock_in.quantity


@pytest.fixture
def mapped_push(db):
    from django.utils import timezone

    from syncs.models import StockPush, StockPushLine, SyncRun

    run = SyncRun.objects.create(stream="stock", started_at=timezone.now())
    push = StockPush.objects.create(run=run, status="sent")
    StockPushLine.objects.create(
        push=push,
        sku="S",
        centra_warehouse_id=1,
        product_size_id=7,
        quantity=5,
        lane="rest",
        position=1,
        why="test",
    )
    return push.pk, 7, 1, 5

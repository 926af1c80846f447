"""The shared fault plan, and steering it over real HTTP through the control endpoint."""

import threading

import httpx
import pytest

from syncs.sandbox.control import CONTROL_HEADER, control_handler, control_key
from syncs.sandbox.faults import FaultPlan
from syncs.sandbox.server import make_sandbox_server

KEY = control_key("test-secret")


def echo(request: httpx.Request) -> httpx.Response:
    return httpx.Response(
        200, json={"path": request.url.path, "auth": request.headers.get("authorization")}
    )


@pytest.fixture
def sandbox():
    plans = {"centra": FaultPlan(), "inventory_planner": FaultPlan()}
    routes = {"/control": control_handler(plans, key=KEY), "/centra": echo}
    server = make_sandbox_server(routes, host="127.0.0.1", port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    with httpx.Client(base_url=base, timeout=5) as client:
        yield client, plans
    server.shutdown()
    server.server_close()


def test_the_server_hands_method_path_and_headers_to_the_twin(sandbox):
    client, _ = sandbox
    response = client.get("/centra/graphql", headers={"Authorization": "Bearer t"})
    assert response.json() == {"path": "/centra/graphql", "auth": "Bearer t"}
    assert client.get("/nothing-here").status_code == 404


def test_control_refuses_a_request_without_the_key_and_changes_nothing(sandbox):
    client, plans = sandbox
    response = client.post("/control/faults/centra", json={"server_error_rate": 1.0})
    assert response.status_code == 403
    assert plans["centra"].server_error_rate == 0.0


def test_control_reads_changes_and_resets_a_plan(sandbox):
    client, plans = sandbox
    headers = {CONTROL_HEADER: KEY}
    changed = client.post(
        "/control/faults/centra",
        json={"latency_ms": "25", "expired_token": "true"},
        headers=headers,
    )
    assert changed.status_code == 200
    assert (plans["centra"].latency_ms, plans["centra"].expired_token) == (25, True)
    everything = client.get("/control/faults", headers=headers).json()
    assert everything["centra"]["latency_ms"] == 25
    assert everything["inventory_planner"]["latency_ms"] == 0
    client.post("/control/faults/centra/reset", headers=headers)
    assert (plans["centra"].latency_ms, plans["centra"].expired_token) == (0, False)


def test_control_rejects_unknown_settings_and_twins_and_changes_nothing(sandbox):
    client, plans = sandbox
    headers = {CONTROL_HEADER: KEY}
    bad = client.post(
        "/control/faults/centra", json={"explode": 1, "latency_ms": 9}, headers=headers
    )
    assert bad.status_code == 400
    assert "unknown fault settings: explode" in bad.json()["error"]
    assert plans["centra"].latency_ms == 0
    assert client.post("/control/faults/nope", json={}, headers=headers).status_code == 404
    kind = client.post("/control/faults/centra", json={"fail_next_kind": "lava"}, headers=headers)
    assert kind.status_code == 400


def test_forced_failures_come_in_order_and_then_stop():
    plan = FaultPlan()
    plan.update(fail_next=2, fail_next_kind="server_error")
    request = httpx.Request("GET", "http://twin/x")
    assert plan.before(request).status_code == 503
    assert plan.before(request).status_code == 503
    assert plan.before(request) is None


def test_a_forced_timeout_raises_what_a_client_sees_when_nobody_answers():
    plan = FaultPlan()
    plan.update(fail_next=1, fail_next_kind="timeout")
    with pytest.raises(httpx.ReadTimeout):
        plan.before(httpx.Request("GET", "http://twin/x"))


def test_a_429_storm_answers_every_request_with_retry_after_until_it_ends():
    plan = FaultPlan()
    plan.update(throttle_storm_seconds=60, retry_after_seconds=7)
    for _ in range(3):
        response = plan.before(httpx.Request("GET", "http://twin/x"))
        assert response.status_code == 429
        assert response.headers["Retry-After"] == "7"
    plan.update(throttle_storm_seconds=0)
    assert plan.before(httpx.Request("GET", "http://twin/x")) is None


def test_rates_are_deterministic_from_the_seed():
    def draws(seed):
        plan = FaultPlan(seed=seed, server_error_rate=0.5)
        request = httpx.Request("GET", "http://twin/x")
        return [plan.before(request) is not None for _ in range(20)]

    assert draws(3) == draws(3)
    assert 0 < sum(draws(3)) < 20

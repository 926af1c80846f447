"""The admins' sandbox page steers the twins of a running sandbox over HTTP."""

import threading

import pytest
from django.conf import settings as django_settings

from syncs.sandbox.sandbox import sandbox_build
from syncs.sandbox.server import make_sandbox_server
from syncs.sandbox.world import WorldConfig


@pytest.fixture
def running_sandbox(settings):
    built = sandbox_build(
        config=WorldConfig(products=5, missing_in_ip=1, missing_in_centra=1, near_duplicates=0)
    )
    server = make_sandbox_server(
        built.routes(secret_key=django_settings.SECRET_KEY), host="127.0.0.1", port=0
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.SANDBOX_URL = f"http://127.0.0.1:{server.server_address[1]}"
    yield built
    server.shutdown()
    server.server_close()


def test_an_admin_sees_both_twins_and_injects_a_fault(client_for, running_sandbox):
    client = client_for("admin")
    page = client.get("/syncs/sandbox/")
    assert page.status_code == 200
    assert 'id="twin-centra"' in page.content.decode()
    assert 'id="twin-inventory_planner"' in page.content.decode()
    response = client.post(
        "/syncs/sandbox/",
        {
            "twin": "centra",
            "server_error_rate": "0.25",
            "expired_token": "on",
            "fail_next_kind": "timeout",
        },
    )
    assert response.status_code == 302
    plan = running_sandbox.centra.faults
    assert (plan.server_error_rate, plan.expired_token, plan.fail_next_kind) == (
        0.25,
        True,
        "timeout",
    )
    assert running_sandbox.inventory_planner.faults.server_error_rate == 0.0
    client.post("/syncs/sandbox/", {"twin": "centra", "reset": "1"})
    assert (plan.server_error_rate, plan.expired_token) == (0.0, False)


@pytest.mark.parametrize(
    "team", ["operations", "finance", "ecommerce", "merchandising", "fulfilment"]
)
def test_other_teams_may_not_touch_the_sandbox(client_for, running_sandbox, team):
    client = client_for(team)
    assert client.get("/syncs/sandbox/").status_code == 403
    assert (
        client.post("/syncs/sandbox/", {"twin": "centra", "latency_ms": "500"}).status_code == 403
    )
    assert running_sandbox.centra.faults.latency_ms == 0


def test_the_page_is_gone_when_both_systems_are_real(client_for, settings):
    settings.CENTRA_USES_SANDBOX = False
    settings.INVENTORY_PLANNER_USES_SANDBOX = False
    assert client_for("admin").get("/syncs/sandbox/").status_code == 404


def test_the_page_says_so_when_the_sandbox_is_not_running(client_for, settings):
    settings.SANDBOX_URL = "http://127.0.0.1:9"
    page = client_for("admin").get("/syncs/sandbox/")
    assert page.status_code == 200
    assert "The sandbox does not answer" in page.content.decode()

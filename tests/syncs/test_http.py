"""The one HTTP seam: every outgoing role gets our User-Agent and an installable transport."""

import httpx
import pytest

from syncs.connectors.http import ROLES, USER_AGENT, http_client, transports_install


@pytest.mark.parametrize("role", ROLES)
def test_each_role_is_routed_through_the_installed_transport_with_our_user_agent(role):
    seen = []
    transport = httpx.MockTransport(lambda request: seen.append(request) or httpx.Response(204))
    with transports_install(**{role: transport}), http_client(role, timeout=1.0) as client:
        client.get("https://example.test/x", headers={"Accept": "text/plain"})
    assert [(r.headers["User-Agent"], r.headers["Accept"]) for r in seen] == [
        (USER_AGENT, "text/plain")
    ]


def test_the_previous_transport_is_back_after_the_block():
    outer = httpx.MockTransport(lambda request: httpx.Response(200, text="outer"))
    inner = httpx.MockTransport(lambda request: httpx.Response(200, text="inner"))
    with transports_install(centra=outer):
        with transports_install(centra=inner), http_client("centra", timeout=1.0) as client:
            assert client.get("https://c.test/").text == "inner"
        with http_client("centra", timeout=1.0) as client:
            assert client.get("https://c.test/").text == "outer"


def test_an_unknown_role_is_refused():
    refused = pytest.raises(ValueError, match="unknown HTTP roles \\['wms'\\]")
    with refused, transports_install(wms=httpx.MockTransport(lambda r: httpx.Response(200))):
        pass
    with pytest.raises(ValueError, match="unknown HTTP role 'erp'"):
        http_client("erp", timeout=1.0)


@pytest.mark.parametrize("role", ROLES)
def test_the_suites_guard_refuses_every_role_by_default(role):
    with http_client(role, timeout=1.0) as client, pytest.raises(httpx.ConnectError):
        client.get("https://example.test/")

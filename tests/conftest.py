"""Fixtures for the whole suite: one persona per team, and logged-in clients."""

import pytest
from django.db import connection
from django.test import Client

from centra_ip.teams import TEAM_CODES
from tests.factories import UserFactory


@pytest.fixture
def personas(db):
    """One user per team, keyed by team code (``personas["finance"]``)."""
    return {code: UserFactory(username=f"{code}-persona", team=code) for code in TEAM_CODES}


@pytest.fixture
def client_for(personas):
    """``client_for("operations")``: a test client logged in as that team's persona."""

    def make(team_code: str) -> Client:
        client = Client()
        client.force_login(personas[team_code])
        return client

    return make


@pytest.fixture
def watch_streams(monkeypatch):
    """``watch_streams("orders", "stock")``: freshness, /healthz, /metrics, the dashboard
    and the watchdog see only these streams, so a test seeds runs for those alone."""
    from syncs import streams

    declared = streams.STREAMS

    def watch(*codes: str) -> None:
        kept = tuple(stream for stream in declared if stream.code in codes)
        monkeypatch.setattr(streams, "STREAMS", kept)

    return watch


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    """Each test starts with an empty in-memory cache: no rate-limit count carries over,
    and nothing is written to the data folder's file cache."""
    from django.core.cache import cache

    locmem = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.CACHES = locmem
    yield
    settings.CACHES = locmem  # a test may have pointed the cache somewhere unreachable
    cache.clear()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """PBKDF2's deliberate slowness costs seconds per persona set; tests need no strength."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def pytest_collection_modifyitems(config, items):
    """Leave out tests marked ``postgres`` when the database is not PostgreSQL, and say so.

    They prove what only a real concurrent database can (two workers racing); CI runs the
    suite on PostgreSQL as well, where every one of them runs. Not a skip: they are named
    in the summary as deselected for this database.
    """
    _browser_tests_last(items)
    if connection.vendor == "postgresql":
        return
    kept, left_out = [], []
    for item in items:
        (left_out if item.get_closest_marker("postgres") else kept).append(item)
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = kept
        config._centra_ip_postgres_only = len(left_out)


def _browser_tests_last(items) -> None:
    """Run the browser tests after all others. Playwright's sync API keeps an event loop
    in the main thread once the browser starts, and Django refuses ORM calls from such a
    thread; the e2e fixtures allow them, and nothing that runs afterwards must need that."""
    items.sort(key=lambda item: item.nodeid.startswith("tests/e2e/"))


def pytest_terminal_summary(terminalreporter, config):
    left_out = getattr(config, "_centra_ip_postgres_only", 0)
    if left_out:
        terminalreporter.write_line(
            f"{left_out} PostgreSQL-only tests were deselected on {connection.vendor}; "
            "the PostgreSQL run executes them."
        )


@pytest.fixture(autouse=True)
def _no_real_apis():
    """No outgoing call reaches a network unless a test wires in a transport (the twins of
    the ``sandbox`` fixture, a recorded WMS, a webhook box): every role of the HTTP seam
    fails at the transport, as a refused connection would, so a test can never talk to a
    sandbox a developer has running, nor to a team's real webhook."""
    import httpx

    from syncs.connectors.http import ROLES, transports_install

    def refuse(request):
        raise httpx.ConnectError(
            "tests: no external API here; use the sandbox fixture", request=request
        )

    with transports_install(**{role: httpx.MockTransport(refuse) for role in ROLES}):
        yield

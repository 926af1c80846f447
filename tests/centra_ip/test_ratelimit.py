"""Failed sign-ins (our form and the admin's) and feed logins: slowed, then refused for a
while with a clear message, per user and per client address (docs/operations.md)."""

import base64

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from centra_ip import ratelimit
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def _login(client, username, password, address="10.0.0.1", url="login"):
    return client.post(
        reverse(url), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def _errors(response) -> str:
    return " ".join(response.context["form"].non_field_errors())


@pytest.fixture
def alice(db):
    return UserFactory(username="alice", team="operations")


def test_after_three_failures_the_next_attempt_must_wait(client, alice):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for _ in range(3):
            assert _login(client, "alice", "wrong").status_code == 200
        refused = _login(client, "alice", PASSWORD)  # the right password, too soon
        assert refused.status_code == 429
        assert "try again in 2 seconds" in _errors(refused)
        assert "_auth_user_id" not in client.session
        clock.shift(2)
        assert _login(client, "alice", PASSWORD).status_code == 302  # slowed, not locked


def test_ten_failures_lock_the_user_for_fifteen_minutes_from_any_address(client, alice):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for attempt in range(10):
            _login(client, "alice", "wrong", address=f"10.0.1.{attempt}")
            clock.shift(120)  # past every slow-down: only the lock is left
        refused = _login(client, "alice", PASSWORD, address="10.9.9.9")
        assert refused.status_code == 429
        assert "try again in 13 minutes" in _errors(refused)
        clock.shift(15 * 60)
        assert _login(client, "alice", PASSWORD, address="10.9.9.9").status_code == 302


def test_one_address_guessing_many_users_is_locked_out(client, alice):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for attempt in range(10):
            _login(client, f"user{attempt}", "wrong", address="10.6.6.6")
            clock.shift(120)
        assert _login(client, "alice", PASSWORD, address="10.6.6.6").status_code == 429
        assert _login(client, "alice", PASSWORD, address="10.7.7.7").status_code == 302


def test_a_success_clears_the_users_count(client, alice):
    for _ in range(2):
        _login(client, "alice", "wrong")
    assert _login(client, "alice", PASSWORD).status_code == 302
    client.logout()
    for _ in range(2):
        _login(client, "alice", "wrong", address="10.0.0.2")
    assert _login(client, "alice", PASSWORD, address="10.0.0.3").status_code == 302


def test_the_admin_login_is_limited_too(client):
    UserFactory(username="root", team="admin", is_staff=True)
    with time_machine.travel(timezone.now(), tick=False):
        for _ in range(3):
            _login(client, "root", "wrong", url="admin:login")
        refused = _login(client, "root", PASSWORD, url="admin:login")
        assert "Too many failed attempts" in refused.content.decode()
        assert "_auth_user_id" not in client.session


def test_the_client_address_behind_trusted_proxies(rf, settings):
    request = rf.get("/", REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR="6.6.6.6, 1.2.3.4")
    assert ratelimit.client_address(request) == "10.0.0.9"  # no proxy trusted: the header lies
    settings.TRUSTED_PROXIES = 1
    assert ratelimit.client_address(request) == "1.2.3.4"  # what our one proxy saw


@pytest.fixture
def feed(settings):
    settings.IP_FEED_PASSWORD = "feed-password"
    url = reverse("feeds:ip_sales_orders")

    def fetch(client, password, address="10.0.0.5", method="head"):
        pair = base64.b64encode(f"{settings.IP_FEED_USERNAME}:{password}".encode()).decode()
        send = getattr(client, method)
        return send(url, HTTP_AUTHORIZATION=f"Basic {pair}", REMOTE_ADDR=address)

    return fetch


def test_the_feed_slows_then_refuses_an_address_that_keeps_failing(client, feed):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for _ in range(5):
            assert feed(client, "wrong").status_code == 401
        refused = feed(client, "feed-password", method="get")
        assert refused.status_code == 429
        assert refused["Retry-After"] == "2"
        assert "Too many failed attempts" in refused.content.decode()
        assert feed(client, "feed-password", address="10.0.0.6").status_code == 200
        for _ in range(15):
            clock.shift(120)
            feed(client, "wrong")
        clock.shift(120)
        assert feed(client, "feed-password").status_code == 429  # locked
        clock.shift(15 * 60)
        assert feed(client, "feed-password").status_code == 200


def test_a_broken_cache_fails_open_and_says_so(client, alice, settings, caplog):
    """A cache outage (Redis down, an unwritable folder) must not lock everyone out."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",  # nothing listens on the discard port
        }
    }
    assert _login(client, "alice", "wrong").status_code == 200
    assert _login(client, "alice", PASSWORD).status_code == 302
    assert "rate limit cache unavailable" in caplog.text

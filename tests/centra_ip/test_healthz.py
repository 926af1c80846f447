import json
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from syncs.models import SyncRun


@pytest.fixture(autouse=True)
def two_streams(watch_streams):
    """The health answer covers every stream; these tests seed runs for two of them."""
    watch_streams("orders", "stock")


@pytest.mark.django_db
def test_healthz_answers_json_without_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["task_queue"] == {"ok": True, "broker": "orm", "queued": 0}
    assert set(body["streams"]) == {"orders", "stock"}


@pytest.mark.django_db
def test_healthz_reports_the_age_of_each_streams_last_success(client):
    now = timezone.now()
    for minutes_ago, status in [
        (30, SyncRun.Status.SUCCEEDED),
        (5, SyncRun.Status.SUCCEEDED),
        (1, SyncRun.Status.FAILED),
    ]:
        finished = now - timedelta(minutes=minutes_ago)
        SyncRun.objects.create(
            stream="orders", status=status, started_at=finished, finished_at=finished
        )
    body = client.get("/healthz").json()
    orders = body["streams"]["orders"]
    assert 299 <= orders["age_seconds"] <= 302  # the failed run a minute ago does not count
    assert orders["late"] is False  # a success within its late time
    assert orders["state"] == "failing"  # but the last run failed: the banner says so
    assert orders["freshness"] == "amber"
    assert body["streams"]["stock"] == {
        "last_success": None,
        "age_seconds": None,
        "late": True,
        "state": "behind",
        "freshness": "red",
    }


@pytest.mark.django_db
@override_settings(CENTRA_API_TOKEN="secret-centra-token", IP_FEED_PASSWORD="secret-feed")
def test_healthz_never_shows_secrets(client):
    text = client.get("/healthz").content.decode()
    assert "secret" not in text
    assert "token" not in text.lower()


@pytest.mark.django_db
def test_healthz_answers_503_when_the_task_queue_is_down(client, settings):
    # A Redis broker on a port where nothing listens: the probe must say "down", not crash.
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "redis": "redis://127.0.0.1:1/0"}
    settings.Q_CLUSTER.pop("orm", None)
    from django_q.conf import Conf

    original = Conf.REDIS, Conf.ORM
    Conf.REDIS, Conf.ORM = "redis://127.0.0.1:1/0", None
    try:
        response = client.get("/healthz")
    finally:
        Conf.REDIS, Conf.ORM = original
    assert response.status_code == 503
    body = json.loads(response.content)
    assert body["status"] == "down"
    assert body["task_queue"]["ok"] is False
    assert body["task_queue"]["broker"] == "redis"
    assert body["database"]["ok"] is True

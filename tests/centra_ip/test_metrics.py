from datetime import timedelta

import pytest
from django.utils import timezone

from exceptions.services import ticket_raise
from syncs.models import ExternalCall, SyncRun

TOKEN = "metrics-token-for-tests"


@pytest.fixture
def metrics_on(settings, watch_streams):
    settings.METRICS_TOKEN = TOKEN
    watch_streams("orders", "stock")


@pytest.mark.django_db
def test_metrics_do_not_exist_without_a_token(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404


@pytest.mark.django_db
def test_metrics_refuse_a_missing_or_wrong_token(client, metrics_on):
    assert client.get("/metrics").status_code == 401
    wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer nope")
    assert wrong.status_code == 401
    assert wrong["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert "centra_ip" not in wrong.content.decode()


@pytest.mark.django_db
def test_metrics_report_lag_runs_tickets_and_calls_in_prometheus_format(client, metrics_on):
    now = timezone.now()
    at = now - timedelta(minutes=2)
    SyncRun.objects.create(stream="orders", status="succeeded", started_at=at, finished_at=at)
    SyncRun.objects.create(stream="orders", status="failed", started_at=at, finished_at=at)
    ticket_raise(type_code="stream_late", source="test", stream="stock")
    for ms, outcome in [(100, "ok"), (300, "ok"), (900, "retryable_error")]:
        ExternalCall.objects.create(
            system="centra",
            operation="query orders",
            started_at=now,
            duration_ms=ms,
            outcome=outcome,
        )
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    lines = response.content.decode().splitlines()
    assert "# TYPE centra_ip_stream_last_success_age_seconds gauge" in lines
    age = next(
        line
        for line in lines
        if line.startswith('centra_ip_stream_last_success_age_seconds{stream="orders"}')
    )
    assert 119 <= int(age.split()[-1]) <= 122
    assert 'centra_ip_stream_last_success_age_seconds{stream="stock"} NaN' in lines
    assert 'centra_ip_sync_runs_24h{stream="orders",status="failed"} 1' in lines
    assert 'centra_ip_sync_runs_24h{stream="orders",status="succeeded"} 1' in lines
    assert 'centra_ip_open_tickets{type="stream_late",team="admin"} 1' in lines
    assert 'centra_ip_external_calls_1h{system="centra",outcome="ok"} 2' in lines
    assert 'centra_ip_external_call_duration_ms_avg_1h{system="centra",outcome="ok"} 200.0' in lines
    assert (
        'centra_ip_external_call_duration_ms_max_1h{system="centra",outcome="retryable_error"} 900'
        in lines
    )

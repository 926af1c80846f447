"""``/metrics``: the hub's figures in Prometheus' text format, for existing monitoring.

Protected by ``METRICS_TOKEN`` (``Authorization: Bearer <token>``); with no token set the
endpoint does not exist. Every figure is an aggregate query: scraping costs a handful of
queries whatever the size of the tables. Windows (24 h of runs, 1 h of calls) are gauges,
so a restart never produces a fake rate.
"""

import hmac
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db.models import Avg, Count, Max
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from exceptions.models import Ticket
from syncs.freshness import stream_freshness
from syncs.models import ExternalCall, SyncRun


def _line(name: str, labels: dict, value) -> str:
    rendered = ",".join(f'{key}="{_escape(val)}"' for key, val in labels.items())
    return f"{name}{{{rendered}}} {value}" if rendered else f"{name} {value}"


def _escape(value) -> str:
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _family(name: str, help_text: str, rows: list[tuple[dict, object]]) -> list[str]:
    lines = [f"# HELP {name} {help_text}", f"# TYPE {name} gauge"]
    lines += [_line(name, labels, value) for labels, value in rows]
    return lines


def metrics_text() -> str:
    now = timezone.now()
    lines = []
    lines += _family(
        "centra_ip_stream_last_success_age_seconds",
        "Seconds since the stream's last successful run (NaN: never).",
        [
            ({"stream": r.stream.code}, "NaN" if r.age is None else round(r.age.total_seconds()))
            for r in stream_freshness(now)
        ],
    )
    runs = (
        SyncRun.objects.filter(started_at__gte=now - timedelta(hours=24))
        .values("stream", "status")
        .annotate(n=Count("pk"))
        .order_by("stream", "status")
    )
    lines += _family(
        "centra_ip_sync_runs_24h",
        "Sync runs started in the last 24 hours.",
        [({"stream": r["stream"], "status": r["status"]}, r["n"]) for r in runs],
    )
    tickets = (
        Ticket.objects.filter(status__in=Ticket.ACTIVE)
        .values("type", "team")
        .annotate(n=Count("pk"))
        .order_by("type", "team")
    )
    lines += _family(
        "centra_ip_open_tickets",
        "Active tickets (open, acknowledged, snoozed).",
        [({"type": t["type"], "team": t["team"]}, t["n"]) for t in tickets],
    )
    calls = (
        ExternalCall.objects.filter(started_at__gte=now - timedelta(hours=1))
        .values("system", "outcome")
        .annotate(n=Count("pk"), avg=Avg("duration_ms"), worst=Max("duration_ms"))
        .order_by("system", "outcome")
    )
    calls = list(calls)
    lines += _family(
        "centra_ip_external_calls_1h",
        "Calls to Centra, IP and the WMS webhook in the last hour.",
        [({"system": c["system"], "outcome": c["outcome"]}, c["n"]) for c in calls],
    )
    lines += _family(
        "centra_ip_external_call_duration_ms_avg_1h",
        "Mean call duration in the last hour.",
        [({"system": c["system"], "outcome": c["outcome"]}, round(c["avg"], 1)) for c in calls],
    )
    lines += _family(
        "centra_ip_external_call_duration_ms_max_1h",
        "Slowest call in the last hour.",
        [({"system": c["system"], "outcome": c["outcome"]}, c["worst"]) for c in calls],
    )
    return "\n".join(lines) + "\n"


@login_not_required
@never_cache
@require_GET
def metrics(request):
    token = settings.METRICS_TOKEN
    if not token:
        raise Http404("Metrics are off: set METRICS_TOKEN.")
    offered = request.headers.get("Authorization", "")
    if not hmac.compare_digest(offered.encode(), f"Bearer {token}".encode()):
        response = HttpResponse("Unauthorized\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(metrics_text(), content_type="text/plain; version=0.0.4; charset=utf-8")

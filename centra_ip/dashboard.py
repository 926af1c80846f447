"""The sync health dashboard: the landing page of admins and operations.

"The system is on" hides drift, so every figure here is measured from the rows the engines
leave (``SyncRun``, ``ExternalCall``, tickets): per stream its last success and lag, success
rates over 24 hours and 7 days, throughput, error classes and Centra quota use, with open
tickets by type and 30-day charts. Every figure is an aggregate query, so the page costs
the same number of queries whatever the size of the tables (a test counts them).
"""

from datetime import datetime, timedelta

from django.db.models import Count, Max, Q, Sum
from django.db.models.functions import Substr, TruncDate
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from centra_ip.permissions import VIEW_SYNCS, requires
from exceptions.models import Ticket
from exceptions.overrides import effective_type, overrides_load
from exceptions.registry import TYPES
from exceptions.selectors import ticket_trend
from syncs.connectors.centra.pacing import CentraLimits
from syncs.freshness import PENDING, stream_freshness
from syncs.models import ExternalCall, SyncRun

ERROR_CLASSES = 12
CHART_DAYS = 30
_DONE = ~Q(status=SyncRun.Status.RUNNING)
_OK = Q(status=SyncRun.Status.SUCCEEDED)


def _rate(ok: int, done: int) -> str:
    return f"{ok / done:.0%}" if done else "no runs"


def _stream_rows(now: datetime) -> list[dict]:
    """One row per stream with its freshness, run figures, calls and late ticket."""
    day, week = now - timedelta(hours=24), now - timedelta(days=7)
    runs = {
        row["stream"]: row
        for row in SyncRun.objects.filter(started_at__gte=week, dry_run=False)
        .values("stream")
        .annotate(
            done_24=Count("pk", filter=_DONE & Q(started_at__gte=day)),
            ok_24=Count("pk", filter=_OK & Q(started_at__gte=day)),
            held_24=Count("pk", filter=Q(status=SyncRun.Status.HELD, started_at__gte=day)),
            failed_24=Count("pk", filter=Q(status=SyncRun.Status.FAILED, started_at__gte=day)),
            done_7=Count("pk", filter=_DONE),
            ok_7=Count("pk", filter=_OK),
            last_run=Max("started_at"),
        )
        .order_by()
    }
    calls = {
        row["sync_run__stream"]: row
        for row in ExternalCall.objects.filter(started_at__gte=day, sync_run__isnull=False)
        .values("sync_run__stream")
        .annotate(n=Count("pk"), failed=Count("pk", filter=~Q(outcome="ok")))
        .order_by()
    }
    late_tickets = dict(
        Ticket.objects.filter(type="stream_late", status__in=Ticket.ACTIVE).values_list(
            "stream", "pk"
        )
    )
    rows = []
    for reading in stream_freshness(now):
        stream = reading.stream
        run = runs.get(stream.code, {})
        call = calls.get(stream.code, {})
        ticket = late_tickets.get(stream.code)
        rows.append(
            {
                "stream": stream,
                "reading": reading,
                "level": reading.level,
                "lag": _lag(reading),
                "rate_24": _rate(run.get("ok_24", 0), run.get("done_24", 0)),
                "rate_7": _rate(run.get("ok_7", 0), run.get("done_7", 0)),
                "runs_24": run.get("done_24", 0),
                "held_24": run.get("held_24", 0),
                "failed_24": run.get("failed_24", 0),
                "last_run": run.get("last_run"),
                "calls_24": call.get("n", 0),
                "failed_calls_24": call.get("failed", 0),
                "late_ticket_url": reverse("exceptions:ticket", args=[ticket]) if ticket else "",
            }
        )
    return rows


def _lag(reading) -> str:
    """How far past its cadence the stream's last success is ("on time" within it)."""
    if reading.state == PENDING:
        return "not run yet"
    if reading.age is None:
        return "never succeeded"
    minutes = int((reading.age - reading.stream.cadence).total_seconds() // 60)
    if minutes <= 0:
        return "on time"
    return f"{minutes} min behind" if minutes < 120 else f"{minutes // 60} h behind"


def _error_classes(now: datetime) -> dict:
    """The week's failures, grouped: connector outcomes by system, operation and status code,
    and failed runs by the start of their error message."""
    week = now - timedelta(days=7)
    calls = list(
        ExternalCall.objects.filter(started_at__gte=week)
        .exclude(outcome=ExternalCall.Outcome.OK)
        .values("system", "operation", "outcome", "status_code")
        .annotate(n=Count("pk"), last=Max("started_at"))
        .order_by("-n", "system", "operation")[:ERROR_CLASSES]
    )
    systems = dict(ExternalCall.System.choices)
    for call in calls:
        call["system_label"] = systems.get(call["system"], call["system"])
    runs = list(
        SyncRun.objects.filter(started_at__gte=week, status=SyncRun.Status.FAILED)
        .annotate(error_start=Substr("error", 1, 120))
        .values("stream", "error_start")
        .annotate(n=Count("pk"), last=Max("started_at"))
        .order_by("-n", "stream", "error_start")[:ERROR_CLASSES]
    )
    return {"calls": calls, "runs": runs}


def _centra_quota(now: datetime) -> dict:
    """HTTP requests to Centra in the last hour (each call plus its retries) against the
    hourly request bucket, and the day's throttled (429) answers: those retries absorbed
    (the call ended well) and the longest wait they cost. Centra's own ``rateLimits`` answer
    is not stored, so this is what the hub used, not what other integrations used."""
    hour, day = now - timedelta(hours=1), now - timedelta(hours=24)
    figures = ExternalCall.objects.filter(
        system=ExternalCall.System.CENTRA, started_at__gte=day
    ).aggregate(
        calls=Count("pk", filter=Q(started_at__gte=hour)),
        retries=Sum("retries", filter=Q(started_at__gte=hour)),
        throttled_answers=Sum("throttled"),
        absorbed=Sum("throttled", filter=Q(outcome=ExternalCall.Outcome.OK)),
        longest_wait_ms=Max("longest_wait_ms"),
        last_throttled=Max("started_at", filter=Q(throttled__gt=0)),
    )
    used = figures["calls"] + (figures["retries"] or 0)
    limit = CentraLimits().requests_1h
    return {
        "used": used,
        "limit": limit,
        "share": f"{used / limit:.0%}",
        "throttled": figures["throttled_answers"] or 0,
        "absorbed": figures["absorbed"] or 0,
        "longest_wait": round((figures["longest_wait_ms"] or 0) / 1000),
        "last_throttled": figures["last_throttled"],
    }


def _open_tickets() -> list[dict]:
    counts = dict(
        Ticket.objects.filter(status__in=Ticket.ACTIVE)
        .values_list("type")
        .annotate(n=Count("pk"))
        .order_by()
    )
    overrides = overrides_load()
    queue = reverse("exceptions:index")
    return [
        {
            "type": effective_type(kind.code, overrides),
            "count": counts[kind.code],
            "url": f"{queue}?type={kind.code}",
            "runbook": reverse("docs:runbook", args=[kind.code]),
        }
        for kind in TYPES
        if counts.get(kind.code)
    ]


def _run_trend(days: int) -> dict:
    """Per day of the last ``days``: finished runs by outcome."""
    today = timezone.localdate()
    start = today - timedelta(days=days - 1)
    since = timezone.make_aware(datetime.combine(start, datetime.min.time()))
    labels = [start + timedelta(days=n) for n in range(days)]
    rows = (
        SyncRun.objects.filter(started_at__gte=since, dry_run=False)
        .exclude(status=SyncRun.Status.RUNNING)
        .annotate(day=TruncDate("started_at"))
        .values("day", "status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    found = {(row["day"], row["status"]): row["n"] for row in rows}
    series = {
        status: [found.get((day, status), 0) for day in labels]
        for status in (SyncRun.Status.SUCCEEDED, SyncRun.Status.FAILED, SyncRun.Status.HELD)
    }
    return {"labels": [day.isoformat() for day in labels], **series}


def _orders_events_unavailable(open_tickets: list[dict]) -> dict | None:
    """The open-tickets row of "Centra order events unavailable": the orders stream polls."""
    return next((r for r in open_tickets if r["type"].code == "orders_events_unavailable"), None)


def dashboard_context(now: datetime | None = None) -> dict:
    now = now or timezone.now()
    open_tickets = _open_tickets()
    return {
        "now": now,
        "streams": _stream_rows(now),
        "errors": _error_classes(now),
        "quota": _centra_quota(now),
        "open_tickets": open_tickets,
        "orders_events_unavailable": _orders_events_unavailable(open_tickets),
        "charts": {"tickets": ticket_trend(days=CHART_DAYS), "runs": _run_trend(CHART_DAYS)},
    }


def render_dashboard(request):
    return render(request, "centra_ip/dashboard.html", dashboard_context())


@require_GET
@requires(VIEW_SYNCS)
def dashboard(request):
    return render_dashboard(request)

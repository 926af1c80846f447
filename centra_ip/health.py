"""``/healthz``: a JSON answer for load balancers and monitors.

Unauthenticated and free of secrets: it says whether the database and the task queue
answer, and how old each stream's last success is (streams with an engine). It answers
503 when the database or the queue is down; late streams are reported but do not fail the
probe, since a load balancer must not take the web tier out because Centra is slow.
"""

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from syncs.freshness import stream_freshness


def _database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # any driver error means "down"; the type is reported
        return {"ok": False, "error": type(error).__name__}
    return {"ok": True, "vendor": connection.vendor}


def _task_queue() -> dict:
    from django_q.brokers import get_broker

    try:
        broker = get_broker()
        broker.ping()
        queued = broker.queue_size()
    except Exception as error:  # a broker that cannot answer is down; the type is reported
        return {"ok": False, "broker": _broker_kind(), "error": type(error).__name__}
    return {"ok": True, "broker": _broker_kind(), "queued": queued}


def _broker_kind() -> str:
    from django.conf import settings

    return "redis" if "redis" in settings.Q_CLUSTER else "orm"


def _streams() -> dict:
    report = {}
    for reading in stream_freshness():
        report[reading.stream.code] = {
            "last_success": reading.last_success.isoformat() if reading.last_success else None,
            "age_seconds": None if reading.age is None else round(reading.age.total_seconds()),
            "late": reading.late,
            "state": reading.state,
            "freshness": reading.level,
        }
    return report


@login_not_required
@never_cache
@require_GET
def healthz(request):
    database = _database()
    queue = _task_queue()
    streams = _streams() if database["ok"] else {}
    ok = database["ok"] and queue["ok"]
    body = {
        "status": "ok" if ok else "down",
        "database": database,
        "task_queue": queue,
        "streams": streams,
    }
    return JsonResponse(body, status=200 if ok else 503)

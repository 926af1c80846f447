"""The syncs hub (every stream's latest runs and external calls) and each stream's run
history, one table for all (``syncs.tables.SyncRunTable``)."""

from django.contrib import messages
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from centra_ip.permissions import CHANGE_CONFIGURATION, VIEW_SYNCS, requires
from syncs.freshness import stream_freshness
from syncs.models import ExternalCall, SyncRun
from syncs.streams import STREAM_CHOICES, STREAMS
from syncs.tables import SyncRunTable


@require_GET
@requires(VIEW_SYNCS)
def index(request):
    """The syncs hub: links to each room, the latest runs and the latest external calls."""
    runs = SyncRunTable(SyncRun.objects.all()).configure(request)
    calls = ExternalCall.objects.all()[:50]
    return render(
        request, "syncs/index.html", {"runs": runs, "calls": calls, "streams": STREAM_CHOICES}
    )


@require_GET
@requires(VIEW_SYNCS)
def stream_runs(request, stream: str):
    """Any stream's runs, with its state on top (failing, held, behind, OK, or when its
    first scheduled run is)."""
    title = next((s.title for s in STREAMS if s.code == stream), None)
    if title is None:
        raise Http404("no such stream")
    table = SyncRunTable(SyncRun.objects.filter(stream=stream), stream=stream)
    table.configure(request)
    reading = next((r for r in stream_freshness() if r.stream.code == stream), None)
    return render(
        request,
        "syncs/runs.html",
        {
            "table": table,
            "stream": stream,
            "title": title,
            "reading": reading,
            "streams": STREAM_CHOICES,
        },
    )


@require_POST
@requires(CHANGE_CONFIGURATION)
def check_apis(request):
    """Queue ``manage.py check_apis`` (it makes several calls to both systems: not in a
    request). A failure is an admin ticket; a pass clears it."""
    from django_q.tasks import async_task

    transaction.on_commit(lambda: async_task("syncs.tasks.check_apis"))
    messages.success(
        request,
        "API check queued. A failure opens an “API check failed” ticket; a pass resolves it.",
    )
    return redirect("dashboard")

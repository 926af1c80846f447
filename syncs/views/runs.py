from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from centra_ip.permissions import CHANGE_CONFIGURATION, VIEW_SYNCS, requires
from syncs.models import ExternalCall, SyncRun
from syncs.streams import STREAM_CHOICES


@require_GET
@requires(VIEW_SYNCS)
def index(request):
    """The syncs hub: links to each room, the latest runs and the latest external calls."""
    runs = SyncRun.objects.all()[:50]
    calls = ExternalCall.objects.all()[:50]
    return render(
        request, "syncs/index.html", {"runs": runs, "calls": calls, "streams": STREAM_CHOICES}
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

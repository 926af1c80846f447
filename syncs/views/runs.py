from django.contrib.auth.decorators import permission_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from syncs.models import ExternalCall, SyncRun
from syncs.streams import STREAM_CHOICES


@require_GET
@permission_required("centra_ip.view_syncs", raise_exception=True)
def index(request):
    """The syncs hub: links to each room, the latest runs and the latest external calls."""
    runs = SyncRun.objects.all()[:50]
    calls = ExternalCall.objects.all()[:50]
    return render(
        request, "syncs/index.html", {"runs": runs, "calls": calls, "streams": STREAM_CHOICES}
    )

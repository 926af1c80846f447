from django.shortcuts import render
from django.views.decorators.http import require_GET

from syncs.models import ExternalCall, SyncRun


@require_GET
def index(request):
    runs = SyncRun.objects.all()[:50]
    calls = ExternalCall.objects.all()[:50]
    return render(request, "syncs/index.html", {"runs": runs, "calls": calls})

"""Project-level pages: the home page (the docs pages live in ``centra_ip.docs``)."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from syncs.services import stream_last_successes
from syncs.streams import STREAMS


@require_GET
def home(request):
    last = stream_last_successes()
    streams = [{"stream": stream, "last_success": last[stream.code]} for stream in STREAMS]
    return render(request, "centra_ip/home.html", {"streams": streams})

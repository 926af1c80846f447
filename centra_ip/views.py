"""Project-level pages: the home page, the pages still to come, and the docs."""

from django.contrib.auth.decorators import permission_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from syncs.services import stream_last_successes
from syncs.streams import STREAMS


@require_GET
def home(request):
    last = stream_last_successes()
    streams = [{"stream": stream, "last_success": last[stream.code]} for stream in STREAMS]
    return render(request, "centra_ip/home.html", {"streams": streams})


def coming(title: str, summary: str):
    """A page that renders inside the real layout and says what will live there."""

    @require_GET
    def view(request):
        return render(request, "centra_ip/coming.html", {"title": title, "summary": summary})

    return view


reconciliation = permission_required("centra_ip.view_reconciliation", raise_exception=True)(
    coming(
        "Reconciliation",
        "Centra revenue against stock movements per day and period, with discrepancies, "
        "drill-down to SKU and order, and CSV export.",
    )
)

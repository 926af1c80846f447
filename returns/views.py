from django.shortcuts import render
from django.views.decorators.http import require_GET


@require_GET
def index(request):
    return render(
        request,
        "centra_ip/coming.html",
        {
            "title": "Returns",
            "summary": "Expected returns, receipt and QC, and confirmed stock-ins.",
        },
    )

from django.shortcuts import render
from django.views.decorators.http import require_GET


@require_GET
def index(request):
    return render(
        request,
        "centra_ip/coming.html",
        {
            "title": "Exceptions",
            "summary": "The exception desk: every failure and drift as a ticket owned by a team.",
        },
    )

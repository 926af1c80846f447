"""The sandbox control page (admins): inject faults into the twins while the demo runs.

The twins live in the ``manage.py sandbox`` process, so this page steers them over HTTP
through the sandbox's keyed control endpoint. It exists only while a system is served
by its sandbox; with real credentials it answers 404.
"""

import httpx
from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from centra_ip.permissions import CONTROL_SANDBOX, requires
from syncs.sandbox.control import CONTROL_HEADER, control_key
from syncs.sandbox.faults import FAULT_KINDS, FaultPlan

TWINS = {"centra": "Centra", "inventory_planner": "Inventory Planner"}
# What the form edits, in the order shown; the rest of FaultPlan is internal.
FIELDS = [
    ("latency_ms", "Latency (ms)"),
    ("timeout_rate", "Timeout rate (0-1)"),
    ("server_error_rate", "5xx rate (0-1)"),
    ("throttle_rate", "429 rate (0-1)"),
    ("throttle_every", "429 on every Nth request"),
    ("throttle_storm_seconds", "429 storm for (s)"),
    ("retry_after_seconds", "Retry-After (s)"),
    ("malformed_rate", "Malformed payload rate (0-1)"),
    ("partial_rate", "Partial page rate (0-1)"),
    ("expired_token", "Expired token"),
    ("fail_next", "Fail the next N requests"),
    ("fail_next_kind", "...with"),
]


def _control(method: str, path: str, **kwargs) -> httpx.Response:
    with httpx.Client(base_url=settings.SANDBOX_URL, timeout=5.0) as client:
        return client.request(
            method,
            f"/control/{path}",
            headers={CONTROL_HEADER: control_key(settings.SECRET_KEY)},
            **kwargs,
        )


def _changes_from(post) -> dict:
    changes = {name: post.get(name, "") for name, _ in FIELDS if name != "expired_token"}
    changes["expired_token"] = "true" if post.get("expired_token") else "false"
    return {name: value for name, value in changes.items() if value != ""}


def _json_object(answer: httpx.Response) -> dict | None:
    """The answer's JSON object, or None when something else answers on SANDBOX_URL."""
    try:
        body = answer.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


@requires(CONTROL_SANDBOX)
@require_http_methods(["GET", "POST"])
def control(request):
    if not (settings.CENTRA_USES_SANDBOX or settings.INVENTORY_PLANNER_USES_SANDBOX):
        raise Http404("No system is served by the sandbox.")
    if request.method == "POST":
        twin = request.POST.get("twin", "")
        if twin not in TWINS:
            raise Http404("No such twin.")
        path = f"faults/{twin}/reset" if "reset" in request.POST else f"faults/{twin}"
        try:
            answer = _control("POST", path, json=_changes_from(request.POST))
        except httpx.HTTPError as error:
            messages.error(request, f"The sandbox does not answer: {type(error).__name__}.")
        else:
            body = _json_object(answer)
            if answer.status_code == 200 and body is not None:
                messages.success(request, f"{TWINS[twin]} faults updated.")
            elif body is not None:
                messages.error(request, f"Refused: {body.get('error', answer.status_code)}")
            else:
                messages.error(
                    request, f"The sandbox answered something else (HTTP {answer.status_code})."
                )
        return redirect("syncs:sandbox")
    plans, unreachable = {}, False
    try:
        plans = _control("GET", "faults").json()
    except (httpx.HTTPError, ValueError):  # down, or another service on SANDBOX_URL
        unreachable = True
    if not isinstance(plans, dict):
        plans, unreachable = {}, True
    plans = {code: plan for code, plan in plans.items() if isinstance(plan, dict)}
    defaults = FaultPlan().as_dict()
    twins = [
        {
            "code": code,
            "name": name,
            "fields": [
                (field, label, plans.get(code, defaults).get(field)) for field, label in FIELDS
            ],
        }
        for code, name in TWINS.items()
    ]
    return render(
        request,
        "syncs/sandbox.html",
        {
            "twins": twins,
            "unreachable": unreachable,
            "kinds": FAULT_KINDS,
            "sandbox_url": settings.SANDBOX_URL,
        },
    )

"""Project-level pages: the home page, the denied page and the teams' checklists (the docs
pages live in ``centra_ip.docs``, the checklists' items in ``centra_ip.checklists``).

A checklist summarises the queues and the streams: reading it takes the queue permission.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from centra_ip import dashboard
from centra_ip.checklists import checklist_for, checklist_tick, user_can_tick
from centra_ip.permissions import (
    ACT_ON_ALL_TICKETS,
    CHANGE_CONFIGURATION,
    CONTROL_SANDBOX,
    HANDLE_RETURNS,
    MAP_SKUS,
    RUN_SYNCS,
    VIEW_EXCEPTIONS,
    VIEW_RECONCILIATION,
    requires,
)
from centra_ip.teams import (
    ADMIN,
    ECOMMERCE,
    FINANCE,
    FULFILMENT,
    MERCHANDISING,
    OPERATIONS,
    TEAM_CHOICES,
    TEAM_PERMISSIONS,
    TEAMS,
    user_team_codes,
)

# Which permission opens which part of the app, most specific first: the denied page says
# which teams hold it. (Every team reads every screen but reconciliation; acting is split.)
AREA_PERMISSIONS = (
    ("/reconciliation/", VIEW_RECONCILIATION, "reconciliation"),
    ("/returns/", HANDLE_RETURNS, "receiving and QC of returns"),
    ("/syncs/sandbox/", CONTROL_SANDBOX, "the sandbox controls"),
    ("/syncs/config/", CHANGE_CONFIGURATION, "changing the configuration"),
    ("/syncs/catalog/", MAP_SKUS, "mapping SKUs"),
    ("/syncs/stock/", RUN_SYNCS, "running and releasing stock pushes"),
    ("/syncs/", RUN_SYNCS, "running syncs"),
    ("/exceptions/", ACT_ON_ALL_TICKETS, "acting on another team's tickets"),
)


# Where each team's work is: the landing after login ("/"). Admins land on health.
LANDINGS = {
    OPERATIONS: "exceptions:index",  # the team's queue, what needs it now
    FINANCE: "reconciliation:index",  # the month's reconciliation
    FULFILMENT: "returns:index",  # returns waiting to be received and QC'd
    MERCHANDISING: "syncs:catalog",  # the SKU mismatches, on the mapping workbench
    ECOMMERCE: "syncs:catalog",
}


@require_GET
def home(request):
    """Each team lands on its work; admins (and a user in no team) on the sync health
    dashboard. The checklists stay one click away in the user menu."""
    teams = user_team_codes(request.user)
    if not teams or ADMIN in teams:
        return dashboard.dashboard(request)
    return redirect(LANDINGS[teams[0]])


def _teams_holding(permission: str) -> list[str]:
    return [team.name for team in TEAMS if permission in TEAM_PERMISSIONS[team.code]]


def permission_denied(request, exception=None):
    """The styled 403: what was refused, which teams may open it, and the way back."""
    area = next((a for a in AREA_PERMISSIONS if request.path.startswith(a[0])), None)
    context = {
        "what": area[2] if area else "this page",
        "teams": _teams_holding(area[1]) if area else [],
    }
    return render(request, "403.html", context, status=403)


@require_GET
@requires(VIEW_EXCEPTIONS)
def checklist_index(request):
    """Straight to the user's own team's checklist (the first team, for people in several)."""
    teams = user_team_codes(request.user)
    return redirect("checklist", team=teams[0] if teams else OPERATIONS)


@require_GET
@requires(VIEW_EXCEPTIONS)
def checklist_page(request, team):
    if team not in dict(TEAM_CHOICES):
        raise Http404("No such team")
    context = {
        "team": team,
        "team_name": dict(TEAM_CHOICES)[team],
        "teams": TEAM_CHOICES,
        "can_tick": user_can_tick(request.user, team),
        **checklist_for(team=team),
    }
    return render(request, "centra_ip/checklist.html", context)


@require_POST
def checklist_tick_view(request, team):
    """POST-only, answered with a redirect (PRG); ticking twice records once."""
    try:
        tick, created = checklist_tick(
            user=request.user, team=team, item_code=request.POST.get("item", "")
        )
    except KeyError:
        raise Http404("No such checklist item") from None
    if created:
        messages.success(request, f"Ticked off: {tick.state}")
    else:
        messages.info(request, f"Already ticked off by {tick.username} at {tick.at:%H:%M}.")
    return redirect("checklist", team=team)

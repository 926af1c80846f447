"""Project-level pages: the home page and the denied page (the docs pages live in
``centra_ip.docs``)."""

from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from centra_ip import dashboard
from centra_ip.permissions import (
    ACT_ON_ALL_TICKETS,
    CHANGE_CONFIGURATION,
    CONTROL_SANDBOX,
    HANDLE_RETURNS,
    MAP_SKUS,
    RUN_SYNCS,
    VIEW_RECONCILIATION,
)
from centra_ip.teams import (
    ADMIN,
    ECOMMERCE,
    FINANCE,
    FULFILMENT,
    MERCHANDISING,
    OPERATIONS,
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

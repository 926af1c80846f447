"""Every permission the app checks, named once, and the one way a view requires them.

The permissions hang on ``centra_ip.models.Access`` (``DECLARED`` is its ``Meta.permissions``);
``centra_ip.teams`` grants them to the teams. Code names a permission by its constant here,
never by a string, so a typo fails at import time rather than as a silent "forbidden".
Templates read the same codes through ``perms.centra_ip.<codename>``.

Bottom layer: imports nothing of ours.
"""

from django.contrib.auth.decorators import permission_required

APP = "centra_ip"

DECLARED = [
    ("view_exceptions", "Can read the exception desk"),
    ("act_on_team_tickets", "Can act on the tickets of their own team"),
    ("act_on_all_tickets", "Can act on every team's tickets"),
    ("view_syncs", "Can see sync runs and external calls"),
    ("run_syncs", "Can start a sync run"),
    ("view_returns", "Can see returns"),
    ("handle_returns", "Can record receipt and QC of returns"),
    ("view_reconciliation", "Can see finance reconciliation"),
    ("view_configuration", "Can read the configuration"),
    ("change_configuration", "Can change the configuration"),
    ("map_skus", "Can map SKUs between Centra and Inventory Planner"),
    ("view_docs", "Can read the operating-model documentation"),
    ("control_sandbox", "Can inject faults into the sandbox twins"),
]

VIEW_EXCEPTIONS = f"{APP}.view_exceptions"
ACT_ON_TEAM_TICKETS = f"{APP}.act_on_team_tickets"
ACT_ON_ALL_TICKETS = f"{APP}.act_on_all_tickets"
VIEW_SYNCS = f"{APP}.view_syncs"
RUN_SYNCS = f"{APP}.run_syncs"
VIEW_RETURNS = f"{APP}.view_returns"
HANDLE_RETURNS = f"{APP}.handle_returns"
VIEW_RECONCILIATION = f"{APP}.view_reconciliation"
VIEW_CONFIGURATION = f"{APP}.view_configuration"
CHANGE_CONFIGURATION = f"{APP}.change_configuration"
MAP_SKUS = f"{APP}.map_skus"
VIEW_DOCS = f"{APP}.view_docs"
CONTROL_SANDBOX = f"{APP}.control_sandbox"


def requires(*permissions: str):
    """The view decorator: every one of ``permissions``, else 403 (never a login redirect
    for a signed-in user who lacks it; the login middleware handles anonymous users)."""
    return permission_required(list(permissions), raise_exception=True)

from django.urls import reverse

from centra_ip.teams import TEAMS, user_team_codes
from syncs.freshness import AMBER, RED, stream_freshness

# (title, url name, the permission needed to open it): a team sees only what it may open.
NAVIGATION = (
    ("Dashboard", "dashboard", "centra_ip.view_syncs"),
    ("Exceptions", "exceptions:index", "centra_ip.view_exceptions"),
    ("Syncs", "syncs:index", "centra_ip.view_syncs"),
    ("Returns", "returns:index", "centra_ip.view_returns"),
    ("Reconciliation", "reconciliation:index", "centra_ip.view_reconciliation"),
    ("Configuration", "configuration", "centra_ip.view_configuration"),
    ("Docs", "docs:index", "centra_ip.view_docs"),
)


def layout(request):
    """What the base layout needs on every page: navigation, the user's teams, and how
    fresh each stream's data is (one query, on an index)."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    names = {team.code: team.name for team in TEAMS}
    path = request.path
    nav = []
    for title, url_name, permission in NAVIGATION:
        if not request.user.has_perm(permission):
            continue
        url = reverse(url_name)
        nav.append({"title": title, "url": url, "active": path.startswith(url)})
    freshness = stream_freshness()
    levels = {reading.level for reading in freshness}
    return {
        "navigation": nav,
        "user_teams": [names[code] for code in user_team_codes(request.user)],
        # "layout_" keeps these clear of a page's own context (reconciliation has a
        # "freshness" of its own).
        "layout_freshness": freshness,
        "layout_freshness_level": RED if RED in levels else AMBER if AMBER in levels else "fresh",
    }

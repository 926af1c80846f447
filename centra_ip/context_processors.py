from django.urls import reverse

from centra_ip.permissions import (
    VIEW_CONFIGURATION,
    VIEW_DOCS,
    VIEW_EXCEPTIONS,
    VIEW_RECONCILIATION,
    VIEW_RETURNS,
    VIEW_SYNCS,
)
from centra_ip.teams import TEAMS, user_team_codes
from syncs.freshness import AMBER, RED, stream_freshness

# (title, url name, the permission needed to open it): a team sees only what it may open.
NAVIGATION = (
    ("Dashboard", "dashboard", VIEW_SYNCS),
    ("Exceptions", "exceptions:index", VIEW_EXCEPTIONS),
    ("Syncs", "syncs:index", VIEW_SYNCS),
    ("Returns", "returns:index", VIEW_RETURNS),
    ("Reconciliation", "reconciliation:index", VIEW_RECONCILIATION),
    ("Configuration", "configuration", VIEW_CONFIGURATION),
    ("Docs", "docs:index", VIEW_DOCS),
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

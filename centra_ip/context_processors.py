from django.urls import reverse

from centra_ip.teams import TEAMS, user_team_codes

NAVIGATION = (
    ("Exceptions", "exceptions:index"),
    ("Syncs", "syncs:index"),
    ("Returns", "returns:index"),
    ("Reconciliation", "reconciliation"),
    ("Configuration", "configuration"),
    ("Docs", "docs:index"),
)


def layout(request):
    """What the base layout needs on every page: navigation and the user's teams."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    names = {team.code: team.name for team in TEAMS}
    path = request.path
    nav = []
    for title, url_name in NAVIGATION:
        url = reverse(url_name)
        nav.append({"title": title, "url": url, "active": path.startswith(url)})
    return {
        "navigation": nav,
        "user_teams": [names[code] for code in user_team_codes(request.user)],
    }

"""``{% today_card "returns:index" %}``: the team's "today" card, on its own landing page only
(a page is one team's landing, ``centra_ip.views.LANDINGS``; others see the page alone)."""

from django import template

from centra_ip.teams import TEAMS
from centra_ip.today import today_for
from centra_ip.views import LANDINGS

register = template.Library()


@register.inclusion_tag("partials/today.html", takes_context=True)
def today_card(context, landing: str):
    # the layout's context processor has read the user's teams already (no second query)
    names = set(context.get("user_teams") or ())
    teams = [team.code for team in TEAMS if team.name in names]
    if not teams or LANDINGS.get(teams[0]) != landing:
        return {"today": None}
    return {"today": today_for(teams[0])}

"""Project-level pages: the home page (the docs pages live in ``centra_ip.docs``)."""

from django.views.decorators.http import require_GET

from centra_ip import checklists, dashboard
from centra_ip.teams import ADMIN, OPERATIONS, user_team_codes


@require_GET
def home(request):
    """Admins and operations land on the sync health dashboard; the other teams on their
    own checklist, which shows today's state of what they own and links to their queue."""
    teams = user_team_codes(request.user)
    if not teams or {OPERATIONS, ADMIN} & set(teams):
        return dashboard.dashboard(request)
    return checklists.checklist_page(request, team=teams[0])

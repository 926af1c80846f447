"""Demo logins and demo data for the embedded default (``make run``).

Demo passwords are fixed and public: they exist so a new user can log in as each team
within a minute. ``manage.py demo`` refuses to create them with DEBUG off.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from centra_ip.teams import ADMIN, TEAMS


def demo_password(team_code: str) -> str:
    return f"{team_code}-demo"


@transaction.atomic
def demo_users_ensure() -> list[tuple[str, str, str]]:
    """One user per team, named after the team; (username, password, team name) each.

    Running it again resets the demo passwords, so the printed table is always true.
    """
    user_model = get_user_model()
    logins = []
    for team in TEAMS:
        user, _ = user_model.objects.get_or_create(
            username=team.code,
            defaults={"first_name": team.name, "email": f"{team.code}@example.com"},
        )
        user.set_password(demo_password(team.code))
        user.is_staff = team.code == ADMIN
        user.save(update_fields=["password", "is_staff"])
        user.groups.add(Group.objects.get(name=team.code))
        logins.append((user.username, demo_password(team.code), team.name))
    return logins


def demo_data_load() -> str:
    """Load demo data into the hub. The sandbox twins generate their own world on start;
    finance reports on the Centra twin's markets (listed once, audited as by "system")."""
    from reconciliation.config import demo_markets_ensure

    listed = demo_markets_ensure()
    return (
        "demo data: the sandbox twins generate their world when they start; "
        f"{listed} Centra markets listed for reconciliation"
    )

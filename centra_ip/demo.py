"""Demo logins and demo data for the embedded default (``make run``).

Demo passwords are fixed and public: they exist so a new user can log in as each team
within a minute. ``manage.py demo`` refuses to create them with DEBUG off, and accounts it
made earlier (a staging database promoted to production) cannot log in with DEBUG off:
the authentication backend refuses them and ``check --deploy`` names them as an error.
"""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.hashers import check_password
from django.contrib.auth.models import Group
from django.db import transaction

from centra_ip.teams import ADMIN, TEAM_CODES, TEAMS
from reconciliation.config import demo_markets_ensure

logger = logging.getLogger(__name__)


def demo_password(team_code: str) -> str:
    return f"{team_code}-demo"


def is_demo_login(username: str, password: str) -> bool:
    """A demo login: a team-named user with that team's public password."""
    return username in TEAM_CODES and password == demo_password(username)


def demo_accounts_active() -> list[str]:
    """Usernames of active users whose password is still the public demo password."""
    users = get_user_model().objects.filter(username__in=TEAM_CODES, is_active=True)
    # hashers.check_password, not user.check_password: a check must not re-hash and save.
    return sorted(
        user.username
        for user in users
        if check_password(demo_password(user.username), user.password)
    )


class NoDemoLoginsBackend(ModelBackend):
    """Django's own backend, except that with DEBUG off a demo login is refused.

    The password was verified first, so only the real demo password is refused: a team
    account whose password was changed logs in as usual.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None and not settings.DEBUG and is_demo_login(user.get_username(), password):
            logger.warning("refused the demo login %r: DEBUG is off", user.get_username())
            return None
        return user


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

    listed = demo_markets_ensure()
    return (
        "demo data: the sandbox twins generate their world when they start; "
        f"{listed} Centra markets listed for reconciliation"
    )


def demo_oldest_return_received() -> str:
    """The demo story's warehouse colleague (docs/sandbox.md): the oldest return nobody has
    received arrives; the fulfilment demo login receives every line in full and passes QC,
    exactly as the receiving desk and the QC page would. Does nothing twice."""
    # the demo story alone acts in the returns app; the login backend above must not load it
    from returns.models import ExpectedReturn
    from returns.services import return_line_qc, return_line_receive

    ret = (
        ExpectedReturn.objects.filter(received_at__isnull=True)
        .order_by("centra_created_at", "pk")
        .first()
    )
    if ret is None:
        return "no return to receive"
    colleague = get_user_model().objects.filter(username="fulfilment").first()
    for line in ret.lines.all():
        return_line_receive(line=line, quantity=line.quantity, actor=colleague)
        line.refresh_from_db()
        return_line_qc(line=line, passed=line.quantity, actor=colleague)
    return f"return {ret.centra_id} received and passed QC"

"""The teams of the default operating model and what each may do.

A team is a Django ``Group``; its permissions are declared here, in code, and applied by
``teams_sync()`` after every migration, so a deploy can never leave a team without a
permission that a new screen relies on. Admins may add permissions on top in the admin;
``teams_sync`` only adds, it never strips what an admin granted.
"""

from dataclasses import dataclass

from django.contrib.auth.models import Group, Permission

from centra_ip.permissions import (
    ACT_ON_ALL_TICKETS,
    ACT_ON_TEAM_TICKETS,
    CHANGE_CONFIGURATION,
    CONTROL_SANDBOX,
    HANDLE_RETURNS,
    MAP_SKUS,
    RUN_SYNCS,
    VIEW_CONFIGURATION,
    VIEW_DOCS,
    VIEW_EXCEPTIONS,
    VIEW_RECONCILIATION,
    VIEW_RETURNS,
    VIEW_SYNCS,
)


@dataclass(frozen=True)
class Team:
    code: str
    name: str
    duty: str


OPERATIONS = "operations"
FINANCE = "finance"
ECOMMERCE = "ecommerce"
MERCHANDISING = "merchandising"
FULFILMENT = "fulfilment"
ADMIN = "admin"

TEAMS: tuple[Team, ...] = (
    Team(OPERATIONS, "Operations", "Triage the exception queues; watch orders and stock."),
    Team(FINANCE, "Finance", "Review reconciliation of revenue against stock movements."),
    Team(ECOMMERCE, "E-commerce", "Own the Centra side: storefront stock, rejected pushes."),
    Team(MERCHANDISING, "Merchandising", "Own the SKU master and the SKU map."),
    Team(FULFILMENT, "Fulfilment", "Receive returns, run QC, confirm stock-ins."),
    Team(ADMIN, "Admin", "Configure rules, ownership and connections; act on everything."),
)
TEAM_CODES = tuple(team.code for team in TEAMS)
TEAM_CHOICES = [(team.code, team.name) for team in TEAMS]

# "app_label.codename" per team. Everyone reads every screen; acting is split by duty.
_READ_ALL = (
    VIEW_EXCEPTIONS,
    VIEW_SYNCS,
    VIEW_RETURNS,
    VIEW_CONFIGURATION,
    VIEW_DOCS,
)
TEAM_PERMISSIONS: dict[str, tuple[str, ...]] = {
    OPERATIONS: (*_READ_ALL, ACT_ON_TEAM_TICKETS, RUN_SYNCS),
    FINANCE: (*_READ_ALL, ACT_ON_TEAM_TICKETS, VIEW_RECONCILIATION),
    ECOMMERCE: (*_READ_ALL, ACT_ON_TEAM_TICKETS, MAP_SKUS),
    MERCHANDISING: (*_READ_ALL, ACT_ON_TEAM_TICKETS, MAP_SKUS),
    FULFILMENT: (*_READ_ALL, ACT_ON_TEAM_TICKETS, HANDLE_RETURNS),
    ADMIN: (
        *_READ_ALL,
        ACT_ON_TEAM_TICKETS,
        ACT_ON_ALL_TICKETS,
        RUN_SYNCS,
        VIEW_RECONCILIATION,
        MAP_SKUS,
        HANDLE_RETURNS,
        CHANGE_CONFIGURATION,
        CONTROL_SANDBOX,
    ),
}


def _permission(dotted: str) -> Permission:
    app_label, codename = dotted.split(".", 1)
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def teams_sync() -> None:
    """Create every team's group and grant it its declared permissions (idempotent)."""
    for team in TEAMS:
        group, _ = Group.objects.get_or_create(name=team.code)
        group.permissions.add(*(_permission(p) for p in TEAM_PERMISSIONS[team.code]))


def actor_name(actor, default: str = "system") -> str:
    """The name history records for who did something: the user, or ``default`` for the
    hub itself (an engine, a timer)."""
    return actor.get_username() if actor is not None else default


def user_team_codes(user) -> list[str]:
    """The team codes a user belongs to, in the order of TEAMS."""
    if not user.is_authenticated:
        return []
    names = set(user.groups.values_list("name", flat=True))
    return [code for code in TEAM_CODES if code in names]


def team_member_set(*, username: str, team_code: str, password: str, email: str = ""):
    """Create ``username`` (or update it) as a member of the team, with this password.

    Only adds: a user already in other teams stays there. Admins get the Django admin too.
    """
    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(username=username)
    user.set_password(password)
    user.email = email or user.email
    user.is_active = True
    user.is_staff = user.is_staff or team_code == ADMIN
    user.save()
    user.groups.add(Group.objects.get(name=team_code))
    return user

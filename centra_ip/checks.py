"""System checks that report misconfiguration at start-up (``manage.py check``)."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.checks import Error, Warning, register
from django.db import connection

from centra_ip.demo import demo_accounts_active


@register(deploy=True)
def sandbox_in_production(app_configs, **kwargs):
    """With DEBUG off, a system still served by its sandbox twin is almost surely a mistake."""
    warnings = []
    if settings.CENTRA_USES_SANDBOX:
        warnings.append(
            Warning(
                "Centra is served by the sandbox twin: CENTRA_API_TOKEN is not set.",
                hint="Set CENTRA_API_URL and CENTRA_API_TOKEN to talk to the real Centra.",
                id="centra_ip.W001",
            )
        )
    if settings.INVENTORY_PLANNER_USES_SANDBOX:
        warnings.append(
            Warning(
                "Inventory Planner is served by the sandbox twin: "
                "INVENTORY_PLANNER_API_KEY is not set.",
                hint="Set INVENTORY_PLANNER_API_KEY and INVENTORY_PLANNER_ACCOUNT.",
                id="centra_ip.W002",
            )
        )
    if not settings.INVENTORY_PLANNER_USES_SANDBOX and not settings.IP_FEED_PASSWORD:
        warnings.append(
            Warning(
                "IP_FEED_PASSWORD is empty: Inventory Planner cannot fetch the sales feed.",
                hint="Set IP_FEED_USERNAME and IP_FEED_PASSWORD and enter them in IP's "
                "CSV connection.",
                id="centra_ip.W003",
            )
        )
    return warnings


@register(deploy=True)
def demo_logins_in_production(app_configs, **kwargs):
    """With DEBUG off, a demo account with its public password is an open door (they are
    refused at login too; this makes the deploy check fail until they are fixed)."""

    if settings.DEBUG:
        return []
    if get_user_model()._meta.db_table not in connection.introspection.table_names():
        return []  # not migrated yet: no users, so no demo logins
    usernames = demo_accounts_active()
    if not usernames:
        return []
    return [
        Error(
            f"Demo logins with public passwords are active: {', '.join(usernames)}.",
            hint="Set real passwords (manage.py changepassword NAME) or deactivate them; "
            "with DEBUG off their demo passwords are refused at login.",
            id="centra_ip.E001",
        )
    ]

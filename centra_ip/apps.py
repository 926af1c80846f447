from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_teams(sender, **kwargs):
    # post_migrate: the permissions' content types exist only now
    from centra_ip.teams import teams_sync

    teams_sync()


class CentraIpConfig(AppConfig):
    name = "centra_ip"
    verbose_name = "centra-ip"

    def ready(self):
        # Permissions are created by auth's own post_migrate handler, which is connected
        # before ours (auth is listed first), so every declared permission exists here.
        post_migrate.connect(_sync_teams, sender=self, dispatch_uid="centra_ip_sync_teams")
        from centra_ip import checks  # noqa: F401  (registers system checks)

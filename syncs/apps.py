from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_default_statuses(sender, **kwargs):
    # post_migrate: models can be imported only once the apps are ready
    from syncs.stock.config import stock_statuses_ensure_defaults

    stock_statuses_ensure_defaults()


class SyncsConfig(AppConfig):
    name = "syncs"
    verbose_name = "Syncs"

    def ready(self):
        # The default stock statuses are data the returns flow relies on: ensured after
        # every migrate (a flush between transactional tests emits it too), not only once
        # by a data migration.
        post_migrate.connect(
            _ensure_default_statuses, sender=self, dispatch_uid="syncs_default_statuses"
        )

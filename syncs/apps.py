from django.apps import AppConfig


class SyncsConfig(AppConfig):
    name = "syncs"
    verbose_name = "Syncs"

    def ready(self):
        # Each engine makes its ticket types retryable from the ticket (register_retry at
        # import): import them in every process, the web's included, not only where an
        # engine happens to run.
        from syncs.catalog import retries as catalog_retries  # noqa: F401
        from syncs.orders import retries as orders_retries  # noqa: F401
        from syncs.stock import held  # noqa: F401

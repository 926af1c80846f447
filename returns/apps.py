from django.apps import AppConfig


class ReturnsConfig(AppConfig):
    name = "returns"
    verbose_name = "Returns"

    def ready(self):
        """Make stock-in tickets retryable from the desk (re-runs exactly the failed step)."""
        # ready(): the services import models, which exist only once the apps are ready
        from exceptions.registry import register_retry
        from returns.services import stock_in_retry

        register_retry("stock_in_failed", stock_in_retry)

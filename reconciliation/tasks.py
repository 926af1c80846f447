"""The scheduled computation (thin, idempotent: a rerun rebuilds the same window)."""

from reconciliation.services import reconciliation_run_window


def compute() -> dict:
    return reconciliation_run_window().run.counts

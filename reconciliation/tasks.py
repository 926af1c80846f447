"""The scheduled computation (thin, idempotent: a rerun rebuilds what changed, or the
window)."""

from reconciliation.services import reconciliation_run_window


def compute() -> dict:
    return reconciliation_run_window().as_dict()

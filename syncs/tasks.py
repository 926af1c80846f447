"""Background tasks of the syncs app: thin wrappers that call services."""

from syncs.services import external_calls_prune


def prune_external_calls() -> str:
    deleted = external_calls_prune(keep_days=30)
    return f"deleted {deleted} external call records older than 30 days"

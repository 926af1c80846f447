"""The syncs app's models, one module per room: runs and calls, then each engine's own."""

from syncs.models.catalog import CentraSize, IpVariant, SkuMapping
from syncs.models.runs import ExternalCall, SyncRun

__all__ = ["CentraSize", "ExternalCall", "IpVariant", "SkuMapping", "SyncRun"]

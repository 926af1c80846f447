"""The sandbox twin of Inventory Planner: REST API, in-memory state and CSV connector."""

from syncs.sandbox.inventory_planner.entities import SalesLine, TwinSettings
from syncs.sandbox.inventory_planner.feed import FeedFetch, RejectedRow
from syncs.sandbox.inventory_planner.twin import InventoryPlannerTwin

__all__ = ["FeedFetch", "InventoryPlannerTwin", "RejectedRow", "SalesLine", "TwinSettings"]

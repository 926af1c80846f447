"""Build the whole sandbox: both twins, their demo world and the control endpoint.

Paths mirror the real services so a client only changes its base URL: Centra answers at
``/graphql`` (as ``https://<brand>.centra.com/graphql``) and Inventory Planner at
``/api/v1/...`` (as ``https://app.inventory-planner.com/api/v1``).
"""

from dataclasses import dataclass

from syncs.sandbox.centra.twin import CentraTwin
from syncs.sandbox.control import control_handler, control_key
from syncs.sandbox.credentials import CENTRA_TOKEN, IP_ACCOUNT, IP_API_KEY
from syncs.sandbox.inventory_planner.twin import InventoryPlannerTwin
from syncs.sandbox.world import World, WorldConfig

__all__ = ["CENTRA_TOKEN", "IP_ACCOUNT", "IP_API_KEY", "Sandbox", "sandbox_build"]


@dataclass
class Sandbox:
    centra: CentraTwin
    inventory_planner: InventoryPlannerTwin
    world: World

    def routes(self, *, secret_key: str) -> dict:
        plans = {"centra": self.centra.faults, "inventory_planner": self.inventory_planner.faults}
        return {
            "/graphql": self.centra.handle,
            "/api/v1": self.inventory_planner.handle,
            "/control": control_handler(plans, key=control_key(secret_key)),
        }


def sandbox_build(*, config: WorldConfig | None = None) -> Sandbox:
    centra = CentraTwin(CENTRA_TOKEN)
    inventory_planner = InventoryPlannerTwin(IP_API_KEY, IP_ACCOUNT)
    world = World(centra, inventory_planner, config)
    world.populate()
    return Sandbox(centra, inventory_planner, world)

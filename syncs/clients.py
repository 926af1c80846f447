"""The two clients as the app uses them: from settings, or the sandbox when unconfigured.

Engines call these instead of building clients themselves, so credentials are read in one
place and every call lands in the ``ExternalCall`` table (tied to a sync run when given).
"""

from functools import partial

from django.conf import settings

from syncs.connectors.centra import CentraClient
from syncs.connectors.inventory_planner.client import InventoryPlannerClient
from syncs.sandbox.sandbox import CENTRA_TOKEN, IP_ACCOUNT, IP_API_KEY
from syncs.services import external_call_record


def centra_client(*, sync_run=None) -> CentraClient:
    if settings.CENTRA_USES_SANDBOX:
        url, token = f"{settings.SANDBOX_URL}/graphql", CENTRA_TOKEN
    else:
        url, token = settings.CENTRA_API_URL, settings.CENTRA_API_TOKEN
    return CentraClient(url, token, recorder=partial(external_call_record, sync_run=sync_run))


def inventory_planner_client(*, sync_run=None) -> InventoryPlannerClient:
    if settings.INVENTORY_PLANNER_USES_SANDBOX:
        # The sandbox is local and never overloaded: no need for the polite one-second gap.
        return InventoryPlannerClient(
            f"{settings.SANDBOX_URL}/api/v1", IP_API_KEY, IP_ACCOUNT, min_gap_seconds=0.0,
            recorder=partial(external_call_record, sync_run=sync_run),
        )
    return InventoryPlannerClient(
        settings.INVENTORY_PLANNER_API_URL,
        settings.INVENTORY_PLANNER_API_KEY,
        settings.INVENTORY_PLANNER_ACCOUNT,
        recorder=partial(external_call_record, sync_run=sync_run),
    )

"""The clients as the app uses them: from settings, or the sandbox when unconfigured.

Engines call these instead of building clients themselves, so credentials are read in one
place and every call lands in the ``ExternalCall`` table (tied to a sync run when given).

Tests and the in-process demo route a system's traffic through a transport of their choice
with ``transports_install`` (``syncs.connectors.http``, re-exported here), typically a
sandbox twin as ``httpx.MockTransport``: the client's own code still runs in full, only the
wire is replaced.
"""

from functools import partial

import httpx
from django.conf import settings

from syncs.connectors.centra import CentraClient
from syncs.connectors.http import transports_install
from syncs.connectors.inventory_planner.client import InventoryPlannerClient
from syncs.connectors.wms import WmsClient
from syncs.sandbox.credentials import CENTRA_TOKEN, IP_ACCOUNT, IP_API_KEY
from syncs.services import external_call_record

__all__ = ["centra_client", "inventory_planner_client", "transports_install", "wms_client"]


def centra_client(*, sync_run=None, **options) -> CentraClient:
    """``options`` go to the client (e.g. ``limits=``) for engines that tune it."""
    if settings.CENTRA_USES_SANDBOX:
        url, token = f"{settings.SANDBOX_URL}/graphql", CENTRA_TOKEN
    else:
        url, token = settings.CENTRA_API_URL, settings.CENTRA_API_TOKEN
    if settings.API_TIMEOUT_SECONDS:
        options.setdefault("timeout", httpx.Timeout(settings.API_TIMEOUT_SECONDS))
    return CentraClient(
        url,
        token,
        recorder=partial(external_call_record, sync_run=sync_run),
        **options,
    )


def inventory_planner_client(*, sync_run=None, **options) -> InventoryPlannerClient:
    if settings.INVENTORY_PLANNER_USES_SANDBOX:
        # The sandbox is local and never overloaded: no need for the polite one-second gap.
        base, key, account = f"{settings.SANDBOX_URL}/api/v1", IP_API_KEY, IP_ACCOUNT
        options.setdefault("min_gap_seconds", 0.0)
    else:
        base = settings.INVENTORY_PLANNER_API_URL
        key, account = settings.INVENTORY_PLANNER_API_KEY, settings.INVENTORY_PLANNER_ACCOUNT
    if settings.API_TIMEOUT_SECONDS:
        options.setdefault("timeout", settings.API_TIMEOUT_SECONDS)
    return InventoryPlannerClient(
        base,
        key,
        account,
        recorder=partial(external_call_record, sync_run=sync_run),
        **options,
    )


def wms_client(url: str, secret: str, *, timeout: float, sync_run=None) -> WmsClient:
    """The WMS webhook's client. Its address and secret are the returns settings'
    (``returns.config``), read by the caller; its calls land in ``ExternalCall`` too."""
    return WmsClient(
        url, secret, timeout=timeout, recorder=partial(external_call_record, sync_run=sync_run)
    )

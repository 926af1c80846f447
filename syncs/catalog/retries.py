"""Retry for the one-side SKU tickets: check both systems again, now.

Re-derived from current state: a fresh catalog run reads both catalogs, maps what now
matches and clears what no longer holds; the retry then reports on this ticket's SKU.
Declared on the types (``retry=`` in ``exceptions.registry``).
"""

from django.db.models import Q

from exceptions.registry import RetryResult
from syncs.models import SkuMapping, SyncRun
from syncs.runner import StreamBusy, sync_run_stream
from syncs.streams import CATALOG


def sku_ticket_retry(ticket) -> RetryResult:

    try:
        run = sync_run_stream(stream=CATALOG, trigger=SyncRun.Trigger.RETRY)
    except StreamBusy:
        return RetryResult(ok=False, message="A catalog run is in progress; retry in a minute.")
    if run.status != SyncRun.Status.SUCCEEDED:
        return RetryResult(ok=False, message=f"The catalog run failed: {run.error or run.summary}")
    mapping = SkuMapping.objects.filter(Q(sku=ticket.sku) | Q(centra_sku=ticket.sku)).first()
    if mapping:
        return RetryResult(
            ok=True,
            message=f"Mapped: Centra {mapping.centra_sku!r} = IP {mapping.sku!r}.",
            data={"sync_run": run.pk},
        )
    ticket.refresh_from_db(fields=["status"])
    if not ticket.is_active:
        return RetryResult(
            ok=True, message="The SKU is no longer one-sided.", data={"sync_run": run.pk}
        )
    return RetryResult(
        ok=False,
        message=f"Still on one side only after catalog run {run.pk}: map it on the workbench.",
        data={"sync_run": run.pk},
    )

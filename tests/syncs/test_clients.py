"""The clients built from settings talk to the sandbox and record every call, secret-free."""

import pytest

from syncs.clients import centra_client, inventory_planner_client
from syncs.models import ExternalCall, SyncRun


@pytest.mark.django_db
def test_clients_from_settings_reach_the_twins_and_record_each_call(sandbox):
    run = SyncRun.objects.create(stream="catalog", started_at="2026-11-26T10:00:00Z")
    assert [w.name for w in centra_client(sync_run=run).iter_warehouses()] == ["Main Warehouse"]
    skus = [v.sku for v in inventory_planner_client(sync_run=run).iter_variants(fields=["sku"])]
    assert len(skus) == sandbox.world.stats.skus_ip
    calls = list(ExternalCall.objects.order_by("pk").values_list("system", "outcome", "sync_run"))
    assert calls[0] == ("centra", "ok", run.pk)
    assert {call[0] for call in calls} == {"centra", "inventory_planner"}
    assert all(call[1:] == ("ok", run.pk) for call in calls)


@pytest.mark.django_db
def test_a_failed_call_is_recorded_without_the_token(sandbox):
    from syncs.connectors.base import AuthError

    sandbox.centra.faults.update(expired_token=True)
    with pytest.raises(AuthError):
        list(centra_client().iter_warehouses())
    call = ExternalCall.objects.get()
    assert (call.system, call.outcome, call.status_code) == ("centra", "permanent_error", 401)
    assert "sandbox-centra-token" not in call.error
    assert "sandbox-centra-token" not in call.operation

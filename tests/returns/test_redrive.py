"""Parked return lines are mapped when the SKU is mapped, not at the next returns run.

Mapping a SKU runs the catalog's "mapping created" hooks (syncs/catalog/hooks.py) inside
the transaction that creates the mapping; returns is one of them, like orders.
"""

import pytest
from django.db import transaction

from exceptions.models import Ticket
from returns.models import ExpectedReturn, ReturnEvent
from returns.timeline import return_state_refresh
from syncs.catalog.hooks import MAPPING_CREATED
from syncs.catalog.mapping import sku_mapping_create
from syncs.models import CentraSize, IpVariant, SkuMapping
from syncs.sandbox.world import IP_WAREHOUSE
from tests.engines import engine_run
from tests.returns.conftest import shipped_return

pytestmark = pytest.mark.django_db


def _parked_return(world):
    mapped = set(SkuMapping.objects.values_list("centra_sku", flat=True))
    unmapped = CentraSize.objects.exclude(sku__in=mapped).order_by("sku").first().sku
    centra_return = shipped_return(world, [(unmapped, 1), (world.world.sellable[5], 1)])
    engine_run("returns")
    ret = ExpectedReturn.objects.get(centra_id=centra_return.id)
    return ret, ret.lines.get(centra_sku=unmapped)


def test_returns_and_orders_are_both_mapping_created_hooks():
    assert MAPPING_CREATED == (
        "syncs.orders.store.order_lines_redrive",
        "returns.intake.return_lines_redrive",
    )


def test_a_catalog_run_maps_the_parked_return_line_at_once_and_clears_its_ticket(world):
    ret, parked = _parked_return(world)
    ticket = Ticket.objects.get(type="sku_missing_in_ip", return_id=str(ret.centra_id))
    assert (ret.state, parked.state, ticket.status) == ("exception", "parked", "open")

    world.inventory_planner.add_variant(parked.centra_sku, stock={IP_WAREHOUSE: 0})
    engine_run("catalog")  # no returns run after it

    variant_id = SkuMapping.objects.get(sku=parked.centra_sku).ip_variant_id
    parked.refresh_from_db()
    ret.refresh_from_db()
    ticket.refresh_from_db()
    assert (parked.state, parked.ip_sku, parked.ip_variant_id) == (
        "expected",
        parked.centra_sku,
        variant_id,
    )
    assert ret.state == "expected"
    assert ticket.status == "auto_resolved"
    assert ReturnEvent.objects.filter(expected_return=ret, line=parked, kind="mapped").count() == 1
    assert engine_run("returns").counts["lines_mapped"] == 0  # nothing left for the run


def test_a_manual_mapping_maps_the_parked_return_line_in_the_same_transaction(world):
    ret, parked = _parked_return(world)
    world.inventory_planner.add_variant(parked.centra_sku, stock={IP_WAREHOUSE: 0})
    engine_run("catalog")
    # the catalog run above mapped it; undo that to map by hand
    SkuMapping.objects.filter(sku=parked.centra_sku).delete()
    parked.refresh_from_db()
    parked.ip_sku, parked.ip_variant_id = "", ""
    parked.save(update_fields=["ip_sku", "ip_variant_id"])
    with transaction.atomic():
        return_state_refresh(ret=ret)
    parked.refresh_from_db()
    assert parked.state == "parked"
    size = CentraSize.objects.get(sku=parked.centra_sku)
    variant = IpVariant.objects.get(sku=parked.centra_sku)

    sku_mapping_create(
        centra_size_id=size.size_id, ip_variant_id=variant.variant_id, source="manual"
    )

    parked.refresh_from_db()
    assert (parked.ip_sku, parked.ip_variant_id) == (parked.centra_sku, variant.variant_id)
    assert parked.state == "expected"


def test_a_catalog_run_that_maps_nothing_keeps_a_parked_return_lines_ticket_open(world):
    """The catalog settles ``sku_missing_in_ip`` tickets; one raised for a parked return
    line still holds while the line is parked, whatever the catalog lists."""
    ret, parked = _parked_return(world)
    engine_run("catalog")
    ticket = Ticket.objects.get(type="sku_missing_in_ip", return_id=str(ret.centra_id))
    assert ticket.status == "open"
    parked.refresh_from_db()
    assert parked.state == "parked"

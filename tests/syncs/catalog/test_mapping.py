"""Mapping by hand: one click on a suggestion, manual with validation, CSV import (all or
nothing); each clears the one-side tickets."""

import pytest

from exceptions.models import Ticket
from syncs.catalog.mapping import MappingError, sku_mapping_create, sku_mappings_import
from syncs.models import IpVariant, SkuMapping

pytestmark = pytest.mark.django_db

NEAR_DUPLICATE = "P00024-WHT-02"


@pytest.fixture
def catalog(sandbox, run_engine):
    run_engine("catalog")
    return sandbox


def test_confirming_the_ean_suggestion_maps_and_clears_the_ticket(catalog, personas):
    ticket = Ticket.objects.get(type="sku_missing_in_ip", sku=NEAR_DUPLICATE)
    suggestion = ticket.context["suggested_matches"][0]

    mapping = sku_mapping_create(
        centra_size_id=ticket.context["centra_size_id"],
        ip_variant_id=suggestion["ip_variant_id"],
        source=SkuMapping.Source.SUGGESTED,
        user=personas["merchandising"],
    )

    assert (mapping.sku, mapping.centra_sku, mapping.created_by) == (
        " p00024-wht-02",
        NEAR_DUPLICATE,
        personas["merchandising"],
    )
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.AUTO_RESOLVED


@pytest.mark.parametrize(
    ("size_sku", "ip_sku", "error"),
    [
        ("P00001-GRY-01", " p00024-wht-02", "Centra SKU 'P00001-GRY-01' is already mapped"),
        (NEAR_DUPLICATE, "P00001-GRY-01", "IP SKU 'P00001-GRY-01' is already mapped"),
        (NEAR_DUPLICATE, NEAR_DUPLICATE, "is removed in Inventory Planner"),
    ],
)
def test_a_manual_mapping_that_breaks_a_rule_writes_nothing(catalog, size_sku, ip_sku, error):
    before = list(SkuMapping.objects.values_list("pk", flat=True))
    variant = IpVariant.objects.get(sku=ip_sku)

    with pytest.raises(MappingError, match=error):
        sku_mapping_create(
            centra_size_id=catalog.centra.state.size(size_sku).id,
            ip_variant_id=variant.variant_id,
            source=SkuMapping.Source.MANUAL,
        )

    assert list(SkuMapping.objects.values_list("pk", flat=True)) == before
    assert Ticket.objects.get(type="sku_missing_in_ip", sku=NEAR_DUPLICATE).is_active


def test_unknown_ids_are_refused(catalog):
    with pytest.raises(MappingError, match="No Centra size with id 999999"):
        sku_mapping_create(centra_size_id=999999, ip_variant_id="x", source="manual")


def test_csv_import_maps_every_row(catalog, run_engine):
    catalog.inventory_planner.add_variant("IP-NEW-1", barcode="")
    catalog.inventory_planner.add_variant("IP-NEW-2", barcode="")
    run_engine("catalog")  # the workbench imports against the latest snapshot
    sizes = sorted(s for s in catalog.centra.state.sizes_by_sku if s.startswith("P00013"))
    text = f"centra_sku,ip_sku\n{sizes[0]},IP-NEW-1\n{sizes[1]},IP-NEW-2\n"

    outcome = sku_mappings_import(text=text)

    assert outcome.errors == []
    assert [(m.centra_sku, m.sku, m.source) for m in outcome.created] == [
        (sizes[0], "IP-NEW-1", "imported"),
        (sizes[1], "IP-NEW-2", "imported"),
    ]
    assert not Ticket.objects.filter(
        type="sku_missing_in_ip", sku=sizes[0], status__in=Ticket.ACTIVE
    ).exists()


def test_csv_import_with_one_bad_row_writes_nothing_and_lists_every_problem(catalog):
    before = SkuMapping.objects.count()
    text = (
        "centra_sku,ip_sku\n"
        f"{NEAR_DUPLICATE}, p00024-wht-02\n"
        "NOPE-1,P00001-GRY-01\n"
        f"{NEAR_DUPLICATE},NEW000-STD-00\n"
    )

    outcome = sku_mappings_import(text=text)

    assert outcome.created == []
    assert outcome.errors == [
        (3, "Centra SKU 'NOPE-1' is not in the catalog"),
        (4, "this SKU appears twice in the file"),
    ]
    assert SkuMapping.objects.count() == before


def test_csv_import_needs_both_columns(catalog):
    outcome = sku_mappings_import(text="sku\nA\n")
    assert outcome.errors == [(1, "the header must have the columns centra_sku and ip_sku")]

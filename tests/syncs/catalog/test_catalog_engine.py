"""The catalog engine against both twins: the SKU map, one-side tickets both ways with EAN
suggestions, auto-clear, dry runs and failures that write nothing."""

import httpx
import pytest

from exceptions.models import Ticket
from syncs.clients import transports_install
from syncs.connectors.base import BadPayloadError
from syncs.models import CentraSize, IpVariant, SkuMapping

pytestmark = pytest.mark.django_db

NEAR_DUPLICATE = "P00024-WHT-02"  # IP re-created it as " p00024-wht-02", same barcode
IP_ONLY = ["NEW000-STD-00", "NEW001-STD-00"]
CENTRA_ONLY_PRODUCTS = ["P00013", "P00023", "P00039"]


def open_tickets(type_code: str) -> dict[str, Ticket]:
    return {t.sku: t for t in Ticket.objects.filter(type=type_code, status__in=Ticket.ACTIVE)}


def test_first_run_maps_exact_skus_and_tickets_both_sides(sandbox, run_engine):
    result = run_engine("catalog")

    assert result.counts == {
        "centra_sizes": 282,
        "ip_variants": 261,
        "mapped": 257,
        "newly_mapped": 257,
        "mappings_dropped": 0,
        "missing_in_ip": 25,
        "missing_in_centra": 2,
        "without_sku": 0,
    }
    assert SkuMapping.objects.count() == 257
    mapping = SkuMapping.objects.get(sku="P00001-GRY-01")
    size = sandbox.centra.state.size("P00001-GRY-01")
    assert (mapping.centra_size_id, mapping.centra_variant_id, mapping.centra_sku) == (
        size.id,
        size.productVariant.id,
        "P00001-GRY-01",
    )
    assert mapping.ip_variant_id == sandbox.inventory_planner.variant("P00001-GRY-01")["id"]
    assert mapping.source == SkuMapping.Source.AUTOMATIC

    missing_in_ip = open_tickets("sku_missing_in_ip")
    assert len(missing_in_ip) == 25
    assert {sku.split("-")[0] for sku in missing_in_ip} == {*CENTRA_ONLY_PRODUCTS, "P00024"}
    assert sorted(open_tickets("sku_missing_in_centra")) == IP_ONLY
    assert CentraSize.objects.count() == 282 and IpVariant.objects.count() == 261


def test_near_duplicate_gets_the_ean_suggestion_not_an_automatic_mapping(sandbox, run_engine):
    run_engine("catalog")

    ticket = open_tickets("sku_missing_in_ip")[NEAR_DUPLICATE]
    ip_record = next(v for v in IpVariant.objects.filter(sku=" " + NEAR_DUPLICATE.lower()))
    assert ticket.context["suggested_matches"] == [
        {
            "ip_variant_id": ip_record.variant_id,
            "ip_sku": " p00024-wht-02",
            "barcode": ip_record.barcode,
            "matched_on": "ean",
        }
    ]
    assert ticket.context["centra_size_id"] == sandbox.centra.state.size(NEAR_DUPLICATE).id
    assert "suggested match ' p00024-wht-02' (ean)" in ticket.summary
    assert not SkuMapping.objects.filter(centra_sku=NEAR_DUPLICATE).exists()


def test_ip_only_sku_ticket_suggests_the_centra_size_with_the_same_ean(sandbox, run_engine):
    state = sandbox.centra.state
    product = state.add_product("Q00001", "Late product", variants={})
    variant = state.add_variant(product, "-BLK-", "-BLK-")
    barcode = sandbox.inventory_planner.variant("NEW000-STD-00")["barcode"]
    state.add_size(variant, "M", "03", barcode)

    run_engine("catalog")

    ticket = open_tickets("sku_missing_in_centra")["NEW000-STD-00"]
    assert ticket.context["suggested_matches"] == [
        {
            "centra_size_id": state.size("Q00001-BLK-03").id,
            "centra_sku": "Q00001-BLK-03",
            "ean": barcode,
            "matched_on": "ean",
        }
    ]
    assert ticket.team == "ecommerce"
    assert open_tickets("sku_missing_in_ip")["Q00001-BLK-03"].team == "merchandising"


def test_ticket_clears_when_the_sku_appears_on_the_other_side(sandbox, run_engine):
    run_engine("catalog")
    sku = "P00013-" + next(
        s.split("-", 1)[1] for s in open_tickets("sku_missing_in_ip") if s.startswith("P00013")
    )
    sandbox.inventory_planner.add_variant(sku, barcode="", stock={"c1_csv.main": 3})

    result = run_engine("catalog")

    assert result.counts["newly_mapped"] == 1
    assert SkuMapping.objects.get(sku=sku).source == SkuMapping.Source.AUTOMATIC
    ticket = Ticket.objects.get(type="sku_missing_in_ip", sku=sku)
    assert ticket.status == Ticket.Status.AUTO_RESOLVED
    assert len(open_tickets("sku_missing_in_ip")) == 24


def test_second_run_changes_nothing(sandbox, run_engine):
    run_engine("catalog")
    before = list(SkuMapping.objects.values_list("pk", "sku", "updated_at"))

    result = run_engine("catalog")

    assert result.counts["newly_mapped"] == 0
    assert list(SkuMapping.objects.values_list("pk", "sku", "updated_at")) == before
    assert Ticket.objects.filter(type="sku_missing_in_ip").count() == 25
    assert set(Ticket.objects.values_list("occurrences", flat=True)) == {2}


def test_a_sku_renamed_in_centra_keeps_its_mapping_and_the_text_follows(sandbox, run_engine):
    """Ids are stable: the mapping stays, its Centra SKU is rewritten, the others untouched."""
    run_engine("catalog")
    size = sandbox.centra.state.size("P00001-GRY-01")
    mapping = SkuMapping.objects.get(centra_size_id=size.id)
    others = set(SkuMapping.objects.exclude(pk=mapping.pk).values_list("pk", "updated_at"))
    size.SKU = "P00001-GREY-01"

    result = run_engine("catalog")

    assert result.counts["newly_mapped"] == 0
    renamed = SkuMapping.objects.get(centra_size_id=size.id)
    assert (renamed.pk, renamed.sku, renamed.centra_sku) == (
        mapping.pk,
        "P00001-GRY-01",
        "P00001-GREY-01",
    )
    assert renamed.updated_at > mapping.updated_at
    assert set(SkuMapping.objects.exclude(pk=mapping.pk).values_list("pk", "updated_at")) == others
    assert CentraSize.objects.get(size_id=size.id).sku == "P00001-GREY-01"


def test_the_snapshot_rewrites_only_the_rows_that_changed(sandbox, run_engine):
    run_engine("catalog")
    renamed, removed = SkuMapping.objects.order_by("sku")[1:3]
    size, variant_id = sandbox.centra.state.size(renamed.centra_size_id), removed.ip_variant_id
    sizes_seen = dict(CentraSize.objects.values_list("size_id", "seen_at"))
    variants_seen = dict(IpVariant.objects.values_list("variant_id", "seen_at"))
    size.SKU = "Renamed-01"
    sandbox.inventory_planner.set_removed(removed.sku)

    run_engine("catalog")

    stored = CentraSize.objects.get(size_id=size.id)
    assert (stored.sku, stored.sku_key) == ("Renamed-01", "renamed-01")
    assert stored.seen_at > sizes_seen.pop(size.id)
    assert IpVariant.objects.get(variant_id=variant_id).removed is True
    assert IpVariant.objects.get(variant_id=variant_id).seen_at > variants_seen.pop(variant_id)
    assert dict(CentraSize.objects.exclude(size_id=size.id).values_list("size_id", "seen_at")) == (
        sizes_seen
    )
    assert dict(
        IpVariant.objects.exclude(variant_id=variant_id).values_list("variant_id", "seen_at")
    ) == (variants_seen)


def test_mapping_drops_when_the_ip_variant_is_removed(sandbox, run_engine):
    run_engine("catalog")
    sandbox.inventory_planner.set_removed("P00001-GRY-01")

    result = run_engine("catalog")

    assert result.counts["mappings_dropped"] == 1
    assert not SkuMapping.objects.filter(sku="P00001-GRY-01").exists()
    assert "P00001-GRY-01" in open_tickets("sku_missing_in_ip")


def test_dry_run_writes_nothing(sandbox, run_engine):
    result = run_engine("catalog", dry_run=True)

    assert result.summary.startswith("dry run: 282 Centra sizes, 261 IP variants")
    assert SkuMapping.objects.count() == 0
    assert CentraSize.objects.count() == 0
    assert Ticket.objects.count() == 0


def test_a_bad_page_mid_read_fails_the_run_and_writes_nothing(sandbox, run_engine):
    """Centra's catalog was read in full, then IP answers garbage: nothing is stored."""
    centra_calls = {"n": 0}

    def centra(request):
        centra_calls["n"] += 1
        return sandbox.centra.handle(request)

    sandbox.inventory_planner.faults.update(fail_next=1, fail_next_kind="malformed")
    with transports_install(centra=httpx.MockTransport(centra)), pytest.raises(BadPayloadError):
        run_engine("catalog")

    assert centra_calls["n"] == 1
    assert SkuMapping.objects.count() == 0
    assert CentraSize.objects.count() == 0
    assert Ticket.objects.count() == 0


def test_a_throttled_and_5xx_read_is_retried_and_the_run_finishes(sandbox, run_engine):
    sandbox.centra.faults.update(fail_next=1, fail_next_kind="server_error")
    sandbox.inventory_planner.faults.update(
        fail_next=1, fail_next_kind="throttle", retry_after_seconds=0.01
    )

    result = run_engine("catalog")

    assert result.counts["mapped"] == 257
    assert SkuMapping.objects.count() == 257


def test_active_sizes_without_a_sku_are_one_catalog_ticket_not_a_crash(sandbox, run_engine):
    """Centra's schema makes ``ProductSize.SKU`` nullable: such sizes are stored, listed on
    one ecommerce ticket and never mapped; the ticket resolves once they have SKUs."""
    state = sandbox.centra.state
    product = state.add_product("NOSKU", "Plain tee")
    variant = state.add_variant(product, "BLK", "Black")
    small = state.add_size(variant, "S", "01", None, sku=None)
    state.add_size(variant, "M", "02", None, sku=None)
    inactive = state.add_product("OLD", "Retired tee", status="INACTIVE")
    state.add_size(state.add_variant(inactive, "RED", "Red"), "S", "01", sku=None)

    result = run_engine("catalog")

    assert result.counts["without_sku"] == 2
    [ticket] = Ticket.objects.filter(type="centra_size_without_sku", status__in=Ticket.ACTIVE)
    assert (ticket.stream, ticket.team) == ("catalog", "ecommerce")
    assert ticket.summary == (
        f"2 active Centra size(s) have no SKU, e.g. NOSKU Plain tee BLK S (size id {small.id})"
    )
    assert [s["size"] for s in ticket.context["sizes"]] == ["S", "M"]
    assert CentraSize.objects.filter(sku="").count() == 3
    assert not SkuMapping.objects.filter(centra_size_id=small.id).exists()
    assert not Ticket.objects.filter(type="sku_missing_in_ip", sku="").exists()

    for size in variant.productSizes:
        size.SKU = f"NOSKU-BLK-{size.sizeNumber}"
    run_engine("catalog")

    ticket.refresh_from_db()
    assert ticket.status not in Ticket.ACTIVE

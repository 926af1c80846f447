"""The workbench and the SKU page: who may map, PRG, validation messages, one query set."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from syncs.models import SkuMapping

pytestmark = pytest.mark.django_db

NEAR_DUPLICATE = "P00024-WHT-02"


@pytest.fixture
def catalog(sandbox, run_engine):
    run_engine("catalog")
    return sandbox


def one_click(catalog):
    from syncs.models import IpVariant

    return {
        "centra_size_id": str(catalog.centra.state.size(NEAR_DUPLICATE).id),
        "ip_variant_id": IpVariant.objects.get(sku=" p00024-wht-02").variant_id,
    }


def test_the_workbench_shows_both_sides_and_the_suggestion(catalog, client_for):
    response = client_for("merchandising").get(reverse("syncs:catalog"))

    assert response.status_code == 200
    bench = response.context["bench"]
    assert len(bench.unmatched_centra) == 25
    assert {v.sku for v in bench.unmatched_ip} == {
        "NEW000-STD-00",
        "NEW001-STD-00",
        " p00024-wht-02",
    }
    assert [(s.sku, v.sku, how) for s, v, how in bench.suggestions] == [
        (NEAR_DUPLICATE, " p00024-wht-02", "EAN")
    ]
    assert f'aria-label="Map {NEAR_DUPLICATE} to  p00024-wht-02"' in response.content.decode()


def test_readers_see_no_map_buttons_and_cannot_map(catalog, client_for):
    client = client_for("operations")
    page = client.get(reverse("syncs:catalog")).content.decode()
    assert 'aria-label="Map ' not in page

    response = client.post(reverse("syncs:catalog_map"), one_click(catalog))

    assert response.status_code == 403
    assert not SkuMapping.objects.filter(centra_sku=NEAR_DUPLICATE).exists()


def test_one_click_maps_once_even_when_submitted_twice(catalog, client_for):
    client = client_for("merchandising")

    first = client.post(reverse("syncs:catalog_map"), one_click(catalog), follow=True)
    second = client.post(reverse("syncs:catalog_map"), one_click(catalog), follow=True)

    assert first.redirect_chain == [(reverse("syncs:catalog"), 302)]
    assert [str(m) for m in first.context["messages"]] == [
        f"Mapped Centra {NEAR_DUPLICATE!r} to IP ' p00024-wht-02'; parked order lines on it are "
        "published."
    ]
    assert [str(m) for m in second.context["messages"]] == [
        f"Centra SKU {NEAR_DUPLICATE!r} is already mapped to IP ' p00024-wht-02'."
    ]
    assert SkuMapping.objects.filter(centra_sku=NEAR_DUPLICATE).count() == 1


def test_manual_mapping_of_an_unknown_sku_says_why_and_writes_nothing(catalog, client_for):
    before = SkuMapping.objects.count()
    response = client_for("ecommerce").post(
        reverse("syncs:catalog_map"), {"centra_sku": "NOPE", "ip_sku": "NEW000-STD-00"}, follow=True
    )
    assert [str(m) for m in response.context["messages"]] == [
        "Centra SKU 'NOPE' is not in the catalog."
    ]
    assert SkuMapping.objects.count() == before


def test_csv_import_through_the_screen(catalog, client_for):
    upload = SimpleUploadedFile(
        "map.csv", f"centra_sku,ip_sku\n{NEAR_DUPLICATE}, p00024-wht-02\n".encode()
    )
    response = client_for("merchandising").post(
        reverse("syncs:catalog_import"), {"file": upload}, follow=True
    )
    assert [str(m) for m in response.context["messages"]] == ["Imported 1 mappings."]
    assert SkuMapping.objects.get(centra_sku=NEAR_DUPLICATE).source == "imported"


def test_the_sku_page_shows_both_sides_and_tickets(
    catalog, client_for, django_assert_max_num_queries
):
    client = client_for("finance")
    with django_assert_max_num_queries(20):
        response = client.get(reverse("syncs:sku", args=[NEAR_DUPLICATE]))
    page = response.content.decode()
    assert response.status_code == 200
    assert [s.sku for s in response.context["centra_sizes"]] == [NEAR_DUPLICATE]
    assert sorted(v.sku for v in response.context["ip_variants"]) == [
        " p00024-wht-02",
        NEAR_DUPLICATE,
    ]
    assert "SKU missing in Inventory Planner" in page
    assert "Not mapped." in page


def test_a_centra_size_without_a_sku_is_listed_not_a_crash(sandbox, run_engine, client_for):
    """Centra's schema allows a size with no SKU (the demo story plants one): the workbench
    lists it as such instead of failing to link it."""
    state = sandbox.centra.state
    variant = state.products[min(state.products)].variants[0]
    size = state.add_size(variant, "ONE", "99", ean="", sku=None)
    run_engine("catalog")
    response = client_for("merchandising").get(reverse("syncs:catalog"))
    assert response.status_code == 200
    assert f"size {size.id}: give it a SKU in Centra" in response.content.decode()

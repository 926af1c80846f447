"""The near-duplicate pair as one incident (review problem 12): IP re-created a variant as
" p00024-wht-02" (same barcode as Centra's "P00024-WHT-02"), so merchandising gets
``sku_missing_in_ip`` and e-commerce ``sku_missing_in_centra``. Each names the other side
as the likely match with the reasons, the ticket page links the other ticket and offers the
map action, and mapping the pair resolves both."""

import pytest
from django.urls import reverse

from exceptions.models import Ticket
from syncs.models import SkuMapping

pytestmark = pytest.mark.django_db

CENTRA_SKU = "P00024-WHT-02"
IP_SKU = " p00024-wht-02"


@pytest.fixture
def pair(sandbox, run_engine):
    """Both tickets raised: the typo'd IP variant has stock, so it is ticketed too."""
    sandbox.inventory_planner.set_stock(IP_SKU, "c1_csv.main", 4)
    run_engine("catalog")
    merchandising = Ticket.objects.get(type="sku_missing_in_ip", sku=CENTRA_SKU)
    ecommerce = Ticket.objects.get(type="sku_missing_in_centra", sku=IP_SKU.strip())
    return sandbox, merchandising, ecommerce


def test_each_side_names_the_other_as_the_likely_match_and_says_why(pair):
    sandbox, merchandising, ecommerce = pair
    size_id = sandbox.centra.state.size(CENTRA_SKU).id
    variant = sandbox.inventory_planner.variant(IP_SKU)
    reasons = [f"same barcode {variant['barcode']}", "SKU equal after case/space normalisation"]
    pair_ids = {
        "centra_size_id": size_id,
        "centra_sku": CENTRA_SKU,
        "ip_variant_id": variant["id"],
        "ip_sku": IP_SKU,
        "reasons": reasons,
    }

    assert (merchandising.team, ecommerce.team) == ("merchandising", "ecommerce")
    assert merchandising.context["likely_match"] == {
        **pair_ids,
        "ticket": {"type": "sku_missing_in_centra", "sku": IP_SKU},
    }
    assert ecommerce.context["likely_match"] == {
        **pair_ids,
        "ticket": {"type": "sku_missing_in_ip", "sku": CENTRA_SKU},
    }


def test_a_ticket_without_a_suggestion_names_no_likely_match(pair):
    ticket = Ticket.objects.get(type="sku_missing_in_centra", sku="NEW000-STD-00")

    assert ticket.context["suggested_matches"] == []
    assert "likely_match" not in ticket.context


@pytest.mark.parametrize("team", ["merchandising", "ecommerce"])
def test_the_ticket_page_links_the_other_ticket_and_the_map_action(pair, client_for, team):
    _, merchandising, ecommerce = pair
    mine, other = (
        (merchandising, ecommerce) if team == "merchandising" else (ecommerce, merchandising)
    )

    response = client_for(team).get(reverse("exceptions:ticket", args=[mine.pk]))

    page = response.content.decode()
    assert response.status_code == 200
    assert (
        f'href="{reverse("exceptions:ticket", args=[other.pk])}" id="likely-match-ticket"' in page
    )
    assert other in response.context["incident"]
    assert "same barcode" in page and "SKU equal after case/space normalisation" in page
    assert f'action="{reverse("syncs:catalog_map")}" id="likely-match-map"' in page
    match = response.context["likely_match"]
    assert f'name="centra_size_id" value="{match["centra_size_id"]}"' in page
    assert f'name="ip_variant_id" value="{match["ip_variant_id"]}"' in page


def test_a_reader_sees_the_link_but_no_map_button(pair, client_for):
    _, merchandising, ecommerce = pair

    page = client_for("operations").get(reverse("exceptions:ticket", args=[merchandising.pk]))

    other = reverse("exceptions:ticket", args=[ecommerce.pk])
    assert f'href="{other}" id="likely-match-ticket"' in page.content.decode()
    assert 'id="likely-match-map"' not in page.content.decode()


def test_mapping_the_pair_from_the_ticket_resolves_both_and_stays_resolved(
    pair, client_for, run_engine
):
    _, merchandising, ecommerce = pair
    match = merchandising.context["likely_match"]
    ticket_url = reverse("exceptions:ticket", args=[merchandising.pk])

    response = client_for("merchandising").post(
        reverse("syncs:catalog_map"),
        {
            "centra_size_id": match["centra_size_id"],
            "ip_variant_id": match["ip_variant_id"],
            "next": ticket_url,
        },
    )

    assert response.status_code == 302 and response.url == ticket_url
    mapping = SkuMapping.objects.get(centra_sku=CENTRA_SKU)
    assert mapping.sku == IP_SKU
    for ticket in (merchandising, ecommerce):
        ticket.refresh_from_db()
        assert ticket.status == Ticket.Status.AUTO_RESOLVED
    run_engine("catalog")
    assert not Ticket.objects.filter(
        pk__in=[merchandising.pk, ecommerce.pk], status__in=Ticket.ACTIVE
    ).exists()
    assert not Ticket.objects.filter(
        type__in=["sku_missing_in_ip", "sku_missing_in_centra"],
        sku__in=[CENTRA_SKU, IP_SKU.strip()],
        status__in=Ticket.ACTIVE,
    ).exists()

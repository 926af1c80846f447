"""The catalog's conditions: ``sku_missing_in_ip`` for each active Centra size with no
mapping, ``sku_missing_in_centra`` for each active IP variant with stock and no mapping
(both decided by ``plan``), and one catalog-wide ``centra_size_without_sku``. A ticket
clears itself when its SKU is mapped or no longer qualifies."""

from exceptions.registry import TicketType
from exceptions.services import Condition, tickets_clear_many, tickets_raise_many, tickets_settle
from syncs.catalog.plan import MISSING_IN_CENTRA, MISSING_IN_IP, CatalogPlan
from syncs.catalog.selectors import parked_centra_skus
from syncs.connectors.centra.types import SizeRow
from syncs.models.catalog import sku_normalise

TICKET_TYPES = (MISSING_IN_IP, MISSING_IN_CENTRA)
WITHOUT_SKU = TicketType.CENTRA_SIZE_WITHOUT_SKU
WITHOUT_SKU_LISTED = 50  # sizes named in the ticket's context; the summary has the count
SOURCE = "catalog engine"


def catalog_tickets_settle(plan: CatalogPlan) -> None:
    """Raise what is missing now; clear every active ticket of these types that is not.

    A SKU with order lines still parked on it keeps its ticket even when the catalog no
    longer lists the size (the lines still need a mapping). A parked return line's ticket
    (it names its return) is the returns stream's to clear, when the line is mapped: the
    catalog leaves it alone, or every catalog run would clear it and the next returns run
    raise it again.
    """
    parked = {sku_normalise(sku) for sku in parked_centra_skus()}

    def still_parked(condition: Condition) -> bool:
        return condition.type_code == MISSING_IN_IP and (
            bool(condition.return_id) or sku_normalise(condition.sku) in parked
        )

    tickets_settle(
        type_codes=TICKET_TYPES,
        holding=plan.missing_in_ip + plan.missing_in_centra,
        source=SOURCE,
        keep=still_parked,
        note="The SKU is mapped or no longer one-sided.",
    )
    _without_sku_settle(plan.without_sku)


def _without_sku_settle(sizes: list[SizeRow]) -> None:
    """One catalog-wide ticket while active Centra sizes have no SKU; cleared when none."""
    if not sizes:
        tickets_clear_many(
            [Condition(type_code=WITHOUT_SKU, stream="catalog")],
            source=SOURCE,
            note="Every active Centra size has a SKU.",
        )
        return
    named = [
        {
            "centra_size_id": s.size_id,
            "centra_variant_id": s.variant_id,
            "product": f"{s.product_number} {s.product_name}",
            "variant": s.variant_number,
            "size": s.size_name,
        }
        for s in sizes[:WITHOUT_SKU_LISTED]
    ]
    first = named[0]
    condition = Condition(
        type_code=WITHOUT_SKU,
        stream="catalog",
        summary=(
            f"{len(sizes)} active Centra size(s) have no SKU, e.g. {first['product']} "
            f"{first['variant']} {first['size']} (size id {first['centra_size_id']})"
        )[:300],
        context={"count": len(sizes), "sizes": named},
    )
    tickets_raise_many([condition], source=SOURCE)

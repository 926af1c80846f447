"""Lookups the orders engine shares with the catalog and returns: the SKU map as order
lines are matched to it, and the SKUs that still have parked lines. (The ledger's writes
are in ``store.py``.)
"""

from collections.abc import Iterable
from dataclasses import dataclass

from syncs.models import OrderLine, SkuMapping


@dataclass(frozen=True)
class MappedSku:
    sku: str  # IP's SKU
    ip_variant_id: str


class SkuIndex:
    """The SKU map as the orders engine looks lines up: by Centra size id, else by SKU.

    Loaded once per run (one query); lines of a run never see half of a mapping change.
    """

    def __init__(self, mappings: Iterable[SkuMapping]):
        self.by_size: dict[int, MappedSku] = {}
        self.by_sku: dict[str, MappedSku] = {}
        for m in mappings:
            mapped = MappedSku(m.sku, m.ip_variant_id)
            self.by_size[m.centra_size_id] = mapped
            self.by_sku[m.centra_sku] = mapped

    @classmethod
    def load(cls) -> "SkuIndex":
        return cls(SkuMapping.objects.only("sku", "ip_variant_id", "centra_size_id", "centra_sku"))

    def find(self, size_id: int | None, sku: str) -> MappedSku | None:
        found = self.by_size.get(size_id) if size_id is not None else None
        return found or self.by_sku.get(sku)


def parked_centra_skus() -> list[str]:
    """The Centra SKUs that still have parked order lines (their tickets must stay open)."""
    return list(
        OrderLine.objects.filter(parked=True).values_list("centra_sku", flat=True).distinct()
    )

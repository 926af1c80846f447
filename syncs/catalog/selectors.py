"""Reads of the SKU map for screens and for the other engines: the workbench, the index
orders and returns look lines up in, and the Centra SKUs with parked order lines."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q

from syncs.models import CentraSize, IpVariant, OrderLine, SkuMapping
from syncs.models.catalog import sku_normalise


@dataclass
class Workbench:
    unmatched_centra: list[CentraSize]
    unmatched_ip: list[IpVariant]
    suggestions: list[tuple[CentraSize, IpVariant, str]]  # one-click candidates


def catalog_workbench(*, query: str = "", limit: int = 200) -> Workbench:
    """The unmatched SKUs of both sides (from the last catalog run) and suggested pairs."""
    centra = CentraSize.objects.exclude(
        size_id__in=SkuMapping.objects.values("centra_size_id")
    ).order_by("sku", "pk")
    ip = (
        IpVariant.objects.filter(removed=False)
        .exclude(variant_id__in=SkuMapping.objects.values("ip_variant_id"))
        .order_by("sku", "pk")
    )
    if query:
        centra = centra.filter(sku_key__contains=sku_normalise(query))
        ip = ip.filter(sku_key__contains=sku_normalise(query))
    unmatched_centra, unmatched_ip = list(centra[:limit]), list(ip[:limit])
    free_ip = IpVariant.objects.filter(removed=False).exclude(
        variant_id__in=SkuMapping.objects.values("ip_variant_id")
    )
    keys = [s.sku_key for s in unmatched_centra]
    eans = [s.ean for s in unmatched_centra if s.ean]
    by_key, by_barcode = defaultdict(list), defaultdict(list)
    for variant in free_ip.filter(Q(sku_key__in=keys) | Q(barcode__in=eans)).order_by("sku", "pk"):
        by_key[variant.sku_key].append(variant)
        if variant.barcode:
            by_barcode[variant.barcode].append(variant)
    suggestions = []
    for size in unmatched_centra:
        seen = set()
        for how, candidates in (
            ("EAN", by_barcode.get(size.ean, []) if size.ean else []),
            ("normalised SKU", by_key.get(size.sku_key, [])),
        ):
            for variant in candidates:
                if variant.variant_id not in seen:
                    seen.add(variant.variant_id)
                    suggestions.append((size, variant, how))
    return Workbench(unmatched_centra, unmatched_ip, suggestions)


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

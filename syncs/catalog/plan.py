"""The SKU map's decisions: compare both catalogs with the mappings stored, and say what
should be mapped, what is dropped and what is one-sided. Pure: reads nothing and writes
nothing, so a dry run and the benchmark run it as is; ``store`` writes what it decided.

Matching rules (IP is the SKU master; docs/catalog-and-orders.md):
- a Centra size and an IP variant whose SKUs are *exactly* equal are mapped automatically,
  when each SKU is unique on its side and the IP variant is not removed;
- a pair equal only after normalising (case, surrounding spaces), or sharing an EAN/barcode,
  is a *suggestion*: it appears on the ticket and on the workbench, and a person confirms it.
  Normalising finds candidates; it never hides a real difference in the data.
- an existing mapping lives as long as both of its ids exist (the IP variant not removed):
  ids are stable, so a SKU renamed on one side keeps its mapping and the SKU text follows.

Tickets: ``sku_missing_in_ip`` for each active Centra size with no mapping;
``sku_missing_in_centra`` for each active IP variant with stock and no mapping. A ticket
clears itself when its SKU is mapped or no longer qualifies.
"""

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from operator import attrgetter
from typing import NamedTuple

from centra_ip.heap import without_collector
from exceptions.registry import TicketType
from exceptions.services import Condition
from syncs.connectors.centra.types import SizeRow
from syncs.connectors.inventory_planner.types import Variant
from syncs.models import SkuMapping
from syncs.models.catalog import sku_normalise

MISSING_IN_IP = TicketType.SKU_MISSING_IN_IP
MISSING_IN_CENTRA = TicketType.SKU_MISSING_IN_CENTRA
IP_FIELDS = ("id", "sku", "barcode", "title", "removed", "in_stock")


class Pair(NamedTuple):
    """A mapping the plan keeps or creates: ids and the SKU texts of both sides, in the
    order of ``PAIR_FIELDS`` (a named tuple: a full compare builds 200,000 of them, and a
    frozen dataclass's ``__init__`` costs several times more)."""

    ip_variant_id: str
    sku: str
    centra_size_id: int
    centra_variant_id: int
    centra_product_id: int
    centra_sku: str
    ean: str
    source: str


# A mapping's columns as the pair holds them (``store`` writes them in this order).
PAIR_FIELDS = list(Pair._fields)
# What a catalog run refreshes on a mapping it keeps (its ids never change).
MAPPING_SYNCED_FIELDS = ("sku", "centra_variant_id", "centra_product_id", "centra_sku", "ean")
# What the compare reads of each stored mapping (``engine`` reads only these).
MAPPING_FIELDS = ("pk", "centra_size_id", "ip_variant_id", "source", *MAPPING_SYNCED_FIELDS)
_synced = attrgetter(*MAPPING_SYNCED_FIELDS)


@dataclass
class CatalogPlan:
    """What one catalog compare decided, before anything is written."""

    sizes: list[SizeRow]
    variants: list[Variant]
    pairs: list[Pair] = field(default_factory=list)  # every mapping that should exist
    new_pairs: list[Pair] = field(default_factory=list)  # those not stored yet
    # Stored mappings whose SKU texts, Centra variant/product or EAN changed: (pk, pair).
    changed_mappings: list[tuple[int, Pair]] = field(default_factory=list)
    dropped_mappings: list[int] = field(default_factory=list)  # SkuMapping pks
    missing_in_ip: list[Condition] = field(default_factory=list)
    missing_in_centra: list[Condition] = field(default_factory=list)
    without_sku: list[SizeRow] = field(default_factory=list)  # active sizes with no SKU

    @property
    def counts(self) -> dict:
        return {
            "centra_sizes": len(self.sizes),
            "ip_variants": len(self.variants),
            "mapped": len(self.pairs),
            "newly_mapped": len(self.new_pairs),
            "mappings_dropped": len(self.dropped_mappings),
            "missing_in_ip": len(self.missing_in_ip),
            "missing_in_centra": len(self.missing_in_centra),
            "without_sku": len(self.without_sku),
        }


def _is_active_ip(variant: Variant) -> bool:
    return not variant.removed and bool(variant.sku)


@without_collector
def catalog_compare(
    *, sizes: list[SizeRow], variants: list[Variant], mappings: Iterable
) -> CatalogPlan:
    """Decide the SKU map from both full catalogs and the mappings already stored
    (``SkuMapping``s, or rows with the attributes in ``MAPPING_FIELDS``).

    Pure: reads nothing and writes nothing, so a dry run and the benchmark run it as is.
    Linear in the catalog size (dict lookups only). It also says which stored mappings
    changed, so ``store`` writes those without reading 200,000 mappings a second time.
    """
    plan = CatalogPlan(sizes=sizes, variants=variants)
    size_by_id = {s.size_id: s for s in sizes}
    variant_by_id = {v.id: v for v in variants if _is_active_ip(v)}
    taken_sizes: set[int] = set()
    taken_variants: set[str] = set()
    for mapping in mappings:
        size, variant = (
            size_by_id.get(mapping.centra_size_id),
            variant_by_id.get(mapping.ip_variant_id),
        )
        if size is None or variant is None:
            plan.dropped_mappings.append(mapping.pk)
            continue
        taken_sizes.add(size.size_id)
        taken_variants.add(variant.id)
        pair = _pair(size, variant, mapping.source)
        plan.pairs.append(pair)
        if _synced(pair) != _synced(mapping):
            plan.changed_mappings.append((mapping.pk, pair))

    free_sizes = [s for s in sizes if s.size_id not in taken_sizes]
    free_variants = [v for v in variant_by_id.values() if v.id not in taken_variants]
    centra_sku_count = Counter(s.sku for s in free_sizes)
    ip_by_sku: dict[str, list[Variant]] = defaultdict(list)
    for variant in free_variants:
        ip_by_sku[variant.sku].append(variant)
    for size in free_sizes:
        same = ip_by_sku.get(size.sku, [])
        if size.sku and centra_sku_count[size.sku] == 1 and len(same) == 1:
            variant = same[0]
            taken_sizes.add(size.size_id)
            taken_variants.add(variant.id)
            pair = _pair(size, variant, SkuMapping.Source.AUTOMATIC)
            plan.pairs.append(pair)
            plan.new_pairs.append(pair)

    # Whatever is still free is on one side only: ticket it, with suggestions.
    left_sizes = [s for s in free_sizes if s.size_id not in taken_sizes]
    left_variants = [v for v in free_variants if v.id not in taken_variants]
    ip_by_key, ip_by_barcode = defaultdict(list), defaultdict(list)
    for variant in left_variants:
        ip_by_key[sku_normalise(variant.sku)].append(variant)
        if variant.barcode:
            ip_by_barcode[variant.barcode].append(variant)
    centra_by_key, centra_by_ean = defaultdict(list), defaultdict(list)
    for size in left_sizes:
        centra_by_key[sku_normalise(size.sku)].append(size)
        if size.ean:
            centra_by_ean[size.ean].append(size)

    plan.without_sku = [s for s in sizes if not s.sku and s.product_status == "ACTIVE"]
    for size in left_sizes:
        if size.product_status != "ACTIVE" or not size.sku:
            continue
        suggestions = _suggestions(
            ip_by_barcode.get(size.ean, []) if size.ean else [],
            ip_by_key.get(sku_normalise(size.sku), []),
            key=lambda v: v.id,
            describe=lambda v: {"ip_variant_id": v.id, "ip_sku": v.sku, "barcode": v.barcode},
        )
        context = {
            "centra_size_id": size.size_id,
            "centra_variant_id": size.variant_id,
            "centra_product_id": size.product_id,
            "centra_sku": size.sku,
            "ean": size.ean,
            "product": f"{size.product_number} {size.product_name}",
            "suggested_matches": suggestions,
        }
        if suggestions:
            match = variant_by_id[suggestions[0]["ip_variant_id"]]
            context["likely_match"] = _likely_match(size, match, other=MISSING_IN_CENTRA)
        plan.missing_in_ip.append(
            Condition(
                type_code=MISSING_IN_IP,
                sku=size.sku,
                context=context,
                summary=_summary("Centra", size.sku, suggestions, "ip_sku"),
            )
        )
    for variant in left_variants:
        if not (variant.in_stock or 0) > 0:
            continue
        suggestions = _suggestions(
            centra_by_ean.get(variant.barcode, []) if variant.barcode else [],
            centra_by_key.get(sku_normalise(variant.sku), []),
            key=lambda s: s.size_id,
            describe=lambda s: {"centra_size_id": s.size_id, "centra_sku": s.sku, "ean": s.ean},
        )
        context = {
            "ip_variant_id": variant.id,
            "ip_sku": variant.sku,
            "barcode": variant.barcode or "",
            "in_stock": variant.in_stock,
            "suggested_matches": suggestions,
        }
        if suggestions:
            match = size_by_id[suggestions[0]["centra_size_id"]]
            context["likely_match"] = _likely_match(match, variant, other=MISSING_IN_IP)
        plan.missing_in_centra.append(
            Condition(
                type_code=MISSING_IN_CENTRA,
                sku=variant.sku,
                context=context,
                summary=_summary("IP", variant.sku, suggestions, "centra_sku"),
            )
        )
    return plan


def _suggestions(by_code: list, by_key: list, *, key, describe) -> list[dict]:
    """EAN/barcode matches first, then SKUs equal after normalising; each candidate once."""
    seen, found = set(), []
    for how, candidates in (("ean", by_code), ("normalised sku", by_key)):
        for candidate in candidates:
            if key(candidate) in seen:
                continue
            seen.add(key(candidate))
            found.append({**describe(candidate), "matched_on": how})
    return found[:5]


def _likely_match(size: SizeRow, variant: Variant, *, other: str) -> dict:
    """The pair a one-sided SKU most likely is (its best suggestion), named alike on both
    sides' tickets: an IP variant re-created with a case or space typo raises one ticket per
    side, for two teams, about one pair (review problem 12). ``ticket`` names the other
    side's ticket (type and SKU) so the desk links the two; ``reasons`` say why they match.
    """
    reasons = []
    if size.ean and size.ean == variant.barcode:
        reasons.append(f"same barcode {size.ean}")
    if sku_normalise(size.sku) == sku_normalise(variant.sku):
        reasons.append("SKU equal after case/space normalisation")
    return {
        "centra_size_id": size.size_id,
        "centra_sku": size.sku,
        "ip_variant_id": variant.id,
        "ip_sku": variant.sku,
        "reasons": reasons,
        "ticket": {"type": other, "sku": variant.sku if other == MISSING_IN_CENTRA else size.sku},
    }


def _summary(side: str, sku: str, suggestions: list[dict], other_key: str) -> str:
    text = f"{side} SKU {sku!r} has no counterpart"
    if suggestions:
        text += f"; suggested match {suggestions[0][other_key]!r} ({suggestions[0]['matched_on']})"
    return text[:300]


def _pair(size: SizeRow, variant: Variant, source: str) -> Pair:
    return Pair(
        ip_variant_id=variant.id,
        sku=variant.sku,
        centra_size_id=size.size_id,
        centra_variant_id=size.variant_id,
        centra_product_id=size.product_id,
        centra_sku=size.sku,
        ean=size.ean or variant.barcode or "",
        source=source,
    )

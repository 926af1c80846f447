"""The SKU map: compare both catalogs, keep the snapshot and the mappings, raise and clear
the one-side-only tickets, and map by hand (one click, manual, or a CSV import).

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

import csv
import io
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from centra_ip.uploads import csv_rows
from exceptions.registry import TicketType
from exceptions.services import (
    Condition,
    tickets_clear_many,
    tickets_raise_many,
    tickets_settle,
)
from syncs.catalog.hooks import mappings_created
from syncs.connectors.centra.types import SizeRow
from syncs.connectors.inventory_planner.types import Variant
from syncs.models import CentraSize, IpVariant, SkuMapping
from syncs.models.catalog import sku_normalise
from syncs.orders.services import parked_centra_skus
from syncs.stock.bulk import bulk_insert, bulk_upsert
from syncs.stock.heap import without_collector

MISSING_IN_IP = TicketType.SKU_MISSING_IN_IP
MISSING_IN_CENTRA = TicketType.SKU_MISSING_IN_CENTRA
TICKET_TYPES = (MISSING_IN_IP, MISSING_IN_CENTRA)
WITHOUT_SKU = TicketType.CENTRA_SIZE_WITHOUT_SKU
WITHOUT_SKU_LISTED = 50  # sizes named in the ticket's context; the summary has the count
SOURCE = "catalog engine"
IP_FIELDS = ("id", "sku", "barcode", "title", "removed", "in_stock")
# What a catalog run refreshes on an existing mapping (the ids never change).
MAPPING_SYNCED_FIELDS = ("sku", "centra_variant_id", "centra_product_id", "centra_sku", "ean")


class MappingError(Exception):
    """A mapping that must not be made (unknown id, removed variant, side already mapped)."""


@dataclass(frozen=True)
class Pair:
    """A mapping the plan keeps or creates: ids and the SKU texts of both sides."""

    ip_variant_id: str
    sku: str
    centra_size_id: int
    centra_variant_id: int
    centra_product_id: int
    centra_sku: str
    ean: str
    source: str


@dataclass
class CatalogPlan:
    """What one catalog compare decided, before anything is written."""

    sizes: list[SizeRow]
    variants: list[Variant]
    pairs: list[Pair] = field(default_factory=list)  # every mapping that should exist
    new_pairs: int = 0
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
            "newly_mapped": self.new_pairs,
            "mappings_dropped": len(self.dropped_mappings),
            "missing_in_ip": len(self.missing_in_ip),
            "missing_in_centra": len(self.missing_in_centra),
            "without_sku": len(self.without_sku),
        }


def _is_active_ip(variant: Variant) -> bool:
    return not variant.removed and bool(variant.sku)


@without_collector
def catalog_compare(
    *, sizes: list[SizeRow], variants: list[Variant], mappings: Iterable[SkuMapping]
) -> CatalogPlan:
    """Decide the SKU map from both full catalogs and the mappings already stored.

    Pure: reads nothing and writes nothing, so a dry run and the benchmark run it as is.
    Linear in the catalog size (dict lookups only).
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
        plan.pairs.append(_pair(size, variant, mapping.source))

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
            plan.pairs.append(_pair(size, variant, SkuMapping.Source.AUTOMATIC))
            plan.new_pairs += 1

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


# --- Storing a plan ---------------------------------------------------------------------------


CENTRA_SIZE_FIELDS = (
    "sku",
    "sku_key",
    "ean",
    "product_id",
    "product_number",
    "product_name",
    "product_status",
    "variant_id",
    "variant_name",
    "size_name",
)
IP_VARIANT_FIELDS = ("sku", "sku_key", "barcode", "title", "removed", "in_stock")


def _centra_values(s: SizeRow) -> tuple:
    return (
        s.sku,
        sku_normalise(s.sku),
        s.ean or "",
        s.product_id,
        s.product_number,
        s.product_name[:255],
        s.product_status,
        s.variant_id,
        s.variant_name[:255],
        s.size_name,
    )


def _ip_values(v: Variant) -> tuple:
    sku = v.sku or ""
    return (
        sku,
        sku_normalise(sku),
        v.barcode or "",
        (v.title or "")[:255],
        bool(v.removed),
        v.in_stock,
    )


def _snapshot_write(model, key: str, fields: tuple, rows: dict, now) -> None:
    """Make the table equal ``rows`` ({key: values in ``fields`` order}), writing only what
    differs: a catalog of 200,000 SKUs changes a few rows per run, and Django spends most
    of a bulk write preparing values, so unchanged rows are not sent at all."""
    stored = {row[0]: row[1:] for row in model.objects.values_list(key, *fields).iterator(5000)}
    write = [
        model(**{key: k}, **dict(zip(fields, values, strict=True)), seen_at=now)
        for k, values in rows.items()
        if stored.get(k) != values
    ]
    bulk_upsert(
        model,
        write,
        unique_fields=[key],
        update_fields=[*fields, "seen_at"],
    )
    gone = list(stored.keys() - rows.keys())
    for start in range(0, len(gone), 5000):
        model.objects.filter(**{f"{key}__in": gone[start : start + 5000]}).delete()


@without_collector
def catalog_store(*, plan: CatalogPlan) -> None:
    """Write the snapshot and the mappings in one transaction, then raise and clear tickets.

    The snapshot is brought up to date in place (rows gone from a side deleted), so the
    workbench never shows an empty catalog mid-run; ``seen_at`` is when a row last changed.
    Mappings are written before tickets: a ticket cleared here is cleared because the
    mapping is already committed.
    """
    now = timezone.now()
    with transaction.atomic():
        _snapshot_write(
            CentraSize,
            "size_id",
            CENTRA_SIZE_FIELDS,
            {s.size_id: _centra_values(s) for s in plan.sizes},
            now,
        )
        _snapshot_write(
            IpVariant,
            "variant_id",
            IP_VARIANT_FIELDS,
            {v.id: _ip_values(v) for v in plan.variants},
            now,
        )
        _mappings_write(plan, now)
    _tickets_settle(plan)


def _mappings_write(plan: CatalogPlan, now) -> None:
    SkuMapping.objects.filter(pk__in=plan.dropped_mappings).delete()
    # Tuples, not model instances: building 200,000 mappings to change a handful was most
    # of an unchanged run's time.
    existing = {
        row[0]: row[1:]
        for row in SkuMapping.objects.values_list(
            "centra_size_id", "pk", *MAPPING_SYNCED_FIELDS
        ).iterator(chunk_size=5000)
    }
    changed, created = [], []
    for pair in plan.pairs:
        stored = existing.get(pair.centra_size_id)
        if stored is None:
            created.append(
                SkuMapping(
                    sku=pair.sku,
                    ip_variant_id=pair.ip_variant_id,
                    centra_size_id=pair.centra_size_id,
                    centra_variant_id=pair.centra_variant_id,
                    centra_product_id=pair.centra_product_id,
                    centra_sku=pair.centra_sku,
                    ean=pair.ean,
                    source=pair.source,
                    created_at=now,
                    updated_at=now,
                )
            )
            continue
        wanted = tuple(getattr(pair, name) for name in MAPPING_SYNCED_FIELDS)
        if stored[1:] != wanted:
            fields = dict(zip(MAPPING_SYNCED_FIELDS, wanted, strict=True))
            changed.append(SkuMapping(pk=stored[0], **fields, updated_at=now))
    SkuMapping.objects.bulk_update(changed, [*MAPPING_SYNCED_FIELDS, "updated_at"], batch_size=1000)
    bulk_insert(SkuMapping, created)
    mappings_created(mappings=created)


def _tickets_settle(plan: CatalogPlan) -> None:
    """Raise what is missing now; clear every active ticket of these types that is not.

    A SKU with order lines still parked on it keeps its ticket even when the catalog no
    longer lists the size (the lines still need a mapping).
    """

    parked = {sku_normalise(sku) for sku in parked_centra_skus()}
    tickets_settle(
        type_codes=TICKET_TYPES,
        holding=plan.missing_in_ip + plan.missing_in_centra,
        source=SOURCE,
        keep=lambda c: c.type_code == MISSING_IN_IP and sku_normalise(c.sku) in parked,
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


# --- Mapping by hand --------------------------------------------------------------------------


def sku_mapping_create(
    *, centra_size_id: int, ip_variant_id: str, source: str, user=None
) -> SkuMapping:
    """Map one Centra size to one IP variant, after checking both against the snapshot.

    Refuses (``MappingError``, nothing written) an unknown id, a removed IP variant, or a
    side already mapped. On success the one-side tickets of both SKUs clear and the
    lines parked on the Centra SKU are re-driven in the same transaction (orders and returns
    alike: ``syncs/catalog/hooks.py``).
    """
    try:
        with transaction.atomic():
            mapping = _mapping_build(centra_size_id, ip_variant_id, source, user)
            mapping.save()
            _after_mapping([mapping])
    except IntegrityError:
        # Someone mapped one of the two sides between our checks and our insert.
        raise MappingError("One of these SKUs was mapped a moment ago; reload and check.") from None
    return mapping


def _mapping_build(centra_size_id, ip_variant_id, source, user) -> SkuMapping:
    size = CentraSize.objects.filter(size_id=centra_size_id).first()
    variant = IpVariant.objects.filter(variant_id=ip_variant_id).first()
    if size is None:
        raise MappingError(f"No Centra size with id {centra_size_id} in the catalog.")
    if variant is None:
        raise MappingError(f"No Inventory Planner variant with id {ip_variant_id!r}.")
    if variant.removed:
        raise MappingError(f"IP variant {variant.sku!r} is removed in Inventory Planner.")
    taken = SkuMapping.objects.filter(centra_size_id=size.size_id).first()
    if taken:
        raise MappingError(f"Centra SKU {size.sku!r} is already mapped to IP {taken.sku!r}.")
    taken = SkuMapping.objects.filter(ip_variant_id=variant.variant_id).first()
    if taken:
        raise MappingError(
            f"IP SKU {variant.sku!r} is already mapped to Centra {taken.centra_sku!r}."
        )
    if SkuMapping.objects.filter(sku=variant.sku).exists():
        raise MappingError(f"IP SKU {variant.sku!r} is already mapped.")
    now = timezone.now()
    return SkuMapping(
        sku=variant.sku,
        ip_variant_id=variant.variant_id,
        centra_size_id=size.size_id,
        centra_variant_id=size.variant_id,
        centra_product_id=size.product_id,
        centra_sku=size.sku,
        ean=size.ean or variant.barcode,
        source=source,
        created_at=now,
        created_by=user if getattr(user, "is_authenticated", False) else None,
        updated_at=now,
    )


def _after_mapping(mappings: list[SkuMapping]) -> None:

    source = "SKU mapping"
    tickets_clear_many(
        [Condition(type_code=MISSING_IN_IP, sku=m.centra_sku) for m in mappings]
        + [Condition(type_code=MISSING_IN_CENTRA, sku=m.sku) for m in mappings],
        source=source,
        note="The SKU was mapped.",
    )
    mappings_created(mappings=mappings)


@dataclass
class ImportOutcome:
    created: list[SkuMapping] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason)


def sku_mappings_import(*, text: str, user=None) -> ImportOutcome:
    """Create mappings from a CSV with columns ``centra_sku`` and ``ip_sku``.

    All or nothing: every row is checked first (exact SKUs, each unique on its side, nothing
    mapped twice, also within the file); one bad row writes no mapping at all, and the
    outcome lists every bad row so the file can be fixed in one go.
    """
    outcome = ImportOutcome()
    reader = csv.DictReader(io.StringIO(text))
    header = {(name or "").strip().lower() for name in reader.fieldnames or []}
    if not {"centra_sku", "ip_sku"} <= header:
        outcome.errors.append((1, "the header must have the columns centra_sku and ip_sku"))
        return outcome
    built: list[SkuMapping] = []
    sizes_in_file, variants_in_file = set(), set()
    for number, row in enumerate(csv_rows(reader, outcome.errors), start=2):
        row = {(k or "").strip().lower(): v or "" for k, v in row.items()}
        centra_sku, ip_sku = row.get("centra_sku", ""), row.get("ip_sku", "")
        if not centra_sku.strip() and not ip_sku.strip():
            continue
        sizes = _ids_for(CentraSize.objects.all(), centra_sku, "size_id")
        variants = _ids_for(IpVariant.objects.filter(removed=False), ip_sku, "variant_id")
        centra_sku, ip_sku = centra_sku.strip(), ip_sku.strip()
        if len(sizes) != 1:
            outcome.errors.append((number, _count_reason("Centra SKU", centra_sku, len(sizes))))
            continue
        if len(variants) != 1:
            outcome.errors.append((number, _count_reason("IP SKU", ip_sku, len(variants))))
            continue
        if sizes[0] in sizes_in_file or variants[0] in variants_in_file:
            outcome.errors.append((number, "this SKU appears twice in the file"))
            continue
        try:
            built.append(_mapping_build(sizes[0], variants[0], SkuMapping.Source.IMPORTED, user))
        except MappingError as error:
            outcome.errors.append((number, str(error)))
            continue
        sizes_in_file.add(sizes[0])
        variants_in_file.add(variants[0])
    if outcome.errors or not built:
        return outcome
    with transaction.atomic():
        SkuMapping.objects.bulk_create(built)
        _after_mapping(built)
    outcome.created = built
    return outcome


def _ids_for(queryset, sku: str, id_field: str) -> list:
    """The ids with exactly this SKU; only when there are none, the SKU without the spaces
    around it (a CSV edited by hand often has a space after the comma)."""
    ids = list(queryset.filter(sku=sku).values_list(id_field, flat=True))
    if not ids and sku != sku.strip():
        ids = list(queryset.filter(sku=sku.strip()).values_list(id_field, flat=True))
    return ids


def _count_reason(what: str, sku: str, count: int) -> str:
    if count == 0:
        return f"{what} {sku!r} is not in the catalog"
    return f"{what} {sku!r} matches {count} items; map it on the workbench"


# --- Reading the workbench --------------------------------------------------------------------


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

"""Mapping by hand: one click on the workbench, a manual pair, or a CSV import. Each is
checked against the snapshot first; a mapping made clears the one-side tickets of both
SKUs and re-drives the lines parked on the Centra SKU (``hooks``), in the same transaction."""

import csv
import io
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone

from centra_ip.uploads import csv_rows
from exceptions.services import Condition, tickets_clear_many
from syncs.catalog.hooks import mappings_created
from syncs.catalog.plan import MISSING_IN_CENTRA, MISSING_IN_IP
from syncs.models import CentraSize, IpVariant, SkuMapping


class MappingError(Exception):
    """A mapping that must not be made (unknown id, removed variant, side already mapped)."""


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

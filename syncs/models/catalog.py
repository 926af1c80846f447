"""The catalog as the hub last saw it on both sides, and the SKU map that joins them.

Inventory Planner is the SKU master (docs/operating-model.md): a mapping is keyed by the IP SKU and
points at exactly one Centra size. Every engine that crosses the two systems (orders into the
feed, stock into Centra) goes through ``SkuMapping`` and nothing else, so "is this SKU
mapped?" has one answer.

``CentraSize`` and ``IpVariant`` are the catalog engine's snapshot of each side (replaced in
full by each catalog run); they feed the mapping workbench (the unmatched SKUs of both sides)
and the SKU page, and let a manual mapping be validated without calling either API.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

# The catalog's text columns are indexed in ``Meta`` (``Index``/``UniqueConstraint``), not
# with ``db_index``/``unique`` on the field: for a CharField those make Django add a second,
# ``varchar_pattern_ops`` index on PostgreSQL (for ``LIKE 'abc%'``), which no query here
# makes and which every row of a 200,000-SKU catalog run paid for (docs/benchmarks.md).


def sku_normalise(value: str) -> str:
    """The comparison form of a SKU: surrounding spaces stripped, case folded.

    Used to *find* candidates ("ABC-1" vs " abc-1"), never to map silently: a pair that is
    equal only after normalising is a suggestion a person confirms (see the catalog docs).
    """
    return (value or "").strip().casefold()


class SkuMapping(models.Model):
    """One matched pair: an IP variant (the SKU master) and the Centra size that sells it.

    Read this from other engines:
    - ``sku``: the IP SKU, exactly as IP spells it (what the sales feed publishes);
    - ``ip_variant_id``: IP's variant id (``GET /variants/{id}``);
    - ``centra_size_id``: Centra's ``productSize`` id (what ``setStock`` writes);
    - ``centra_variant_id`` / ``centra_product_id``: its Centra variant and product;
    - ``centra_sku``: the SKU as Centra spells it (equal to ``sku`` for automatic matches;
      may differ in case or spacing for confirmed suggestions and manual mappings).

    Each side appears in at most one mapping (unique constraints), so a SKU can never be
    pushed to two Centra sizes or fed twice.
    """

    class Source(models.TextChoices):
        AUTOMATIC = "automatic", "Automatic (same SKU)"
        SUGGESTED = "suggested", "Confirmed suggestion"
        MANUAL = "manual", "Manual"
        IMPORTED = "imported", "CSV import"

    sku = models.CharField(max_length=120)
    ip_variant_id = models.CharField(max_length=64)
    centra_size_id = models.PositiveIntegerField(unique=True)
    centra_variant_id = models.PositiveIntegerField()
    centra_product_id = models.PositiveIntegerField()
    centra_sku = models.CharField(max_length=120)
    ean = models.CharField(max_length=64, blank=True)
    source = models.CharField(max_length=16, choices=Source.choices)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # partial index below: catalog runs create mappings without a user
    )
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["sku", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["sku"], name="skumapping_sku_unique"),
            models.UniqueConstraint(fields=["ip_variant_id"], name="skumapping_ip_variant_unique"),
        ]
        indexes = [
            # The SKU page and ticket retries look a SKU up on either side's spelling.
            models.Index(fields=["centra_sku"], name="skumapping_centra_sku"),
            # Deleting a user nulls its mappings; only manual ones have a user.
            models.Index(
                fields=["created_by"],
                name="skumapping_created_by",
                condition=Q(created_by__isnull=False),
            ),
        ]

    def __str__(self):
        return f"{self.sku} -> Centra size {self.centra_size_id}"


class CentraSize(models.Model):
    """A Centra product size as the last catalog run read it (products → variants → sizes)."""

    size_id = models.PositiveIntegerField(unique=True)
    sku = models.CharField(max_length=120)
    sku_key = models.CharField(max_length=120)  # sku_normalise(sku)
    ean = models.CharField(max_length=64, blank=True)  # shown, not searched (IP barcodes are)
    product_id = models.PositiveIntegerField()
    product_number = models.CharField(max_length=120, blank=True)
    product_name = models.CharField(max_length=255, blank=True)
    product_status = models.CharField(max_length=32, blank=True)
    variant_id = models.PositiveIntegerField()
    variant_name = models.CharField(max_length=255, blank=True)
    size_name = models.CharField(max_length=64, blank=True)
    seen_at = models.DateTimeField()

    class Meta:
        ordering = ["sku", "pk"]
        indexes = [
            # Manual mappings and imports find a size by its exact SKU; the SKU page by
            # the normalised one.
            models.Index(fields=["sku"], name="centrasize_sku"),
            models.Index(fields=["sku_key"], name="centrasize_sku_key"),
        ]

    def __str__(self):
        return f"Centra {self.sku} (size {self.size_id})"


class IpVariant(models.Model):
    """An Inventory Planner variant as the last catalog run read it."""

    variant_id = models.CharField(max_length=64)
    sku = models.CharField(max_length=120)
    sku_key = models.CharField(max_length=120)  # sku_normalise(sku)
    barcode = models.CharField(max_length=64, blank=True)
    title = models.CharField(max_length=255, blank=True)
    removed = models.BooleanField(default=False)
    in_stock = models.FloatField(null=True, blank=True)
    seen_at = models.DateTimeField()

    class Meta:
        ordering = ["sku", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["variant_id"], name="ipvariant_variant_id_unique"),
        ]
        indexes = [
            # As CentraSize's; the workbench also finds suggestions by barcode.
            models.Index(fields=["sku"], name="ipvariant_sku"),
            models.Index(fields=["sku_key"], name="ipvariant_sku_key"),
            models.Index(fields=["barcode"], name="ipvariant_barcode"),
        ]

    def __str__(self):
        return f"IP {self.sku} (variant {self.variant_id})"

"""The stock engine's configuration: admin data, not code (docs/stock-engine.md).

Stock statuses and their ledger, allocations to other channels, safety stock rules, the
warehouse map and the engine's own thresholds. Every change goes through
``syncs.stock.config_services`` or ``syncs.stock.config_io``, which write a ``ConfigChange``
row (who, when, before, after) in the same transaction: nothing here changes unaudited.
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from centra_ip.limits import out_of_range


class Scope(models.TextChoices):
    """Where a rule applies; ``PRECEDENCE`` lists them most specific first."""

    SKU = "sku", "SKU"
    PRODUCT = "product", "Product"
    CATEGORY = "category", "Category"
    WAREHOUSE = "warehouse", "Centra warehouse"
    GLOBAL = "global", "Global"


PRECEDENCE = (Scope.SKU, Scope.PRODUCT, Scope.CATEGORY, Scope.WAREHOUSE, Scope.GLOBAL)


class StockStatus(models.Model):
    """A state units can be in (reserved, quarantined, in QC, damaged...) and whether units
    in it may be sold. Admins add statuses; the returns flow moves units through ``in_qc``."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=80)
    sellable = models.BooleanField(default=False)
    description = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["code", "pk"]

    def __str__(self):
        return f"{self.name} ({'sellable' if self.sellable else 'not sellable'})"

    def clean(self):
        # Returned units wait in in_qc until QC passes them; sellable, they would be sold first.
        if self.code == "in_qc" and self.sellable:
            raise ValidationError({"sellable": "In QC units are never sellable."})


class StockStatusBalance(models.Model):
    """The ledger's current quantity of one SKU in one IP warehouse and one status.

    Changed only by ``stock_status_move`` (screen, CSV import, returns flow), which appends
    a ``StockStatusMovement`` in the same transaction, so the balance is always the sum of
    its movements.
    """

    sku = models.CharField(max_length=100)
    ip_warehouse = models.CharField(max_length=100)
    status = models.ForeignKey(StockStatus, on_delete=models.PROTECT, related_name="balances")
    quantity = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["sku", "ip_warehouse", "status", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["sku", "ip_warehouse", "status"], name="stockstatusbalance_one_per_key"
            )
        ]

    def __str__(self):
        return f"{self.sku} @ {self.ip_warehouse}: {self.quantity} {self.status_id}"


class StockStatusMovement(models.Model):
    """Append-only history of the status ledger: what moved, why, and who moved it."""

    sku = models.CharField(max_length=100)
    ip_warehouse = models.CharField(max_length=100)
    status = models.ForeignKey(StockStatus, on_delete=models.PROTECT, related_name="movements")
    delta = models.IntegerField()
    balance_after = models.PositiveIntegerField()
    reason = models.CharField(max_length=200)
    actor_name = models.CharField(max_length=150)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["sku", "-at"], name="statusmove_sku_at")]

    def __str__(self):
        return f"{self.sku} {self.status_id} {self.delta:+d}"


class RuleKind(models.TextChoices):
    UNITS = "units", "Units"
    PERCENT = "percent", "% of on hand"
    DAYS_OF_COVER = "days_of_cover", "Days of cover x forecast daily velocity"


class SafetyStockRule(models.Model):
    """Units held back from sale; the most specific rule for a SKU and warehouse wins."""

    scope = models.CharField(max_length=16, choices=Scope.choices)
    key = models.CharField(max_length=100, blank=True, help_text="empty for the global rule")
    kind = models.CharField(max_length=16, choices=RuleKind.choices)
    value = models.DecimalField(
        max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal(0))]
    )
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["scope", "key", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="safetystockrule_one_per_key")
        ]

    def __str__(self):
        return f"{self.get_scope_display()} {self.key or '*'}: {self.value} {self.kind}"

    def clean(self):
        percent_over = self.kind == RuleKind.PERCENT and (self.value or 0) > 100
        if percent_over:
            raise ValidationError({"value": "A percentage is at most 100."})


class ChannelAllocation(models.Model):
    """Units promised to another channel (wholesale, marketplace...), held back from Centra.

    Per channel the most specific allocation wins; the channels add up.
    """

    channel = models.SlugField(max_length=40)
    scope = models.CharField(max_length=16, choices=Scope.choices)
    key = models.CharField(max_length=100, blank=True)
    kind = models.CharField(
        max_length=16, choices=[(RuleKind.UNITS, "Units"), (RuleKind.PERCENT, "% of on hand")]
    )
    value = models.DecimalField(
        max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal(0))]
    )

    class Meta:
        ordering = ["channel", "scope", "key", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "scope", "key"], name="channelallocation_one_per_key"
            )
        ]

    def __str__(self):
        return f"{self.channel} {self.scope} {self.key or '*'}: {self.value} {self.kind}"

    def clean(self):
        percent_over = self.kind == RuleKind.PERCENT and (self.value or 0) > 100
        if percent_over:
            raise ValidationError({"value": "A percentage is at most 100."})


class WarehouseMapping(models.Model):
    """Which Centra warehouse an IP warehouse's stock is sold from (many IP to one Centra)."""

    ip_warehouse = models.CharField(max_length=100, unique=True)
    centra_warehouse_id = models.PositiveIntegerField()
    centra_warehouse_name = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["centra_warehouse_id", "ip_warehouse", "pk"]

    def __str__(self):
        return f"IP {self.ip_warehouse} -> Centra {self.centra_warehouse_id}"


class StockSettings(models.Model):
    """The engine's thresholds, one row (pk 1); defaults documented in docs/stock-engine.md."""

    guard_min_skus = models.PositiveIntegerField(
        default=20, help_text="the zero-share and drop checks apply from this many SKUs"
    )
    guard_zero_share = models.DecimalField(
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.200"),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(1))],
        help_text="hold when this share of SKUs that had stock would go to zero",
    )
    guard_total_drop = models.DecimalField(
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.300"),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(1))],
        help_text="hold when total ATS would drop by more than this share",
    )
    guard_min_read_share = models.DecimalField(
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.900"),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(1))],
        help_text="hold when IP returns under this share of known SKUs",
    )
    low_stock_units = models.PositiveIntegerField(default=3)
    high_velocity_per_day = models.DecimalField(max_digits=8, decimal_places=2, default=2)
    rest_lane_minutes = models.PositiveIntegerField(
        default=30, help_text="rest lane at most this often; priority lanes every cycle"
    )
    batch_size = models.PositiveIntegerField(
        default=200, validators=[MinValueValidator(1), MaxValueValidator(1000)]
    )
    drift_tolerance = models.PositiveIntegerField(default=0)
    drift_sample_size = models.PositiveIntegerField(default=200)

    def __str__(self):
        return "stock engine settings"

    def save(self, *args, **kwargs):
        self.pk = 1
        super().save(*args, **kwargs)

    def clean(self):
        errors = out_of_range(self, {"high_velocity_per_day": (0, None)})
        if errors:
            raise ValidationError(errors)

    @classmethod
    def load(cls) -> "StockSettings":
        return cls.objects.get_or_create(pk=1)[0]


class ConfigChange(models.Model):
    """Audit trail of every configuration change: who, when, what, before and after."""

    class Action(models.TextChoices):
        CREATED = "created", "Created"
        UPDATED = "updated", "Updated"
        DELETED = "deleted", "Deleted"

    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    actor_name = models.CharField(max_length=150)
    area = models.CharField(max_length=40)  # safety_stock, allocation, status, warehouse_map...
    object_key = models.CharField(max_length=200)
    action = models.CharField(max_length=16, choices=Action.choices)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    via = models.CharField(max_length=40, default="screen")  # screen, import, returns...

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{self.actor_name} {self.action} {self.area} {self.object_key}"

    def fields_changed(self) -> list[tuple[str, object, object]]:
        """(field, before, after) for each field that differs, in a readable order: what
        the audit table shows instead of two raw dicts. A created object lists what it was
        created with (before None), a deleted one what it had (after None)."""
        before, after = self.before or {}, self.after or {}
        names = list(dict.fromkeys([*before, *after]))
        return [
            (name.replace("_", " "), before.get(name), after.get(name))
            for name in names
            if not isinstance(before, dict)
            or not isinstance(after, dict)
            or before.get(name) != after.get(name)
        ]

"""What the stock engine knows and did: positions per SKU and warehouse, pushes, push lines.

A ``StockPosition`` keeps the last inputs read from IP, the ATS computed from them, what we
last pushed and what Centra showed when last read: the explainer, the what-if preview and
the "push only what changed" comparison all work from it. A ``StockPush`` is one cycle's
plan; its ``StockPushLine`` rows are the per-SKU push records (what, when, why, what Centra
had before, which batch, the result). A held push keeps its lines until it is released or
discarded.
"""

from django.conf import settings
from django.db import models

from syncs.models.runs import SyncRun


class StockPosition(models.Model):
    sku = models.CharField(max_length=100)
    centra_warehouse_id = models.PositiveIntegerField()
    product_size_id = models.PositiveIntegerField(null=True, blank=True)
    product = models.CharField(max_length=100, blank=True)
    category = models.CharField(max_length=100, blank=True)
    # inputs as last read from IP (summed over the IP warehouses mapped to this one)
    on_hand = models.IntegerField(default=0)
    minimum_stock = models.FloatField(null=True, blank=True)
    velocity = models.FloatField(null=True, blank=True)
    ip_warehouses = models.JSONField(default=list)
    read_at = models.DateTimeField(null=True, blank=True)
    ats = models.IntegerField(default=0)
    # what the ATS was computed under (syncs/stock/basis.py): a cycle that reads the same
    # inputs under the same basis keeps ``ats`` instead of computing it again; blank: never
    ats_basis = models.CharField(max_length=32, blank=True, default="")
    # what we pushed last
    last_pushed = models.IntegerField(null=True, blank=True)
    last_pushed_at = models.DateTimeField(null=True, blank=True)
    # what Centra showed when last read back
    centra_physical = models.IntegerField(null=True, blank=True)
    centra_allocated = models.IntegerField(null=True, blank=True)
    centra_fta = models.IntegerField(null=True, blank=True)
    centra_seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["sku", "centra_warehouse_id", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["sku", "centra_warehouse_id"], name="stockposition_one_per_key"
            )
        ]

    def __str__(self):
        return f"{self.sku} @ {self.centra_warehouse_id}: {self.ats}"


class StockPush(models.Model):
    class Status(models.TextChoices):
        PREVIEW = "preview", "Dry-run preview"
        HELD = "held", "Held by guard"
        SENT = "sent", "Sent"
        DISCARDED = "discarded", "Discarded"
        # A later cycle planned, or the configuration changed: its lines are stale.
        SUPERSEDED = "superseded", "Superseded"

    run = models.ForeignKey(SyncRun, null=True, on_delete=models.SET_NULL, related_name="pushes")
    status = models.CharField(max_length=16, choices=Status.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    reasons = models.JSONField(default=list)  # the guard's findings, in words
    counts = models.JSONField(default=dict)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"push {self.pk} ({self.status})"


class StockPushLine(models.Model):
    """One SKU in one Centra warehouse in one push: the per-SKU push record."""

    class Lane(models.TextChoices):
        ZERO = "zero", "To zero"
        LOW = "low", "Low stock"
        VELOCITY = "velocity", "High velocity"
        REST = "rest", "The rest"

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        SENT = "sent", "Accepted"
        WARNED = "warned", "Accepted with warning"
        REJECTED = "rejected", "Rejected"
        DISCARDED = "discarded", "Discarded"

    push = models.ForeignKey(StockPush, on_delete=models.CASCADE, related_name="lines")
    sku = models.CharField(max_length=100)
    centra_warehouse_id = models.PositiveIntegerField()
    product_size_id = models.PositiveIntegerField()
    quantity = models.IntegerField()
    previous_pushed = models.IntegerField(null=True, blank=True)
    centra_before = models.IntegerField(null=True, blank=True)  # Centra physical last seen
    lane = models.CharField(max_length=16, choices=Lane.choices)
    position = models.PositiveIntegerField()  # send order within the push
    why = models.CharField(max_length=200)
    batch = models.PositiveIntegerField(null=True, blank=True)
    stock_change_id = models.BigIntegerField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PLANNED)
    message = models.CharField(max_length=500, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["push", "position", "pk"]
        indexes = [models.Index(fields=["sku", "-push"], name="stockpushline_sku")]

    def __str__(self):
        return f"{self.sku} @ {self.centra_warehouse_id} -> {self.quantity} ({self.status})"

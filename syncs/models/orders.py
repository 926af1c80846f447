"""The order ledger, the sales feed it publishes, and the receipts of IP's fetches.

Flow: Centra order → ``Order`` + ``OrderLine`` (idempotent by Centra's order id and line id)
→ one ``SalesFeedRow`` per mapped line → served to IP as its legacy CSV sales-order file,
each fetch leaving a ``FeedDelivery``.

``SalesFeedRow`` is the one table the feed reads: the orders engine writes sale rows, and the
returns flow adds its own rows (negative quantities, ``source=return_line``) to the same
table, so the feed, the receipts and the "taken by IP?" checks need no change for returns.
"""

from django.db import models


class Order(models.Model):
    """A Centra order as the ledger holds it; ``updated_at`` moves only when something changed."""

    centra_id = models.CharField(max_length=64, unique=True)
    number = models.PositiveBigIntegerField(unique=True)
    status = models.CharField(max_length=16)  # Centra's: PENDING ... CANCELLED
    store_type = models.CharField(max_length=32, blank=True)
    order_date = models.DateTimeField(db_index=True)
    currency = models.CharField(max_length=8)
    grand_total = models.DecimalField(max_digits=14, decimal_places=2)
    stored_at = models.DateTimeField()
    updated_at = models.DateTimeField(db_index=True)  # reconciliation's changed days
    cancelled_at = models.DateTimeField(null=True, blank=True)  # when the ledger saw it
    # Finance fields, read apart from the order (``syncs.orders.finance``) so a field
    # Centra's schema turns out not to have never stops the orders stream. None/"" = not
    # read yet; the next run (at the latest the next recovery pass) fills them.
    currency_base_rate = models.DecimalField(  # Centra's currencyBaseRate: base = amount x rate
        max_digits=18, decimal_places=8, null=True, blank=True
    )
    centra_store_id = models.PositiveIntegerField(null=True, blank=True)
    store_name = models.CharField(max_length=100, blank=True)
    market = models.CharField(max_length=100, blank=True)  # a listed CentraMarket's name
    finance_read_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-order_date", "-pk"]

    def __str__(self):
        return f"order {self.number}"


class OrderLine(models.Model):
    """One Centra order line. ``parked`` lines have no SKU mapping yet: kept, not published,
    and re-driven into the feed as soon as their SKU is mapped."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    centra_line_id = models.PositiveBigIntegerField(unique=True)
    centra_size_id = models.PositiveIntegerField(null=True, blank=True)
    centra_sku = models.CharField(max_length=120, db_index=True)
    ean = models.CharField(max_length=64, blank=True)
    product_name = models.CharField(max_length=255, blank=True)
    quantity = models.PositiveIntegerField()  # still ordered (Centra lowers it on cancel)
    cancelled_quantity = models.PositiveIntegerField(default=0)
    returned_quantity = models.PositiveIntegerField(default=0)
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)
    ip_sku = models.CharField(max_length=120, blank=True)  # from the SKU map; "" = unmapped
    ip_variant_id = models.CharField(max_length=64, blank=True)
    parked = models.BooleanField(default=False, db_index=True)
    # Centra's own figures for returned units of this line (its return lines' lineValue),
    # kept by the returns flow: how many returned units they cover and their value.
    # Reconciliation values the other returned units at units x price (the fallback).
    refunded_units = models.PositiveIntegerField(default=0)
    refunded_value = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    changed_at = models.DateTimeField(db_index=True)
    cancellation_seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["centra_line_id", "pk"]

    def __str__(self):
        return f"line {self.centra_line_id} of order {self.order_id}"


class SalesFeedRow(models.Model):
    """One row of the sales-order file IP fetches (already in IP's terms: IP SKU, units).

    ``changed_at`` moves only when a served value changes; a fetch whose ``served_through``
    is later has given IP the row in its current state (see ``FeedDelivery``).
    """

    class Source(models.TextChoices):
        ORDER_LINE = "order_line", "Order line"
        RETURN_LINE = "return_line", "Return line"

    source = models.CharField(max_length=16, choices=Source.choices)
    source_ref = models.CharField(max_length=64)  # the Centra line id, return line id...
    order = models.ForeignKey(
        Order, null=True, blank=True, on_delete=models.CASCADE, related_name="feed_rows"
    )
    order_number = models.CharField(max_length=64)
    sku = models.CharField(max_length=120)
    product_id = models.CharField(max_length=64, blank=True)
    date = models.DateTimeField()
    quantity = models.IntegerField()  # negative for returned units
    price = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=8, blank=True)
    cancelled = models.BooleanField(default=False)
    changed_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["date", "order_number", "sku", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["source", "source_ref"], name="feedrow_one_per_source")
        ]
        indexes = [models.Index(fields=["date", "order_number", "sku"], name="feedrow_file_order")]

    def __str__(self):
        return f"{self.order_number} {self.sku} x{self.quantity}"


class SalesFeedDeliveries(models.Manager):
    """The sales-order file's receipts only (``FeedDelivery.objects``).

    The "taken by IP" watermark, the orphan checks, reconciliation and the receipts screens
    all read ``objects`` and mean the sales file; a fetch of the products file leaves a
    receipt in the same table and must never move that watermark. ``every_feed`` sees both.
    """

    def get_queryset(self):
        return super().get_queryset().filter(feed=FeedDelivery.Feed.SALES_ORDERS)

    def taken_through(self):
        """The watermark: sales rows changed at or before it are in IP in their current
        state. None before IP's first complete fetch (callers say what "never" means)."""
        return (
            self.filter(status=FeedDelivery.Status.COMPLETE)
            .order_by("-served_through")
            .values_list("served_through", flat=True)
            .first()
        )


class FeedDelivery(models.Model):
    """The delivery receipt of one fetch of a feed file: what it served and whether all of
    it went out. ``feed`` says which file (the sales orders, or the products file).

    The file is a full snapshot, so one watermark says which rows IP has taken: every row with
    ``changed_at <= served_through`` was in a completed fetch in its current state.
    ``served_through`` is the fetch's start minus a commit margin, so a row written by a
    transaction still open when the fetch began is never counted as taken.
    """

    class Status(models.TextChoices):
        SERVING = "serving", "Serving"
        COMPLETE = "complete", "Complete"
        BROKEN = "broken", "Broken off"

    class Feed(models.TextChoices):
        SALES_ORDERS = "sales-orders", "Sales orders"
        PRODUCTS = "products", "Products"

    feed = models.CharField(max_length=32, default=Feed.SALES_ORDERS)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SERVING)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    served_through = models.DateTimeField()
    horizon_start = models.DateTimeField()
    rows = models.PositiveIntegerField(default=0)
    cancelled_rows = models.PositiveIntegerField(default=0)
    return_rows = models.PositiveIntegerField(default=0)
    bytes = models.PositiveBigIntegerField(default=0)
    remote_addr = models.CharField(max_length=64, blank=True)
    user_agent = models.CharField(max_length=200, blank=True)

    every_feed = models.Manager()
    objects = SalesFeedDeliveries()

    class Meta:
        default_manager_name = "objects"
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["status", "-served_through"], name="feeddelivery_latest")]

    def __str__(self):
        return f"{self.feed} fetch at {self.started_at:%Y-%m-%d %H:%M} ({self.status})"


class OrdersCursor(models.Model):
    """Where the orders stream is (one row, pk 1). Advanced only after a batch is stored."""

    # The poll's cursor: the start of the last completed poll (or first recovery pass).
    window_end = models.DateTimeField(null=True, blank=True)
    recovered_at = models.DateTimeField(null=True, blank=True)  # last full recovery pass
    listening_since = models.DateTimeField(null=True, blank=True)  # events mode subscribed
    # Runs in a row whose poll found changes while Centra's events queue stayed empty.
    events_silent_runs = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"orders cursor at {self.window_end}"


class AdvancedCsvFile(models.Model):
    """One file written to the Advanced CSV drop folder: the receipt, and the watermark.

    IP's Advanced CSV connector loads incrementally (reference §4.3): each file holds only
    rows new or changed since the last one. A file of an entity holds the rows whose change
    time is after the previous file's ``through`` and at or before its own, so the latest
    ``through`` per entity is where the next file starts. ``through`` is the run's start minus
    the commit margin, so a row written by a transaction still open then goes in a later file.
    """

    class Entity(models.TextChoices):
        WAREHOUSE = "warehouse", "Warehouse"
        VARIANT = "variant", "Variants"
        VARIANT_WAREHOUSE = "variant_warehouse", "Variant stock"
        SALES_ORDER = "sales_order", "Sales orders"

    entity = models.CharField(max_length=32, choices=Entity.choices)
    name = models.CharField(max_length=200, unique=True)  # path inside the drop folder
    written_at = models.DateTimeField()
    since = models.DateTimeField(null=True, blank=True)  # exclusive; None = from the start
    through = models.DateTimeField()
    rows = models.PositiveIntegerField()
    bytes = models.PositiveBigIntegerField()

    class Meta:
        ordering = ["-written_at", "-pk"]
        indexes = [models.Index(fields=["entity", "-through"], name="advancedcsv_latest")]

    def __str__(self):
        return f"{self.name} ({self.rows} rows)"


class AdvancedCsvStock(models.Model):
    """The ``IN_STOCK`` last written for a variant in a variant-warehouse file.

    Stock positions are recomputed every stock cycle whether or not the number moved, so
    "changed since the last file" is decided against this value, not a timestamp.
    """

    variant_id = models.CharField(max_length=64, unique=True)
    in_stock = models.IntegerField()
    written_at = models.DateTimeField()

    def __str__(self):
        return f"{self.variant_id}: {self.in_stock}"

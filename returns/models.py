"""The returns flow's ledger: expected returns, their lines, the stock-ins and a timeline.

Flow (docs/returns.md): a Centra return → ``ExpectedReturn`` + ``ReturnLine`` (idempotent
by Centra's return id and return line id) → receipt per line (units into the "in QC" stock
status) → QC per line (pass / fail / partial) → one ``StockIn`` per QC-passed line, registered
through the configured sink and confirmed by reading back → the units leave "in QC".

A line's state is derived from its own fields by ``ReturnLine.state_compute`` and stored, so
the queue can filter and count by state in SQL; the return's state summarises its lines.
Every step appends a ``ReturnEvent`` (the timeline) in the same transaction as the change.
"""

from django.db import models

from centra_ip.history import KeyedHistoryEvent


class ReturnState(models.TextChoices):
    EXPECTED = "expected", "Expected"
    RECEIVED = "received", "Received"
    IN_QC = "in_qc", "In QC"
    STOCKING_IN = "stocking_in", "Stocking in"
    COMPLETE = "complete", "Complete"
    EXCEPTION = "exception", "Exception"


class ExpectedReturn(models.Model):
    """A Centra return the warehouse should receive."""

    centra_id = models.PositiveBigIntegerField(unique=True)
    centra_status = models.CharField(max_length=16)  # Centra's: PENDING, COMPLETED
    centra_created_at = models.DateTimeField(db_index=True)
    centra_completed_at = models.DateTimeField(null=True, blank=True)  # when we saw it
    order_number = models.CharField(max_length=64, db_index=True)
    centra_order_id = models.CharField(max_length=64)
    shipment_id = models.PositiveBigIntegerField()
    # Centra's stock policy: True when Centra put the units back on its own shelf when the
    # return was created (releaseItemsBackToWarehouse). The hub's next stock push sets
    # Centra's figure from IP either way; shown so the warehouse knows what Centra did.
    centra_returned_to_stock = models.BooleanField(null=True, blank=True)
    centra_comment = models.CharField(max_length=500, blank=True)  # the customer's reason
    # Centra's own figures for the return (what finance refunds against): its grand total
    # (items plus shipping/handling minus costs), currency and base rate. None = not read.
    centra_grand_total = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    centra_currency = models.CharField(max_length=8, blank=True)
    centra_currency_base_rate = models.DecimalField(
        max_digits=18, decimal_places=8, null=True, blank=True
    )
    centra_figures_at = models.DateTimeField(null=True, blank=True)  # when they last changed
    ip_warehouse = models.CharField(max_length=100)  # where received units are counted
    state = models.CharField(
        max_length=16, choices=ReturnState.choices, default=ReturnState.EXPECTED, db_index=True
    )
    first_seen_at = models.DateTimeField()
    state_changed_at = models.DateTimeField()
    received_at = models.DateTimeField(null=True, blank=True)  # first receipt
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["centra_created_at", "pk"]

    def __str__(self):
        return f"return {self.centra_id}"


class LineState(models.TextChoices):
    PARKED = "parked", "Parked (SKU not mapped)"
    EXPECTED = "expected", "Expected"
    IN_QC = "in_qc", "In QC"
    STOCKING_IN = "stocking_in", "Stocking in"
    FAILED = "failed", "Stock-in failed"
    COMPLETE = "complete", "Complete"


class QcFailStatus(models.TextChoices):
    DAMAGED = "damaged", "Damaged"
    QUARANTINED = "quarantined", "Quarantined"


class ReturnLine(models.Model):
    """One returned order line: what Centra expects back, what arrived, what QC decided."""

    expected_return = models.ForeignKey(
        ExpectedReturn, on_delete=models.CASCADE, related_name="lines"
    )
    centra_line_id = models.PositiveBigIntegerField(unique=True)
    centra_order_line_id = models.PositiveBigIntegerField(db_index=True)
    centra_sku = models.CharField(max_length=120, db_index=True)
    ip_sku = models.CharField(max_length=120, blank=True)  # "" while parked
    ip_variant_id = models.CharField(max_length=64, blank=True)
    quantity = models.PositiveIntegerField()  # expected back
    # Centra's ReturnLine.lineValue (including tax, like the order lines' unitPrice);
    # None = not read (reconciliation then values the units at the order line's price).
    centra_line_value = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    reason = models.CharField(max_length=200, blank=True)
    state = models.CharField(
        max_length=16, choices=LineState.choices, default=LineState.EXPECTED, db_index=True
    )
    # step one: receipt
    received_quantity = models.PositiveIntegerField(null=True, blank=True)
    receipt_note = models.CharField(max_length=300, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)
    received_by = models.CharField(max_length=150, blank=True)
    # the admin who accepted more units than expected (empty: the receipt was within it)
    receipt_override_by = models.CharField(max_length=150, blank=True)
    # step two: QC
    qc_passed = models.PositiveIntegerField(null=True, blank=True)
    qc_failed = models.PositiveIntegerField(null=True, blank=True)
    qc_fail_status = models.CharField(max_length=16, choices=QcFailStatus.choices, blank=True)
    qc_reason = models.CharField(max_length=300, blank=True)
    qc_at = models.DateTimeField(null=True, blank=True)
    qc_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["centra_line_id", "pk"]

    def __str__(self):
        return f"return line {self.centra_line_id} ({self.centra_sku} x{self.quantity})"

    @property
    def parked(self) -> bool:
        return not self.ip_sku

    def state_compute(self, stock_in: "StockIn | None") -> str:
        """The line's state from its facts; ``stock_in`` is its stock-in, if any."""
        if self.parked and self.received_quantity is None:
            return LineState.PARKED
        if self.received_quantity is None:
            return LineState.EXPECTED
        if self.qc_at is None:
            return LineState.IN_QC if self.received_quantity else LineState.COMPLETE
        if stock_in is None or stock_in.state == StockIn.State.CONFIRMED:
            return LineState.COMPLETE
        if stock_in.state == StockIn.State.FAILED:
            return LineState.FAILED
        return LineState.STOCKING_IN


class StockIn(models.Model):
    """The registration of one QC-passed line's units with the inventory side.

    ``idempotency_key`` names it everywhere: the IP stock order's reference, the webhook's
    ``Idempotency-Key``. ``step`` is the next thing to do, so a retry re-runs exactly the
    step that failed and never one that already succeeded; ``running_since`` is the claim
    that makes a double delivery or a double retry run it once.
    """

    class Sink(models.TextChoices):
        IP_STOCK_ORDER = "ip_stock_order", "Inventory Planner returns stock order"
        WEBHOOK = "webhook", "WMS webhook"

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        AWAITING = "awaiting", "Awaiting confirmation"
        FAILED = "failed", "Failed"
        CONFIRMED = "confirmed", "Confirmed"

    class Step(models.TextChoices):
        CREATE = "create", "Create the stock order"
        RECEIVE = "receive", "Record the received quantity"
        POST = "post", "Post the webhook"
        CONFIRM = "confirm", "Read back the confirmation"
        DONE = "done", "Done"

    line = models.OneToOneField(ReturnLine, on_delete=models.CASCADE, related_name="stock_in")
    sink = models.CharField(max_length=16, choices=Sink.choices)
    confirm_mode = models.CharField(max_length=16)  # "receipt" or "on_hand" (RETURNS_CONFIRM)
    idempotency_key = models.CharField(max_length=80, unique=True)
    sku = models.CharField(max_length=120)
    ip_variant_id = models.CharField(max_length=64)
    ip_warehouse = models.CharField(max_length=100)
    quantity = models.PositiveIntegerField()
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    step = models.CharField(max_length=16, choices=Step.choices)
    po_id = models.CharField(max_length=64, blank=True)
    baseline_on_hand = models.IntegerField(null=True, blank=True)  # on_hand mode
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    running_since = models.DateTimeField(null=True, blank=True)
    running_on = models.CharField(max_length=100, blank=True)  # "host:pid" of the claim's worker
    created_at = models.DateTimeField()
    registered_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["state", "registered_at"], name="stockin_state_registered")]

    def __str__(self):
        return f"stock-in {self.idempotency_key} ({self.state})"


class StockInAttempt(models.Model):
    """One run of one step of a stock-in: what was tried, by what, and how it ended."""

    stock_in = models.ForeignKey(StockIn, on_delete=models.CASCADE, related_name="attempt_rows")
    step = models.CharField(max_length=16, choices=StockIn.Step.choices)
    trigger = models.CharField(max_length=40)  # qc, task, engine, ticket retry
    ok = models.BooleanField()
    detail = models.CharField(max_length=500, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.step} {'ok' if self.ok else 'failed'} ({self.trigger})"


class ReturnEvent(KeyedHistoryEvent):
    """The return's append-only timeline: Centra's events, receipt, QC, stock-in attempts."""

    class Kind(models.TextChoices):
        CENTRA_CREATED = "centra_created", "Created in Centra"
        CENTRA_COMPLETED = "centra_completed", "Completed in Centra"
        PARKED = "parked", "Line parked"
        MAPPED = "mapped", "Line mapped"
        RECEIVED = "received", "Received"
        QC = "qc", "QC"
        STOCK_IN = "stock_in", "Stock-in"
        STOCK_IN_FAILED = "stock_in_failed", "Stock-in failed"
        CONFIRMED = "confirmed", "Stock-in confirmed"
        COMPLETE = "complete", "Return complete"

    expected_return = models.ForeignKey(
        ExpectedReturn, on_delete=models.CASCADE, related_name="events"
    )
    line = models.ForeignKey(
        ReturnLine, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)

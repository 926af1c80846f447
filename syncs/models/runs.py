from django.db import models

from syncs.streams import STREAM_CHOICES


class SyncRun(models.Model):
    """One cycle of one stream: "did it work?" is a query on this table, not a log search."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        HELD = "held", "Held by guard"

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", "Schedule"
        COMMAND = "command", "Command line"
        SCREEN = "screen", "Screen"
        RETRY = "retry", "Ticket retry"

    stream = models.CharField(max_length=32, choices=STREAM_CHOICES)
    trigger = models.CharField(max_length=16, choices=Trigger.choices, default=Trigger.SCHEDULE)
    dry_run = models.BooleanField(default=False)
    full = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    summary = models.CharField(max_length=500, blank=True)
    counts = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    # The run's lease: renewed by a heartbeat while the worker lives (``syncs.runner``). A
    # run still "running" after its lease expired belongs to a dead worker: the next run of
    # the stream takes over at once instead of waiting for the task timeout.
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    # Who holds it: "host:pid" of the worker, for the operator (and the soak's killer).
    worker = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        indexes = [
            # /healthz and the watchdog ask for the last success of each stream.
            models.Index(fields=["stream", "status", "-finished_at"], name="syncrun_last_success"),
        ]
        constraints = [
            # Two real runs of one stream at once would push or publish twice.
            models.UniqueConstraint(
                fields=["stream"],
                condition=models.Q(status="running", dry_run=False),
                name="syncrun_one_running_per_stream",
            ),
        ]

    def __str__(self):
        return f"{self.stream} {self.status} at {self.started_at:%Y-%m-%d %H:%M}"


class ExternalCall(models.Model):
    """One call to Centra, Inventory Planner or the WMS webhook, as the connectors report it.

    Written from a ``CallRecord`` (``syncs.connectors.recording``), which never carries
    headers or tokens: only the operation name, timing, outcome and a redacted error.
    """

    class System(models.TextChoices):
        CENTRA = "centra", "Centra"
        INVENTORY_PLANNER = "inventory_planner", "Inventory Planner"
        WMS = "wms", "WMS webhook"

    class Outcome(models.TextChoices):
        OK = "ok", "OK"
        RETRYABLE_ERROR = "retryable_error", "Retryable error"
        PERMANENT_ERROR = "permanent_error", "Permanent error"

    system = models.CharField(max_length=32, choices=System.choices)
    operation = models.CharField(max_length=120)
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField()
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    retries = models.PositiveSmallIntegerField(default=0)
    # Attempts answered 429, and the longest wait before a retry: a throttled call that
    # retries succeed ends "ok", and would otherwise leave no trace of the throttling.
    throttled = models.PositiveSmallIntegerField(default=0)
    longest_wait_ms = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=1000, blank=True)
    sync_run = models.ForeignKey(
        SyncRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="calls"
    )

    class Meta:
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["system", "-started_at"], name="externalcall_recent")]

    def __str__(self):
        return f"{self.system} {self.operation} {self.outcome}"

"""Finance reconciliation: Centra's side of each order against what the hub published to
Inventory Planner and IP took (docs/reconciliation.md).

``DayTotals``, ``DayOrders`` and ``OrderBalance`` are computed tables (rebuilt for a window
by one SQL ``INSERT ... SELECT`` per table), so a month's overview reads a few thousand rows,
never the order ledger. ``Discrepancy``: an order whose two sides disagree beyond the
tolerance, with its ticket and its history of who explained what (``DiscrepancyEvent``).

Base amounts are converted when the tables are computed: at Centra's own rate of each order
(``Order.currency_base_rate``) where the ledger has it, else at ``CurrencyRate`` (admin data
with a validity date). ``MonthClose`` freezes a reviewed month: its totals and order
balances at close are kept; later changes show as ``CloseAdjustment``, never as a rewrite.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from centra_ip.history import HistoryEvent
from centra_ip.limits import UNITS_MAX, out_of_range


class ReconciliationSettings(models.Model):
    """The one row (pk 1) of reconciliation configuration; admins edit it, finance reads it."""

    base_currency = models.CharField(max_length=8, default="EUR")
    time_zone = models.CharField(
        max_length=64, blank=True, help_text="The brand's day boundary; empty = TIME_ZONE."
    )
    unit_tolerance = models.PositiveIntegerField(
        default=0, help_text="Units an order's two sides may differ by and still agree."
    )
    value_tolerance = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        default=0,
        help_text="Base-currency amount an order's two sides may differ by and still agree.",
    )
    grace_hours = models.PositiveIntegerField(
        default=24, help_text="Orders younger than this are pending: IP fetches once a day."
    )
    window_days = models.PositiveIntegerField(
        default=62, help_text="How many days back each computation recomputes."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "reconciliation settings"
        verbose_name_plural = "reconciliation settings"

    def __str__(self):
        return "reconciliation settings"

    def clean(self):
        # Past these the overview's date arithmetic and the computation overflow.
        bounds = {
            "grace_hours": (0, 720),
            "window_days": (1, 400),
            "unit_tolerance": (0, UNITS_MAX),
            "value_tolerance": (0, None),
        }
        errors = out_of_range(self, bounds)
        if errors:
            raise ValidationError(errors)


class CurrencyRate(models.Model):
    """How many base-currency units one unit of ``currency`` is worth from ``valid_from`` on:
    the fallback for orders whose Centra ``currencyBaseRate`` the ledger does not have (not
    read yet, or Centra's schema refused the field). A currency with no rate for a day
    converts to nothing and the screen says so."""

    currency = models.CharField(max_length=8)
    valid_from = models.DateField()
    rate = models.DecimalField(max_digits=18, decimal_places=8)

    class Meta:
        ordering = ["currency", "valid_from", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["currency", "valid_from"], name="rate_one_per_day")
        ]

    def __str__(self):
        return f"1 {self.currency} = {self.rate} from {self.valid_from}"

    def clean(self):
        if self.rate is not None and self.rate <= 0:
            raise ValidationError({"rate": "A rate must be more than zero."})


class ReconciliationRun(models.Model):
    """One computation: which days it rebuilt, what it found, and how fresh its inputs were.
    ``scope``: ``window`` rebuilt the whole configured window; ``changed`` only the days
    whose inputs changed since the run before (possibly none); ``days`` the days asked."""

    class Scope(models.TextChoices):
        WINDOW = "window", "The whole window"
        CHANGED = "changed", "Changed days"
        DAYS = "days", "Days asked for"

    scope = models.CharField(max_length=16, choices=Scope.choices, default=Scope.DAYS)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    period_start = models.DateField()
    period_end = models.DateField()  # inclusive
    feed_taken_through = models.DateTimeField(null=True, blank=True)
    counts = models.JSONField(default=dict)

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self):
        return f"reconciliation {self.period_start}..{self.period_end} at {self.started_at}"


class _Figures(models.Model):
    """Both sides of a slice of the ledger; amounts in the order currency.

    Centra (``c_``): units ordered (as first ordered), cancelled, returned; gross value,
    cancelled value, returned value. Hub/IP (``h_``): units on live feed rows, of those
    taken by IP; units on cancelled rows taken by IP (released); returned units on return
    rows, of those taken; the value of the taken live rows and taken return rows.
    """

    day = models.DateField()
    currency = models.CharField(max_length=8)
    channel = models.CharField(max_length=32, blank=True)  # Centra store type
    market = models.CharField(max_length=100, blank=True)  # "" = not known
    store = models.CharField(max_length=100, blank=True)  # Centra store name; "" = not known
    c_units_ordered = models.BigIntegerField(default=0)
    c_units_cancelled = models.BigIntegerField(default=0)
    c_units_returned = models.BigIntegerField(default=0)
    c_gross = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    c_cancelled_value = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    c_returned_value = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    h_units_published = models.BigIntegerField(default=0)
    h_units_taken = models.BigIntegerField(default=0)
    h_units_released = models.BigIntegerField(default=0)
    h_units_returned_published = models.BigIntegerField(default=0)
    h_units_returned = models.BigIntegerField(default=0)
    h_value_taken = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    h_returned_value = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    # Base currency, each amount at its order's rate (Centra's, else the rates table);
    # an amount with no rate adds nothing (the screens name such currencies).
    c_gross_base = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    c_net_base = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    h_net_base = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    # Returned units valued at units x price (the fallback) because Centra's own figure for
    # them (its return lines' lineValue) is not known; the rest use Centra's figure.
    c_units_returned_estimated = models.BigIntegerField(default=0)

    class Meta:
        abstract = True


class _DayFigures(_Figures):
    # The returns flow, dated by Centra's return date (the other basis): units Centra expects
    # back, units that passed QC in the hub, units whose stock-in the inventory side confirmed.
    r_units_returned = models.BigIntegerField(default=0)
    r_units_qc_passed = models.BigIntegerField(default=0)
    r_units_stocked_in = models.BigIntegerField(default=0)

    class Meta:
        abstract = True


class DayTotals(_DayFigures):
    """Both sides per brand-local day and slice (currency, channel, market, store): the month
    overview's only source (a month is a few hundred rows however many lines it had).
    Centra figures sit on the order's day; feed rows on their own date."""

    class Meta:
        ordering = ["day", "currency", "channel", "pk"]
        indexes = [models.Index(fields=["day", "currency", "channel"], name="daytotals_day")]

    def __str__(self):
        return f"{self.day} {self.currency} {self.channel}"


class KeptDaySku(_DayFigures):
    """A day's SKU rows kept for its latest computation ``run`` (``reconciliation.day_skus``)."""

    run = models.ForeignKey(ReconciliationRun, on_delete=models.CASCADE, db_index=False)
    sku = models.CharField(max_length=120)

    class Meta:
        indexes = [models.Index(fields=["day", "run"], name="keptdaysku_day_run")]

    def __str__(self):
        return f"{self.day} {self.sku} {self.currency} (kept)"


class DayOrders(models.Model):
    """Orders per day and slice (not additive across SKUs, so stored apart)."""

    day = models.DateField()
    currency = models.CharField(max_length=8)
    channel = models.CharField(max_length=32, blank=True)
    market = models.CharField(max_length=100, blank=True)
    store = models.CharField(max_length=100, blank=True)
    orders = models.BigIntegerField(default=0)
    orders_cancelled = models.BigIntegerField(default=0)
    # Orders converted with the rates table: Centra's own rate not (yet) in the ledger.
    orders_unrated = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["day", "currency", "channel", "pk"]
        indexes = [models.Index(fields=["day", "currency", "channel"], name="dayorders_day")]

    def __str__(self):
        return f"{self.day} {self.currency}: {self.orders} orders"


class Discrepancy(models.Model):
    """One order whose Centra side and hub/IP side disagree beyond the tolerance.

    ``open`` counts as reconciliation debt; ``explained`` is finance's audited decision that
    the difference is understood (it stays explained while the numbers stay the same);
    ``cleared`` means a later computation found the two sides in agreement.
    """

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        EXPLAINED = "explained", "Explained"
        CLEARED = "cleared", "Cleared"

    order_number = models.CharField(max_length=64, unique=True)
    day = models.DateField(db_index=True)
    currency = models.CharField(max_length=8)
    channel = models.CharField(max_length=32, blank=True)
    market = models.CharField(max_length=100, blank=True)
    store = models.CharField(max_length=100, blank=True)
    kinds = models.CharField(max_length=200)  # comma-separated, see services.KINDS
    c_units = models.IntegerField()
    h_units = models.IntegerField()
    c_units_returned = models.IntegerField()
    h_units_returned = models.IntegerField()
    c_value = models.DecimalField(max_digits=18, decimal_places=2)
    h_value = models.DecimalField(max_digits=18, decimal_places=2)
    value_diff_base = models.DecimalField(max_digits=18, decimal_places=2, null=True)
    skus = models.JSONField(default=list)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    cleared_at = models.DateTimeField(null=True, blank=True)
    explained_at = models.DateTimeField(null=True, blank=True)
    explained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    explained_note = models.TextField(blank=True)

    class Meta:
        ordering = ["day", "order_number", "pk"]
        indexes = [models.Index(fields=["status", "day"], name="discrepancy_status_day")]

    def __str__(self):
        return f"order {self.order_number}: {self.kinds} ({self.status})"

    @property
    def unit_diff(self) -> int:
        return self.c_units - self.h_units

    @property
    def value_diff(self):
        return self.c_value - self.h_value


class DiscrepancyEvent(HistoryEvent):
    """Append-only history of a discrepancy: raised, changed, explained, cleared, reopened."""

    class Kind(models.TextChoices):
        RAISED = "raised", "Raised"
        CHANGED = "changed", "Numbers changed"
        EXPLAINED = "explained", "Explained"
        CLEARED = "cleared", "Cleared"
        REOPENED = "reopened", "Reopened"

    discrepancy = models.ForeignKey(Discrepancy, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    data = models.JSONField(default=dict)


class OrderBalance(_Figures):
    """Both sides per order (feed rows count towards their order whatever their date): the
    grain of discrepancies, and the orders behind a day."""

    order_id = models.BigIntegerField()
    order_number = models.CharField(max_length=64)
    base_rate = models.DecimalField(max_digits=18, decimal_places=8, null=True)  # None: no rate

    class Meta:
        ordering = ["day", "order_id", "pk"]
        indexes = [models.Index(fields=["day", "order_id"], name="orderbalance_day")]

    def __str__(self):
        return f"order {self.order_number} on {self.day}"


class IpSalesRead(models.Model):
    """One read of IP's own daily sales (``orders_by_day``) for brand-local days
    ``period_start..period_end``. The latest read covering a day decides whether that day's
    IP figures are known: a failed read makes them "not read", never stale numbers."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    period_start = models.DateField()
    period_end = models.DateField()  # inclusive
    ok = models.BooleanField()
    error = models.TextField(blank=True)  # the client's redacted message
    variants = models.PositiveIntegerField(default=0)
    rows = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self):
        outcome = "ok" if self.ok else "failed"
        return (
            f"IP sales read {self.period_start}..{self.period_end} at {self.started_at}: {outcome}"
        )


class IpDailySales(models.Model):
    """IP's own units sold for a day and SKU, as its ``orders_by_day`` says (days and SKUs
    with no sales have no row). Compared with the feed units IP took on the same day."""

    day = models.DateField()
    sku = models.CharField(max_length=120)
    units = models.BigIntegerField()

    class Meta:
        ordering = ["day", "sku", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["day", "sku"], name="ip_daily_sales_one_per_day_sku")
        ]

    def __str__(self):
        return f"{self.day} {self.sku}: {self.units} (IP)"


class CentraMarket(models.Model):
    """A Centra market finance reports on: Centra's market id and the name shown. Centra's
    documented schema has no readable ``Order.market`` (only the filter
    ``OrderFilter.marketId``), so the orders stream asks, per listed market, which of its
    orders belong to it; an order in no listed market has no market. Admin data, audited."""

    centra_id = models.PositiveIntegerField(unique=True)
    name = models.CharField(max_length=100, unique=True)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self):
        return f"{self.name} ({self.centra_id})"


class MonthClose(models.Model):
    """A month finance has closed after review (one row per month; ``month`` = its first
    day). ``totals`` are the month's figures at close, kept as they were; a reopen (admins
    only) and every close are in ``MonthCloseEvent``."""

    month = models.DateField(unique=True)
    closed = models.BooleanField(default=True)
    closed_at = models.DateTimeField()
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    closed_by_name = models.CharField(max_length=150)
    note = models.TextField(blank=True)
    totals = models.JSONField(default=dict)

    class Meta:
        ordering = ["-month"]

    def __str__(self):
        return f"{self.month:%Y-%m} {'closed' if self.closed else 'reopened'}"


class MonthCloseEvent(models.Model):
    """Append-only: who closed or reopened a month, when, why, and the totals then."""

    class Kind(models.TextChoices):
        CLOSED = "closed", "Closed"
        REOPENED = "reopened", "Reopened"

    month_close = models.ForeignKey(MonthClose, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    actor_name = models.CharField(max_length=150)
    note = models.TextField(blank=True)
    totals = models.JSONField(default=dict)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.kind} {self.month_close.month:%Y-%m} by {self.actor_name}"


class ClosedOrderBalance(_Figures):
    """An order's balance as it stood when its month was closed (a copy of ``OrderBalance``)."""

    month_close = models.ForeignKey(MonthClose, on_delete=models.CASCADE, related_name="orders")
    order_id = models.BigIntegerField()
    order_number = models.CharField(max_length=64)

    class Meta:
        ordering = ["day", "order_id", "pk"]
        indexes = [models.Index(fields=["month_close", "order_number"], name="closedbalance_order")]

    def __str__(self):
        return f"order {self.order_number} at close"


class CloseAdjustment(models.Model):
    """An order of a closed month whose figures changed after the close: the change (now
    minus at close) and its cause. Kept current by each computation; the totals at close
    never move."""

    month_close = models.ForeignKey(
        MonthClose, on_delete=models.CASCADE, related_name="adjustments"
    )
    order_number = models.CharField(max_length=64)
    day = models.DateField()
    currency = models.CharField(max_length=8)
    channel = models.CharField(max_length=32, blank=True)
    market = models.CharField(max_length=100, blank=True)
    store = models.CharField(max_length=100, blank=True)
    cause = models.CharField(max_length=300)
    units_sold_change = models.BigIntegerField(default=0)
    units_returned_change = models.BigIntegerField(default=0)
    c_net_change = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    c_net_base_change = models.DecimalField(max_digits=18, decimal_places=2, null=True)
    h_net_change = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()

    class Meta:
        ordering = ["day", "order_number", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["month_close", "order_number"], name="one_adjustment_per_order"
            )
        ]

    def __str__(self):
        return f"after close: order {self.order_number} ({self.cause})"

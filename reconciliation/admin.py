"""Admin: everything here is read-only. Settings, rates and markets change on the
reconciliation's settings screen, which audits every change (who, before, after); the
computed tables, discrepancies and month closes change only through the computation and the
audited services (explain, close, reopen)."""

from django.contrib import admin

from centra_ip.admin import ReadOnlyAdmin
from reconciliation.models import (
    CentraMarket,
    CurrencyRate,
    Discrepancy,
    DiscrepancyEvent,
    MonthClose,
    MonthCloseEvent,
    ReconciliationRun,
    ReconciliationSettings,
)


class DiscrepancyEventInline(admin.TabularInline):
    model = DiscrepancyEvent
    fields = ("at", "kind", "actor_name", "note", "data")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Discrepancy)
class DiscrepancyAdmin(ReadOnlyAdmin):
    list_display = ("order_number", "day", "currency", "kinds", "status", "value_diff_base")
    list_filter = ("status", "currency")
    search_fields = ("order_number",)
    inlines = [DiscrepancyEventInline]


@admin.register(ReconciliationSettings)
class ReconciliationSettingsAdmin(ReadOnlyAdmin):
    list_display = ("base_currency", "time_zone", "unit_tolerance", "value_tolerance")


@admin.register(CurrencyRate)
class CurrencyRateAdmin(ReadOnlyAdmin):
    list_display = ("currency", "valid_from", "rate")
    list_filter = ("currency",)


@admin.register(CentraMarket)
class CentraMarketAdmin(ReadOnlyAdmin):
    list_display = ("centra_id", "name")


class MonthCloseEventInline(admin.TabularInline):
    model = MonthCloseEvent
    fields = ("at", "kind", "actor_name", "note", "totals")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(MonthClose)
class MonthCloseAdmin(ReadOnlyAdmin):
    list_display = ("month", "closed", "closed_by_name", "closed_at")
    inlines = [MonthCloseEventInline]


@admin.register(ReconciliationRun)
class ReconciliationRunAdmin(ReadOnlyAdmin):
    list_display = ("started_at", "finished_at", "period_start", "period_end")

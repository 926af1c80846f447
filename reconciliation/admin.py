"""Admin: settings and rates are admin data; computed tables and discrepancies are read-only
(discrepancies change only through the computation and the audited explain service)."""

from django.contrib import admin

from reconciliation.models import (
    CurrencyRate,
    Discrepancy,
    DiscrepancyEvent,
    ReconciliationRun,
    ReconciliationSettings,
)


@admin.register(ReconciliationSettings)
class ReconciliationSettingsAdmin(admin.ModelAdmin):
    list_display = ("base_currency", "time_zone", "unit_tolerance", "value_tolerance")


@admin.register(CurrencyRate)
class CurrencyRateAdmin(admin.ModelAdmin):
    list_display = ("currency", "valid_from", "rate")
    list_filter = ("currency",)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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


@admin.register(ReconciliationRun)
class ReconciliationRunAdmin(ReadOnlyAdmin):
    list_display = ("started_at", "finished_at", "period_start", "period_end")

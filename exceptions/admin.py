"""Admin: overrides and notification routes are edited here (no deploy needed); tickets,
their history and notification records are read-only, because every change of a ticket
must go through a service that writes its history."""

from django.contrib import admin

from centra_ip.admin import ReadOnlyAdmin
from exceptions.models import NotificationAttempt, TeamRoute, Ticket, TicketEvent, TypeOverride


class TicketEventInline(admin.TabularInline):
    model = TicketEvent
    fields = ("at", "kind", "actor", "actor_name", "note", "data")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "type",
        "status",
        "team",
        "sku",
        "order_number",
        "occurrences",
        "last_seen",
    )
    list_filter = ("status", "team", "type", "severity")
    search_fields = ("=id", "sku", "order_number", "return_id", "stream")
    list_select_related = ("assignee",)
    ordering = ("-last_seen", "-id")
    show_full_result_count = False
    inlines = [TicketEventInline]


@admin.register(TypeOverride)
class TypeOverrideAdmin(admin.ModelAdmin):
    list_display = ("type", "team", "acknowledge_within_minutes", "resolve_within_minutes")


@admin.register(TeamRoute)
class TeamRouteAdmin(admin.ModelAdmin):
    list_display = ("team", "email", "has_webhook", "immediate", "digest")

    @admin.display(boolean=True, description="Webhook")
    def has_webhook(self, route):
        return bool(route.webhook_url)


@admin.register(NotificationAttempt)
class NotificationAttemptAdmin(ReadOnlyAdmin):
    list_display = ("at", "team", "channel", "reason", "outcome", "target", "error")
    list_filter = ("outcome", "channel", "reason", "team")
    ordering = ("-at", "-id")

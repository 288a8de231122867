"""Ops face of monitoring: configuration, the processing backlog, alarms and online history."""

from django.contrib import admin
from django.contrib.gis.admin import GISModelAdmin

from .models import (
    Alarm,
    AlarmEvent,
    Gateway,
    IngestBatch,
    MaintenanceWindow,
    MeasurementKind,
    MonitoringPoint,
    OnlineTransition,
)


@admin.register(MeasurementKind)
class MeasurementKindAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "unit", "signal")
    search_fields = ("code", "name")


@admin.register(Gateway)
class GatewayAdmin(admin.ModelAdmin):
    list_display = ("gateway_id", "enterprise", "is_enabled", "online", "last_seen_at", "secret_hint")
    list_filter = ("is_enabled", "online")
    search_fields = ("gateway_id", "enterprise__organisation__name")
    raw_id_fields = ("enterprise",)
    readonly_fields = ("secret_hint", "online", "online_changed_at", "last_seen_at")


@admin.register(MonitoringPoint)
class MonitoringPointAdmin(GISModelAdmin):
    list_display = ("code", "name", "enterprise", "kind", "low", "high", "period_s", "in_use", "deleted")
    list_filter = ("in_use", "deleted", "kind")
    search_fields = ("code", "name", "enterprise__organisation__name")
    raw_id_fields = ("enterprise", "facility")


@admin.register(IngestBatch)
class IngestBatchAdmin(admin.ModelAdmin):
    """The processing backlog: batches without *processed at* are waiting for a worker."""

    list_display = ("id", "gateway", "source", "accepted", "received_at", "processed_at", "attempts")
    list_filter = ("source", ("processed_at", admin.EmptyFieldListFilter))
    exclude = ("payload_points", "payload_ts", "payload_values")
    readonly_fields = [f.name for f in IngestBatch._meta.fields if not f.name.startswith("payload")]

    def has_add_permission(self, request):
        return False


class AlarmEventInline(admin.TabularInline):
    model = AlarmEvent
    extra = 0
    readonly_fields = ("ts", "event", "level", "value")
    can_delete = False


@admin.register(Alarm)
class AlarmAdmin(admin.ModelAdmin):
    list_display = ("id", "point", "enterprise", "side", "level", "started_at", "ended_at", "is_active", "shelved")
    list_filter = ("is_active", "side", "level", "shelved")
    search_fields = ("point__code", "enterprise__organisation__name")
    raw_id_fields = ("point", "enterprise", "handled_by")
    date_hierarchy = "started_at"
    inlines = [AlarmEventInline]


@admin.register(MaintenanceWindow)
class MaintenanceWindowAdmin(admin.ModelAdmin):
    list_display = ("enterprise", "facility", "point", "reason", "starts_at", "ends_at", "cancelled")
    list_filter = ("reason", "cancelled")
    raw_id_fields = ("enterprise", "facility", "point", "created_by")


@admin.register(OnlineTransition)
class OnlineTransitionAdmin(admin.ModelAdmin):
    list_display = ("subject", "subject_id", "enterprise", "ts", "online")
    list_filter = ("subject", "online")
    raw_id_fields = ("enterprise",)
    date_hierarchy = "ts"

    def has_change_permission(self, request, obj=None):
        return False

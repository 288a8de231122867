"""Ops read the dual-prevention rows in the admin; enterprises maintain them in the portal."""

from django.contrib import admin

from .models import CheckRecord, CheckTask, ControlMeasure, HiddenDanger, RiskEvent, RiskUnit

COMMON = ("uid", "enterprise", "source", "received_from", "deleted", "created_at", "updated_at")


class PreventionAdmin(admin.ModelAdmin):
    list_filter = ("source", "deleted")
    list_select_related = ("enterprise__organisation",)
    readonly_fields = COMMON
    search_fields = ("uid", "enterprise__organisation__name")


@admin.register(RiskUnit)
class RiskUnitAdmin(PreventionAdmin):
    list_display = ("name", "object_code", "department", "risk_level", "enterprise", "source", "deleted")
    search_fields = (*PreventionAdmin.search_fields, "name", "object_code")


@admin.register(RiskEvent)
class RiskEventAdmin(PreventionAdmin):
    list_display = ("name", "unit", "enterprise", "source", "deleted")


@admin.register(ControlMeasure)
class ControlMeasureAdmin(PreventionAdmin):
    list_display = ("description", "classify1", "classify2", "enterprise", "source", "deleted")


@admin.register(CheckTask)
class CheckTaskAdmin(PreventionAdmin):
    list_display = ("content", "cycle", "cycle_unit", "last_status", "last_checked_at", "enterprise", "deleted")


@admin.register(CheckRecord)
class CheckRecordAdmin(PreventionAdmin):
    list_display = ("task", "checked_at", "status", "enterprise", "source")


@admin.register(HiddenDanger)
class HiddenDangerAdmin(PreventionAdmin):
    list_display = ("name", "level", "state", "deadline", "enterprise", "source", "deleted")
    list_filter = ("state", "level", "origin", *PreventionAdmin.list_filter)
    search_fields = (*PreventionAdmin.search_fields, "name")

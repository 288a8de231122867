from django.contrib import admin

from .models import (
    EnterpriseRisk,
    IndicatorRecord,
    RiskAssessment,
    RiskLevel,
    RiskModel,
    RiskModelVersion,
    SpotCheck,
    StaticAssessment,
    SupervisionAssignment,
    Warning,
    WarningEvent,
    WarningPolicy,
)


@admin.register(RiskLevel)
class RiskLevelAdmin(admin.ModelAdmin):
    """Colours are configuration (decision 3): a province showing green edits level 4 here."""

    list_display = ("code", "name", "grade_name", "colour", "colour_name", "hex")


@admin.register(WarningPolicy)
class WarningPolicyAdmin(admin.ModelAdmin):
    list_display = (
        "level",
        "raises_warning",
        "acknowledge_minutes",
        "feedback_hours",
        "remind_minutes",
        "escalate_hours",
        "updated_at",
    )


class VersionInline(admin.TabularInline):
    model = RiskModelVersion
    fields = ("number", "status", "note", "created_at", "created_by", "published_at", "published_by")
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(RiskModel)
class RiskModelAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "industry", "kind", "is_active", "current_version", "invocations")
    readonly_fields = ("current_version", "invocations", "last_trained_at")
    inlines = [VersionInline]


@admin.register(RiskModelVersion)
class RiskModelVersionAdmin(admin.ModelAdmin):
    """Published versions are history: read-only here; edit through a new draft (portal or API)."""

    list_display = ("model", "number", "status", "created_at", "published_at")
    list_filter = ("status", "model")

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(EnterpriseRisk)
class EnterpriseRiskAdmin(admin.ModelAdmin):
    list_display = ("enterprise", "level", "score", "assessed_at", "level_since")
    list_filter = ("level",)
    list_select_related = ("enterprise__organisation",)
    search_fields = ("enterprise__organisation__name",)
    raw_id_fields = ("enterprise", "assessment")


@admin.register(RiskAssessment)
class RiskAssessmentAdmin(admin.ModelAdmin):
    list_display = ("enterprise", "assessed_at", "level", "score", "coverage", "rule", "trigger")
    list_filter = ("level", "trigger")
    list_select_related = ("enterprise__organisation",)
    raw_id_fields = ("enterprise", "version")


class WarningEventInline(admin.TabularInline):
    model = WarningEvent
    fields = ("ts", "event", "level", "actor", "comment")
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Warning)
class WarningAdmin(admin.ModelAdmin):
    list_display = ("enterprise", "from_level", "level", "status", "raised_at", "feedback_due_at", "escalations")
    list_filter = ("status", "level")
    list_select_related = ("enterprise__organisation",)
    search_fields = ("enterprise__organisation__name",)
    raw_id_fields = ("enterprise", "assessment")
    inlines = [WarningEventInline]


@admin.register(StaticAssessment)
class StaticAssessmentAdmin(admin.ModelAdmin):
    list_display = ("enterprise", "assessed_on", "score", "level")
    raw_id_fields = ("enterprise",)


@admin.register(IndicatorRecord)
class IndicatorRecordAdmin(admin.ModelAdmin):
    list_display = ("enterprise", "indicator", "value", "period")
    list_filter = ("indicator",)
    raw_id_fields = ("enterprise",)


@admin.register(SpotCheck)
class SpotCheckAdmin(admin.ModelAdmin):
    list_display = ("enterprise", "inspector", "kind", "started_at", "follow_up")
    list_filter = ("kind", "follow_up")
    raw_id_fields = ("enterprise", "inspector")


@admin.register(SupervisionAssignment)
class SupervisionAssignmentAdmin(admin.ModelAdmin):
    list_display = ("region", "industry", "level", "department")

"""Serializers of the risk API: current risk, assessments, warnings, models, inputs.

Level names and colours come from the ``RiskLevel`` table, read once per request and passed in the
serializer context as ``levels`` (see ``level_table``), so lists do not query per row."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.risk.models import (
    LEVEL_CODES,
    EnterpriseRisk,
    IndicatorRecord,
    RiskAssessment,
    RiskLevel,
    RiskModel,
    RiskModelVersion,
    StaticAssessment,
    Warning,
    WarningEvent,
)
from apps.risk.services.catalogue import record_indicators

NO_LEVEL_COLOUR = "#cccccc"


def level_table() -> dict[int, RiskLevel]:
    return {lvl.code: lvl for lvl in RiskLevel.objects.all()}


def _name(user) -> str | None:
    return str(user) if user is not None else None


class LevelMixin(serializers.Serializer):
    """``level_name`` and ``color`` of the row's ``level``. The level table is read on first use and kept
    in the root serializer's context, so a list reads it once."""

    level_name = serializers.SerializerMethodField()
    color = serializers.SerializerMethodField()

    def _level(self, obj):
        levels = self.context.get("levels")
        if levels is None:
            levels = self.context["levels"] = level_table()
        return levels.get(obj.level) if obj.level else None

    def get_level_name(self, obj) -> str | None:
        level = self._level(obj)
        return level.name if level else None

    def get_color(self, obj) -> str:
        """The level's display colour (hex); grey without a level."""
        level = self._level(obj)
        return level.hex if level else NO_LEVEL_COLOUR


class RiskLevelSerializer(serializers.ModelSerializer):
    class Meta:
        model = RiskLevel
        fields = ["code", "name", "grade_name", "colour", "colour_name", "hex"]
        read_only_fields = fields


# --- current risk and assessments ---------------------------------------------------------------


class EnterpriseRiskSerializer(LevelMixin, serializers.ModelSerializer):
    """An enterprise's current risk (实时风险), for lists and the ranking (风险倒排)."""

    enterprise = serializers.IntegerField(source="enterprise_id", read_only=True)
    enterprise_name = serializers.CharField(source="enterprise.organisation.name", read_only=True)
    region = serializers.CharField(source="enterprise.organisation.region.code", read_only=True)
    region_name = serializers.CharField(source="enterprise.organisation.region.name", read_only=True)
    industries = serializers.SerializerMethodField()

    class Meta:
        model = EnterpriseRisk
        fields = [
            "enterprise",
            "enterprise_name",
            "region",
            "region_name",
            "industries",
            "level",
            "level_name",
            "color",
            "score",
            "assessed_at",
            "level_since",
            "previous_level",
        ]
        read_only_fields = fields

    def get_industries(self, obj) -> list[str]:
        return [i.code for i in obj.enterprise.industries.all()]


class ModelRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    version = serializers.IntegerField(allow_null=True)


class BreakdownRowSerializer(serializers.Serializer):
    """One indicator of the index composition (研判指数构成); groups and leaves, depth-first."""

    code = serializers.CharField()
    name = serializers.CharField()
    parent = serializers.CharField(allow_null=True)
    depth = serializers.IntegerField()
    source = serializers.CharField(required=False, help_text="leaves only")
    value = serializers.FloatField(allow_null=True, help_text="raw value; null: no data")
    score = serializers.FloatField(allow_null=True, help_text="indicator score 0–100; null: no data")
    weight = serializers.FloatField(help_text="configured weight among its siblings")
    effective_weight = serializers.FloatField(help_text="share of the total after no-data indicators are left out")
    contribution = serializers.FloatField(allow_null=True, help_text="score × effective weight; leaves add up")
    no_data = serializers.BooleanField()
    advice = serializers.CharField(required=False, help_text="what to do when this indicator is high")


class SuggestionSerializer(serializers.Serializer):
    """A control suggestion (管控建议, RSK-18): the advice of a leading contributor."""

    indicator = serializers.CharField()
    name = serializers.CharField()
    contribution = serializers.FloatField()
    advice = serializers.CharField()


def _breakdown(rows) -> list[dict]:
    return [{**row, "no_data": row.get("score") is None} for row in rows or ()]


def _rule_name(assessment) -> str:
    if assessment is None or not assessment.rule:
        return ""
    for rule in assessment.version.definition.get("rules") or ():
        if rule.get("code") == assessment.rule:
            return rule.get("name", "")
    return ""


class EnterpriseRiskDetailSerializer(EnterpriseRiskSerializer):
    """The current risk with the result that set it: coverage, rule, model version and the breakdown."""

    assessment = serializers.IntegerField(source="assessment_id", read_only=True, allow_null=True)
    graded = serializers.SerializerMethodField()
    model = serializers.SerializerMethodField()
    coverage = serializers.SerializerMethodField()
    rule = serializers.SerializerMethodField()
    rule_name = serializers.SerializerMethodField()
    breakdown = serializers.SerializerMethodField()
    suggestions = serializers.SerializerMethodField()

    class Meta(EnterpriseRiskSerializer.Meta):
        fields = EnterpriseRiskSerializer.Meta.fields + [
            "graded",
            "assessment",
            "model",
            "coverage",
            "rule",
            "rule_name",
            "breakdown",
            "suggestions",
        ]
        read_only_fields = fields

    def get_graded(self, obj) -> bool:
        """False for an enterprise no model grades yet (or never graded)."""
        return obj.level is not None

    @extend_schema_field(ModelRefSerializer(allow_null=True))
    def get_model(self, obj):
        if obj.assessment is None:
            return None
        version = obj.assessment.version
        return {"code": version.model.code, "name": version.model.name, "version": version.number}

    def get_coverage(self, obj) -> float | None:
        """Share (0–1) of the model's weight whose indicators had data."""
        return obj.assessment.coverage if obj.assessment else None

    def get_rule(self, obj) -> str:
        """Code of the rule (一票否决…) that forced the level, if any."""
        return obj.assessment.rule if obj.assessment else ""

    def get_rule_name(self, obj) -> str:
        return _rule_name(obj.assessment)

    @extend_schema_field(BreakdownRowSerializer(many=True))
    def get_breakdown(self, obj):
        return _breakdown(obj.assessment.breakdown if obj.assessment else [])

    @extend_schema_field(SuggestionSerializer(many=True))
    def get_suggestions(self, obj):
        from ..engine import suggestions

        return suggestions(obj.assessment.breakdown) if obj.assessment else []


class RiskAssessmentSerializer(LevelMixin, serializers.ModelSerializer):
    """One stored result (风险研判结果), for the history."""

    model = serializers.CharField(source="version.model.code", read_only=True)
    version = serializers.IntegerField(source="version.number", read_only=True)

    class Meta:
        model = RiskAssessment
        fields = [
            "id",
            "enterprise",
            "assessed_at",
            "level",
            "level_name",
            "color",
            "score",
            "coverage",
            "rule",
            "trigger",
            "model",
            "version",
        ]
        read_only_fields = fields


class ReproducedSerializer(serializers.Serializer):
    score = serializers.FloatField(allow_null=True)
    level = serializers.IntegerField(allow_null=True)
    equal = serializers.BooleanField(help_text="the stored score and level are obtained again")


class RiskAssessmentDetailSerializer(RiskAssessmentSerializer):
    enterprise_name = serializers.CharField(source="enterprise.organisation.name", read_only=True)
    rule_name = serializers.SerializerMethodField()
    breakdown = serializers.SerializerMethodField()
    reproduced = serializers.SerializerMethodField()

    class Meta(RiskAssessmentSerializer.Meta):
        fields = RiskAssessmentSerializer.Meta.fields + ["enterprise_name", "rule_name", "inputs", "breakdown"]
        fields += ["reproduced"]
        read_only_fields = fields

    def get_rule_name(self, obj) -> str:
        return _rule_name(obj)

    @extend_schema_field(BreakdownRowSerializer(many=True))
    def get_breakdown(self, obj):
        return _breakdown(obj.breakdown)

    @extend_schema_field(ReproducedSerializer(allow_null=True))
    def get_reproduced(self, obj):
        """With ``?reproduce=true``: the result evaluated again from the stored inputs and version."""
        return self.context.get("reproduced")


# --- warnings ------------------------------------------------------------------------------------


class WarningSerializer(LevelMixin, serializers.ModelSerializer):
    """A warning (预警) in lists."""

    enterprise_name = serializers.CharField(source="enterprise.organisation.name", read_only=True)
    region = serializers.CharField(source="enterprise.organisation.region.code", read_only=True)
    region_name = serializers.CharField(source="enterprise.organisation.region.name", read_only=True)
    status_name = serializers.CharField(source="get_status_display", read_only=True)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = Warning
        fields = [
            "id",
            "enterprise",
            "enterprise_name",
            "region",
            "region_name",
            "from_level",
            "level",
            "level_name",
            "color",
            "score",
            "status",
            "status_name",
            "raised_at",
            "acknowledge_due_at",
            "feedback_due_at",
            "acknowledged_at",
            "feedback_at",
            "verified_at",
            "recovered_at",
            "closed_at",
            "escalations",
            "overdue",
        ]
        read_only_fields = fields

    def get_overdue(self, obj) -> bool:
        """Awaiting feedback past its deadline."""
        return (
            obj.status in Warning.AWAITING_FEEDBACK
            and obj.feedback_due_at is not None
            and obj.feedback_due_at < timezone.now()
        )


class WarningEventSerializer(serializers.ModelSerializer):
    actor_name = serializers.SerializerMethodField()

    class Meta:
        model = WarningEvent
        fields = ["ts", "event", "level", "actor", "actor_name", "comment"]
        read_only_fields = fields

    def get_actor_name(self, obj) -> str | None:
        return _name(obj.actor)


class DriverSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    value = serializers.FloatField(required=False, allow_null=True)
    score = serializers.FloatField(required=False, allow_null=True)
    contribution = serializers.FloatField(required=False, allow_null=True)
    delta = serializers.FloatField(required=False, help_text="growth of the contribution since the previous result")


class WarningDetailSerializer(WarningSerializer):
    """A warning with its drivers, every deadline and step, the feedback, verification, escalation and
    the event history (预警处置记录)."""

    drivers = serializers.SerializerMethodField()
    acknowledged_by_name = serializers.SerializerMethodField()
    feedback_by_name = serializers.SerializerMethodField()
    verified_by_name = serializers.SerializerMethodField()
    escalated_to = serializers.CharField(source="escalated_to.code", read_only=True, allow_null=True)
    escalated_to_name = serializers.CharField(source="escalated_to.name", read_only=True, allow_null=True)
    events = WarningEventSerializer(many=True, read_only=True)

    class Meta(WarningSerializer.Meta):
        fields = WarningSerializer.Meta.fields + [
            "assessment",
            "drivers",
            "pushed_at",
            "last_reminded_at",
            "reminders",
            "acknowledged_by",
            "acknowledged_by_name",
            "feedback_by",
            "feedback_by_name",
            "cause",
            "measures",
            "result",
            "verified_by",
            "verified_by_name",
            "verify_comment",
            "escalated_to",
            "escalated_to_name",
            "escalated_at",
            "created_at",
            "updated_at",
            "events",
        ]
        read_only_fields = fields

    @extend_schema_field(DriverSerializer(many=True))
    def get_drivers(self, obj):
        """The indicators that drove the rise (largest growth of contribution first)."""
        return obj.drivers

    def get_acknowledged_by_name(self, obj) -> str | None:
        return _name(obj.acknowledged_by)

    def get_feedback_by_name(self, obj) -> str | None:
        return _name(obj.feedback_by)

    def get_verified_by_name(self, obj) -> str | None:
        return _name(obj.verified_by)


class UnhandledWarningSerializer(WarningSerializer):
    problem = serializers.ChoiceField(
        choices=["not_acknowledged", "not_fed_back", "not_downgraded"],
        read_only=True,
        help_text="not acknowledged in time, not fed back in time, or fed back but the risk not back down",
    )

    class Meta(WarningSerializer.Meta):
        fields = WarningSerializer.Meta.fields + ["problem"]
        read_only_fields = fields


class FeedbackSerializer(serializers.Serializer):
    measures = serializers.CharField(max_length=5000, help_text="disposal measures taken (处置措施)")
    cause = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    result = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class VerifySerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class SendBackSerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=500, help_text="why the feedback is not enough")


# --- models (模型管理) -------------------------------------------------------------------------------


class RiskModelSerializer(serializers.ModelSerializer):
    industry = serializers.SlugRelatedField(slug_field="code", read_only=True)
    version = serializers.IntegerField(source="current_version.number", read_only=True, allow_null=True)

    class Meta:
        model = RiskModel
        fields = [
            "code",
            "name",
            "industry",
            "kind",
            "description",
            "is_active",
            "version",
            "last_trained_at",
            "invocations",
            "updated_at",
        ]
        read_only_fields = fields


class RiskModelDetailSerializer(RiskModelSerializer):
    definition = serializers.JSONField(source="current_version.definition", read_only=True, allow_null=True)
    published_at = serializers.DateTimeField(source="current_version.published_at", read_only=True, allow_null=True)

    class Meta(RiskModelSerializer.Meta):
        fields = RiskModelSerializer.Meta.fields + ["published_at", "definition"]
        read_only_fields = fields


class RiskModelVersionSerializer(serializers.ModelSerializer):
    model = serializers.CharField(source="model.code", read_only=True)
    created_by_name = serializers.SerializerMethodField()
    published_by_name = serializers.SerializerMethodField()

    class Meta:
        model = RiskModelVersion
        fields = [
            "model",
            "number",
            "status",
            "note",
            "created_at",
            "created_by",
            "created_by_name",
            "published_at",
            "published_by",
            "published_by_name",
        ]
        read_only_fields = fields

    def get_created_by_name(self, obj) -> str | None:
        return _name(obj.created_by)

    def get_published_by_name(self, obj) -> str | None:
        return _name(obj.published_by)


class RiskModelVersionDetailSerializer(RiskModelVersionSerializer):
    class Meta(RiskModelVersionSerializer.Meta):
        fields = RiskModelVersionSerializer.Meta.fields + ["definition"]
        read_only_fields = fields


class IndicatorNodeSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    weight = serializers.FloatField()
    source = serializers.CharField(allow_null=True, help_text="leaves: where the raw value comes from")
    source_name = serializers.CharField(allow_null=True)
    unit = serializers.CharField(allow_blank=True)
    has_provider = serializers.BooleanField(allow_null=True, help_text="false: no app provides it yet (no data)")
    params = serializers.DictField(allow_null=True)
    scoring = serializers.DictField(allow_null=True)
    children = serializers.ListField(child=serializers.DictField(), help_text="nodes of the same shape")


class IndicatorTreeSerializer(serializers.Serializer):
    model = serializers.CharField()
    version = serializers.IntegerField()
    thresholds = serializers.DictField(child=serializers.FloatField())
    rules = serializers.ListField(child=serializers.DictField())
    indicators = IndicatorNodeSerializer(many=True)


class DraftSerializer(serializers.Serializer):
    definition = serializers.DictField(help_text="thresholds, indicators (a tree) and rules; see the engine")
    note = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class InvokeSerializer(serializers.Serializer):
    inputs = serializers.DictField(
        required=False, default=dict, help_text="leaf indicator code → raw value (a number, or null: no data)"
    )


class InvokeResultSerializer(serializers.Serializer):
    model = ModelRefSerializer()
    score = serializers.FloatField(allow_null=True)
    level = serializers.IntegerField(allow_null=True)
    level_name = serializers.CharField(allow_null=True)
    color = serializers.CharField()
    coverage = serializers.FloatField()
    rule = serializers.CharField(allow_blank=True)
    rule_name = serializers.CharField(allow_blank=True)
    breakdown = BreakdownRowSerializer(many=True)


class SourceSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    unit = serializers.CharField(allow_blank=True)
    description = serializers.CharField(allow_blank=True)
    params = serializers.DictField(child=serializers.CharField(), help_text="parameter name → meaning")
    has_provider = serializers.BooleanField(help_text="false: named for an app still to come (no data yet)")


# --- inputs: self-assessment and management indicators ----------------------------------------------


class StaticAssessmentSerializer(LevelMixin, serializers.ModelSerializer):
    recorded_by_name = serializers.SerializerMethodField()

    class Meta:
        model = StaticAssessment
        fields = [
            "id",
            "enterprise",
            "assessed_on",
            "items",
            "vetoes",
            "categories",
            "score",
            "level",
            "level_name",
            "color",
            "note",
            "recorded_by",
            "recorded_by_name",
            "recorded_at",
        ]
        read_only_fields = fields

    def get_recorded_by_name(self, obj) -> str | None:
        return _name(obj.recorded_by)


class NotInFutureDateField(serializers.DateField):
    def to_internal_value(self, value):
        day = super().to_internal_value(value)
        if day > timezone.localdate():
            raise serializers.ValidationError(_("The date cannot be in the future."))
        return day


class StaticAssessmentWriteSerializer(serializers.Serializer):
    items = serializers.DictField(help_text="item code of the deduction table → count (see …/items)")
    vetoes = serializers.ListField(
        child=serializers.CharField(), required=False, default=list, help_text="one-vote-red conditions found"
    )
    assessed_on = NotInFutureDateField(required=False)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class IndicatorRecordSerializer(serializers.ModelSerializer):
    indicator_name = serializers.SerializerMethodField()
    recorded_by_name = serializers.SerializerMethodField()

    class Meta:
        model = IndicatorRecord
        fields = [
            "id",
            "enterprise",
            "indicator",
            "indicator_name",
            "value",
            "period",
            "note",
            "recorded_by",
            "recorded_by_name",
            "recorded_at",
        ]
        read_only_fields = fields

    def get_indicator_name(self, obj) -> str | None:
        spec = record_indicators().get(obj.indicator)
        return spec["name"] if spec else None

    def get_recorded_by_name(self, obj) -> str | None:
        return _name(obj.recorded_by)


class IndicatorRecordWriteSerializer(serializers.Serializer):
    values = serializers.DictField(help_text="management indicator code → value (see /risk/indicator-catalogue)")
    period = serializers.DateField(required=False, help_text="the period the values are for; default today")
    note = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class IndicatorSpecSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    unit = serializers.CharField(allow_blank=True)
    min = serializers.FloatField()
    max = serializers.FloatField()


# --- query parameters ------------------------------------------------------------------------------

LEVEL_CHOICES = list(LEVEL_CODES)


@extend_schema_field(OpenApiTypes.STR)
class IndustryCodeField(serializers.CharField):
    def to_internal_value(self, data):
        from apps.enterprises.models import Industry

        code = super().to_internal_value(data)
        if code and not Industry.objects.filter(code=code).exists():
            raise serializers.ValidationError(_("Unknown industry."))
        return code

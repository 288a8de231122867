import math

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from apps.core.api.fields import LonLatField
from apps.monitoring.models import Gateway, MeasurementKind, MonitoringPoint


class FiniteFloatField(serializers.FloatField):
    """A float that is neither NaN nor infinite (thresholds are compared with readings)."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not math.isfinite(value):
            raise serializers.ValidationError(_("A finite number is required."))
        return value


class MeasurementKindSerializer(serializers.ModelSerializer):
    class Meta:
        model = MeasurementKind
        fields = ["code", "name", "name_en", "unit", "signal", "industries", "typical_low", "typical_high"]


THRESHOLDS = list(MonitoringPoint.THRESHOLDS)


class MonitoringPointBriefSerializer(serializers.ModelSerializer):
    kind = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = MonitoringPoint
        fields = ["id", "enterprise", "facility", "code", "name", "kind", "unit", *THRESHOLDS, "in_use"]
        read_only_fields = fields


class MonitoringPointSerializer(serializers.ModelSerializer):
    enterprise_name = serializers.CharField(source="enterprise.organisation.name", read_only=True)
    facility_name = serializers.CharField(source="facility.name", read_only=True)
    kind = serializers.SlugRelatedField(slug_field="code", read_only=True)
    kind_name = serializers.CharField(source="kind.name", read_only=True)
    signal = serializers.CharField(source="kind.signal", read_only=True)
    location = LonLatField(read_only=True)

    class Meta:
        model = MonitoringPoint
        fields = [
            "id",
            "enterprise",
            "enterprise_name",
            "facility",
            "facility_name",
            "code",
            "name",
            "kind",
            "kind_name",
            "signal",
            "unit",
            "range_low",
            "range_high",
            *THRESHOLDS,
            "bit_number",
            "period_s",
            "position",
            "location",
            "in_use",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class MonitoringPointWriteSerializer(serializers.Serializer):
    facility = serializers.IntegerField(help_text="facility id; the point belongs to the facility's enterprise")
    kind = serializers.SlugRelatedField(slug_field="code", queryset=MeasurementKind.objects.all())
    code = serializers.CharField(max_length=64, help_text="unique within the enterprise; gateways report by it")
    name = serializers.CharField(max_length=128)
    unit = serializers.CharField(
        max_length=16, required=False, allow_blank=True, help_text="defaults to the kind's unit"
    )
    range_low = FiniteFloatField(required=False, allow_null=True, default=None)
    range_high = FiniteFloatField(required=False, allow_null=True, default=None)
    low_low = FiniteFloatField(required=False, allow_null=True, default=None)
    low = FiniteFloatField(required=False, allow_null=True, default=None)
    high = FiniteFloatField(required=False, allow_null=True, default=None)
    high_high = FiniteFloatField(required=False, allow_null=True, default=None)
    bit_number = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    period_s = serializers.IntegerField(
        min_value=1, max_value=86400, required=False, default=60, help_text="expected reporting period in seconds"
    )
    position = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    location = LonLatField(required=False, allow_null=True, default=None)
    in_use = serializers.BooleanField(required=False, default=True)


class GatewaySerializer(serializers.ModelSerializer):
    """A gateway without its secret (only ``secret_hint``, its first characters)."""

    enterprise_name = serializers.CharField(source="enterprise.organisation.name", read_only=True)

    class Meta:
        model = Gateway
        fields = [
            "id",
            "enterprise",
            "enterprise_name",
            "gateway_id",
            "name",
            "is_enabled",
            "secret_hint",
            "last_seen_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class GatewayWithSecretSerializer(GatewaySerializer):
    """The answer to creating a gateway or rotating its secret: the only time the secret is shown."""

    secret = serializers.SerializerMethodField(help_text="HMAC-SHA256 key; shown only in this response")

    class Meta(GatewaySerializer.Meta):
        fields = [*GatewaySerializer.Meta.fields, "secret"]
        read_only_fields = fields

    def get_secret(self, obj) -> str:
        return self.context["secret"]


class GatewayWriteSerializer(serializers.Serializer):
    enterprise = serializers.IntegerField(help_text="enterprise id")
    gateway_id = serializers.SlugField(
        min_length=3, max_length=64, help_text="letters, digits, hyphens, underscores; also the MQTT username"
    )
    name = serializers.CharField(max_length=128, required=False, allow_blank=True, default="")


class GatewayUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=128, required=False, allow_blank=True)
    is_enabled = serializers.BooleanField(required=False)

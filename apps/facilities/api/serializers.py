from rest_framework import serializers

from apps.core.api.fields import LonLatField
from apps.facilities.models import Facility, FacilityKind, FacilityStatusChange, WireRopeRecord


class FacilityKindSerializer(serializers.ModelSerializer):
    class Meta:
        model = FacilityKind
        fields = ["code", "name", "name_en", "industries", "parent_kinds", "attributes"]


class FacilitySerializer(serializers.ModelSerializer):
    kind = serializers.SlugRelatedField(slug_field="code", read_only=True)
    kind_name = serializers.CharField(source="kind.name", read_only=True)
    enterprise_name = serializers.CharField(source="enterprise.organisation.name", read_only=True)
    location = LonLatField(read_only=True)

    class Meta:
        model = Facility
        fields = [
            "id",
            "enterprise",
            "enterprise_name",
            "kind",
            "kind_name",
            "parent",
            "code",
            "name",
            "status",
            "location",
            "attributes",
            "registration_code",
            "updated_at",
        ]
        read_only_fields = fields


class FacilityWriteSerializer(serializers.Serializer):
    enterprise = serializers.IntegerField(help_text="enterprise id")
    kind = serializers.SlugRelatedField(slug_field="code", queryset=FacilityKind.objects.all())
    parent = serializers.IntegerField(required=False, allow_null=True)
    code = serializers.CharField(max_length=64)
    name = serializers.CharField(max_length=128)
    location = LonLatField(required=False, allow_null=True)
    attributes = serializers.DictField(required=False, default=dict)
    registration_code = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")


class FacilityUpdateSerializer(serializers.Serializer):
    parent = serializers.IntegerField(required=False, allow_null=True)
    code = serializers.CharField(max_length=64, required=False)
    name = serializers.CharField(max_length=128, required=False)
    location = LonLatField(required=False, allow_null=True)
    attributes = serializers.DictField(required=False)
    registration_code = serializers.CharField(max_length=64, required=False, allow_blank=True)


class StatusChangeSerializer(serializers.ModelSerializer):
    recorded_by = serializers.CharField(source="recorded_by.username", read_only=True, default=None)

    class Meta:
        model = FacilityStatusChange
        fields = ["id", "status", "effective_on", "reason", "recorded_by", "recorded_at"]
        read_only_fields = ["id", "recorded_by", "recorded_at"]
        extra_kwargs = {"effective_on": {"required": False}}


class WireRopeRecordSerializer(serializers.ModelSerializer):
    recorded_by = serializers.CharField(source="recorded_by.username", read_only=True, default=None)

    class Meta:
        model = WireRopeRecord
        fields = ["id", "action", "performed_on", "passed", "notes", "next_due_on", "recorded_by", "recorded_at"]
        read_only_fields = ["id", "next_due_on", "recorded_by", "recorded_at"]


class RopeDueSerializer(serializers.ModelSerializer):
    enterprise_name = serializers.CharField(source="enterprise.organisation.name", read_only=True)
    casting_well = serializers.CharField(source="parent.name", read_only=True, default=None)
    next_due_on = serializers.DateField(allow_null=True)
    last_done_on = serializers.DateField(allow_null=True)

    class Meta:
        model = Facility
        fields = ["id", "enterprise", "enterprise_name", "code", "name", "casting_well", "next_due_on", "last_done_on"]

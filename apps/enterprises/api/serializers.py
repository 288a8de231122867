from rest_framework import serializers

from apps.accounts.api.serializers import RegionCodeField
from apps.accounts.validators import normalise_uscc, uscc_error
from apps.core.api.fields import LonLatField as LocationField
from apps.enterprises.models import Annotation, Enterprise, OperatingStatus, Shutdown


class EnterpriseBriefSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(source="organisation_id", read_only=True)
    name = serializers.CharField(source="organisation.name")
    uscc = serializers.CharField(source="organisation.uscc")
    region = serializers.CharField(source="organisation.region.code")
    region_name = serializers.CharField(source="organisation.region.name")
    industries = serializers.SerializerMethodField()
    location = serializers.SerializerMethodField()

    class Meta:
        model = Enterprise
        fields = [
            "id",
            "name",
            "uscc",
            "region",
            "region_name",
            "industries",
            "status",
            "location",
            "scale",
            "dust_workers",
            "monitoring_connected",
        ]
        read_only_fields = fields

    def get_industries(self, obj) -> list[str]:
        return [i.code for i in obj.industries.all()]

    def get_location(self, obj) -> list[float] | None:
        """[longitude, latitude] in WGS84."""
        return [obj.location.x, obj.location.y] if obj.location else None


DETAIL_FIELDS = [
    "address",
    "legal_representative",
    "principal",
    "principal_phone",
    "safety_manager",
    "safety_manager_phone",
    "hazchem_category",
    "dust_kinds",
    "dust_workers",
    "scale",
    "employees",
    "economic_type",
    "affiliation",
    "supervision_level",
    "monitoring_connected",
    "registration_code",
    "province_code",
    "special_info",
    "created_at",
    "updated_at",
]


class EnterpriseSerializer(EnterpriseBriefSerializer):
    park = serializers.SerializerMethodField()

    class Meta(EnterpriseBriefSerializer.Meta):
        fields = EnterpriseBriefSerializer.Meta.fields + ["park", *DETAIL_FIELDS]
        read_only_fields = fields

    def get_park(self, obj) -> str | None:
        """The chemical park's code when the enterprise sits in one."""
        region = obj.organisation.region
        return region.code if region.kind == "park" else None


class BaseInformationSerializer(serializers.Serializer):
    """Base information (基础信息) an enterprise maintains; codes come from the code tables."""

    address = serializers.CharField(max_length=255, required=False, allow_blank=True)
    location = LocationField(required=False, allow_null=True)
    legal_representative = serializers.CharField(max_length=64, required=False, allow_blank=True)
    principal = serializers.CharField(max_length=64, required=False, allow_blank=True)
    principal_phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
    safety_manager = serializers.CharField(max_length=64, required=False, allow_blank=True)
    safety_manager_phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
    status = serializers.ChoiceField(choices=OperatingStatus.choices, required=False)
    hazchem_category = serializers.CharField(max_length=32, required=False, allow_blank=True)
    dust_kinds = serializers.ListField(child=serializers.CharField(max_length=32), required=False)
    dust_workers = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    scale = serializers.CharField(max_length=32, required=False, allow_blank=True)
    employees = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    economic_type = serializers.CharField(max_length=32, required=False, allow_blank=True)
    affiliation = serializers.CharField(max_length=32, required=False, allow_blank=True)
    supervision_level = serializers.CharField(max_length=32, required=False, allow_blank=True)
    monitoring_connected = serializers.BooleanField(required=False)
    registration_code = serializers.CharField(max_length=64, required=False, allow_blank=True)
    province_code = serializers.CharField(max_length=9, required=False, allow_blank=True)
    special_info = serializers.DictField(child=serializers.DictField(), required=False)


class EnterpriseWriteSerializer(BaseInformationSerializer):
    name = serializers.CharField(max_length=128)
    uscc = serializers.CharField(max_length=18)
    region = RegionCodeField()
    industries = serializers.ListField(child=serializers.SlugField(), default=list)

    def validate_uscc(self, value):
        error = uscc_error(value)
        if error:
            raise serializers.ValidationError(error)
        return normalise_uscc(value)


class EnterpriseUpdateSerializer(BaseInformationSerializer):
    name = serializers.CharField(max_length=128, required=False)
    industries = serializers.ListField(child=serializers.SlugField(), required=False)


class ShutdownSerializer(serializers.ModelSerializer):
    recorded_by = serializers.CharField(source="recorded_by.username", read_only=True, default=None)

    class Meta:
        model = Shutdown
        fields = ["id", "starts_on", "ends_on", "reason", "recorded_by", "recorded_at"]
        read_only_fields = ["id", "recorded_by", "recorded_at"]


class AnnotationSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.username", read_only=True)

    class Meta:
        model = Annotation
        fields = ["id", "text", "author", "created_at"]
        read_only_fields = ["id", "author", "created_at"]


class QualitySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    score = serializers.FloatField()
    missing = serializers.ListField(child=serializers.DictField())


class StatsRowSerializer(serializers.Serializer):
    key = serializers.CharField(allow_null=True)
    label = serializers.CharField()
    count = serializers.IntegerField()


class OverviewSerializer(serializers.Serializer):
    enterprise_id = serializers.IntegerField()
    sections = serializers.DictField()

from django.contrib.gis.geos import Point
from django.utils.translation import gettext as _
from rest_framework import serializers

from apps.accounts.api.serializers import RegionCodeField
from apps.accounts.validators import normalise_uscc, uscc_error
from apps.enterprises.models import Enterprise, OperatingStatus


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
        fields = ["id", "name", "uscc", "region", "region_name", "industries", "status", "location"]
        read_only_fields = fields

    def get_industries(self, obj) -> list[str]:
        return [i.code for i in obj.industries.all()]

    def get_location(self, obj) -> list[float] | None:
        """[longitude, latitude] in WGS84."""
        return [obj.location.x, obj.location.y] if obj.location else None


class EnterpriseSerializer(EnterpriseBriefSerializer):
    class Meta(EnterpriseBriefSerializer.Meta):
        fields = EnterpriseBriefSerializer.Meta.fields + [
            "address",
            "legal_representative",
            "safety_contact",
            "contact_phone",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class LocationField(serializers.ListField):
    """[longitude, latitude] in WGS84 within China's extent."""

    child = serializers.FloatField()

    def to_internal_value(self, data):
        values = super().to_internal_value(data)
        if len(values) != 2:
            raise serializers.ValidationError(_("Expected [longitude, latitude]"))
        lon, lat = values
        if not (73 <= lon <= 136 and 3 <= lat <= 54):
            raise serializers.ValidationError(_("The location is outside China"))
        return Point(lon, lat, srid=4326)


class EnterpriseWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=128)
    uscc = serializers.CharField(max_length=18)
    region = RegionCodeField()
    industries = serializers.ListField(child=serializers.SlugField(), default=list)
    address = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    location = LocationField(required=False, allow_null=True, default=None)
    legal_representative = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    safety_contact = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    contact_phone = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    status = serializers.ChoiceField(choices=OperatingStatus.choices, required=False)

    def validate_uscc(self, value):
        error = uscc_error(value)
        if error:
            raise serializers.ValidationError(error)
        return normalise_uscc(value)


class EnterpriseUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=128, required=False)
    industries = serializers.ListField(child=serializers.SlugField(), required=False)
    address = serializers.CharField(max_length=255, required=False, allow_blank=True)
    location = LocationField(required=False, allow_null=True)
    legal_representative = serializers.CharField(max_length=64, required=False, allow_blank=True)
    safety_contact = serializers.CharField(max_length=64, required=False, allow_blank=True)
    contact_phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
    status = serializers.ChoiceField(choices=OperatingStatus.choices, required=False)


class OverviewSerializer(serializers.Serializer):
    enterprise_id = serializers.IntegerField()
    sections = serializers.DictField()

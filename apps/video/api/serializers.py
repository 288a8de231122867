from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from apps.core.api.fields import LonLatField
from apps.video.models import Camera

# Browsers play HTTP(S) streams (HLS/FLV); media servers and NVRs hand out RTSP/RTMP addresses.
STREAM_URL = URLValidator(schemes=["http", "https", "rtsp", "rtmp"], message=_("Enter a valid stream URL."))


class CameraSerializer(serializers.ModelSerializer):
    enterprise_name = serializers.CharField(source="enterprise.organisation.name", read_only=True)
    facility_name = serializers.CharField(source="facility.name", read_only=True, default=None)
    location = LonLatField(read_only=True)

    class Meta:
        model = Camera
        fields = [
            "id",
            "enterprise",
            "enterprise_name",
            "facility",
            "facility_name",
            "code",
            "name",
            "position",
            "location",
            "stream_url",
            "in_use",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class CameraWriteSerializer(serializers.Serializer):
    enterprise = serializers.IntegerField(help_text="enterprise id")
    facility = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="facility id of the same enterprise (optional)"
    )
    code = serializers.CharField(max_length=20, help_text="GB/T 28181 code, 20 digits")
    name = serializers.CharField(max_length=128)
    position = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    location = LonLatField(required=False, allow_null=True, default=None)
    stream_url = serializers.CharField(
        max_length=500, required=False, allow_blank=True, default="", validators=[STREAM_URL]
    )
    in_use = serializers.BooleanField(required=False, default=True)


class CameraUpdateSerializer(CameraWriteSerializer):
    """The enterprise of a camera does not change."""

    enterprise = None

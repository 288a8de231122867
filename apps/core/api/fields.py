"""Serializer fields shared by the APIs."""

from django.contrib.gis.geos import Point
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers


class LonLatField(serializers.ListField):
    """A WGS84 location as ``[longitude, latitude]`` within China's extent."""

    child = serializers.FloatField()

    def to_internal_value(self, data):
        values = super().to_internal_value(data)
        if len(values) != 2:
            raise serializers.ValidationError(_("Expected [longitude, latitude]"))
        lon, lat = values
        if not (73 <= lon <= 136 and 3 <= lat <= 54):
            raise serializers.ValidationError(_("The location is outside China"))
        return Point(lon, lat, srid=4326)

    def to_representation(self, value):
        return [value.x, value.y] if value is not None else None

from rest_framework import serializers
from rest_framework_gis.fields import GeometryField

from apps.regions.models import Region


class RegionBriefSerializer(serializers.ModelSerializer):
    parent_code = serializers.CharField(source="parent.code", read_only=True, default=None)

    class Meta:
        model = Region
        fields = ["code", "name", "kind", "parent_code", "depth"]


class RegionSerializer(RegionBriefSerializer):
    seat = GeometryField(read_only=True)
    geometry = GeometryField(read_only=True)

    class Meta(RegionBriefSerializer.Meta):
        fields = RegionBriefSerializer.Meta.fields + ["path", "seat", "geometry"]

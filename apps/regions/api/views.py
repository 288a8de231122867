import json

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.regions.models import Region, RegionKind

from .serializers import RegionBriefSerializer, RegionSerializer


class RegionFilterSet(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=RegionKind.choices)
    parent = django_filters.CharFilter(field_name="parent__code", label=_("parent region code"))
    within = django_filters.CharFilter(method="filter_within", label=_("region code whose subtree to list"))

    class Meta:
        model = Region
        fields = ["kind", "parent", "within"]

    def filter_within(self, queryset, name, value):
        region = Region.objects.filter(code=value).first()
        return queryset.within(region) if region else queryset.none()


class RegionViewSet(viewsets.ReadOnlyModelViewSet):
    """Administrative divisions and chemical parks: reference data every signed-in user may read."""

    queryset = Region.objects.select_related("parent").order_by("code")
    lookup_field = "code"
    filterset_class = RegionFilterSet
    search_fields = ["code", "name"]
    ordering_fields = ["code", "name"]

    def get_serializer_class(self):
        return RegionSerializer if self.action == "retrieve" else RegionBriefSerializer

    @extend_schema(responses={(200, "application/geo+json"): OpenApiTypes.OBJECT})
    @action(detail=False, methods=["get"])
    def geojson(self, request):
        """The filtered regions' simplified boundaries as a FeatureCollection (map outlines)."""
        regions = self.filter_queryset(self.get_queryset()).exclude(geometry=None)[:500]
        features = [
            {
                "type": "Feature",
                "geometry": json.loads(r.geometry.simplify(0.005, preserve_topology=True).geojson),
                "properties": {"code": r.code, "name": r.name, "kind": r.kind},
            }
            for r in regions
        ]
        return Response({"type": "FeatureCollection", "features": features}, content_type="application/geo+json")

import django_filters
from rest_framework import viewsets

from apps.regions.models import Region, RegionKind

from .serializers import RegionBriefSerializer, RegionSerializer


class RegionFilterSet(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=RegionKind.choices)
    parent = django_filters.CharFilter(field_name="parent__code", label="parent region code")
    within = django_filters.CharFilter(method="filter_within", label="region code whose subtree to list")

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

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api.filters import EnterpriseOwnedFilterSet
from apps.core.api.viewsets import ScopedViewSetMixin
from apps.enterprises.api.views import resolve_enterprise
from apps.hazards import services
from apps.hazards.models import FilingStatus, HazardCategory, HazardSource, Substance

from .serializers import (
    AssessRequestSerializer,
    AssessResponseSerializer,
    HazardCategorySerializer,
    HazardSourceBriefSerializer,
    HazardSourceSerializer,
    HazardSourceUpdateSerializer,
    HazardSourceWriteSerializer,
    SubstanceSerializer,
)


class AssessView(APIView):
    """GB 18218-2018 identification and grading of a set of substances (contract §3); stores nothing."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=AssessRequestSerializer, responses={200: AssessResponseSerializer})
    def post(self, request):
        data = AssessRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        terms = services.resolve_declared(data.validated_data["substances"])
        return Response(services.assess(data.validated_data["exposed_population"], terms).as_dict())


class HazardCategoryViewSet(viewsets.ReadOnlyModelViewSet):
    """GB 18218 tables 2 and 4."""

    queryset = HazardCategory.objects.order_by("symbol")
    serializer_class = HazardCategorySerializer
    lookup_field = "symbol"
    pagination_class = None


class SubstanceViewSet(viewsets.ReadOnlyModelViewSet):
    """GB 18218 table 1 (search by name, alias or CAS with ``?search=``)."""

    queryset = Substance.objects.select_related("category").order_by("seq", "name")
    serializer_class = SubstanceSerializer
    search_fields = ["name", "note"]

    def filter_queryset(self, queryset):
        term = self.request.query_params.get("search", "").strip()
        if term:
            from django.db.models import Q

            return queryset.filter(
                Q(name__icontains=term) | Q(aliases__contains=[term]) | Q(cas_numbers__contains=[term])
            )
        return super().filter_queryset(queryset)


class HazardSourceFilterSet(EnterpriseOwnedFilterSet):
    level = django_filters.NumberFilter(field_name="level")
    is_major = django_filters.BooleanFilter(field_name="is_major")
    filing_status = django_filters.ChoiceFilter(choices=FilingStatus.choices)
    industry = django_filters.CharFilter(field_name="enterprise__industries__code", label=_("Industry"))

    class Meta:
        model = HazardSource
        fields = ["enterprise", "region", "level", "is_major", "filing_status", "industry"]


class HazardSourceViewSet(
    ScopedViewSetMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Major hazard sources (重大危险源) with their inputs and grading."""

    queryset = (
        HazardSource.objects.active()
        .select_related("enterprise__organisation__region")
        .order_by("enterprise_id", "code")
    )
    filterset_class = HazardSourceFilterSet
    search_fields = ["code", "name", "enterprise__organisation__name"]
    ordering_fields = ["r_value", "level", "code", "updated_at"]
    scope_actions = {"geojson": "view"}

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "retrieve":
            return queryset.prefetch_related("facilities", "substances__substance", "substances__category")
        return queryset

    def get_serializer_class(self):
        return HazardSourceBriefSerializer if self.action == "list" else HazardSourceSerializer

    @extend_schema(request=HazardSourceWriteSerializer, responses={201: HazardSourceSerializer})
    def create(self, request, *args, **kwargs):
        data = HazardSourceWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        enterprise = resolve_enterprise(request.user, values.pop("enterprise"))
        source = services.register_hazard_source(request.user, enterprise=enterprise, **values)
        return Response(HazardSourceSerializer(source).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=HazardSourceUpdateSerializer, responses=HazardSourceSerializer)
    def update(self, request, *args, **kwargs):
        source = self.get_object()
        data = HazardSourceUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        source = services.update_hazard_source(request.user, source, **data.validated_data)
        return Response(HazardSourceSerializer(source).data)

    @extend_schema(responses={(200, "application/geo+json"): OpenApiTypes.OBJECT})
    @action(detail=False, methods=["get"])
    def geojson(self, request):
        """Hazard sources at their enterprise's location, for the map."""
        rows = self.filter_queryset(self.get_queryset()).exclude(enterprise__location=None).select_related("enterprise")
        features = [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [h.enterprise.location.x, h.enterprise.location.y]},
                "properties": {
                    "id": h.pk,
                    "name": h.name,
                    "enterprise": h.enterprise.organisation.name,
                    "level": h.level,
                    "R": float(h.r_value),
                },
            }
            for h in rows[:5000]
        ]
        return Response({"type": "FeatureCollection", "features": features}, content_type="application/geo+json")

from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework_gis.filters import InBBoxFilter

from apps.core.api.viewsets import ScopedViewSetMixin
from apps.core.exports import xlsx_response
from apps.enterprises import services
from apps.enterprises.filtersets import EnterpriseFilterSet
from apps.enterprises.models import Enterprise
from apps.enterprises.overview import build_overview

from .serializers import (
    EnterpriseBriefSerializer,
    EnterpriseSerializer,
    EnterpriseUpdateSerializer,
    EnterpriseWriteSerializer,
    OverviewSerializer,
)


class EnterpriseViewSet(
    ScopedViewSetMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Enterprises in the caller's jurisdiction (a regulator) or the caller's own (an enterprise user)."""

    queryset = Enterprise.objects.active().with_organisation().order_by("organisation__name")
    filterset_class = EnterpriseFilterSet
    ordering_fields = ["organisation__name", "updated_at"]
    bbox_filter_field = "location"
    bbox_filter_include_overlapping = True
    scope_actions = {"overview": "view", "export": "view", "geojson": "view"}
    lookup_url_kwarg = "id"  # the key is the organisation's; clients call it the enterprise id

    @property
    def filter_backends(self):
        from rest_framework.settings import api_settings

        return [*api_settings.DEFAULT_FILTER_BACKENDS, InBBoxFilter]

    def get_serializer_class(self):
        return EnterpriseBriefSerializer if self.action == "list" else EnterpriseSerializer

    @extend_schema(request=EnterpriseWriteSerializer, responses={201: EnterpriseSerializer})
    def create(self, request, *args, **kwargs):
        data = EnterpriseWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        enterprise = services.register_enterprise(request.user, **data.validated_data)
        return Response(EnterpriseSerializer(enterprise).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=EnterpriseUpdateSerializer, responses=EnterpriseSerializer)
    def update(self, request, *args, **kwargs):
        enterprise = self.get_object()
        data = EnterpriseUpdateSerializer(data=request.data, partial=kwargs.get("partial", False))
        data.is_valid(raise_exception=True)
        enterprise = services.update_enterprise(request.user, enterprise, **data.validated_data)
        return Response(EnterpriseSerializer(enterprise).data)

    @extend_schema(responses=OverviewSerializer)
    @action(detail=True, methods=["get"])
    def overview(self, request, id=None):
        """The enterprise's master data with every module's dependent data, in one response (ACC-09)."""
        return Response(build_overview(self.get_object(), request.user))

    @extend_schema(responses={(200, "application/geo+json"): OpenApiTypes.OBJECT})
    @action(detail=False, methods=["get"])
    def geojson(self, request):
        """The filtered enterprises as a GeoJSON FeatureCollection, for the map."""
        rows = self.filter_queryset(self.get_queryset()).exclude(location=None)
        features = [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [e.location.x, e.location.y]},
                "properties": {
                    "id": e.pk,
                    "name": e.organisation.name,
                    "status": e.status,
                    "industries": [i.code for i in e.industries.all()],
                },
            }
            for e in rows[:5000]
        ]
        return Response({"type": "FeatureCollection", "features": features}, content_type="application/geo+json")

    @extend_schema(
        responses={(200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): OpenApiTypes.BINARY}
    )
    @action(detail=False, methods=["get"])
    def export(self, request):
        """The filtered list as an Excel workbook."""
        return export_enterprises(self.filter_queryset(self.get_queryset()))


def export_enterprises(queryset):
    separator = pgettext("separator between list items", ", ")
    rows = (
        (
            e.organisation.name,
            e.organisation.uscc,
            e.organisation.region.name,
            e.organisation.region.code,
            separator.join(i.name for i in e.industries.all()),
            e.get_status_display(),
            e.address,
            e.legal_representative,
            e.contact_phone,
        )
        for e in queryset.iterator(chunk_size=1000)
    )
    headers = [
        _("Enterprise name"),
        _("Unified social credit code"),
        _("Region"),
        _("Division code"),
        _("Industry"),
        _("Operating status"),
        _("Address"),
        _("Legal representative"),
        _("Contact phone"),
    ]
    return xlsx_response("enterprises", headers, rows)

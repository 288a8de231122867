from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response
from rest_framework_gis.filters import InBBoxFilter

from apps.core.api.lookups import in_scope
from apps.core.api.viewsets import ScopedViewSetMixin
from apps.core.exceptions import InvalidInput
from apps.core.exports import xlsx_response
from apps.enterprises import services
from apps.enterprises.filtersets import EnterpriseFilterSet, enterprise_orderings, order_by_terms
from apps.enterprises.models import Annotation, Enterprise, Shutdown
from apps.enterprises.overview import build_overview
from apps.enterprises.quality import completeness
from apps.enterprises.stats import DIMENSIONS, enterprise_stats
from apps.regions.models import Region

from .serializers import (
    AnnotationSerializer,
    EnterpriseBriefSerializer,
    EnterpriseSerializer,
    EnterpriseUpdateSerializer,
    EnterpriseWriteSerializer,
    OverviewSerializer,
    QualitySerializer,
    ShutdownSerializer,
    StatsRowSerializer,
)


def resolve_enterprise(user, enterprise_id) -> Enterprise:
    """The enterprise a request body names, within the caller's scope (else a field error)."""
    return in_scope(
        Enterprise.objects.select_related("organisation"),
        user,
        enterprise_id,
        field="enterprise",
        unknown=_("Unknown enterprise."),
    )


def inline_stats_response():
    from drf_spectacular.utils import inline_serializer
    from rest_framework import serializers

    return inline_serializer(
        "EnterpriseStats",
        {
            "group_by": serializers.CharField(),
            "total": serializers.IntegerField(),
            "rows": StatsRowSerializer(many=True),
        },
    )


class EnterpriseOrderingFilter(OrderingFilter):
    """``?ordering=`` over the list's fields and the sort keys other apps register
    (``filtersets.register_enterprise_ordering``, e.g. ``-risk``), and ``?sort=key:asc|desc`` as
    another spelling of one key (INS-03: ``?sort=risk:desc``)."""

    sort_param = "sort"

    def get_valid_fields(self, queryset, view, context={}):  # noqa: B006 — DRF's signature
        request = context.get("request")
        extra = enterprise_orderings(getattr(request, "user", None)) if request is not None else {}
        return [*super().get_valid_fields(queryset, view, context), *((name, name) for name in extra)]

    def get_ordering(self, request, queryset, view):
        sort = request.query_params.get(self.sort_param, "").strip()
        if not sort or request.query_params.get(self.ordering_param):
            return super().get_ordering(request, queryset, view)
        key, _sep, direction = sort.partition(":")
        term = ("-" if direction == "desc" else "") + key.strip()
        if direction not in ("", "asc", "desc") or not self.remove_invalid_fields(queryset, [term], view, request):
            valid = ", ".join(name for name, _label in self.get_valid_fields(queryset, view, {"request": request}))
            raise InvalidInput(
                _("Sort by one of: %(keys)s, optionally with :asc or :desc.") % {"keys": valid}, field=self.sort_param
            )
        return [term]

    def filter_queryset(self, request, queryset, view):
        ordering = self.get_ordering(request, queryset, view)
        if not ordering:
            return queryset
        return queryset.order_by(*order_by_terms(ordering, request.user), "organisation__name")

    def get_schema_operation_parameters(self, view):
        return [
            *super().get_schema_operation_parameters(view),
            {
                "name": self.sort_param,
                "required": False,
                "in": "query",
                "description": "key:asc or key:desc (e.g. risk:desc); the keys of ordering",
                "schema": {"type": "string"},
            },
        ]


class EnterpriseViewSet(
    ScopedViewSetMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Enterprises in the caller's jurisdiction (a regulator) or the caller's own (an enterprise user)."""

    queryset = Enterprise.objects.active().with_organisation().order_by("organisation__name")
    filterset_class = EnterpriseFilterSet
    ordering_fields = ["organisation__name", "updated_at"]
    bbox_filter_field = "location"
    bbox_filter_include_overlapping = True
    scope_actions = {"overview": "view", "export": "view", "geojson": "view", "stats": "view", "quality": "view"}
    lookup_url_kwarg = "id"  # the key is the organisation's; clients call it the enterprise id

    @property
    def filter_backends(self):
        from rest_framework.settings import api_settings

        backends = [
            EnterpriseOrderingFilter if b is OrderingFilter else b for b in api_settings.DEFAULT_FILTER_BACKENDS
        ]
        return [*backends, InBBoxFilter]

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

    @extend_schema(
        parameters=[
            OpenApiParameter("group_by", enum=list(DIMENSIONS), required=True),
            OpenApiParameter("within", description="region code whose children the region rows are"),
        ],
        responses=inline_stats_response(),
    )
    @action(detail=False, methods=["get"])
    def stats(self, request):
        """Counts of the filtered enterprises by one dimension (分类统计)."""
        dimension = request.query_params.get("group_by", "")
        if dimension not in DIMENSIONS:
            raise InvalidInput(
                _("group_by must be one of: %(values)s") % {"values": ", ".join(DIMENSIONS)}, field="group_by"
            )
        queryset = self.filter_queryset(self.get_queryset())
        within = None
        if dimension == "region":
            code = request.query_params.get("within") or (
                Region.objects.filter(path=request.user.access_scope.region_path).values_list("code", flat=True).first()
            )
            within = Region.objects.filter(code=code).first() if code else None
            if code and within is None:
                raise InvalidInput(_("Unknown region code: %(code)s") % {"code": code}, field="within")
        rows = enterprise_stats(queryset, dimension, within=within)
        return Response({"group_by": dimension, "total": queryset.count(), "rows": rows})

    @extend_schema(
        parameters=[OpenApiParameter("below", float, description="only scores below this (0..1)")],
        responses=QualitySerializer(many=True),
    )
    @action(detail=False, methods=["get"])
    def quality(self, request):
        """Completeness of base information (基础数据质量) per enterprise, worst first."""
        queryset = self.filter_queryset(self.get_queryset())
        try:
            below = float(request.query_params.get("below", "1.01"))
        except ValueError:
            raise InvalidInput(_("A number is required."), field="below") from None
        rows = []
        for enterprise in queryset.iterator(chunk_size=500):
            result = completeness(enterprise)
            if result["score"] < below:
                rows.append({"id": enterprise.pk, "name": enterprise.organisation.name, **result})
        rows.sort(key=lambda r: (r["score"], r["name"]))
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(page)


class ShutdownViewSet(
    ScopedViewSetMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Shutdown periods (停工停产) of enterprises; the enterprise is suspended while one is in force."""

    queryset = Shutdown.objects.select_related("recorded_by").order_by("-starts_on")
    serializer_class = ShutdownSerializer
    filterset_fields = ["enterprise"]

    @extend_schema(
        request=ShutdownSerializer,
        responses={201: ShutdownSerializer},
        parameters=[OpenApiParameter("enterprise", int, required=True)],
    )
    def create(self, request, *args, **kwargs):
        data = ShutdownSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        enterprise = resolve_enterprise(
            request.user, request.data.get("enterprise") or request.query_params.get("enterprise")
        )
        shutdown = services.record_shutdown(request.user, enterprise, **data.validated_data)
        return Response(ShutdownSerializer(shutdown).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ShutdownSerializer, responses=ShutdownSerializer)
    def update(self, request, *args, **kwargs):
        shutdown = self.get_object()
        data = ShutdownSerializer(shutdown, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        if "ends_on" not in data.validated_data or data.validated_data["ends_on"] is None:
            raise InvalidInput(_("Give the date the shutdown ends."), field="ends_on")
        shutdown = services.end_shutdown(request.user, shutdown, ends_on=data.validated_data["ends_on"])
        return Response(ShutdownSerializer(shutdown).data)


class AnnotationViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Regulators' notes on enterprises (监管批注)."""

    queryset = Annotation.objects.select_related("author").order_by("-created_at")
    serializer_class = AnnotationSerializer
    filterset_fields = ["enterprise"]

    @extend_schema(
        request=AnnotationSerializer,
        responses={201: AnnotationSerializer},
        parameters=[OpenApiParameter("enterprise", int, required=True)],
    )
    def create(self, request, *args, **kwargs):
        data = AnnotationSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        enterprise = resolve_enterprise(
            request.user, request.data.get("enterprise") or request.query_params.get("enterprise")
        )
        note = services.annotate(request.user, enterprise, data.validated_data["text"])
        return Response(AnnotationSerializer(note).data, status=status.HTTP_201_CREATED)


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
            e.safety_manager_phone,
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

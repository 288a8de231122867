import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.core.api.filters import EnterpriseOwnedFilterSet
from apps.core.api.viewsets import ScopedViewSetMixin
from apps.core.exceptions import InvalidInput
from apps.enterprises.api.views import resolve_enterprise
from apps.facilities import services
from apps.facilities.models import Facility, FacilityKind, FacilityStatus

from .serializers import (
    FacilityKindSerializer,
    FacilitySerializer,
    FacilityUpdateSerializer,
    FacilityWriteSerializer,
    RopeDueSerializer,
    StatusChangeSerializer,
    WireRopeRecordSerializer,
)


class FacilityKindViewSet(viewsets.ReadOnlyModelViewSet):
    """Kinds of facility and the schema of their attributes (reference data)."""

    queryset = FacilityKind.objects.order_by("sort", "code")
    serializer_class = FacilityKindSerializer
    lookup_field = "code"
    pagination_class = None

    def filter_queryset(self, queryset):
        industry = self.request.query_params.get("industry")
        return queryset.filter(industries__contains=[industry]) if industry else queryset


class FacilityFilterSet(EnterpriseOwnedFilterSet):
    kind = django_filters.CharFilter(field_name="kind__code", label=_("Facility kind code"))
    industry = django_filters.CharFilter(method="filter_industry", label=_("Industry"))
    status = django_filters.ChoiceFilter(choices=FacilityStatus.choices)
    parent = django_filters.NumberFilter(field_name="parent_id")

    class Meta:
        model = Facility
        fields = ["enterprise", "region", "kind", "industry", "status", "parent"]

    def filter_industry(self, queryset, name, value):
        return queryset.filter(kind__industries__contains=[value])


def resolve_parent(enterprise, parent_id):
    if parent_id is None:
        return None
    parent = Facility.objects.filter(pk=parent_id, enterprise=enterprise).select_related("kind").first()
    if parent is None:
        raise InvalidInput(_("Unknown parent facility."), field="parent")
    return parent


class FacilityViewSet(
    ScopedViewSetMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Facilities (设备设施) of the enterprises in scope; enterprises maintain their own."""

    queryset = (
        Facility.objects.active().select_related("kind", "enterprise__organisation").order_by("enterprise_id", "code")
    )
    serializer_class = FacilitySerializer
    filterset_class = FacilityFilterSet
    search_fields = ["code", "name", "registration_code"]
    ordering_fields = ["code", "name", "updated_at"]
    scope_actions = {
        "status_change": "change",
        "history": "view",
        "rope_records": "view",
        "stats": "view",
        "ropes_due": "view",
    }

    @extend_schema(request=FacilityWriteSerializer, responses={201: FacilitySerializer})
    def create(self, request, *args, **kwargs):
        data = FacilityWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        enterprise = resolve_enterprise(request.user, values.pop("enterprise"))
        values["parent"] = resolve_parent(enterprise, values.pop("parent", None))
        facility = services.register_facility(request.user, enterprise=enterprise, **values)
        return Response(FacilitySerializer(facility).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=FacilityUpdateSerializer, responses=FacilitySerializer)
    def update(self, request, *args, **kwargs):
        facility = self.get_object()
        data = FacilityUpdateSerializer(data=request.data, partial=kwargs.get("partial", False))
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        if "parent" in values:
            values["parent"] = resolve_parent(facility.enterprise, values["parent"])
        facility = services.update_facility(request.user, facility, **values)
        return Response(FacilitySerializer(facility).data)

    @extend_schema(request=StatusChangeSerializer, responses={201: StatusChangeSerializer})
    @action(detail=True, methods=["post"], url_path="status")
    def status_change(self, request, pk=None):
        """Put in service, stop (停用) or scrap (报废), with the date it takes effect."""
        data = StatusChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        change = services.change_status(request.user, self.get_object(), **data.validated_data)
        return Response(StatusChangeSerializer(change).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=StatusChangeSerializer(many=True))
    @action(detail=True, methods=["get"])
    def history(self, request, pk=None):
        facility = self.get_object()
        return Response(StatusChangeSerializer(facility.status_changes.select_related("recorded_by"), many=True).data)

    @extend_schema(
        request=WireRopeRecordSerializer,
        responses={200: WireRopeRecordSerializer(many=True), 201: WireRopeRecordSerializer},
    )
    @action(detail=True, methods=["get", "post"], url_path="rope-records")
    def rope_records(self, request, pk=None):
        """Inspection and replacement records of a wire rope (钢丝绳检查/更换); POST records one."""
        rope = self.get_object()
        if request.method == "POST":
            data = WireRopeRecordSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            record = services.record_rope_work(request.user, rope, **data.validated_data)
            return Response(WireRopeRecordSerializer(record).data, status=status.HTTP_201_CREATED)
        return Response(WireRopeRecordSerializer(rope.rope_records.select_related("recorded_by"), many=True).data)

    @extend_schema(
        parameters=[OpenApiParameter("within_days", int, description="default 7")],
        responses=RopeDueSerializer(many=True),
    )
    @action(detail=False, methods=["get"], url_path="ropes-due")
    def ropes_due(self, request):
        """Wire ropes whose inspection is due (提醒): never inspected, overdue or due within the window."""
        try:
            within = int(request.query_params.get("within_days", 7))
        except ValueError:
            raise InvalidInput(_("A whole number is required."), field="within_days") from None
        ropes = services.ropes_due(self.filter_queryset(self.get_queryset()), within_days=within)
        page = self.paginate_queryset(ropes.select_related("parent"))
        return self.get_paginated_response(RopeDueSerializer(page, many=True).data)

    @extend_schema(
        parameters=[OpenApiParameter("group_by", enum=["kind", "status", "city"], required=True)],
        responses=inline_serializer(
            "FacilityStats",
            {
                "group_by": serializers.CharField(),
                "total": serializers.IntegerField(),
                "rows": serializers.ListField(child=serializers.DictField()),
            },
        ),
    )
    @action(detail=False, methods=["get"])
    def stats(self, request):
        """Counts of the filtered facilities by kind (class), status or city (ENT-03, ENT-04)."""
        queryset = self.filter_queryset(self.get_queryset())
        rows = services.facility_stats(queryset, request.query_params.get("group_by", ""))
        return Response({"group_by": request.query_params.get("group_by"), "total": queryset.count(), "rows": rows})

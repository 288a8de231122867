import django_filters
from django.db.models import OuterRef, Q, Subquery
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.core.api.filters import EnterpriseOwnedFilterSet
from apps.core.api.lookups import in_scope
from apps.core.api.viewsets import ScopedViewSetMixin
from apps.enterprises.api.views import resolve_enterprise
from apps.facilities.models import Facility
from apps.monitoring import services, statistics
from apps.monitoring.models import Alarm, Gateway, MeasurementKind, MonitoringPoint

from .serializers import (
    GatewaySerializer,
    GatewayUpdateSerializer,
    GatewayWithSecretSerializer,
    GatewayWriteSerializer,
    MeasurementKindSerializer,
    MonitoringPointBriefSerializer,
    MonitoringPointSerializer,
    MonitoringPointWriteSerializer,
)
from .statistics import HistoryParams, PointHistorySerializer, PointStatusSerializer, params


class MeasurementKindViewSet(viewsets.ReadOnlyModelViewSet):
    """What monitoring points measure (监测指标类型), with units and signal type (reference data)."""

    queryset = MeasurementKind.objects.order_by("code")
    serializer_class = MeasurementKindSerializer
    lookup_field = "code"
    pagination_class = None
    filterset_fields = ["signal"]


def resolve_facility(user, facility_id) -> Facility:
    return in_scope(
        Facility.objects.active().select_related("enterprise__organisation"),
        user,
        facility_id,
        field="facility",
        unknown=_("Unknown facility."),
    )


class MonitoringPointFilterSet(EnterpriseOwnedFilterSet):
    facility = django_filters.NumberFilter(field_name="facility_id", label=_("Facility id"))
    kind = django_filters.CharFilter(field_name="kind__code", label=_("Measurement kind code"))
    in_use = django_filters.BooleanFilter(field_name="in_use")
    industry = django_filters.CharFilter(field_name="enterprise__industries__code", label=_("Industry"))
    q = django_filters.CharFilter(method="filter_text", label=_("Code, name or bit number"))

    class Meta:
        model = MonitoringPoint
        fields = ["enterprise", "region", "facility", "kind", "in_use", "industry", "q"]

    def filter_text(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(code__icontains=value) | Q(name__icontains=value) | Q(bit_number__icontains=value))


class MonitoringPointViewSet(
    ScopedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """Monitoring points (监测点位) with thresholds; enterprises maintain their own. DELETE retires a point."""

    queryset = (
        MonitoringPoint.objects.active()
        .select_related("kind", "facility", "enterprise__organisation")
        .order_by("enterprise_id", "code")
    )
    filterset_class = MonitoringPointFilterSet
    ordering_fields = ["code", "name", "updated_at"]
    # Retiring is a soft delete: the role's change permission suffices.
    scope_actions = {"destroy": "change"}

    def get_serializer_class(self):
        return MonitoringPointBriefSerializer if self.action == "list" else MonitoringPointSerializer

    @extend_schema(request=MonitoringPointWriteSerializer, responses={201: MonitoringPointSerializer})
    def create(self, request, *args, **kwargs):
        data = MonitoringPointWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values["facility"] = resolve_facility(request.user, values["facility"])
        point = services.create_point(request.user, **values)
        return Response(MonitoringPointSerializer(point).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=MonitoringPointWriteSerializer, responses=MonitoringPointSerializer)
    def update(self, request, *args, **kwargs):
        point = self.get_object()
        data = MonitoringPointWriteSerializer(data=request.data, partial=kwargs.get("partial", False))
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        if "facility" in values:
            values["facility"] = resolve_facility(request.user, values["facility"])
        point = services.update_point(request.user, point, **values)
        return Response(MonitoringPointSerializer(point).data)

    @extend_schema(responses={204: None})
    def destroy(self, request, *args, **kwargs):
        services.retire_point(request.user, self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses=PointStatusSerializer(many=True))
    @action(detail=False, methods=["get"], url_path="status")
    def realtime_status(self, request):
        """Latest value, level, online status, limits and active alarm of the filtered points (实时状态),
        in a constant number of queries whatever the page size."""
        page = self.paginate_queryset(self._with_status(self.filter_queryset(self.get_queryset())))
        return self.get_paginated_response(PointStatusSerializer(page, many=True).data)

    @extend_schema(responses=PointStatusSerializer)
    @action(detail=True, methods=["get"], url_path="state")
    def realtime_state(self, request, pk=None):
        """One point's real-time state (MON-03): the status row, with ``state`` ``normal``,
        ``abnormal`` (outside a limit, a switch in its abnormal state, or offline) or ``no_data``."""
        point = self.get_object()
        row = PointStatusSerializer(self._with_status(self.get_queryset().filter(pk=point.pk)).get()).data
        if row["ts"] is None:
            row["state"] = "no_data"
        else:
            row["state"] = "normal" if row["level"] == "normal" and row["online"] else "abnormal"
        return Response(row)

    @staticmethod
    def _with_status(queryset):
        active = Alarm.objects.filter(point=OuterRef("pk"), is_active=True).order_by("-started_at")
        return queryset.select_related("state").annotate(
            active_alarm=Subquery(active.values("pk")[:1]), active_alarm_level=Subquery(active.values("level")[:1])
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("since", description="ISO date-time or date (Beijing day); default 24 h before until"),
            OpenApiParameter("until", description="ISO date-time or date (that whole day); default now"),
        ],
        responses=PointHistorySerializer,
    )
    @action(detail=True, methods=["get"])
    def history(self, request, pk=None):
        """Readings over a range for a chart (历史回看): raw up to 6 h, minute rollups up to 7 days,
        hour rollups beyond, at most 5,000 values."""
        point = self.get_object()
        values = params(HistoryParams, request)
        return Response(statistics.point_history(point, values["since"], values["until"]))


class GatewayFilterSet(EnterpriseOwnedFilterSet):
    is_enabled = django_filters.BooleanFilter(field_name="is_enabled")
    q = django_filters.CharFilter(method="filter_text", label=_("Gateway id or name"))

    class Meta:
        model = Gateway
        fields = ["enterprise", "region", "is_enabled", "q"]

    def filter_text(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(gateway_id__icontains=value) | Q(name__icontains=value))


class GatewayViewSet(
    ScopedViewSetMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Data-collection gateways (采集网关, contract §2). The secret is shown only on creation and rotation."""

    queryset = Gateway.objects.select_related("enterprise__organisation").order_by("gateway_id")
    serializer_class = GatewaySerializer
    filterset_class = GatewayFilterSet
    ordering_fields = ["gateway_id", "name", "last_seen_at", "updated_at"]
    scope_actions = {"rotate_secret": "change"}

    @extend_schema(request=GatewayWriteSerializer, responses={201: GatewayWithSecretSerializer})
    def create(self, request, *args, **kwargs):
        data = GatewayWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        enterprise = resolve_enterprise(request.user, values.pop("enterprise"))
        gateway, secret = services.create_gateway(request.user, enterprise=enterprise, **values)
        return Response(
            GatewayWithSecretSerializer(gateway, context={"secret": secret}).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=GatewayUpdateSerializer, responses=GatewaySerializer)
    def update(self, request, *args, **kwargs):
        gateway = self.get_object()
        data = GatewayUpdateSerializer(data=request.data, partial=kwargs.get("partial", False))
        data.is_valid(raise_exception=True)
        gateway = services.update_gateway(request.user, gateway, **data.validated_data)
        return Response(GatewaySerializer(gateway).data)

    @extend_schema(request=None, responses=GatewayWithSecretSerializer)
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        """Replace the secret; the new one is shown once, and the old one stops working at once."""
        gateway = self.get_object()
        secret = services.rotate_gateway_secret(request.user, gateway)
        return Response(GatewayWithSecretSerializer(gateway, context={"secret": secret}).data)

"""Maintenance and calibration windows API (检维修/标定): enterprises declare and cancel windows for
their points or facilities; regulators see those of their jurisdiction."""

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.core.api.filters import EnterpriseOwnedFilterSet
from apps.core.api.lookups import in_scope
from apps.core.api.viewsets import ScopedViewSetMixin
from apps.monitoring import services
from apps.monitoring.models import MaintenanceWindow, MonitoringPoint

from .views import resolve_facility


class MaintenanceWindowSerializer(serializers.ModelSerializer):
    enterprise_name = serializers.CharField(source="enterprise.organisation.name", read_only=True)
    facility_name = serializers.CharField(source="facility.name", read_only=True, allow_null=True, default=None)
    point_code = serializers.CharField(source="point.code", read_only=True, allow_null=True, default=None)
    point_name = serializers.CharField(source="point.name", read_only=True, allow_null=True, default=None)
    is_active = serializers.SerializerMethodField(help_text="not cancelled and in force now")
    created_by_name = serializers.SerializerMethodField()

    class Meta:
        model = MaintenanceWindow
        fields = [
            "id",
            "enterprise",
            "enterprise_name",
            "facility",
            "facility_name",
            "point",
            "point_code",
            "point_name",
            "starts_at",
            "ends_at",
            "reason",
            "note",
            "cancelled",
            "is_active",
            "created_by_name",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_is_active(self, obj) -> bool:
        return not obj.cancelled and obj.starts_at <= timezone.now() < obj.ends_at

    def get_created_by_name(self, obj) -> str:
        user = obj.created_by
        return (user.real_name or user.username) if user is not None else ""


class MaintenanceWindowWriteSerializer(serializers.Serializer):
    point = serializers.IntegerField(required=False, allow_null=True, default=None, help_text="point id")
    facility = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="facility id: every point on it"
    )
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    reason = serializers.ChoiceField(
        choices=MaintenanceWindow.Reason.choices, default=MaintenanceWindow.Reason.MAINTENANCE
    )
    note = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class MaintenanceWindowUpdateSerializer(serializers.Serializer):
    starts_at = serializers.DateTimeField(required=False)
    ends_at = serializers.DateTimeField(required=False)
    reason = serializers.ChoiceField(choices=MaintenanceWindow.Reason.choices, required=False)
    note = serializers.CharField(max_length=255, required=False, allow_blank=True)


class MaintenanceWindowFilterSet(EnterpriseOwnedFilterSet):
    active = django_filters.BooleanFilter(method="filter_active", label=_("In force now"))
    since = django_filters.IsoDateTimeFilter(field_name="ends_at", lookup_expr="gt", label=_("Ending after"))
    until = django_filters.IsoDateTimeFilter(field_name="starts_at", lookup_expr="lt", label=_("Starting before"))
    point = django_filters.NumberFilter(field_name="point_id", label=_("Point id"))
    facility = django_filters.NumberFilter(field_name="facility_id", label=_("Facility id"))

    class Meta:
        model = MaintenanceWindow
        fields = ["enterprise", "region", "active", "since", "until", "point", "facility", "reason", "cancelled"]

    def filter_active(self, queryset, name, value):
        now = timezone.now()
        in_force = Q(cancelled=False, starts_at__lte=now, ends_at__gt=now)
        return queryset.filter(in_force) if value else queryset.exclude(in_force)


class MaintenanceWindowViewSet(
    ScopedViewSetMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Maintenance and calibration windows (检维修/标定): alarms inside one are recorded, not pushed.
    Windows are never deleted; ``cancel`` ends one's effect and keeps the record."""

    queryset = MaintenanceWindow.objects.select_related(
        "enterprise__organisation", "facility", "point", "created_by"
    ).order_by("-starts_at", "-id")
    serializer_class = MaintenanceWindowSerializer
    filterset_class = MaintenanceWindowFilterSet
    ordering_fields = ["starts_at", "ends_at", "created_at"]
    scope_actions = {"cancel": "change"}

    @extend_schema(request=MaintenanceWindowWriteSerializer, responses={201: MaintenanceWindowSerializer})
    def create(self, request, *args, **kwargs):
        data = MaintenanceWindowWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        if values["point"] is not None:
            values["point"] = in_scope(
                MonitoringPoint.objects.active().select_related("enterprise__organisation"),
                request.user,
                values["point"],
                field="point",
                unknown=_("Unknown monitoring point."),
            )
        if values["facility"] is not None:
            values["facility"] = resolve_facility(request.user, values["facility"])
        window = services.declare_maintenance_window(request.user, **values)
        return Response(MaintenanceWindowSerializer(window).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=MaintenanceWindowUpdateSerializer, responses=MaintenanceWindowSerializer)
    def update(self, request, *args, **kwargs):
        window = self.get_object()
        data = MaintenanceWindowUpdateSerializer(data=request.data, partial=kwargs.get("partial", False))
        data.is_valid(raise_exception=True)
        window = services.update_maintenance_window(request.user, window, **data.validated_data)
        return Response(MaintenanceWindowSerializer(window).data)

    @extend_schema(request=None, responses=MaintenanceWindowSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel the window: alarms are pushed again from now on."""
        window = services.cancel_maintenance_window(request.user, self.get_object())
        return Response(MaintenanceWindowSerializer(window).data)

"""Alarm centre API (报警中心): scoped lists, one alarm with its history, handling feedback."""

import django_filters
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.core.api.filters import EnterpriseOwnedFilterSet
from apps.core.api.viewsets import ScopedViewSetMixin
from apps.monitoring import services
from apps.monitoring.models import Alarm, AlarmEvent


class AlarmEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AlarmEvent
        fields = ["ts", "event", "level", "value"]


class AlarmSerializer(serializers.ModelSerializer):
    point_code = serializers.CharField(source="point.code", read_only=True)
    point_name = serializers.CharField(source="point.name", read_only=True)
    unit = serializers.CharField(source="point.unit", read_only=True)
    enterprise_name = serializers.CharField(source="enterprise.organisation.name", read_only=True)
    duration_s = serializers.SerializerMethodField()
    long_uncleared = serializers.SerializerMethodField()

    class Meta:
        model = Alarm
        fields = [
            "id",
            "enterprise",
            "enterprise_name",
            "point",
            "point_code",
            "point_name",
            "unit",
            "side",
            "level",
            "threshold",
            "started_at",
            "ended_at",
            "duration_s",
            "peak_value",
            "last_value",
            "is_active",
            "long_uncleared",
            "handled_at",
            "handler",
            "cause",
            "measures",
            "result",
        ]
        read_only_fields = fields

    def get_duration_s(self, obj) -> float | None:
        end = obj.ended_at or timezone.now()
        return round((end - obj.started_at).total_seconds(), 1)

    def get_long_uncleared(self, obj) -> bool:
        hours = settings.ANQUAN_ALARM_LONG_UNCLEARED_HOURS
        return obj.is_active and (timezone.now() - obj.started_at).total_seconds() > hours * 3600


class AlarmDetailSerializer(AlarmSerializer):
    events = AlarmEventSerializer(many=True, read_only=True)

    class Meta(AlarmSerializer.Meta):
        fields = AlarmSerializer.Meta.fields + ["events"]
        read_only_fields = fields


class HandlingSerializer(serializers.Serializer):
    cause = serializers.CharField(max_length=255)
    measures = serializers.CharField(max_length=500)
    result = serializers.CharField(max_length=255)
    handler = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")


class AlarmFilterSet(EnterpriseOwnedFilterSet):
    active = django_filters.BooleanFilter(field_name="is_active")
    handled = django_filters.BooleanFilter(field_name="handled_at", lookup_expr="isnull", exclude=True)
    long_uncleared = django_filters.BooleanFilter(method="filter_long_uncleared", label=_("long-uncleared"))
    since = django_filters.IsoDateTimeFilter(field_name="started_at", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="started_at", lookup_expr="lt")
    industry = django_filters.CharFilter(field_name="enterprise__industries__code")

    class Meta:
        model = Alarm
        fields = [
            "enterprise",
            "region",
            "point",
            "side",
            "level",
            "active",
            "handled",
            "long_uncleared",
            "since",
            "until",
            "industry",
        ]

    def filter_long_uncleared(self, queryset, name, value):
        flagged = queryset.long_uncleared()
        return flagged if value else queryset.exclude(pk__in=flagged.values("pk"))


class AlarmViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Alarms of the enterprises in scope, newest first; enterprises record their handling."""

    queryset = Alarm.objects.select_related("point", "enterprise__organisation").order_by("-started_at", "-id")
    filterset_class = AlarmFilterSet
    scope_actions = {"handling": "change"}

    def get_serializer_class(self):
        return AlarmDetailSerializer if self.action == "retrieve" else AlarmSerializer

    def get_queryset(self):
        queryset = super().get_queryset()
        return queryset.prefetch_related("events") if self.action == "retrieve" else queryset

    @extend_schema(request=HandlingSerializer, responses=AlarmSerializer)
    @action(detail=True, methods=["post"])
    def handling(self, request, pk=None):
        """Record the cause, measures and result (处置反馈)."""
        data = HandlingSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        alarm = services.record_handling(request.user, self.get_object(), **data.validated_data)
        return Response(AlarmSerializer(alarm).data)

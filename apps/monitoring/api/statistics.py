"""Monitoring statistics and data-quality API (统计分析/数据质量), and the serializers of the points'
real-time status and history. Thin: parameters are validated here, figures come from
``apps.monitoring.statistics`` and ``apps.monitoring.quality``, scoped by the caller."""

import datetime as dt

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.core.api.viewsets import ScopedViewSetMixin
from apps.monitoring import quality, statistics
from apps.monitoring.models import Alarm, MonitoringPoint
from apps.monitoring.storage import BEIJING

# Query parameters ----------------------------------------------------------------------------------------------------


@extend_schema_field(OpenApiTypes.STR)
class InstantField(serializers.Field):
    """An ISO 8601 date-time, or a date (a Beijing day: its start, or for an end its whole day)."""

    default_error_messages = {"invalid": _("Give a date (YYYY-MM-DD) or an ISO 8601 date-time.")}

    def __init__(self, *, end=False, **kwargs):
        self.end = end
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        text = str(data).strip()
        try:
            moment = parse_datetime(text)
            day = None if moment else parse_date(text)
        except ValueError:
            self.fail("invalid")
        if moment is not None:
            return moment if timezone.is_aware(moment) else moment.replace(tzinfo=BEIJING)
        if day is None:
            self.fail("invalid")
        return statistics.beijing_midnight(day + dt.timedelta(days=1) if self.end else day)

    def to_representation(self, value):
        return value.isoformat()


class RangeMixin:
    max_days = statistics.MAX_RANGE_DAYS

    def validate(self, attrs):
        since, until = attrs.get("since"), attrs.get("until")
        if since is not None and until is not None:
            if since > until:
                raise serializers.ValidationError({"until": [_("The end of the range must not be before its start.")]})
            if until - since > dt.timedelta(days=self.max_days):
                raise serializers.ValidationError(
                    {"until": [_("A range covers at most %(days)s days.") % {"days": self.max_days}]}
                )
        return attrs


class AccessParams(serializers.Serializer):
    group_by = serializers.ChoiceField(choices=statistics.GROUPS, required=False, default="region")
    region = serializers.CharField(required=False, allow_blank=True, default="")


class AlarmParams(RangeMixin, AccessParams):
    group_by = serializers.ChoiceField(choices=statistics.ALARM_GROUPS, required=False, default="region")
    since = InstantField(required=False)
    until = InstantField(required=False, end=True)

    def validate(self, attrs):
        attrs.setdefault("until", timezone.now())
        attrs.setdefault("since", attrs["until"] - dt.timedelta(days=30))
        return super().validate(attrs)


class OnlineRateParams(RangeMixin, serializers.Serializer):
    subject = serializers.ChoiceField(choices=statistics.SUBJECTS, required=False, default="enterprise")
    group_by = serializers.ChoiceField(choices=statistics.GROUPS, required=False, allow_null=True, default=None)
    region = serializers.CharField(required=False, allow_blank=True, default="")
    since = serializers.DateField(required=False)
    until = serializers.DateField(required=False)

    def validate(self, attrs):
        attrs.setdefault("until", statistics.beijing_today())
        attrs.setdefault("since", attrs["until"] - dt.timedelta(days=29))
        return super().validate(attrs)


class HistoryParams(RangeMixin, serializers.Serializer):
    since = InstantField(required=False)
    until = InstantField(required=False, end=True)

    def validate(self, attrs):
        attrs.setdefault("until", timezone.now())
        attrs.setdefault("since", attrs["until"] - dt.timedelta(hours=24))
        return super().validate(attrs)


class QualityParams(serializers.Serializer):
    kind = serializers.ChoiceField(choices=quality.KINDS, required=False, allow_null=True, default=None)
    enterprise = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1)
    subject = serializers.ChoiceField(
        choices=("point", "gateway", "enterprise", "alarm"), required=False, allow_null=True, default=None
    )
    min_days = serializers.FloatField(required=False, allow_null=True, default=None, min_value=0, max_value=3650)
    older_than_hours = serializers.FloatField(
        required=False, allow_null=True, default=None, min_value=0, max_value=24 * 3650
    )


def params(serializer_class, request):
    data = serializer_class(data={k: v for k, v in request.query_params.items() if v != ""})
    data.is_valid(raise_exception=True)
    return data.validated_data


# Response shapes (for the schema; the figures are built as plain dicts) --------------------------------------------


class AccessRowSerializer(serializers.Serializer):
    key = serializers.CharField(allow_null=True, help_text="region code or industry code; null for the total")
    name = serializers.CharField()
    enterprises_connected = serializers.IntegerField()
    enterprises_online = serializers.IntegerField()
    points_connected = serializers.IntegerField()
    points_online = serializers.IntegerField()
    points_alarming = serializers.IntegerField()
    alarms_raised_today = serializers.IntegerField()
    alarms_cleared_today = serializers.IntegerField()


class AccessSummarySerializer(serializers.Serializer):
    group_by = serializers.CharField()
    region = serializers.CharField(allow_null=True)
    rows = AccessRowSerializer(many=True)
    total = AccessRowSerializer()


class AlarmRowSerializer(serializers.Serializer):
    key = serializers.CharField(allow_null=True, help_text="region code, industry code, enterprise id or point id")
    name = serializers.CharField(allow_null=True)
    code = serializers.CharField(required=False, help_text="point code (by point)")
    enterprise_id = serializers.IntegerField(required=False, help_text="by enterprise or point")
    enterprise_name = serializers.CharField(required=False, help_text="by enterprise or point")
    raised = serializers.IntegerField()
    cleared = serializers.IntegerField()
    active = serializers.IntegerField()
    handled = serializers.IntegerField()
    unhandled = serializers.IntegerField()
    long_uncleared = serializers.IntegerField()


class AlarmSummarySerializer(serializers.Serializer):
    group_by = serializers.CharField()
    region = serializers.CharField(allow_null=True)
    since = serializers.DateTimeField()
    until = serializers.DateTimeField()
    rows = AlarmRowSerializer(many=True)
    truncated = serializers.BooleanField()
    total = AlarmRowSerializer()


class OnlineDaySerializer(serializers.Serializer):
    day = serializers.DateField()
    online_rate = serializers.FloatField(allow_null=True)
    online_s = serializers.IntegerField()
    observed_s = serializers.IntegerField()
    subjects = serializers.IntegerField()


class OnlineRowSerializer(serializers.Serializer):
    key = serializers.CharField(allow_null=True)
    name = serializers.CharField()
    should_connect = serializers.IntegerField()
    connected = serializers.IntegerField()
    online = serializers.IntegerField()
    connection_rate = serializers.FloatField(allow_null=True)
    online_rate = serializers.FloatField(allow_null=True)
    online_s = serializers.IntegerField()
    observed_s = serializers.IntegerField()
    days = OnlineDaySerializer(many=True)


class OnlineRatesSerializer(serializers.Serializer):
    subject = serializers.CharField()
    since = serializers.DateField()
    until = serializers.DateField()
    group_by = serializers.CharField(allow_null=True)
    region = serializers.CharField(allow_null=True)
    rows = OnlineRowSerializer(many=True)
    total = OnlineRowSerializer()


class QualityFindingSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=quality.KINDS)
    subject = serializers.CharField(help_text="point, gateway, enterprise or alarm")
    subject_id = serializers.IntegerField()
    subject_name = serializers.CharField(allow_null=True)
    enterprise_id = serializers.IntegerField()
    enterprise_name = serializers.CharField()
    region_name = serializers.CharField(allow_null=True)
    point_id = serializers.IntegerField(allow_null=True)
    point_code = serializers.CharField(allow_null=True)
    point_name = serializers.CharField(allow_null=True)
    figure = serializers.FloatField()
    measure = serializers.CharField(help_text="alarms, minutes, hours, ratio or days")
    since = serializers.DateTimeField(allow_null=True)


class QualityEnterpriseSerializer(serializers.Serializer):
    enterprise_id = serializers.IntegerField()
    enterprise_name = serializers.CharField()
    region_name = serializers.CharField(allow_null=True)
    counts = serializers.DictField(child=serializers.IntegerField())
    total = serializers.IntegerField()


class QualitySummarySerializer(serializers.Serializer):
    thresholds = serializers.DictField(child=serializers.FloatField())
    kinds = serializers.DictField(child=serializers.IntegerField())
    total = serializers.IntegerField()
    enterprises = QualityEnterpriseSerializer(many=True)


class LimitsSerializer(serializers.Serializer):
    range_low = serializers.FloatField(allow_null=True)
    range_high = serializers.FloatField(allow_null=True)
    low_low = serializers.FloatField(allow_null=True)
    low = serializers.FloatField(allow_null=True)
    high = serializers.FloatField(allow_null=True)
    high_high = serializers.FloatField(allow_null=True)


class PointHistorySerializer(serializers.Serializer):
    point = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    unit = serializers.CharField()
    since = serializers.DateTimeField()
    until = serializers.DateTimeField()
    resolution = serializers.ChoiceField(choices=("raw", "minute", "hour"))
    bucket_s = serializers.IntegerField(allow_null=True, help_text="width of a value's bucket; null for raw")
    limits = LimitsSerializer()
    series = serializers.ListField(
        child=serializers.ListField(), help_text="[time, average, minimum, maximum, count] per bucket or reading"
    )


class PointStatusSerializer(serializers.ModelSerializer):
    """A point's latest value and state (实时状态), for status boards."""

    kind = serializers.SlugRelatedField(slug_field="code", read_only=True)
    signal = serializers.CharField(source="kind.signal", read_only=True)
    facility_name = serializers.CharField(source="facility.name", read_only=True)
    enterprise_name = serializers.CharField(source="enterprise.organisation.name", read_only=True)
    value = serializers.SerializerMethodField()
    ts = serializers.SerializerMethodField()
    received_at = serializers.SerializerMethodField()
    level = serializers.SerializerMethodField()
    online = serializers.SerializerMethodField()
    online_changed_at = serializers.SerializerMethodField()
    limits = serializers.SerializerMethodField()
    active_alarm = serializers.IntegerField(read_only=True, allow_null=True, help_text="id of the active alarm")
    active_alarm_level = serializers.CharField(read_only=True, allow_null=True)

    class Meta:
        model = MonitoringPoint
        fields = [
            "id",
            "enterprise",
            "enterprise_name",
            "facility",
            "facility_name",
            "code",
            "name",
            "kind",
            "signal",
            "unit",
            "value",
            "ts",
            "received_at",
            "level",
            "online",
            "online_changed_at",
            "limits",
            "active_alarm",
            "active_alarm_level",
        ]
        read_only_fields = fields

    @staticmethod
    def _state(obj):
        try:
            return obj.state
        except MonitoringPoint.state.RelatedObjectDoesNotExist:
            return None

    def _of_state(self, obj, field):
        state = self._state(obj)
        return getattr(state, field) if state is not None else None

    def get_value(self, obj) -> float | None:
        return self._of_state(obj, "value")

    @staticmethod
    def _time(value):
        return value.astimezone(BEIJING).isoformat() if value is not None else None

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_ts(self, obj):
        return self._time(self._of_state(obj, "ts"))

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_received_at(self, obj):
        return self._time(self._of_state(obj, "received_at"))

    def get_level(self, obj) -> str | None:
        return self._of_state(obj, "level")

    def get_online(self, obj) -> bool:
        return bool(self._of_state(obj, "online"))

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_online_changed_at(self, obj):
        return self._time(self._of_state(obj, "online_changed_at"))

    @extend_schema_field(LimitsSerializer)
    def get_limits(self, obj):
        return {f: getattr(obj, f) for f in statistics.LIMIT_FIELDS}


# Views ---------------------------------------------------------------------------------------------------------------


class MonitoringStatisticsViewSet(ScopedViewSetMixin, viewsets.GenericViewSet):
    """Statistics of monitoring (统计分析) over the caller's jurisdiction: access and online status,
    alarms, daily online rates. Reading points' statistics needs the right to view points; alarm
    statistics the right to view alarms."""

    queryset = MonitoringPoint.objects.all()
    pagination_class = None
    filter_backends = []

    def get_queryset(self):
        if self.action == "alarms":  # the permission checked is the alarms' one
            return Alarm.objects.all()
        return super().get_queryset()

    @extend_schema(
        parameters=[
            OpenApiParameter("group_by", enum=list(statistics.GROUPS), description="default region"),
            OpenApiParameter("region", description="region code whose children are the rows (default: jurisdiction)"),
        ],
        responses=AccessSummarySerializer,
    )
    @action(detail=False, methods=["get"])
    def access(self, request):
        """Connected, online and alarming enterprises and points per region or industry (MON-11)."""
        values = params(AccessParams, request)
        return Response(
            statistics.access_summary(request.user, group_by=values["group_by"], region=values["region"] or None)
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("group_by", enum=list(statistics.ALARM_GROUPS), description="default region"),
            OpenApiParameter("region", description="region code whose children are the rows (default: jurisdiction)"),
            OpenApiParameter("since", description="date (Beijing day) or ISO date-time; default 30 days ago"),
            OpenApiParameter("until", description="date (that whole day) or ISO date-time; default now"),
        ],
        responses=AlarmSummarySerializer,
    )
    @action(detail=False, methods=["get"])
    def alarms(self, request):
        """Alarms raised, cleared, active, handled and unhandled, long-uncleared (MON-10)."""
        values = params(AlarmParams, request)
        return Response(
            statistics.alarm_summary(
                request.user,
                since=values["since"],
                until=values["until"],
                group_by=values["group_by"],
                region=values["region"] or None,
            )
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("subject", enum=list(statistics.SUBJECTS), description="default enterprise"),
            OpenApiParameter("group_by", enum=list(statistics.GROUPS), description="default: the total only"),
            OpenApiParameter("region", description="region code whose children are the rows (default: jurisdiction)"),
            OpenApiParameter("since", OpenApiTypes.DATE, description="first Beijing day; default 29 days before until"),
            OpenApiParameter("until", OpenApiTypes.DATE, description="last Beijing day, inclusive; default today"),
        ],
        responses=OnlineRatesSerializer,
    )
    @action(detail=False, methods=["get"], url_path="online-rates")
    def online_rates(self, request):
        """Daily online rates (在线率) with should-connect, connected and online enterprises (ANA-01/02)."""
        values = params(OnlineRateParams, request)
        return Response(
            statistics.online_rates(
                request.user,
                subject=values["subject"],
                since=values["since"],
                until=values["until"],
                group_by=values["group_by"],
                region=values["region"] or None,
            )
        )


class DataQualityViewSet(ScopedViewSetMixin, viewsets.GenericViewSet):
    """Sensing-data quality findings (数据质量): frequent alarms, out-of-range, stuck values, missing
    data, long-uncleared alarms, long offline (ANA-04/05/07/09, MON-13/14)."""

    queryset = MonitoringPoint.objects.all()
    filter_backends = []

    @extend_schema(
        parameters=[
            OpenApiParameter("kind", enum=list(quality.KINDS), description="default: every kind"),
            OpenApiParameter("enterprise", int, description="enterprise id"),
            OpenApiParameter("subject", enum=["point", "gateway", "enterprise", "alarm"]),
            OpenApiParameter("min_days", float, description="long_offline: days offline (default from settings)"),
            OpenApiParameter("older_than_hours", float, description="long_uncleared: hours active (default setting)"),
        ],
        responses=QualityFindingSerializer(many=True),
    )
    def list(self, request):
        """Findings in the caller's scope, by kind then worst first."""
        values = params(QualityParams, request)
        rows = quality.quality_findings(
            request.user,
            kind=values["kind"],
            enterprise_id=values["enterprise"],
            subject=values["subject"],
            min_days=values["min_days"],
            older_than_hours=values["older_than_hours"],
        )
        return self.get_paginated_response(self.paginate_queryset(rows))

    @extend_schema(responses=QualitySummarySerializer)
    @action(detail=False, methods=["get"])
    def summary(self, request):
        """Findings counted per kind and per enterprise, for drill-down."""
        return Response(quality.quality_summary(request.user))

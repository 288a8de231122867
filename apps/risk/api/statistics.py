"""Risk statistics, maps and dashboards (风险统计, 一张图). Thin: parameters are validated here, the
figures come from ``apps.risk.statistics``, which reads through the caller's scope. Each action needs
the view permission of the records it counts (``get_queryset`` names their model)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.core.api.viewsets import ScopedViewSetMixin
from apps.enterprises.models import Enterprise
from apps.monitoring.api.statistics import params
from apps.risk import statistics
from apps.risk.models import LEVEL_CODES, EnterpriseRisk, RiskDay, Warning

from .serializers import IndustryCodeField
from .views import ENTERPRISE_ID, enterprise_in_scope

REGION_HELP = "region code whose children are the rows (default: the caller's jurisdiction)"


# Query parameters -------------------------------------------------------------------------------------------------


class ScopeParams(serializers.Serializer):
    region = serializers.CharField(required=False, allow_blank=True, default="")
    industry = IndustryCodeField(required=False, allow_blank=True, default="")


class CurrentParams(ScopeParams):
    group_by = serializers.CharField(required=False, allow_blank=True, default="")

    def validate_group_by(self, value):
        return statistics.parse_dims(value)  # 400 on an unsupported dimension (RSK-30)


class TrendParams(ScopeParams):
    period = serializers.ChoiceField(choices=statistics.PERIODS, required=False, default="day")
    since = serializers.DateField(required=False, allow_null=True, default=None)
    until = serializers.DateField(required=False, allow_null=True, default=None)


class EnterpriseTrendParams(serializers.Serializer):
    period = serializers.ChoiceField(choices=statistics.PERIODS, required=False, default="day")
    since = serializers.DateField(required=False, allow_null=True, default=None)
    until = serializers.DateField(required=False, allow_null=True, default=None)


class WarningStatsParams(serializers.Serializer):
    group_by = serializers.ChoiceField(choices=("level", "region", "industry"), required=False, default="level")
    region = serializers.CharField(required=False, allow_blank=True, default="")
    since = serializers.DateField(required=False, allow_null=True, default=None)
    until = serializers.DateField(required=False, allow_null=True, default=None)


class PointsParams(ScopeParams):
    level = serializers.ChoiceField(choices=list(LEVEL_CODES), required=False, allow_null=True, default=None)


class ByParams(serializers.Serializer):
    by = serializers.ChoiceField(choices=("region", "industry"), required=False, default="region")
    region = serializers.CharField(required=False, allow_blank=True, default="")


class ChangeParams(ByParams):
    since = serializers.DateField(required=False, allow_null=True, default=None)


# Response shapes (for the schema; the figures are plain dicts) ----------------------------------------------------


class CurrentCountsSerializer(serializers.Serializer):
    region = serializers.CharField(allow_null=True)
    group_by = serializers.ListField(child=serializers.CharField())
    levels = serializers.ListField(child=serializers.DictField())
    totals = serializers.DictField(child=serializers.IntegerField())
    rows = serializers.ListField(
        child=serializers.DictField(),
        help_text="one per combination of the dimensions: their codes and <dim>_name, counts per level, total",
    )


class TrendSerializer(serializers.Serializer):
    period = serializers.CharField()
    since = serializers.DateField()
    until = serializers.DateField()
    series = serializers.ListField(
        child=serializers.DictField(), help_text="period, counts (enterprises by worst level), mean_score, max_score"
    )


class WarningStatsSerializer(serializers.Serializer):
    since = serializers.DateField()
    until = serializers.DateField()
    group_by = serializers.CharField()
    rows = serializers.ListField(
        child=serializers.DictField(),
        help_text="key, name, raised, acknowledged, fed_back, fed_back_in_time, closed, overdue, escalated, "
        "feedback_rate, in_time_rate, mean_feedback_hours",
    )
    totals = serializers.DictField(child=serializers.IntegerField())
    feedback_rate = serializers.FloatField(allow_null=True)


class FeatureCollectionSerializer(serializers.Serializer):
    type = serializers.CharField()
    features = serializers.ListField(child=serializers.DictField())


class CountsRowSerializer(serializers.Serializer):
    key = serializers.CharField(allow_null=True)
    name = serializers.CharField()
    counts = serializers.DictField(child=serializers.IntegerField())
    total = serializers.IntegerField()


class SafetyWarningsSerializer(serializers.Serializer):
    by = serializers.CharField()
    region = serializers.CharField(allow_null=True)
    levels = serializers.ListField(child=serializers.DictField())
    rows = CountsRowSerializer(many=True)
    totals = serializers.DictField(child=serializers.IntegerField())
    total = serializers.IntegerField()


class ChangeRowSerializer(serializers.Serializer):
    key = serializers.CharField(allow_null=True)
    name = serializers.CharField()
    added = serializers.IntegerField()
    removed = serializers.IntegerField()
    current = serializers.IntegerField()
    delta = serializers.IntegerField()
    change = serializers.ChoiceField(choices=("increase", "decrease", "none"))
    magnitude = serializers.IntegerField(help_text="0 no change; 1–4 relative to the largest change")


class EnterpriseChangeSerializer(serializers.Serializer):
    by = serializers.CharField()
    region = serializers.CharField(allow_null=True)
    since = serializers.DateField()
    rows = ChangeRowSerializer(many=True)
    totals = serializers.DictField(child=serializers.IntegerField())


def _or_none(value):
    return value or None


# Views --------------------------------------------------------------------------------------------------------------


class RiskStatisticsViewSet(ScopedViewSetMixin, viewsets.GenericViewSet):
    """Risk and warning statistics over the caller's jurisdiction (RSK-05, RSK-30, ANA-08)."""

    queryset = EnterpriseRisk.objects.all()
    pagination_class = None
    filter_backends = []
    scope_actions = {"current": "view", "trend": "view", "warnings": "view", "enterprise_trend": "view"}

    def get_queryset(self):
        if self.action in ("trend", "enterprise_trend"):  # the permission checked is that of the records read
            return RiskDay.objects.all()
        if self.action == "warnings":
            return Warning.objects.all()
        return super().get_queryset()

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "group_by",
                description="comma list of: level, " + ", ".join(statistics.DIMENSIONS) + " (default region)",
            ),
            OpenApiParameter("region", description=REGION_HELP),
            OpenApiParameter("industry", description="industry code"),
        ],
        responses=CurrentCountsSerializer,
    )
    @action(detail=False, methods=["get"], url_path="risk/current")
    def current(self, request):
        """Enterprises per current level, per combination of the chosen dimensions (RSK-05, RSK-30)."""
        values = params(CurrentParams, request)
        return Response(
            statistics.current_counts(
                request.user,
                dims=values["group_by"],
                region=_or_none(values["region"]),
                industry=_or_none(values["industry"]),
            )
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("period", enum=list(statistics.PERIODS), description="default day"),
            OpenApiParameter("since", OpenApiTypes.DATE, description="first Beijing day"),
            OpenApiParameter("until", OpenApiTypes.DATE, description="last Beijing day (default today)"),
            OpenApiParameter("region", description="region code (subtree; default: the jurisdiction)"),
            OpenApiParameter("industry", description="industry code"),
        ],
        responses=TrendSerializer,
    )
    @action(detail=False, methods=["get"], url_path="risk/trend")
    def trend(self, request):
        """Risk trend (风险趋势) per day, week or month: enterprises by their worst level, mean and highest
        score (RSK-09/10)."""
        values = params(TrendParams, request)
        return Response(
            statistics.trend(
                request.user,
                period=values["period"],
                since=values["since"],
                until=values["until"],
                region=_or_none(values["region"]),
                industry=_or_none(values["industry"]),
            )
        )

    # Routed in urls.py: GET /enterprises/{enterprise_id}/risk/trend
    @extend_schema(
        parameters=[
            ENTERPRISE_ID,
            OpenApiParameter("period", enum=list(statistics.PERIODS), description="default day"),
            OpenApiParameter("since", OpenApiTypes.DATE),
            OpenApiParameter("until", OpenApiTypes.DATE),
        ],
        responses=TrendSerializer,
    )
    def enterprise_trend(self, request, enterprise_id=None):
        """One enterprise's risk trend: per day, week or month its worst level and highest score."""
        enterprise = enterprise_in_scope(request.user, enterprise_id)
        values = params(EnterpriseTrendParams, request)
        return Response(statistics.trend(request.user, enterprise_id=enterprise.pk, **values))

    @extend_schema(
        parameters=[
            OpenApiParameter("group_by", enum=["level", "region", "industry"], description="default level"),
            OpenApiParameter("region", description=REGION_HELP),
            OpenApiParameter("since", OpenApiTypes.DATE, description="first Beijing day (default 30 days back)"),
            OpenApiParameter("until", OpenApiTypes.DATE, description="last Beijing day (default today)"),
        ],
        responses=WarningStatsSerializer,
    )
    @action(detail=False, methods=["get"])
    def warnings(self, request):
        """Warnings raised in the range and how they were handled: acknowledged, fed back (in time),
        closed, overdue, escalated, feedback rate, mean hours to feed back (RSK-05, ANA-08)."""
        values = params(WarningStatsParams, request)
        return Response(
            statistics.warning_stats(
                request.user,
                since=values["since"],
                until=values["until"],
                group_by=values["group_by"],
                region=_or_none(values["region"]),
            )
        )


class RiskMapViewSet(ScopedViewSetMixin, viewsets.GenericViewSet):
    """Map layers of risk (一张图): enterprises as points, regions as a choropleth."""

    queryset = EnterpriseRisk.objects.all()
    pagination_class = None
    filter_backends = []
    scope_actions = {"risk_enterprises": "view", "risk_regions": "view"}

    @extend_schema(
        parameters=[
            OpenApiParameter("industry", description="industry code"),
            OpenApiParameter("level", int, enum=list(LEVEL_CODES)),
            OpenApiParameter("region", description="region code (subtree)"),
        ],
        responses={(200, "application/geo+json"): FeatureCollectionSerializer},
    )
    @action(detail=False, methods=["get"], url_path="risk-enterprises")
    def risk_enterprises(self, request):
        """Enterprises in scope as points with id, name, level, score, colour and industries (GIS-18),
        riskiest first; ungraded ones grey."""
        values = params(PointsParams, request)
        collection = statistics.enterprise_features(
            request.user,
            region=_or_none(values["region"]),
            industry=_or_none(values["industry"]),
            level=values["level"],
        )
        return Response(collection, content_type="application/geo+json")

    @extend_schema(
        parameters=[
            OpenApiParameter("region", description=REGION_HELP),
            OpenApiParameter("industry", description="industry code"),
        ],
        responses={(200, "application/geo+json"): FeatureCollectionSerializer},
    )
    @action(detail=False, methods=["get"], url_path="risk-regions")
    def risk_regions(self, request):
        """Child regions with their outline, enterprises per level, mean score and the level and colour
        that mean gives (区域风险, GIS-11)."""
        values = params(ScopeParams, request)
        collection = statistics.region_map(
            request.user, region=_or_none(values["region"]), industry=_or_none(values["industry"])
        )
        return Response(collection, content_type="application/geo+json")


class RiskDashboardViewSet(ScopedViewSetMixin, viewsets.GenericViewSet):
    """Dashboard figures of the one-screen maps (一张图): warnings and enterprise numbers by region."""

    queryset = Warning.objects.all()
    pagination_class = None
    filter_backends = []
    scope_actions = {"safety_warnings": "view", "enterprise_change": "view"}

    def get_queryset(self):
        if self.action == "enterprise_change":  # the permission checked is the registry's
            return Enterprise.objects.all()
        return super().get_queryset()

    @extend_schema(
        parameters=[
            OpenApiParameter("by", enum=["region", "industry"], description="default region"),
            OpenApiParameter("region", description=REGION_HELP),
        ],
        responses=SafetyWarningsSerializer,
    )
    @action(detail=False, methods=["get"], url_path="safety-warnings")
    def safety_warnings(self, request):
        """Open warnings per child region or industry, by level (企业安全态势, GIS-10)."""
        values = params(ByParams, request)
        return Response(
            statistics.open_warning_counts(request.user, by=values["by"], region=_or_none(values["region"]))
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("by", enum=["region", "industry"], description="default region"),
            OpenApiParameter("since", OpenApiTypes.DATE, description="first Beijing day (default 29 days back)"),
            OpenApiParameter("region", description=REGION_HELP),
        ],
        responses=EnterpriseChangeSerializer,
    )
    @action(detail=False, methods=["get"], url_path="enterprise-change")
    def enterprise_change(self, request):
        """Enterprises registered minus deleted since a day, per child region or industry, with a colour
        class (increase / decrease / none) and a magnitude 0–4 for its depth (GIS-09)."""
        values = params(ChangeParams, request)
        return Response(
            statistics.enterprise_change(
                request.user, by=values["by"], since=values["since"], region=_or_none(values["region"])
            )
        )

"""Situation warning and regional risk index API (态势预警/区域风险指数, RSK-31..35). Thin: parameters
are validated here, the figures come from ``apps.risk.situation``, read through the caller's scope.
Regulators only (the right to view enterprise risks and a regional or full jurisdiction); every
endpoint also answers as an Excel sheet with ``?format=xlsx``."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from apps.core.exports import XLSX, xlsx_response
from apps.core.scoping import AccessScope

from .. import situation

# Access -------------------------------------------------------------------------------------------------------------


class IsRegulator(BasePermission):
    """The right to view enterprise risks, held over a region (or everything): regulators and
    committee members, not enterprises."""

    message = _("Situation indicators are for regulators.")

    def has_permission(self, request, view):
        user = request.user
        return bool(
            user
            and user.is_authenticated
            and user.has_perm("risk.view_enterpriserisk")
            and AccessScope.of(user).kind in (AccessScope.ALL, AccessScope.REGION)
        )


# Query parameters ---------------------------------------------------------------------------------------------------


class SituationParams(serializers.Serializer):
    period = serializers.ChoiceField(choices=situation.PERIOD_KINDS, required=False, default=situation.DEFAULT_PERIOD)
    at = serializers.DateField(required=False, allow_null=True, default=None)
    region = serializers.CharField(required=False, allow_blank=True, default="")
    industry = serializers.CharField(required=False, allow_blank=True, default="")


class AlarmFrequencyParams(SituationParams):
    enterprise = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1)


class RiskIndexParams(serializers.Serializer):
    region = serializers.CharField(required=False, allow_blank=True, default="")
    industry = serializers.CharField(required=False, allow_blank=True, default="")
    since = serializers.DateField(required=False, allow_null=True, default=None)
    until = serializers.DateField(required=False, allow_null=True, default=None)


def params(serializer_class, request) -> dict:
    data = serializer_class(data={k: v for k, v in request.query_params.items() if v != "" and k != "format"})
    data.is_valid(raise_exception=True)
    return {k: (v if v != "" else None) for k, v in data.validated_data.items()}


# Response shapes (for the schema; the figures are plain dicts) ---------------------------------------------------------


class PeriodSerializer(serializers.Serializer):
    label = serializers.CharField(help_text="2025-W23, 2025-06 or 2025-Q2")
    start = serializers.DateField()
    end = serializers.DateField(help_text="last day, inclusive")
    complete = serializers.BooleanField()


class IndicatorSerializer(serializers.Serializer):
    value = serializers.FloatField(allow_null=True, help_text="this period")
    previous = serializers.FloatField(allow_null=True, help_text="the period before")
    change = serializers.FloatField(allow_null=True, help_text="value / previous − 1")
    trend = serializers.ChoiceField(choices=("rising", "stable", "falling"), allow_null=True)
    baseline = serializers.FloatField(allow_null=True, help_text="mean of the 4 periods before")
    ratio = serializers.FloatField(allow_null=True, help_text="value / baseline")
    grade = serializers.ChoiceField(choices=(*situation.GRADES, situation.NO_WARNING))
    warning = serializers.BooleanField()
    series = serializers.ListField(child=serializers.FloatField(allow_null=True), help_text="oldest first")


class SituationRowSerializer(serializers.Serializer):
    key = serializers.CharField(allow_null=True, help_text="region code, industry code or point id; null: total")
    name = serializers.CharField(allow_null=True)
    indicators = serializers.DictField(child=IndicatorSerializer())
    grade = serializers.CharField(help_text="the headline indicator's grade")
    warning = serializers.BooleanField()


class SituationSerializer(serializers.Serializer):
    indicator = serializers.CharField()
    period = serializers.ChoiceField(choices=situation.PERIOD_KINDS)
    current = PeriodSerializer()
    previous = PeriodSerializer()
    periods = PeriodSerializer(many=True, help_text="the five periods of the series, oldest first")
    region = serializers.CharField(allow_null=True)
    headline = serializers.CharField()
    thresholds = serializers.DictField()
    rows = SituationRowSerializer(many=True)
    total = SituationRowSerializer()


class RiskIndexDaySerializer(serializers.Serializer):
    day = serializers.DateField()
    mean_score = serializers.FloatField(allow_null=True)
    enterprises = serializers.IntegerField()
    alarms = serializers.IntegerField()
    parent_mean_score = serializers.FloatField(required=False, allow_null=True)
    parent_enterprises = serializers.IntegerField(required=False)
    parent_alarms = serializers.IntegerField(required=False)
    difference = serializers.FloatField(required=False, allow_null=True)


class RiskIndexSerializer(serializers.Serializer):
    region = serializers.DictField()
    parent = serializers.DictField(allow_null=True, help_text="null when the parent is outside the jurisdiction")
    industry = serializers.CharField(allow_null=True)
    since = serializers.DateField()
    until = serializers.DateField()
    series = RiskIndexDaySerializer(many=True)
    summary = serializers.DictField(help_text="mean, min, max, slope, trend, days of each series")
    children = serializers.ListField(child=serializers.DictField())


PERIOD_PARAMETERS = [
    OpenApiParameter("period", enum=list(situation.PERIOD_KINDS), description=f"default {situation.DEFAULT_PERIOD}"),
    OpenApiParameter("at", OpenApiTypes.DATE, description="a day of the period wanted (default: last complete)"),
    OpenApiParameter("region", description="region code whose children are the rows (default: jurisdiction)"),
    OpenApiParameter("format", enum=["json", "xlsx"], description="xlsx: the rows as an Excel sheet"),
]
INDUSTRY_PARAMETER = OpenApiParameter("industry", description="industry code: only its enterprises")
XLSX_RESPONSE = {(200, XLSX): OpenApiResponse(OpenApiTypes.BINARY, description="with ?format=xlsx")}


# Excel ----------------------------------------------------------------------------------------------------------------

FIGURES = (
    ("value", _("this period")),
    ("previous", _("previous period")),
    ("change", _("change")),
    ("baseline", _("4-period mean")),
    ("ratio", _("ratio to the mean")),
    ("grade", _("warning")),
)


def _situation_sheet(name: str, answer: dict):
    first = answer["total"]["indicators"]
    headers = [_("Key"), _("Name")]
    for indicator in first:
        label = situation.INDICATOR_NAMES.get(indicator, indicator)
        headers += [f"{label}: {caption}" for _f, caption in FIGURES]
    rows = (
        [row["key"], row["name"], *(row["indicators"][i][f] for i in first for f, _c in FIGURES)]
        for row in [*answer["rows"], answer["total"]]
    )
    return xlsx_response(f"{name}-{answer['current']['label']}", [str(h) for h in headers], rows)


def _risk_index_sheet(answer: dict):
    columns = [
        ("day", _("Day")),
        ("mean_score", _("Mean risk score")),
        ("enterprises", _("Enterprises graded")),
        ("alarms", _("Alarms")),
    ]
    if answer["parent"]:
        columns += [
            ("parent_mean_score", _("Parent region: mean risk score")),
            ("parent_enterprises", _("Parent region: enterprises graded")),
            ("parent_alarms", _("Parent region: alarms")),
            ("difference", _("Difference of the mean scores")),
        ]
    rows = ([day[c] for c, _h in columns] for day in answer["series"])
    return xlsx_response("risk-index", [str(h) for _c, h in columns], rows)


# Views ----------------------------------------------------------------------------------------------------------------


class XlsxFormatMixin:
    """``?format=xlsx`` is answered by the action itself (an attachment); errors stay JSON."""

    def perform_content_negotiation(self, request, force=False):
        if request.query_params.get("format") == "xlsx":
            return JSONRenderer(), JSONRenderer.media_type
        return super().perform_content_negotiation(request, force)

    @staticmethod
    def wants_xlsx(request) -> bool:
        return request.query_params.get("format") == "xlsx"


class SituationViewSet(XlsxFormatMixin, viewsets.ViewSet):
    """Situation warnings (态势预警) per week, month or quarter, each indicator compared with the previous
    period and the mean of the four before (RSK-31..34)."""

    permission_classes = [IsAuthenticated, IsRegulator]

    def _answer(self, request, name, answer):
        return _situation_sheet(name, answer) if self.wants_xlsx(request) else Response(answer)

    @extend_schema(
        parameters=[*PERIOD_PARAMETERS, INDUSTRY_PARAMETER], responses={200: SituationSerializer, **XLSX_RESPONSE}
    )
    @action(detail=False, methods=["get"])
    def region(self, request):
        """Per child region: high-risk enterprises and their alarms per enterprise (地区态势预警, RSK-31)."""
        values = params(SituationParams, request)
        return self._answer(request, "region-situation", situation.region_situation(request.user, **values))

    @extend_schema(parameters=PERIOD_PARAMETERS, responses={200: SituationSerializer, **XLSX_RESPONSE})
    @action(detail=False, methods=["get"])
    def industry(self, request):
        """Per industry: alarms per monitored enterprise (行业态势预警, RSK-32)."""
        values = params(SituationParams, request)
        values.pop("industry")
        return self._answer(request, "industry-situation", situation.industry_situation(request.user, **values))

    @extend_schema(
        parameters=[
            *PERIOD_PARAMETERS,
            INDUSTRY_PARAMETER,
            OpenApiParameter("enterprise", int, description="an enterprise id: its points are the rows"),
        ],
        responses={200: SituationSerializer, **XLSX_RESPONSE},
    )
    @action(detail=False, methods=["get"], url_path="alarm-frequency")
    def alarm_frequency(self, request):
        """Per child region, alarms of high-risk enterprises; per point with ``enterprise`` (报警态势, RSK-33)."""
        values = params(AlarmFrequencyParams, request)
        return self._answer(request, "alarm-frequency", situation.alarm_frequency(request.user, **values))

    @extend_schema(
        parameters=[*PERIOD_PARAMETERS, INDUSTRY_PARAMETER], responses={200: SituationSerializer, **XLSX_RESPONSE}
    )
    @action(detail=False, methods=["get"])
    def equipment(self, request):
        """Per child region: points offline, offline transitions, frequent alarmers, the equipment index
        (设备态势预警, RSK-34)."""
        values = params(SituationParams, request)
        return self._answer(request, "equipment-situation", situation.equipment_situation(request.user, **values))


class RiskIndexViewSet(XlsxFormatMixin, viewsets.ViewSet):
    """Regional risk index (区域风险指数, RSK-35)."""

    permission_classes = [IsAuthenticated, IsRegulator]

    @extend_schema(
        parameters=[
            OpenApiParameter("region", description="region code (default: the jurisdiction)"),
            INDUSTRY_PARAMETER,
            OpenApiParameter("since", OpenApiTypes.DATE, description="first Beijing day; default 29 days before until"),
            OpenApiParameter("until", OpenApiTypes.DATE, description="last Beijing day, inclusive; default today"),
            OpenApiParameter("format", enum=["json", "xlsx"], description="xlsx: the daily series as an Excel sheet"),
        ],
        responses={200: RiskIndexSerializer, **XLSX_RESPONSE},
    )
    @action(detail=False, methods=["get"])
    def region(self, request):
        """Daily mean risk score and alarms of a region, its parent's for comparison, its children side by
        side, and the statistics of each series."""
        values = params(RiskIndexParams, request)
        answer = situation.region_risk_index(request.user, **values)
        return _risk_index_sheet(answer) if self.wants_xlsx(request) else Response(answer)

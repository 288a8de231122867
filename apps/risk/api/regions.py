"""Coal regional risk API (煤矿区域安全风险, RSK-19..21, GIS-16): the report that drills down one
administrative level per call, the model's indicator tree, the GIS layers (four-colour fill, heat,
scatter) and the regional factors regulators record. Regulators only; regions outside the caller's
jurisdiction answer 400 on ``region`` like unknown ones."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from apps.core.scoping import AccessScope

from ..models import RegionIndicatorRecord
from ..services import regions
from ..services.catalogue import region_indicators
from ..statistics import root_region
from .situation import IsRegulator as _IsRegulator
from .situation import params


class IsRegulator(_IsRegulator):
    message = _("Regional risk is for regulators.")


class RegionRiskParams(serializers.Serializer):
    region = serializers.CharField(required=False, allow_blank=True, default="")
    model = serializers.CharField(required=False, allow_blank=True, default="")


class RegionLayerParams(RegionRiskParams):
    style = serializers.ChoiceField(choices=regions.LAYER_STYLES, required=False, default="fill")


class RecordListParams(serializers.Serializer):
    region = serializers.CharField(required=False, allow_blank=True, default="")
    indicator = serializers.CharField(required=False, allow_blank=True, default="")


class RegionIndicatorInputSerializer(serializers.Serializer):
    region = serializers.CharField(help_text="region code (in the caller's jurisdiction)")
    period = serializers.DateField(help_text="the day the values describe")
    values = serializers.DictField(child=serializers.JSONField(), help_text="indicator code → value")
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)


class RegionIndicatorRecordSerializer(serializers.ModelSerializer):
    region = serializers.CharField(source="region.code")
    region_name = serializers.CharField(source="region.name")
    indicator_name = serializers.SerializerMethodField()
    unit = serializers.SerializerMethodField()
    recorded_by_name = serializers.SerializerMethodField()

    class Meta:
        model = RegionIndicatorRecord
        fields = [
            "id",
            "region",
            "region_name",
            "indicator",
            "indicator_name",
            "unit",
            "value",
            "period",
            "note",
            "recorded_by_name",
            "recorded_at",
        ]

    def get_indicator_name(self, obj) -> str | None:
        return region_indicators().get(obj.indicator, {}).get("name")

    def get_unit(self, obj) -> str:
        return region_indicators().get(obj.indicator, {}).get("unit", "")

    def get_recorded_by_name(self, obj) -> str | None:
        user = obj.recorded_by
        return (user.get_full_name() or user.username) if user else None


REGION_PARAMETER = OpenApiParameter("region", description="region code (default: the caller's jurisdiction)")
MODEL_PARAMETER = OpenApiParameter("model", description=f"region model code (default {regions.DEFAULT_MODEL})")


class RegionRiskViewSet(viewsets.ViewSet):
    """Regional risk of the coal region model (煤矿区域安全风险分级评判)."""

    permission_classes = [IsAuthenticated, IsRegulator]

    @extend_schema(parameters=[REGION_PARAMETER, MODEL_PARAMETER], responses={200: OpenApiTypes.OBJECT})
    def report(self, request):
        """The region and its child regions with score, level, colour, coverage and the breakdown (each
        indicator's value, score, weight and contribution); call again with a child's code to drill down."""
        values = params(RegionRiskParams, request)
        return Response(regions.region_report(request.user, region=values["region"], model=values["model"]))

    @extend_schema(parameters=[MODEL_PARAMETER], responses={200: OpenApiTypes.OBJECT})
    def indicator_tree(self, request):
        """The region model's indicator system (指标体系, RSK-19): mine risk, geography, meteorology and
        rescue capability, with weights, sources and scoring."""
        values = params(RegionRiskParams, request)
        model = regions.region_model(values["model"])
        version = model.current_version
        return Response(
            {
                "model": model.code,
                "name": model.name,
                "version": version.number,
                "thresholds": version.definition["thresholds"],
                "rules": version.definition.get("rules") or [],
                "indicators": regions.region_indicator_tree(version.definition),
            }
        )

    @extend_schema(
        parameters=[
            REGION_PARAMETER,
            MODEL_PARAMETER,
            OpenApiParameter("style", enum=list(regions.LAYER_STYLES), description="default fill"),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def layer(self, request):
        """A GeoJSON layer (GIS-16): ``fill`` child-region outlines in their level's colour, ``heat`` the
        mines weighted by their risk score, ``scatter`` the mines with level and colour."""
        values = params(RegionLayerParams, request)
        return Response(
            regions.region_layer(request.user, region=values["region"], style=values["style"], model=values["model"])
        )


class RegionIndicatorRecordViewSet(viewsets.GenericViewSet):
    """Regional factors (区域指标填报: geography, meteorology, rescue capability) of regions in the
    caller's jurisdiction."""

    permission_classes = [IsAuthenticated, IsRegulator]
    queryset = RegionIndicatorRecord.objects.select_related("region", "recorded_by").order_by("-period", "-id")
    serializer_class = RegionIndicatorRecordSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter("region", description="region code: its records and those below it"),
            OpenApiParameter("indicator", description="regional indicator code"),
        ]
    )
    def list(self, request):
        values = params(RecordListParams, request)
        root = root_region(request.user, values["region"])
        queryset = self.get_queryset()
        if root is not None:
            queryset = queryset.filter(region__path__startswith=root.path)
        elif AccessScope.of(request.user).kind != AccessScope.ALL:
            queryset = queryset.none()
        if values["indicator"]:
            queryset = queryset.filter(indicator=values["indicator"])
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(request=RegionIndicatorInputSerializer, responses={201: RegionIndicatorRecordSerializer(many=True)})
    def create(self, request):
        """Record values of one region for one period, all or nothing (400 with ``values.<code>``,
        ``region`` or ``period`` field errors)."""
        data = RegionIndicatorInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        region = root_region(request.user, data.validated_data["region"])
        records = regions.record_region_indicators(
            region,
            data.validated_data["values"],
            data.validated_data["period"],
            actor=request.user,
            note=data.validated_data["note"],
        )
        records = self.get_queryset().filter(pk__in=[r.pk for r in records])
        return Response(self.get_serializer(records, many=True).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def catalogue(self, request):
        """The regional indicators that may be recorded: code, name, unit, range."""
        return Response(list(region_indicators().values()))

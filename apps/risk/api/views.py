"""Risk API (风险分级): levels, current risk and its ranking, stored assessments, models and their
versions, indicator sources, and the inputs no system feeds (self-assessments, management indicators).

Views validate and authorise, then call the services (``apps.risk.services``) or the reads
(``apps.risk.statistics``, querysets); every scoped read goes through ``for_user``."""

import math

from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from apps.accounts.models import OrganisationKind
from apps.core.api.permissions import RolePermissions
from apps.core.api.viewsets import ScopedViewSetMixin
from apps.core.exceptions import NotFoundError, PermissionDeniedError
from apps.core.exports import xlsx_response
from apps.enterprises.models import Enterprise
from apps.monitoring.api.statistics import params
from apps.risk import engine, guide, sources
from apps.risk.models import (
    EnterpriseRisk,
    IndicatorRecord,
    RiskAssessment,
    RiskLevel,
    RiskModel,
    RiskModelVersion,
    StaticAssessment,
)
from apps.risk.services import catalogue, inputs
from apps.risk.statistics import indicator_tree

from .filters import EnterpriseRiskFilterSet, RiskAssessmentFilterSet, RiskModelFilterSet
from .serializers import (
    NO_LEVEL_COLOUR,
    DraftSerializer,
    EnterpriseRiskDetailSerializer,
    EnterpriseRiskSerializer,
    IndicatorRecordSerializer,
    IndicatorRecordWriteSerializer,
    IndicatorSpecSerializer,
    IndicatorTreeSerializer,
    InvokeResultSerializer,
    InvokeSerializer,
    ReproducedSerializer,
    RiskAssessmentDetailSerializer,
    RiskAssessmentSerializer,
    RiskLevelSerializer,
    RiskModelDetailSerializer,
    RiskModelSerializer,
    RiskModelVersionDetailSerializer,
    RiskModelVersionSerializer,
    SourceSerializer,
    StaticAssessmentSerializer,
    StaticAssessmentWriteSerializer,
    level_table,
)

ENTERPRISE_ID = OpenApiParameter("enterprise_id", int, OpenApiParameter.PATH, description="enterprise id")


def enterprise_in_scope(user, enterprise_id) -> Enterprise:
    """The enterprise of a nested route (``/enterprises/{id}/…``) if the caller may see it; else 404, so
    the existence of enterprises out of scope does not leak."""
    enterprise = (
        Enterprise.objects.for_user(user)
        .active()
        .select_related("organisation__region")
        .filter(pk=enterprise_id)
        .first()
    )
    if enterprise is None:
        raise NotFoundError(_("Enterprise not found."))
    return enterprise


def own_enterprise(user) -> Enterprise:
    """The enterprise of an enterprise user (``/my/…``); 403 for anyone else."""
    organisation = user.organisation
    if organisation is None or organisation.kind != OrganisationKind.ENTERPRISE:
        raise PermissionDeniedError(_("Only users of an enterprise have their own risk and warnings."))
    enterprise = Enterprise.objects.active().select_related("organisation__region").filter(pk=organisation.pk).first()
    if enterprise is None:
        raise NotFoundError(_("Your organisation has no enterprise record."))
    return enterprise


# --- levels ---------------------------------------------------------------------------------------


class RiskLevelViewSet(viewsets.ReadOnlyModelViewSet):
    """The four risk levels (RSK-14): 1 red 重大, 2 orange 较大, 3 yellow 一般, 4 blue 低, with their
    display colours (configuration: a province that shows green changes the fourth colour)."""

    queryset = RiskLevel.objects.order_by("code")
    serializer_class = RiskLevelSerializer
    permission_classes = [IsAuthenticated]
    lookup_field = "code"
    pagination_class = None
    filter_backends = []


# --- current risk -----------------------------------------------------------------------------------


class EnterpriseRiskViewSet(ScopedViewSetMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Enterprises' current risk (实时风险) in the caller's scope; the list is the ranking (风险倒排,
    INS-03): red before orange…, higher scores first, ungraded last."""

    queryset = EnterpriseRisk.objects.filter(enterprise__deleted=False).with_enterprise().ranked()
    serializer_class = EnterpriseRiskSerializer
    filterset_class = EnterpriseRiskFilterSet
    filter_backends = [DjangoFilterBackend]
    scope_actions = {"export": "view", "enterprise_risk": "view", "my_risk": "view"}

    @extend_schema(
        responses={(200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): OpenApiTypes.BINARY}
    )
    @action(detail=False, methods=["get"])
    def export(self, request):
        """The filtered ranking as an Excel workbook."""
        levels = level_table()
        rows = (
            (
                index,
                risk.enterprise.organisation.name,
                risk.enterprise.organisation.region.name,
                risk.enterprise.organisation.region.code,
                ", ".join(i.name for i in risk.enterprise.industries.all()),
                levels[risk.level].name if risk.level in levels else "",
                round(risk.score, 2) if risk.score is not None else "",
                _local(risk.assessed_at),
                _local(risk.level_since),
                levels[risk.previous_level].name if risk.previous_level in levels else "",
            )
            for index, risk in enumerate(self.filter_queryset(self.get_queryset()).iterator(chunk_size=1000), 1)
        )
        headers = [
            _("Rank"),
            _("Enterprise name"),
            _("Region"),
            _("Division code"),
            _("Industry"),
            _("Risk level"),
            _("Risk score"),
            _("Assessed at"),
            _("Level since"),
            _("Previous level"),
        ]
        return xlsx_response("enterprise-risk", headers, rows)

    def _current(self, enterprise):
        risk = (
            self.get_queryset().select_related("assessment__version__model").filter(enterprise_id=enterprise.pk).first()
        )
        if risk is None:  # in scope but not graded (no model for its industries yet)
            risk = EnterpriseRisk(enterprise=enterprise)
        return Response(self.get_serializer(risk).data)

    # Routed in urls.py: GET /enterprises/{enterprise_id}/risk
    @extend_schema(parameters=[ENTERPRISE_ID], responses=EnterpriseRiskDetailSerializer)
    def enterprise_risk(self, request, enterprise_id=None):
        """An enterprise's current risk with the index composition (研判指数构成): every indicator's value,
        score, weight, effective weight and contribution ("no data" indicators have a null score),
        coverage, the rule that forced the level, the model and version (RSK-01, RSK-23)."""
        return self._current(enterprise_in_scope(request.user, enterprise_id))

    # Routed in urls.py: GET /my/risk
    @extend_schema(responses=EnterpriseRiskDetailSerializer)
    def my_risk(self, request):
        """The caller's own enterprise's current risk and index composition (RSK-06); enterprise users only."""
        return self._current(own_enterprise(request.user))

    def get_serializer_class(self):
        return (
            EnterpriseRiskDetailSerializer
            if self.action in ("enterprise_risk", "my_risk")
            else super().get_serializer_class()
        )


def _local(moment):
    from django.utils import timezone

    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


class ReproduceParams(serializers.Serializer):
    reproduce = serializers.BooleanField(required=False, default=False)


class RiskAssessmentViewSet(
    ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Stored results (风险研判结果), newest first; each keeps its inputs and model version, so it can be
    evaluated again (``?reproduce=true``). Also routed as ``/enterprises/{enterprise_id}/risk/history``."""

    queryset = RiskAssessment.objects.select_related("version__model")
    filterset_class = RiskAssessmentFilterSet
    filter_backends = [DjangoFilterBackend]

    def get_serializer_class(self):
        return RiskAssessmentDetailSerializer if self.action == "retrieve" else RiskAssessmentSerializer

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.kwargs.get("enterprise_id") is not None:
            queryset = queryset.filter(enterprise_id=self.kwargs["enterprise_id"])
        if self.action == "retrieve":
            queryset = queryset.select_related("enterprise__organisation")
        return queryset

    @extend_schema(
        parameters=[
            OpenApiParameter("since", OpenApiTypes.DATETIME, description="assessed at or after (ISO 8601)"),
            OpenApiParameter("until", OpenApiTypes.DATETIME, description="assessed before (ISO 8601)"),
        ]
    )
    def list(self, request, *args, **kwargs):
        """Assessments in scope (``?enterprise=``, ``?since=``, ``?until=``), newest first."""
        if kwargs.get("enterprise_id") is not None:
            enterprise_in_scope(request.user, kwargs["enterprise_id"])
        return super().list(request, *args, **kwargs)

    @extend_schema(parameters=[OpenApiParameter("reproduce", bool, description="evaluate the stored inputs again")])
    def retrieve(self, request, *args, **kwargs):
        """One result with its inputs and breakdown; with ``?reproduce=true`` also ``reproduced``: the
        score and level the engine gives again from the stored inputs and version, and whether they equal
        the stored ones."""
        assessment = self.get_object()
        context = self.get_serializer_context()
        if params(ReproduceParams, request)["reproduce"]:
            result = engine.evaluate(assessment.version.definition, assessment.inputs)
            context["reproduced"] = ReproducedSerializer(
                {
                    "score": result.score,
                    "level": result.level,
                    "equal": result.level == assessment.level and _same(result.score, assessment.score),
                }
            ).data
        return Response(RiskAssessmentDetailSerializer(assessment, context=context).data)


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=0, abs_tol=1e-9)


# --- models (模型管理) ---------------------------------------------------------------------------------

VERSION_NUMBER = OpenApiParameter("number", int, OpenApiParameter.PATH, description="version number")


class RiskModelViewSet(viewsets.ReadOnlyModelViewSet):
    """Risk models (风险研判模型) per industry as versioned data. Drafts and publication are for provincial
    (or ministry) administrators; invocation grades an input vector without storing anything (RSK-08)."""

    queryset = RiskModel.objects.select_related("industry", "current_version").order_by("code")
    permission_classes = [IsAuthenticated, RolePermissions]
    lookup_field = "code"
    filterset_class = RiskModelFilterSet
    filter_backends = [DjangoFilterBackend]
    scope_actions = {
        "indicator_tree": "view",
        "versions": "view",
        "version": "view",
        "create_version": "edit",
        "publish": "edit",
        "invoke": "view",
    }

    def get_serializer_class(self):
        return RiskModelSerializer if self.action == "list" else RiskModelDetailSerializer

    def _version(self, model, number) -> RiskModelVersion:
        version = model.versions.select_related("created_by", "published_by").filter(number=number).first()
        if version is None:
            raise NotFoundError(_("No such version of this model."))
        return version

    @extend_schema(responses=IndicatorTreeSerializer)
    @action(detail=True, methods=["get"], url_path="indicator-tree")
    def indicator_tree(self, request, code=None):
        """The indicator system (指标体系) of the version in force as a tree (RSK-11, RSK-22)."""
        model = self.get_object()
        version = model.current_version
        if version is None:
            raise NotFoundError(_("The model has no published version."))
        return Response(
            {
                "model": model.code,
                "version": version.number,
                "thresholds": version.definition["thresholds"],
                "rules": version.definition.get("rules") or [],
                "indicators": indicator_tree(version.definition),
            }
        )

    @extend_schema(responses=RiskModelVersionSerializer(many=True))
    @action(detail=True, methods=["get"])
    def versions(self, request, code=None):
        """Every version, newest first: number, status, note, who created and published it, when."""
        model = self.get_object()
        queryset = model.versions.select_related("model", "created_by", "published_by").order_by("-number")
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(RiskModelVersionSerializer(page, many=True).data)

    @extend_schema(request=DraftSerializer, responses={201: RiskModelVersionDetailSerializer})
    @versions.mapping.post
    def create_version(self, request, code=None):
        """A new draft version (the version in force stays so until the draft is published). Invalid
        definitions are 400 with ``definition.<path>`` field errors."""
        model = self.get_object()
        data = DraftSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        version = catalogue.create_draft(
            model, data.validated_data["definition"], actor=request.user, note=data.validated_data["note"]
        )
        return Response(RiskModelVersionDetailSerializer(version).data, status=status.HTTP_201_CREATED)

    @extend_schema(parameters=[VERSION_NUMBER], responses=RiskModelVersionDetailSerializer)
    @action(detail=True, methods=["get"], url_path=r"versions/(?P<number>[0-9]+)")
    def version(self, request, code=None, number=None):
        """One version with its definition."""
        return Response(RiskModelVersionDetailSerializer(self._version(self.get_object(), number)).data)

    @extend_schema(parameters=[VERSION_NUMBER], request=None, responses=RiskModelVersionDetailSerializer)
    @action(detail=True, methods=["post"], url_path=r"versions/(?P<number>[0-9]+)/publish")
    def publish(self, request, code=None, number=None):
        """Put a draft in force (409 if it is not a draft); the model's enterprises are regraded."""
        version = self._version(self.get_object(), number)
        version = catalogue.publish(version, actor=request.user)
        version = self._version(version.model, version.number)
        return Response(RiskModelVersionDetailSerializer(version).data)

    @extend_schema(request=InvokeSerializer, responses=InvokeResultSerializer)
    @action(detail=True, methods=["post"])
    def invoke(self, request, code=None):
        """Grade an input vector with the version in force, storing nothing (RSK-08, metered in
        ``invocations``): inputs map leaf indicator codes to numbers, or null for no data."""
        model = self.get_object()
        data = InvokeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = catalogue.invoke(model, data.validated_data["inputs"])
        level = level_table().get(result.level)
        return Response(
            {
                "model": {"code": model.code, "name": model.name, "version": model.current_version.number},
                "score": result.score,
                "level": result.level,
                "level_name": level.name if level else None,
                "color": level.hex if level else NO_LEVEL_COLOUR,
                "coverage": result.coverage,
                "rule": result.rule,
                "rule_name": result.rule_name,
                "breakdown": [{**row, "no_data": row["score"] is None} for row in result.breakdown],
            }
        )


class RiskSourceViewSet(viewsets.GenericViewSet):
    """Indicator sources (指标数据来源) the models may name; those of apps still to come have no provider."""

    queryset = RiskModel.objects.all()  # the permission is the models' one
    permission_classes = [IsAuthenticated, RolePermissions]
    pagination_class = None
    filter_backends = []

    @extend_schema(responses=SourceSerializer(many=True))
    def list(self, request):
        return Response(
            [
                {
                    "code": source.code,
                    "name": str(source.name),
                    "unit": str(source.unit),
                    "description": str(source.description),
                    "params": {key: str(text) for key, text in source.params.items()},
                    "has_provider": source.provider is not None,
                }
                for source in sources.all_sources()
            ]
        )


# --- inputs no system feeds ------------------------------------------------------------------------


class _EnterpriseInputViewSet(ScopedViewSetMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Records of one enterprise (``/enterprises/{enterprise_id}/…``); creation calls a service."""

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.kwargs.get("enterprise_id") is not None:
            queryset = queryset.filter(enterprise_id=self.kwargs["enterprise_id"])
        return queryset

    def list(self, request, *args, **kwargs):
        enterprise_in_scope(request.user, kwargs.get("enterprise_id"))
        return super().list(request, *args, **kwargs)


class StaticAssessmentViewSet(_EnterpriseInputViewSet):
    """Inherent-risk self-assessments (安全风险评估诊断分级) of an enterprise, newest first."""

    queryset = StaticAssessment.objects.select_related("recorded_by")
    serializer_class = StaticAssessmentSerializer
    filter_backends = []
    scope_actions = {"items": "view"}

    @extend_schema(parameters=[ENTERPRISE_ID])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        parameters=[ENTERPRISE_ID], request=StaticAssessmentWriteSerializer, responses={201: StaticAssessmentSerializer}
    )
    def create(self, request, enterprise_id=None):
        """Score a self-assessment by the deduction table: item counts and one-vote-red conditions give the
        score, level and category totals; the major-hazard item comes from the registered sources."""
        enterprise = enterprise_in_scope(request.user, enterprise_id)
        data = StaticAssessmentWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        assessment = inputs.record_static_assessment(enterprise, actor=request.user, **data.validated_data)
        return Response(self.get_serializer(assessment).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def items(self, request):
        """The deduction table (扣分项): categories with caps and items with points, one-vote-red
        conditions, the score → level bands."""
        return Response(guide.table())


class IndicatorRecordViewSet(_EnterpriseInputViewSet):
    """Management indicator values (管理指标填报) of an enterprise, newest period first."""

    queryset = IndicatorRecord.objects.select_related("recorded_by")
    serializer_class = IndicatorRecordSerializer
    filterset_fields = ["indicator"]
    filter_backends = [DjangoFilterBackend]
    scope_actions = {"catalogue": "view"}

    @extend_schema(parameters=[ENTERPRISE_ID])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        parameters=[ENTERPRISE_ID],
        request=IndicatorRecordWriteSerializer,
        responses={201: IndicatorRecordSerializer(many=True)},
    )
    def create(self, request, enterprise_id=None):
        """Report values for a period (all or nothing); each value is checked against its indicator's range."""
        enterprise = enterprise_in_scope(request.user, enterprise_id)
        data = IndicatorRecordWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        records = inputs.record_indicators_values(
            enterprise, values["values"], period=values.get("period"), note=values["note"], actor=request.user
        )
        return Response(self.get_serializer(records, many=True).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=IndicatorSpecSerializer(many=True))
    def catalogue(self, request):
        """The management indicators an enterprise reports (code, name, unit, allowed range)."""
        return Response(list(catalogue.record_indicators().values()))

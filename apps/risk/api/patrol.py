"""Online patrol API (在线巡查): spot-check records (INS-07), per-industry patrol views with the
one-screen enterprise summary (INS-04/05), and grid-based supervision assignments (RSK-16)."""

import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from apps.core.api.filters import EnterpriseOwnedFilterSet
from apps.core.api.viewsets import ScopedViewSetMixin
from apps.enterprises.api.views import resolve_enterprise
from apps.enterprises.models import Enterprise, Industry
from apps.monitoring.api.statistics import params

from .. import patrol
from ..models import EnterpriseRisk, SpotCheck, SupervisionAssignment
from ..services import patrols


class SpotCheckSerializer(serializers.ModelSerializer):
    enterprise_name = serializers.CharField(source="enterprise.organisation.name", read_only=True)
    inspector_name = serializers.SerializerMethodField()

    class Meta:
        model = SpotCheck
        fields = [
            "id",
            "enterprise",
            "enterprise_name",
            "inspector",
            "inspector_name",
            "kind",
            "started_at",
            "ended_at",
            "viewed",
            "findings",
            "follow_up",
            "risk_level",
        ]
        read_only_fields = fields

    def get_inspector_name(self, obj) -> str:
        return obj.inspector.real_name or obj.inspector.username


class SpotCheckWriteSerializer(serializers.Serializer):
    enterprise = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=SpotCheck.Kind.choices, default=SpotCheck.Kind.ENTERPRISE)
    viewed = serializers.ListField(child=serializers.CharField(max_length=64), required=False, default=list)
    findings = serializers.CharField(required=False, allow_blank=True, default="")
    follow_up = serializers.ChoiceField(choices=SpotCheck.FollowUp.choices, default=SpotCheck.FollowUp.NONE)
    started_at = serializers.DateTimeField(required=False)
    ended_at = serializers.DateTimeField(required=False)


class SpotCheckFilterSet(EnterpriseOwnedFilterSet):
    inspector = django_filters.NumberFilter(field_name="inspector_id", label=_("Inspector (user id)"))
    kind = django_filters.ChoiceFilter(choices=SpotCheck.Kind.choices)
    since = django_filters.DateFilter(field_name="started_at", lookup_expr="date__gte", label=_("From (date)"))
    until = django_filters.DateFilter(field_name="started_at", lookup_expr="date__lte", label=_("Until (date)"))

    class Meta:
        model = SpotCheck
        fields = ["enterprise", "region", "inspector", "kind", "since", "until"]


class SpotCheckViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Spot checks and patrols (抽查/巡查记录): who, when, which enterprise, what was viewed, findings."""

    queryset = SpotCheck.objects.select_related("enterprise__organisation", "inspector")
    serializer_class = SpotCheckSerializer
    filterset_class = SpotCheckFilterSet
    scope_actions = {"coverage": "view"}

    @extend_schema(request=SpotCheckWriteSerializer, responses={201: SpotCheckSerializer})
    def create(self, request):
        data = SpotCheckWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        enterprise = resolve_enterprise(request.user, values.pop("enterprise"))
        check = patrols.record_spot_check(enterprise, inspector=request.user, **values)
        return Response(SpotCheckSerializer(check).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[
            OpenApiParameter("since", str, description="YYYY-MM-DD (default: 30 days ago)"),
            OpenApiParameter("until", str, description="YYYY-MM-DD (default: today)"),
            OpenApiParameter("by", str, enum=["inspector", "region"]),
        ],
        responses={200: dict},
    )
    @action(detail=False, methods=["get"])
    def coverage(self, request):
        """Patrol workload and coverage (巡查工作量与覆盖): checks, enterprises covered, follow-ups."""
        from apps.monitoring.statistics import beijing_today, check_range

        values = params(CoverageParams, request)
        by = values["by"]
        until = values["until"] or beijing_today()
        since = values["since"] or (until - timezone.timedelta(days=29))
        check_range(since, until)
        in_scope = Enterprise.objects.for_user(request.user).active().count()
        rows = patrol.spot_check_coverage(request.user, since=since, until=until, by=by)
        covered = self.queryset.filter(started_at__date__gte=since, started_at__date__lte=until)
        covered = covered.values("enterprise").distinct().count()
        return Response(
            {
                "since": since,
                "until": until,
                "rows": rows,
                "enterprises_in_scope": in_scope,
                "enterprises_covered": covered,
                "coverage": round(covered / in_scope, 4) if in_scope else None,
            }
        )


class CoverageParams(serializers.Serializer):
    by = serializers.ChoiceField(choices=["inspector", "region"], default="inspector")
    since = serializers.DateField(required=False, default=None, allow_null=True)
    until = serializers.DateField(required=False, default=None, allow_null=True)


class PatrolParams(serializers.Serializer):
    region = serializers.CharField(required=False, default="")
    level = serializers.ChoiceField(choices=[1, 2, 3, 4], required=False, default=None, allow_null=True)
    online = serializers.BooleanField(required=False, default=None, allow_null=True)
    alarming = serializers.BooleanField(required=False, default=None, allow_null=True)
    warning = serializers.BooleanField(required=False, default=None, allow_null=True)
    active = serializers.BooleanField(required=False, default=None, allow_null=True)
    q = serializers.CharField(required=False, default="")


class PatrolEnterpriseSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField(source="organisation.name")
    region = serializers.CharField(source="organisation.region.code")
    region_name = serializers.CharField(source="organisation.region.name")
    level = serializers.SerializerMethodField()
    score = serializers.SerializerMethodField()
    online = serializers.SerializerMethodField()
    active_alarms = serializers.IntegerField()
    open_warning = serializers.BooleanField()

    def _risk(self, obj):
        try:
            return obj.risk
        except EnterpriseRisk.DoesNotExist:
            return None

    def get_level(self, obj) -> int | None:
        risk = self._risk(obj)
        return risk.level if risk else None

    def get_score(self, obj) -> float | None:
        risk = self._risk(obj)
        return risk.score if risk else None

    def get_online(self, obj) -> bool:
        link = getattr(obj, "monitoring_link", None)
        return bool(link and link.online)


class PatrolViewSet(viewsets.GenericViewSet):
    """Per-industry online patrol (钢铁/铝加工/粉尘… 在线巡查): enterprise spot check search, the
    one-screen summary, equipment and casting-well patrol, video patrol, alarm and warning search."""

    permission_classes = [IsAuthenticated]
    serializer_class = PatrolEnterpriseSerializer
    queryset = Enterprise.objects.none()  # each action reads through for_user itself
    lookup_url_kwarg = "enterprise_id"

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.industry = Industry.objects.filter(code=kwargs.get("industry")).first()
        if self.industry is None:
            raise NotFound(_("Unknown industry."))
        if not request.user.has_perm("risk.view_spotcheck") or request.user.access_scope.kind == "organisation":
            from rest_framework.exceptions import PermissionDenied

            raise PermissionDenied()

    @extend_schema(
        parameters=[
            OpenApiParameter(name, str)
            for name in ("region", "level", "online", "alarming", "warning", "q", "page", "page_size")
        ],
        responses={200: PatrolEnterpriseSerializer(many=True)},
    )
    @action(detail=False, methods=["get"])
    def enterprises(self, request, industry=None):
        """Enterprises of the industry with risk level, online status, active alarms, open warning."""
        from apps.risk.statistics import root_region

        values = params(PatrolParams, request)
        queryset = patrol.patrol_enterprises(
            request.user,
            self.industry.code,
            region=root_region(request.user, values["region"]) if values["region"] else None,
            level=values["level"],
            online=values["online"],
            alarming=values["alarming"],
            warning=values["warning"],
            q=values["q"],
        )
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(PatrolEnterpriseSerializer(page, many=True).data)

    @extend_schema(responses={200: dict})
    @action(detail=False, methods=["get"], url_path=r"enterprises/(?P<enterprise_id>\d+)/one-screen")
    def one_screen(self, request, industry=None, enterprise_id=None):
        """One enterprise on one screen: risk, online, devices, alarms, warnings, last spot check."""
        enterprise = Enterprise.objects.for_user(request.user).filter(pk=enterprise_id).first()
        if enterprise is None or not enterprise.industries.filter(pk=self.industry.pk).exists():
            raise NotFound(_("No enterprise of this industry with that id in your jurisdiction."))
        return Response(patrol.one_screen(enterprise, request.user))

    @extend_schema(responses={200: dict})
    @action(detail=False, methods=["get"])
    def equipment(self, request, industry=None):
        """Facilities of the industry's enterprises with their active alarms (设备巡查); ``kind`` narrows
        to one facility kind (``casting_well`` for the aluminium casting-well patrol)."""
        from django.db.models import Count, Q

        from apps.facilities.models import Facility

        queryset = (
            Facility.objects.for_user(request.user)
            .active()
            .filter(enterprise__industries=self.industry)
            .select_related("kind", "enterprise__organisation")
            .annotate(active_alarms=Count("points__alarms", filter=Q(points__alarms__is_active=True), distinct=True))
            .order_by("-active_alarms", "enterprise", "code")
        )
        if request.query_params.get("kind"):
            queryset = queryset.filter(kind__code=request.query_params["kind"])
        if request.query_params.get("enterprise"):
            queryset = queryset.filter(enterprise_id=request.query_params["enterprise"])
        page = self.paginate_queryset(queryset)
        rows = [
            {
                "id": f.pk,
                "code": f.code,
                "name": f.name,
                "kind": f.kind.code,
                "kind_name": f.kind.name,
                "status": f.status,
                "enterprise": f.enterprise_id,
                "enterprise_name": f.enterprise.organisation.name,
                "active_alarms": f.active_alarms,
            }
            for f in page
        ]
        return self.get_paginated_response(rows)

    @extend_schema(responses={200: dict})
    @action(detail=False, methods=["get"])
    def videos(self, request, industry=None):
        """Cameras of the industry's enterprises for the video patrol (视频巡查)."""
        from apps.video.models import Camera

        queryset = (
            Camera.objects.for_user(request.user)
            .filter(deleted=False, in_use=True, enterprise__industries=self.industry)
            .select_related("enterprise__organisation")
            .order_by("enterprise", "code")
        )
        if request.query_params.get("enterprise"):
            queryset = queryset.filter(enterprise_id=request.query_params["enterprise"])
        page = self.paginate_queryset(queryset)
        rows = [
            {
                "id": c.pk,
                "code": c.code,
                "name": c.name,
                "position": c.position,
                "enterprise": c.enterprise_id,
                "enterprise_name": c.enterprise.organisation.name,
                "has_stream": bool(c.stream_url),
            }
            for c in page
        ]
        return self.get_paginated_response(rows)

    @extend_schema(parameters=[OpenApiParameter("q", str)], responses={200: dict})
    @action(detail=False, methods=["get"])
    def alarms(self, request, industry=None):
        """Alarm search (报警检索) over the industry's enterprises: ``q`` matches enterprise or point."""
        from django.db.models import Q

        from apps.monitoring.api.alarms import AlarmSerializer
        from apps.monitoring.models import Alarm

        queryset = (
            Alarm.objects.for_user(request.user)
            .filter(enterprise__industries=self.industry)
            .select_related("point", "enterprise__organisation")
            .order_by("-started_at")
        )
        q = request.query_params.get("q")
        if q:
            queryset = queryset.filter(
                Q(enterprise__organisation__name__icontains=q) | Q(point__name__icontains=q) | Q(point__code=q)
            )
        if params(PatrolParams, request)["active"]:
            queryset = queryset.filter(is_active=True)
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(AlarmSerializer(page, many=True).data)

    @extend_schema(parameters=[OpenApiParameter("q", str)], responses={200: dict})
    @action(detail=False, methods=["get"])
    def warnings(self, request, industry=None):
        """Warning search (预警检索) over the industry's enterprises: ``q`` matches the enterprise."""
        from ..models import Warning

        queryset = (
            Warning.objects.for_user(request.user)
            .filter(enterprise__industries=self.industry)
            .select_related("enterprise__organisation")
            .order_by("-raised_at")
        )
        if request.query_params.get("q"):
            queryset = queryset.filter(enterprise__organisation__name__icontains=request.query_params["q"])
        if request.query_params.get("status"):
            queryset = queryset.filter(status__in=request.query_params["status"].split(","))
        page = self.paginate_queryset(queryset)
        rows = [
            {
                "id": w.pk,
                "enterprise": w.enterprise_id,
                "enterprise_name": w.enterprise.organisation.name,
                "level": w.level,
                "from_level": w.from_level,
                "status": w.status,
                "raised_at": w.raised_at,
                "feedback_at": w.feedback_at,
                "closed_at": w.closed_at,
            }
            for w in page
        ]
        return self.get_paginated_response(rows)


class SupervisionAssignmentSerializer(serializers.ModelSerializer):
    region = serializers.SlugRelatedField(slug_field="code", read_only=True)
    industry = serializers.SlugRelatedField(slug_field="code", read_only=True)
    department_name = serializers.CharField(source="department.name", read_only=True)

    class Meta:
        model = SupervisionAssignment
        fields = ["id", "region", "industry", "level", "department", "department_name", "note", "created_at"]
        read_only_fields = fields


class SupervisionAssignmentWriteSerializer(serializers.Serializer):
    region = serializers.CharField(max_length=12)
    industry = serializers.CharField(max_length=32, required=False, allow_blank=True, allow_null=True)
    level = serializers.IntegerField(min_value=1, max_value=4)
    department = serializers.IntegerField()
    note = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class SupervisionAssignmentViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Grid-based assignment of risks to departments (网格化分工, RSK-16)."""

    queryset = SupervisionAssignment.objects.select_related("region", "industry", "department")
    serializer_class = SupervisionAssignmentSerializer

    @extend_schema(request=SupervisionAssignmentWriteSerializer, responses={201: SupervisionAssignmentSerializer})
    def create(self, request):
        from apps.accounts.models import Organisation
        from apps.regions.models import Region

        data = SupervisionAssignmentWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        region = Region.objects.filter(code=values["region"]).first()
        department = Organisation.objects.filter(pk=values["department"]).first()
        industry = Industry.objects.filter(code=values["industry"]).first() if values.get("industry") else None
        errors = {}
        if region is None:
            errors["region"] = [_("Unknown region code.")]
        if department is None:
            errors["department"] = [_("Unknown organisation.")]
        if values.get("industry") and industry is None:
            errors["industry"] = [_("Unknown industry.")]
        if errors:
            raise ValidationError(errors)
        assignment = patrols.assign_supervision(
            request.user,
            region=region,
            level=values["level"],
            department=department,
            industry=industry,
            note=values["note"],
        )
        return Response(SupervisionAssignmentSerializer(assignment).data, status=status.HTTP_201_CREATED)


class MySupervisedRiskSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="enterprise.organisation.name")
    region = serializers.CharField(source="enterprise.organisation.region.code")

    class Meta:
        model = EnterpriseRisk
        fields = ["enterprise", "name", "region", "level", "score", "assessed_at", "level_since"]


class MySupervisedRisksViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The risks assigned to the caller's department (``GET /my/supervised-risks``, RSK-16)."""

    permission_classes = [IsAuthenticated]
    serializer_class = MySupervisedRiskSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return EnterpriseRisk.objects.none()
        return (
            patrols.supervised_risks(self.request.user)
            .select_related("enterprise__organisation__region")
            .order_by("level", "-score")
        )

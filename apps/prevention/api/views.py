"""Hidden-danger governance API (隐患治理, DPM-07/13/15/16): the scoped ledger (隐患台账) and one hidden
danger with its steps; enterprise users register (登记), rectify (整改), accept (验收) or send back (退回).

Rights are checked twice on purpose: ``RolePermissions`` maps the actions to ``change_hiddendanger``
(``scope_actions``), and the services check them again with the jurisdiction, for callers that are not
HTTP.

Investigation tasks (隐患排查任务, DPM-05/06/14): the scoped cycles (排查任务周期) by day and status, the
caller's own open cycles (the mobile task inbox) and results posted by people or patrol systems."""

import datetime as dt

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.accounts.models import OrganisationKind
from apps.core.api.filters import EnterpriseOwnedFilterSet, StrictBooleanFilter
from apps.core.api.viewsets import ScopedViewSetMixin
from apps.core.exceptions import InvalidInput, NotFoundError
from apps.enterprises.models import Enterprise
from apps.prevention import services
from apps.prevention.models import CheckRecord, CheckTask, DangerState, HiddenDanger, HiddenDangerStep, TaskPeriod
from apps.prevention.periods import BEIJING, REMINDED_ROLES

from .serializers import (
    DangerAcceptSerializer,
    DangerRectifySerializer,
    DangerSendBackSerializer,
    HiddenDangerCreateSerializer,
    HiddenDangerDetailSerializer,
    HiddenDangerSerializer,
    InvestigationPeriodSerializer,
    InvestigationRecordSerializer,
    InvestigationResultInputSerializer,
)


class HiddenDangerFilterSet(EnterpriseOwnedFilterSet):
    """``state`` (0/1/9), ``level`` (0/1), ``overdue`` (deadline past, not accepted), ``enterprise``,
    ``region``."""

    state = django_filters.TypedChoiceFilter(choices=DangerState.choices, coerce=int, label=_("State"))
    level = django_filters.TypedChoiceFilter(
        choices=[(0, "0"), (1, "1")], coerce=int, label=_("Level (0 general, 1 major)")
    )
    overdue = StrictBooleanFilter(method="filter_overdue", label=_("Overdue (deadline past, not accepted)"))

    class Meta:
        model = HiddenDanger
        fields = ["state", "level", "overdue"]

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        late = Q(deadline__lt=timezone.now()) & ~Q(state=DangerState.ACCEPTED)
        return queryset.filter(late) if value else queryset.exclude(late)


class HiddenDangerViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Hidden dangers (隐患) of the enterprises in scope, newest first (``?state=``, ``?level=``,
    ``?overdue=true|false``, ``?enterprise=``, ``?region=``). Regulators read; the enterprise's
    administrators and safety managers register and govern."""

    queryset = HiddenDanger.objects.live().select_related("enterprise__organisation")
    filterset_class = HiddenDangerFilterSet
    filter_backends = [DjangoFilterBackend]
    scope_actions = {"rectify": "change", "accept": "change", "send_back": "change"}

    def get_serializer_class(self):
        if self.action == "list":
            return HiddenDangerSerializer
        if self.action == "create":
            return HiddenDangerCreateSerializer
        return HiddenDangerDetailSerializer

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action != "list":
            queryset = queryset.prefetch_related(
                Prefetch("steps", queryset=HiddenDangerStep.objects.order_by("at", "id"))
            )
        return queryset

    def _answer(self, danger, code=status.HTTP_200_OK):
        """The hidden danger as it is now, read again through the caller's scope."""
        return Response(HiddenDangerDetailSerializer(self.get_queryset().get(pk=danger.pk)).data, status=code)

    def _enterprise(self, request):
        """An enterprise user registers for their own enterprise; others (ops) name one in scope."""
        organisation = request.user.organisation
        if organisation is not None and organisation.kind == OrganisationKind.ENTERPRISE:
            enterprise = Enterprise.objects.filter(pk=organisation.pk).first()
            if enterprise is not None:
                return enterprise
        enterprise = Enterprise.objects.for_user(request.user).filter(pk=request.data.get("enterprise") or 0)
        try:
            return enterprise.get()
        except (Enterprise.DoesNotExist, ValueError, TypeError) as exc:
            raise InvalidInput(_("Name an enterprise in your jurisdiction."), field="enterprise") from exc

    @extend_schema(request=HiddenDangerCreateSerializer, responses={201: HiddenDangerDetailSerializer})
    def create(self, request, *args, **kwargs):
        """登记隐患: 400 naming every wrong field (required fields, codes, the control measure of a
        hidden danger found because a measure failed)."""
        context = {**self.get_serializer_context(), "enterprise": self._enterprise(request)}
        data = HiddenDangerCreateSerializer(data=request.data, context=context)
        data.is_valid(raise_exception=True)
        return self._answer(data.save(), status.HTTP_201_CREATED)

    @extend_schema(request=DangerRectifySerializer, responses=HiddenDangerDetailSerializer)
    @action(detail=True, methods=["post"])
    def rectify(self, request, pk=None):
        """整改: 整改中 → 待验收 with what was done; 409 from any other state."""
        danger = self.get_object()
        data = DangerRectifySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._answer(services.rectify(request.user, danger, **data.validated_data))

    @extend_schema(request=DangerAcceptSerializer, responses=HiddenDangerDetailSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        """验收: 待验收 → 已验收; 403 for the person who rectified it, 409 unless awaiting acceptance."""
        danger = self.get_object()
        data = DangerAcceptSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._answer(services.accept(request.user, danger, **data.validated_data))

    @extend_schema(request=DangerSendBackSerializer, responses=HiddenDangerDetailSerializer)
    @action(detail=True, methods=["post"], url_path="send-back")
    def send_back(self, request, pk=None):
        """退回整改: 待验收 → 整改中, saying why; 409 unless awaiting acceptance."""
        danger = self.get_object()
        data = DangerSendBackSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._answer(services.send_back(request.user, danger, **data.validated_data))


# --- investigation tasks (隐患排查任务) ------------------------------------------------------------


class TaskPeriodFilterSet(EnterpriseOwnedFilterSet):
    """``date`` (cycles overlapping that Beijing day), ``status``, ``enterprise``, ``region``."""

    date = django_filters.DateFilter(method="filter_date", label=_("Day (cycles overlapping it, Beijing time)"))
    status = django_filters.ChoiceFilter(choices=TaskPeriod.Status.choices, label=_("Status"))

    class Meta:
        model = TaskPeriod
        fields = ["date", "status"]

    def filter_date(self, queryset, name, value):
        if value is None:
            return queryset
        start = dt.datetime.combine(value, dt.time(), tzinfo=BEIJING)
        return queryset.filter(starts_at__lt=start + dt.timedelta(days=1), due_at__gt=start)


class TaskPeriodViewSet(ScopedViewSetMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Cycles of investigation tasks (排查任务周期) in scope, newest first: done (已排查) with the time,
    inspector and result of the record, pending (未排查), overdue (超期未排查) or suspended."""

    queryset = (
        TaskPeriod.objects.filter(task__deleted=False)
        .select_related("task", "record", "enterprise__organisation")
        .order_by("-starts_at", "id")
    )
    serializer_class = InvestigationPeriodSerializer
    filterset_class = TaskPeriodFilterSet
    filter_backends = [DjangoFilterBackend]


class MyTaskViewSet(TaskPeriodViewSet):
    """My investigation tasks (我的排查任务), the mobile task inbox: the open cycles (pending or overdue)
    of tasks naming the caller as responsible and, for the enterprise's administrators and safety
    managers, of their enterprise's tasks naming nobody; earliest due first."""

    def get_queryset(self):
        user = self.request.user
        mine = Q(task__responsible=user)
        if user.organisation_id and user.groups.filter(role__code__in=REMINDED_ROLES).exists():
            mine |= Q(task__responsible__isnull=True, enterprise_id=user.organisation_id)
        return (
            super()
            .get_queryset()
            .filter(mine, status__in=[TaskPeriod.Status.PENDING, TaskPeriod.Status.OVERDUE])
            .order_by("due_at", "id")
        )


class TaskResultViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Investigation results (排查结果, DPM-14): a person or an external patrol system says a task was
    checked; the record closes the task's cycle unless the result is 未排查 (2)."""

    queryset = CheckRecord.objects.live()
    serializer_class = InvestigationResultInputSerializer

    def _task(self, request, reference: str) -> CheckTask:
        tasks = CheckTask.objects.live().for_user(request.user)
        reference = reference.strip()
        if reference.isdigit():
            task = tasks.filter(pk=int(reference)).first()
        else:
            try:
                task = tasks.filter(uid=reference).first()
            except (ValueError, DjangoValidationError):
                task = None
        if task is None:
            raise NotFoundError(_("No investigation task with this id in your jurisdiction."))
        return task

    @extend_schema(request=InvestigationResultInputSerializer, responses={201: InvestigationRecordSerializer})
    def create(self, request, *args, **kwargs):
        """记录排查结果: 201 with the record and its cycle's status; 400 naming wrong fields, 404 for a
        task outside the caller's jurisdiction."""
        data = InvestigationResultInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        task = self._task(request, fields.pop("task"))
        record = services.record_investigation(request.user, task, **fields)
        return Response(InvestigationRecordSerializer(record).data, status=status.HTTP_201_CREATED)

"""Hidden-danger governance API (隐患治理, DPM-07/13/15/16): the scoped ledger (隐患台账) and one hidden
danger with its steps; enterprise users register (登记), rectify (整改), accept (验收) or send back (退回).

Rights are checked twice on purpose: ``RolePermissions`` maps the actions to ``change_hiddendanger``
(``scope_actions``), and the services check them again with the jurisdiction, for callers that are not
HTTP."""

import django_filters
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
from apps.core.exceptions import InvalidInput
from apps.enterprises.models import Enterprise
from apps.prevention import services
from apps.prevention.models import DangerState, HiddenDanger, HiddenDangerStep

from .serializers import (
    DangerAcceptSerializer,
    DangerRectifySerializer,
    DangerSendBackSerializer,
    HiddenDangerCreateSerializer,
    HiddenDangerDetailSerializer,
    HiddenDangerSerializer,
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

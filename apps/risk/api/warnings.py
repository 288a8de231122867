"""Warnings API (预警): the scoped list and one warning with its history; the enterprise acknowledges
(签收) and feeds back (处置反馈), the regulator verifies (核查) or sends back (退回); enterprise users' own
warnings under ``/my/warnings``; warnings not handled in time (RSK-27).

Role rights are checked twice on purpose: ``RolePermissions`` maps the actions to the
``dispose_warning`` / ``verify_warning`` permissions (``scope_actions``), and the services check them
again with the jurisdiction, for callers that are not HTTP."""

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from apps.accounts.models import OrganisationKind
from apps.core.api.permissions import RolePermissions
from apps.core.api.viewsets import ScopedViewSetMixin
from apps.risk.models import Warning, WarningEvent
from apps.risk.services import warnings as services

from .filters import UnhandledWarningFilterSet, WarningFilterSet
from .serializers import (
    FeedbackSerializer,
    SendBackSerializer,
    UnhandledWarningSerializer,
    VerifySerializer,
    WarningDetailSerializer,
    WarningSerializer,
)

DETAIL_RELATED = ("acknowledged_by", "feedback_by", "verified_by", "escalated_to")


class _WarningBase(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Warning.objects.select_related("enterprise__organisation__region")
    filterset_class = WarningFilterSet
    filter_backends = [DjangoFilterBackend]

    def get_serializer_class(self):
        return WarningSerializer if self.action == "list" else WarningDetailSerializer

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action != "list":
            queryset = queryset.select_related(*DETAIL_RELATED).prefetch_related(
                Prefetch("events", queryset=WarningEvent.objects.select_related("actor"))
            )
        return queryset

    def _answer(self, warning, code=status.HTTP_200_OK):
        """The warning as it is now, read again through the caller's scope."""
        return Response(self.get_serializer(self.get_queryset().get(pk=warning.pk)).data, status=code)


class _DisposeActions:
    """The enterprise's side: acknowledge and feed back (needs ``dispose_warning``)."""

    @extend_schema(request=None, responses=WarningDetailSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        """签收: the enterprise has seen the warning; reminders stop. Repeating it changes nothing;
        409 once the warning is past acknowledgement."""
        return self._answer(services.acknowledge(self.get_object(), actor=request.user))

    @extend_schema(request=FeedbackSerializer, responses={201: WarningDetailSerializer})
    @action(detail=True, methods=["post"])
    def feedback(self, request, pk=None):
        """处置反馈: measures taken (required), cause and result; acknowledges too if needed. 409 when the
        warning is not awaiting feedback."""
        warning = self.get_object()
        data = FeedbackSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        warning = services.feed_back(warning, actor=request.user, **data.validated_data)
        return self._answer(warning, status.HTTP_201_CREATED)


class _VerifyActions:
    """The regulator's side: verify or send back (needs ``verify_warning``)."""

    @extend_schema(request=VerifySerializer, responses=WarningDetailSerializer)
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        """核查: accept the feedback; the warning closes now if the risk is back, else once it is. 409
        unless fed back."""
        warning = self.get_object()
        data = VerifySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._answer(services.verify(warning, actor=request.user, **data.validated_data))

    @extend_schema(request=SendBackSerializer, responses=WarningDetailSerializer)
    @action(detail=True, methods=["post"], url_path="send-back")
    def send_back(self, request, pk=None):
        """退回: the feedback is not enough (say why); the enterprise disposes again, due anew. 409 unless
        fed back."""
        warning = self.get_object()
        data = SendBackSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._answer(services.send_back(warning, actor=request.user, **data.validated_data))


WARNING_ACTIONS = {"acknowledge": "dispose", "feedback": "dispose", "verify": "verify", "send_back": "verify"}


class WarningViewSet(_DisposeActions, _VerifyActions, _WarningBase):
    """Warnings of the enterprises in scope, newest first (``?status=`` comma list, ``open`` = not closed;
    ``?level=``, ``?region=``, ``?enterprise_id=``, ``?since=``/``?until=`` on the raising time,
    ``?overdue=true``)."""

    scope_actions = WARNING_ACTIONS


class IsEnterpriseUser(BasePermission):
    message = _("Only users of an enterprise have their own warnings.")

    def has_permission(self, request, view):
        organisation = request.user.organisation
        return organisation is not None and organisation.kind == OrganisationKind.ENTERPRISE


class MyWarningViewSet(_DisposeActions, _WarningBase):
    """The caller's own enterprise's warnings (RSK-07): reminders, handling and history. Enterprise users
    only; ``?status=open`` lists those not closed, ``?since=`` the history from a time."""

    permission_classes = [IsAuthenticated, IsEnterpriseUser, RolePermissions]
    scope_actions = WARNING_ACTIONS

    def get_queryset(self):
        return super().get_queryset().filter(enterprise_id=self.request.user.organisation_id)


class WarningQualityViewSet(ScopedViewSetMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Warnings not handled in time (预警处置数据质量, RSK-27/ANA-08), oldest first, each with its
    ``problem``: not acknowledged by its deadline, not fed back by its deadline, or fed back but the
    risk not back down ``ANQUAN_WARNING_RECOVERY_HOURS`` after the feedback."""

    queryset = Warning.objects.select_related("enterprise__organisation__region")
    serializer_class = UnhandledWarningSerializer
    filterset_class = UnhandledWarningFilterSet
    filter_backends = [DjangoFilterBackend]

    def get_queryset(self):
        return super().get_queryset().unhandled().order_by("raised_at", "id")

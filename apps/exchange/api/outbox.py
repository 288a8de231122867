"""The outbox's ops face over HTTP (上报发件箱运维): lanes, retrying a lane, dead letters.

- ``GET /exchange/outbox/lanes``: every lane (subscription) with its backlog and health;
- ``POST /exchange/outbox/lanes/<id>/retry``: clear the lane's backoff and send now;
- ``GET /exchange/outbox/dead-letters?dataset=&partner=&subscription=``: refused records and why;
- ``POST /exchange/outbox/dead-letters/requeue`` ``{"ids": [...]}``: send them again.

People only (never exchange clients), holding ``exchange.view_subscription``; the two writes also
need ``change_subscription`` or ``change_outboxentry``.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import exceptions, serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.authentication import TokenAuthentication
from apps.core.api.pagination import StandardPagination

from .. import outbox, specs
from ..models import OutboxEntry, Subscription

VIEW = "exchange.view_subscription"


class OutboxPermission(BasePermission):
    """``exchange.view_subscription`` for everything, plus the view's ``write_permission`` for POST."""

    message = gettext_lazy("Your role does not permit this action")

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        needed = [VIEW]
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            needed.append(view.write_permission)
        return user.has_perms(needed)


def visible_dead_letters(user):
    """Dead letters carry enterprises' records: province-wide people see all of them, a regional
    administrator those of the enterprises in the region's subtree (as the error queue does)."""
    return OutboxEntry.objects.filter(status=OutboxEntry.Status.DEAD).for_user(user)


class OutboxView(APIView):
    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes = [OutboxPermission]
    write_permission = ""


class PartnerBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    enabled = serializers.BooleanField()


class PartnerRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class LaneSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    partner = PartnerBriefSerializer()
    dataset = serializers.CharField()
    table = serializers.CharField()
    schedule = serializers.CharField()
    enabled = serializers.BooleanField()
    state = serializers.ChoiceField(choices=["ok", "failing", "no_builder", "disabled"])
    backlog = serializers.IntegerField(help_text="entries waiting to be sent")
    oldest_pending_at = serializers.DateTimeField(allow_null=True)
    oldest_pending_age_seconds = serializers.IntegerField(allow_null=True)
    dead_letters = serializers.IntegerField()
    last_success_at = serializers.DateTimeField(allow_null=True)
    last_attempt_at = serializers.DateTimeField(allow_null=True)
    last_error = serializers.CharField(allow_blank=True)
    consecutive_failures = serializers.IntegerField()
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    last_built_at = serializers.DateTimeField(allow_null=True)
    watermark = serializers.DateTimeField(allow_null=True)
    has_builder = serializers.BooleanField()


class DeadLetterSerializer(serializers.ModelSerializer):
    partner = serializers.SerializerMethodField()
    enterprise_name = serializers.SerializerMethodField()

    class Meta:
        model = OutboxEntry
        fields = [
            "id",
            "subscription",
            "partner",
            "dataset",
            "key",
            "enterprise",
            "enterprise_name",
            "attempts",
            "created_at",
            "last_error",
        ]

    @extend_schema_field(PartnerRefSerializer)
    def get_partner(self, entry) -> dict:
        partner = entry.subscription.partner
        return {"id": partner.pk, "name": partner.name}

    def get_enterprise_name(self, entry) -> str | None:
        return entry.enterprise.organisation.name if entry.enterprise_id else None


class RequeueSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        allow_empty=False,
        max_length=1000,
        help_text="dead letter ids",
    )


class RequeueResultSerializer(serializers.Serializer):
    requeued = serializers.IntegerField(help_text="dead letters taken off the list")


class LanesView(OutboxView):
    pagination_class = StandardPagination

    @extend_schema(
        tags=["exchange"], summary="Outbox lanes: backlog, failures, dead letters", responses=LaneSerializer(many=True)
    )
    def get(self, request):
        lanes = outbox.lane_status()
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(lanes, request, view=self)
        return paginator.get_paginated_response(LaneSerializer(page, many=True).data)


class LaneRetryView(OutboxView):
    write_permission = "exchange.change_subscription"

    @extend_schema(
        tags=["exchange"], summary="Retry a lane now (clears its backoff)", request=None, responses=LaneSerializer
    )
    def post(self, request, pk):
        subscription = Subscription.objects.filter(pk=pk).first()
        if subscription is None:
            raise exceptions.NotFound()
        outbox.retry_now(subscription)
        return Response(LaneSerializer(outbox.lane_status([subscription.pk])[0]).data)


class DeadLettersView(OutboxView):
    pagination_class = StandardPagination

    @extend_schema(
        tags=["exchange"],
        summary="Dead letters: records the partner refused, with its reasons",
        parameters=[
            OpenApiParameter("dataset", str),
            OpenApiParameter("partner", int, description="partner id"),
            OpenApiParameter("subscription", int, description="subscription (lane) id"),
        ],
        responses=DeadLetterSerializer(many=True),
    )
    def get(self, request):
        queryset = visible_dead_letters(request.user)
        errors = {}
        dataset = request.query_params.get("dataset", "").strip()
        if dataset:
            if specs.get(dataset) is None:
                errors["dataset"] = [_("Unknown dataset %(name)s.") % {"name": dataset}]
            queryset = queryset.filter(dataset=dataset)
        for name, lookup in (("partner", "subscription__partner_id"), ("subscription", "subscription_id")):
            value = request.query_params.get(name, "").strip()
            if value:
                if not value.isdigit():
                    errors[name] = [_("Give the id (a whole number).")]
                else:
                    queryset = queryset.filter(**{lookup: int(value)})
        if errors:
            raise exceptions.ValidationError(errors)
        queryset = (
            queryset.select_related("subscription__partner", "enterprise__organisation")
            .defer("payload")
            .order_by("-id")
        )
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(DeadLetterSerializer(page, many=True).data)


class RequeueView(OutboxView):
    write_permission = "exchange.change_outboxentry"

    @extend_schema(
        tags=["exchange"],
        summary="Send dead letters again (each key's latest version, at the end of its lane)",
        request=RequeueSerializer,
        responses=RequeueResultSerializer,
    )
    def post(self, request):
        serializer = RequeueSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ids = sorted(set(serializer.validated_data["ids"]))
        visible = set(visible_dead_letters(request.user).filter(pk__in=ids).values_list("pk", flat=True))
        if len(visible) != len(ids):
            missing = ", ".join(str(i) for i in ids if i not in visible)
            raise exceptions.ValidationError({"ids": [_("Not dead letters: %(ids)s.") % {"ids": missing[:200]}]})
        return Response({"requeued": outbox.requeue_dead(ids)})

"""Received data and its quality (数据交换质量): punctuality (DX-SD-08), refused records and the error
queue (DX-04), orphans, quarantined and incomplete records (ANA-10), what was received per table.

Thin views: parameters are validated here (``400 {"field": [...]}``), the figures come from
``apps.exchange.quality``, always within the caller's scope — a regulator's jurisdiction, an
enterprise user's own enterprise, or an exchange client's own scope where a view allows clients.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import exceptions, serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.authentication import TokenAuthentication
from apps.core.api.pagination import StandardPagination

from .. import quality
from ..authentication import ExchangeClientAuthentication
from ..models import ExchangeClient

# ---------------------------------------------------------------- access


class ExchangeQualityReaders(BasePermission):
    """People with the role's right to view received records (their scope); exchange clients only
    on the views that set ``clients_allowed`` (their own scope)."""

    message = gettext_lazy("Exchange clients may read punctuality, rejections and errors only.")

    def has_permission(self, request, view):
        if isinstance(request.auth, ExchangeClient):
            return getattr(view, "clients_allowed", False)
        if not (request.user and request.user.is_authenticated):
            raise exceptions.NotAuthenticated()
        return request.user.has_perm("exchange.view_receivedrecord")


def viewer(request):
    """Whose scope applies: the exchange client's or the person's."""
    return request.auth if isinstance(request.auth, ExchangeClient) else request.user


class QualityView(APIView):
    authentication_classes = [ExchangeClientAuthentication, TokenAuthentication, SessionAuthentication]
    permission_classes = [ExchangeQualityReaders]
    clients_allowed = False

    def params(self, serializer_class) -> dict:
        data = serializer_class(data={k: v for k, v in self.request.query_params.items() if v != ""})
        data.is_valid(raise_exception=True)
        return data.validated_data

    def paginate(self, items, serializer_class, extra: dict | None = None):
        paginator = StandardPagination()
        page = paginator.paginate_queryset(items, self.request, view=self)
        response = paginator.get_paginated_response(serializer_class(page, many=True).data)
        if extra:
            response.data.update(extra)
        return response


# ---------------------------------------------------------------- parameters


@extend_schema_field(OpenApiTypes.STR)
class SinceField(serializers.Field):
    """An ISO 8601 date-time, or a date (its Beijing midnight)."""

    default_error_messages = {"invalid": gettext_lazy("Give a date (YYYY-MM-DD) or an ISO 8601 date-time.")}

    def to_internal_value(self, data):
        text = str(data).strip()
        try:
            moment = parse_datetime(text)
            day = None if moment else parse_date(text)
        except ValueError:
            self.fail("invalid")
        if moment is not None:
            return moment if timezone.is_aware(moment) else timezone.make_aware(moment)
        if day is None:
            self.fail("invalid")
        return quality.beijing_midnight(day)

    def to_representation(self, value):
        return value.isoformat()


def dataset_field(**kwargs):
    return serializers.ChoiceField(choices=quality.datasets(), **kwargs)


class PunctualityParams(serializers.Serializer):
    table = dataset_field(required=False, help_text="the exchange table (dataset); all tables when left out")
    status = serializers.ChoiceField(choices=quality.STATUSES, required=False)
    enterprise = serializers.IntegerField(required=False, min_value=1)


class RejectionParams(serializers.Serializer):
    dataset = dataset_field(required=False)
    enterprise = serializers.IntegerField(required=False, min_value=1)
    reason = serializers.RegexField(
        quality.REASON_PATTERN,
        max_length=80,
        required=False,
        help_text="FIELD:code (e.g. HAZARD_DEP:max_length) or a field alone",
        error_messages={"invalid": gettext_lazy("Give FIELD:code or a field name.")},
    )
    since = SinceField(required=False)


class RejectionSummaryParams(serializers.Serializer):
    dataset = dataset_field(required=False)
    enterprise = serializers.IntegerField(required=False, min_value=1)
    since = SinceField(required=False)


class ErrorParams(serializers.Serializer):
    direction = serializers.ChoiceField(choices=("inbound", "outbound"), required=False)


class OverviewParams(serializers.Serializer):
    since = SinceField(required=False, help_text="rejections since (default: the last 7 days)")


class ReceivedParams(serializers.Serializer):
    enterprise = serializers.IntegerField(required=False, min_value=1)


# ---------------------------------------------------------------- response shapes


class ExchangePunctualityRowSerializer(serializers.Serializer):
    dataset = serializers.CharField()
    frequency_class = serializers.CharField()
    enterprise = serializers.IntegerField(source="enterprise_id")
    enterprise_name = serializers.CharField()
    region = serializers.CharField(source="region_code")
    region_name = serializers.CharField()
    status = serializers.CharField(allow_null=True, help_text="on_time, late, missing, pending; null: not judged")
    last_upload_at = serializers.DateTimeField(allow_null=True)
    hours_since = serializers.FloatField(allow_null=True)
    first_upload_today = serializers.DateTimeField(allow_null=True, help_text="special works only")
    deadline = serializers.DateTimeField(allow_null=True, help_text="special works: today 10:00")
    uploads = serializers.IntegerField()
    records = serializers.IntegerField()
    rejected = serializers.IntegerField()


class ExchangeRejectionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    dataset = serializers.CharField()
    key = serializers.CharField()
    index = serializers.IntegerField(help_text="position in the upload")
    enterprise = serializers.IntegerField(source="enterprise_id", allow_null=True)
    enterprise_name = serializers.SerializerMethodField()
    region = serializers.CharField(source="region.code")
    received_at = serializers.DateTimeField()
    received_from = serializers.CharField(source="batch.client.name")
    errors = serializers.DictField(child=serializers.CharField())
    reasons = serializers.ListField(child=serializers.CharField())
    payload = serializers.JSONField(allow_null=True)

    def get_enterprise_name(self, obj) -> str | None:
        return obj.enterprise.organisation.name if obj.enterprise_id else None


class ExchangeErrorSerializer(serializers.Serializer):
    direction = serializers.CharField(help_text="inbound: a refused received record; outbound: a dead outbox entry")
    id = serializers.IntegerField()
    dataset = serializers.CharField()
    key = serializers.CharField()
    enterprise = serializers.IntegerField(allow_null=True)
    enterprise_name = serializers.CharField(allow_null=True)
    region = serializers.CharField(allow_null=True)
    at = serializers.DateTimeField()
    counterpart = serializers.CharField(help_text="the client that sent it, or the partner it was for")
    errors = serializers.DictField(child=serializers.CharField())
    reasons = serializers.ListField(child=serializers.CharField())
    attempts = serializers.IntegerField(allow_null=True)


class ExchangeReasonSerializer(serializers.Serializer):
    dataset = serializers.CharField()
    reason = serializers.CharField()
    field = serializers.CharField()
    field_name = serializers.CharField()
    code = serializers.CharField()
    count = serializers.IntegerField()
    enterprises = serializers.IntegerField()
    last_at = serializers.DateTimeField()
    sample = serializers.CharField()


class ExchangeDatasetRejectionsSerializer(serializers.Serializer):
    dataset = serializers.CharField()
    count = serializers.IntegerField()
    last_at = serializers.DateTimeField()


class ExchangeRejectionSummarySerializer(serializers.Serializer):
    since = serializers.DateTimeField(allow_null=True)
    total = serializers.IntegerField()
    by_dataset = ExchangeDatasetRejectionsSerializer(many=True)
    by_reason = ExchangeReasonSerializer(many=True)


class ExchangePunctualityCountsSerializer(serializers.Serializer):
    dataset = serializers.CharField()
    frequency_class = serializers.CharField()
    judged = serializers.BooleanField()
    expected = serializers.IntegerField()
    on_time = serializers.IntegerField()
    late = serializers.IntegerField()
    missing = serializers.IntegerField()
    pending = serializers.IntegerField()


class ExchangeFlagCountsSerializer(serializers.Serializer):
    dataset = serializers.CharField()
    orphan = serializers.IntegerField()
    quarantined = serializers.IntegerField()
    incomplete = serializers.IntegerField()


class ExchangeOrphansByEnterpriseSerializer(serializers.Serializer):
    dataset = serializers.CharField()
    enterprise = serializers.IntegerField(source="enterprise_id", allow_null=True)
    enterprise_name = serializers.CharField(allow_null=True)
    region_name = serializers.CharField(allow_null=True)
    count = serializers.IntegerField()
    oldest = serializers.DateTimeField()


class ExchangeOverviewSerializer(serializers.Serializer):
    now = serializers.DateTimeField()
    late = serializers.IntegerField()
    missing = serializers.IntegerField()
    orphans = serializers.IntegerField()
    quarantined = serializers.IntegerField()
    incomplete = serializers.IntegerField()
    punctuality = ExchangePunctualityCountsSerializer(many=True)
    rejections = ExchangeRejectionSummarySerializer()
    by_dataset = ExchangeFlagCountsSerializer(many=True)
    orphans_by_enterprise = ExchangeOrphansByEnterpriseSerializer(many=True)


class ExchangeReceivedSerializer(serializers.Serializer):
    dataset = serializers.CharField()
    frequency_class = serializers.CharField()
    live = serializers.IntegerField()
    deleted = serializers.IntegerField()
    orphan = serializers.IntegerField()
    last_received_at = serializers.DateTimeField(allow_null=True)


# ---------------------------------------------------------------- views


class PunctualityView(QualityView):
    """Upload punctuality (上报及时性, DX-SD-08): the enterprises expected to upload a table, late,
    never uploaded or on time."""

    clients_allowed = True

    @extend_schema(
        tags=["exchange"],
        summary="Upload punctuality per table (DX-SD-08)",
        parameters=[PunctualityParams],
        responses={200: ExchangePunctualityRowSerializer(many=True)},
    )
    def get(self, request):
        params = self.params(PunctualityParams)
        table = params.get("table")
        rows = quality.punctuality_rows(
            viewer(request), [table] if table else None, enterprise=params.get("enterprise")
        )
        counts = quality.punctuality_counts(rows)
        status = params.get("status")
        if status:
            rows = [r for r in rows if r["status"] == status]
        if table:
            counts = [c for c in counts if c["dataset"] == table]
        return self.paginate(
            rows,
            ExchangePunctualityRowSerializer,
            {"counts": ExchangePunctualityCountsSerializer(counts, many=True).data},
        )


class RejectionListView(QualityView):
    """Refused records (被拒记录) with their field-level reasons, newest first."""

    clients_allowed = True

    @extend_schema(
        tags=["exchange"],
        summary="Refused records with their reasons",
        parameters=[RejectionParams],
        responses={200: ExchangeRejectionSerializer(many=True)},
    )
    def get(self, request):
        params = self.params(RejectionParams)
        queryset = quality.rejections(viewer(request), **params).select_related(
            "enterprise__organisation", "region", "batch__client"
        )
        return self.paginate(queryset, ExchangeRejectionSerializer)


class RejectionSummaryView(QualityView):
    """Refused records counted per table and per reason (field + code), with a sample message."""

    clients_allowed = True

    @extend_schema(
        tags=["exchange"],
        summary="Refused records counted by table and reason",
        parameters=[RejectionSummaryParams],
        responses={200: ExchangeRejectionSummarySerializer},
    )
    def get(self, request):
        params = self.params(RejectionSummaryParams)
        return Response(ExchangeRejectionSummarySerializer(quality.rejection_summary(viewer(request), **params)).data)


class ErrorQueueView(QualityView):
    """The exchange error queue (DX-04): refused received records, and for ops and regulator
    administrators the dead letters of the outbox."""

    clients_allowed = True

    @extend_schema(
        tags=["exchange"],
        summary="Exchange error queue (DX-04)",
        parameters=[ErrorParams],
        responses={200: ExchangeErrorSerializer(many=True)},
    )
    def get(self, request):
        direction = self.params(ErrorParams).get("direction")
        if direction == "outbound" and not quality.may_see_outbound(viewer(request)):
            raise exceptions.PermissionDenied(_("Only ops and regulator administrators see outbound errors."))
        paginator = StandardPagination()
        page = paginator.paginate_queryset(quality.error_queue(viewer(request), direction), request, view=self)
        return paginator.get_paginated_response(ExchangeErrorSerializer(quality.error_details(page), many=True).data)


class QualityOverviewView(QualityView):
    """Data-exchange quality in one answer: late and missing uploads per table, rejections by reason,
    orphans, quarantined and incomplete records."""

    @extend_schema(
        tags=["exchange"],
        summary="Data-exchange quality overview",
        parameters=[OverviewParams],
        responses={200: ExchangeOverviewSerializer},
    )
    def get(self, request):
        params = self.params(OverviewParams)
        return Response(ExchangeOverviewSerializer(quality.overview(viewer(request), since=params.get("since"))).data)


class ReceivedSummaryView(QualityView):
    """What was received per table: live, flagged deleted, orphaned, last arrival."""

    @extend_schema(
        tags=["exchange"],
        summary="Received records per table",
        parameters=[ReceivedParams],
        responses={200: ExchangeReceivedSerializer(many=True)},
    )
    def get(self, request):
        params = self.params(ReceivedParams)
        rows = quality.received_summary(viewer(request), enterprise=params.get("enterprise"))
        return Response(ExchangeReceivedSerializer(rows, many=True).data)

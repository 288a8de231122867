"""``/api/v1/exchange/<dataset>``: exchange clients upload (contract.md §4); clients and regulators
read back what was received. Records are never deleted through the API (DX-SD-04): only GET and
POST are offered, any other verb is 405."""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import FileResponse
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.parsers import JSONParser
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.authentication import TokenAuthentication
from apps.core.api.pagination import StandardPagination

from .. import receiver, specs
from ..authentication import ExchangeClientAuthentication
from ..files import stored_file
from ..models import ExchangeClient, ReceivedRecord

TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off", ""}


class AnyTypeJSONParser(JSONParser):
    """Uploads are JSON whatever Content-Type a sender's system puts on them (contract §4 answers 400,
    not 415, for a body that is not a JSON array)."""

    media_type = "*/*"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("The upload is too large.")


class ClientUploadsUsersRead(BasePermission):
    """POST: exchange clients only. GET: exchange clients (their own records) and people with the
    role's permission to view received records (their jurisdiction)."""

    def has_permission(self, request, view):
        if isinstance(request.auth, ExchangeClient):
            return True
        if not (request.user and request.user.is_authenticated):
            raise exceptions.NotAuthenticated()
        if request.method == "POST":
            raise exceptions.PermissionDenied(_("Only exchange clients may upload records."))
        return request.user.has_perm("exchange.view_receivedrecord")


def dataset_or_404(dataset: str) -> specs.DatasetSpec:
    spec = specs.get(dataset)
    if spec is None:
        raise exceptions.NotFound(_("Unknown dataset %(name)s.") % {"name": dataset})
    return spec


def _flag(request, name: str, default: bool = False) -> bool:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if raw.lower() in TRUE:
        return True
    if raw.lower() in FALSE:
        return False
    raise exceptions.ValidationError({name: [_("Use true or false.")]})


def record_json(record: ReceivedRecord) -> dict:
    """A received record as the table's own fields, plus our facts about it under lower-case names
    that no table uses."""
    return {
        **record.payload,
        "deleted": record.deleted,
        "orphan": record.orphan,
        "enterprise": record.enterprise_id,
        "enterprise_name": record.enterprise.organisation.name if record.enterprise_id else None,
        "received_from": record.client.name,
        "first_received_at": record.first_received_at.isoformat(),
        "received_at": record.last_received_at.isoformat(),
        "times_received": record.versions,
        "details": record.details,
        "warnings": record.warnings,
    }


def visible_records(request, spec):
    viewer = request.auth if isinstance(request.auth, ExchangeClient) else request.user
    return ReceivedRecord.objects.filter(dataset=spec.dataset).for_viewer(viewer)


class ExchangeDatasetView(APIView):
    authentication_classes = [ExchangeClientAuthentication, TokenAuthentication, SessionAuthentication]
    permission_classes = [ClientUploadsUsersRead]
    parser_classes = [JSONParser, AnyTypeJSONParser]

    @extend_schema(
        tags=["exchange"],
        operation_id="exchange_upload",
        summary="Upload records of one exchange table (contract.md §4)",
        request={"application/json": {"type": "array", "items": {"type": "object"}, "maxItems": 1000}},
        responses={200: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT, 401: None, 403: None},
    )
    def post(self, request, dataset):
        spec = dataset_or_404(dataset)
        limit = getattr(settings, "ANQUAN_EXCHANGE_MAX_BODY_BYTES", 64 * 1024 * 1024)
        length = request.META.get("CONTENT_LENGTH")
        if length and length.isdigit() and int(length) > limit:
            raise PayloadTooLarge()
        body = request.data
        if not isinstance(body, list) or not all(isinstance(item, dict) for item in body):
            raise exceptions.ValidationError({"detail": _("The body must be a JSON array of record objects.")})
        most = getattr(settings, "ANQUAN_EXCHANGE_MAX_RECORDS", 1000)
        if len(body) > most:
            raise exceptions.ValidationError(
                {
                    "detail": _("At most %(most)s records per request (this has %(count)s).")
                    % {"most": most, "count": len(body)}
                }
            )
        company = request.query_params.get("company", "").strip()
        try:
            outcome = receiver.receive(request.auth, spec.dataset, body, company=company)
        except receiver.ConsumerFailed:
            return Response(
                {"detail": _("The records could not be taken now; nothing was stored. Send them again later.")},
                status=status.HTTP_503_SERVICE_UNAVAILABLE,
                headers={"Retry-After": "60"},
            )
        return Response(outcome.as_dict(), status=status.HTTP_200_OK)

    @extend_schema(
        tags=["exchange"],
        operation_id="exchange_dataset_records_list",
        summary="Records received for one exchange table",
        parameters=[
            OpenApiParameter("includeDeleted", bool, description="include records flagged DELETED=1"),
            OpenApiParameter("enterprise", int),
            OpenApiParameter("orphan", bool, description="only records whose parent has not arrived"),
            OpenApiParameter("key", str),
            OpenApiParameter("since", str, description="received at or after (ISO 8601)"),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request, dataset):
        spec = dataset_or_404(dataset)
        queryset = visible_records(request, spec).select_related("enterprise__organisation", "client")
        if not _flag(request, "includeDeleted"):
            queryset = queryset.filter(deleted=False)
        if "orphan" in request.query_params:
            queryset = queryset.filter(orphan=_flag(request, "orphan"))
        enterprise = request.query_params.get("enterprise")
        if enterprise:
            if not enterprise.isdigit():
                raise exceptions.ValidationError({"enterprise": [_("Give the enterprise's id.")]})
            queryset = queryset.filter(enterprise_id=int(enterprise))
        key = request.query_params.get("key")
        if key:
            queryset = queryset.filter(key=key.strip().lower())
        since = request.query_params.get("since")
        if since:
            parsed = parse_datetime(since)
            if parsed is None:
                raise exceptions.ValidationError({"since": [_("Use an ISO 8601 date and time.")]})
            queryset = queryset.filter(last_received_at__gte=parsed)
        paginator = StandardPagination()
        page = paginator.paginate_queryset(queryset.order_by("-last_received_at", "-id"), request, view=self)
        return paginator.get_paginated_response([record_json(r) for r in page])


class ExchangeRecordView(APIView):
    """One received record with every version that arrived (audit)."""

    authentication_classes = [ExchangeClientAuthentication, TokenAuthentication, SessionAuthentication]
    permission_classes = [ClientUploadsUsersRead]

    @extend_schema(
        tags=["exchange"], summary="One received record and its history", responses={200: OpenApiTypes.OBJECT}
    )
    def get(self, request, dataset, key):
        spec = dataset_or_404(dataset)
        record = (
            visible_records(request, spec)
            .select_related("enterprise__organisation", "client")
            .filter(key=key.strip().lower())
            .first()
        )
        if record is None:
            raise exceptions.NotFound()
        history = record.history.select_related("batch__client").order_by("-received_at", "-id")[:200]
        return Response(
            {
                **record_json(record),
                "history": [
                    {
                        "received_at": v.received_at.isoformat(),
                        "received_from": v.batch.client.name,
                        "payload": v.payload,
                    }
                    for v in history
                ],
            }
        )


class ExchangeFileView(APIView):
    """A file received with a record, for those who may see the record."""

    authentication_classes = [ExchangeClientAuthentication, TokenAuthentication, SessionAuthentication]
    permission_classes = [ClientUploadsUsersRead]

    @extend_schema(
        tags=["exchange"],
        operation_id="exchange_received_file",
        summary="A file received with a record (image or PDF)",
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
    )
    def get(self, request, record_id, digest):
        viewer = request.auth if isinstance(request.auth, ExchangeClient) else request.user
        record = ReceivedRecord.objects.for_viewer(viewer).filter(pk=record_id).first()
        reference = stored_file(record, digest) if record is not None else None
        if reference is None or not default_storage.exists(reference["file"]):
            raise exceptions.NotFound()
        response = FileResponse(default_storage.open(reference["file"], "rb"), content_type=reference["media_type"])
        response["Cache-Control"] = "private, max-age=3600"
        return response

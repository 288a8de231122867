from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from apps.core.api.permissions import perm_name
from apps.core.api.viewsets import ScopedViewSetMixin
from apps.core.exceptions import InvalidInput, NotFoundError, PermissionDeniedError
from apps.core.exports import XLSX
from apps.enterprises.models import Enterprise
from apps.facilities.models import Facility
from apps.imports import services
from apps.imports.exports import EXPORTS
from apps.imports.models import ImportJob, ImportKind
from apps.monitoring.models import MonitoringPoint

from .serializers import ImportJobBriefSerializer, ImportJobCreateSerializer, ImportJobSerializer

KIND_PATTERN = "|".join(ImportKind.values)
KIND_PARAMETER = OpenApiParameter("kind", str, OpenApiParameter.PATH, enum=ImportKind.values)
XLSX_RESPONSE = {(200, XLSX): OpenApiTypes.BINARY}
EXPORTED = {
    ImportKind.ENTERPRISES: lambda user: Enterprise.objects.for_user(user).active(),
    ImportKind.FACILITIES: lambda user: Facility.objects.for_user(user).active(),
    ImportKind.POINTS: lambda user: MonitoringPoint.objects.for_user(user).active(),
}


class ImportJobViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Excel imports (Excel导入): upload a filled-in template; a task validates every row and imports all
    rows or none, and the job reports progress and row errors."""

    queryset = ImportJob.objects.select_related("created_by", "enterprise__organisation").order_by("-created_at")
    parser_classes = [MultiPartParser, FormParser]
    filterset_fields = ["kind", "status", "enterprise"]
    ordering_fields = ["created_at"]
    scope_actions = {"template": "view", "export": "view"}

    def get_serializer_class(self):
        return ImportJobBriefSerializer if self.action == "list" else ImportJobSerializer

    @extend_schema(request=ImportJobCreateSerializer, responses={201: ImportJobSerializer})
    def create(self, request, *args, **kwargs):
        data = ImportJobCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        enterprise = None
        if values.get("enterprise"):
            # Existence only; require_enterprise_write in the service decides on scope (404 either way).
            enterprise = Enterprise.objects.filter(pk=values["enterprise"]).first()
            if enterprise is None:
                raise NotFoundError(_("Enterprise not found."), field="enterprise")
        job = services.create_job(request.user, kind=values["kind"], file=values["file"], enterprise=enterprise)
        return Response(ImportJobSerializer(job).data, status=status.HTTP_201_CREATED)

    @extend_schema(parameters=[KIND_PARAMETER], responses=XLSX_RESPONSE)
    @action(detail=False, methods=["get"], url_path=f"templates/(?P<kind>{KIND_PATTERN})")
    def template(self, request, kind=None):
        """The template (导入模板) of a kind: headers, one example row, and the 说明 sheet."""
        importer = services.importer_for(kind, request.user)
        response = HttpResponse(importer.template(), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="{kind}-import-template.xlsx"'
        return response

    @extend_schema(
        parameters=[
            KIND_PARAMETER,
            OpenApiParameter("enterprise", int, description="enterprise id; required for facilities and points"),
        ],
        responses=XLSX_RESPONSE,
    )
    @action(detail=False, methods=["get"], url_path=f"exports/(?P<kind>{KIND_PATTERN})")
    def export(self, request, kind=None):
        """The data in scope, in exactly the template's columns: edit the file and import it again."""
        queryset = EXPORTED[kind](request.user)
        if not request.user.has_perm(perm_name(queryset.model, "view")):
            raise PermissionDeniedError()
        if kind != ImportKind.ENTERPRISES:
            enterprise_id = request.query_params.get("enterprise")
            if enterprise_id:
                if not enterprise_id.isdigit():
                    raise InvalidInput(_("An enterprise id is a number."), field="enterprise")
                enterprise = Enterprise.objects.for_user(request.user).filter(pk=int(enterprise_id)).first()
            else:
                enterprise = services.own_enterprise(request.user)
                if enterprise is None:
                    raise InvalidInput(_("Choose the enterprise to export."), field="enterprise")
            if enterprise is None:
                raise NotFoundError(_("Enterprise not found."), field="enterprise")
            queryset = queryset.filter(enterprise=enterprise)
        return EXPORTS[kind](queryset)

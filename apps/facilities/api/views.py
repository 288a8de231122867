import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.core.api.filters import EnterpriseOwnedFilterSet
from apps.core.api.viewsets import ScopedViewSetMixin
from apps.core.exceptions import InvalidInput
from apps.enterprises.models import Enterprise
from apps.facilities import services
from apps.facilities.models import Facility, FacilityKind, FacilityStatus

from .serializers import (
    FacilityKindSerializer,
    FacilitySerializer,
    FacilityUpdateSerializer,
    FacilityWriteSerializer,
    StatusChangeSerializer,
)


class FacilityKindViewSet(viewsets.ReadOnlyModelViewSet):
    """Kinds of facility and the schema of their attributes (reference data)."""

    queryset = FacilityKind.objects.order_by("sort", "code")
    serializer_class = FacilityKindSerializer
    lookup_field = "code"
    pagination_class = None

    def filter_queryset(self, queryset):
        industry = self.request.query_params.get("industry")
        return queryset.filter(industries__contains=[industry]) if industry else queryset


class FacilityFilterSet(EnterpriseOwnedFilterSet):
    kind = django_filters.CharFilter(field_name="kind__code", label=_("Facility kind code"))
    industry = django_filters.CharFilter(method="filter_industry", label=_("Industry"))
    status = django_filters.ChoiceFilter(choices=FacilityStatus.choices)
    parent = django_filters.NumberFilter(field_name="parent_id")

    class Meta:
        model = Facility
        fields = ["enterprise", "region", "kind", "industry", "status", "parent"]

    def filter_industry(self, queryset, name, value):
        return queryset.filter(kind__industries__contains=[value])


def resolve_enterprise(user, enterprise_id) -> Enterprise:
    enterprise = Enterprise.objects.for_user(user).filter(pk=enterprise_id).select_related("organisation").first()
    if enterprise is None:
        raise InvalidInput(_("Unknown enterprise."), field="enterprise")
    return enterprise


def resolve_parent(enterprise, parent_id):
    if parent_id is None:
        return None
    parent = Facility.objects.filter(pk=parent_id, enterprise=enterprise).select_related("kind").first()
    if parent is None:
        raise InvalidInput(_("Unknown parent facility."), field="parent")
    return parent


class FacilityViewSet(
    ScopedViewSetMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Facilities (设备设施) of the enterprises in scope; enterprises maintain their own."""

    queryset = (
        Facility.objects.active().select_related("kind", "enterprise__organisation").order_by("enterprise_id", "code")
    )
    serializer_class = FacilitySerializer
    filterset_class = FacilityFilterSet
    search_fields = ["code", "name", "registration_code"]
    ordering_fields = ["code", "name", "updated_at"]
    scope_actions = {"status_change": "change", "history": "view"}

    @extend_schema(request=FacilityWriteSerializer, responses={201: FacilitySerializer})
    def create(self, request, *args, **kwargs):
        data = FacilityWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        enterprise = resolve_enterprise(request.user, values.pop("enterprise"))
        values["parent"] = resolve_parent(enterprise, values.pop("parent", None))
        facility = services.register_facility(request.user, enterprise=enterprise, **values)
        return Response(FacilitySerializer(facility).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=FacilityUpdateSerializer, responses=FacilitySerializer)
    def update(self, request, *args, **kwargs):
        facility = self.get_object()
        data = FacilityUpdateSerializer(data=request.data, partial=kwargs.get("partial", False))
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        if "parent" in values:
            values["parent"] = resolve_parent(facility.enterprise, values["parent"])
        facility = services.update_facility(request.user, facility, **values)
        return Response(FacilitySerializer(facility).data)

    @extend_schema(request=StatusChangeSerializer, responses={201: StatusChangeSerializer})
    @action(detail=True, methods=["post"], url_path="status")
    def status_change(self, request, pk=None):
        """Put in service, stop (停用) or scrap (报废), with the date it takes effect."""
        data = StatusChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        change = services.change_status(request.user, self.get_object(), **data.validated_data)
        return Response(StatusChangeSerializer(change).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=StatusChangeSerializer(many=True))
    @action(detail=True, methods=["get"])
    def history(self, request, pk=None):
        facility = self.get_object()
        return Response(StatusChangeSerializer(facility.status_changes.select_related("recorded_by"), many=True).data)

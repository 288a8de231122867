import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from apps.core.api.filters import EnterpriseOwnedFilterSet
from apps.core.api.lookups import in_scope
from apps.core.api.viewsets import ScopedViewSetMixin
from apps.enterprises.api.views import resolve_enterprise
from apps.facilities.models import Facility
from apps.video import services
from apps.video.models import Camera

from .serializers import CameraSerializer, CameraUpdateSerializer, CameraWriteSerializer


def resolve_facility(user, facility_id) -> Facility | None:
    """A camera's facility is optional; when given it must be in the caller's scope."""
    return (
        None
        if facility_id is None
        else in_scope(Facility.objects.active(), user, facility_id, field="facility", unknown=_("Unknown facility."))
    )


class CameraFilterSet(EnterpriseOwnedFilterSet):
    facility = django_filters.NumberFilter(field_name="facility_id", label=_("Facility id"))
    in_use = django_filters.BooleanFilter(field_name="in_use")
    q = django_filters.CharFilter(method="filter_text", label=_("Code, name or position"))

    class Meta:
        model = Camera
        fields = ["enterprise", "region", "facility", "in_use", "q"]

    def filter_text(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(code__icontains=value) | Q(name__icontains=value) | Q(position__icontains=value))


class CameraViewSet(
    ScopedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """Cameras (视频监控点) with GB/T 28181 codes; enterprises maintain their own. DELETE retires a camera."""

    queryset = (
        Camera.objects.active().select_related("enterprise__organisation", "facility").order_by("enterprise_id", "code")
    )
    serializer_class = CameraSerializer
    filterset_class = CameraFilterSet
    ordering_fields = ["code", "name", "updated_at"]
    # Retiring is a soft delete: the role's change permission suffices.
    scope_actions = {"destroy": "change"}

    @extend_schema(request=CameraWriteSerializer, responses={201: CameraSerializer})
    def create(self, request, *args, **kwargs):
        data = CameraWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        enterprise = resolve_enterprise(request.user, values.pop("enterprise"))
        values["facility"] = resolve_facility(request.user, values["facility"])
        camera = services.register_camera(request.user, enterprise=enterprise, **values)
        return Response(CameraSerializer(camera).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CameraUpdateSerializer, responses=CameraSerializer)
    def update(self, request, *args, **kwargs):
        camera = self.get_object()
        data = CameraUpdateSerializer(data=request.data, partial=kwargs.get("partial", False))
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        if "facility" in values:
            values["facility"] = resolve_facility(request.user, values["facility"])
        camera = services.update_camera(request.user, camera, **values)
        return Response(CameraSerializer(camera).data)

    @extend_schema(responses={204: None})
    def destroy(self, request, *args, **kwargs):
        services.retire_camera(request.user, self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

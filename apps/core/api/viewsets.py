"""DRF bases for jurisdiction-scoped data. Every API over a scoped model derives from these."""

from drf_spectacular.utils import extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.permissions import IsAuthenticated

from apps.core.scoping import is_scoped

from .permissions import RolePermissions, action_for


class ScopedViewSetMixin:
    """Restricts ``self.queryset`` to the user's jurisdiction before any handler runs.

    The restriction happens in ``initial`` (as NetBox's ``BaseViewSet`` does), so a subclass's
    ``get_queryset``, ``get_object`` and every custom action see only rows in scope.
    """

    permission_classes = [IsAuthenticated, RolePermissions]

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        queryset = getattr(cls, "queryset", None)
        if queryset is not None and not is_scoped(queryset.model):
            raise TypeError(f"{cls.__name__}: {queryset.model.__name__} is not a jurisdiction-scoped model")

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.queryset = self.queryset.for_user(request.user, action_for(request, self))


class ScopedReadOnlyViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass


class ScopedModelViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    pass


class ScopedCreateReadUpdateViewSet(
    ScopedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    """For records that are never deleted (soft-delete by a flag instead)."""


__all__ = [
    "ScopedViewSetMixin",
    "ScopedReadOnlyViewSet",
    "ScopedModelViewSet",
    "ScopedCreateReadUpdateViewSet",
    "extend_schema_view",
]

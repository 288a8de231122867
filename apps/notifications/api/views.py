"""Notifications API (消息通知): the caller's own messages, read marks and the unread count."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from apps.core.api.viewsets import ScopedViewSetMixin
from apps.notifications import services
from apps.notifications.filtersets import NotificationFilterSet
from apps.notifications.models import Notification

from .serializers import NotificationSerializer, ReadAllSerializer, UnreadCountSerializer, UpdatedSerializer


class NotificationViewSet(
    ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """The caller's notifications, newest first. Scoped to the recipient (see ``NotificationQuerySet``):
    owning a message is the permission to read it, whatever the role, so no role permission is required."""

    queryset = Notification.objects.select_related("content_type").order_by("-created_at", "-id")
    serializer_class = NotificationSerializer
    filterset_class = NotificationFilterSet
    permission_classes = [IsAuthenticated]
    ordering_fields = ["created_at"]

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        """Mark one notification read (idempotent)."""
        notification = services.mark_read(request.user, self.get_object().pk)
        return Response(self.get_serializer(notification).data)

    @extend_schema(request=ReadAllSerializer, responses=UpdatedSerializer)
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        """Mark all unread notifications read, or only those of ``kind``; answers how many changed."""
        data = ReadAllSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response({"updated": services.mark_all_read(request.user, kind=data.validated_data["kind"])})

    @extend_schema(request=None, responses=UnreadCountSerializer)
    @action(detail=False, methods=["get"], url_path="unread-count")
    def unread_count(self, request):
        """How many of the caller's notifications are unread (the navbar bell)."""
        return Response({"unread": services.unread_count(request.user)})

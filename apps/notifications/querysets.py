"""Read logic of notifications: a user's own messages, unread ones, deliveries due for a try."""

from django.db import models
from django.utils import timezone

from apps.core.scoping import ScopedQuerySet

from .choices import MAX_ATTEMPTS, DeliveryStatus


class NotificationQuerySet(ScopedQuerySet):
    """Notifications are scoped to their recipient, not to a jurisdiction.

    The model takes part in the scoping mechanism (``scope_organisation_field`` and ``for_user``), so
    the scoped DRF bases and portal helpers accept it and ``in_region`` still works for statistics.
    But ``for_user`` is narrowed to ``for_recipient``: a message is personal, so even ops and
    superusers (scope ``all``) and guardian grants see only their own through it; ops read everyone's
    in the admin.
    """

    def for_user(self, user, action: str = "view"):
        return self.for_recipient(user)

    def for_recipient(self, user):
        if user is None or not user.is_authenticated:
            return self.none()
        return self.filter(recipient_id=user.pk)

    def unread(self):
        return self.filter(read_at__isnull=True)


class DeliveryQuerySet(models.QuerySet):
    def due(self, now=None):
        """Pending or failed deliveries under the attempt cap whose next try has come."""
        return self.filter(
            status__in=(DeliveryStatus.PENDING, DeliveryStatus.FAILED),
            attempts__lt=MAX_ATTEMPTS,
            next_attempt_at__lte=now or timezone.now(),
        )

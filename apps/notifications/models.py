"""Message records (消息记录, MON-25): one ``Notification`` per recipient, one ``Delivery`` per channel."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.core.models import TimeStampedModel

from .choices import DeliveryStatus, Level
from .querysets import DeliveryQuerySet, NotificationQuerySet


class Notification(TimeStampedModel):
    """A message (消息) to one user; the portal inbox shows it, external channels deliver copies."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.SlugField(_("kind"), max_length=48)
    level = models.CharField(_("level"), max_length=8, choices=Level.choices, default=Level.INFO)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    link = models.CharField(_("link"), max_length=500, blank=True)
    # What the message is about; object ids are kept as text so any primary key type fits.
    content_type = models.ForeignKey(
        ContentType, verbose_name=_("target type"), null=True, blank=True, on_delete=models.SET_NULL
    )
    object_id = models.CharField(_("target id"), max_length=64, blank=True)
    target = GenericForeignKey("content_type", "object_id")
    dedupe_key = models.CharField(_("deduplication key"), max_length=128, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    scope_organisation_field = "recipient__organisation"
    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"],
                condition=~models.Q(dedupe_key=""),
                name="notification_recipient_dedupe_uniq",
            )
        ]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_inbox_idx"),
            models.Index(
                fields=["recipient"], condition=models.Q(read_at__isnull=True), name="notification_unread_idx"
            ),
            models.Index(fields=["content_type", "object_id"], name="notification_target_idx"),
        ]

    def __str__(self):
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class Delivery(models.Model):
    """One try-until-done copy of a notification over an external channel (SMS, IM robot, log…)."""

    notification = models.ForeignKey(
        Notification, verbose_name=_("notification"), on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(_("channel"), max_length=32)
    status = models.CharField(_("status"), max_length=8, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    # When the next try may start: a lease while a try runs, the backoff after a failure.
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["notification", "channel"], name="delivery_notification_channel_uniq")
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status__in=[DeliveryStatus.PENDING, DeliveryStatus.FAILED]),
                name="delivery_due_idx",
            )
        ]

    def __str__(self):
        return f"{self.channel} → {self.notification.recipient_id}: {self.status}"

from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    INFO = "info", _("Information")
    WARNING = "warning", _("Warning")
    DANGER = "danger", _("Danger")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped")


# The portal inbox: every notification is in it, so it never needs a Delivery row.
INBOX_CHANNEL = "inbox"
# A delivery is tried at most this many times (the first try included).
MAX_ATTEMPTS = 5

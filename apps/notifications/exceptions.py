"""Errors of the message service: typed input errors for callers, outcomes for delivery adapters."""

from django.utils.translation import gettext_lazy as _

from apps.core.exceptions import InvalidInput


class UnknownChannel(InvalidInput):
    default_message = _("Unknown notification channel")


class DeliverySkipped(Exception):  # noqa: N818 - an outcome, not a fault
    """Raised by an adapter when a message cannot be sent to this recipient (e.g. no phone number);
    the delivery is marked ``skipped`` with the reason and never retried."""


class DeliveryFailed(Exception):  # noqa: N818
    """Raised by an adapter when sending failed and may succeed later; any other exception counts
    the same. The delivery is marked ``failed`` and retried with backoff."""

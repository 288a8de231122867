from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    """Notifications (消息通知): the platform's one message service, with pluggable delivery channels.

    A notification is personal: its recipient reads it whatever their role, so this app grants no
    model permissions to roles (the API and the inbox check ownership instead; ops see every message
    in the admin through their full rights).
    """

    name = "apps.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    role_grants: dict[str, list[str]] = {}

    def ready(self):
        from django.core import checks

        from . import adapters

        adapters.register_shipped_adapters()
        checks.register(adapters.check_configured_channels)

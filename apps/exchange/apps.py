from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

_READ = [
    "view_receivedrecord",
    "view_rejection",
    "view_uploadstat",
    "view_exchangeclient",
]


class ExchangeConfig(AppConfig):
    """Data exchange (数据交换): the province's tables received from lower levels and sent upward."""

    name = "apps.exchange"
    label = "exchange"
    verbose_name = _("Data exchange")

    role_grants = {
        "regulator_admin": [
            *_READ,
            "add_exchangeclient",
            "change_exchangeclient",
            "view_partner",
            "view_subscription",
            "add_subscription",
            "change_subscription",
            "delete_subscription",
            "view_outboxentry",
        ],
        "regulator_staff": _READ,
        "law_enforcement_inspector": _READ,
        "*enterprise": ["view_receivedrecord", "view_rejection", "view_uploadstat"],
    }

    def ready(self):
        from auditlog.registry import auditlog

        from .models import ExchangeClient, Partner, Subscription

        auditlog.register(ExchangeClient, exclude_fields=["token_hash", "last_seen_at"])
        auditlog.register(Partner, exclude_fields=["token_encrypted"])
        auditlog.register(Subscription, include_fields=["partner", "dataset", "schedule", "enabled"])

        from . import national

        national.register()

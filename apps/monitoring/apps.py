from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonitoringConfig(AppConfig):
    """Real-time monitoring (实时监测): monitoring points, gateways, and (later) readings and alarms."""

    name = "apps.monitoring"
    label = "monitoring"
    verbose_name = _("Monitoring")

    role_grants = {
        "regulator_admin": [
            "view_monitoringpoint",
            "view_gateway",
            "view_measurementkind",
            "view_alarm",
            "view_maintenancewindow",
        ],
        "regulator_staff": [
            "view_monitoringpoint",
            "view_gateway",
            "view_measurementkind",
            "view_alarm",
            "view_maintenancewindow",
        ],
        "law_enforcement_inspector": [
            "view_monitoringpoint",
            "view_measurementkind",
            "view_alarm",
            "view_maintenancewindow",
        ],
        "committee_member_staff": [
            "view_monitoringpoint",
            "view_measurementkind",
            "view_alarm",
            "view_maintenancewindow",
        ],
        "*enterprise": ["view_monitoringpoint", "view_measurementkind", "view_alarm", "view_maintenancewindow"],
        "enterprise_principal": ["change_alarm"],
        "enterprise_admin": [
            "add_monitoringpoint",
            "change_monitoringpoint",
            "view_gateway",
            "add_gateway",
            "change_gateway",
            "change_alarm",
            "add_maintenancewindow",
            "change_maintenancewindow",
        ],
        "enterprise_safety_manager": [
            "add_monitoringpoint",
            "change_monitoringpoint",
            "view_gateway",
            "change_alarm",
            "add_maintenancewindow",
            "change_maintenancewindow",
        ],
        "control_room_duty_officer": ["view_gateway", "change_alarm"],
        "service_provider_staff": ["view_measurementkind"],
        "rescue_team_member": ["view_measurementkind"],
    }

    def ready(self):
        from auditlog.registry import auditlog
        from django.db.models.signals import post_migrate

        post_migrate.connect(_partitions_after_migrate, sender=self)

        from .models import Gateway, MaintenanceWindow, MonitoringPoint

        auditlog.register(MonitoringPoint)
        auditlog.register(MaintenanceWindow)
        auditlog.register(Gateway, exclude_fields=["secret_encrypted"])

        from apps.enterprises.overview import register_section

        from .services import overview_section

        register_section("monitoring", overview_section, order=40)

        from apps.core import live

        from .services import can_watch_region

        live.register_topic("region", can_watch_region)

    def load_reference_data(self):
        from .services import load_measurement_kinds

        return {"measurement_kinds": load_measurement_kinds()}


def _partitions_after_migrate(sender, **kwargs):
    from django.db import connection

    from .storage import TABLE, maintain_partitions

    if TABLE in connection.introspection.table_names():
        maintain_partitions()

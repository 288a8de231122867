from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnterprisesConfig(AppConfig):
    """Enterprise registry (企业基础信息)."""

    name = "apps.enterprises"
    label = "enterprises"
    verbose_name = _("Enterprises")

    _read = ["view_enterprise", "view_industry", "view_shutdown"]
    _regulator = [*_read, "view_annotation", "add_annotation"]
    role_grants = {
        "regulator_admin": [*_regulator, "add_enterprise", "change_enterprise"],
        "regulator_staff": _regulator,
        "law_enforcement_inspector": _regulator,
        "committee_member_staff": _read,
        "*enterprise": _read,
        "enterprise_admin": ["change_enterprise", "add_shutdown", "change_shutdown"],
        "enterprise_safety_manager": ["change_enterprise", "add_shutdown", "change_shutdown"],
        "service_provider_staff": ["view_enterprise", "view_industry"],
        "rescue_team_member": ["view_enterprise", "view_industry"],
    }

    def ready(self):
        from auditlog.registry import auditlog

        from apps.core import live

        from .models import Enterprise
        from .services import can_watch_enterprise

        auditlog.register(Enterprise, m2m_fields={"industries"})
        live.register_topic("enterprise", can_watch_enterprise)

    def load_reference_data(self):
        from django.conf import settings

        from apps.core.reference import upsert_fixture

        from .models import Industry

        return {"industries": upsert_fixture(Industry, settings.BASE_DIR / "fixtures" / "industries.json")}

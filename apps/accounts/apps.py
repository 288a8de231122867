from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    """Organisations, people and access (组织机构与用户权限)."""

    name = "apps.accounts"
    label = "accounts"
    verbose_name = _("Organisations and access")

    # What each role may do with this app's models (see apps.accounts.roles for the mechanism).
    role_grants = {
        "regulator_admin": [
            "view_organisation",
            "add_organisation",
            "change_organisation",
            "view_user",
            "add_user",
            "change_user",
            "view_authevent",
            "view_role",
        ],
        "regulator_staff": ["view_organisation", "view_user", "view_role"],
        "law_enforcement_inspector": ["view_organisation", "view_user", "view_role"],
        "committee_member_staff": ["view_organisation", "view_role"],
        "enterprise_admin": [
            "view_organisation",
            "change_organisation",
            "view_user",
            "add_user",
            "change_user",
            "view_authevent",
            "view_role",
        ],
        "enterprise_principal": ["view_organisation", "view_user", "view_role"],
        "enterprise_safety_manager": ["view_organisation", "view_user", "view_role"],
        "*enterprise": ["view_organisation", "view_role"],
        "service_provider_staff": ["view_organisation", "view_role"],
        "rescue_team_member": ["view_organisation", "view_role"],
    }

    def ready(self):
        from auditlog.registry import auditlog

        from . import signals  # noqa: F401
        from .models import Organisation, User

        auditlog.register(Organisation)
        auditlog.register(
            User,
            exclude_fields=["password", "last_login", "failed_login_count"],
            m2m_fields={"groups", "user_permissions"},
        )

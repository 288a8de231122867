"""Roles (角色) of the platform and how their permissions are assembled.

A role is a Django group plus metadata (side, the organisation kinds it fits, whether it manages
users). Permissions come from each app: an AppConfig may declare ``role_grants`` mapping a role
code (or ``*enterprise``/``*government`` for every role of that side) to permission codenames of
its own models. ``sync_roles`` (run after every migrate) makes the groups match exactly, so the
rights of a role are reviewable in one place per app and never drift in the database.
"""

from dataclasses import dataclass, field

from django.apps import apps as django_apps
from django.contrib.auth.models import Group, Permission
from django.db import transaction


@dataclass(frozen=True)
class RoleDefinition:
    code: str
    name: str
    name_en: str
    side: str
    organisation_kinds: tuple[str, ...]
    manages_users: bool = False
    description: str = ""
    extra: dict = field(default_factory=dict)


GOVERNMENT, ENTERPRISE, PLATFORM, SERVICE = "government", "enterprise", "platform", "service"

ROLE_DEFINITIONS = (
    RoleDefinition(
        "regulator_admin",
        "监管部门管理员",
        "Regulator administrator",
        GOVERNMENT,
        ("regulator",),
        True,
        "管理本辖区的机构与用户",
    ),
    RoleDefinition("regulator_staff", "监管人员", "Regulator staff", GOVERNMENT, ("regulator",)),
    RoleDefinition("law_enforcement_inspector", "执法人员", "Law-enforcement inspector", GOVERNMENT, ("regulator",)),
    RoleDefinition(
        "committee_member_staff",
        "安委会成员单位人员",
        "Safety committee member staff",
        GOVERNMENT,
        ("committee_member",),
    ),
    RoleDefinition(
        "enterprise_admin",
        "企业管理员",
        "Enterprise administrator",
        ENTERPRISE,
        ("enterprise",),
        True,
        "管理本企业的信息与用户",
    ),
    RoleDefinition("enterprise_principal", "企业主要负责人", "Enterprise principal", ENTERPRISE, ("enterprise",)),
    RoleDefinition(
        "enterprise_safety_manager", "安全管理人员", "Enterprise safety manager", ENTERPRISE, ("enterprise",)
    ),
    RoleDefinition("enterprise_operator", "企业操作员", "Enterprise operator", ENTERPRISE, ("enterprise",)),
    RoleDefinition("post_holder", "岗位人员", "Post holder", ENTERPRISE, ("enterprise",)),
    RoleDefinition("enterprise_inspector", "隐患排查人员", "Enterprise inspector", ENTERPRISE, ("enterprise",)),
    RoleDefinition("rectification_person", "整改责任人", "Rectification person", ENTERPRISE, ("enterprise",)),
    RoleDefinition("acceptance_person", "验收人", "Acceptance person", ENTERPRISE, ("enterprise",)),
    RoleDefinition(
        "control_room_duty_officer", "中控室值班员", "Control-room duty officer", ENTERPRISE, ("enterprise",)
    ),
    RoleDefinition("work_guardian", "作业监护人", "Work guardian", ENTERPRISE, ("enterprise",)),
    RoleDefinition("contractor_staff", "承包商人员", "Contractor staff", ENTERPRISE, ("enterprise",)),
    RoleDefinition("visitor", "访客", "Visitor", ENTERPRISE, ("enterprise",)),
    RoleDefinition(
        "service_provider_staff", "中介服务机构人员", "Service provider staff", SERVICE, ("service_provider",)
    ),
    RoleDefinition("rescue_team_member", "救援队伍人员", "Rescue team member", SERVICE, ("rescue_team",)),
    RoleDefinition("ops", "运维人员", "Operations", PLATFORM, ("",), True, "平台运维，可见全部数据"),
)
ROLES_BY_CODE = {r.code: r for r in ROLE_DEFINITIONS}
SIDE_WILDCARDS = {"*enterprise": ENTERPRISE, "*government": GOVERNMENT}


def granted_codenames() -> dict[str, set[tuple[str, str]]]:
    """Role code → {(app_label, codename)} collected from every app's ``role_grants``."""
    grants: dict[str, set[tuple[str, str]]] = {r.code: set() for r in ROLE_DEFINITIONS}
    for config in django_apps.get_app_configs():
        for key, codenames in getattr(config, "role_grants", {}).items():
            side = SIDE_WILDCARDS.get(key)
            targets = [r.code for r in ROLE_DEFINITIONS if r.side == side] if side else [key]
            for code in targets:
                grants[code].update((config.label, c) for c in codenames)
    return grants


@transaction.atomic
def sync_roles() -> None:
    from .models import Role

    permissions = {(p.content_type.app_label, p.codename): p for p in Permission.objects.select_related("content_type")}
    grants = granted_codenames()
    for definition in ROLE_DEFINITIONS:
        group, _ = Group.objects.get_or_create(name=definition.code)
        Role.objects.update_or_create(
            code=definition.code,
            defaults={
                "group": group,
                "name": definition.name,
                "name_en": definition.name_en,
                "side": definition.side,
                "organisation_kinds": [k for k in definition.organisation_kinds if k],
                "manages_users": definition.manages_users,
                "description": definition.description,
            },
        )
        if definition.code == "ops":
            wanted = list(permissions.values())  # ops administer the platform from the admin site
        else:
            missing = grants[definition.code] - permissions.keys()
            if missing:
                raise LookupError(f"role {definition.code}: unknown permissions {sorted(missing)}")
            wanted = [permissions[key] for key in grants[definition.code]]
        group.permissions.set(wanted)

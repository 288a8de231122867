"""The portal's platforms and modules per user class (政府端/企业端/公共端, ACC-07).

A module with no ``url_name`` is a section still to be built: it is listed (so users see the plan)
but not linked. Later apps add their url names here as they land. A module with a ``perm`` is listed
only to users holding that permission.
"""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import UserType


@dataclass(frozen=True)
class Module:
    code: str
    title: str
    icon: str
    url_name: str | None = None
    perm: str | None = None


@dataclass(frozen=True)
class Platform:
    code: str
    title: str
    end: str  # government / enterprise / public
    user_types: tuple[str, ...]
    modules: tuple[Module, ...]
    url_name: str | None = None


GOV_MODULES = (
    Module("dashboard", _("Overview"), "speedometer2", "portal:gov-home"),
    Module("map", _("One map"), "map", "portal:gov-home"),
    Module("enterprises", _("Enterprises"), "buildings", "portal:gov-enterprises"),
    Module("stats", _("Enterprise statistics"), "pie-chart", "portal:gov-stats"),
    Module("hazard_sources", _("Major hazard sources"), "radioactive", "portal:gov-hazard-sources"),
    Module("imports", _("Excel import"), "file-earmark-spreadsheet", "portal:imports"),
    Module("alarms", _("Alarm centre"), "bell", "portal:gov-alarms", perm="monitoring.view_alarm"),
    Module(
        "monitoring_statistics",
        _("Monitoring statistics"),
        "activity",
        "portal:gov-monitoring-statistics",
        perm="monitoring.view_monitoringpoint",
    ),
    Module(
        "data_quality",
        _("Data quality"),
        "clipboard-data",
        "portal:gov-monitoring-quality",
        perm="monitoring.view_monitoringpoint",
    ),
    Module(
        "maintenance_windows",
        _("Maintenance windows"),
        "wrench",
        "portal:gov-maintenance-windows",
        perm="monitoring.view_maintenancewindow",
    ),
    Module("risk", _("Risk overview"), "exclamation-triangle", "portal:gov-risk", perm="risk.view_enterpriserisk"),
    Module(
        "risk_ranking",
        _("Risk ranking"),
        "sort-numeric-down",
        "portal:gov-risk-ranking",
        perm="risk.view_enterpriserisk",
    ),
    Module("warnings", _("Warnings"), "megaphone", "portal:gov-warnings", perm="risk.view_warning"),
    Module(
        "warning_statistics",
        _("Warning statistics"),
        "graph-up-arrow",
        "portal:gov-warning-stats",
        perm="risk.view_warning",
    ),
    Module("risk_models", _("Risk models"), "sliders", "portal:gov-risk-models", perm="risk.view_riskmodel"),
    Module("dual_prevention", _("Dual prevention"), "shield-check"),
    Module("special_works", _("Special works"), "tools"),
    Module("positioning", _("Personnel positioning"), "geo-alt"),
    Module("video", _("Video AI alarms"), "camera-video"),
    Module("emergency", _("Emergency command"), "broadcast"),
    Module("enforcement", _("Mobile enforcement"), "clipboard-check"),
    Module(
        "exchange", _("Reported data"), "arrow-left-right", "portal:gov-exchange", perm="exchange.view_receivedrecord"
    ),
    Module(
        "exchange_quality",
        _("Data exchange quality"),
        "clipboard2-pulse",
        "portal:gov-exchange-quality",
        perm="exchange.view_receivedrecord",
    ),
    Module(
        "exchange_catalog",
        _("Data resource catalogue"),
        "journal-text",
        "portal:gov-exchange-catalog",
        perm="exchange.view_receivedrecord",
    ),
    Module(
        "exchange_ops",
        _("Exchange operations"),
        "hdd-network",
        "portal:gov-exchange-ops",
        perm="exchange.view_subscription",
    ),
    Module("analysis", _("Statistics and analysis"), "bar-chart"),
    Module("users", _("Organisations and users"), "people", "portal:users"),
)
ENT_MODULES = (
    Module("home", _("My enterprise"), "building", "portal:ent-home"),
    Module("profile", _("Base information"), "card-list", "portal:ent-profile"),
    Module("facilities", _("Facilities"), "diagram-3", "portal:ent-facilities"),
    Module("hazard_sources", _("Major hazard sources"), "radioactive", "portal:ent-hazard-sources"),
    Module("points", _("Monitoring points"), "speedometer", "portal:ent-points"),
    Module("gateways", _("Gateways"), "router", "portal:ent-gateways"),
    Module("cameras", _("Cameras"), "camera-video", "portal:ent-cameras"),
    Module("imports", _("Excel import"), "file-earmark-spreadsheet", "portal:imports"),
    Module(
        "monitoring",
        _("Real-time monitoring"),
        "activity",
        "portal:ent-monitoring",
        perm="monitoring.view_monitoringpoint",
    ),
    Module("alarms", _("Alarm centre"), "bell", "portal:ent-alarms", perm="monitoring.view_alarm"),
    Module(
        "maintenance_windows",
        _("Maintenance windows"),
        "wrench",
        "portal:ent-maintenance-windows",
        perm="monitoring.view_maintenancewindow",
    ),
    Module("risk", _("My risk"), "exclamation-triangle", "portal:ent-risk", perm="risk.view_enterpriserisk"),
    Module(
        "risk_assessment",
        _("Inherent-risk assessment"),
        "clipboard-check",
        "portal:ent-risk-assessment",
        perm="risk.view_staticassessment",
    ),
    Module(
        "risk_indicators",
        _("Management indicators"),
        "input-cursor-text",
        "portal:ent-risk-indicators",
        perm="risk.view_indicatorrecord",
    ),
    Module("dual_prevention", _("Dual prevention"), "shield-check"),
    Module("special_works", _("Special works"), "tools"),
    Module("positioning", _("Personnel positioning"), "geo-alt"),
    Module("video", _("Video AI alarms"), "camera-video"),
    Module("exchange", _("Data upload"), "cloud-upload"),
    Module("users", _("Users"), "people", "portal:users"),
)
PUBLIC_MODULES = (
    Module("notices", _("Public notices"), "megaphone"),
    Module("commitments", _("Safety commitment announcements"), "patch-check"),
    Module("reports", _("Report a hazard"), "telephone"),
)

PLATFORMS = (
    Platform(
        "supervision",
        _("Safety supervision work platform"),
        "government",
        (UserType.SUPERVISION, UserType.ADMINISTRATOR),
        GOV_MODULES,
        "portal:gov-home",
    ),
    Platform(
        "comprehensive",
        _("Comprehensive supervision work platform"),
        "government",
        (UserType.COMMITTEE_MEMBER, UserType.ADMINISTRATOR),
        tuple(
            m
            for m in GOV_MODULES
            if m.code
            in ("dashboard", "map", "enterprises", "risk", "risk_ranking", "warnings", "warning_statistics", "analysis")
        ),
        "portal:gov-home",
    ),
    Platform(
        "enterprise",
        _("Enterprise safety management platform"),
        "enterprise",
        (UserType.ENTERPRISE,),
        ENT_MODULES,
        "portal:ent-home",
    ),
    Platform(
        "service_agency",
        _("Intermediary service agency platform"),
        "enterprise",
        (UserType.SERVICE_AGENCY,),
        (Module("home", _("Home"), "house"),),
    ),
    Platform("public", _("Public service platform"), "public", tuple(UserType), PUBLIC_MODULES, "portal:home"),
)


def _url(name):
    if not name:
        return None
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def platforms_for(user) -> list[Platform]:
    """Platforms a user may enter; anonymous visitors get the public end only."""
    user_type = user.user_type if user.is_authenticated else UserType.PUBLIC
    return [p for p in PLATFORMS if user_type in p.user_types]


def menu_for(user) -> list[dict]:
    return [
        {
            "code": p.code,
            "title": str(p.title),
            "end": p.end,
            "url": _url(p.url_name),
            "modules": [
                {
                    "code": m.code,
                    "title": str(m.title),
                    "icon": m.icon,
                    "url": _url(m.url_name),
                    "available": bool(m.url_name),
                }
                for m in p.modules
                if m.perm is None or user.has_perm(m.perm)
            ],
        }
        for p in platforms_for(user)
    ]

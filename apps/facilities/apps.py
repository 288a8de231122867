from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FacilitiesConfig(AppConfig):
    """Equipment and facilities (设备设施) of every industry."""

    name = "apps.facilities"
    label = "facilities"
    verbose_name = _("Facilities")

    role_grants = {
        "regulator_admin": ["view_facility", "view_facilitykind", "view_facilitystatuschange", "view_wireroperecord"],
        "regulator_staff": ["view_facility", "view_facilitykind", "view_facilitystatuschange", "view_wireroperecord"],
        "law_enforcement_inspector": [
            "view_facility",
            "view_facilitykind",
            "view_facilitystatuschange",
            "view_wireroperecord",
        ],
        "committee_member_staff": ["view_facility", "view_facilitykind"],
        "*enterprise": ["view_facility", "view_facilitykind", "view_facilitystatuschange", "view_wireroperecord"],
        "enterprise_admin": ["add_facility", "change_facility", "add_facilitystatuschange"],
        "enterprise_safety_manager": ["add_facility", "change_facility", "add_facilitystatuschange"],
        "service_provider_staff": ["view_facilitykind"],
        "rescue_team_member": ["view_facilitykind"],
    }

    def ready(self):
        from auditlog.registry import auditlog

        from .models import Facility

        auditlog.register(Facility)

        from apps.enterprises.overview import register_section

        from .services import overview_section

        register_section("facilities", overview_section, order=20)

    def load_reference_data(self):
        from .services import load_facility_kinds

        return {"facility_kinds": load_facility_kinds()}

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VideoConfig(AppConfig):
    """Video surveillance (视频监控): cameras now, AI video alarms later."""

    name = "apps.video"
    label = "video"
    verbose_name = _("Video")

    role_grants = {
        "regulator_admin": ["view_camera"],
        "regulator_staff": ["view_camera"],
        "law_enforcement_inspector": ["view_camera"],
        "committee_member_staff": ["view_camera"],
        "*enterprise": ["view_camera"],
        "enterprise_admin": ["add_camera", "change_camera"],
        "enterprise_safety_manager": ["add_camera", "change_camera"],
    }

    def ready(self):
        from auditlog.registry import auditlog

        from .models import Camera

        auditlog.register(Camera)

        from apps.enterprises.overview import register_section

        from .services import overview_section

        register_section("video", overview_section, order=50)

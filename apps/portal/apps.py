from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    """The unified portal (统一信息门户) and the regulator and enterprise portals."""

    name = "apps.portal"
    label = "portal"
    verbose_name = _("Portal")

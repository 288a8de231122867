from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegionsConfig(AppConfig):
    name = "apps.regions"
    label = "regions"
    verbose_name = _("Administrative regions")

    def ready(self):
        from auditlog.registry import auditlog

        from .models import Region

        auditlog.register(Region, exclude_fields=["geometry", "path", "depth"])

    def load_reference_data(self):
        from .services import load_divisions

        return load_divisions()

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    """Excel import and export (Excel导入导出) of enterprises, facilities and monitoring points."""

    name = "apps.imports"
    label = "imports"
    verbose_name = _("Excel import")

    # What may be imported is decided by the importer (add_enterprise, add_facility, …); these only
    # let a role upload files and follow its own jobs.
    _jobs = ["add_importjob", "view_importjob"]
    role_grants = {
        "regulator_admin": _jobs,
        "enterprise_admin": _jobs,
        "enterprise_safety_manager": _jobs,
    }

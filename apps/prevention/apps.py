from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

_MODELS = ("riskunit", "riskevent", "controlmeasure", "checktask", "checkrecord", "hiddendanger")
_VIEW_ONLY = ["view_taskperiod", "view_hiddendangerstep"]
_VIEW = [f"view_{m}" for m in _MODELS]
_EDIT = [f"{verb}_{m}" for m in _MODELS for verb in ("add", "change", "delete")]


class PreventionConfig(AppConfig):
    """Dual prevention (双重预防): risk graded control and hidden-danger investigation and governance."""

    name = "apps.prevention"
    label = "prevention"
    verbose_name = _("Dual prevention")

    role_grants = {
        "regulator_admin": [*_VIEW, *_VIEW_ONLY],
        "regulator_staff": [*_VIEW, *_VIEW_ONLY],
        "law_enforcement_inspector": [*_VIEW, *_VIEW_ONLY],
        "*enterprise": [*_VIEW, *_VIEW_ONLY, "add_checkrecord"],  # every post records its investigations
        "enterprise_admin": _EDIT,
        "enterprise_safety_manager": _EDIT,
    }

    def ready(self):
        from auditlog.registry import auditlog

        from . import exchange, models, risk

        for model in (models.RiskUnit, models.RiskEvent, models.ControlMeasure, models.CheckTask, models.HiddenDanger):
            auditlog.register(model)
        exchange.register()
        risk.register()

        from apps.enterprises.overview import register_section

        from .services import overview_section

        register_section("dual_prevention", overview_section, order=45)

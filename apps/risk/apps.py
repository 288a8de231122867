from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

_READ = [
    "view_enterpriserisk",
    "view_riskassessment",
    "view_riskday",
    "view_riskmodel",
    "view_riskmodelversion",
    "view_risklevel",
    "view_warning",
    "view_staticassessment",
    "view_indicatorrecord",
    "view_warningpolicy",
    "view_spotcheck",
    "add_spotcheck",
    "view_supervisionassignment",
    "view_incident",
]


class RiskConfig(AppConfig):
    """Four-colour risk grading (风险分级) and early warnings (预警) that close the loop."""

    name = "apps.risk"
    label = "risk"
    verbose_name = _("Risk and warnings")

    role_grants = {
        # Editing models is further limited to provincial (or ministry) administrators by the service.
        "regulator_admin": [
            *_READ,
            "verify_warning",
            "edit_riskmodel",
            "change_warningpolicy",
            "change_risklevel",
            "add_incident",
            "add_supervisionassignment",
            "delete_supervisionassignment",
        ],
        "regulator_staff": [*_READ, "verify_warning", "add_incident"],
        "law_enforcement_inspector": [*_READ, "add_incident"],
        "committee_member_staff": ["view_enterpriserisk", "view_warning", "view_risklevel", "view_riskday"],
        "*enterprise": [
            "view_enterpriserisk",
            "view_riskassessment",
            "view_riskday",
            "view_riskmodel",
            "view_riskmodelversion",
            "view_risklevel",
            "view_warning",
            "view_staticassessment",
            "view_indicatorrecord",
            "view_spotcheck",
            "view_incident",
        ],
        "enterprise_admin": ["dispose_warning", "add_staticassessment", "add_indicatorrecord"],
        "enterprise_principal": ["dispose_warning"],
        "enterprise_safety_manager": ["dispose_warning", "add_staticassessment", "add_indicatorrecord"],
        "control_room_duty_officer": ["dispose_warning"],
    }

    def ready(self):
        from auditlog.registry import auditlog

        from . import region_sources, sources
        from .models import RiskLevel, RiskModel, RiskModelVersion, StaticAssessment, WarningPolicy

        sources.register_builtin_sources()
        region_sources.register_builtin_region_sources()
        auditlog.register(RiskModel)
        auditlog.register(RiskModelVersion)
        auditlog.register(RiskLevel)
        auditlog.register(WarningPolicy)
        auditlog.register(StaticAssessment)

        # An alarm raised, escalated or cleared asks for its enterprise to be regraded soon.
        from apps.monitoring.hooks import on_alarm_changes

        from .services.grading import request_regrade

        on_alarm_changes(request_regrade)

        from apps.enterprises.overview import register_section

        from .services.overview import overview_section

        register_section("risk", overview_section, order=15)
        self._register_enterprise_hooks()

    @staticmethod
    def _register_enterprise_hooks():
        """The enterprise list filters by current risk level (``?risk_level=``) and sorts by risk
        (``?ordering=-risk``, ``?sort=risk:desc``: red first, higher scores first; INS-03 风险倒排).
        Both need the right to see enterprises' risk; without it the filter matches nothing and the
        sort key does not exist."""
        import django_filters
        from django.db.models import F
        from django_filters.constants import EMPTY_VALUES

        from apps.enterprises.filtersets import register_enterprise_filter, register_enterprise_ordering

        from .models import LEVEL_CODES

        permission = "risk.view_enterpriserisk"

        class RiskLevelFilter(django_filters.TypedChoiceFilter):
            def filter(self, queryset, value):
                if value in EMPTY_VALUES:
                    return queryset
                request = getattr(self.parent, "request", None)
                if request is not None and not request.user.has_perm(permission):
                    return queryset.none()
                return queryset.filter(**{self.field_name: value})

        register_enterprise_filter(
            "risk_level",
            RiskLevelFilter(
                field_name="risk__level",
                choices=[(c, str(c)) for c in LEVEL_CODES],
                coerce=int,
                label=_("current risk level"),
            ),
        )
        # ascending: least risky first; the level is negated so that red (1) is the "most" risk
        register_enterprise_ordering("risk", F("risk__level") * -1, F("risk__score"), permission=permission)

    def load_reference_data(self):
        from .services.catalogue import load_reference_data

        return load_reference_data()

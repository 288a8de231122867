from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HazardsConfig(AppConfig):
    """Major hazard sources (重大危险源), identified and graded by GB 18218-2018."""

    name = "apps.hazards"
    label = "hazards"
    verbose_name = _("Major hazard sources")

    _reference = ["view_hazardcategory", "view_substance"]
    role_grants = {
        "regulator_admin": ["view_hazardsource", *_reference],
        "regulator_staff": ["view_hazardsource", *_reference],
        "law_enforcement_inspector": ["view_hazardsource", *_reference],
        "committee_member_staff": ["view_hazardsource", *_reference],
        "*enterprise": ["view_hazardsource", *_reference],
        "enterprise_admin": ["add_hazardsource", "change_hazardsource"],
        "enterprise_safety_manager": ["add_hazardsource", "change_hazardsource"],
        "service_provider_staff": _reference,
        "rescue_team_member": _reference,
    }

    def ready(self):
        from auditlog.registry import auditlog

        from .models import HazardSource, HazardSourceSubstance

        auditlog.register(HazardSource, m2m_fields={"facilities"})
        auditlog.register(HazardSourceSubstance)
        self._register_enterprise_filters()

        from apps.enterprises.overview import register_section

        from .services import overview_section

        register_section("hazard_sources", overview_section, order=30)

    @staticmethod
    def _register_enterprise_filters():
        import django_filters
        from django.utils.translation import gettext_lazy as _

        from apps.enterprises.filtersets import register_enterprise_filter

        from .models import HazardSource

        def by_level(queryset, name, value):
            return queryset.filter(pk__in=HazardSource.objects.active().filter(level=value).values("enterprise_id"))

        def by_major(queryset, name, value):
            ids = HazardSource.objects.major().values("enterprise_id")
            return queryset.filter(pk__in=ids) if value else queryset.exclude(pk__in=ids)

        register_enterprise_filter(
            "hazard_level", django_filters.NumberFilter(method=by_level, label=_("major hazard source level"))
        )
        register_enterprise_filter(
            "major_hazard", django_filters.BooleanFilter(method=by_major, label=_("has a major hazard source"))
        )

    def load_reference_data(self):
        from .services import load_gb18218_tables

        return load_gb18218_tables()

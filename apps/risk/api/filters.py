"""FilterSets of the risk API. Bad values are 400 with the parameter's name (django-filter's form)."""

import django_filters
from django import forms
from django.db.models import F
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from apps.core.api.filters import EnterpriseOwnedFilterSet, StrictBooleanFilter
from apps.enterprises.models import Industry
from apps.risk.models import LEVEL_CODES, EnterpriseRisk, RiskAssessment, RiskModel, Warning

LEVEL_CHOICES = [(code, str(code)) for code in LEVEL_CODES]


class CommaSeparatedChoiceField(forms.CharField):
    """``a,b,c`` where every item is one of ``allowed``; cleans to a list."""

    def __init__(self, *args, allowed=(), **kwargs):
        self.allowed = [str(value) for value in allowed]
        super().__init__(*args, **kwargs)

    def clean(self, value):
        value = super().clean(value)
        items = [item.strip() for item in (value or "").split(",") if item.strip()]
        wrong = [item for item in items if item not in self.allowed]
        if wrong:
            raise forms.ValidationError(
                _("Unknown value %(wrong)s; use a comma-separated list of: %(allowed)s")
                % {"wrong": ", ".join(wrong), "allowed": ", ".join(self.allowed)}
            )
        return items


@extend_schema_field(OpenApiTypes.STR)
class CommaSeparatedChoiceFilter(django_filters.Filter):
    field_class = CommaSeparatedChoiceField


class EnterpriseRiskFilterSet(EnterpriseOwnedFilterSet):
    """Current risk: ``region`` (subtree), ``industry``, ``level``, ``q`` (name) and ``ordering``; without
    ``ordering`` the list is the ranking (风险倒排, riskiest first)."""

    ORDERINGS = {
        "score": (F("score").asc(nulls_last=True),),
        "-score": (F("score").desc(nulls_last=True),),
        "level": (F("level").asc(nulls_last=True), F("score").desc(nulls_last=True)),
        "-level": (F("level").desc(nulls_last=True), F("score").asc(nulls_last=True)),
    }

    industry = django_filters.ModelChoiceFilter(
        field_name="enterprise__industries", to_field_name="code", queryset=Industry.objects.all(), label=_("Industry")
    )
    level = django_filters.TypedChoiceFilter(choices=LEVEL_CHOICES, coerce=int, label=_("Risk level (1–4)"))
    q = django_filters.CharFilter(field_name="enterprise__organisation__name", lookup_expr="icontains")
    ordering = django_filters.ChoiceFilter(
        choices=[(key, key) for key in ORDERINGS], method="order", label=_("Ordering (default: the ranking)")
    )

    class Meta:
        model = EnterpriseRisk
        fields = ["enterprise", "region", "industry", "level", "q", "ordering"]

    def order(self, queryset, name, value):
        return queryset.order_by(*self.ORDERINGS[value], "enterprise__organisation__name")


class RiskAssessmentFilterSet(EnterpriseOwnedFilterSet):
    since = django_filters.IsoDateTimeFilter(field_name="assessed_at", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="assessed_at", lookup_expr="lt")
    level = django_filters.TypedChoiceFilter(choices=LEVEL_CHOICES, coerce=int)

    class Meta:
        model = RiskAssessment
        fields = ["enterprise", "region", "since", "until", "level"]


WARNING_STATUSES = [*Warning.Status.values, "open"]


class WarningFilterSet(EnterpriseOwnedFilterSet):
    """``status`` is a comma list (``open`` = every status but closed); ``since``/``until`` on raised_at."""

    enterprise_id = django_filters.NumberFilter(field_name="enterprise_id", label=_("Enterprise id"))
    status = CommaSeparatedChoiceFilter(allowed=WARNING_STATUSES, method="filter_status", label=_("Status"))
    level = django_filters.TypedChoiceFilter(choices=LEVEL_CHOICES, coerce=int)
    since = django_filters.IsoDateTimeFilter(field_name="raised_at", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="raised_at", lookup_expr="lt")
    overdue = StrictBooleanFilter(method="filter_overdue", label=_("awaiting feedback past its deadline"))
    industry = django_filters.CharFilter(field_name="enterprise__industries__code")

    class Meta:
        model = Warning
        fields = ["enterprise", "enterprise_id", "region", "status", "level", "since", "until", "overdue", "industry"]

    def filter_status(self, queryset, name, value):
        statuses = set(value) - {"open"}
        if "open" in value:
            statuses |= set(Warning.Status.values) - {Warning.Status.CLOSED}
        return queryset.filter(status__in=statuses)

    def filter_overdue(self, queryset, name, value):
        overdue = queryset.overdue()
        return overdue if value else queryset.exclude(pk__in=overdue.values("pk"))


class UnhandledWarningFilterSet(WarningFilterSet):
    problem = django_filters.ChoiceFilter(
        choices=[(p, p) for p in ("not_acknowledged", "not_fed_back", "not_downgraded")], field_name="problem"
    )

    class Meta(WarningFilterSet.Meta):
        fields = [*WarningFilterSet.Meta.fields, "problem"]


class RiskModelFilterSet(django_filters.FilterSet):
    industry = django_filters.CharFilter(field_name="industry__code", label=_("Industry"))
    kind = django_filters.CharFilter(label=_("Kind (enterprise, leak, warehouse…)"))

    class Meta:
        model = RiskModel
        fields = ["industry", "kind", "is_active"]

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apps.enterprises.models import Enterprise, Industry, OperatingStatus
from apps.regions.models import Region


class EnterpriseFilterSet(django_filters.FilterSet):
    """Filters shared by the API and the portal list."""

    q = django_filters.CharFilter(method="filter_text", label=_("Name or credit code"))
    region = django_filters.CharFilter(method="filter_region", label=_("Region code (including subregions)"))
    industry = django_filters.ModelChoiceFilter(
        field_name="industries", to_field_name="code", queryset=Industry.objects.all(), label=_("Industry")
    )
    status = django_filters.ChoiceFilter(choices=OperatingStatus.choices, label=_("Operating status"))

    class Meta:
        model = Enterprise
        fields = ["q", "region", "industry", "status"]

    def filter_text(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(organisation__name__icontains=value) | Q(organisation__uscc__iexact=value))

    def filter_region(self, queryset, name, value):
        region = Region.objects.filter(code=value.strip()).first()
        return queryset.in_region(region) if region else queryset.none()

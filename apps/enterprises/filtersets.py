import django_filters
from django.db.models import Q

from apps.enterprises.models import Enterprise, Industry, OperatingStatus
from apps.regions.models import Region


class EnterpriseFilterSet(django_filters.FilterSet):
    """Filters shared by the API and the portal list."""

    q = django_filters.CharFilter(method="filter_text", label="名称或统一社会信用代码")
    region = django_filters.CharFilter(method="filter_region", label="行政区划代码（含下级）")
    industry = django_filters.ModelChoiceFilter(
        field_name="industries", to_field_name="code", queryset=Industry.objects.all(), label="行业"
    )
    status = django_filters.ChoiceFilter(choices=OperatingStatus.choices, label="生产状态")

    class Meta:
        model = Enterprise
        fields = ["q", "region", "industry", "status"]

    def filter_text(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(organisation__name__icontains=value) | Q(organisation__uscc__iexact=value))

    def filter_region(self, queryset, name, value):
        region = Region.objects.filter(code=value.strip()).first()
        return queryset.in_region(region) if region else queryset.none()

"""Filters shared by the FilterSets of enterprise-owned records."""

import django_filters
from django.utils.translation import gettext_lazy as _

from apps.regions.models import Region


class EnterpriseOwnedFilterSet(django_filters.FilterSet):
    """Adds ``enterprise`` (id) and ``region`` (code, with its subtree) to a FilterSet whose model hangs
    from an enterprise through ``enterprise``."""

    enterprise = django_filters.NumberFilter(field_name="enterprise_id", label=_("Enterprise id"))
    region = django_filters.CharFilter(method="filter_region", label=_("Region code (including subregions)"))

    def filter_region(self, queryset, name, value):
        region = Region.objects.filter(code=value.strip()).first()
        if region is None:
            return queryset.none()
        return queryset.filter(enterprise__organisation__region__path__startswith=region.path)

"""Filters shared by the FilterSets of every app."""

import django_filters
from django import forms
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


class StrictBooleanField(forms.NullBooleanField):
    """``true``/``false`` (or 1/0, yes/no); anything else is an error rather than "no filter"."""

    widget = forms.TextInput  # the raw text, not a select that maps unknown values to "unknown"

    def to_python(self, value):
        if value in (None, ""):
            return None
        text = str(value).strip().lower()
        if text in ("true", "1", "yes"):
            return True
        if text in ("false", "0", "no"):
            return False
        raise forms.ValidationError(_("Use true or false."), code="invalid")

    def validate(self, value):
        pass


class StrictBooleanFilter(django_filters.BooleanFilter):
    """A boolean filter that answers 400 to ``?unread=maybe`` instead of ignoring it."""

    field_class = StrictBooleanField

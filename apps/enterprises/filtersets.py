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
    scale = django_filters.CharFilter(label=_("scale"))
    economic_type = django_filters.CharFilter(label=_("economic type"))
    supervision_level = django_filters.CharFilter(label=_("supervision level"))
    hazchem_category = django_filters.CharFilter(label=_("hazardous-chemicals category"))
    dust_kind = django_filters.CharFilter(method="filter_dust_kind", label=_("dust kinds"))
    dust_workers_min = django_filters.NumberFilter(
        field_name="dust_workers", lookup_expr="gte", label=_("dust-exposed workers at least")
    )
    dust_workers_max = django_filters.NumberFilter(
        field_name="dust_workers", lookup_expr="lte", label=_("dust-exposed workers at most")
    )
    connected = django_filters.BooleanFilter(field_name="monitoring_connected", label=_("connected to monitoring"))
    sd_hazchem = django_filters.BooleanFilter(
        method="filter_sd_hazchem",
        label=_("within the Shandong hazardous-chemicals guides (production, storage, use permit)"),
    )

    class Meta:
        model = Enterprise
        fields = [
            "q",
            "region",
            "industry",
            "status",
            "scale",
            "economic_type",
            "supervision_level",
            "hazchem_category",
            "dust_kind",
            "dust_workers_min",
            "dust_workers_max",
            "connected",
        ]

    def filter_sd_hazchem(self, queryset, name, value):
        from apps.core.codes import codes_where

        codes = codes_where("hazchem_category", sd_scope=True)
        return queryset.filter(hazchem_category__in=codes) if value else queryset.exclude(hazchem_category__in=codes)

    def filter_dust_kind(self, queryset, name, value):
        return queryset.filter(dust_kinds__contains=[value])

    def filter_text(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(organisation__name__icontains=value) | Q(organisation__uscc__iexact=value))

    def filter_region(self, queryset, name, value):
        region = Region.objects.filter(code=value.strip()).first()
        return queryset.in_region(region) if region else queryset.none()


def register_enterprise_filter(name: str, filter_) -> None:
    """Apps above this one add filters on their own data (e.g. hazard-source level) from ``ready()``."""
    filter_.model = Enterprise
    EnterpriseFilterSet.base_filters[name] = filter_


# Sort keys other apps add on their data (INS-03: ``?ordering=-risk``), by name.
_ORDERINGS: dict[str, tuple[tuple, str | None]] = {}


def register_enterprise_ordering(name: str, *expressions, permission: str | None = None) -> None:
    """Apps above this one add sort keys on their own data (e.g. ``risk``) from ``ready()``.

    ``?ordering=name`` sorts by the expressions (evaluated on ``Enterprise``) ascending, ``-name``
    descending; rows without a value come last either way. A user without ``permission`` cannot sort
    by the key, since the order would reveal the data."""
    _ORDERINGS[name] = (tuple(expressions), permission)


def enterprise_orderings(user) -> dict[str, tuple]:
    """The registered sort keys ``user`` may use: name → expressions."""
    return {
        name: expressions
        for name, (expressions, permission) in _ORDERINGS.items()
        if permission is None or (user is not None and user.has_perm(permission))
    }


def order_by_terms(terms, user) -> list:
    """``order_by`` arguments for ordering terms (``name`` / ``-name``), registered keys expanded."""
    keys = enterprise_orderings(user)
    result = []
    for term in terms:
        name = term.lstrip("-")
        if name not in keys:
            result.append(term)
            continue
        descending = term.startswith("-")
        result += [e.desc(nulls_last=True) if descending else e.asc(nulls_last=True) for e in keys[name]]
    return result

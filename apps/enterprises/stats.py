"""Classified statistics of enterprises (分类统计, ENT-01/03/04/11): counts by one dimension."""

from django.db.models import Case, CharField, Count, F, Func, Q, Value, When
from django.utils.translation import gettext as _

from apps.core.codes import codes_of
from apps.regions.models import Region

from .models import Industry, OperatingStatus

# Bands of dust-exposed workers (涉粉作业人数); 30 and more is the policy's key-enterprise line.
DUST_WORKER_BANDS = [(0, 9, "1-9"), (10, 29, "10-29"), (30, 99, "30-99"), (100, None, "100+")]
CODED_DIMENSIONS = {
    "scale": "enterprise_scale",
    "economic_type": "economic_type",
    "supervision_level": "supervision_level",
    "hazchem_category": "hazchem_category",
    "affiliation": "affiliation",
}
DIMENSIONS = ("region", "industry", "dust_workers", "status", *CODED_DIMENSIONS)


class SplitPart(Func):
    function = "split_part"
    output_field = CharField()


def _by_region(queryset, within: Region):
    # path is "/370000/370100/370102/": the child of ``within`` is the next path segment.
    segment = within.path.count("/") + 1
    rows = (
        queryset.annotate(child=SplitPart(F("organisation__region__path"), Value("/"), Value(segment)))
        .values("child")
        .annotate(n=Count("pk", distinct=True))
    )
    counts = {r["child"]: r["n"] for r in rows}
    children = Region.objects.filter(parent=within).order_by("code")
    result = [{"key": c.code, "label": c.name, "count": counts.pop(c.code, 0)} for c in children]
    if counts.get(""):  # enterprises registered directly on ``within`` (e.g. a park under a city)
        result.append({"key": within.code, "label": within.name, "count": counts.pop("")})
    return result


def _by_industry(queryset):
    counts = dict(queryset.values_list("industries__code").annotate(n=Count("pk", distinct=True)))
    rows = [{"key": i.code, "label": i.name, "count": counts.get(i.code, 0)} for i in Industry.objects.all()]
    if counts.get(None):
        rows.append({"key": None, "label": _("Not given"), "count": counts[None]})
    return rows


def _by_dust_workers(queryset):
    bands = [
        When(Q(dust_workers__gte=low) & (Q(dust_workers__lte=high) if high is not None else Q()), then=Value(label))
        for low, high, label in DUST_WORKER_BANDS
    ]
    rows = dict(
        queryset.filter(dust_workers__gt=0)
        .annotate(band=Case(*bands, output_field=CharField()))
        .values_list("band")
        .annotate(n=Count("pk"))
    )
    result = [{"key": label, "label": label, "count": rows.get(label, 0)} for _l, _h, label in DUST_WORKER_BANDS]
    result.append(
        {
            "key": None,
            "label": _("None or not given"),
            "count": queryset.filter(Q(dust_workers__isnull=True) | Q(dust_workers=0)).count(),
        }
    )
    return result


def _by_field(queryset, field: str, labels: dict):
    counts = dict(queryset.values_list(field).annotate(n=Count("pk")))
    rows = [{"key": code, "label": str(label), "count": counts.pop(code, 0)} for code, label in labels.items()]
    missing = counts.pop("", 0) + counts.pop(None, 0)
    rows += [{"key": code, "label": code, "count": n} for code, n in counts.items()]  # codes no longer listed
    if missing:
        rows.append({"key": None, "label": _("Not given"), "count": missing})
    return rows


def enterprise_stats(queryset, dimension: str, *, within: Region | None = None) -> list[dict]:
    """Counts of ``queryset`` by ``dimension``. Each enterprise counts once, except by industry, where
    an enterprise of two industries counts in both."""
    queryset = queryset.order_by()  # an ordering would join the GROUP BY
    if dimension == "region":
        return _by_region(queryset, within or Region.objects.get(kind="province"))
    if dimension == "industry":
        return _by_industry(queryset)
    if dimension == "dust_workers":
        return _by_dust_workers(queryset)
    if dimension == "status":
        return _by_field(queryset, "status", dict(OperatingStatus.choices))
    return _by_field(queryset, dimension, codes_of(CODED_DIMENSIONS[dimension]))

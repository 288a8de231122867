"""Reads of risk and warnings for regulators (风险统计): counts per level by region, industry and the
registry's coded dimensions, trends by day/week/month, warning handling statistics, the region map.
Every function takes the caller and reads through ``for_user``, so the jurisdiction applies."""

from __future__ import annotations

import datetime as dt

from django.db.models import Avg, Count, DateField, DurationField, ExpressionWrapper, F, Max, Min, Q, Value
from django.db.models.functions import Trunc
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.codes import codes_of
from apps.core.exceptions import InvalidInput
from apps.enterprises.models import Industry
from apps.enterprises.stats import CODED_DIMENSIONS, SplitPart
from apps.monitoring.statistics import (
    _default_region,
    _region_in_scope,
    beijing_midnight,
    beijing_today,
    check_range,
)
from apps.regions.models import Region

from . import engine
from .models import EnterpriseRisk, RiskDay, RiskLevel, Warning

LEVELS = (1, 2, 3, 4)
# RSK-30: registry dimensions a regulator may combine; region is the next level below the root region.
DIMENSIONS = ("region", "industry", "economic_type", "scale", "supervision_level", "affiliation", "hazchem_category")
PERIODS = ("day", "week", "month")
# A region's own colour on the map: the mean score of its graded enterprises through these thresholds.
REGION_THRESHOLDS = {"1": 60, "2": 40, "3": 20}


def levels() -> list[dict]:
    return [
        {"code": lvl.code, "name": lvl.name, "grade": lvl.grade_name, "colour": lvl.colour, "hex": lvl.hex}
        for lvl in RiskLevel.objects.all()
    ]


def root_region(user, region: str | None) -> Region | None:
    return _region_in_scope(user, region) if region else _default_region(user)


def _dimension_expr(dim: str, root: Region | None):
    if dim == "region":
        segment = (root.path.count("/") + 1) if root else 2
        return SplitPart(F("enterprise__organisation__region__path"), Value("/"), Value(segment))
    if dim == "industry":
        return F("enterprise__industries__code")
    return F(f"enterprise__{dim}")


def _labels(dim: str) -> dict:
    if dim == "region":
        return dict(Region.objects.values_list("code", "name"))
    if dim == "industry":
        return dict(Industry.objects.values_list("code", "name"))
    return codes_of(CODED_DIMENSIONS[dim]) if dim in CODED_DIMENSIONS else {}


def parse_dims(value: str | None, default=("region",)) -> list[str]:
    dims = [d.strip() for d in (value or "").split(",") if d.strip()] or list(default)
    wrong = [d for d in dims if d not in DIMENSIONS and d != "level"]
    if wrong or len(set(dims)) != len(dims):
        raise InvalidInput(
            _("group_by must be a comma-separated list of: %(values)s") % {"values": ", ".join(("level", *DIMENSIONS))},
            field="group_by",
        )
    return [d for d in dims if d != "level"]


def current_counts(user, *, dims: list[str], region: str | None = None, industry: str | None = None) -> dict:
    """Enterprises per current level and per combination of ``dims`` (RSK-05, RSK-30), with totals per
    level. An enterprise of several industries counts once in each (as in the registry statistics)."""
    root = root_region(user, region)
    queryset = EnterpriseRisk.objects.for_user(user).graded().filter(enterprise__deleted=False)
    if root:
        queryset = queryset.in_region(root)
    if industry:
        queryset = queryset.filter(enterprise__industries__code=industry)
    annotations = {f"d_{d}": _dimension_expr(d, root) for d in dims}
    rows = (
        queryset.order_by()
        .annotate(**annotations)
        .values(*annotations, "level")
        .annotate(n=Count("enterprise", distinct=True))
    )
    labels = {d: _labels(d) for d in dims}
    groups: dict[tuple, dict] = {}
    for row in rows:
        key = tuple(row[f"d_{d}"] or (root.code if d == "region" and root else "") for d in dims)
        group = groups.setdefault(
            key,
            {
                **dict(zip(dims, key, strict=True)),
                **{f"{d}_name": labels[d].get(k, k or _("Not given")) for d, k in zip(dims, key, strict=True)},
                "counts": dict.fromkeys(map(str, LEVELS), 0),
            },
        )
        group["counts"][str(row["level"])] += row["n"]
    for group in groups.values():
        group["total"] = sum(group["counts"].values())
    totals = dict.fromkeys(map(str, LEVELS), 0)
    for row in queryset.order_by().values("level").annotate(n=Count("enterprise", distinct=True)):
        totals[str(row["level"])] = row["n"]
    return {
        "region": root.code if root else None,
        "group_by": dims,
        "levels": levels(),
        "totals": totals,
        "rows": sorted(groups.values(), key=lambda g: [str(g[d] or "") for d in dims]),
    }


def _range(since: dt.date | None, until: dt.date | None, default_days: int) -> tuple[dt.date, dt.date]:
    until = until or beijing_today()
    since = since or (until - dt.timedelta(days=default_days - 1))
    check_range(since, until)
    return since, until


def trend(user, *, period: str = "day", since=None, until=None, region=None, industry=None, enterprise_id=None) -> dict:
    """Risk trend (风险趋势): per day, week or month, enterprises by their worst level in it and the mean
    of their highest scores — for the jurisdiction, or one enterprise's own series."""
    if period not in PERIODS:
        raise InvalidInput(_("period must be one of: day, week, month"), field="period")
    since, until = _range(since, until, {"day": 30, "week": 84, "month": 365}[period])
    root = root_region(user, region) if enterprise_id is None else None
    queryset = RiskDay.objects.for_user(user).filter(day__gte=since, day__lte=until)
    if enterprise_id is not None:
        queryset = queryset.filter(enterprise_id=enterprise_id)
    elif root:
        queryset = queryset.in_region(root)
    if industry:
        queryset = queryset.filter(enterprise__industries__code=industry)
    # per enterprise and bucket first (worst of the bucket), then counted per level
    per_enterprise = (
        queryset.order_by()
        .annotate(bucket=Trunc("day", period, output_field=DateField()))
        .values("bucket", "enterprise_id")
        .annotate(worst=Min("worst_level"), top=Max("max_score"))
    )
    buckets: dict[str, dict] = {}
    for row in per_enterprise:
        bucket = buckets.setdefault(
            str(row["bucket"])[:10], {"counts": dict.fromkeys(map(str, LEVELS), 0), "scores": []}
        )
        if row["worst"] is not None:
            bucket["counts"][str(row["worst"])] += 1
        if row["top"] is not None:
            bucket["scores"].append(row["top"])
    series = [
        {
            "period": key,
            "counts": value["counts"],
            "mean_score": round(sum(value["scores"]) / len(value["scores"]), 2) if value["scores"] else None,
            "max_score": round(max(value["scores"]), 2) if value["scores"] else None,
        }
        for key, value in sorted(buckets.items())
    ]
    return {"period": period, "since": since.isoformat(), "until": until.isoformat(), "series": series}


def warning_stats(user, *, since=None, until=None, group_by: str = "level", region=None) -> dict:
    """Warnings raised in the range and how they were handled (RSK-05, ANA-08): acknowledged, fed back,
    fed back in time, closed, overdue, mean hours to feed back — per level, region or industry."""
    if group_by not in ("level", "region", "industry"):
        raise InvalidInput(_("group_by must be one of: level, region, industry"), field="group_by")
    since, until = _range(since, until, 30)
    root = root_region(user, region)
    queryset = Warning.objects.for_user(user).filter(
        raised_at__gte=beijing_midnight(since), raised_at__lt=beijing_midnight(until + dt.timedelta(days=1))
    )
    if root:
        queryset = queryset.in_region(root)
    if group_by == "level":
        key = F("level")
    elif group_by == "region":
        key = SplitPart(
            F("enterprise__organisation__region__path"), Value("/"), Value(root.path.count("/") + 1 if root else 2)
        )
    else:
        key = F("enterprise__industries__code")
    now = timezone.now()
    rows = (
        queryset.order_by()
        .annotate(k=key)
        .values("k")
        .annotate(
            raised=Count("id", distinct=True),
            acknowledged=Count("id", filter=Q(acknowledged_at__isnull=False), distinct=True),
            fed_back=Count("id", filter=Q(feedback_at__isnull=False), distinct=True),
            fed_back_in_time=Count("id", filter=Q(feedback_at__lte=F("feedback_due_at")), distinct=True),
            closed=Count("id", filter=Q(status=Warning.Status.CLOSED), distinct=True),
            overdue=Count("id", filter=Q(status__in=Warning.AWAITING_FEEDBACK, feedback_due_at__lt=now), distinct=True),
            escalated=Count("id", filter=Q(escalations__gt=0), distinct=True),
            feedback_time=Avg(
                ExpressionWrapper(F("feedback_at") - F("raised_at"), output_field=DurationField()),
                filter=Q(feedback_at__isnull=False),
            ),
        )
    )
    labels = {str(lvl["code"]): lvl["name"] for lvl in levels()} if group_by == "level" else _labels(group_by)
    result = []
    for row in rows:
        key_value = row["k"] if row["k"] not in ("", None) or group_by != "region" else (root.code if root else "")
        hours = row.pop("feedback_time")
        row.pop("k")
        result.append(
            {
                "key": key_value,
                "name": labels.get(str(key_value), str(key_value) if key_value is not None else _("Not given")),
                **row,
                "feedback_rate": round(row["fed_back"] / row["raised"], 4) if row["raised"] else None,
                "in_time_rate": round(row["fed_back_in_time"] / row["raised"], 4) if row["raised"] else None,
                "mean_feedback_hours": round(hours.total_seconds() / 3600, 2) if hours else None,
            }
        )
    result.sort(key=lambda r: str(r["key"]))
    totals = {
        m: sum(r[m] for r in result)
        for m in ("raised", "acknowledged", "fed_back", "fed_back_in_time", "closed", "overdue", "escalated")
    }
    if group_by != "level":  # an enterprise of several industries counts in each; the total once
        totals["raised"] = queryset.count()
    return {
        "since": since.isoformat(),
        "until": until.isoformat(),
        "group_by": group_by,
        "rows": result,
        "totals": totals,
        "feedback_rate": round(totals["fed_back"] / totals["raised"], 4) if totals["raised"] else None,
    }


def region_map(user, *, region: str | None = None, industry: str | None = None) -> dict:
    """The choropleth (区域风险): per child region, enterprises per level, the mean score and the level
    that mean gives, with the region's outline (GeoJSON FeatureCollection)."""
    import json

    from django.contrib.gis.db.models.functions import AsGeoJSON

    root = root_region(user, region)
    counts = current_counts(user, dims=["region"], region=region, industry=industry)
    queryset = EnterpriseRisk.objects.for_user(user).graded()
    if root:
        queryset = queryset.in_region(root)
    if industry:
        queryset = queryset.filter(enterprise__industries__code=industry)
    means = {
        r["k"]: r["mean"]
        for r in queryset.order_by().annotate(k=_dimension_expr("region", root)).values("k").annotate(mean=Avg("score"))
    }
    colours = {lvl["code"]: lvl["hex"] for lvl in levels()}
    by_code = {row["region"]: row for row in counts["rows"]}
    children = Region.objects.filter(parent=root) if root else Region.objects.filter(parent=None)
    features = []
    for child in children.annotate(geojson=AsGeoJSON("geometry", precision=4)).order_by("code"):
        row = by_code.get(child.code, {"counts": dict.fromkeys(map(str, LEVELS), 0), "total": 0})
        mean = means.get(child.code)
        level = engine.level_of(mean, REGION_THRESHOLDS) if mean is not None else None
        features.append(
            {
                "type": "Feature",
                "geometry": json.loads(child.geojson) if child.geojson else None,
                "properties": {
                    "code": child.code,
                    "name": child.name,
                    "counts": row["counts"],
                    "total": row["total"],
                    "mean_score": round(mean, 2) if mean is not None else None,
                    "level": level,
                    "color": colours.get(level, "#cccccc"),
                },
            }
        )
    return {"type": "FeatureCollection", "features": features, "region": root.code if root else None}


# --- maps and dashboards (GIS-09/10/18) and the indicator tree --------------------------------------------------

NO_LEVEL_COLOUR = "#cccccc"  # ungraded enterprises and regions without graded enterprises
MAP_POINTS_LIMIT = 20_000
CHANGE_BUCKETS = 4  # colour depths of the enterprise-change map


def enterprise_features(user, *, region=None, industry=None, level=None, limit: int = MAP_POINTS_LIMIT) -> dict:
    """Enterprises in scope on the map with their current risk (GIS-18): a GeoJSON FeatureCollection of
    points with id, name, level, score, the level's colour and industry codes, riskiest first (at most
    ``limit``; ``truncated`` tells). Ungraded enterprises are grey."""
    from django.contrib.postgres.expressions import ArraySubquery
    from django.db.models import OuterRef

    queryset = EnterpriseRisk.objects.for_user(user).filter(
        enterprise__deleted=False, enterprise__location__isnull=False
    )
    if region:
        queryset = queryset.in_region(_region_in_scope(user, region))
    if industry:
        queryset = queryset.filter(enterprise__industries__code=industry)
    if level is not None:
        queryset = queryset.filter(level=level)
    industries = ArraySubquery(
        Industry.objects.filter(enterprises=OuterRef("enterprise_id")).order_by("sort_order", "code").values("code")
    )
    rows = list(
        queryset.ranked()
        .annotate(industry_codes=industries)
        .values_list(
            "enterprise_id",
            "enterprise__organisation__name",
            "level",
            "score",
            "enterprise__location",
            "industry_codes",
        )[: limit + 1]
    )
    colours = {lvl["code"]: lvl["hex"] for lvl in levels()}
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [location.x, location.y]},
            "properties": {
                "id": enterprise_id,
                "name": name,
                "level": lvl,
                "score": round(score, 2) if score is not None else None,
                "color": colours.get(lvl, NO_LEVEL_COLOUR),
                "industries": codes or [],
            },
        }
        for enterprise_id, name, lvl, score, location, codes in rows[:limit]
    ]
    return {"type": "FeatureCollection", "features": features, "truncated": len(rows) > limit}


def _rows_for(by: str, root: Region | None) -> dict[str, dict]:
    """An empty row for every child region of ``root`` (or every industry), so maps show zeros."""
    if by == "region":
        children = Region.objects.filter(parent=root) if root else Region.objects.filter(parent=None)
        pairs = children.order_by("code").values_list("code", "name")
    else:
        pairs = Industry.objects.values_list("code", "name")
    return {code: {"key": code, "name": name} for code, name in pairs}


def _group_key(by: str, root: Region | None, prefix: str = "enterprise__"):
    if by == "region":
        segment = (root.path.count("/") + 1) if root else 2
        return SplitPart(F(f"{prefix}organisation__region__path"), Value("/"), Value(segment))
    return F(f"{prefix}industries__code")


def _row_key(by: str, value, root: Region | None):
    # an enterprise registered on the root region itself (a park under a city, say) counts for the root
    if by == "region" and not value:
        return root.code if root else ""
    return value


def open_warning_counts(user, *, by: str = "region", region: str | None = None) -> dict:
    """Open warnings (not closed) per child region of the jurisdiction or per industry, by level — the
    enterprise safety-situation map (企业安全态势, GIS-10). An enterprise of several industries counts in
    each; the totals count each warning once."""
    if by not in ("region", "industry"):
        raise InvalidInput(_("by must be one of: region, industry"), field="by")
    root = root_region(user, region)
    queryset = Warning.objects.for_user(user).open()
    if root:
        queryset = queryset.in_region(root)
    table = _rows_for(by, root)
    for row in table.values():
        row.update(counts=dict.fromkeys(map(str, LEVELS), 0), total=0)
    grouped = (
        queryset.order_by().annotate(k=_group_key(by, root)).values("k", "level").annotate(n=Count("id", distinct=True))
    )
    for row in grouped:
        key = _row_key(by, row["k"], root)
        target = table.get(key)
        if target is None:
            name = Region.objects.filter(code=key).values_list("name", flat=True).first() if key else None
            target = table[key] = {
                "key": key or None,
                "name": name or _("Not given"),
                "counts": dict.fromkeys(map(str, LEVELS), 0),
                "total": 0,
            }
        target["counts"][str(row["level"])] += row["n"]
        target["total"] += row["n"]
    totals = dict.fromkeys(map(str, LEVELS), 0)
    for row in queryset.order_by().values("level").annotate(n=Count("id")):
        totals[str(row["level"])] = row["n"]
    return {
        "by": by,
        "region": root.code if root else None,
        "levels": levels(),
        "rows": list(table.values()),
        "totals": totals,
        "total": sum(totals.values()),
    }


def enterprise_change(user, *, by: str = "region", since: dt.date | None = None, region: str | None = None) -> dict:
    """Change in the number of enterprises since a (Beijing) day (企业数量变化, GIS-09): per child region of
    the jurisdiction (or per industry), enterprises registered since then minus those deleted since then
    (the ``deleted`` flag, dated by ``updated_at``), with the current number, a colour class
    (``increase`` / ``decrease`` / ``none``) and a magnitude bucket for the colour depth: 0 for no
    change, else 1–4 by the change relative to the largest change in the answer."""
    import math

    from apps.enterprises.models import Enterprise

    if by not in ("region", "industry"):
        raise InvalidInput(_("by must be one of: region, industry"), field="by")
    today = beijing_today()
    since = since or today - dt.timedelta(days=29)
    if since > today:
        raise InvalidInput(_("The start must not be in the future."), field="since")
    start = beijing_midnight(since)
    root = root_region(user, region)
    queryset = Enterprise.objects.for_user(user)
    if root:
        queryset = queryset.in_region(root)
    metrics = {
        "added": Count("pk", filter=Q(created_at__gte=start), distinct=True),
        "removed": Count("pk", filter=Q(deleted=True, updated_at__gte=start), distinct=True),
        "current": Count("pk", filter=Q(deleted=False), distinct=True),
    }
    table = _rows_for(by, root)
    for row in table.values():
        row.update(added=0, removed=0, current=0)
    grouped = queryset.order_by().annotate(k=_group_key(by, root, prefix="")).values("k").annotate(**metrics)
    for row in grouped:
        key = _row_key(by, row["k"], root)
        target = table.get(key)
        if target is None:
            name = Region.objects.filter(code=key).values_list("name", flat=True).first() if key else None
            target = table[key] = {"key": key or None, "name": name or _("Not given")}
        target.update(added=row["added"], removed=row["removed"], current=row["current"])
    largest = max((abs(r["added"] - r["removed"]) for r in table.values()), default=0)
    for row in table.values():
        delta = row["added"] - row["removed"]
        row["delta"] = delta
        row["change"] = "increase" if delta > 0 else "decrease" if delta < 0 else "none"
        row["magnitude"] = math.ceil(CHANGE_BUCKETS * abs(delta) / largest) if delta else 0
    totals = queryset.aggregate(**metrics)
    totals["delta"] = totals["added"] - totals["removed"]
    return {
        "by": by,
        "region": root.code if root else None,
        "since": since.isoformat(),
        "rows": list(table.values()),
        "totals": totals,
    }


def indicator_tree(definition: dict) -> list[dict]:
    """A model version's indicator system (指标体系) as a tree: every node's code, name and weight; a leaf
    also its source (code, name, unit, whether any app provides it yet), parameters and scoring."""
    from . import sources

    def node(item: dict) -> dict:
        row = {"code": item["code"], "name": item["name"], "weight": item["weight"]}
        if item.get("children"):
            return {
                **row,
                "source": None,
                "source_name": None,
                "unit": "",
                "has_provider": None,
                "params": None,
                "scoring": None,
                "children": [node(child) for child in item["children"]],
            }
        source = sources.get_source(item["source"])
        return {
            **row,
            "source": item["source"],
            "source_name": str(source.name) if source else None,
            "unit": str(source.unit) if source else "",
            "has_provider": bool(source and source.provider),
            "params": item.get("params") or {},
            "scoring": item["scoring"],
            "children": [],
        }

    return [node(item) for item in definition.get("indicators") or []]

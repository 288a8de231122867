"""Regional risk (区域风险, e.g. 煤矿区域安全风险分析预警模型, RSK-19..21): every province, city and county
(and every park with mines) graded red/orange/yellow/blue by the region models in force.

A region model is a ``RiskModel`` of kind ``region`` whose leaves name *region* sources
(``apps.risk.region_sources``): its mines' current enterprise results over the region's subtree, plus
regional factors regulators report (``RegionIndicatorRecord``: geography, weather, rescue capability).
A run scores every region with the same pure engine as the enterprises (``engine.evaluate``), in one
query per source, and upserts the current ``RegionRisk`` rows in one statement per model.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.exceptions import InvalidInput, NotFoundError, PermissionDeniedError
from apps.core.scoping import AccessScope
from apps.regions.models import Region, RegionKind

from .. import engine, region_sources
from ..models import RegionIndicatorRecord, RegionRisk, RiskModel
from .catalogue import REGION_KIND, region_indicators

log = logging.getLogger("anquan.risk")

GRADED_KINDS = (RegionKind.PROVINCE, RegionKind.CITY, RegionKind.COUNTY)
DEFAULT_MODEL = "coal_region"

# Provinces, cities and counties always; a park only when it has mines of the model's industry.
REGIONS_OF_RUN_SQL = f"""
SELECT g.id, g.path FROM regions_region g
 WHERE g.kind = ANY(%(kinds)s)
    OR (g.kind = 'park' AND EXISTS (SELECT 1 FROM ({region_sources.MINES}) m WHERE starts_with(m.path, g.path)))
 ORDER BY g.path
"""


def region_models(model: RiskModel | None = None) -> list[RiskModel]:
    queryset = RiskModel.objects.filter(kind=REGION_KIND, is_active=True, current_version__isnull=False)
    if model is not None:
        queryset = queryset.filter(pk=model.pk)
    return list(queryset.select_related("current_version", "industry").order_by("code"))


def industry_of(model: RiskModel) -> str:
    """The industry whose enterprises are a region's mines: the model's, else coal."""
    return model.industry.code if model.industry_id else region_sources.DEFAULT_INDUSTRY


def _regions_of_run(industry: str) -> list[tuple[int, str]]:
    with connection.cursor() as cursor:
        cursor.execute(REGIONS_OF_RUN_SQL, {"kinds": list(GRADED_KINDS), "industry": industry})
        return cursor.fetchall()


def gather(model: RiskModel, at: dt.datetime) -> dict[int, engine.Result]:
    """Read and score without writing: ``{region_id: Result}`` for every region of the run."""
    definition = model.current_version.definition
    industry = industry_of(model)
    ctx = region_sources.RegionContext(_regions_of_run(industry), at, industry)
    values = region_sources.fetch(ctx, engine.leaves(definition))
    return {region_id: engine.evaluate(definition, values[region_id]) for region_id in ctx.ids}


def grade_regions(model: RiskModel | None = None, at: dt.datetime | None = None) -> dict:
    """Grade every region under each active region model (or ``model`` only) and store the current
    ``RegionRisk`` rows; rows of regions no longer graded (a park whose mines closed) are removed."""
    at = at or timezone.now()
    graded = 0
    models = region_models(model)
    for region_model in models:
        results = gather(region_model, at)
        rows = [
            RegionRisk(
                region_id=region_id,
                model=region_model,
                version=region_model.current_version,
                assessed_at=at,
                score=result.score,
                level=result.level,
                coverage=result.coverage,
                inputs=result.inputs,
                breakdown=result.breakdown,
            )
            for region_id, result in results.items()
        ]
        with transaction.atomic():
            RegionRisk.objects.bulk_create(
                rows,
                update_conflicts=True,
                unique_fields=["region", "model"],
                update_fields=["version", "assessed_at", "score", "level", "coverage", "inputs", "breakdown"],
                batch_size=1000,
            )
            RegionRisk.objects.filter(model=region_model).exclude(region_id__in=list(results)).delete()
        graded += len(rows)
    return {"models": len(models), "graded": graded, "at": at.isoformat()}


# --- regional factors reported by regulators (区域指标填报) ----------------------------------------------


def _number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def require_recorder(actor, region: Region) -> None:
    """Regulators record the factors of regions in their jurisdiction; ``None`` is the system."""
    from apps.accounts.models import OrganisationKind

    if actor is None or actor.is_superuser:
        return
    organisation = actor.organisation
    if organisation is None or organisation.kind != OrganisationKind.REGULATOR:
        raise PermissionDeniedError(_("Regional indicators are recorded by regulators."))
    scope = AccessScope.of(actor)
    in_scope = scope.kind == AccessScope.ALL or (
        scope.kind == AccessScope.REGION and region.path.startswith(scope.region_path or "\0")
    )
    if not in_scope:  # unknown and out of scope answer alike
        raise InvalidInput(_("Unknown region code: %(code)s") % {"code": region.code}, field="region")


@transaction.atomic
def record_region_indicators(
    region: Region, values: dict, period: dt.date, actor=None, note: str = ""
) -> list[RegionIndicatorRecord]:
    """Record regional factors of ``region`` for ``period`` (``{indicator_code: value}``), checked
    against the catalogue (code, range): all or nothing, every problem reported as a field error.
    They are used from the next regional grading run."""
    require_recorder(actor, region)
    catalogue = region_indicators()
    errors: dict[str, list[str]] = {}
    if not isinstance(values, dict) or not values:
        errors["values"] = [_("Give at least one indicator value.")]
    else:
        for code, value in values.items():
            spec = catalogue.get(code)
            if spec is None:
                errors[f"values.{code}"] = [_("Unknown regional indicator.")]
            elif not _number(value):
                errors[f"values.{code}"] = [_("Must be a number.")]
            elif not spec["min"] <= value <= spec["max"]:
                errors[f"values.{code}"] = [
                    _("Must be from %(min)s to %(max)s.") % {"min": spec["min"], "max": spec["max"]}
                ]
    if period > timezone.localdate():
        errors["period"] = [_("The period must not be in the future.")]
    if errors:
        raise InvalidInput(_("Some regional indicators are not usable."), errors=errors)
    return RegionIndicatorRecord.objects.bulk_create(
        RegionIndicatorRecord(
            region=region, indicator=code, value=float(value), period=period, note=note, recorded_by=actor
        )
        for code, value in values.items()
    )


# --- reads (reports, charts, GIS) --------------------------------------------------------------------------


def region_model(code: str | None = None) -> RiskModel:
    """The region model asked for (default: the coal one), with its version in force."""
    model = (
        RiskModel.objects.filter(kind=REGION_KIND, code=code or DEFAULT_MODEL)
        .select_related("current_version", "industry")
        .first()
    )
    if model is None:
        raise InvalidInput(_("Unknown regional risk model: %(code)s") % {"code": code or DEFAULT_MODEL}, field="model")
    if model.current_version is None:
        raise NotFoundError(_("The model has no published version."))
    return model


def _colours() -> dict:
    from ..statistics import levels

    return {lvl["code"]: lvl for lvl in levels()}


def _entry(region: Region, risk: RegionRisk | None, colours: dict, *, breakdown: bool = True) -> dict:
    from ..statistics import NO_LEVEL_COLOUR

    level = colours.get(risk.level) if risk else None
    row = {
        "code": region.code,
        "name": region.name,
        "kind": region.kind,
        "score": round(risk.score, 2) if risk and risk.score is not None else None,
        "level": risk.level if risk else None,
        "level_name": level["name"] if level else None,
        "color": level["hex"] if level else NO_LEVEL_COLOUR,
        "coverage": risk.coverage if risk else 0.0,
        "assessed_at": risk.assessed_at.isoformat() if risk else None,
    }
    if breakdown:
        row["breakdown"] = [
            {
                key: item.get(key)
                for key in (
                    "code",
                    "name",
                    "parent",
                    "depth",
                    "weight",
                    "effective_weight",
                    "value",
                    "score",
                    "contribution",
                    "source",
                )
            }
            | {"no_data": item.get("score") is None}
            for item in (risk.breakdown if risk else [])
        ]
    return row


def _children(root: Region, risks: dict[int, RegionRisk]) -> list[Region]:
    """Graded child regions: cities, counties, and parks with a result (a park without mines is not graded)."""
    return [
        child
        for child in Region.objects.filter(parent=root).order_by("code")
        if child.kind != RegionKind.PARK or child.pk in risks
    ]


def region_report(user, *, region: str | None = None, model: str | None = None) -> dict:
    """A region's current regional risk and its child regions' (the report that drills down one
    administrative level per call, RSK-21), each with the breakdown: every indicator's value, score,
    weight and contribution."""
    from ..statistics import levels, root_region

    risk_model = region_model(model)
    root = root_region(user, region)
    if root is None:
        raise InvalidInput(_("No region to report on."), field="region")
    child_ids = Region.objects.filter(parent=root).values("pk")
    risks = {
        r.region_id: r
        for r in RegionRisk.objects.filter(model=risk_model).filter(
            region_id__in=[root.pk, *child_ids.values_list("pk", flat=True)]
        )
    }
    colours = _colours()
    return {
        "model": {"code": risk_model.code, "name": risk_model.name, "version": risk_model.current_version.number},
        "thresholds": risk_model.current_version.definition["thresholds"],
        "levels": levels(),
        "region": _entry(root, risks.get(root.pk), colours),
        "children": [_entry(child, risks.get(child.pk), colours) for child in _children(root, risks)],
    }


def region_indicator_tree(definition: dict) -> list[dict]:
    """The statistics module's indicator tree, with the leaves' source names taken from the region
    sources (the tree there knows the enterprise sources only)."""
    from ..statistics import indicator_tree

    def fill(nodes):
        for node in nodes:
            if node["children"]:
                fill(node["children"])
                continue
            source = region_sources.get_region_source(node["source"])
            node.update(
                source_name=str(source.name) if source else None,
                unit=str(source.unit) if source else "",
                has_provider=bool(source and source.provider),
            )
        return nodes

    return fill(indicator_tree(definition))


LAYER_STYLES = ("fill", "heat", "scatter")


def region_layer(user, *, region: str | None = None, style: str = "fill", model: str | None = None) -> dict:
    """The GIS layer of the regional risk (GIS-16, RSK-21) as a GeoJSON FeatureCollection:

    - ``fill`` (四色图): the child regions' outlines with their level and colour (a region without graded
      children, a county say, is drawn itself);
    - ``heat`` (热力图): the region's mines as points weighted by their own current risk score
      (``weight`` = score / 100) — mine points rather than region centroids, so the heat shows where in
      a county the risk sits; ungraded mines are left out;
    - ``scatter`` (散点图): every mine of the region as a point with its level and colour (grey when
      ungraded)."""
    from django.contrib.gis.db.models.functions import AsGeoJSON

    from ..statistics import MAP_POINTS_LIMIT, NO_LEVEL_COLOUR, root_region

    if style not in LAYER_STYLES:
        raise InvalidInput(_("style must be one of: fill, heat, scatter"), field="style")
    risk_model = region_model(model)
    root = root_region(user, region)
    if root is None:
        raise InvalidInput(_("No region to map."), field="region")
    colours = _colours()
    answer = {"type": "FeatureCollection", "style": style, "region": root.code, "model": risk_model.code}
    if style == "fill":
        risks = {
            r.region_id: r
            for r in RegionRisk.objects.filter(
                model=risk_model, region__path__startswith=root.path, region__depth__lte=root.depth + 1
            )
        }
        shown = _children(root, risks) or [root]
        outlines = dict(
            Region.objects.filter(pk__in=[r.pk for r in shown])
            .annotate(geojson=AsGeoJSON("geometry", precision=4))
            .values_list("pk", "geojson")
        )
        answer["features"] = [
            {
                "type": "Feature",
                "geometry": json.loads(outlines[r.pk]) if outlines.get(r.pk) else None,
                "properties": _entry(r, risks.get(r.pk), colours, breakdown=False),
            }
            for r in shown
        ]
        return answer
    from apps.enterprises.models import Enterprise

    mines = (
        Enterprise.objects.for_user(user)
        .in_region(root)
        .filter(deleted=False, location__isnull=False, industries__code=industry_of(risk_model))
        .exclude(status="closed")
        .distinct()
    )
    if style == "heat":
        mines = mines.filter(risk__score__isnull=False)
    rows = list(
        mines.order_by("pk").values_list("pk", "organisation__name", "location", "risk__level", "risk__score")[
            : MAP_POINTS_LIMIT + 1
        ]
    )
    features = []
    for pk, name, location, level, score in rows[:MAP_POINTS_LIMIT]:
        properties = {
            "id": pk,
            "name": name,
            "level": level,
            "score": round(score, 2) if score is not None else None,
            "color": colours[level]["hex"] if level in colours else NO_LEVEL_COLOUR,
        }
        if style == "heat":
            properties["weight"] = round(score / 100, 4)
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [location.x, location.y]},
                "properties": properties,
            }
        )
    answer["features"] = features
    answer["truncated"] = len(rows) > MAP_POINTS_LIMIT
    return answer

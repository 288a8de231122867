"""Loading the division tables and building their approximate boundaries in PostGIS."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from django.conf import settings
from django.contrib.gis.geos import Point
from django.db import connection, transaction
from django.utils.translation import gettext as _

from apps.core.exceptions import InvalidInput

from .models import ALLOWED_PARENT_KINDS, Region, RegionKind

FIXTURE_DIR = Path(settings.BASE_DIR) / "fixtures" / "regions"
DEFAULT_TABLES = ("shandong_divisions.csv", "shandong_parks.csv")
DEFAULT_OUTLINE = "shandong_outline.geojson"
PARK_RADIUS_M = 3000


def read_division_rows(paths):
    rows = []
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            for line_no, row in enumerate(csv.DictReader(handle), start=2):
                row["_source"] = f"{Path(path).name}:{line_no}"
                rows.append(row)
    return rows


def _validated(rows):
    """Check the whole table before writing anything: a bad row imports nothing."""
    errors, codes = [], set()
    kinds = {k.value for k in RegionKind}
    for row in rows:
        code, kind = row.get("code", "").strip(), row.get("kind", "").strip()
        if not code or code in codes:
            errors.append(f"{row['_source']}: missing or duplicate code {code!r}")
        if kind not in kinds:
            errors.append(f"{row['_source']}: unknown kind {kind!r}")
        try:
            float(row["lon"]), float(row["lat"])
        except (KeyError, TypeError, ValueError):
            errors.append(f"{row['_source']}: bad coordinates")
        codes.add(code)
    by_code = {r["code"].strip(): r for r in rows}
    for row in rows:
        parent = row.get("parent_code", "").strip()
        if parent and parent not in by_code and not Region.objects.filter(code=parent).exists():
            errors.append(f"{row['_source']}: unknown parent {parent!r}")
    if errors:
        raise InvalidInput("; ".join(errors[:20]))
    # Parents before children.
    order = {RegionKind.PROVINCE: 0, RegionKind.CITY: 1, RegionKind.COUNTY: 2, RegionKind.PARK: 3}
    return sorted(rows, key=lambda r: (order[r["kind"].strip()], r["code"].strip()))


@transaction.atomic
def load_divisions(table_paths=None, outline_path=None) -> dict:
    """Upsert the division and park tables, then rebuild boundaries. Safe to run again."""
    table_paths = table_paths or [FIXTURE_DIR / name for name in DEFAULT_TABLES]
    outline_path = outline_path or FIXTURE_DIR / DEFAULT_OUTLINE
    rows = _validated(read_division_rows(table_paths))
    existing = {r.code: r for r in Region.objects.all()}
    created = updated = 0
    for row in rows:
        code = row["code"].strip()
        parent = existing.get(row.get("parent_code", "").strip()) if row.get("parent_code") else None
        kind = row["kind"].strip()
        if parent is not None and parent.kind not in ALLOWED_PARENT_KINDS[kind]:
            raise InvalidInput(f"{row['_source']}: a {kind} cannot sit under a {parent.kind}")
        region = existing.get(code) or Region(code=code)
        changed = region.pk is None or (region.name, region.kind, region.parent_id) != (
            row["name"].strip(),
            kind,
            parent.pk if parent else None,
        )
        region.name, region.kind, region.parent = row["name"].strip(), kind, parent
        region.seat = Point(float(row["lon"]), float(row["lat"]), srid=4326)
        if region.pk is None:
            created += 1
        elif changed:
            updated += 1
        region.save()
        existing[code] = region
    with open(outline_path, encoding="utf-8") as handle:
        outline = json.load(handle)
    if outline.get("type") == "FeatureCollection":
        outline = outline["features"][0]
    build_boundaries(json.dumps(outline.get("geometry", outline)))
    return {"created": created, "updated": updated, "total": len(rows)}


def build_boundaries(outline_geojson: str) -> None:
    """Approximate boundaries: Voronoi cells of county seats clipped to the provincial outline.

    Cities are the union of their counties, the province is the outline, a park is a disc of
    PARK_RADIUS_M around its location clipped to the province (not to its county: an approximate
    county cell may miss a park that really lies inside the county). Replace with surveyed boundaries when
    the province supplies them: nothing else depends on how they were made.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH outline AS (SELECT ST_SetSRID(ST_GeomFromGeoJSON(%s), 4326) AS g),
            cells AS (
                SELECT (ST_Dump(ST_VoronoiPolygons(ST_Collect(seat), 0.0, (SELECT g FROM outline)))).geom AS cell
                FROM regions_region WHERE kind = 'county' AND seat IS NOT NULL
            )
            UPDATE regions_region r
               SET geometry = ST_Multi(ST_CollectionExtract(ST_Intersection(c.cell, o.g), 3))
              FROM cells c, outline o
             WHERE r.kind = 'county' AND ST_Intersects(c.cell, r.seat)
            """,
            [outline_geojson],
        )
        cursor.execute(
            """
            UPDATE regions_region city
               SET geometry = sub.g
              FROM (SELECT parent_id, ST_Multi(ST_Union(geometry)) AS g
                      FROM regions_region WHERE kind = 'county' AND geometry IS NOT NULL
                     GROUP BY parent_id) sub
             WHERE city.id = sub.parent_id AND city.kind = 'city'
            """
        )
        cursor.execute(
            """
            UPDATE regions_region SET geometry = ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON(%s), 4326))
             WHERE kind = 'province' AND parent_id IS NULL
            """,
            [outline_geojson],
        )
        cursor.execute(
            """
            UPDATE regions_region park
               SET geometry = ST_Multi(ST_CollectionExtract(ST_Intersection(
                       ST_Buffer(park.seat::geography, %s)::geometry, ST_SetSRID(ST_GeomFromGeoJSON(%s), 4326)), 3))
             WHERE park.kind = 'park'
            """,
            [PARK_RADIUS_M, outline_geojson],
        )


def resolve_region(code: str, *, field: str = "region") -> Region:
    """The region with ``code``, or a field-level error naming the unknown code."""
    try:
        return Region.objects.get(code=str(code).strip())
    except Region.DoesNotExist:
        raise InvalidInput(_("Unknown region code: %(code)s") % {"code": code}, field=field) from None

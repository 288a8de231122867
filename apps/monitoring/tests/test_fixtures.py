"""The shipped point templates are usable: known kinds, ordered thresholds inside their ranges."""

import json
from pathlib import Path

import pytest
from django.conf import settings

from apps.monitoring.models import MeasurementKind
from apps.monitoring.services import threshold_errors

TEMPLATES = json.loads((Path(settings.BASE_DIR) / "fixtures/facilities/point_templates.json").read_text("utf-8"))
POINTS = [(t["facility_kind"], p) for t in TEMPLATES for p in t["points"]]


@pytest.mark.django_db
def test_templates_refer_to_loaded_kinds():
    from apps.facilities.models import FacilityKind

    kinds = set(MeasurementKind.objects.values_list("code", flat=True))
    facility_kinds = set(FacilityKind.objects.values_list("code", flat=True))
    assert {t["facility_kind"] for t in TEMPLATES} <= facility_kinds
    assert {p["measurement_kind"] for _, p in POINTS} <= kinds


@pytest.mark.parametrize(("facility_kind", "point"), POINTS, ids=[f"{k}:{p['name']}" for k, p in POINTS])
def test_template_thresholds_are_ordered_within_range(facility_kind, point):
    low, high = point.get("range") or [None, None]
    values = {
        "range_low": low,
        "range_high": high,
        **{f: point.get(f) for f in ("low_low", "low", "high", "high_high")},
    }
    assert threshold_errors(values) == {}

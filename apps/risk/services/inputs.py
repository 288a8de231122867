"""Data of indicators no system feeds: the inherent-risk self-assessment and management indicators."""

from __future__ import annotations

import datetime as dt
import math

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.exceptions import InvalidInput
from apps.enterprises.access import require_enterprise_write

from .. import guide
from ..models import IndicatorRecord, StaticAssessment
from .catalogue import record_indicators


@transaction.atomic
def record_static_assessment(
    enterprise, *, items: dict, vetoes: list, assessed_on: dt.date | None = None, note: str = "", actor=None
) -> StaticAssessment:
    """Score an inherent-risk assessment (评估诊断分级). The 重大危险源 item is taken from the registered
    major hazard sources, not from the form, so the two never disagree."""
    require_enterprise_write(actor, enterprise, StaticAssessment)
    errors = guide.check(items, vetoes)
    if any(code.startswith("hazard_level_") for code in items or {}):
        errors["items"] = [_("The major-hazard-source item is taken from the registered hazard sources.")]
    if errors:
        raise InvalidInput(_("The assessment has errors."), errors=errors)
    from apps.hazards.models import HazardSource

    highest = (
        HazardSource.objects.major()
        .filter(enterprise=enterprise, level__isnull=False)
        .order_by("level")
        .values_list("level", flat=True)
        .first()
    )
    items = {**{k: v for k, v in items.items() if v}, **guide.hazard_items(highest)}
    categories, score, level = guide.grade(items, vetoes)
    assessment = StaticAssessment.objects.create(
        enterprise=enterprise,
        assessed_on=assessed_on or timezone.localdate(),
        items=items,
        vetoes=sorted(set(vetoes)),
        categories=categories,
        score=score,
        level=level,
        note=note,
        recorded_by=actor,
    )
    _regrade_soon(enterprise.pk)
    return assessment


@transaction.atomic
def record_indicators_values(enterprise, values: dict, *, period: dt.date | None = None, actor=None, note=""):
    """Report management indicator values (管理指标填报) for a period; all or nothing."""
    require_enterprise_write(actor, enterprise, IndicatorRecord)
    catalogue = record_indicators()
    errors = {}
    if not isinstance(values, dict) or not values:
        raise InvalidInput(_("Give at least one indicator value."), field="values")
    for code, value in values.items():
        spec = catalogue.get(code)
        if spec is None:
            errors[f"values.{code}"] = [_("Unknown management indicator.")]
        elif isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            errors[f"values.{code}"] = [_("Must be a number.")]
        elif not spec["min"] <= value <= spec["max"]:
            errors[f"values.{code}"] = [
                _("Must be between %(min)s and %(max)s.") % {"min": spec["min"], "max": spec["max"]}
            ]
    period = period or timezone.localdate()
    if period > timezone.localdate():
        errors["period"] = [_("The period cannot be in the future.")]
    if errors:
        raise InvalidInput(_("Some values are not usable."), errors=errors)
    records = IndicatorRecord.objects.bulk_create(
        [
            IndicatorRecord(
                enterprise=enterprise, indicator=code, value=value, period=period, note=note, recorded_by=actor
            )
            for code, value in values.items()
        ]
    )
    _regrade_soon(enterprise.pk)
    return records


def _regrade_soon(enterprise_id: int) -> None:
    from .grading import request_regrade

    request_regrade([enterprise_id])

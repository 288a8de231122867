"""Self-learning of a model's weights (模型自学习, RSK-13/36/37): compare past grading with what actually
happened and propose better first-level weights as a draft — never published without a person.

Samples are (enterprise, day) pairs every ``step_days`` over the period: the first-level indicator
scores of the assessment in force that day, labelled by whether the enterprise had an incident
(accident, near miss or confirmed violation) within the following ``horizon_days``. Each first-level
indicator's power to tell the two apart is its AUC; the proposed weight moves each current weight
towards a share proportional to max(0, AUC − 0.5) by ``blend``. The draft's note records the sample,
the AUC of the current weights and of the proposed ones, so a regulator decides with the evidence.
"""

from __future__ import annotations

import bisect
import copy
import datetime as dt
from collections import defaultdict

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..backtest import auc
from ..models import Incident, RiskAssessment, RiskModel
from .catalogue import create_draft


def _samples(model: RiskModel, since: dt.date, until: dt.date, horizon_days: int, step_days: int):
    codes = [node["code"] for node in model.current_version.definition["indicators"]]
    history = defaultdict(list)  # enterprise → [(assessed_at, {group: score})]
    rows = (
        RiskAssessment.objects.filter(version__model=model, assessed_at__date__lte=until)
        .order_by("enterprise_id", "assessed_at")
        .values_list("enterprise_id", "assessed_at", "breakdown")
    )
    for enterprise_id, at, breakdown in rows.iterator(chunk_size=2000):
        groups = {r["code"]: r["score"] for r in breakdown if r.get("depth") == 0}
        history[enterprise_id].append((at.date(), groups))
    incidents = defaultdict(list)
    for enterprise_id, day in Incident.objects.filter(
        enterprise_id__in=list(history), occurred_on__gt=since, occurred_on__lte=until + dt.timedelta(days=horizon_days)
    ).values_list("enterprise_id", "occurred_on"):
        incidents[enterprise_id].append(day)
    for days in incidents.values():
        days.sort()
    samples = []
    dates_of = {enterprise_id: [d for d, _g in series] for enterprise_id, series in history.items()}
    day = since
    while day <= until:
        for enterprise_id, series in history.items():
            index = bisect.bisect_right(dates_of[enterprise_id], day) - 1
            if index < 0:
                continue
            dates = incidents.get(enterprise_id, [])
            first_after = bisect.bisect_right(dates, day)
            label = first_after < len(dates) and dates[first_after] <= day + dt.timedelta(days=horizon_days)
            samples.append(([series[index][1].get(code) for code in codes], label))
        day += dt.timedelta(days=step_days)
    return codes, samples


def _combined(samples, weights: list[float]) -> list[float]:
    """Weighted mean of the first-level scores with data (the engine's no-data rule)."""
    scores = []
    for values, _label in samples:
        pairs = [(w, v) for w, v in zip(weights, values, strict=True) if v is not None and w > 0]
        total = sum(w for w, _v in pairs)
        scores.append(sum(w * v for w, v in pairs) / total if total else 0.0)
    return scores


def calibrate(
    model: RiskModel,
    *,
    since: dt.date,
    until: dt.date,
    horizon_days: int = 90,
    step_days: int = 7,
    blend: float = 0.5,
    min_positives: int = 5,
    actor=None,
) -> dict:
    """Propose recalibrated first-level weights as a draft version; returns the evidence. No draft when
    the sample has fewer than ``min_positives`` positives or the proposal would not rank better."""
    if model.current_version is None:
        return {"model": model.code, "draft": None, "reason": "no published version"}
    codes, samples = _samples(model, since, until, horizon_days, step_days)
    labels = [label for _v, label in samples]
    positives = sum(labels)
    report = {"model": model.code, "samples": len(samples), "positives": positives, "draft": None}
    definition = copy.deepcopy(model.current_version.definition)
    current = [float(node["weight"]) for node in definition["indicators"]]
    report["auc_current"] = auc(_combined(samples, current), labels) if samples else None
    if positives < min_positives or positives == len(samples):
        report["reason"] = "too few incidents to learn from"
        return _finish(model, report)
    power = []
    for i, _code in enumerate(codes):
        values = [v[i] for v, _l in samples]
        mean = _mean([v for v in values if v is not None])
        group_auc = auc([mean if v is None else v for v in values], labels) if mean is not None else None
        power.append(max(0.0, (group_auc or 0.5) - 0.5))
    total_power, total_weight = sum(power), sum(current)
    if total_power <= 0:
        report["reason"] = "no indicator tells incidents apart"
        return _finish(model, report)
    proposed = [
        round((1 - blend) * w + blend * total_weight * p / total_power, 2) for w, p in zip(current, power, strict=True)
    ]
    report["auc_proposed"] = auc(_combined(samples, proposed), labels)
    report["weights"] = {
        code: {"current": w, "proposed": p} for code, w, p in zip(codes, current, proposed, strict=True)
    }
    if report["auc_proposed"] is None or report["auc_proposed"] <= (report["auc_current"] or 0):
        report["reason"] = "the proposal would not rank better"
        return _finish(model, report)
    for node, weight in zip(definition["indicators"], proposed, strict=True):
        node["weight"] = weight
    note = _("Calibrated on %(n)s samples (%(p)s with incidents), %(since)s – %(until)s: AUC %(a).3f → %(b).3f") % {
        "n": len(samples),
        "p": positives,
        "since": since,
        "until": until,
        "a": report["auc_current"] or 0,
        "b": report["auc_proposed"],
    }
    draft = create_draft(model, definition, actor=actor, note=note[:255])
    report["draft"] = draft.number
    return _finish(model, report)


def _mean(values):
    return sum(values) / len(values) if values else None


@transaction.atomic
def _finish(model: RiskModel, report: dict) -> dict:
    RiskModel.objects.filter(pk=model.pk).update(last_trained_at=timezone.now())
    return report


def calibrate_all(*, days: int = 365, horizon_days: int = 90) -> list[dict]:
    """Every active model over the last ``days`` (the monthly beat task)."""
    until = timezone.localdate() - dt.timedelta(days=horizon_days)
    since = until - dt.timedelta(days=days)
    return [
        calibrate(model, since=since, until=until, horizon_days=horizon_days)
        for model in RiskModel.objects.filter(is_active=True, current_version__isnull=False)
    ]

"""Synthetic history (模拟历史) for backtesting the grading on the demo province, the replay that grades
it day by day, and the reading of recorded history for ``manage.py risk_backtest``.

The generator gives each enterprise a latent risk from what the registry knows about it — industry,
highest major-hazard-source level, unfiled sources, hazardous-chemicals category, size, whether it is
suspended — plus noise, standardised over the enterprises, and lets it drift day by day (an AR(1)
process). From the latent risk of the day it draws, on the enterprise's own monitoring points, alarms
(more, longer and less often handled when the risk is high), monthly reports of the management
indicators its model reads, now and then an inherent-risk assessment, and **incidents** (accidents,
near misses, confirmed violations) with a daily probability rising with the latent risk: the ground
truth. Everything it writes is marked so it can be found and removed (``--clear``): alarms by their
``handler``, indicator records and assessments by their ``note``, incidents by ``source``; the period,
seed and latent risks are kept in ``var/risk_history/manifest.json``.

The replay then grades every enterprise as of the end of each day of the period (``grading.gather`` with
``at``: reads only, no assessments or warnings) and folds the results into the day's ``RiskDay`` row, as
the periodic grading would have: the backtest reads those rows, the same as it reads real history.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
from collections import defaultdict

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from apps.monitoring.models import Alarm
from apps.monitoring.statistics import beijing_midnight, beijing_today

from .. import engine, guide
from ..models import Incident, IndicatorRecord, RiskDay, RiskModelVersion, StaticAssessment, Warning
from ..services import grading
from ..services.catalogue import record_indicators

MARK = "synthetic-history"  # Alarm.handler, IndicatorRecord.note, StaticAssessment.note
SOURCE = "synthetic"  # Incident.source
HISTORY_DIR = settings.BASE_DIR / "var" / "risk_history"
MANIFEST = HISTORY_DIR / "manifest.json"

# Contributions to the latent risk (before standardisation).
INDUSTRY_RISK = {
    "coal": 0.6,
    "hazardous_chemicals": 0.45,
    "fireworks": 0.4,
    "steel": 0.35,
    "aluminium_casting": 0.3,
    "dust_explosion": 0.2,
    "gas_station": 0.0,
}
HAZARD_RISK = {1: 1.2, 2: 0.8, 3: 0.5, 4: 0.25}
NOISE_SD = 0.6  # of the enterprise's own, unexplained risk
DRIFT_KEEP, DRIFT_SD = 0.85, 0.3  # AR(1) day-to-day drift: u(t) = 0.85 u(t-1) + N(0, 0.3)
ALARMS_PER_DAY, ALARM_SLOPE = 0.25, 0.9  # Poisson mean 0.25 · e^(0.9 z)
INCIDENTS_PER_DAY, INCIDENT_SLOPE = 0.0023, 1.1  # probability 0.0023 · e^(1.1 z): about 1 in 200 a day
INCIDENT_KINDS = (("violation", 50), ("near_miss", 35), ("accident", 15))
REPORT_EVERY_DAYS = 30


# --- clearing and the manifest ---------------------------------------------------------------------


def manifest() -> dict | None:
    try:
        return json.loads(MANIFEST.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


@transaction.atomic
def clear() -> dict:
    """Remove every synthetic row, and the replayed days of the period in the manifest."""
    previous = manifest()
    removed = {
        "alarms": Alarm.objects.filter(handler=MARK).delete()[0],
        "indicator_records": IndicatorRecord.objects.filter(note=MARK).delete()[0],
        "static_assessments": StaticAssessment.objects.filter(note=MARK).delete()[0],
        "incidents": Incident.objects.filter(source=SOURCE).delete()[0],
        "risk_days": 0,
    }
    if previous:
        removed["risk_days"] = RiskDay.objects.filter(
            enterprise_id__in=[int(e) for e in previous["latent"]],
            day__gte=dt.date.fromisoformat(previous["since"]),
            day__lte=dt.date.fromisoformat(previous["until"]),
        ).delete()[0]
        MANIFEST.unlink(missing_ok=True)
    return removed


# --- the generator ---------------------------------------------------------------------------------


def _profiles(enterprise_ids: list[int] | None) -> dict[int, dict]:
    """What the registry says about each enterprise to grade, and its monitoring points."""
    only = "AND e.organisation_id = ANY(%(ids)s)" if enterprise_ids is not None else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT e.organisation_id, e.status, e.hazchem_category, e.employees, r.kind,
                   (SELECT i.code FROM enterprises_enterprise_industries ei
                      JOIN enterprises_industry i ON i.id = ei.industry_id
                     WHERE ei.enterprise_id = e.organisation_id ORDER BY i.sort_order, i.code LIMIT 1),
                   (SELECT MIN(h.level) FROM hazards_hazardsource h WHERE h.enterprise_id = e.organisation_id
                       AND NOT h.deleted AND h.is_major),
                   (SELECT COUNT(*) FROM hazards_hazardsource h WHERE h.enterprise_id = e.organisation_id
                       AND NOT h.deleted AND h.is_major AND h.filing_status <> 'filed')
              FROM enterprises_enterprise e
              JOIN accounts_organisation o ON o.id = e.organisation_id
              JOIN regions_region r ON r.id = o.region_id
             WHERE NOT e.deleted AND e.status <> 'closed' {only}
             ORDER BY e.organisation_id
            """,
            {"ids": enterprise_ids},
        )
        rows = cursor.fetchall()
        cursor.execute(
            """
            SELECT p.enterprise_id, p.id, k.signal FROM monitoring_monitoringpoint p
              JOIN monitoring_measurementkind k ON k.id = p.kind_id
             WHERE p.enterprise_id = ANY(%s) AND p.in_use AND NOT p.deleted ORDER BY p.id
            """,
            [[r[0] for r in rows]],
        )
        points = defaultdict(list)
        for enterprise_id, point_id, signal in cursor.fetchall():
            points[enterprise_id].append((point_id, signal))
    return {
        e: {
            "status": status,
            "hazchem_category": category,
            "employees": employees,
            "in_park": region_kind == "park",
            "industry": industry,
            "hazard_level": level,
            "unfiled": unfiled,
            "points": points.get(e, []),
        }
        for e, status, category, employees, region_kind, industry, level, unfiled in rows
    }


def latent_risks(profiles: dict[int, dict], rng: random.Random) -> dict[int, float]:
    """Each enterprise's latent risk: registry attributes plus noise, standardised (mean 0, sd 1)."""
    raw = {}
    for e, p in profiles.items():
        value = INDUSTRY_RISK.get(p["industry"], 0.2) + HAZARD_RISK.get(p["hazard_level"], 0.0)
        value += 0.25 * min(p["unfiled"], 2) + (0.3 if p["hazchem_category"] == "production" else 0.0)
        if p["employees"]:
            value += 0.1 * max(-1.0, min(1.5, math.log10(p["employees"] / 100)))
        if p["status"] == "suspended":
            value -= 0.5
        raw[e] = value + rng.gauss(0, NOISE_SD)
    if len(raw) < 2:
        return dict.fromkeys(raw, 0.0)
    mean = sum(raw.values()) / len(raw)
    sd = math.sqrt(sum((v - mean) ** 2 for v in raw.values()) / (len(raw) - 1)) or 1.0
    return {e: round((v - mean) / sd, 4) for e, v in raw.items()}


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def _poisson(rng: random.Random, mean: float) -> int:
    limit, k, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k


def _record_leaves() -> dict[int, list[dict]]:
    """Per enterprise model version in force: its leaves fed by reported management indicators."""
    result = {}
    for version in RiskModelVersion.objects.filter(status=RiskModelVersion.Status.PUBLISHED):
        result[version.pk] = [leaf for leaf in engine.leaves(version.definition) if leaf["source"] == "records.value"]
    return result


def _reported_value(leaf: dict, badness: float, spec: dict) -> float:
    """A raw value of a reported indicator whose score would be about ``badness`` × 100."""
    scoring = leaf["scoring"]
    if scoring["type"] == "linear":
        value = scoring["zero"] + (scoring["full"] - scoring["zero"]) * badness
    elif scoring["type"] == "steps":
        value = min(scoring["steps"], key=lambda step: abs(step[1] - badness * 100))[0]
    else:
        value = float(min(scoring["map"], key=lambda key: abs(scoring["map"][key] - badness * 100)))
    value = max(spec["min"], min(spec["max"], value))
    return round(value) if spec.get("unit") in ("次", "起", "处", "") else round(value, 1)


def synthesize(*, days: int, seed: int, until: dt.date | None = None, enterprise_ids=None, replay: bool = True):
    """Write ``days`` days of synthetic history ending ``until`` (default yesterday) for the enterprises
    (default: all graded ones), after clearing any earlier one; then replay the grading over them."""
    until = until or beijing_today() - dt.timedelta(days=1)
    since = until - dt.timedelta(days=days - 1)
    now = timezone.now()
    cleared = clear()
    rng = random.Random(seed)
    profiles = _profiles(enterprise_ids)
    ids = sorted(profiles)
    latent = latent_risks(profiles, rng)
    versions = grading.models_of(ids)
    version_of = {e: v for v, members in versions.items() for e in members}
    record_leaves = _record_leaves()
    catalogue = record_indicators()
    reporting = {e for e in ids if rng.random() < 0.75 - 0.1 * latent[e]}
    assessed_on = {
        e: since + dt.timedelta(days=rng.randrange(days))
        for e in ids
        if profiles[e]["industry"] == "hazardous_chemicals" and rng.random() < 0.5
    }
    drift = {e: rng.gauss(0, DRIFT_SD / math.sqrt(1 - DRIFT_KEEP**2)) for e in ids}
    series: dict[int, list[float]] = {e: [] for e in ids}
    alarms, records, statics, incidents = [], [], [], []
    for offset in range(days):
        day = since + dt.timedelta(days=offset)
        start = beijing_midnight(day)
        for e in ids:
            drift[e] = DRIFT_KEEP * drift[e] + rng.gauss(0, DRIFT_SD)
            z = latent[e] + drift[e]
            series[e].append(round(z, 3))
            profile = profiles[e]
            points = profile["points"]
            analog = [p for p in points if p[1] == "analog"] or points
            for _ in range(min(20, _poisson(rng, ALARMS_PER_DAY * math.exp(ALARM_SLOPE * z))) if points else 0):
                alarms.append(_alarm(rng, e, rng.choice(analog), start, z, now))
            if offset % REPORT_EVERY_DAYS == 0 and e in reporting and e in version_of:
                for leaf in record_leaves.get(version_of[e], ()):
                    code = leaf["params"].get("indicator")
                    if code not in catalogue:
                        continue
                    badness = max(0.0, min(1.2, _sigmoid(z - 1.0 + rng.gauss(0, 0.7))))
                    records.append(
                        IndicatorRecord(
                            enterprise_id=e,
                            indicator=code,
                            value=_reported_value(leaf, badness, catalogue[code]),
                            period=day,
                            note=MARK,
                        )
                    )
            if assessed_on.get(e) == day:
                statics.append(_static_assessment(rng, e, profile, z, day))
            if rng.random() < INCIDENTS_PER_DAY * math.exp(INCIDENT_SLOPE * z):
                kind = rng.choices([k for k, _w in INCIDENT_KINDS], [w for _k, w in INCIDENT_KINDS])[0]
                incidents.append(
                    Incident(
                        enterprise_id=e,
                        occurred_on=day,
                        kind=kind,
                        severity="general" if kind == "accident" else "",
                        deaths=1 if kind == "accident" and rng.random() < 0.15 else 0,
                        description="模拟历史数据（合成的回测真值）",
                        source=SOURCE,
                    )
                )
    with transaction.atomic():
        Alarm.objects.bulk_create(alarms, batch_size=2000)
        IndicatorRecord.objects.bulk_create(records, batch_size=2000)
        StaticAssessment.objects.bulk_create(statics)
        Incident.objects.bulk_create(incidents)
    HISTORY_DIR.mkdir(parents=True, exist_ok=True)
    summary = {
        "seed": seed,
        "since": since.isoformat(),
        "until": until.isoformat(),
        "days": days,
        "enterprises": len(ids),
        "generated_at": now.isoformat(),
        "cleared_before": cleared,
        "created": {
            "alarms": len(alarms),
            "indicator_records": len(records),
            "static_assessments": len(statics),
            "incidents": len(incidents),
            "incidents_by_kind": {k: sum(1 for i in incidents if i.kind == k) for k, _w in INCIDENT_KINDS},
            "enterprises_with_incidents": len({i.enterprise_id for i in incidents}),
        },
        "latent": {str(e): latent[e] for e in ids},
        "latent_by_day": {str(e): series[e] for e in ids},
    }
    MANIFEST.write_text(json.dumps(summary, ensure_ascii=False), encoding="utf-8")
    if replay:
        summary["replay_seconds"] = replay_days(since, until, ids)
    return summary


def _alarm(rng: random.Random, enterprise_id: int, point, start: dt.datetime, z: float, now) -> Alarm:
    point_id, signal = point
    started = start + dt.timedelta(seconds=rng.randrange(86400))
    minutes = math.exp(rng.gauss(math.log(20), 1.2))
    if rng.random() < 0.03 + 0.03 * _sigmoid(z):
        minutes = rng.uniform(6, 30) * 60  # uncleared for hours
    ended = min(started + dt.timedelta(minutes=minutes), now - dt.timedelta(minutes=1))
    if signal == "switch":
        side = level = "state"
    else:
        level = rng.choices(("high", "high_high", "low", "low_low"), (60, 25 * _sigmoid(z) + 5, 12, 3))[0]
        side = "high" if level.startswith("high") else "low"
    handled = rng.random() < max(0.2, min(0.98, 0.85 - 0.2 * z))
    handled_at = ended + dt.timedelta(minutes=rng.randint(5, 120)) if handled else None
    return Alarm(
        point_id=point_id,
        enterprise_id=enterprise_id,
        side=side,
        level=level,
        started_at=started,
        ended_at=max(ended, started),
        is_active=False,
        handled_at=handled_at if handled_at and handled_at < now else None,
        handler=MARK,
    )


def _static_assessment(rng: random.Random, enterprise_id: int, profile: dict, z: float, day) -> StaticAssessment:
    """An inherent-risk self-assessment (评估诊断分级) whose deductions grow with the latent risk."""
    items = {
        "key_supervised": _poisson(rng, 2),
        "hazardous_process": _poisson(rng, max(0.1, 0.6 + 0.6 * z)),
        "class_a_building": _poisson(rng, max(0.2, 1.5 + 0.8 * z)),
        "outside_park": 0 if profile["in_park"] else 1,
        "eliminated_equipment": 1 if rng.random() < _sigmoid(z - 1.5) else 0,
        "no_reaction_assessment": 1 if rng.random() < _sigmoid(z - 2.0) else 0,
    }
    items = {k: v for k, v in items.items() if v}
    items.update(guide.hazard_items(profile["hazard_level"]))
    vetoes = ["uncertified_operators"] if rng.random() < 0.02 * math.exp(z) else []
    categories, score, level = guide.grade(items, vetoes)
    return StaticAssessment(
        enterprise_id=enterprise_id,
        assessed_on=day,
        items=items,
        vetoes=vetoes,
        categories=categories,
        score=score,
        level=level,
        note=MARK,
    )


def replay_days(since: dt.date, until: dt.date, enterprise_ids: list[int], *, record: bool = True):
    """Grade the enterprises as of the end of each day (nothing written but, with ``record``, the day's
    ``RiskDay`` rows): ``{day: {enterprise: (score, level)}}``, or the seconds taken when recording."""
    started = timezone.now()
    days = {}
    day = since
    while day <= until:
        at = beijing_midnight(day + dt.timedelta(days=1)) - dt.timedelta(seconds=1)
        results = grading.gather(enterprise_ids, at)
        if record:
            with transaction.atomic():
                grading._record_day(results, at)
        else:
            days[day] = {e: (r.score, r.level) for e, (_v, r) in results.items()}
        day += dt.timedelta(days=1)
    return round((timezone.now() - started).total_seconds(), 1) if record else days


# --- reading recorded history -----------------------------------------------------------------------


def recorded_days(since: dt.date, until: dt.date) -> dict[dt.date, dict[int, tuple]]:
    """The last result of each enterprise on each day (``RiskDay``), as the periodic grading left it."""
    days: dict[dt.date, dict[int, tuple]] = defaultdict(dict)
    rows = RiskDay.objects.filter(day__gte=since, day__lte=until, enterprise__deleted=False).values_list(
        "day", "enterprise_id", "last_score", "last_level"
    )
    for day, enterprise_id, score, level in rows:
        days[day][enterprise_id] = (score, level)
    return dict(days)


def incident_dates(kinds: list[str], since: dt.date, until: dt.date) -> dict[int, list[dt.date]]:
    dates = defaultdict(list)
    rows = (
        Incident.objects.filter(kind__in=kinds, occurred_on__gte=since, occurred_on__lte=until)
        .order_by("occurred_on")
        .values_list("enterprise_id", "occurred_on")
    )
    for enterprise_id, day in rows:
        dates[enterprise_id].append(day)
    return dict(dates)


def recorded_warnings(since: dt.date, until: dt.date, enterprise_ids) -> int:
    return Warning.objects.filter(
        enterprise_id__in=list(enterprise_ids),
        raised_at__gte=beijing_midnight(since),
        raised_at__lt=beijing_midnight(until + dt.timedelta(days=1)),
    ).count()

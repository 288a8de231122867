"""Risk grading benchmark (issue: "regrading 10,000 enterprises ≤ 30 s on this machine; report also the
time to merely read the inputs, as the floor"). Prints JSON.

It creates its own enterprises (organisations named ``BENCH-RISK …``, kind enterprise, no USCC) spread
over the Shandong counties, with industries (mostly hazardous chemicals), facilities, monitoring points
with trackers (some offline, some never reporting), alarms over the last week (a minority of
enterprises alarming in the last 24 h, some alarms uncleared for days, many unhandled), major hazard
sources with levels, inherent-risk assessments and management indicator records — bulk_create for the
small tables, COPY for points, trackers and alarms. Then, several runs each:

a. the floor: ``grading.gather(ids)`` (reads every input and scores, writes nothing), and
   ``sources.fetch`` alone, with the time of each source;
b. a first regrade: no current result, every assessment inserted;
c. a steady-state regrade: nothing changed, no assessment written;
d. a regrade after ~5 % of the enterprises got new alarms: their assessments, and the warnings raised.

    .venv/bin/python bench/risk_regrade.py [--enterprises 10000] [--runs 3] [--changed-share 0.05]

Runs against the database named by DATABASE_URL (default: the development database). Everything it made
is removed at the end unless BENCH_KEEP=1 (a later run removes it first anyway). Tasks run inline
(nothing is sent to a broker) and warnings raised on bench enterprises push only to its own channel
prefix; their notifications are removed with them.
"""

import argparse
import contextlib
import datetime as dt
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("DJANGO_DEBUG", "false")  # DEBUG keeps every query in memory
os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
os.environ.setdefault("CHANNELS_PREFIX", "anquan-bench")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from apps.accounts.models import Organisation, OrganisationKind  # noqa: E402
from apps.enterprises.models import Enterprise, Industry  # noqa: E402
from apps.facilities.models import Facility, FacilityKind  # noqa: E402
from apps.hazards.models import HazardSource  # noqa: E402
from apps.monitoring.models import MeasurementKind  # noqa: E402
from apps.regions.models import Region, RegionKind  # noqa: E402
from apps.risk import engine, guide, sources  # noqa: E402
from apps.risk.models import Incident, IndicatorRecord, StaticAssessment, Warning  # noqa: E402
from apps.risk.services import grading  # noqa: E402
from config.celery_app import app as celery_app  # noqa: E402

celery_app.conf.task_always_eager = True  # never send a task to a broker another process may consume

MARK = "BENCH-RISK "
SEED = 7
INDUSTRY_MIX = {
    "hazardous_chemicals": 55,
    "dust_explosion": 15,
    "gas_station": 12,
    "fireworks": 5,
    "steel": 5,
    "aluminium_casting": 4,
    "coal": 4,
}
# Per industry: (facility kind, name, [(measurement kind, (min, max) points)]).
PLANTS = {
    "hazardous_chemicals": [
        (
            "tank_farm",
            "罐区",
            [("liquid_level", (2, 6)), ("temperature", (2, 5)), ("pressure", (1, 4)), ("combustible_gas", (2, 8))],
        ),
        ("production_unit", "生产装置", [("temperature", (2, 8)), ("pressure", (2, 6)), ("flow", (1, 4))]),
        ("gas_detection_system", "气体检测系统", [("combustible_gas", (1, 5)), ("toxic_gas", (0, 4))]),
    ],
    "dust_explosion": [
        ("dust_workshop", "涉粉车间", [("dust_concentration", (1, 3))]),
        ("dust_removal_system", "除尘系统", [("pressure_difference", (1, 3)), ("flow", (0, 2))]),
        ("dust_collector", "除尘器", [("temperature", (1, 4)), ("fault", (1, 2)), ("spark_detection", (0, 2))]),
    ],
    "gas_station": [
        ("fuel_tank", "油罐", [("liquid_level", (3, 4)), ("leak_detection", (1, 4)), ("overflow", (1, 2))]),
        ("refuelling_area", "加油区", [("combustible_gas", (2, 6))]),
    ],
    "fireworks": [
        ("workshop", "工房", [("person_count", (2, 6)), ("charge_quantity", (2, 6)), ("temperature", (1, 3))]),
        ("duty_room", "值班室", [("on_post", (1, 2))]),
    ],
    "steel": [
        ("gas_holder", "煤气柜", [("carbon_monoxide", (4, 10)), ("holder_position", (1, 2)), ("pressure", (1, 3))]),
        (
            "converter",
            "转炉",
            [("cooling_water_flow", (2, 6)), ("cooling_water_temperature", (2, 6)), ("interlock_action", (1, 3))],
        ),
        ("molten_metal_crane", "铸造起重机", [("load", (1, 2))]),
    ],
    "aluminium_casting": [
        (
            "casting_well",
            "深井铸造井",
            [("molten_metal_level", (1, 3)), ("cooling_water_flow", (2, 4)), ("valve_state", (1, 3))],
        ),
        ("melting_furnace", "熔炼炉", [("temperature", (2, 4))]),
        ("wire_rope", "钢丝绳", []),
    ],
    "coal": [
        ("working_face", "综采工作面", [("methane", (4, 12)), ("carbon_monoxide", (2, 6)), ("wind_speed", (1, 3))]),
        ("main_fan", "主通风机", [("air_volume", (1, 2)), ("vibration", (2, 4)), ("current", (1, 2))]),
        ("water_pump", "主排水泵", [("flow", (1, 3)), ("current", (1, 3))]),
    ],
}
RECORD_INDICATORS = {
    "training.plan_rate": (60, 100),
    "training.certified_rate": (70, 100),
    "awareness.test_score": (55, 100),
    "behaviour.violations": (0, 12),
    "control.measures_rate": (60, 100),
    "hidden_danger.rectified_rate": (50, 100),
    "hazard.responsibility_rate": (60, 100),
    "inspection.special_equipment_rate": (70, 100),
    "inspection.calibration_rate": (60, 100),
    "change.executed_rate": (60, 100),
    "emergency.drill_rate": (40, 100),
    "checks.rectified_rate": (50, 100),
    "accidents.count_1y": (0, 2),
    "accidents.near_miss_1y": (0, 6),
}
GUIDE_ITEMS = ("key_supervised", "hazardous_process", "class_a_building", "class_b_building", "outside_park")


# --- data -------------------------------------------------------------------------------------------


def bench_ids() -> list[int]:
    return list(
        Organisation.objects.filter(kind=OrganisationKind.ENTERPRISE, name__startswith=MARK)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


# Warnings raised on bench enterprises notify the regulators of their counties: their titles start
# with the enterprise's name.
NOTIFICATION_CLEANUP = (
    "DELETE FROM notifications_delivery WHERE notification_id IN"
    " (SELECT id FROM notifications_notification WHERE title LIKE %(mark)s)",
    "DELETE FROM notifications_notification WHERE title LIKE %(mark)s",
)


def cleanup() -> dict:
    """Remove everything a run made (bench enterprises and every row hanging from them)."""
    ids = bench_ids()
    statements = [
        *NOTIFICATION_CLEANUP,
        "DELETE FROM risk_warningevent WHERE warning_id IN (SELECT id FROM risk_warning WHERE enterprise_id = ANY(%(ids)s))",
        "DELETE FROM risk_warning WHERE enterprise_id = ANY(%(ids)s)",
        "DELETE FROM risk_enterpriserisk WHERE enterprise_id = ANY(%(ids)s)",
        "DELETE FROM risk_riskassessment WHERE enterprise_id = ANY(%(ids)s)",
        "DELETE FROM risk_riskday WHERE enterprise_id = ANY(%(ids)s)",
        "DELETE FROM risk_staticassessment WHERE enterprise_id = ANY(%(ids)s)",
        "DELETE FROM risk_indicatorrecord WHERE enterprise_id = ANY(%(ids)s)",
        "DELETE FROM risk_incident WHERE enterprise_id = ANY(%(ids)s)",
        "DELETE FROM monitoring_alarmevent WHERE alarm_id IN (SELECT id FROM monitoring_alarm WHERE enterprise_id = ANY(%(ids)s))",
        "DELETE FROM monitoring_alarm WHERE enterprise_id = ANY(%(ids)s)",
        "DELETE FROM monitoring_pointstate WHERE point_id IN"
        " (SELECT id FROM monitoring_monitoringpoint WHERE enterprise_id = ANY(%(ids)s))",
        "DELETE FROM monitoring_monitoringpoint WHERE enterprise_id = ANY(%(ids)s)",
        "DELETE FROM hazards_hazardsource_facilities WHERE hazardsource_id IN"
        " (SELECT id FROM hazards_hazardsource WHERE enterprise_id = ANY(%(ids)s))",
        "DELETE FROM hazards_hazardsourcesubstance WHERE hazard_source_id IN"
        " (SELECT id FROM hazards_hazardsource WHERE enterprise_id = ANY(%(ids)s))",
        "DELETE FROM hazards_hazardsource WHERE enterprise_id = ANY(%(ids)s)",
        "DELETE FROM facilities_facility WHERE enterprise_id = ANY(%(ids)s)",
        "DELETE FROM enterprises_enterprise_industries WHERE enterprise_id = ANY(%(ids)s)",
        "DELETE FROM enterprises_enterprise WHERE organisation_id = ANY(%(ids)s)",
        "DELETE FROM accounts_organisation WHERE id = ANY(%(ids)s)",
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql, {"ids": ids, "mark": MARK + "%"})
    return {"enterprises": len(ids)}


def _copy(cursor, table: str, columns: list[str], rows) -> int:
    """COPY rows (tuples of already-formatted text, None for NULL) into ``table``."""
    n = 0
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            n += 1
    return n


def provision(n: int, now: dt.datetime) -> dict:
    """Create ``n`` bench enterprises with everything grading reads; returns counts."""
    rng = random.Random(SEED)
    counties = list(
        Region.objects.filter(kind=RegionKind.COUNTY, path__startswith="/370000/").values_list("pk", flat=True)
    )
    industries = {i.code: i.pk for i in Industry.objects.all()}
    facility_kinds = {k.code: k.pk for k in FacilityKind.objects.all()}
    measurements = {m.code: (m.pk, m.signal) for m in MeasurementKind.objects.all()}
    codes, weights = list(INDUSTRY_MIX), list(INDUSTRY_MIX.values())
    counts = {}
    with transaction.atomic():
        organisations = Organisation.objects.bulk_create(
            [
                Organisation(
                    name=f"{MARK}{i:05d} 基准企业", kind=OrganisationKind.ENTERPRISE, region_id=rng.choice(counties)
                )
                for i in range(n)
            ],
            batch_size=2000,
        )
        ids = [o.pk for o in organisations]
        primary = {e: rng.choices(codes, weights=weights)[0] for e in ids}
        Enterprise.objects.bulk_create(
            [
                Enterprise(
                    organisation_id=e,
                    status="suspended" if rng.random() < 0.04 else "operating",
                    registration_code="" if primary[e] == "hazardous_chemicals" and rng.random() < 0.05 else "R1",
                    monitoring_connected=True,
                )
                for e in ids
            ],
            batch_size=2000,
        )
        through = Enterprise.industries.through
        links = [through(enterprise_id=e, industry_id=industries[primary[e]]) for e in ids]
        links += [
            through(enterprise_id=e, industry_id=industries["dust_explosion"])
            for e in ids
            if primary[e] in ("hazardous_chemicals", "steel", "aluminium_casting") and rng.random() < 0.1
        ]
        through.objects.bulk_create(links, batch_size=5000)
        counts["enterprises"] = n
        counts["by_industry"] = {c: sum(1 for e in ids if primary[e] == c) for c in codes}

        # Facilities: one per kind of the industry's plant (two tank farms at some chemical plants).
        facilities = []
        for e in ids:
            for serial, (kind, name, _points) in enumerate(PLANTS[primary[e]], start=1):
                facilities.append(
                    Facility(enterprise_id=e, kind_id=facility_kinds[kind], code=f"F{serial:02d}", name=name)
                )
        facilities = Facility.objects.bulk_create(facilities, batch_size=5000)
        counts["facilities"] = len(facilities)
        by_enterprise: dict[int, list] = {}
        for facility in facilities:
            by_enterprise.setdefault(facility.enterprise_id, []).append(facility.pk)

        # Points (COPY), then their ids.
        stamp = now.isoformat()
        point_rows = []
        for e in ids:
            serial = 0
            for facility_id, (_kind, _name, templates) in zip(by_enterprise[e], PLANTS[primary[e]], strict=True):
                for measurement, (low, high) in templates:
                    kind_id, signal = measurements[measurement]
                    for _ in range(rng.randint(low, high)):
                        serial += 1
                        analog = signal == "analog"
                        point_rows.append(
                            (stamp, stamp, "f", f"P{serial:03d}", measurement, "", "0" if analog else None)
                            + (("100", None, None, "80", "90") if analog else (None,) * 5)
                            + ("", "30", "", None, "t", str(e), str(facility_id), str(kind_id), "t", "0", "0", "0")
                        )
        with connection.cursor() as cursor:
            counts["points"] = _copy(
                cursor,
                "monitoring_monitoringpoint",
                ["created_at", "updated_at", "deleted", "code", "name", "unit", "range_low", "range_high", "low_low"]
                + ["low", "high", "high_high", "bit_number", "period_s", "position", "location", "in_use"]
                + ["enterprise_id", "facility_id", "kind_id", "alarm_state", "clear_delay_s", "deadband"]
                + ["raise_delay_s"],
                point_rows,
            )
            cursor.execute(
                "SELECT p.id, p.enterprise_id, k.signal FROM monitoring_monitoringpoint p"
                " JOIN monitoring_measurementkind k ON k.id = p.kind_id WHERE p.enterprise_id = ANY(%s) ORDER BY p.id",
                [ids],
            )
            points_of: dict[int, list[tuple[int, str]]] = {}
            for point_id, enterprise_id, signal in cursor.fetchall():
                points_of.setdefault(enterprise_id, []).append((point_id, signal))

            # Trackers: most points online; some enterprises with many points offline; a few never reported.
            state_rows, offline_points = [], []
            for e in ids:
                offline_share = rng.uniform(0.3, 1.0) if rng.random() < 0.08 else 0.02
                for point_id, _signal in points_of[e]:
                    if rng.random() < 0.03:
                        continue  # never reported: no tracker
                    online = rng.random() >= offline_share
                    seen = now - dt.timedelta(seconds=rng.randint(5, 60) if online else rng.randint(3600, 86400 * 3))
                    if not online:
                        offline_points.append((point_id, e, seen))
                    state_rows.append(
                        (str(point_id), seen.isoformat(), "42.0", seen.isoformat(), seen.isoformat(), "normal", "")
                        + (None, seen.isoformat(), None, "t" if online else "f", seen.isoformat())
                    )
            counts["point_states"] = _copy(
                cursor,
                "monitoring_pointstate",
                ["point_id", "ts", "value", "received_at", "evaluated_ts", "level", "pending_level", "pending_since"]
                + ["changed_ts", "gateway_id", "online", "online_changed_at"],
                state_rows,
            )
            counts["points_offline"] = len(offline_points)

            # Alarms: a week of history; in the last 24 h about a fifth of the enterprises alarm.
            alarm_rows = []
            active = set()

            def alarm(e, point_id, signal, started, *, minutes=None, handled=None, level=None, side=None):
                if signal == "switch":
                    side, level = "state", "state"
                else:
                    level = level or rng.choices(("high", "high_high", "low", "low_low"), (60, 20, 15, 5))[0]
                    side = side or ("high" if level.startswith("high") else "low")
                ended = None if minutes is None else started + dt.timedelta(minutes=minutes)
                if ended is None:
                    if (point_id, side) in active:
                        return
                    active.add((point_id, side))
                handled_at = None
                if handled:
                    handled_at = (ended or started) + dt.timedelta(minutes=rng.randint(2, 90))
                    if handled_at > now:
                        handled_at = None
                alarm_rows.append(
                    (side, level, "80" if signal != "switch" else None, started.isoformat())
                    + (ended.isoformat() if ended else None, "91.0", "85.0", "f" if ended else "t")
                    + (str(e), str(point_id), "", handled_at.isoformat() if handled_at else None, None, "", "", "")
                    + ("f",)
                )

            for day in range(7):
                day_end = now - dt.timedelta(days=day)
                for e in ids:
                    if rng.random() >= (0.2 if day == 0 else 0.15):
                        continue
                    pts = points_of[e]
                    for _ in range(min(int(rng.expovariate(1 / 3)) + 1, 15)):
                        point_id, signal = rng.choice(pts)
                        started = day_end - dt.timedelta(seconds=rng.randint(60, 86400 - 60))
                        still = day == 0 and rng.random() < 0.1
                        minutes = None if still else rng.choice((1, 3, 10, 30, 90, 240))
                        if minutes and started + dt.timedelta(minutes=minutes) > now:
                            minutes = None
                        alarm(e, point_id, signal, started, minutes=minutes, handled=rng.random() < 0.6)
            # Uncleared for days (长时间未消警), unhandled.
            for e in rng.sample(ids, n * 3 // 100):
                for point_id, signal in rng.sample(points_of[e], min(2, len(points_of[e]))):
                    alarm(e, point_id, signal, now - dt.timedelta(hours=rng.randint(25, 96)))
            # Offline alarms on the offline points.
            for point_id, e, seen in offline_points:
                if (point_id, "offline") not in active:
                    active.add((point_id, "offline"))
                    alarm_rows.append(
                        ("offline", "offline", None, seen.isoformat(), None, None, None, "t", str(e), str(point_id))
                        + ("", None, None, "", "", "", "f")
                    )
            counts["alarms"] = _copy(cursor, "monitoring_alarm", ALARM_COLUMNS, alarm_rows)

        # Major hazard sources: about half the chemical plants, some steel works and gas stations.
        hazard_sources = []
        for e in ids:
            share = {"hazardous_chemicals": 0.5, "steel": 0.3, "gas_station": 0.05}.get(primary[e], 0)
            if rng.random() >= share:
                continue
            for k in range(rng.randint(1, 3) if primary[e] == "hazardous_chemicals" else 1):
                major = rng.random() < 0.8
                hazard_sources.append(
                    HazardSource(
                        enterprise_id=e,
                        code=f"HS{k + 1:02d}",
                        name="储罐区",
                        is_major=major,
                        level=rng.choices((1, 2, 3, 4), (8, 20, 30, 42))[0] if major else None,
                        filing_status="filed" if major and rng.random() < 0.88 else "unfiled",
                        assessed_at=now,
                    )
                )
        HazardSource.objects.bulk_create(hazard_sources, batch_size=5000)
        counts["hazard_sources"] = len(hazard_sources)

        # Inherent-risk assessments (a third of the chemical plants, one in a hundred with a veto).
        static = []
        for e in ids:
            if primary[e] != "hazardous_chemicals" or rng.random() >= 0.3:
                continue
            items = {code: rng.randint(0, 4) for code in rng.sample(GUIDE_ITEMS, 3)}
            items = {k: v for k, v in items.items() if v}
            vetoes = ["uncertified_operators"] if rng.random() < 0.01 else []
            categories, score, level = guide.grade(items, vetoes)
            for age in (rng.randint(200, 400), rng.randint(0, 150)):  # an older one and the one in force
                static.append(
                    StaticAssessment(
                        enterprise_id=e,
                        assessed_on=(now - dt.timedelta(days=age)).date(),
                        items=items,
                        vetoes=vetoes,
                        categories=categories,
                        score=score,
                        level=level,
                    )
                )
        StaticAssessment.objects.bulk_create(static, batch_size=5000)
        counts["static_assessments"] = len(static)

        # Management indicators: four in ten enterprises report, some twice (the latest counts).
        records = []
        for e in ids:
            if rng.random() >= 0.4:
                continue
            for code in rng.sample(list(RECORD_INDICATORS), 8):
                low, high = RECORD_INDICATORS[code]
                for age in (rng.randint(0, 60),) + ((rng.randint(90, 300),) if rng.random() < 0.5 else ()):
                    records.append(
                        IndicatorRecord(
                            enterprise_id=e,
                            indicator=code,
                            value=round(rng.uniform(low, high)),
                            period=(now - dt.timedelta(days=age)).date(),
                        )
                    )
        IndicatorRecord.objects.bulk_create(records, batch_size=5000)
        counts["indicator_records"] = len(records)

        # Incidents on record (accidents, confirmed violations) at a few enterprises in the last year.
        incidents = [
            Incident(
                enterprise_id=e,
                occurred_on=(now - dt.timedelta(days=rng.randint(1, 360))).date(),
                kind=rng.choice(("accident", "violation", "violation")),
                source="bench",
            )
            for e in rng.sample(ids, n * 3 // 100)
            for _ in range(rng.randint(1, 2))
        ]
        Incident.objects.bulk_create(incidents, batch_size=5000)
        counts["incidents"] = len(incidents)
    with connection.cursor() as cursor:
        for table in (
            "accounts_organisation",
            "enterprises_enterprise",
            "enterprises_enterprise_industries",
            "facilities_facility",
            "monitoring_monitoringpoint",
            "monitoring_pointstate",
            "monitoring_alarm",
            "hazards_hazardsource",
            "risk_staticassessment",
            "risk_indicatorrecord",
            "risk_incident",
        ):
            cursor.execute(f"ANALYZE {table}")
    return counts


ALARM_COLUMNS = [
    "side",
    "level",
    "threshold",
    "started_at",
    "ended_at",
    "peak_value",
    "last_value",
    "is_active",
    "enterprise_id",
    "point_id",
    "cause",
    "handled_at",
    "handled_by_id",
    "handler",
    "measures",
    "result",
    "shelved",
]


def add_alarms(enterprise_ids: list[int], now: dt.datetime, rng: random.Random) -> int:
    """New unhandled alarms of the last hour on ``enterprise_ids`` (some still active): their risk rises."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.id, p.enterprise_id FROM monitoring_monitoringpoint p JOIN monitoring_measurementkind k"
            " ON k.id = p.kind_id WHERE p.enterprise_id = ANY(%s) AND k.signal = 'analog'"
            " AND NOT EXISTS (SELECT 1 FROM monitoring_alarm a WHERE a.point_id = p.id AND a.is_active)",
            [enterprise_ids],
        )
        points: dict[int, list[int]] = {}
        for point_id, enterprise_id in cursor.fetchall():
            points.setdefault(enterprise_id, []).append(point_id)
        rows = []
        for e, pts in points.items():
            for k, point_id in enumerate(rng.sample(pts, min(len(pts), rng.randint(4, 10)))):
                started = now - dt.timedelta(minutes=rng.randint(5, 60))
                ended = None if k < 2 else started + dt.timedelta(minutes=rng.randint(1, 4))
                rows.append(
                    ("high", "high_high", "90", started.isoformat(), ended.isoformat() if ended else None, "97.0")
                    + ("95.0", "f" if ended else "t", str(e), str(point_id), "", None, None, "", "", "", "f")
                )
        return _copy(cursor, "monitoring_alarm", ALARM_COLUMNS, rows)


def reset_risk(ids: list[int]) -> None:
    """Forget the bench enterprises' results, so the next regrade is a first one."""
    with transaction.atomic(), connection.cursor() as cursor:
        for sql in NOTIFICATION_CLEANUP:
            cursor.execute(sql, {"mark": MARK + "%"})
        cursor.execute(
            "DELETE FROM risk_warningevent WHERE warning_id IN (SELECT id FROM risk_warning WHERE enterprise_id = ANY(%s))",
            [ids],
        )
        for table in ("risk_warning", "risk_enterpriserisk", "risk_riskassessment", "risk_riskday"):
            cursor.execute(f"DELETE FROM {table} WHERE enterprise_id = ANY(%s)", [ids])


# --- measuring --------------------------------------------------------------------------------------


def reset_peak_rss() -> None:
    with contextlib.suppress(OSError):  # "5" resets the peak resident size (VmHWM) on Linux
        Path("/proc/self/clear_refs").write_text("5")


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def timed(fn, *args, **kwargs):
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - started, result


def summary(values: list[float]) -> dict:
    return {"min": round(min(values), 2), "median": round(statistics.median(values), 2), "runs": len(values)}


def fetch_only(ids: list[int], at: dt.datetime) -> tuple[float, dict]:
    """sources.fetch for every version in force, and the time of each (source, params) query."""
    started = time.perf_counter()
    by_version = grading.models_of(ids)
    from apps.risk.models import RiskModelVersion

    versions = RiskModelVersion.objects.in_bulk(list(by_version))
    per_source: dict[str, float] = {}
    for version_id, version_ids in by_version.items():
        ctx = sources.Context(version_ids, at)
        leaves = engine.leaves(versions[version_id].definition)
        seen = set()
        for leaf in leaves:
            key = (leaf["source"], sources._freeze(leaf.get("params") or {}))
            source = sources.get_source(leaf["source"])
            if key in seen or source is None or source.provider is None:
                continue
            seen.add(key)
            t0 = time.perf_counter()
            source.provider(ctx, dict(key[1]))
            per_source[leaf["source"]] = per_source.get(leaf["source"], 0.0) + time.perf_counter() - t0
    return time.perf_counter() - started, per_source


def table_rows(ids: list[int]) -> dict:
    with connection.cursor() as cursor:
        result = {}
        for table in ("risk_riskassessment", "risk_enterpriserisk", "risk_riskday", "risk_warning"):
            cursor.execute(f"SELECT count(*) FROM {table} WHERE enterprise_id = ANY(%s)", [ids])
            result[table] = cursor.fetchone()[0]
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--enterprises", type=int, default=10000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--changed-share", type=float, default=0.05)
    args = parser.parse_args()
    result = {"benchmark": "risk_regrade", "load_average_start": [round(x, 2) for x in os.getloadavg()]}
    cleanup()
    now = timezone.now()
    provision_s, counts = timed(provision, args.enterprises, now)
    ids = bench_ids()
    result.update(enterprises=len(ids), provision_s=round(provision_s, 1), data=counts)
    rng = random.Random(SEED + 1)
    phases = {}
    try:
        # a. the floor: read and score, write nothing; and the reads alone
        reset_peak_rss()
        gather_s, fetch_s, per_source = [], [], {}
        results = None
        for _ in range(args.runs):
            results = None  # one result set alive at a time, as in a regrade
            seconds, results = timed(grading.gather, ids)
            gather_s.append(seconds)
            seconds, per_source = fetch_only(ids, timezone.now())
            fetch_s.append(seconds)
        levels = {str(k): 0 for k in (1, 2, 3, 4, None)}
        for _version, res in results.values():
            levels[str(res.level)] += 1
        phases["a_gather"] = {**summary(gather_s), "graded": len(results), "levels": levels}
        phases["a_fetch_only"] = {
            **summary(fetch_s),
            "slowest_sources_s": {k: round(v, 2) for k, v in sorted(per_source.items(), key=lambda kv: -kv[1])[:8]},
        }
        phases["a_peak_rss_mb"] = peak_rss_mb()
        del results

        # b. first regrade: every result new
        reset_peak_rss()
        first_s, first = [], None
        for _ in range(args.runs):
            reset_risk(ids)
            seconds, first = timed(grading.regrade, ids, trigger="periodic")
            first_s.append(seconds)
        phases["b_first_regrade"] = {
            **summary(first_s),
            "summary": {k: v for k, v in first.items() if k != "at"},
            "rows_after": table_rows(ids),
            "peak_rss_mb": peak_rss_mb(),
        }

        # c. steady state: nothing changed
        reset_peak_rss()
        steady_s, steady = [], None
        for _ in range(args.runs):
            seconds, steady = timed(grading.regrade, ids, trigger="periodic")
            steady_s.append(seconds)
        phases["c_steady_regrade"] = {
            **summary(steady_s),
            "summary": {k: v for k, v in steady.items() if k != "at"},
            "peak_rss_mb": peak_rss_mb(),
        }

        # d. ~5 % of the enterprises get new alarms (a different quiet set each run)
        reset_peak_rss()
        changed_s, runs_d = [], []
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT enterprise_id FROM risk_enterpriserisk WHERE enterprise_id = ANY(%s) AND level >= 3"
                " ORDER BY enterprise_id",
                [ids],
            )
            quiet = [r[0] for r in cursor.fetchall()]
        rng.shuffle(quiet)
        size = max(1, int(len(ids) * args.changed_share))
        for run in range(args.runs):
            chosen = quiet[run * size : (run + 1) * size]
            before = Warning.objects.filter(enterprise_id__in=ids).count()
            added = add_alarms(chosen, timezone.now(), rng)
            seconds, changed = timed(grading.regrade, ids, trigger="periodic")
            changed_s.append(seconds)
            runs_d.append(
                {
                    "enterprises_changed": len(chosen),
                    "alarms_added": added,
                    **{k: v for k, v in changed.items() if k != "at"},
                    "warnings_raised": Warning.objects.filter(enterprise_id__in=ids).count() - before,
                    "seconds": round(seconds, 2),
                }
            )
        phases["d_regrade_after_changes"] = {**summary(changed_s), "runs_detail": runs_d, "peak_rss_mb": peak_rss_mb()}
        result["phases"] = phases
        result["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
        result["target_first_regrade_s"] = 30
        result["met"] = min(first_s) <= 30
    finally:
        if not os.environ.get("BENCH_KEEP"):
            cleanup_s, _ = timed(cleanup)
            result["cleanup_s"] = round(cleanup_s, 1)
    print(json.dumps(result, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()

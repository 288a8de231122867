"""Indicator sources (指标数据来源): where each leaf indicator's raw value comes from.

A source is computed for *all* enterprises of a grading run at once — one query per (source,
params), never one per enterprise — and returns ``{enterprise_id: value}``. An enterprise missing
from the answer has no data for that indicator (shown as such, never as zero): an enterprise without
monitoring points has no alarm figure, an enterprise without an inherent-risk assessment no static
score.

Apps above ``risk`` (dual prevention, special works, positioning, video…) register the sources of
their own data in ``AppConfig.ready()`` with ``register_source``; until then the placeholders below
stand for them, with no provider, so models can already name them and show "no data".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


@dataclass
class Source:
    code: str
    name: str
    unit: str = ""
    provider: Callable | None = None
    description: str = ""
    params: dict = field(default_factory=dict)  # parameter name → description


class Registry:
    """The sources of one kind of subject — enterprises here, regions in ``region_sources`` — and the
    fetch that queries each distinct (source, params) once for every subject of a run."""

    def __init__(self):
        self._sources: dict[str, Source] = {}

    def register(
        self, code: str, name, *, unit: str = "", provider: Callable | None = None, description="", params=None
    ):
        """Register (or, from a later app, replace) a source. ``provider(ctx, params) -> {subject_id: value}``."""
        self._sources[code] = Source(code, name, unit, provider, description, params or {})

    def get(self, code: str) -> Source | None:
        return self._sources.get(code)

    def all(self) -> list[Source]:
        return sorted(self._sources.values(), key=lambda s: s.code)

    def codes(self) -> set[str]:
        return set(self._sources)

    def fetch(self, ctx: Context, leaves: list[dict]) -> dict[int, dict[str, float]]:
        """Raw values of ``leaves`` (from one or more definitions) for every subject of ``ctx``:
        ``{subject_id: {indicator_code: value}}``. Each distinct (source, params) is queried once."""
        by_key: dict[tuple, list[str]] = {}
        for leaf in leaves:
            key = (leaf["source"], _freeze(leaf.get("params") or {}))
            by_key.setdefault(key, []).append(leaf["code"])
        values: dict[int, dict[str, float]] = {subject: {} for subject in ctx.ids}
        for (code, frozen), indicator_codes in by_key.items():
            source = self._sources.get(code)
            if source is None or source.provider is None:
                continue
            for subject, value in source.provider(ctx, dict(frozen)).items():
                row = values.get(subject)
                if row is None or value is None:
                    continue
                for indicator in indicator_codes:
                    row[indicator] = float(value)
        return values


class Context:
    """One grading run's view of the data: the subjects (enterprise ids here), the time, and values
    already fetched. ``rows`` binds ``ids`` and ``at`` (and whatever ``sql_params`` adds)."""

    def __init__(self, ids: list[int], at: dt.datetime):
        self.ids = list(ids)
        self.at = at
        self._cache: dict = {}

    def cached(self, key, compute):
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    @property
    def day(self) -> dt.date:
        """The grading day in Beijing time: date columns are compared with it, never with ``at``
        (a date cast to a UTC timestamp is eight hours off)."""
        return timezone.localdate(self.at)

    def sql_params(self) -> dict:
        return {"ids": self.ids, "at": self.at, "day": self.day}

    def rows(self, sql: str, params: dict) -> list[tuple]:
        with connection.cursor() as cursor:
            cursor.execute(sql, {**self.sql_params(), **params})
            return cursor.fetchall()


ENTERPRISE_SOURCES = Registry()
register_source = ENTERPRISE_SOURCES.register
get_source = ENTERPRISE_SOURCES.get
all_sources = ENTERPRISE_SOURCES.all
known_codes = ENTERPRISE_SOURCES.codes
fetch = ENTERPRISE_SOURCES.fetch


def _freeze(params: dict) -> tuple:
    return tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in params.items()))


# --- monitoring (实时监测) --------------------------------------------------------------------------

DEFAULT_ALARM_WEIGHTS = {"high": 1.0, "low": 1.0, "high_high": 2.0, "low_low": 2.0, "state": 1.5}


def _point_filter(params: dict) -> tuple[str, dict]:
    """SQL conditions on points ``p`` (and their kind ``k`` / facility kind ``fk``) from params; empty
    without filters, and then the joins are left out too (``_joins``)."""
    sql, args = "", {}
    if params.get("kinds"):
        sql += " AND k.code = ANY(%(kinds)s)"
        args["kinds"] = list(params["kinds"])
    if params.get("facility_kinds"):
        sql += " AND fk.code = ANY(%(facility_kinds)s)"
        args["facility_kinds"] = list(params["facility_kinds"])
    return sql, args


def _joins(condition: str, alarms: bool = False) -> str:
    """The joins a point filter needs, and only those: none without a filter (a bare alarm or point scan
    plans well even on tables never analysed; a four-way join on guessed row counts did not)."""
    if not condition:
        return ""
    sql = " JOIN monitoring_monitoringpoint p ON p.id = a.point_id" if alarms else ""
    if "k.code" in condition:
        sql += " JOIN monitoring_measurementkind k ON k.id = p.kind_id"
    if "fk.code" in condition:
        sql += (
            " JOIN facilities_facility f ON f.id = p.facility_id JOIN facilities_facilitykind fk ON fk.id = f.kind_id"
        )
    return sql


def _monitored(ctx: Context, params: dict) -> set[int]:
    """Enterprises with monitoring points in use matching ``params``: they have a figure (0 when quiet)."""
    condition, args = _point_filter(params)

    def compute():
        rows = ctx.rows(
            f"SELECT DISTINCT p.enterprise_id FROM monitoring_monitoringpoint p {_joins(condition)}"
            f" WHERE p.enterprise_id = ANY(%(ids)s) AND p.in_use AND NOT p.deleted {condition}",
            args,
        )
        return {r[0] for r in rows}

    return ctx.cached(("monitored", _freeze(params)), compute)


def _with_zeros(ctx, params, found: dict) -> dict:
    return {e: found.get(e, 0.0) for e in _monitored(ctx, params)}


def alarm_hours(ctx: Context, params: dict) -> dict:
    """Σ level weight × hours in alarm within the window (报警时长加权), shelved alarms left out."""
    condition, args = _point_filter(params)
    weights = {**DEFAULT_ALARM_WEIGHTS, **(params.get("weights") or {})}
    window = dt.timedelta(hours=float(params.get("window_h", 24)))
    rows = ctx.rows(
        f"""
        SELECT a.enterprise_id,
               SUM(w.weight * EXTRACT(EPOCH FROM LEAST(COALESCE(a.ended_at, %(at)s), %(at)s)
                                                - GREATEST(a.started_at, %(start)s)) / 3600.0)
          FROM monitoring_alarm a
          JOIN unnest(%(levels)s::text[], %(weights)s::float8[]) AS w(level, weight) ON w.level = a.level
          {_joins(condition, alarms=True)}
         WHERE a.enterprise_id = ANY(%(ids)s) AND NOT a.shelved
           AND a.started_at < %(at)s AND (a.ended_at IS NULL OR a.ended_at > %(start)s) {condition}
         GROUP BY a.enterprise_id
        """,
        {**args, "start": ctx.at - window, "levels": list(weights), "weights": list(weights.values())},
    )
    return _with_zeros(ctx, params, {e: round(v, 3) for e, v in rows})


def alarm_count(ctx: Context, params: dict) -> dict:
    """Alarms raised within the window (报警次数), optionally of some sides, kinds or facility kinds."""
    point_condition, args = _point_filter(params)
    condition = point_condition
    if params.get("sides"):
        condition += " AND a.side = ANY(%(sides)s)"
        args["sides"] = list(params["sides"])
    else:
        condition += " AND a.side <> 'offline'"
    window = dt.timedelta(hours=float(params.get("window_h", 24)))
    rows = ctx.rows(
        f"""
        SELECT a.enterprise_id, COUNT(*) FROM monitoring_alarm a {_joins(point_condition, alarms=True)}
         WHERE a.enterprise_id = ANY(%(ids)s) AND NOT a.shelved
           AND a.started_at >= %(start)s AND a.started_at < %(at)s {condition}
         GROUP BY a.enterprise_id
        """,
        {**args, "start": ctx.at - window},
    )
    return _with_zeros(ctx, params, dict(rows))


def unhandled_alarms(ctx: Context, params: dict) -> dict:
    """Alarms of the window with no handling feedback (未处置报警)."""
    window = dt.timedelta(hours=float(params.get("window_h", 24)))
    rows = ctx.rows(
        """
        SELECT a.enterprise_id, COUNT(*) FROM monitoring_alarm a
         WHERE a.enterprise_id = ANY(%(ids)s) AND NOT a.shelved AND a.handled_at IS NULL
           AND a.side <> 'offline' AND a.started_at >= %(start)s AND a.started_at < %(at)s
         GROUP BY a.enterprise_id
        """,
        {"start": ctx.at - window},
    )
    return _with_zeros(ctx, {}, dict(rows))


def long_uncleared(ctx: Context, params: dict) -> dict:
    """Active alarms older than ANQUAN_ALARM_LONG_UNCLEARED_HOURS (长时间未消警)."""
    hours = float(params.get("hours", settings.ANQUAN_ALARM_LONG_UNCLEARED_HOURS))
    rows = ctx.rows(
        """
        SELECT a.enterprise_id, COUNT(*) FROM monitoring_alarm a
         WHERE a.enterprise_id = ANY(%(ids)s) AND a.is_active AND NOT a.shelved AND a.side <> 'offline'
           AND a.started_at < %(limit)s
         GROUP BY a.enterprise_id
        """,
        {"limit": ctx.at - dt.timedelta(hours=hours)},
    )
    return _with_zeros(ctx, {}, dict(rows))


def offline_share(ctx: Context, params: dict) -> dict:
    """Per cent of the points in use that are offline (离线率), never-reporting points included."""
    condition, args = _point_filter(params)
    rows = ctx.rows(
        f"""
        SELECT p.enterprise_id, 100.0 * COUNT(*) FILTER (WHERE s.online IS NOT TRUE) / COUNT(*)
          FROM monitoring_monitoringpoint p {_joins(condition)}
          LEFT JOIN monitoring_pointstate s ON s.point_id = p.id
         WHERE p.enterprise_id = ANY(%(ids)s) AND p.in_use AND NOT p.deleted {condition}
         GROUP BY p.enterprise_id
        """,
        args,
    )
    return {e: round(v, 2) for e, v in rows}


# --- registry, hazards, facilities ------------------------------------------------------------------


def hazard_max_level(ctx: Context, params: dict) -> dict:
    """Highest major-hazard-source level (GB 18218: 1 is the highest); 0 for an enterprise without one."""
    rows = ctx.rows(
        """
        SELECT h.enterprise_id, MIN(h.level) FROM hazards_hazardsource h
         WHERE h.enterprise_id = ANY(%(ids)s) AND NOT h.deleted AND h.is_major AND h.level IS NOT NULL
         GROUP BY h.enterprise_id
        """,
        {},
    )
    found = dict(rows)
    return {e: found.get(e, 0) for e in ctx.ids}


def hazard_unfiled(ctx: Context, params: dict) -> dict:
    """Major hazard sources not filed (未备案重大危险源)."""
    rows = ctx.rows(
        """
        SELECT h.enterprise_id, COUNT(*) FILTER (WHERE h.filing_status <> 'filed') FROM hazards_hazardsource h
         WHERE h.enterprise_id = ANY(%(ids)s) AND NOT h.deleted AND h.is_major
         GROUP BY h.enterprise_id
        """,
        {},
    )
    found = dict(rows)
    return {e: found.get(e, 0) for e in ctx.ids}


def unregistered(ctx: Context, params: dict) -> dict:
    """1 when the enterprise has no code of the national hazardous-chemicals registration (危化品登记)."""
    rows = ctx.rows(
        "SELECT organisation_id, (registration_code = '')::int FROM enterprises_enterprise"
        " WHERE organisation_id = ANY(%(ids)s)",
        {},
    )
    return dict(rows)


def overdue_rope_inspections(ctx: Context, params: dict) -> dict:
    """Wire ropes whose next inspection is past due (钢丝绳检查逾期), for enterprises with ropes."""
    rows = ctx.rows(
        """
        SELECT f.enterprise_id, COUNT(*) FILTER (WHERE last.next_due_on < %(today)s)
          FROM facilities_facility f
          JOIN facilities_facilitykind fk ON fk.id = f.kind_id AND fk.code = 'wire_rope'
          LEFT JOIN LATERAL (SELECT r.next_due_on FROM facilities_wireroperecord r WHERE r.facility_id = f.id
                              ORDER BY r.performed_on DESC, r.id DESC LIMIT 1) last ON true
         WHERE f.enterprise_id = ANY(%(ids)s) AND NOT f.deleted AND f.status = 'in_service'
         GROUP BY f.enterprise_id
        """,
        {"today": ctx.day},
    )
    return dict(rows)


# --- this app's own records -----------------------------------------------------------------------


def guide_deduction(ctx: Context, params: dict) -> dict:
    """Points deducted by the latest inherent-risk assessment (100 − 评估诊断分级 score)."""
    return {e: round(100 - score, 2) for e, (score, _vetoes) in _latest_static(ctx).items()}


def guide_veto(ctx: Context, params: dict) -> dict:
    """1 when the latest inherent-risk assessment found a one-vote-red condition (一票否决)."""
    return {e: 1 if vetoes else 0 for e, (_score, vetoes) in _latest_static(ctx).items()}


def _latest_static(ctx: Context) -> dict:
    def compute():
        rows = ctx.rows(
            """
            SELECT DISTINCT ON (enterprise_id) enterprise_id, score, jsonb_array_length(vetoes)
              FROM risk_staticassessment WHERE enterprise_id = ANY(%(ids)s) AND assessed_on <= %(day)s
             ORDER BY enterprise_id, assessed_on DESC, id DESC
            """,
            {},
        )
        return {e: (score, vetoes) for e, score, vetoes in rows}

    return ctx.cached("static", compute)


def record_value(ctx: Context, params: dict) -> dict:
    """The latest value reported for a management indicator (管理指标填报) within its validity."""
    valid = dt.timedelta(days=int(params.get("valid_days", 400)))
    rows = ctx.rows(
        """
        SELECT DISTINCT ON (enterprise_id) enterprise_id, value FROM risk_indicatorrecord
         WHERE enterprise_id = ANY(%(ids)s) AND indicator = %(indicator)s
           AND period <= %(day)s AND period > %(since)s
         ORDER BY enterprise_id, period DESC, id DESC
        """,
        {"indicator": params.get("indicator", ""), "since": ctx.day - valid},
    )
    return dict(rows)


def incident_count(ctx: Context, params: dict) -> dict:
    """Incidents recorded by regulators in the window (事故事件, default: accidents of the last year);
    every enterprise has a figure: none recorded is zero, since regulators record them all."""
    kinds = list(params.get("kinds") or ["accident"])
    rows = ctx.rows(
        """
        SELECT enterprise_id, COUNT(*) FROM risk_incident
         WHERE enterprise_id = ANY(%(ids)s) AND kind = ANY(%(kinds)s)
           AND occurred_on > %(since)s AND occurred_on <= %(day)s
         GROUP BY enterprise_id
        """,
        {"kinds": kinds, "since": ctx.day - dt.timedelta(days=int(params.get("window_days", 365)))},
    )
    found = dict(rows)
    return {e: found.get(e, 0) for e in ctx.ids}


def register_builtin_sources() -> None:
    w = _("window in hours (default 24)")
    filters = {"kinds": _("measurement kind codes"), "facility_kinds": _("facility kind codes")}
    register_source(
        "monitoring.alarm_hours",
        _("Alarm hours weighted by level"),
        unit="h",
        provider=alarm_hours,
        params={"window_h": w, "weights": _("weight per alarm level"), **filters},
    )
    register_source(
        "monitoring.alarm_count",
        _("Alarms raised"),
        unit=_("alarms"),
        provider=alarm_count,
        params={"window_h": w, "sides": _("alarm sides (high, low, state, offline)"), **filters},
    )
    register_source(
        "monitoring.unhandled_alarms",
        _("Alarms without handling feedback"),
        unit=_("alarms"),
        provider=unhandled_alarms,
        params={"window_h": w},
    )
    register_source(
        "monitoring.long_uncleared",
        _("Alarms uncleared for a long time"),
        unit=_("alarms"),
        provider=long_uncleared,
        params={"hours": _("active longer than (hours)")},
    )
    register_source(
        "monitoring.offline_share", _("Share of points offline"), unit="%", provider=offline_share, params=filters
    )
    register_source("hazards.max_level", _("Highest major-hazard-source level"), provider=hazard_max_level)
    register_source("hazards.unfiled", _("Major hazard sources not filed"), unit=_("sources"), provider=hazard_unfiled)
    register_source("enterprises.unregistered", _("No hazardous-chemicals registration"), provider=unregistered)
    register_source(
        "facilities.overdue_rope_inspections",
        _("Wire-rope inspections overdue"),
        unit=_("ropes"),
        provider=overdue_rope_inspections,
    )
    register_source("static.guide_deduction", _("Inherent-risk assessment: points deducted"), provider=guide_deduction)
    register_source("static.veto", _("Inherent-risk assessment: one-vote-red condition"), provider=guide_veto)
    register_source(
        "incidents.count",
        _("Incidents recorded"),
        unit=_("incidents"),
        provider=incident_count,
        params={"kinds": _("accident, near_miss, violation"), "window_days": _("window in days (default 365)")},
    )
    register_source(
        "records.value",
        _("Reported management indicator"),
        provider=record_value,
        params={"indicator": _("indicator code"), "valid_days": _("valid for (days)")},
    )
    # Data of apps still to come: named now, "no data" until their app registers a provider.
    for code, name in (
        ("commitment.missing", _("Daily safety commitment missing or late")),
        ("special_work.high_risk", _("Special works in progress (special/first-class hot work)")),
        ("special_work.confined_space", _("Confined-space works in progress")),
        ("positioning.alarms", _("Personnel-positioning alarms")),
        ("positioning.overtime", _("Personnel over time underground")),
        ("positioning.overcrowding", _("Over-crowding")),
        ("video.alarms", _("Video AI alarms")),
        ("hidden_danger.overdue", _("Hidden dangers overdue for rectification")),
        ("operations.startup_shutdown", _("Start-up, shut-down or trial production")),
        ("dust.cleaning_missed", _("Dust-cleaning check-ins missed")),
        ("gas_station.unloading_violations", _("Unloading-rule violations")),
    ):
        register_source(code, name)

"""Situation warnings (态势预警) for regulators: weekly, monthly and quarterly indicators computed from
stored alarms, daily risks (``RiskDay``) and online transitions, each compared with the previous period
and with the mean of the four periods before it (RSK-31..34), and the daily regional risk index with
its parent region and child regions for comparison (区域风险指数, RSK-35).

Every function takes the caller and reads through ``for_user``, so the jurisdiction applies. Each is a
fixed number of aggregate queries over all enterprises at once: five periods are bucketed with one
``CASE`` in the query, never a query per enterprise, region or period.

Definitions (docs/api.md "Situation indicators"):

- **Periods** are Beijing calendar periods: ISO weeks (Monday–Sunday), calendar months and calendar
  quarters. The default is the last complete period; ``at`` picks the period containing that day.
- **Alarms** are monitoring alarms that *started* in the period, leaving out alarms raised in a
  maintenance window (``shelved``) and offline alarms (equipment availability is the equipment
  situation's business).
- **High-risk enterprises** (高危企业) of a period are those whose ``RiskDay.worst_level`` was red or
  orange (≤ ``HIGH_RISK_MAX_LEVEL``) on any day of that period: alarms are tagged with the period's
  status of their enterprise, not today's.
- **Comparison** of an indicator: ``previous`` is the period before; ``baseline`` the mean of the
  ``BASELINE_PERIODS`` periods before the current one (periods without data count as zero; ratios
  with no denominator are left out of the mean); ``change`` = value / previous − 1; ``trend`` is
  ``rising`` / ``falling`` beyond ±``TREND_BAND`` and ``stable`` within; ``ratio`` = value / baseline
  grades the warning: ≥ ``WARNING_THRESHOLDS`` red 2.0×, orange 1.5×, yellow 1.2×, else none. A value
  above zero against a zero baseline (something new) is graded ``EMERGING_GRADE``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import (
    Avg,
    BooleanField,
    Case,
    Count,
    DateField,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.core.exceptions import InvalidInput
from apps.enterprises.models import Industry
from apps.monitoring.models import Alarm, MonitoringPoint, OnlineTransition
from apps.monitoring.statistics import (
    Grouping,
    _default_region,
    _region_in_scope,
    beijing_midnight,
    beijing_today,
    check_range,
)
from apps.regions.models import Region

from .models import RiskDay

# --- configuration ----------------------------------------------------------------------------------------------------

PERIOD_KINDS = ("week", "month", "quarter")
DEFAULT_PERIOD = "month"
BASELINE_PERIODS = 4  # the baseline is the mean of this many periods before the current one
# Warning grade by value / baseline (first reached wins). ``settings.ANQUAN_SITUATION_THRESHOLDS`` (same
# keys) overrides them for a deployment; a call may pass its own.
WARNING_THRESHOLDS = {"red": 2.0, "orange": 1.5, "yellow": 1.2}
GRADES = ("red", "orange", "yellow")
NO_WARNING = "none"
EMERGING_GRADE = "yellow"  # a value above zero where the baseline is zero
TREND_BAND = 0.10  # |value / previous − 1| within this is "stable"
HIGH_RISK_MAX_LEVEL = 2  # worst level red (1) or orange (2) on a day makes the enterprise high-risk that period
FREQUENT_ALARMS = 10  # a point with at least this many alarms in a period alarms frequently (频繁报警)
# Equipment situation index (设备本质安全态势指数, 0–100, higher is worse) =
#   100 × (0.5 × offline share at the period end
#          + 0.25 × min(1, offline transitions per point in the period)
#          + 0.25 × share of points alarming frequently);
# intrinsic safety (本质安全指数) = 100 − index.
EQUIPMENT_WEIGHTS = {"offline_share": 0.5, "offline_transitions": 0.25, "frequent_share": 0.25}
RISK_INDEX_DEFAULT_DAYS = 30
CHINA = ZoneInfo("Asia/Shanghai")

INDICATOR_NAMES = {
    "high_risk_enterprises": gettext_lazy("High-risk enterprises"),
    "alarms": gettext_lazy("Alarms"),
    "alarms_per_enterprise": gettext_lazy("Alarms per enterprise"),
    "monitored_enterprises": gettext_lazy("Monitored enterprises"),
    "points": gettext_lazy("Points in use"),
    "offline_share": gettext_lazy("Share offline at the period end"),
    "offline_transitions_per_100": gettext_lazy("Offline transitions per 100 points"),
    "frequent_alarm_points": gettext_lazy("Points alarming frequently"),
    "equipment_index": gettext_lazy("Equipment situation index"),
}


def thresholds() -> dict:
    return {**WARNING_THRESHOLDS, **getattr(settings, "ANQUAN_SITUATION_THRESHOLDS", {})}


# --- periods ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A Beijing calendar period: ``start`` inclusive, ``end`` exclusive (both dates)."""

    kind: str
    start: dt.date
    end: dt.date

    @classmethod
    def containing(cls, kind: str, day: dt.date) -> Period:
        if kind == "week":
            start = day - dt.timedelta(days=day.weekday())
            return cls(kind, start, start + dt.timedelta(days=7))
        first_month = day.month if kind == "month" else 3 * ((day.month - 1) // 3) + 1
        start = day.replace(month=first_month, day=1)
        months = 1 if kind == "month" else 3
        year, month = divmod(start.month - 1 + months, 12)
        return cls(kind, start, dt.date(start.year + year, month + 1, 1))

    def previous(self) -> Period:
        return Period.containing(self.kind, self.start - dt.timedelta(days=1))

    @property
    def label(self) -> str:
        if self.kind == "week":
            year, week, _day = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        if self.kind == "month":
            return f"{self.start:%Y-%m}"
        return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"

    @property
    def since(self) -> dt.datetime:
        return beijing_midnight(self.start)

    @property
    def until(self) -> dt.datetime:
        return beijing_midnight(self.end)

    def as_dict(self, today: dt.date | None = None) -> dict:
        row = {
            "label": self.label,
            "start": self.start.isoformat(),
            "end": (self.end - dt.timedelta(days=1)).isoformat(),
        }
        if today is not None:
            row["complete"] = self.end <= today
        return row


def periods_for(kind: str, at: dt.date | None = None, today: dt.date | None = None) -> list[Period]:
    """The period asked for and the ``BASELINE_PERIODS`` before it, newest first."""
    if kind not in PERIOD_KINDS:
        raise InvalidInput(_("period must be one of: %(values)s") % {"values": ", ".join(PERIOD_KINDS)}, field="period")
    today = today or beijing_today()
    if at is not None and at > today:
        raise InvalidInput(_("The date must not be in the future."), field="at")
    current = Period.containing(kind, at) if at is not None else Period.containing(kind, today).previous()
    periods = [current]
    for _n in range(BASELINE_PERIODS):
        periods.append(periods[-1].previous())
    return periods


def _bucket(field: str, periods: list[Period], *, dates: bool = False, then=None, output_field=None):
    """CASE mapping ``field`` to the index of its period (0 = current), or to ``then(period)``."""
    whens = []
    for index, period in enumerate(periods):
        low, high = (period.start, period.end) if dates else (period.since, period.until)
        value = Value(index) if then is None else Value(then(period))
        whens.append(When(**{f"{field}__gte": low, f"{field}__lt": high}, then=value))
    return Case(*whens, output_field=output_field or IntegerField())


def _window(field: str, periods: list[Period], *, dates: bool = False) -> Q:
    if dates:
        return Q(**{f"{field}__gte": periods[-1].start, f"{field}__lt": periods[0].end})
    return Q(**{f"{field}__gte": periods[-1].since, f"{field}__lt": periods[0].until})


# --- comparison -------------------------------------------------------------------------------------------------------


def _round(value, digits=4):
    return None if value is None else round(value, digits)


def grade_of(value, baseline, limits: dict | None = None) -> str:
    """Warning grade of ``value`` against ``baseline`` (see the module docstring)."""
    if value is None or baseline is None:
        return NO_WARNING
    if baseline == 0:
        return EMERGING_GRADE if value > 0 else NO_WARNING
    limits = limits or thresholds()
    ratio = value / baseline
    for grade in GRADES:
        if ratio >= limits[grade] - 1e-9:
            return grade
    return NO_WARNING


def trend_of(value, previous) -> str | None:
    if value is None or previous is None:
        return None
    if previous == 0:
        return "rising" if value > 0 else "stable"
    change = value / previous - 1
    return "rising" if change > TREND_BAND else "falling" if change < -TREND_BAND else "stable"


def compare(series: list, *, digits: int = 4, limits: dict | None = None) -> dict:
    """An indicator from its values per period (newest first): value, previous, change, trend, baseline
    (mean of the periods before the current one), ratio, grade, warning, and ``series`` oldest first."""
    value, previous = series[0], series[1]
    history = [v for v in series[1 : 1 + BASELINE_PERIODS] if v is not None]
    baseline = sum(history) / len(history) if history else None
    grade = grade_of(value, baseline, limits)
    return {
        "value": _round(value, digits),
        "previous": _round(previous, digits),
        "change": _round(value / previous - 1) if value is not None and previous else None,
        "trend": trend_of(value, previous),
        "baseline": _round(baseline, digits),
        "ratio": _round(value / baseline) if value is not None and baseline else None,
        "grade": grade,
        "warning": grade != NO_WARNING,
        "series": [_round(v, digits) for v in reversed(series)],
    }


def _ratio(numerators: list, denominators: list, scale: float = 1.0) -> list:
    return [n * scale / d if d else None for n, d in zip(numerators, denominators, strict=True)]


def _row(key, name, indicators: dict, headline: str, **extra) -> dict:
    return {
        "key": key,
        "name": name,
        **extra,
        "indicators": indicators,
        "grade": indicators[headline]["grade"],
        "warning": indicators[headline]["warning"],
    }


def _zeros() -> list:
    return [0] * (BASELINE_PERIODS + 1)


def _code(grouping: Grouping) -> str | None:
    return grouping.within.code if grouping.within else None


def _labels(grouping: Grouping, keys) -> list[tuple]:
    labels = grouping.labels(keys)
    if not labels and grouping.by == "region" and grouping.within is not None:
        labels = [(grouping.within.code, grouping.within.name)]  # a county without parks: the county itself
    return labels


def _answer(kind: str, periods: list[Period], region: str | None, headline: str, rows, total, today, **extra) -> dict:
    return {
        "indicator": kind,
        "period": periods[0].kind,
        "current": periods[0].as_dict(today),
        "previous": periods[1].as_dict(today),
        "periods": [p.as_dict(today) for p in reversed(periods)],
        "region": region,
        **extra,
        "headline": headline,
        "thresholds": {**thresholds(), "trend_band": TREND_BAND, "baseline_periods": BASELINE_PERIODS},
        "rows": rows,
        "total": total,
    }


# --- shared reads -----------------------------------------------------------------------------------------------------


def _industry_filter(industry: str | None) -> Q:
    if not industry:
        return Q()
    if not Industry.objects.filter(code=industry).exists():
        raise InvalidInput(_("Unknown industry: %(code)s") % {"code": industry}, field="industry")
    return Q(enterprise__industries__code=industry)


def _alarms(user, grouping: Grouping, periods: list[Period], industry: Q):
    """Alarms counted by the situation indicators, started within the periods, in scope."""
    return (
        grouping.restrict(Alarm.objects.for_user(user))
        .filter(_window("started_at", periods), industry, shelved=False, enterprise__deleted=False)
        .exclude(side="offline")
        .order_by()
    )


def _per_period(queryset, grouping: Grouping, to_enterprise: str, bucket, count) -> dict:
    """{group key: [count per period, newest first]} in one grouped query."""
    found: dict = defaultdict(_zeros)
    rows = queryset.annotate(k=grouping.key(to_enterprise), p=bucket).values("k", "p").annotate(n=count)
    for row in rows:
        found[grouping.normalise(row["k"])][row["p"]] += row["n"]
    return found


def _high_risk_counts(user, grouping: Grouping, periods: list[Period], industry: Q) -> dict:
    """High-risk enterprises per group and period: red or orange on any day of the period."""
    days = grouping.restrict(RiskDay.objects.for_user(user)).filter(
        _window("day", periods, dates=True),
        industry,
        worst_level__lte=HIGH_RISK_MAX_LEVEL,
        enterprise__deleted=False,
    )
    return _per_period(
        days.order_by(), grouping, "enterprise", _bucket("day", periods, dates=True), Count("enterprise", distinct=True)
    )


def _high_risk_alarm_counts(user, grouping: Grouping, periods: list[Period], industry: Q) -> dict:
    """Alarms of enterprises that were high-risk in the period the alarm started in (the tagging)."""
    alarms = _alarms(user, grouping, periods, industry).annotate(
        p_start=_bucket("started_at", periods, then=lambda p: p.start, output_field=DateField()),
        p_end=_bucket("started_at", periods, then=lambda p: p.end, output_field=DateField()),
    )
    high_risk = RiskDay.objects.for_user(user).filter(
        enterprise=OuterRef("enterprise"),
        worst_level__lte=HIGH_RISK_MAX_LEVEL,
        day__gte=OuterRef("p_start"),
        day__lt=OuterRef("p_end"),
    )
    return _per_period(
        alarms.filter(Exists(high_risk)),
        grouping,
        "enterprise",
        _bucket("started_at", periods),
        Count("pk", distinct=True),
    )


def _sum(series_by_key: dict) -> list:
    total = _zeros()
    for series in series_by_key.values():
        total = [a + b for a, b in zip(total, series, strict=True)]
    return total


# --- RSK-31: regional situation ---------------------------------------------------------------------------------------


def _region_indicators(high: list, alarms: list) -> dict:
    return {
        "alarms_per_enterprise": compare(_ratio(alarms, high), digits=2),
        "high_risk_enterprises": compare(high),
        "alarms": compare(alarms),
    }


def region_situation(
    user, *, period: str = DEFAULT_PERIOD, at: dt.date | None = None, region: str | None = None, industry=None
) -> dict:
    """Regional situation warning (地区态势预警, RSK-31): per child region of the jurisdiction (or of
    ``region``), the high-risk enterprises of the period and their alarms per enterprise (headline),
    each compared with the previous period and the 4-period mean."""
    today = beijing_today()
    periods = periods_for(period, at, today)
    grouping = Grouping.of(user, "region", region)
    industry_q = _industry_filter(industry)
    high = _high_risk_counts(user, grouping, periods, industry_q)
    alarms = _high_risk_alarm_counts(user, grouping, periods, industry_q)
    rows = [
        _row(key, name, _region_indicators(high.get(key, _zeros()), alarms.get(key, _zeros())), "alarms_per_enterprise")
        for key, name in _labels(grouping, set(high) | set(alarms))
    ]
    total = _row(None, _("Total"), _region_indicators(_sum(high), _sum(alarms)), "alarms_per_enterprise")
    return _answer("region", periods, _code(grouping), "alarms_per_enterprise", rows, total, today, industry=industry)


# --- RSK-32: industry situation ---------------------------------------------------------------------------------------


def _monitored(user, grouping: Grouping, periods: list[Period]) -> dict:
    """Monitored enterprises (points in use, registered before the period's end) per group and period."""
    points = grouping.restrict(MonitoringPoint.objects.for_user(user).in_use()).filter(
        enterprise__deleted=False, created_at__lt=periods[0].until
    )
    metrics = {
        f"n{i}": Count("enterprise", distinct=True, filter=Q(created_at__lt=p.until)) for i, p in enumerate(periods)
    }
    rows = points.order_by().annotate(k=grouping.key("enterprise")).values("k").annotate(**metrics)
    return {grouping.normalise(r["k"]): [r[f"n{i}"] for i in range(len(periods))] for r in rows}


def _industry_indicators(monitored: list, alarms: list) -> dict:
    return {
        "alarms_per_enterprise": compare(_ratio(alarms, monitored), digits=2),
        "monitored_enterprises": compare(monitored),
        "alarms": compare(alarms),
    }


def industry_situation(
    user, *, period: str = DEFAULT_PERIOD, at: dt.date | None = None, region: str | None = None
) -> dict:
    """Industry situation warning (行业态势预警, RSK-32): per industry, alarms per monitored enterprise
    (an enterprise with points in use) in the period. An enterprise of two industries counts in both;
    the total counts it once."""
    today = beijing_today()
    periods = periods_for(period, at, today)
    grouping = Grouping.of(user, "industry", region)
    bucket, count = _bucket("started_at", periods), Count("pk", distinct=True)
    monitored = _monitored(user, grouping, periods)
    alarms = _per_period(_alarms(user, grouping, periods, Q()), grouping, "enterprise", bucket, count)
    rows = [
        _row(
            key,
            name,
            _industry_indicators(monitored.get(key, _zeros()), alarms.get(key, _zeros())),
            "alarms_per_enterprise",
        )
        for key, name in grouping.labels(set(monitored) | set(alarms))
    ]
    overall = Grouping(None, grouping.within)
    total_monitored = _monitored(user, overall, periods).get("", _zeros())
    total_alarms = _per_period(_alarms(user, overall, periods, Q()), overall, "enterprise", bucket, count).get(
        "", _zeros()
    )
    total = _row(None, _("Total"), _industry_indicators(total_monitored, total_alarms), "alarms_per_enterprise")
    return _answer("industry", periods, _code(grouping), "alarms_per_enterprise", rows, total, today)


# --- RSK-33: alarm frequency ------------------------------------------------------------------------------------------


def alarm_frequency(
    user,
    *,
    period: str = DEFAULT_PERIOD,
    at: dt.date | None = None,
    region: str | None = None,
    industry: str | None = None,
    enterprise: int | None = None,
) -> dict:
    """Alarm-frequency situation (报警态势预警, RSK-33): per child region, the alarms of its high-risk
    enterprises per period; with ``enterprise``, per monitored object (point) of that enterprise its
    alarms this period against the previous ones, so the objects can be compared."""
    if enterprise is not None:
        return _enterprise_alarm_frequency(user, enterprise, period=period, at=at)
    today = beijing_today()
    periods = periods_for(period, at, today)
    grouping = Grouping.of(user, "region", region)
    industry_q = _industry_filter(industry)
    high = _high_risk_counts(user, grouping, periods, industry_q)
    alarms = _high_risk_alarm_counts(user, grouping, periods, industry_q)

    def indicators(h, a):
        return {"alarms": compare(a), "high_risk_enterprises": compare(h)}

    rows = [
        _row(key, name, indicators(high.get(key, _zeros()), alarms.get(key, _zeros())), "alarms")
        for key, name in _labels(grouping, set(high) | set(alarms))
    ]
    total = _row(None, _("Total"), indicators(_sum(high), _sum(alarms)), "alarms")
    return _answer("alarm_frequency", periods, _code(grouping), "alarms", rows, total, today, industry=industry)


def _enterprise_alarm_frequency(user, enterprise_id, *, period: str, at: dt.date | None) -> dict:
    from apps.enterprises.models import Enterprise

    today = beijing_today()
    periods = periods_for(period, at, today)
    try:
        found = (
            Enterprise.objects.for_user(user)
            .active()
            .filter(pk=int(enterprise_id))
            .values("pk", "organisation__name", "organisation__region__code")
            .first()
        )
    except (TypeError, ValueError):
        found = None
    if found is None:  # unknown and out of scope answer alike
        raise InvalidInput(_("Unknown enterprise."), field="enterprise")
    points = list(
        MonitoringPoint.objects.for_user(user)
        .active()
        .filter(enterprise_id=found["pk"])
        .order_by("code")
        .values("pk", "code", "name", "in_use", "kind__code", "kind__name", "facility__name")
    )
    counts: dict = defaultdict(_zeros)
    alarms = (
        Alarm.objects.for_user(user)
        .filter(_window("started_at", periods), enterprise_id=found["pk"], shelved=False)
        .exclude(side="offline")
        .order_by()
        .annotate(p=_bucket("started_at", periods))
        .values("point_id", "p")
        .annotate(n=Count("pk"))
    )
    for row in alarms:
        counts[row["point_id"]][row["p"]] += row["n"]
    rows = [
        _row(
            p["pk"],
            p["name"],
            {"alarms": compare(counts.get(p["pk"], _zeros()))},
            "alarms",
            code=p["code"],
            kind=p["kind__code"],
            kind_name=p["kind__name"],
            facility=p["facility__name"],
            in_use=p["in_use"],
        )
        for p in points
    ]
    rows.sort(key=lambda r: (-(r["indicators"]["alarms"]["value"] or 0), r["code"]))
    total = _row(None, _("Total"), {"alarms": compare(_sum(counts))}, "alarms")
    return _answer(
        "alarm_frequency",
        periods,
        found["organisation__region__code"],
        "alarms",
        rows,
        total,
        today,
        enterprise={"id": found["pk"], "name": found["organisation__name"]},
    )


# --- RSK-34: equipment situation --------------------------------------------------------------------------------------


def _point_counts(user, grouping: Grouping, periods: list[Period], industry: Q, now) -> tuple[dict, dict]:
    """Points in use per group and period (registered before the period's end), and of those the ones
    offline at the end: their last point transition before it says offline, or there is none (never
    reported). One query; each period's status is an index probe per point."""
    ends = [min(p.until, now) for p in periods]
    points = grouping.restrict(MonitoringPoint.objects.for_user(user).in_use()).filter(
        industry, enterprise__deleted=False, created_at__lt=ends[0]
    )
    status = {
        f"online{i}": Coalesce(
            Subquery(
                OnlineTransition.objects.filter(subject="point", subject_id=OuterRef("pk"), ts__lt=end)
                .order_by("-ts", "-id")
                .values("online")[:1],
                output_field=BooleanField(),
            ),
            Value(False),
        )
        for i, end in enumerate(ends)
    }
    metrics = {}
    for i, end in enumerate(ends):
        metrics[f"points{i}"] = Count("pk", filter=Q(created_at__lt=end))
        metrics[f"offline{i}"] = Count("pk", filter=Q(created_at__lt=end, **{f"online{i}": False}))
    rows = points.order_by().alias(**status).annotate(k=grouping.key("enterprise")).values("k").annotate(**metrics)
    totals, offline = {}, {}
    for row in rows:
        key = grouping.normalise(row["k"])
        totals[key] = [row[f"points{i}"] for i in range(len(periods))]
        offline[key] = [row[f"offline{i}"] for i in range(len(periods))]
    return totals, offline


def _offline_transitions(user, grouping: Grouping, periods: list[Period], industry: Q) -> dict:
    transitions = grouping.restrict(OnlineTransition.objects.for_user(user)).filter(
        _window("ts", periods),
        industry,
        subject=OnlineTransition.Subject.POINT,
        online=False,
        subject_id__in=MonitoringPoint.objects.in_use().values("pk"),
    )
    return _per_period(transitions.order_by(), grouping, "enterprise", _bucket("ts", periods), Count("pk"))


def _frequent_points(user, grouping: Grouping, periods: list[Period], industry: Q) -> dict:
    """Points with at least FREQUENT_ALARMS alarms in a period, per group and period: the database
    returns only those points (HAVING), they are counted here."""
    rows = (
        _alarms(user, grouping, periods, industry)
        .annotate(k=grouping.key("enterprise"), p=_bucket("started_at", periods))
        .values("k", "p", "point_id")
        .annotate(n=Count("pk"))
        .filter(n__gte=FREQUENT_ALARMS)
    )
    found: dict = defaultdict(_zeros)
    for row in rows:
        found[grouping.normalise(row["k"])][row["p"]] += 1
    return found


def _equipment_index(offline_share, transitions_per_point, frequent_share):
    if offline_share is None:
        return None
    w = EQUIPMENT_WEIGHTS
    return 100 * (
        w["offline_share"] * offline_share
        + w["offline_transitions"] * min(1.0, transitions_per_point)
        + w["frequent_share"] * frequent_share
    )


def _equipment_indicators(points: list, offline: list, transitions: list, frequent: list) -> tuple[dict, dict]:
    offline_share = _ratio(offline, points)
    per_point = _ratio(transitions, points)
    frequent_share = _ratio(frequent, points)
    index = [_equipment_index(o, t, f) for o, t, f in zip(offline_share, per_point, frequent_share, strict=True)]
    indicators = {
        "equipment_index": compare(index, digits=2),
        "points": compare(points),
        "offline_share": compare(offline_share),
        "offline_transitions_per_100": compare(_ratio(transitions, points, 100), digits=2),
        "frequent_alarm_points": compare(frequent),
    }
    return indicators, {"intrinsic_safety": _round(100 - index[0], 2) if index[0] is not None else None}


def equipment_situation(
    user, *, period: str = DEFAULT_PERIOD, at: dt.date | None = None, region: str | None = None, industry=None
) -> dict:
    """Equipment situation warning (设备态势预警, RSK-34): per child region, the points in use, the share
    offline at the period end, offline transitions per 100 points and points alarming frequently, and
    the equipment situation index combining them (headline; see EQUIPMENT_WEIGHTS)."""
    today = beijing_today()
    periods = periods_for(period, at, today)
    grouping = Grouping.of(user, "region", region)
    industry_q = _industry_filter(industry)
    points, offline = _point_counts(user, grouping, periods, industry_q, timezone.now())
    transitions = _offline_transitions(user, grouping, periods, industry_q)
    frequent = _frequent_points(user, grouping, periods, industry_q)
    rows = []
    keys = set(points) | set(transitions) | set(frequent)
    for key, name in _labels(grouping, keys):
        indicators, extra = _equipment_indicators(
            points.get(key, _zeros()),
            offline.get(key, _zeros()),
            transitions.get(key, _zeros()),
            frequent.get(key, _zeros()),
        )
        rows.append(_row(key, name, indicators, "equipment_index", **extra))
    indicators, extra = _equipment_indicators(_sum(points), _sum(offline), _sum(transitions), _sum(frequent))
    total = _row(None, _("Total"), indicators, "equipment_index", **extra)
    return _answer(
        "equipment",
        periods,
        _code(grouping),
        "equipment_index",
        rows,
        total,
        today,
        industry=industry,
        weights=EQUIPMENT_WEIGHTS,
        frequent_alarms=FREQUENT_ALARMS,
    )


# --- RSK-35: regional risk index --------------------------------------------------------------------------------------


def _stats(values: list) -> dict:
    """Mean, minimum, maximum and least-squares slope per day of a daily series (gaps left out), with
    the trend the slope gives over the range relative to the mean (±TREND_BAND)."""
    known = [(x, v) for x, v in enumerate(values) if v is not None]
    if not known:
        return {"mean": None, "min": None, "max": None, "slope": None, "trend": None, "days": 0}
    ys = [v for _x, v in known]
    mean = sum(ys) / len(ys)
    slope = None
    if len(known) > 1:
        mx = sum(x for x, _v in known) / len(known)
        sxx = sum((x - mx) ** 2 for x, _v in known)
        slope = sum((x - mx) * (v - mean) for x, v in known) / sxx
    trend = None
    if slope is not None:
        drift = slope * (len(values) - 1)
        if mean == 0:
            trend = "rising" if drift > 0 else "stable"
        else:
            relative = drift / abs(mean)
            trend = "rising" if relative > TREND_BAND else "falling" if relative < -TREND_BAND else "stable"
    return {
        "mean": round(mean, 4),
        "min": round(min(ys), 4),
        "max": round(max(ys), 4),
        "slope": _round(slope, 6),
        "trend": trend,
        "days": len(ys),
    }


def _visible(user, region: Region | None) -> bool:
    if region is None:
        return False
    try:
        _region_in_scope(user, region.code)
    except InvalidInput:
        return False
    return True


def region_risk_index(
    user,
    *,
    region: str | None = None,
    industry: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> dict:
    """Regional risk index (区域风险指数, RSK-35): per Beijing day in [since, until], the mean of the
    highest risk scores (``RiskDay.max_score``) of the region's enterprises, how many were graded and
    their alarms; the same series for the parent region when it is in the caller's jurisdiction
    (comparative analysis, 对比分析), each child region's figures over the range (analogy, 类比分析),
    and mean, minimum, maximum and trend slope of each series (态势分析)."""
    until = until or beijing_today()
    since = since or until - dt.timedelta(days=RISK_INDEX_DEFAULT_DAYS - 1)
    check_range(since, until)
    target = _region_in_scope(user, region) if region else _default_region(user)
    industry_q = _industry_filter(industry)
    parent = target.parent if target is not None and target.parent_id else None
    parent = parent if _visible(user, parent) else None
    scope = parent or target
    own = Q(enterprise__organisation__region__path__startswith=target.path) if target else Q()

    days = RiskDay.objects.for_user(user).filter(
        industry_q, day__gte=since, day__lte=until, enterprise__deleted=False, max_score__isnull=False
    )
    alarms = (
        Alarm.objects.for_user(user)
        .filter(
            industry_q,
            started_at__gte=beijing_midnight(since),
            started_at__lt=beijing_midnight(until + dt.timedelta(days=1)),
            shelved=False,
            enterprise__deleted=False,
        )
        .exclude(side="offline")
    )
    if scope is not None:
        days, alarms = days.in_region(scope), alarms.in_region(scope)
    score_rows = {
        r["day"]: r
        for r in days.order_by()
        .values("day")
        .annotate(
            mean=Avg("max_score", filter=own),
            n=Count("enterprise", distinct=True, filter=own),
            parent_mean=Avg("max_score"),
            parent_n=Count("enterprise", distinct=True),
        )
    }
    alarm_rows = {
        r["d"]: r
        for r in alarms.order_by()
        .annotate(d=TruncDate("started_at", tzinfo=CHINA))
        .values("d")
        .annotate(n=Count("pk", distinct=True, filter=own), parent_n=Count("pk", distinct=True))
    }
    series = []
    for offset in range((until - since).days + 1):
        day = since + dt.timedelta(days=offset)
        s, a = score_rows.get(day, {}), alarm_rows.get(day, {})
        point = {
            "day": day.isoformat(),
            "mean_score": _round(s.get("mean"), 2),
            "enterprises": s.get("n", 0),
            "alarms": a.get("n", 0),
        }
        if parent is not None:
            point.update(
                parent_mean_score=_round(s.get("parent_mean"), 2),
                parent_enterprises=s.get("parent_n", 0),
                parent_alarms=a.get("parent_n", 0),
            )
            both = point["mean_score"] is not None and point["parent_mean_score"] is not None
            point["difference"] = _round(point["mean_score"] - point["parent_mean_score"], 2) if both else None
        series.append(point)

    summary = {"mean_score": _stats([p["mean_score"] for p in series]), "alarms": _stats([p["alarms"] for p in series])}
    if parent is not None:
        summary["parent_mean_score"] = _stats([p["parent_mean_score"] for p in series])
        summary["parent_alarms"] = _stats([p["parent_alarms"] for p in series])

    # analogy: the child regions side by side over the whole range
    grouping = Grouping("region", target)
    child_scores = {
        grouping.normalise(r["k"]): r
        for r in grouping.restrict(days)
        .order_by()
        .annotate(k=grouping.key("enterprise"))
        .values("k")
        .annotate(mean=Avg("max_score"), n=Count("enterprise", distinct=True))
    }
    child_alarms = {
        grouping.normalise(r["k"]): r["n"]
        for r in grouping.restrict(alarms)
        .order_by()
        .annotate(k=grouping.key("enterprise"))
        .values("k")
        .annotate(n=Count("pk", distinct=True))
    }
    children = [
        {
            "key": key,
            "name": name,
            "mean_score": _round(child_scores.get(key, {}).get("mean"), 2),
            "enterprises": child_scores.get(key, {}).get("n", 0),
            "alarms": child_alarms.get(key, 0),
        }
        for key, name in _labels(grouping, set(child_scores) | set(child_alarms))
    ]
    return {
        "region": {"code": target.code, "name": target.name} if target else None,
        "parent": {"code": parent.code, "name": parent.name} if parent else None,
        "industry": industry,
        "since": since.isoformat(),
        "until": until.isoformat(),
        "series": series,
        "summary": summary,
        "children": children,
    }

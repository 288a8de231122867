"""Monitoring statistics (统计): access and online status per region or industry, alarm counts,
daily online rates (在线率), and the history of one point for charts.

Reads only; every query starts from ``for_user`` so a caller sees its jurisdiction and nothing else.
Set-based: each statistic is a few aggregate queries whatever the number of regions or points.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.db.models import CharField, Count, Exists, F, OuterRef, Q, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.exceptions import InvalidInput
from apps.core.scoping import AccessScope
from apps.enterprises.models import Enterprise, Industry, OperatingStatus
from apps.enterprises.stats import SplitPart
from apps.regions.models import Region

from .models import Alarm, MonitoringPoint
from .storage import BEIJING, HOUR_ROLLUP, MINUTE_ROLLUP, readings_of, rollups_of

MAX_RANGE_DAYS = 400  # longest range a statistic or a history covers in one request
GROUPS = ("region", "industry")
ALARM_GROUPS = ("region", "industry", "enterprise", "point")
ALARM_ROWS_LIMIT = 1000  # rows of an alarm summary by enterprise or point (most alarms first)
SUBJECTS = ("enterprise", "gateway", "point")


def beijing_midnight(day: dt.date) -> dt.datetime:
    """Start of a Beijing day (decision 10: days are Beijing days)."""
    return dt.datetime.combine(day, dt.time(), BEIJING)


def beijing_today(now: dt.datetime | None = None) -> dt.date:
    return (now or timezone.now()).astimezone(BEIJING).date()


def check_range(since, until, *, field: str = "until") -> None:
    """A range runs forwards and spans at most MAX_RANGE_DAYS (dates or datetimes)."""
    if since > until:
        raise InvalidInput(_("The end of the range must not be before its start."), field=field)
    span = until - since
    if span > dt.timedelta(days=MAX_RANGE_DAYS):
        raise InvalidInput(_("A range covers at most %(days)s days.") % {"days": MAX_RANGE_DAYS}, field=field)


# Grouping -----------------------------------------------------------------------------------------------------------


def _region_in_scope(user, code: str) -> Region:
    scope = AccessScope.of(user)
    region = Region.objects.filter(code=code.strip()).first()
    visible = region is not None and (
        scope.kind == AccessScope.ALL
        or (scope.kind == AccessScope.REGION and region.path.startswith(scope.region_path))
        or (
            scope.kind == AccessScope.ORGANISATION
            and user.organisation is not None
            and user.organisation.region.path.startswith(region.path)
        )
    )
    if not visible:  # unknown and out of scope answer alike
        raise InvalidInput(_("Unknown region code: %(code)s") % {"code": code}, field="region")
    return region


def _default_region(user) -> Region | None:
    """The region whose children are the rows: a regulator's jurisdiction, an enterprise's county,
    the province for everyone else."""
    scope = AccessScope.of(user)
    if scope.kind == AccessScope.REGION:
        return Region.objects.filter(path=scope.region_path).first()
    if scope.kind == AccessScope.ORGANISATION and user.organisation is not None:
        region = user.organisation.region
        return region.parent or region
    return Region.objects.filter(parent=None).order_by("code").first()


@dataclass(frozen=True)
class Grouping:
    """How rows are formed: per child region of ``within``, per industry (an enterprise counts in each
    of its industries, decision 11), or one total (``by`` None); alarms may also be listed per
    enterprise or point (``alarm_summary``)."""

    by: str | None
    within: Region | None

    @classmethod
    def of(cls, user, by, region: str | None = None, *, allowed=GROUPS) -> Grouping:
        if by not in allowed:
            choices = ", ".join(a for a in allowed if a)
            raise InvalidInput(_("group_by must be one of: %(values)s") % {"values": choices}, field="group_by")
        return cls(by, _region_in_scope(user, region) if region else _default_region(user))

    @property
    def segment(self) -> int:
        # path "/370000/370100/370102/": the child of "/370000/" is split_part(path, '/', 3)
        return (self.within.path.count("/") + 1) if self.within else 2

    def restrict(self, queryset):
        return queryset.in_region(self.within) if self.within else queryset

    def key(self, to_enterprise: str = ""):
        """The group key of a row of a model that reaches its enterprise through ``to_enterprise``."""
        prefix = f"{to_enterprise}__" if to_enterprise else ""
        if self.by == "region":
            return SplitPart(F(f"{prefix}organisation__region__path"), Value("/"), Value(self.segment))
        if self.by == "industry":
            return F(f"{prefix}industries__code")
        return Value("", output_field=CharField())  # one group: the total

    def labels(self, keys) -> list[tuple]:
        """(key, name) of every row to show, in order: every child region or industry (zeros
        included), then keys found in the data but not listed (enterprises registered on the region
        itself, enterprises without an industry)."""
        if self.by == "region":
            children = Region.objects.filter(parent=self.within) if self.within else Region.objects.filter(parent=None)
            labels = [(r.code, r.name) for r in children.order_by("code")]
            listed = {k for k, _n in labels}
            extra = sorted(k for k in keys if k not in listed and k)
            if extra:
                names = dict(Region.objects.filter(code__in=extra).values_list("code", "name"))
                labels += [(k, names.get(k, k)) for k in extra]
            return labels
        if self.by == "industry":
            labels = list(Industry.objects.order_by("sort_order", "code").values_list("code", "name"))
            if None in keys:
                labels.append((None, _("Not given")))
            return labels
        return []

    def normalise(self, key):
        """Rows of enterprises registered on ``within`` itself carry the empty segment: name them."""
        if self.by == "region" and key == "" and self.within:
            return self.within.code
        return key


def _grouped(queryset, grouping: Grouping, to_enterprise: str, **metrics) -> dict:
    rows = queryset.order_by().annotate(group_key=grouping.key(to_enterprise)).values("group_key").annotate(**metrics)
    return {grouping.normalise(r.pop("group_key")): r for r in rows}


def _region_total(rows: list[dict], metrics) -> dict:
    return {m: sum(r[m] for r in rows) for m in metrics}


# Access summary (接入/在线/报警) ------------------------------------------------------------------------------------

ACCESS_METRICS = (
    "enterprises_connected",
    "enterprises_online",
    "points_connected",
    "points_online",
    "points_alarming",
    "alarms_raised_today",
    "alarms_cleared_today",
)


def access_summary(user, *, group_by: str = "region", region: str | None = None, now=None) -> dict:
    """Indicator access status per child region of the caller's jurisdiction (or of ``region``), or
    per industry (接入状态统计, MON-11).

    - enterprises_connected: enterprises whose monitoring has delivered data (an EnterpriseLink);
      enterprises_online: of those, online now;
    - points_connected: points in use that have reported (a PointState); points_online: online now;
      points_alarming: points in use with an active alarm other than offline;
    - alarms_raised_today / alarms_cleared_today: alarms started / cleared (消警) since Beijing midnight.

    Returns ``{"group_by", "region", "rows": [{"key", "name", *metrics}], "total": {...}}``; by
    industry an enterprise counts in each of its industries, so rows may sum to more than the total.
    """
    grouping = Grouping.of(user, group_by, region)
    midnight = beijing_midnight(beijing_today(now))
    enterprises = grouping.restrict(Enterprise.objects.for_user(user).active())
    enterprise_metrics = {
        "enterprises_connected": Count("pk", distinct=True, filter=Q(monitoring_link__isnull=False)),
        "enterprises_online": Count("pk", distinct=True, filter=Q(monitoring_link__online=True)),
    }
    points = grouping.restrict(MonitoringPoint.objects.for_user(user).in_use()).alias(
        alarming=Exists(Alarm.objects.filter(point=OuterRef("pk"), is_active=True).exclude(side="offline"))
    )
    point_metrics = {
        "points_connected": Count("pk", distinct=True, filter=Q(state__isnull=False)),
        "points_online": Count("pk", distinct=True, filter=Q(state__online=True)),
        "points_alarming": Count("pk", distinct=True, filter=Q(alarming=True)),
    }
    alarms = grouping.restrict(Alarm.objects.for_user(user)).filter(
        Q(started_at__gte=midnight) | Q(ended_at__gte=midnight)
    )
    alarm_metrics = {
        "alarms_raised_today": Count("pk", distinct=True, filter=Q(started_at__gte=midnight)),
        "alarms_cleared_today": Count("pk", distinct=True, filter=Q(ended_at__gte=midnight)),
    }
    parts = [
        (enterprises, "", enterprise_metrics),
        (points, "enterprise", point_metrics),
        (alarms, "enterprise", alarm_metrics),
    ]
    found: dict = defaultdict(dict)
    for queryset, to_enterprise, metrics in parts:
        for key, values in _grouped(queryset, grouping, to_enterprise, **metrics).items():
            found[key].update(values)
    zero = dict.fromkeys(ACCESS_METRICS, 0)
    rows = [{"key": key, "name": name, **zero, **found.get(key, {})} for key, name in grouping.labels(found)]
    if grouping.by == "region":
        total = _region_total(rows, ACCESS_METRICS)
    else:
        total = {}
        for queryset, _to, metrics in parts:
            total.update(queryset.order_by().aggregate(**metrics))
    return {
        "group_by": grouping.by,
        "region": grouping.within.code if grouping.within else None,
        "rows": rows,
        "total": {"key": None, "name": _("Total"), **zero, **total},
    }


# Alarm summary (报警统计) -------------------------------------------------------------------------------------------

ALARM_METRICS = ("raised", "cleared", "active", "handled", "unhandled", "long_uncleared")


def _alarm_row(by: str, r: dict) -> dict:
    if by == "point":
        row = {"key": r["point_id"], "name": r["point__name"], "code": r["point__code"]}
    else:
        row = {"key": r["enterprise_id"], "name": r["enterprise__organisation__name"]}
    row.update(enterprise_id=r["enterprise_id"], enterprise_name=r["enterprise__organisation__name"])
    return {**row, **{m: r[m] for m in ALARM_METRICS}}


def alarm_summary(
    user, *, since: dt.datetime, until: dt.datetime, group_by: str = "region", region: str | None = None, now=None
) -> dict:
    """Alarm counts over [since, until) per region, industry, enterprise or point (报警统计, MON-10).

    - raised: alarms that started in the range; cleared: alarms cleared (消警) in the range;
    - of those raised: active (not cleared yet), handled / unhandled (handling feedback, 处置反馈,
      recorded or not), long_uncleared (still active after ANQUAN_ALARM_LONG_UNCLEARED_HOURS).

    Every side counts (high, low, state, offline). By enterprise or point only rows with alarms are
    listed, most raised first, at most ALARM_ROWS_LIMIT (``truncated`` says when more exist).
    """
    check_range(since, until)
    now = now or timezone.now()
    grouping = Grouping.of(user, group_by, region, allowed=ALARM_GROUPS)
    raised = Q(started_at__gte=since, started_at__lt=until)
    cleared = Q(ended_at__gte=since, ended_at__lt=until)
    stale = now - dt.timedelta(hours=settings.ANQUAN_ALARM_LONG_UNCLEARED_HOURS)
    metrics = {
        "raised": Count("pk", distinct=True, filter=raised),
        "cleared": Count("pk", distinct=True, filter=cleared),
        "active": Count("pk", distinct=True, filter=raised & Q(is_active=True)),
        "handled": Count("pk", distinct=True, filter=raised & Q(handled_at__isnull=False)),
        "unhandled": Count("pk", distinct=True, filter=raised & Q(handled_at__isnull=True)),
        "long_uncleared": Count("pk", distinct=True, filter=raised & Q(is_active=True, started_at__lt=stale)),
    }
    alarms = grouping.restrict(Alarm.objects.for_user(user)).filter(raised | cleared).order_by()
    zero = dict.fromkeys(ALARM_METRICS, 0)
    truncated = False
    if grouping.by in ("enterprise", "point"):
        names = ["enterprise_id", "enterprise__organisation__name"]
        if grouping.by == "point":
            names = ["point_id", "point__code", "point__name", *names]
        listed = alarms.values(*names).annotate(**metrics).order_by("-raised", "-cleared", names[0])
        found = list(listed[: ALARM_ROWS_LIMIT + 1])
        truncated = len(found) > ALARM_ROWS_LIMIT
        rows = [_alarm_row(grouping.by, r) for r in found[:ALARM_ROWS_LIMIT]]
    else:
        found = _grouped(alarms, grouping, "enterprise", **metrics)
        rows = [{"key": key, "name": name, **zero, **found.get(key, {})} for key, name in grouping.labels(found)]
    # by region every alarm is in one row; by industry it may be in several: count it once
    total = _region_total(rows, ALARM_METRICS) if grouping.by == "region" else alarms.aggregate(**metrics)
    return {
        "group_by": grouping.by,
        "region": grouping.within.code if grouping.within else None,
        "since": since.isoformat(),
        "until": until.isoformat(),
        "rows": rows,
        "truncated": truncated,
        "total": {"key": None, "name": _("Total"), **zero, **total},
    }


# Online rates (在线率) ----------------------------------------------------------------------------------------------

# Online seconds and observed seconds per group and Beijing day, from the transitions: each subject's
# status at the start of the range (its last transition before it) and its transitions inside, both
# found by index probes per subject (OFFSET 0 keeps the planner from turning the second into a join
# that misestimated row counts make quadratic); lead(ts) turns them into intervals, clipped to the
# range and to now, then cut at each Beijing midnight they span. Days an enterprise is recorded as
# shut down (停产) are left out (ENT-08).
ONLINE_SQL = """
WITH ents(enterprise_id, key) AS ({enterprises}),
subjects AS ({subjects}),
marks AS (
    SELECT s.id AS subject_id, s.enterprise_id, t.ts, t.online, t.id AS tid
      FROM subjects s
     CROSS JOIN LATERAL (
           SELECT o.ts, o.online, o.id FROM monitoring_onlinetransition o
            WHERE o.subject = %s AND o.subject_id = s.id AND o.ts < %s
            ORDER BY o.ts DESC, o.id DESC LIMIT 1) t
    UNION ALL
    SELECT s.id, s.enterprise_id, t.ts, t.online, t.id
      FROM subjects s
     CROSS JOIN LATERAL (
           SELECT o.ts, o.online, o.id FROM monitoring_onlinetransition o
            WHERE o.subject = %s AND o.subject_id = s.id AND o.ts >= %s AND o.ts < %s OFFSET 0) t
),
spans AS (
    SELECT subject_id, enterprise_id, online, greatest(ts, %s) AS s,
           least(coalesce(lead(ts) OVER (PARTITION BY subject_id ORDER BY ts, tid), %s), %s) AS e
      FROM marks
),
pieces AS (
    SELECT sp.subject_id, sp.enterprise_id, sp.online, d.day,
           extract(epoch FROM least(sp.e, d.de) - greatest(sp.s, d.ds)) AS secs
      FROM spans sp
     CROSS JOIN LATERAL (
           SELECT g::date AS day, g AT TIME ZONE 'Asia/Shanghai' AS ds,
                  (g + interval '1 day') AT TIME ZONE 'Asia/Shanghai' AS de
             FROM generate_series(date_trunc('day', sp.s AT TIME ZONE 'Asia/Shanghai'),
                                  sp.e AT TIME ZONE 'Asia/Shanghai', interval '1 day') AS g) d
     WHERE sp.e > sp.s
)
SELECT x.key, p.day, coalesce(sum(p.secs) FILTER (WHERE p.online), 0), sum(p.secs), count(DISTINCT p.subject_id)
  FROM pieces p
  JOIN ents x ON x.enterprise_id = p.enterprise_id
 WHERE p.secs > 0
   AND NOT EXISTS (
       SELECT 1 FROM enterprises_shutdown sd
        WHERE sd.enterprise_id = p.enterprise_id AND sd.starts_on <= p.day
          AND (sd.ends_on IS NULL OR sd.ends_on >= p.day))
 GROUP BY x.key, p.day
"""
SUBJECTS_SQL = {
    "enterprise": "SELECT DISTINCT enterprise_id AS id, enterprise_id FROM ents",
    "gateway": "SELECT g.id, g.enterprise_id FROM monitoring_gateway g"
    " WHERE g.is_enabled AND g.enterprise_id IN (SELECT enterprise_id FROM ents)",
    "point": "SELECT p.id, p.enterprise_id FROM monitoring_monitoringpoint p"
    " WHERE p.in_use AND NOT p.deleted AND p.enterprise_id IN (SELECT enterprise_id FROM ents)",
}


def _online_seconds(enterprises, grouping: Grouping, subject: str, since: dt.date, until: dt.date, now) -> dict:
    """{key: {day: (online_s, observed_s, subjects)}} for the subjects of ``enterprises``."""
    start, end = beijing_midnight(since), beijing_midnight(until + dt.timedelta(days=1))
    clip = min(end, now)
    if clip <= start:
        return {}
    ents_sql, ents_params = (
        enterprises.order_by().annotate(group_key=grouping.key()).values("pk", "group_key").query.sql_with_params()
    )
    sql = ONLINE_SQL.format(enterprises=ents_sql, subjects=SUBJECTS_SQL[subject])
    params = [*ents_params, subject, start, subject, start, end, start, clip, clip]
    found: dict = defaultdict(dict)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for key, day, online_s, observed_s, count in cursor.fetchall():
            found[grouping.normalise(key)][day] = (float(online_s), float(observed_s), count)
    return found


def _connection_counts(enterprises, grouping: Grouping) -> dict:
    """Should connect (应接入): operating enterprises with at least one point in use; connected (已接入):
    of those, with data delivered (an EnterpriseLink); online (在线): of those, online now."""
    configured = enterprises.alias(
        configured=Exists(MonitoringPoint.objects.in_use().filter(enterprise=OuterRef("pk")))
    ).filter(configured=True)
    return _grouped(
        configured,
        grouping,
        "",
        should_connect=Count("pk", distinct=True),
        connected=Count("pk", distinct=True, filter=Q(monitoring_link__isnull=False)),
        online=Count("pk", distinct=True, filter=Q(monitoring_link__online=True)),
    )


def _rate(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def _rate_row(key, name, days: list[dt.date], seconds: dict, counts: dict) -> dict:
    series, online_total, observed_total = [], 0.0, 0.0
    for day in days:
        online_s, observed_s, subjects = seconds.get(day, (0.0, 0.0, 0))
        online_total += online_s
        observed_total += observed_s
        series.append(
            {
                "day": day.isoformat(),
                "online_rate": _rate(online_s, observed_s),
                "online_s": round(online_s),
                "observed_s": round(observed_s),
                "subjects": subjects,
            }
        )
    should, connected = counts.get("should_connect", 0), counts.get("connected", 0)
    return {
        "key": key,
        "name": name,
        "should_connect": should,
        "connected": connected,
        "online": counts.get("online", 0),
        "connection_rate": _rate(connected, should),
        "online_rate": _rate(online_total, observed_total),
        "online_s": round(online_total),
        "observed_s": round(observed_total),
        "days": series,
    }


def _sum_rows(seconds: dict, counts: dict) -> tuple[dict, dict]:
    total_seconds: dict = defaultdict(lambda: (0.0, 0.0, 0))
    for by_day in seconds.values():
        for day, (online_s, observed_s, n) in by_day.items():
            a, b, c = total_seconds[day]
            total_seconds[day] = (a + online_s, b + observed_s, c + n)
    total_counts: dict = defaultdict(int)
    for values in counts.values():
        for metric, n in values.items():
            total_counts[metric] += n
    return total_seconds, total_counts


def online_rates(
    user,
    *,
    subject: str = "enterprise",
    since: dt.date,
    until: dt.date,
    group_by: str | None = None,
    region: str | None = None,
    now=None,
) -> dict:
    """Daily online rates (在线率) of enterprises, gateways or points, with should-connect / connected
    / online counts of enterprises (ANA-01/02), per child region or industry or in total.

    Definition: the online rate of a day is the time the subjects were online divided by the time
    they were observed that day, summed over the subjects. A subject is observed from its first
    online/offline transition (its first data) on, up to now; days are Beijing days, [since, until]
    inclusive. Subjects of enterprises not operating (停产/关闭) are left out, and so are the days an
    enterprise is recorded as shut down (ENT-08); points must be in use, gateways enabled. A subject
    that never delivered data is not observed: it shows in ``should_connect`` − ``connected``
    instead. The counts are those of now.

    Returns ``{"subject", "since", "until", "group_by", "region", "rows": [row], "total": row}`` where
    a row is ``{"key", "name", "should_connect", "connected", "online", "connection_rate",
    "online_rate", "online_s", "observed_s", "days": [{"day", "online_rate", "online_s",
    "observed_s", "subjects"}]}``; a rate is null where nothing was observed.
    """
    if subject not in SUBJECTS:
        raise InvalidInput(_("subject must be one of: %(values)s") % {"values": ", ".join(SUBJECTS)}, field="subject")
    check_range(since, until)
    now = now or timezone.now()
    grouping = Grouping.of(user, group_by, region, allowed=(None, *GROUPS))
    enterprises = grouping.restrict(Enterprise.objects.for_user(user).active().filter(status=OperatingStatus.OPERATING))
    days = [since + dt.timedelta(days=n) for n in range((until - since).days + 1)]
    seconds = _online_seconds(enterprises, grouping, subject, since, until, now)
    counts = _connection_counts(enterprises, grouping)
    rows = [
        _rate_row(key, name, days, seconds.get(key, {}), counts.get(key, {}))
        for key, name in grouping.labels(set(seconds) | set(counts))
    ]
    if grouping.by == "industry":  # an enterprise of two industries is in two rows: count it once
        overall = Grouping(None, grouping.within)
        total_seconds = _online_seconds(enterprises, overall, subject, since, until, now).get("", {})
        total_counts = _connection_counts(enterprises, overall).get("", {})
    else:  # every enterprise is in exactly one row
        total_seconds, total_counts = _sum_rows(seconds, counts)
    return {
        "subject": subject,
        "since": since.isoformat(),
        "until": until.isoformat(),
        "group_by": grouping.by,
        "region": grouping.within.code if grouping.within else None,
        "rows": rows,
        "total": _rate_row(None, _("Total"), days, total_seconds, total_counts),
    }


# History of a point (历史数据) ------------------------------------------------------------------------------------

RAW_MAX = dt.timedelta(hours=6)
MINUTE_MAX = dt.timedelta(days=7)
MAX_POINTS = 5000
# Bucket widths a long series is folded into, so that it keeps at most MAX_POINTS values.
STRIDES_S = (60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)
LIMIT_FIELDS = ("range_low", "range_high", "low_low", "low", "high", "high_high")

BINNED_SQL = """
SELECT date_bin(%s * interval '1 second', bucket, %s) AS b, sum(n), sum(total) / sum(n), min(low), max(high)
  FROM {table} WHERE point_id = %s AND bucket >= %s AND bucket < %s
 GROUP BY b ORDER BY b
"""


def _stride(span: dt.timedelta, base_s: int, max_points: int) -> int:
    needed = max(base_s, math.ceil(span.total_seconds() / max_points))
    return next((s for s in STRIDES_S if s >= needed and s % base_s == 0), math.ceil(needed / 86400) * 86400)


def point_history(point, since: dt.datetime, until: dt.datetime, *, max_points: int = MAX_POINTS) -> dict:
    """Readings of one point over [since, until) for a chart (历史回看, MON-12/MON-24).

    Resolution: raw readings for ranges up to 6 h, 1-minute rollups up to 7 days, 1-hour rollups
    beyond. At most ``max_points`` values: raw readings that would be more fall back to minutes, and
    rollups are folded into wider buckets (``bucket_s``) where needed.

    Returns ``{"point", "code", "name", "unit", "since", "until", "resolution", "bucket_s",
    "limits": {range_low, range_high, low_low, low, high, high_high}, "series": [[ts, avg, min,
    max, count], …]}``; times are ISO 8601 in Beijing time, each the start of its bucket.
    """
    check_range(since, until)
    span = until - since
    resolution = "raw" if span <= RAW_MAX else "minute" if span <= MINUTE_MAX else "hour"
    series, bucket_s = None, None
    if resolution == "raw":
        readings = readings_of(point.pk, since, until, limit=max_points + 1)
        if len(readings) <= max_points:
            series = [[ts.astimezone(BEIJING).isoformat(), v, v, v, 1] for ts, v in readings]
        else:
            resolution = "minute"
    if series is None:
        base_s = 60 if resolution == "minute" else 3600
        bucket_s = _stride(span, base_s, max_points)
        if bucket_s == base_s:
            rows = rollups_of(point.pk, since, until, hourly=resolution == "hour")
        else:
            table = MINUTE_ROLLUP if resolution == "minute" else HOUR_ROLLUP
            origin = dt.datetime(2000, 1, 1, tzinfo=BEIJING)  # buckets of hours and days start at Beijing midnight
            with connection.cursor() as cursor:
                cursor.execute(BINNED_SQL.format(table=table), [bucket_s, origin, point.pk, since, until])
                rows = cursor.fetchall()
        series = [[b.astimezone(BEIJING).isoformat(), avg, low, high, int(n)] for b, n, avg, low, high in rows]
    return {
        "point": point.pk,
        "code": point.code,
        "name": point.name,
        "unit": point.unit,
        "since": since.astimezone(BEIJING).isoformat(),
        "until": until.astimezone(BEIJING).isoformat(),
        "resolution": resolution,
        "bucket_s": bucket_s,
        "limits": {f: getattr(point, f) for f in LIMIT_FIELDS},
        "series": series,
    }

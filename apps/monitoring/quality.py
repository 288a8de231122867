"""Sensing-data quality (数据质量, ANA-04/05/07/09, MON-13/14): which points, gateways and enterprises
deliver data that cannot be trusted or do not deliver at all.

Kinds of finding:

- ``frequent_alarms`` (频繁报警): a point raised at least ANQUAN_QUALITY_FREQUENT_ALARMS threshold or
  state alarms in the last 24 h (alarms inside a maintenance window left out);
- ``out_of_range`` (超量程): minutes of the last 24 h whose lowest or highest reading lies outside
  the point's measuring range;
- ``stuck`` (数据不变): an online analog point whose value has not changed for
  ANQUAN_QUALITY_STUCK_HOURS;
- ``missing`` (数据缺失): a point that received fewer than (1 − ANQUAN_QUALITY_MISSING_RATIO) of
  the readings its period promises over the last 24 h (points offline the whole day are left to
  ``long_offline``);
- ``long_uncleared`` (长时间未销警): threshold or state alarms active longer than
  ANQUAN_ALARM_LONG_UNCLEARED_HOURS (offline alarms are ``long_offline``'s);
- ``long_offline`` (长期离线): points, gateways and enterprises offline for more than
  ANQUAN_QUALITY_LONG_OFFLINE_DAYS.

Enterprises not operating or recorded as shut down today, retired points and facilities out of
service are never flagged (ENT-08). Each finding is a dict with the keys of ``FINDING_KEYS``.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import connection
from django.db.models import Count, Exists, Min, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.exceptions import InvalidInput
from apps.enterprises.models import Enterprise, OperatingStatus, Shutdown

from .models import Alarm, Gateway, MonitoringPoint
from .storage import BEIJING, MINUTE_ROLLUP

KINDS = ("frequent_alarms", "out_of_range", "stuck", "missing", "long_uncleared", "long_offline")
FINDING_KEYS = (
    "kind",
    "subject",  # point / gateway / enterprise / alarm
    "subject_id",
    "subject_name",
    "enterprise_id",
    "enterprise_name",
    "region_name",
    "point_id",
    "point_code",
    "point_name",
    "figure",
    "measure",  # what the figure counts: alarms, minutes, hours, ratio, days
    "since",
)
DAY = dt.timedelta(hours=24)
ENTERPRISE_FIELDS = ("enterprise_id", "enterprise__organisation__name", "enterprise__organisation__region__name")


def thresholds() -> dict:
    return {
        "frequent_alarms": settings.ANQUAN_QUALITY_FREQUENT_ALARMS,
        "stuck_hours": settings.ANQUAN_QUALITY_STUCK_HOURS,
        "missing_ratio": settings.ANQUAN_QUALITY_MISSING_RATIO,
        "long_offline_days": settings.ANQUAN_QUALITY_LONG_OFFLINE_DAYS,
        "long_uncleared_hours": settings.ANQUAN_ALARM_LONG_UNCLEARED_HOURS,
    }


def _shutdowns(today: dt.date):
    return Shutdown.objects.filter(starts_on__lte=today).filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))


def _running(today: dt.date) -> Q:
    """Rows whose enterprise is operating and not recorded as shut down today (ENT-08)."""
    shut = _shutdowns(today).filter(enterprise=OuterRef("enterprise_id"))
    return Q(enterprise__status=OperatingStatus.OPERATING, enterprise__deleted=False) & ~Exists(shut)


def _today(now: dt.datetime) -> dt.date:
    return now.astimezone(BEIJING).date()


def _points(user, today: dt.date, enterprise_id=None):
    """Points in use on facilities in service, of running enterprises in the caller's scope."""
    points = (
        MonitoringPoint.objects.for_user(user)
        .in_use()
        .filter(_running(today), facility__status="in_service", facility__deleted=False)
    )
    return points.filter(enterprise_id=enterprise_id) if enterprise_id else points


def _finding(kind: str, row: dict, **values) -> dict:
    finding = dict.fromkeys(FINDING_KEYS)
    finding.update(
        kind=kind,
        enterprise_id=row.get("enterprise_id"),
        enterprise_name=row.get("enterprise__organisation__name"),
        region_name=row.get("enterprise__organisation__region__name"),
        **values,
    )
    if finding["since"] is not None:
        finding["since"] = finding["since"].astimezone(BEIJING).isoformat()
    return finding


def _point_finding(kind: str, row: dict, *, pk="pk", code="code", name="name", **values) -> dict:
    values.setdefault("subject", "point")
    values.setdefault("subject_id", row[pk])
    values.setdefault("subject_name", row[name])
    return _finding(kind, row, point_id=row[pk], point_code=row[code], point_name=row[name], **values)


POINT_FIELDS = ("pk", "code", "name", *ENTERPRISE_FIELDS)


def frequent_alarms(user, now, enterprise_id=None) -> list[dict]:
    alarms = Alarm.objects.for_user(user).filter(
        started_at__gte=now - DAY,
        started_at__lt=now,
        shelved=False,
        point__in=_points(user, _today(now), enterprise_id),
    )
    rows = (
        alarms.exclude(side="offline")
        .values("point_id", "point__code", "point__name", *ENTERPRISE_FIELDS)
        .annotate(n=Count("pk"), first=Min("started_at"))
        .filter(n__gte=settings.ANQUAN_QUALITY_FREQUENT_ALARMS)
    )
    return [
        _point_finding(
            "frequent_alarms",
            r,
            pk="point_id",
            code="point__code",
            name="point__name",
            figure=r["n"],
            measure="alarms",
            since=r["first"],
        )
        for r in rows
    ]


def _point_rows(ids) -> dict:
    return {r["pk"]: r for r in MonitoringPoint.objects.filter(pk__in=ids).values(*POINT_FIELDS)}


OUT_OF_RANGE_SQL = f"""
SELECT r.point_id, count(*), min(r.bucket)
  FROM {MINUTE_ROLLUP} r JOIN ({{points}}) AS p(id, range_low, range_high) ON p.id = r.point_id
 WHERE r.bucket >= %s AND r.bucket < %s AND (r.low < p.range_low OR r.high > p.range_high)
 GROUP BY r.point_id
"""


def out_of_range(user, now, enterprise_id=None) -> list[dict]:
    points = (
        _points(user, _today(now), enterprise_id)
        .filter(Q(range_low__isnull=False) | Q(range_high__isnull=False))
        .order_by()
        .values("pk", "range_low", "range_high")
    )
    sql, params = points.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(OUT_OF_RANGE_SQL.format(points=sql), [*params, now - DAY, now])
        found = cursor.fetchall()
    info = _point_rows([point_id for point_id, _n, _s in found])
    return [
        _point_finding("out_of_range", info[point_id], figure=n, measure="minutes", since=first)
        for point_id, n, first in found
    ]


def stuck(user, now, enterprise_id=None) -> list[dict]:
    limit = now - dt.timedelta(hours=settings.ANQUAN_QUALITY_STUCK_HOURS)
    rows = (
        _points(user, _today(now), enterprise_id)
        .filter(kind__signal="analog", state__online=True, state__changed_ts__lt=limit)
        .values(*POINT_FIELDS, "state__changed_ts")
    )
    return [
        _point_finding(
            "stuck",
            r,
            figure=round((now - r["state__changed_ts"]).total_seconds() / 3600, 1),
            measure="hours",
            since=r["state__changed_ts"],
        )
        for r in rows
    ]


MISSING_SQL = f"""
SELECT p.id, p.period_s, greatest(p.created_at, %s), coalesce(sum(r.n), 0)
  FROM ({{points}}) AS p(id, period_s, created_at)
  LEFT JOIN {MINUTE_ROLLUP} r ON r.point_id = p.id AND r.bucket >= %s AND r.bucket < %s
 GROUP BY p.id, p.period_s, p.created_at
"""


def missing(user, now, enterprise_id=None) -> list[dict]:
    start = now - DAY
    # Reported before and not offline since before the window (that is long_offline's).
    points = (
        _points(user, _today(now), enterprise_id)
        .filter(state__isnull=False)
        .exclude(state__online=False, state__online_changed_at__lt=start)
        .order_by()
        .values("pk", "period_s", "created_at")
    )
    sql, params = points.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(MISSING_SQL.format(points=sql), [start, *params, start, now])
        found = cursor.fetchall()
    gaps = {}
    for point_id, period_s, since, received in found:
        expected = (now - since).total_seconds() / period_s
        if expected < 1:
            continue
        ratio = max(0.0, 1 - received / expected)
        if ratio > settings.ANQUAN_QUALITY_MISSING_RATIO:
            gaps[point_id] = (round(ratio, 4), since)
    info = _point_rows(gaps)
    return [
        _point_finding("missing", info[point_id], figure=ratio, measure="ratio", since=since)
        for point_id, (ratio, since) in gaps.items()
    ]


def long_uncleared(user, now, enterprise_id=None, *, hours: float | None = None) -> list[dict]:
    hours = settings.ANQUAN_ALARM_LONG_UNCLEARED_HOURS if hours is None else hours
    alarms = (
        Alarm.objects.for_user(user)
        .active()
        .filter(started_at__lt=now - dt.timedelta(hours=hours), point__in=_points(user, _today(now), enterprise_id))
        .exclude(side="offline")
        .values("pk", "level", "started_at", "point_id", "point__code", "point__name", *ENTERPRISE_FIELDS)
    )
    return [
        _finding(
            "long_uncleared",
            r,
            subject="alarm",
            subject_id=r["pk"],
            subject_name=r["level"],
            point_id=r["point_id"],
            point_code=r["point__code"],
            point_name=r["point__name"],
            figure=round((now - r["started_at"]).total_seconds() / 3600, 1),
            measure="hours",
            since=r["started_at"],
        )
        for r in alarms
    ]


def long_offline(user, now, enterprise_id=None, *, days: float | None = None) -> list[dict]:
    days = settings.ANQUAN_QUALITY_LONG_OFFLINE_DAYS if days is None else days
    limit, today = now - dt.timedelta(days=days), _today(now)

    def figure(since):
        return round((now - since).total_seconds() / 86400, 1)

    points = (
        _points(user, today, enterprise_id)
        .filter(state__online=False, state__online_changed_at__lt=limit)
        .values(*POINT_FIELDS, "state__online_changed_at")
    )
    findings = [
        _point_finding(
            "long_offline",
            r,
            figure=figure(r["state__online_changed_at"]),
            measure="days",
            since=r["state__online_changed_at"],
        )
        for r in points
    ]
    gateways = Gateway.objects.for_user(user).filter(
        _running(today), is_enabled=True, online=False, online_changed_at__lt=limit
    )
    # Through Enterprise: EnterpriseLink's for_user cannot compare guardian grants with its key.
    enterprises = (
        Enterprise.objects.for_user(user)
        .active()
        .filter(
            status=OperatingStatus.OPERATING,
            monitoring_link__online=False,
            monitoring_link__online_changed_at__lt=limit,
        )
        .exclude(Exists(_shutdowns(today).filter(enterprise=OuterRef("pk"))))
    )
    if enterprise_id:
        gateways, enterprises = gateways.filter(enterprise_id=enterprise_id), enterprises.filter(pk=enterprise_id)
    for r in gateways.values("pk", "gateway_id", "online_changed_at", *ENTERPRISE_FIELDS):
        findings.append(
            _finding(
                "long_offline",
                r,
                subject="gateway",
                subject_id=r["pk"],
                subject_name=r["gateway_id"],
                figure=figure(r["online_changed_at"]),
                measure="days",
                since=r["online_changed_at"],
            )
        )
    for r in enterprises.values(
        "pk", "organisation__name", "organisation__region__name", "monitoring_link__online_changed_at"
    ):
        since = r["monitoring_link__online_changed_at"]
        findings.append(
            _finding(
                "long_offline",
                {
                    "enterprise_id": r["pk"],
                    "enterprise__organisation__name": r["organisation__name"],
                    "enterprise__organisation__region__name": r["organisation__region__name"],
                },
                subject="enterprise",
                subject_id=r["pk"],
                subject_name=r["organisation__name"],
                figure=figure(since),
                measure="days",
                since=since,
            )
        )
    return findings


FINDERS = {
    "frequent_alarms": frequent_alarms,
    "out_of_range": out_of_range,
    "stuck": stuck,
    "missing": missing,
    "long_uncleared": long_uncleared,
    "long_offline": long_offline,
}


def quality_findings(
    user,
    *,
    kind: str | None = None,
    now: dt.datetime | None = None,
    enterprise_id: int | None = None,
    subject: str | None = None,
    min_days: float | None = None,
    older_than_hours: float | None = None,
) -> list[dict]:
    """Findings of one kind (all kinds when ``kind`` is None) in the caller's scope, worst first.

    ``min_days`` overrides the long-offline days, ``older_than_hours`` the long-uncleared hours;
    ``subject`` keeps the findings about points, gateways, enterprises or alarms only."""
    kinds = KINDS if kind is None else (kind,)
    if kind is not None and kind not in KINDS:
        raise InvalidInput(_("kind must be one of: %(values)s") % {"values": ", ".join(KINDS)}, field="kind")
    now = now or timezone.now()
    findings = []
    for name in kinds:
        options = {}
        if name == "long_offline" and min_days is not None:
            options["days"] = min_days
        if name == "long_uncleared" and older_than_hours is not None:
            options["hours"] = older_than_hours
        findings += FINDERS[name](user, now, enterprise_id, **options)
    if subject:
        findings = [f for f in findings if f["subject"] == subject]
    findings.sort(key=lambda f: (KINDS.index(f["kind"]), -f["figure"], f["enterprise_name"] or "", f["subject_id"]))
    return findings


def quality_summary(user, *, now: dt.datetime | None = None) -> dict:
    """Counts of findings per kind, and per enterprise for drill-down (most findings first).

    Returns ``{"thresholds": {...}, "kinds": {kind: n}, "total": n, "enterprises": [{"enterprise_id",
    "enterprise_name", "region_name", "counts": {kind: n}, "total"}]}``."""
    findings = quality_findings(user, now=now)
    kinds = dict.fromkeys(KINDS, 0)
    by_enterprise: dict = {}
    for f in findings:
        kinds[f["kind"]] += 1
        row = by_enterprise.setdefault(
            f["enterprise_id"],
            {
                "enterprise_id": f["enterprise_id"],
                "enterprise_name": f["enterprise_name"],
                "region_name": f["region_name"],
                "counts": dict.fromkeys(KINDS, 0),
                "total": 0,
            },
        )
        row["counts"][f["kind"]] += 1
        row["total"] += 1
    enterprises = sorted(by_enterprise.values(), key=lambda r: (-r["total"], r["enterprise_name"] or ""))
    return {"thresholds": thresholds(), "kinds": kinds, "total": len(findings), "enterprises": enterprises}

"""Reads of the online patrol (在线巡查, INS-01/04/05): the enterprises of an industry searched by risk,
online status, alarms and warnings, and one enterprise on one screen (一屏汇聚)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from apps.enterprises.models import Enterprise
from apps.monitoring.models import Alarm, EnterpriseLink, MonitoringPoint

from .models import EnterpriseRisk, SpotCheck, Warning


def patrol_enterprises(
    user, industry: str, *, region=None, level=None, online=None, alarming=None, warning=None, q=None
):
    """Enterprises of ``industry`` in the user's scope with the figures a patrol filters on."""
    active_alarms = (
        Alarm.objects.filter(enterprise=OuterRef("pk"), is_active=True)
        .exclude(side="offline")
        .order_by()
        .values("enterprise")
        .annotate(n=Count("pk"))
        .values("n")
    )
    queryset = (
        Enterprise.objects.for_user(user)
        .active()
        .filter(industries__code=industry)
        .select_related("organisation__region", "risk", "monitoring_link")
        .annotate(
            active_alarms=Coalesce(Subquery(active_alarms, output_field=IntegerField()), 0),
            open_warning=Exists(Warning.objects.open().filter(enterprise=OuterRef("pk"))),
        )
    )
    if region is not None:
        queryset = queryset.filter(organisation__region__path__startswith=region.path)
    if level is not None:
        queryset = queryset.filter(risk__level=level)
    if online is not None:
        queryset = (
            queryset.filter(monitoring_link__online=True) if online else queryset.exclude(monitoring_link__online=True)
        )
    if alarming is not None:
        queryset = queryset.filter(active_alarms__gt=0) if alarming else queryset.filter(active_alarms=0)
    if warning is not None:
        queryset = queryset.filter(open_warning=warning)
    if q:
        queryset = queryset.filter(Q(organisation__name__icontains=q) | Q(organisation__uscc__iexact=q))
    return queryset.order_by("risk__level", "-risk__score", "organisation__name")


def one_screen(enterprise, user) -> dict:
    """Risk, online status, device access, alarms and warnings of one enterprise (INS-04/05)."""
    from apps.video.models import Camera

    now = timezone.now()
    risk = EnterpriseRisk.objects.filter(enterprise=enterprise).first()
    link = EnterpriseLink.objects.filter(enterprise=enterprise).first()
    points = MonitoringPoint.objects.in_use().filter(enterprise=enterprise)
    point_counts = points.aggregate(total=Count("pk"), online=Count("pk", filter=Q(state__online=True)))
    alarms = Alarm.objects.filter(enterprise=enterprise).select_related("point")
    warnings = Warning.objects.filter(enterprise=enterprise)
    last_check = SpotCheck.objects.filter(enterprise=enterprise).select_related("inspector").first()
    return {
        "enterprise": {"id": enterprise.pk, "name": enterprise.name, "region": enterprise.organisation.region.name},
        "risk": {
            "level": risk.level if risk else None,
            "score": risk.score if risk else None,
            "assessed_at": risk.assessed_at if risk else None,
            "level_since": risk.level_since if risk else None,
        },
        "online": {
            "online": bool(link and link.online),
            "since": link.online_changed_at if link else None,
            "points_online": point_counts["online"],
            "points": point_counts["total"],
        },
        "devices": {
            "points": point_counts["total"],
            "gateways": enterprise.gateways.filter(is_enabled=True).count(),
            "cameras": Camera.objects.filter(enterprise=enterprise, deleted=False, in_use=True).count(),
        },
        "alarms": {
            "active": alarms.filter(is_active=True).exclude(side="offline").count(),
            "last_24h": alarms.filter(started_at__gte=now - dt.timedelta(hours=24)).count(),
            "latest": [
                {
                    "id": a.pk,
                    "point": a.point.name,
                    "level": a.level,
                    "started_at": a.started_at,
                    "ended_at": a.ended_at,
                    "handled": a.handled_at is not None,
                }
                for a in alarms.order_by("-started_at")[:5]
            ],
        },
        "warnings": {
            "open": warnings.open().count(),
            "latest": [
                {
                    "id": w.pk,
                    "level": w.level,
                    "status": w.status,
                    "raised_at": w.raised_at,
                    "feedback_at": w.feedback_at,
                }
                for w in warnings.order_by("-raised_at")[:5]
            ],
        },
        "last_spot_check": (
            {
                "at": last_check.started_at,
                "inspector": last_check.inspector.real_name or last_check.inspector.username,
                "follow_up": last_check.follow_up,
            }
            if last_check
            else None
        ),
    }


def spot_check_coverage(user, *, since: dt.date, until: dt.date, by: str = "inspector") -> list[dict]:
    """Patrol workload and coverage (INS-07): checks per inspector (or region), enterprises covered,
    findings that needed a follow-up."""
    from apps.enterprises.stats import SplitPart
    from apps.monitoring.statistics import beijing_midnight

    checks = SpotCheck.objects.for_user(user).filter(
        started_at__gte=beijing_midnight(since), started_at__lt=beijing_midnight(until + dt.timedelta(days=1))
    )
    if by == "inspector":
        rows = checks.order_by().values("inspector_id", "inspector__username", "inspector__real_name")
    else:
        from django.db.models import F, Value

        rows = (
            checks.order_by()
            .annotate(region=SplitPart(F("enterprise__organisation__region__path"), Value("/"), Value(3)))
            .values("region")
        )
    rows = rows.annotate(
        checks=Count("pk"),
        enterprises=Count("enterprise", distinct=True),
        follow_ups=Count("pk", filter=~Q(follow_up=SpotCheck.FollowUp.NONE)),
    )
    result = []
    for row in rows:
        if by == "inspector":
            row["inspector"] = row.pop("inspector__real_name") or row.pop("inspector__username")
            row.pop("inspector__username", None)
        result.append(row)
    return sorted(result, key=lambda r: -r["checks"])

"""Data quality (数据质量): each kind of finding is detected, its look-alikes are not, shut-down
enterprises are never flagged, and the findings stay in the caller's scope."""

import datetime as dt

import pytest
from django.utils import timezone

from apps.accounts.tests.factories import regulator, user_with_role
from apps.enterprises.models import Shutdown
from apps.enterprises.tests.factories import enterprise
from apps.monitoring.models import Alarm, EnterpriseLink, Gateway, MeasurementKind, MonitoringPoint, PointState
from apps.monitoring.quality import quality_findings, quality_summary
from apps.monitoring.tests.factories import feed
from apps.monitoring.tests.test_statistics import make_point

pytestmark = pytest.mark.django_db

QUALITY = "/api/v1/monitoring/quality"


@pytest.fixture
def now():
    return timezone.now().replace(microsecond=0)


@pytest.fixture
def ent():
    return enterprise("370102")


@pytest.fixture
def jinan():
    return user_with_role("regulator_staff", regulator("370100"))


def codes(findings, kind=None):
    return sorted(f["point_code"] or f["subject_name"] for f in findings if kind is None or f["kind"] == kind)


def test_frequent_alarms_from_the_threshold_on(ent, jinan, now, settings):
    settings.ANQUAN_QUALITY_FREQUENT_ALARMS = 5
    flapping, calmer = make_point(ent, "TI-1"), make_point(ent, "TI-2")
    feed(flapping, [70, 85] * 5, now - dt.timedelta(hours=2))  # five alarms
    feed(calmer, [70, 85] * 4, now - dt.timedelta(hours=2))  # four

    findings = quality_findings(jinan, kind="frequent_alarms", now=now)

    assert codes(findings) == ["TI-1"]
    assert findings[0]["figure"] == 5 and findings[0]["measure"] == "alarms" and findings[0]["subject"] == "point"
    assert findings[0]["enterprise_id"] == ent.pk and findings[0]["region_name"] == "历下区"
    Alarm.objects.filter(point=flapping).update(shelved=True)  # raised during a calibration window
    assert quality_findings(jinan, kind="frequent_alarms", now=now) == []


def test_out_of_range_minutes_only_for_points_with_a_range(ent, jinan, now):
    ranged = make_point(ent, "TI-1", range_low=0, range_high=100)
    inside = make_point(ent, "TI-2", range_low=0, range_high=100)
    unranged = make_point(ent, "TI-3")
    start = now.replace(second=0) - dt.timedelta(hours=1)
    feed(ranged, [50, 120, 50, 50, 50, 50, 60, 50, -5], start)  # two minutes have a reading outside
    feed(inside, [50, 99], start)
    feed(unranged, [500], start)

    findings = quality_findings(jinan, kind="out_of_range", now=now)

    assert codes(findings) == ["TI-1"] and findings[0]["figure"] == 2 and findings[0]["measure"] == "minutes"
    assert dt.datetime.fromisoformat(findings[0]["since"]) == start


def test_stuck_analog_values_but_not_switches_or_offline_points(ent, jinan, now):
    stuck, lively, offline = make_point(ent, "TI-1"), make_point(ent, "TI-2"), make_point(ent, "TI-3")
    switch = make_point(ent, "XS-1", kind=MeasurementKind.objects.get(code="switch"), high=None)
    for p in (stuck, lively, offline, switch):
        feed(p, [1, 1], now - dt.timedelta(minutes=5))
    PointState.objects.filter(point__in=[stuck, offline, switch]).update(changed_ts=now - dt.timedelta(hours=7))
    PointState.objects.filter(point=lively).update(changed_ts=now - dt.timedelta(hours=5))
    PointState.objects.filter(point=offline).update(online=False)

    findings = quality_findings(jinan, kind="stuck", now=now)

    assert codes(findings) == ["TI-1"] and findings[0]["figure"] == 7.0 and findings[0]["measure"] == "hours"


def test_missing_readings_against_the_period(ent, jinan, now):
    complete = make_point(ent, "TI-1", period_s=3600)
    gappy = make_point(ent, "TI-2", period_s=3600)
    young = make_point(ent, "TI-3", period_s=3600)
    gone = make_point(ent, "TI-4", period_s=3600)
    MonitoringPoint.objects.filter(pk__in=[complete.pk, gappy.pk, gone.pk]).update(
        created_at=now - dt.timedelta(days=10)
    )
    start = now - dt.timedelta(hours=23, minutes=50)
    feed(complete, [50] * 24, start, every_s=3600)
    feed(gappy, [50] * 12, start, every_s=3600)  # half of what 24 h should bring
    feed(young, [50], now - dt.timedelta(minutes=30))  # created just now: one reading expected
    feed(gone, [50], now - dt.timedelta(days=5))
    PointState.objects.filter(point=gone).update(online=False, online_changed_at=now - dt.timedelta(days=4))

    findings = quality_findings(jinan, kind="missing", now=now)

    assert codes(findings) == ["TI-2"]  # the long-offline one is long_offline's finding
    assert findings[0]["figure"] == 0.5 and findings[0]["measure"] == "ratio"


def test_long_uncleared_alarms_but_not_recent_or_offline_ones(ent, jinan, now):
    old, recent = make_point(ent, "TI-1"), make_point(ent, "TI-2")
    feed(old, [70, 85], now - dt.timedelta(minutes=10))
    feed(recent, [70, 85], now - dt.timedelta(minutes=10))
    Alarm.objects.filter(point=old).update(started_at=now - dt.timedelta(hours=30))
    Alarm.objects.create(
        point=recent, enterprise=ent, side="offline", level="offline", started_at=now - dt.timedelta(days=3)
    )

    findings = quality_findings(jinan, kind="long_uncleared", now=now)

    assert codes(findings) == ["TI-1"]
    assert findings[0]["subject"] == "alarm" and findings[0]["subject_id"] == Alarm.objects.get(point=old).pk
    assert findings[0]["figure"] == 30.0
    assert len(quality_findings(jinan, kind="long_uncleared", now=now, older_than_hours=0.05)) == 2


def test_long_offline_points_gateways_and_enterprises_except_shut_down_ones(ent, jinan, now):
    point, briefly = make_point(ent, "TI-1"), make_point(ent, "TI-2")
    feed(point, [50], now - dt.timedelta(days=5))
    feed(briefly, [50], now - dt.timedelta(days=5))
    four_days = now - dt.timedelta(days=4)
    PointState.objects.filter(point=point).update(online=False, online_changed_at=four_days)
    PointState.objects.filter(point=briefly).update(online=False, online_changed_at=now - dt.timedelta(days=1))
    Gateway.objects.filter(enterprise=ent).update(online=False, online_changed_at=four_days)
    EnterpriseLink.objects.filter(enterprise=ent).update(online=False, online_changed_at=four_days)

    findings = quality_findings(jinan, kind="long_offline", now=now)

    assert sorted((f["subject"], f["figure"]) for f in findings) == [
        ("enterprise", 4.0),
        ("gateway", 4.0),
        ("point", 4.0),
    ]
    assert [f["point_code"] for f in findings if f["subject"] == "point"] == ["TI-1"]
    assert len(quality_findings(jinan, kind="long_offline", now=now, min_days=0.5)) == 4
    assert len(quality_findings(jinan, kind="long_offline", now=now, subject="gateway")) == 1

    shutdown = Shutdown.objects.create(enterprise=ent, starts_on=now.date() - dt.timedelta(days=4), reason="停产检修")
    assert quality_findings(jinan, kind="long_offline", now=now) == []
    shutdown.delete()
    ent.status = "closed"
    ent.save()
    assert quality_findings(jinan, kind="long_offline", now=now) == []


def test_findings_stay_in_scope_and_summary_counts_per_kind_and_enterprise(ent, jinan, now):
    point = make_point(ent, "TI-1")
    feed(point, [50], now - dt.timedelta(days=5))
    PointState.objects.filter(point=point).update(online=False, online_changed_at=now - dt.timedelta(days=4))
    other = enterprise("370102")
    lost = make_point(other, "TI-1")
    feed(lost, [50], now - dt.timedelta(days=5))
    PointState.objects.filter(point=lost).update(online=False, online_changed_at=now - dt.timedelta(days=6))

    summary = quality_summary(jinan, now=now)

    assert summary["kinds"]["long_offline"] == 2 and summary["total"] == 2
    assert {(r["enterprise_id"], r["counts"]["long_offline"], r["total"]) for r in summary["enterprises"]} == {
        (ent.pk, 1, 1),
        (other.pk, 1, 1),
    }
    assert summary["thresholds"]["long_offline_days"] == 3
    assert quality_summary(user_with_role("regulator_staff", regulator("370200")), now=now)["total"] == 0
    own = user_with_role("enterprise_admin", ent.organisation)
    assert [f["enterprise_id"] for f in quality_findings(own, now=now)] == [ent.pk]


def test_quality_api_pages_findings_and_refuses_unknown_kinds(api, ent, jinan, now, django_assert_max_num_queries):
    for n in range(3):
        point = make_point(ent, f"TI-{n}")
        feed(point, [50], now - dt.timedelta(days=5))
    PointState.objects.update(online=False, online_changed_at=now - dt.timedelta(days=4))
    api.force_authenticate(jinan)
    api.get(f"{QUALITY}/?kind=long_offline")  # warm the permission cache

    with django_assert_max_num_queries(6):
        page = api.get(f"{QUALITY}/?kind=long_offline&subject=point&page_size=2").json()

    assert page["count"] == 3 and len(page["results"]) == 2
    assert set(page["results"][0]) == {
        "kind",
        "subject",
        "subject_id",
        "subject_name",
        "enterprise_id",
        "enterprise_name",
        "region_name",
        "point_id",
        "point_code",
        "point_name",
        "figure",
        "measure",
        "since",
    }
    assert api.get(f"{QUALITY}/?enterprise={ent.pk}").json()["count"] == 3
    assert api.get(f"{QUALITY}/?kind=noise").json().keys() == {"kind"}
    assert api.get(f"{QUALITY}/?min_days=-1").status_code == 400
    summary = api.get(f"{QUALITY}/summary").json()
    assert summary["kinds"]["long_offline"] == 3 and summary["enterprises"][0]["total"] == 3
    api.force_authenticate(user_with_role("service_provider_staff"))
    assert api.get(f"{QUALITY}/").status_code == 403

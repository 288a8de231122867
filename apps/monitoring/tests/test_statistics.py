"""Monitoring statistics (统计): access summary, alarm summary and online rates on small hand-built
data, their scoping, and the API's answers to bad input."""

import datetime as dt

import pytest
from django.utils import timezone

from apps.accounts.tests.factories import regulator, user_with_role
from apps.enterprises.models import Shutdown
from apps.enterprises.tests.factories import enterprise
from apps.facilities.models import Facility, FacilityKind
from apps.monitoring import services, statistics
from apps.monitoring.models import Alarm, EnterpriseLink, MeasurementKind, MonitoringPoint, OnlineTransition
from apps.monitoring.tests.factories import feed

pytestmark = pytest.mark.django_db

BEIJING = dt.timezone(dt.timedelta(hours=8))
STATS = "/api/v1/monitoring/statistics"


def make_point(ent, code="TI-1", **fields):
    """A temperature point (high 80) on a tank farm of ``ent``."""
    facility = Facility.objects.get_or_create(
        enterprise=ent, code="TF", defaults={"kind": FacilityKind.objects.get(code="tank_farm"), "name": "罐区"}
    )[0]
    values = {"name": "温度", "kind": MeasurementKind.objects.get(code="temperature"), "high": 80, **fields}
    return MonitoringPoint.objects.create(enterprise=ent, facility=facility, code=code, **values)


def jinan_regulator():
    return user_with_role("regulator_staff", regulator("370100"))


@pytest.fixture
def t0():
    return timezone.now().replace(microsecond=0) - dt.timedelta(minutes=30)


@pytest.fixture
def world(t0):
    """Lixia (370102): two fed points, one alarming, one never fed; Licheng (370112): an enterprise
    configured but never connected; Qingdao (370211): a fed and alarming point out of Jinan's scope."""
    lixia = enterprise("370102", industries=("hazardous_chemicals", "dust_explosion"))
    normal, alarming, silent = make_point(lixia, "TI-1"), make_point(lixia, "TI-2"), make_point(lixia, "TI-3")
    feed(normal, [50, 51], t0)
    feed(alarming, [70, 85], t0)
    licheng = enterprise("370112", industries=("steel",))
    make_point(licheng, "TI-1")
    qingdao = enterprise("370211")
    far = make_point(qingdao, "TI-1")
    feed(far, [90, 95], t0)
    return {"lixia": lixia, "licheng": licheng, "qingdao": qingdao, "points": (normal, alarming, silent), "far": far}


# Access summary -------------------------------------------------------------------------------------------------------


def test_given_jinan_regulator_when_access_by_region_then_counts_per_county_and_nothing_of_qingdao(world, t0):
    summary = statistics.access_summary(jinan_regulator(), group_by="region", now=t0 + dt.timedelta(minutes=5))

    rows = {r["key"]: r for r in summary["rows"]}
    assert summary["region"] == "370100" and "370102" in rows and "370211" not in rows
    assert rows["370102"] == {
        "key": "370102",
        "name": "历下区",
        "enterprises_connected": 1,
        "enterprises_online": 1,
        "points_connected": 2,
        "points_online": 2,
        "points_alarming": 1,
        "alarms_raised_today": 1,
        "alarms_cleared_today": 0,
    }
    assert rows["370112"]["enterprises_connected"] == 0 and rows["370112"]["points_connected"] == 0
    assert summary["total"]["points_connected"] == 2 and summary["total"]["points_alarming"] == 1


def test_given_enterprise_in_two_industries_when_by_industry_then_counted_in_both_but_once_in_total(world):
    summary = statistics.access_summary(jinan_regulator(), group_by="industry")

    rows = {r["key"]: r for r in summary["rows"]}
    assert rows["hazardous_chemicals"]["points_connected"] == 2
    assert rows["dust_explosion"]["points_connected"] == 2
    assert rows["steel"]["points_connected"] == 0
    assert summary["total"]["points_connected"] == 2 and summary["total"]["enterprises_connected"] == 1


def test_given_enterprise_user_when_access_then_only_own_enterprise(world):
    own = user_with_role("enterprise_admin", world["qingdao"].organisation)

    summary = statistics.access_summary(own)

    assert summary["total"]["points_connected"] == 1 and summary["total"]["enterprises_connected"] == 1
    assert summary["region"] == "370200" and {r["key"] for r in summary["rows"] if r["points_connected"]} == {"370211"}


def test_given_region_out_of_jurisdiction_when_access_then_400(api, world):
    api.force_authenticate(jinan_regulator())

    assert api.get(f"{STATS}/access?region=370200").status_code == 400
    assert api.get(f"{STATS}/access?region=999999").status_code == 400
    narrowed = api.get(f"{STATS}/access?region=370102").json()
    assert narrowed["region"] == "370102" and narrowed["total"]["points_connected"] == 2


# Alarm summary --------------------------------------------------------------------------------------------------------


def test_alarm_summary_counts_raised_cleared_active_handled_and_long_uncleared(world, t0):
    normal, alarming, _silent = world["points"]
    feed(normal, [90, 60], t0 + dt.timedelta(minutes=2))  # raised and cleared
    services.record_handling(None, Alarm.objects.get(point=normal), cause="c", measures="m", result="r")
    Alarm.objects.filter(point=alarming).update(started_at=t0 - dt.timedelta(hours=30))  # long uncleared
    user, now = jinan_regulator(), t0 + dt.timedelta(minutes=10)

    by_point = statistics.alarm_summary(user, since=t0 - dt.timedelta(days=2), until=now, group_by="point", now=now)

    rows = {r["key"]: r for r in by_point["rows"]}
    assert set(rows) == {normal.pk, alarming.pk}  # not Qingdao's
    assert rows[normal.pk] == {
        "key": normal.pk,
        "name": "温度",
        "code": "TI-1",
        "enterprise_id": world["lixia"].pk,
        "enterprise_name": world["lixia"].name,
        "raised": 1,
        "cleared": 1,
        "active": 0,
        "handled": 1,
        "unhandled": 0,
        "long_uncleared": 0,
    }
    assert rows[alarming.pk]["active"] == 1 and rows[alarming.pk]["long_uncleared"] == 1
    total = by_point["total"]
    assert (total["raised"], total["cleared"], total["active"], total["unhandled"]) == (2, 1, 1, 1)
    by_region = statistics.alarm_summary(user, since=t0 - dt.timedelta(days=2), until=now, now=now)
    assert {r["key"]: r["raised"] for r in by_region["rows"]}["370102"] == 2 and by_region["total"]["raised"] == 2
    by_enterprise = statistics.alarm_summary(user, since=t0 - dt.timedelta(days=2), until=now, group_by="enterprise")
    assert [(r["key"], r["raised"]) for r in by_enterprise["rows"]] == [(world["lixia"].pk, 2)]
    later = statistics.alarm_summary(user, since=now, until=now + dt.timedelta(hours=1), group_by="industry")
    assert later["total"]["raised"] == 0 and later["total"]["cleared"] == 0


def test_alarm_statistics_api_answers_with_counts_and_refuses_bad_input(api, world):
    api.force_authenticate(jinan_regulator())

    response = api.get(f"{STATS}/alarms?group_by=enterprise")

    assert response.status_code == 200, response.content
    assert response.json()["total"]["raised"] == 1
    assert api.get(f"{STATS}/alarms?group_by=facility").json().keys() == {"group_by"}
    assert api.get(f"{STATS}/alarms?since=yesterday").status_code == 400
    assert api.get(f"{STATS}/alarms?since=2025-02-30").status_code == 400
    assert api.get(f"{STATS}/alarms?since=2025-03-02&until=2025-03-01").json().keys() == {"until"}
    assert api.get(f"{STATS}/alarms?since=2023-01-01&until=2025-01-01").status_code == 400
    assert api.get(f"{STATS}/alarms?since=2025-03-01&until=2025-03-01").status_code == 200  # one whole day


def test_statistics_need_the_right_to_view_points(api, world):
    api.force_authenticate(user_with_role("service_provider_staff"))

    assert api.get(f"{STATS}/access").status_code == 403
    assert api.get(f"{STATS}/alarms").status_code == 403
    assert api.get(f"{STATS}/online-rates").status_code == 403


# Online rates ---------------------------------------------------------------------------------------------------------

DAY = dt.date(2025, 3, 10)


def at(day: dt.date, hour: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), BEIJING)


def transitions(subject, subject_id, ent, *marks):
    OnlineTransition.objects.bulk_create(
        [
            OnlineTransition(subject=subject, subject_id=subject_id, enterprise=ent, ts=ts, online=online)
            for ts, online in marks
        ]
    )


def connected(ent, online=True):
    EnterpriseLink.objects.create(enterprise=ent, online=online, first_data_at=at(DAY - dt.timedelta(days=30)))


@pytest.fixture
def half_day_offline():
    """A Lixia enterprise online all along except 12:00–24:00 of DAY."""
    ent = enterprise("370102")
    make_point(ent)
    connected(ent)
    next_day = DAY + dt.timedelta(days=1)
    transitions("enterprise", ent.pk, ent, (at(DAY), True), (at(DAY, 12), False), (at(next_day), True))
    return ent


def test_given_offline_half_a_day_when_online_rates_then_half_that_day_and_full_the_next(half_day_offline):
    rates = statistics.online_rates(
        jinan_regulator(), since=DAY, until=DAY + dt.timedelta(days=1), now=at(DAY + dt.timedelta(days=5))
    )

    total = rates["total"]
    assert [(d["day"], d["online_rate"], d["observed_s"]) for d in total["days"]] == [
        ("2025-03-10", 0.5, 86400),
        ("2025-03-11", 1.0, 86400),
    ]
    assert total["online_rate"] == 0.75
    assert (total["should_connect"], total["connected"], total["online"], total["connection_rate"]) == (1, 1, 1, 1.0)
    assert rates["rows"] == []


def test_status_before_the_range_carries_in_and_the_last_day_stops_at_now(half_day_offline):
    ent = enterprise("370102")
    make_point(ent)
    # online since five days before, offline from 06:00 on DAY, never back
    transitions("enterprise", ent.pk, ent, (at(DAY - dt.timedelta(days=5)), True), (at(DAY, 6), False))

    rates = statistics.online_rates(jinan_regulator(), since=DAY, until=DAY, now=at(DAY, 18))

    day = rates["total"]["days"][0]
    # first enterprise: online 0–12 of 18 h observed; second: online 0–6 of 18 h
    assert (day["online_s"], day["observed_s"], day["subjects"]) == (18 * 3600, 36 * 3600, 2)
    assert rates["total"]["should_connect"] == 2 and rates["total"]["connected"] == 1


def test_shut_down_enterprises_and_shutdown_days_are_left_out(half_day_offline):
    suspended = enterprise("370102", status="suspended")
    make_point(suspended)
    transitions("enterprise", suspended.pk, suspended, (at(DAY), False))
    stopped = enterprise("370102")
    make_point(stopped)
    transitions("enterprise", stopped.pk, stopped, (at(DAY), False))
    Shutdown.objects.create(enterprise=stopped, starts_on=DAY, ends_on=DAY, reason="检修")

    rates = statistics.online_rates(jinan_regulator(), since=DAY, until=DAY + dt.timedelta(days=1), now=at(DAY, 0))
    assert rates["total"]["days"][0]["online_rate"] is None  # nothing observed before "now"

    rates = statistics.online_rates(
        jinan_regulator(), since=DAY, until=DAY + dt.timedelta(days=1), now=at(DAY + dt.timedelta(days=3))
    )
    first, second = rates["total"]["days"]
    assert first["online_rate"] == 0.5 and first["subjects"] == 1  # the stopped one's shutdown day is left out
    assert second["online_rate"] == 0.5 and second["subjects"] == 2  # back in the count, offline
    assert rates["total"]["should_connect"] == 2  # the suspended enterprise does not have to connect


def test_online_rates_of_points_by_region_and_by_industry(half_day_offline):
    point = make_point(half_day_offline, "TI-9")
    transitions("point", point.pk, half_day_offline, (at(DAY), True), (at(DAY, 18), False))
    qingdao = enterprise("370211")
    far = make_point(qingdao)
    transitions("point", far.pk, qingdao, (at(DAY), False))
    user, now = jinan_regulator(), at(DAY + dt.timedelta(days=1))

    by_region = statistics.online_rates(user, subject="point", since=DAY, until=DAY, group_by="region", now=now)
    by_industry = statistics.online_rates(user, subject="point", since=DAY, until=DAY, group_by="industry", now=now)

    lixia = {r["key"]: r for r in by_region["rows"]}["370102"]
    assert lixia["online_rate"] == 0.75 and lixia["days"][0]["subjects"] == 1
    assert by_region["total"]["online_rate"] == 0.75  # Qingdao's point is out of scope
    chemicals = {r["key"]: r for r in by_industry["rows"]}["hazardous_chemicals"]
    assert chemicals["online_rate"] == 0.75 and by_industry["total"]["online_rate"] == 0.75


def test_online_rates_api_validates_its_parameters(api, half_day_offline):
    api.force_authenticate(jinan_regulator())

    ok = api.get(f"{STATS}/online-rates?since=2025-03-10&until=2025-03-11&subject=enterprise&group_by=region")
    assert ok.status_code == 200, ok.content
    body = ok.json()
    assert body["total"]["days"][0]["online_rate"] == 0.5
    assert {r["key"] for r in body["rows"]} >= {"370102", "370112"}
    assert api.get(f"{STATS}/online-rates?subject=camera").json().keys() == {"subject"}
    assert api.get(f"{STATS}/online-rates?group_by=point").json().keys() == {"group_by"}
    assert api.get(f"{STATS}/online-rates?since=2025-03-10T00:00").json().keys() == {"since"}
    assert api.get(f"{STATS}/online-rates?since=2024-01-01&until=2025-03-01").json().keys() == {"until"}
    assert api.get(f"{STATS}/online-rates?since=2025-03-02&until=2025-03-01").status_code == 400


def test_online_rates_default_to_the_last_thirty_days(api, half_day_offline):
    api.force_authenticate(user_with_role("enterprise_admin", half_day_offline.organisation))

    body = api.get(f"{STATS}/online-rates").json()

    assert len(body["total"]["days"]) == 30 and body["until"] == statistics.beijing_today().isoformat()
    assert body["total"]["should_connect"] == 1

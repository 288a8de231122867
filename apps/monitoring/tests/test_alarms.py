"""Alarms from stored readings: raise, escalate, clear, one alarm for flapping input, late readings."""

import datetime as dt

import pytest

from apps.enterprises.tests.factories import enterprise
from apps.facilities.models import Facility
from apps.monitoring.models import Alarm, IngestBatch, MeasurementKind, MonitoringPoint, PointState
from apps.monitoring.processing import process_batch
from apps.monitoring.tests.factories import feed as store_and_process
from apps.monitoring.tests.factories import temperature_point

pytestmark = pytest.mark.django_db
T0 = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(hours=1)


@pytest.fixture
def point():
    return temperature_point(high=80, high_high=90, deadband=2)


def feed(point, values, start=T0, every_s=10):
    return store_and_process(point, values, start, every_s)


def test_alarm_raises_escalates_de_escalates_and_clears_with_its_history(point):
    feed(point, [70, 82, 95, 99, 85, 70])
    alarm = Alarm.objects.get()
    assert not alarm.is_active and alarm.side == "high" and alarm.peak_value == 99
    assert alarm.started_at == T0 + dt.timedelta(seconds=10) and alarm.ended_at == T0 + dt.timedelta(seconds=50)
    assert [(e.event, e.level) for e in alarm.events.all()] == [
        ("raised", "high"),
        ("escalated", "high_high"),
        ("de-escalated", "high"),
        ("cleared", "high"),
    ]
    assert PointState.objects.get(point=point).level == "normal"


def test_flapping_input_gives_one_alarm(point):
    feed(point, [79, 80.5, 79.5, 80.2, 79.1, 80.4, 79.6, 70])
    assert Alarm.objects.count() == 1 and not Alarm.objects.get().is_active


def test_an_active_alarm_continues_across_batches_and_one_per_side(point):
    feed(point, [70, 85])
    feed(point, [86, 88], start=T0 + dt.timedelta(minutes=5))
    alarm = Alarm.objects.get()
    assert alarm.is_active and alarm.peak_value == 88 and alarm.last_value == 88
    point.low = 10
    point.save()
    feed(point, [5], start=T0 + dt.timedelta(minutes=10))  # straight from high to low
    assert Alarm.objects.filter(is_active=True).get().side == "low"
    assert Alarm.objects.get(side="high").ended_at == T0 + dt.timedelta(minutes=10)


def test_late_readings_are_stored_but_do_not_move_the_state(point):
    feed(point, [70, 85], start=T0 + dt.timedelta(minutes=10))
    feed(point, [50], start=T0)  # older than what the point has evaluated
    assert Alarm.objects.get().is_active
    assert PointState.objects.get(point=point).value == 85


def test_switch_point_alarms_on_its_abnormal_state(point):
    switch = MonitoringPoint.objects.create(
        enterprise=point.enterprise,
        facility=point.facility,
        code="XS-1",
        name="紧急切断阀",
        kind=MeasurementKind.objects.filter(signal="switch").first(),
        alarm_state=False,
    )
    feed(switch, [1, 0], every_s=5)
    alarm = Alarm.objects.get(point=switch)
    assert alarm.side == "state" and alarm.is_active


def test_processing_twice_changes_nothing(point):
    feed(point, [70, 85])
    batch = IngestBatch.objects.get()
    assert process_batch(batch.pk) == 0
    assert Alarm.objects.count() == 1


def test_alarm_centre_scoped_with_handling_by_the_enterprise(api, point):
    from apps.accounts.tests.factories import regulator, user_with_role

    feed(point, [70, 85])
    other = enterprise("370211")
    facility = Facility.objects.create(enterprise=other, kind=point.facility.kind, code="TF", name="罐区")
    far = MonitoringPoint.objects.create(
        enterprise=other, facility=facility, code="TI-Q", name="温度", kind=point.kind, high=80
    )
    feed(far, [90])
    alarm = Alarm.objects.get(point=point)
    api.force_authenticate(user_with_role("regulator_staff", regulator("370100")))
    listed = api.get("/api/v1/alarms/?active=true&handled=false").json()["results"]
    assert [a["id"] for a in listed] == [alarm.pk]
    assert api.get(f"/api/v1/alarms/{alarm.pk}/").json()["events"][0]["event"] == "raised"
    assert (
        api.post(
            f"/api/v1/alarms/{alarm.pk}/handling/", {"cause": "x", "measures": "y", "result": "z"}, format="json"
        ).status_code
        == 403
    )
    api.force_authenticate(user_with_role("control_room_duty_officer", point.enterprise.organisation))
    bad = api.post(f"/api/v1/alarms/{alarm.pk}/handling/", {"cause": "", "measures": "y", "result": "z"}, format="json")
    assert bad.status_code == 400
    ok = api.post(
        f"/api/v1/alarms/{alarm.pk}/handling/",
        {"cause": "冷却水中断", "measures": "恢复供水", "result": "温度回落"},
        format="json",
    )
    assert ok.status_code == 200 and ok.json()["handled_at"]
    api.force_authenticate(user_with_role("regulator_staff", regulator("370100")))
    assert api.get("/api/v1/alarms/?handled=true").json()["count"] == 1
    Alarm.objects.filter(pk=alarm.pk).update(started_at=T0 - dt.timedelta(hours=30))
    assert [a["id"] for a in api.get("/api/v1/alarms/?long_uncleared=true").json()["results"]] == [alarm.pk]


def test_a_silent_point_goes_offline_and_data_brings_it_back(point):
    from django.utils import timezone

    from apps.monitoring.processing import detect_offline

    point.period_s = 60
    point.save()
    feed(point, [50])
    now = timezone.now()
    PointState.objects.filter(point=point).update(received_at=now - dt.timedelta(seconds=100))
    assert detect_offline(now) == 0  # under 3 periods
    PointState.objects.filter(point=point).update(received_at=now - dt.timedelta(seconds=200))
    assert detect_offline(now) == 1
    assert detect_offline(now) == 0  # one active offline alarm, not one per run
    offline = Alarm.objects.get(side="offline")
    assert offline.is_active
    feed(point, [51], start=T0 + dt.timedelta(minutes=30))
    offline.refresh_from_db()
    assert not offline.is_active and offline.ended_at is not None


def test_shut_down_enterprises_are_not_reported_offline(point):
    from django.utils import timezone

    from apps.monitoring.processing import detect_offline

    feed(point, [50])
    PointState.objects.filter(point=point).update(received_at=timezone.now() - dt.timedelta(days=1))
    point.enterprise.status = "suspended"
    point.enterprise.save()
    assert detect_offline() == 0


def test_an_alarm_cleared_and_raised_again_in_the_next_batch(point):
    feed(point, [70, 85])
    feed(point, [70, 86, 87], start=T0 + dt.timedelta(minutes=5))
    assert Alarm.objects.filter(is_active=True).count() == 1
    assert Alarm.objects.filter(is_active=False).count() == 1

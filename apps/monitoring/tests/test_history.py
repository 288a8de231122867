"""A point's history for charts (raw, minute and hour resolution, capped) and the real-time status
list of points (constant queries)."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.accounts.tests.factories import regulator, user_with_role
from apps.enterprises.tests.factories import enterprise
from apps.monitoring import statistics
from apps.monitoring.models import Alarm
from apps.monitoring.storage import refresh_hour_rollups
from apps.monitoring.tests.factories import feed
from apps.monitoring.tests.test_statistics import make_point

pytestmark = pytest.mark.django_db

POINTS = "/api/v1/monitoring-points"


@pytest.fixture
def t0():
    # on a whole hour: six readings 10 s apart fill exactly one minute, and two minutes one hour
    return timezone.now().replace(minute=0, second=0, microsecond=0) - dt.timedelta(hours=1)


@pytest.fixture
def point(t0):
    point = make_point(enterprise("370102"), range_low=0, range_high=100, low=10)
    feed(point, [50, 52, 54, 56, 58, 60, 40, 41, 42, 43, 44, 45], t0)  # two minutes of readings
    return point


def test_given_range_up_to_six_hours_then_raw_readings(point, t0):
    history = statistics.point_history(point, t0 - dt.timedelta(minutes=1), t0 + dt.timedelta(hours=1))

    assert history["resolution"] == "raw" and history["bucket_s"] is None
    assert len(history["series"]) == 12
    ts, avg, low, high, n = history["series"][0]
    assert dt.datetime.fromisoformat(ts) == t0 and ts.endswith("+08:00") and (avg, low, high, n) == (50, 50, 50, 1)
    assert history["limits"] == {
        "range_low": 0,
        "range_high": 100,
        "low_low": None,
        "low": 10,
        "high": 80,
        "high_high": None,
    }
    assert history["unit"] == point.unit


def test_given_range_of_a_day_then_minute_rollups(point, t0):
    history = statistics.point_history(point, t0 - dt.timedelta(hours=12), t0 + dt.timedelta(hours=12))

    assert history["resolution"] == "minute" and history["bucket_s"] == 60
    assert [row[1:] for row in history["series"]] == [[55.0, 50.0, 60.0, 6], [42.5, 40.0, 45.0, 6]]


def test_given_range_over_seven_days_then_hour_rollups(point, t0):
    refresh_hour_rollups()

    history = statistics.point_history(point, t0 - dt.timedelta(days=20), t0 + dt.timedelta(days=1))

    assert history["resolution"] == "hour" and history["bucket_s"] == 3600
    assert [row[1:] for row in history["series"]] == [[48.75, 40.0, 60.0, 12]]


def test_given_more_values_than_the_cap_then_coarser_buckets(point, t0):
    raw = statistics.point_history(point, t0, t0 + dt.timedelta(hours=1), max_points=10)
    assert raw["resolution"] == "minute" and raw["bucket_s"] == 600  # 12 readings > 10: 10-minute buckets
    assert [row[1:] for row in raw["series"]] == [[48.75, 40.0, 60.0, 12]]

    week = statistics.point_history(point, t0 - dt.timedelta(days=6), t0 + dt.timedelta(days=1), max_points=100)
    assert week["resolution"] == "minute" and week["bucket_s"] == 7200  # 7 days / 100 → 2 h buckets
    assert [row[1:] for row in week["series"]] == [[48.75, 40.0, 60.0, 12]]


def test_history_api_scoped_and_validated(api, point, t0):
    api.force_authenticate(user_with_role("regulator_staff", regulator("370100")))
    since, until = (t0 - dt.timedelta(minutes=1)).isoformat(), (t0 + dt.timedelta(hours=1)).isoformat()

    response = api.get(f"{POINTS}/{point.pk}/history", {"since": since, "until": until})

    assert response.status_code == 200, response.content
    assert response.json()["resolution"] == "raw" and len(response.json()["series"]) == 12
    assert api.get(f"{POINTS}/{point.pk}/history").json()["resolution"] == "minute"  # default: the last 24 h
    assert api.get(f"{POINTS}/{point.pk}/history?since=soon").json().keys() == {"since"}
    assert api.get(f"{POINTS}/{point.pk}/history?since=2025-03-02&until=2025-03-01").status_code == 400
    assert api.get(f"{POINTS}/{point.pk}/history?since=2023-01-01&until=2025-03-01").status_code == 400
    api.force_authenticate(user_with_role("regulator_staff", regulator("370200")))
    assert api.get(f"{POINTS}/{point.pk}/history").status_code == 404


# Real-time status ------------------------------------------------------------------------------------------------------


def test_status_lists_latest_value_level_online_limits_and_active_alarm(api, point, t0):
    hot = make_point(point.enterprise, "TI-2")
    feed(hot, [70, 85], t0)
    silent = make_point(point.enterprise, "TI-3")
    api.force_authenticate(user_with_role("control_room_duty_officer", point.enterprise.organisation))

    rows = {r["code"]: r for r in api.get(f"{POINTS}/status?enterprise={point.enterprise.pk}").json()["results"]}

    assert rows["TI-1"]["value"] == 45 and rows["TI-1"]["level"] == "normal" and rows["TI-1"]["online"] is True
    assert rows["TI-1"]["active_alarm"] is None and rows["TI-1"]["limits"]["range_high"] == 100
    alarm = Alarm.objects.get(point=hot)
    assert rows["TI-2"]["active_alarm"] == alarm.pk and rows["TI-2"]["active_alarm_level"] == "high"
    assert rows["TI-2"]["level"] == "high" and dt.datetime.fromisoformat(rows["TI-2"]["ts"]) == t0 + dt.timedelta(
        seconds=10
    )
    assert rows[silent.code]["value"] is None and rows[silent.code]["online"] is False
    facility = api.get(f"{POINTS}/status?facility={point.facility_id}").json()
    assert facility["count"] == 3


def test_status_query_count_does_not_grow_with_points(api, point, t0, django_assert_max_num_queries):
    api.force_authenticate(user_with_role("regulator_staff", regulator("370100")))
    api.get(f"{POINTS}/status")  # warm the permission cache
    with CaptureQueriesContext(connection) as one:
        assert api.get(f"{POINTS}/status").json()["count"] == 1
    baseline = len(one)
    for n in range(2, 22):
        other = make_point(point.enterprise, f"TI-{n}")
        if n % 5 == 0:
            feed(other, [70, 90], t0)

    with django_assert_max_num_queries(baseline):
        response = api.get(f"{POINTS}/status?page_size=100")

    assert response.json()["count"] == 21
    assert sum(1 for r in response.json()["results"] if r["active_alarm"]) == 4

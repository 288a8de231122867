"""Maintenance and calibration windows (检维修/标定): enterprises declare and cancel them for their
own points and facilities, regulators list those of their jurisdiction, alarms inside are shelved."""

import datetime as dt

import pytest
from django.utils import timezone

from apps.accounts.tests.factories import regulator, user_with_role
from apps.enterprises.tests.factories import enterprise
from apps.monitoring.models import Alarm, MaintenanceWindow
from apps.monitoring.tests.factories import feed
from apps.monitoring.tests.test_statistics import make_point

pytestmark = pytest.mark.django_db

WINDOWS = "/api/v1/maintenance-windows/"


@pytest.fixture
def point():
    return make_point(enterprise("370102"))


@pytest.fixture
def admin(point):
    return user_with_role("enterprise_safety_manager", point.enterprise.organisation)


def window(target, hours=(0, 4), **extra):
    now = timezone.now()
    return {
        **target,
        "starts_at": (now + dt.timedelta(hours=hours[0])).isoformat(),
        "ends_at": (now + dt.timedelta(hours=hours[1])).isoformat(),
        "reason": "calibration",
        "note": " 标定 ",
        **extra,
    }


def test_given_safety_manager_when_declaring_for_a_point_then_201_and_alarms_inside_are_shelved(api, point, admin):
    api.force_authenticate(admin)

    response = api.post(WINDOWS, window({"point": point.pk}, hours=(-1, 4)), format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["enterprise"] == point.enterprise.pk and body["point_code"] == point.code and body["is_active"]
    assert body["note"] == "标定" and body["facility"] is None and body["created_by_name"] == admin.username
    feed(point, [70, 90], timezone.now() - dt.timedelta(minutes=5))
    assert Alarm.objects.get(point=point).shelved


def test_a_facility_window_covers_its_points(api, point, admin):
    api.force_authenticate(admin)

    response = api.post(WINDOWS, window({"facility": point.facility_id}, hours=(-1, 4)), format="json")

    assert response.status_code == 201, response.content
    feed(point, [70, 90], timezone.now() - dt.timedelta(minutes=5))
    assert Alarm.objects.get(point=point).shelved


@pytest.mark.parametrize(
    ("target", "hours", "field"),
    [
        ({}, (0, 4), "point"),  # neither point nor facility
        ({"point": "self"}, (4, 2), "ends_at"),  # ends before it starts
        ({"point": "self"}, (0, 31 * 24), "ends_at"),  # longer than 30 days
        ({"point": "self"}, (-10, -5), "ends_at"),  # already over
        ({"point": "other"}, (0, 4), "point"),  # another enterprise's point: unknown
        ({"facility": "other"}, (0, 4), "facility"),
        ({"point": "self", "facility": "other"}, (0, 4), "facility"),
    ],
)
def test_invalid_windows_are_refused_with_the_field(api, point, admin, target, hours, field):
    other = make_point(enterprise("370102"))
    ids = {
        "point": {"self": point.pk, "other": other.pk},
        "facility": {"self": point.facility_id, "other": other.facility_id},
    }
    api.force_authenticate(admin)

    response = api.post(WINDOWS, window({k: ids[k][v] for k, v in target.items()}, hours=hours), format="json")

    assert response.status_code == 400 and field in response.json(), response.content
    assert not MaintenanceWindow.objects.exists()


def test_a_point_on_another_facility_of_the_same_enterprise_is_refused(api, point, admin):
    from apps.facilities.models import Facility

    elsewhere = Facility.objects.create(
        enterprise=point.enterprise, kind=point.facility.kind, code="TF2", name="二罐区"
    )
    api.force_authenticate(admin)

    response = api.post(WINDOWS, window({"point": point.pk, "facility": elsewhere.pk}), format="json")

    assert response.status_code == 400 and "point" in response.json()


def test_roles_without_the_right_cannot_declare(api, point):
    api.force_authenticate(user_with_role("control_room_duty_officer", point.enterprise.organisation))
    assert api.post(WINDOWS, window({"point": point.pk}), format="json").status_code == 403
    api.force_authenticate(user_with_role("regulator_staff", regulator("370100")))
    assert api.post(WINDOWS, window({"point": point.pk}), format="json").status_code == 403


def test_regulators_list_their_jurisdiction_with_filters_and_enterprises_cancel(
    api, point, admin, django_assert_max_num_queries
):
    api.force_authenticate(admin)
    current = api.post(WINDOWS, window({"point": point.pk}, hours=(-1, 4)), format="json").json()
    later = api.post(WINDOWS, window({"facility": point.facility_id}, hours=(48, 50)), format="json").json()
    qingdao = make_point(enterprise("370211"))
    MaintenanceWindow.objects.create(
        enterprise=qingdao.enterprise,
        point=qingdao,
        starts_at=timezone.now(),
        ends_at=timezone.now() + dt.timedelta(hours=1),
    )
    jinan = user_with_role("regulator_staff", regulator("370100"))
    api.force_authenticate(jinan)
    api.get(WINDOWS)  # warm the permission cache

    with django_assert_max_num_queries(4):
        listed = api.get(WINDOWS).json()

    assert [w["id"] for w in listed["results"]] == [later["id"], current["id"]]
    assert [w["id"] for w in api.get(f"{WINDOWS}?active=true").json()["results"]] == [current["id"]]
    since = (timezone.now() + dt.timedelta(hours=24)).isoformat()
    assert [w["id"] for w in api.get(WINDOWS, {"since": since}).json()["results"]] == [later["id"]]
    assert api.get(f"{WINDOWS}?enterprise={qingdao.enterprise.pk}").json()["count"] == 0
    assert api.post(f"{WINDOWS}{current['id']}/cancel/").status_code == 403  # regulators only read
    api.force_authenticate(user_with_role("regulator_staff", regulator("370200")))
    assert api.get(f"{WINDOWS}{current['id']}/").status_code == 404

    api.force_authenticate(admin)
    cancelled = api.post(f"{WINDOWS}{current['id']}/cancel/")
    assert cancelled.status_code == 200 and cancelled.json()["cancelled"] and not cancelled.json()["is_active"]
    assert api.patch(f"{WINDOWS}{current['id']}/", {"note": "x"}, format="json").status_code == 409
    moved = api.patch(
        f"{WINDOWS}{later['id']}/", {"ends_at": (timezone.now() + dt.timedelta(days=40)).isoformat()}, format="json"
    )
    assert moved.status_code == 400 and "ends_at" in moved.json()

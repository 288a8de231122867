"""Online patrol: spot-check records (INS-07), the per-industry patrol views and one-screen summary
(INS-04/05), and grid-based supervision assignments (RSK-16) — with scoping and bad input."""

import datetime as dt

import pytest
from django.utils import timezone

from apps.accounts.tests.factories import regulator, user_with_role
from apps.enterprises.tests.factories import enterprise
from apps.monitoring.tests.factories import feed, temperature_point
from apps.risk.models import SpotCheck
from apps.risk.services import grading

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    steel = enterprise("370102", industries=("steel",))
    other_county = enterprise("370211", industries=("steel",))
    point = temperature_point(code="TI-S")
    point.enterprise.industries.set(steel.industries.all())
    feed(point, [20, 95, 96], start=timezone.now() - dt.timedelta(minutes=5))  # an active alarm
    grading.regrade()
    return {
        "steel": steel,
        "alarming": point.enterprise,
        "other": other_county,
        "county": user_with_role("regulator_staff", regulator("370102")),
        "province_admin": user_with_role("regulator_admin", regulator("370000")),
        "ent": user_with_role("enterprise_admin", steel.organisation),
    }


def test_a_spot_check_is_recorded_and_listed_by_inspector_and_date(api, world):
    api.force_authenticate(world["county"])
    response = api.post(
        "/api/v1/spot-checks",
        {
            "enterprise": world["steel"].pk,
            "kind": "equipment",
            "viewed": ["risk", "alarms", "video:37010200001320000001"],
            "findings": "煤气区域CO报警未处置",
            "follow_up": "rectify",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["inspector"] == world["county"].pk
    today = timezone.localdate().isoformat()
    listed = api.get(f"/api/v1/spot-checks?inspector={world['county'].pk}&since={today}").json()
    assert [row["findings"] for row in listed["results"]] == ["煤气区域CO报警未处置"]
    coverage = api.get("/api/v1/spot-checks/coverage?by=inspector").json()
    assert coverage["rows"][0]["checks"] == 1 and coverage["rows"][0]["follow_ups"] == 1
    assert coverage["enterprises_covered"] == 1 and coverage["enterprises_in_scope"] >= 2


def test_bad_spot_checks_are_refused_with_field_errors(api, world):
    api.force_authenticate(world["county"])
    response = api.post(
        "/api/v1/spot-checks",
        {"enterprise": world["steel"].pk, "viewed": ["nonsense"], "follow_up": "rectify", "findings": ""},
        format="json",
    )
    assert response.status_code == 400
    assert {"viewed", "findings"} <= set(response.json())
    out_of_scope = api.post("/api/v1/spot-checks", {"enterprise": world["other"].pk}, format="json")
    assert out_of_scope.status_code in (400, 404)
    api.force_authenticate(world["ent"])  # enterprises do not spot-check
    assert api.post("/api/v1/spot-checks", {"enterprise": world["steel"].pk}, format="json").status_code == 403


def test_patrol_search_and_one_screen(api, world, django_assert_max_num_queries):
    api.force_authenticate(world["county"])
    with django_assert_max_num_queries(8):
        rows = api.get("/api/v1/patrol/steel/enterprises").json()["results"]
    assert {r["id"] for r in rows} == {world["steel"].pk, world["alarming"].pk}  # not the other county's
    alarming = api.get("/api/v1/patrol/steel/enterprises?alarming=true").json()["results"]
    assert [r["id"] for r in alarming] == [world["alarming"].pk] and alarming[0]["active_alarms"] == 1
    assert api.get("/api/v1/patrol/steel/enterprises?level=9").status_code == 400
    assert api.get("/api/v1/patrol/steel/enterprises?online=maybe").status_code == 400
    assert api.get("/api/v1/patrol/nonsense/enterprises").status_code == 404
    screen = api.get(f"/api/v1/patrol/steel/enterprises/{world['alarming'].pk}/one-screen").json()
    assert set(screen) >= {"risk", "online", "devices", "alarms", "warnings"}
    assert screen["alarms"]["active"] == 1 and screen["devices"]["points"] == 1 and screen["online"]["online"]
    assert api.get(f"/api/v1/patrol/steel/enterprises/{world['other'].pk}/one-screen").status_code == 404
    assert api.get("/api/v1/patrol/steel/alarms?q=温度").json()["count"] == 1
    assert api.get("/api/v1/patrol/steel/equipment").status_code == 200
    assert api.get("/api/v1/patrol/aluminium_casting/equipment?kind=casting_well").status_code == 200
    assert api.get("/api/v1/patrol/steel/videos").status_code == 200
    assert api.get("/api/v1/patrol/steel/warnings?q=x").status_code == 200
    api.force_authenticate(world["ent"])
    assert api.get("/api/v1/patrol/steel/enterprises").status_code == 403


def test_supervision_assignment_puts_risks_in_a_departments_list(api, world):
    from apps.risk.models import EnterpriseRisk

    level = EnterpriseRisk.objects.get(enterprise=world["alarming"]).level
    department = regulator("370102")
    staff = user_with_role("regulator_staff", department)
    api.force_authenticate(world["province_admin"])
    response = api.post(
        "/api/v1/risk/supervision-assignments",
        {"region": "370102", "industry": "steel", "level": level, "department": department.pk},
        format="json",
    )
    assert response.status_code == 201, response.json()
    bad = api.post(
        "/api/v1/risk/supervision-assignments",
        {"region": "999999", "industry": "x", "level": 7, "department": 0},
        format="json",
    )
    assert bad.status_code == 400 and {"level"} <= set(bad.json())
    api.force_authenticate(staff)
    mine = api.get("/api/v1/my/supervised-risks").json()["results"]
    assert world["alarming"].pk in {row["enterprise"] for row in mine}
    assert world["other"].pk not in {row["enterprise"] for row in mine}
    api.force_authenticate(world["county"])  # staff may not assign
    response = api.post(
        "/api/v1/risk/supervision-assignments",
        {"region": "370102", "level": 1, "department": department.pk},
        format="json",
    )
    assert response.status_code == 403
    assert SpotCheck.objects.count() == 0


def test_an_incident_recorded_by_a_regulator_counts_in_the_accidents_indicator(api, world):
    from apps.risk.models import EnterpriseRisk

    api.force_authenticate(world["county"])
    today = timezone.localdate()
    response = api.post(
        "/api/v1/risk/incidents",
        {"enterprise": world["steel"].pk, "occurred_on": today.isoformat(), "kind": "accident", "severity": "general"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    bad = api.post(
        "/api/v1/risk/incidents",
        {
            "enterprise": world["steel"].pk,
            "occurred_on": (today + dt.timedelta(days=2)).isoformat(),
            "kind": "accident",
        },
        format="json",
    )
    assert bad.status_code == 400 and {"occurred_on", "severity"} <= set(bad.json())
    grading.regrade([world["steel"].pk])
    breakdown = {r["code"]: r for r in EnterpriseRisk.objects.get(enterprise=world["steel"]).assessment.breakdown}
    assert breakdown["management.accidents"]["value"] == 1 and breakdown["management.accidents"]["score"] == 70
    assert api.get(f"/api/v1/risk/incidents?enterprise={world['steel'].pk}").json()["count"] == 1
    api.force_authenticate(world["ent"])  # the enterprise sees its own, cannot record
    assert api.get("/api/v1/risk/incidents").json()["count"] == 1
    assert api.post("/api/v1/risk/incidents", {}, format="json").status_code in (400, 403)


def test_warning_deadlines_are_read_by_regulators_and_changed_by_provincial_admins(api, world):
    api.force_authenticate(world["county"])
    policies = api.get("/api/v1/risk/warning-policies").json()
    assert [p["level"] for p in policies] == [1, 2, 3, 4] and policies[0]["feedback_hours"] == 4
    assert api.patch("/api/v1/risk/warning-policies/3", {"raises_warning": False}, format="json").status_code == 403
    api.force_authenticate(world["province_admin"])
    changed = api.patch(
        "/api/v1/risk/warning-policies/3", {"raises_warning": False, "feedback_hours": 48}, format="json"
    )
    assert changed.status_code == 200 and changed.json()["raises_warning"] is False
    assert changed.json()["feedback_hours"] == 48
    bad = api.patch("/api/v1/risk/warning-policies/3", {"feedback_hours": 0, "colour": "x"}, format="json")
    assert bad.status_code == 400 and {"feedback_hours", "colour"} <= set(bad.json())
    assert api.get("/api/v1/risk/warning-policies/9").status_code == 404
    api.force_authenticate(world["ent"])
    assert api.get("/api/v1/risk/warning-policies").status_code == 403

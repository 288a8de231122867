"""Enterprise base information (基础信息): codes, special information, shutdowns, annotations,
classified statistics (ENT-01) and base-data completeness (ANA-03)."""

import datetime as dt

import pytest
from django.utils import timezone

from apps.accounts.tests.factories import regulator, user_with_role
from apps.enterprises.models import OperatingStatus
from apps.enterprises.quality import completeness

from .factories import enterprise

pytestmark = pytest.mark.django_db


@pytest.fixture
def ent():
    return enterprise("370102", industries=["dust_explosion"])


@pytest.fixture
def ent_admin(ent):
    return user_with_role("enterprise_admin", ent.organisation)


def test_enterprise_maintains_its_base_information(api, ent, ent_admin):
    api.force_authenticate(ent_admin)
    response = api.patch(
        f"/api/v1/enterprises/{ent.pk}/",
        {
            "principal": "王强",
            "principal_phone": "13800000001",
            "scale": "above_designated",
            "employees": 320,
            "economic_type": "159",
            "supervision_level": "county",
            "dust_kinds": ["metal"],
            "dust_workers": 45,
            "special_info": {"dust_explosion": {"dust_sites": 3, "removal_type": "干式"}},
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["dust_workers"] == 45 and body["special_info"] == {
        "dust_explosion": {"dust_sites": 3, "removal_type": "dry"}
    }


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"scale": "huge"}, "scale"),
        ({"dust_kinds": ["moon_dust"]}, "dust_kinds"),
        ({"economic_type": "999"}, "economic_type"),
        ({"dust_workers": -3}, "dust_workers"),
        ({"province_code": "12345"}, "province_code"),
        ({"special_info": {"coal": {"mine_type": "underground"}}}, "special_info"),
        ({"special_info": {"dust_explosion": {"removal_type": "magic"}}}, "special_info.dust_explosion.removal_type"),
    ],
)
def test_bad_base_information_is_field_level_400(api, ent, ent_admin, payload, field):
    api.force_authenticate(ent_admin)
    response = api.patch(f"/api/v1/enterprises/{ent.pk}/", payload, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_regulator_reads_and_annotates_but_does_not_maintain(api, ent):
    staff = user_with_role("regulator_staff", regulator("370100"))
    api.force_authenticate(staff)
    assert api.patch(f"/api/v1/enterprises/{ent.pk}/", {"employees": 1}, format="json").status_code == 403
    note = api.post(f"/api/v1/annotations/?enterprise={ent.pk}", {"text": "粉尘清扫记录不全"}, format="json")
    assert note.status_code == 201 and note.json()["author"] == staff.username
    assert api.get(f"/api/v1/annotations/?enterprise={ent.pk}").json()["count"] == 1
    api.force_authenticate(user_with_role("enterprise_admin", ent.organisation))
    assert api.post(f"/api/v1/annotations/?enterprise={ent.pk}", {"text": "x"}, format="json").status_code == 403


def test_shutdown_suspends_and_its_end_restores(api, ent, ent_admin):
    api.force_authenticate(ent_admin)
    today = timezone.localdate()
    response = api.post(
        f"/api/v1/shutdowns/?enterprise={ent.pk}",
        {"starts_on": (today - dt.timedelta(days=2)).isoformat(), "reason": "设备检修"},
        format="json",
    )
    assert response.status_code == 201, response.content
    ent.refresh_from_db()
    assert ent.status == OperatingStatus.SUSPENDED
    overlap = api.post(
        f"/api/v1/shutdowns/?enterprise={ent.pk}", {"starts_on": today.isoformat(), "reason": "x"}, format="json"
    )
    assert overlap.status_code == 400 and "starts_on" in overlap.json()
    end = api.patch(
        f"/api/v1/shutdowns/{response.json()['id']}/",
        {"ends_on": (today - dt.timedelta(days=1)).isoformat()},
        format="json",
    )
    assert end.status_code == 200
    ent.refresh_from_db()
    assert ent.status == OperatingStatus.OPERATING
    assert (
        api.patch(f"/api/v1/shutdowns/{response.json()['id']}/", {"ends_on": "2000-01-01"}, format="json").status_code
        == 400
    )


def test_stats_by_region_industry_dust_band_and_scale_sum_to_total(api):
    for code, workers, scale in [
        ("370102", 5, "above_designated"),
        ("370102", 40, "below_designated"),
        ("370112", 120, "above_designated"),
        ("370112", None, ""),
    ]:
        e = enterprise(code, industries=["dust_explosion"])
        e.dust_workers, e.scale = workers, scale
        e.save()
    enterprise("370211")  # another city: out of scope
    api.force_authenticate(user_with_role("regulator_staff", regulator("370100")))
    region = api.get("/api/v1/enterprises/stats/?group_by=region").json()
    assert region["total"] == 4 and sum(r["count"] for r in region["rows"]) == 4
    assert {r["key"]: r["count"] for r in region["rows"] if r["count"]} == {"370102": 2, "370112": 2}
    bands = api.get("/api/v1/enterprises/stats/?group_by=dust_workers").json()["rows"]
    assert {r["key"]: r["count"] for r in bands} == {"1-9": 1, "10-29": 0, "30-99": 1, "100+": 1, None: 1}
    scale = api.get("/api/v1/enterprises/stats/?group_by=scale").json()["rows"]
    assert sum(r["count"] for r in scale) == 4
    industry = api.get("/api/v1/enterprises/stats/?group_by=industry").json()["rows"]
    assert {r["key"]: r["count"] for r in industry}["dust_explosion"] == 4
    filtered = api.get("/api/v1/enterprises/stats/?group_by=scale&dust_workers_min=30").json()
    assert filtered["total"] == 2
    assert api.get("/api/v1/enterprises/stats/?group_by=colour").status_code == 400


def test_filters_dust_kind_and_shandong_hazchem_scope(api):
    a = enterprise("370102", industries=["dust_explosion"])
    a.dust_kinds = ["metal", "wood"]
    a.save()
    b = enterprise("370102")
    b.hazchem_category = "production"
    b.save()
    c = enterprise("370102")
    c.hazchem_category = "operation_without_storage"
    c.save()
    api.force_authenticate(user_with_role("regulator_staff", regulator("370100")))
    assert [e["id"] for e in api.get("/api/v1/enterprises/?dust_kind=wood").json()["results"]] == [a.pk]
    assert [e["id"] for e in api.get("/api/v1/enterprises/?sd_hazchem=true").json()["results"]] == [b.pk]


def test_completeness_lists_missing_fields_and_the_quality_view_sorts_worst_first(api, ent):
    result = completeness(ent)
    assert result["score"] < 1
    missing = {m["field"] for m in result["missing"]}
    assert {"principal", "dust_kinds", "dust_workers", "scale"} <= missing
    full = enterprise("370102", industries=["gas_station"])
    for field, value in {
        "address": "地址",
        "legal_representative": "甲",
        "principal": "乙",
        "principal_phone": "1",
        "safety_manager": "丙",
        "safety_manager_phone": "2",
        "scale": "above_designated",
        "employees": 10,
        "economic_type": "159",
        "supervision_level": "county",
    }.items():
        setattr(full, field, value)
    full.save()
    assert completeness(full) == {"score": 1.0, "missing": [], "required": 12}
    api.force_authenticate(user_with_role("regulator_staff", regulator("370100")))
    rows = api.get("/api/v1/enterprises/quality/").json()["results"]
    assert rows[0]["id"] == ent.pk and rows[-1]["id"] == full.pk
    assert [r["id"] for r in api.get("/api/v1/enterprises/quality/?below=1").json()["results"]] == [ent.pk]

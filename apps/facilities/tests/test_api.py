"""Facilities: data-typed attributes, hierarchy, life-cycle, scoping, query counts."""

import pytest
from django.utils import timezone

from apps.accounts.tests.factories import regulator, user_with_role
from apps.enterprises.tests.factories import enterprise
from apps.facilities import services
from apps.facilities.models import Facility, FacilityKind, FacilityStatusChange

pytestmark = pytest.mark.django_db


@pytest.fixture
def ent():
    return enterprise("370102")


@pytest.fixture
def admin(ent):
    return user_with_role("enterprise_admin", ent.organisation)


def tank_farm(ent, code="TF-1"):
    return services.register_facility(
        None, enterprise=ent, kind=FacilityKind.objects.get(code="tank_farm"), code=code, name="甲醇罐区"
    )


def test_every_industry_has_facility_kinds_with_valid_schemas():
    from apps.core.attributes import check_schema

    industries = set()
    for kind in FacilityKind.objects.all():
        assert check_schema(kind.attributes) == [], kind.code
        industries.update(kind.industries)
        for parent in kind.parent_kinds:
            assert FacilityKind.objects.filter(code=parent).exists(), (kind.code, parent)
    assert industries >= {
        "hazardous_chemicals",
        "dust_explosion",
        "steel",
        "aluminium_casting",
        "coal",
        "fireworks",
        "gas_station",
    }


def test_enterprise_registers_a_tank_under_its_tank_farm(api, ent, admin):
    farm = tank_farm(ent)
    api.force_authenticate(admin)
    response = api.post(
        "/api/v1/facilities/",
        {
            "enterprise": ent.pk,
            "kind": "storage_tank",
            "parent": farm.pk,
            "code": "T-101",
            "name": "1号甲醇储罐",
            "attributes": {"medium": "甲醇", "capacity_m3": "5000", "design_pressure_mpa": 0.1},
            "location": [ent.location.x, ent.location.y],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["attributes"] == {"medium": "甲醇", "capacity_m3": 5000.0, "design_pressure_mpa": 0.1}
    assert body["parent"] == farm.pk and body["status"] == "in_service"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"attributes": {"capacity_m3": 10}}, "attributes.medium"),  # required attribute missing
        ({"attributes": {"medium": "甲醇", "capacity_m3": -5}}, "attributes.capacity_m3"),
        ({"attributes": {"medium": "甲醇", "capacity_m3": 5, "colour": "red"}}, "attributes.colour"),
        ({"kind": "no_such_kind"}, "kind"),
        ({"parent": "__workshop__"}, "parent"),  # a tank cannot sit under a workshop area
        ({"enterprise": "__other__"}, "enterprise"),
    ],
)
def test_bad_facility_input_is_field_level_400(api, ent, admin, payload, field):
    data = {
        "enterprise": ent.pk,
        "kind": "storage_tank",
        "code": "T-1",
        "name": "储罐",
        "attributes": {"medium": "甲醇", "capacity_m3": 100},
        **payload,
    }
    if data.get("parent") == "__workshop__":
        data["parent"] = services.register_facility(
            None,
            enterprise=ent,
            kind=FacilityKind.objects.get(code="hazardous_production_area"),
            code="A1",
            name="危险品生产区",
        ).pk
    if data.get("enterprise") == "__other__":
        data["enterprise"] = enterprise("370211").pk
    api.force_authenticate(admin)
    response = api.post("/api/v1/facilities/", data, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not Facility.objects.filter(code="T-1").exists()


def test_fireworks_workshop_requires_approved_persons_charge_and_use(api):
    ent = enterprise("370102", industries=["fireworks"])
    area = services.register_facility(
        None,
        enterprise=ent,
        kind=FacilityKind.objects.get(code="hazardous_production_area"),
        code="A1",
        name="危险品生产区",
    )
    api.force_authenticate(user_with_role("enterprise_admin", ent.organisation))
    response = api.post(
        "/api/v1/facilities/",
        {
            "enterprise": ent.pk,
            "kind": "workshop",
            "parent": area.pk,
            "code": "W1",
            "name": "1号工房",
            "attributes": {},
        },
        format="json",
    )
    assert response.status_code == 400
    assert {"attributes.approved_persons", "attributes.approved_charge_kg", "attributes.designed_use"} <= set(
        response.json()
    )


def test_duplicate_code_in_one_enterprise_is_400_but_fine_elsewhere(api, ent, admin):
    tank_farm(ent, "TF-9")
    api.force_authenticate(admin)
    response = api.post(
        "/api/v1/facilities/",
        {"enterprise": ent.pk, "kind": "tank_farm", "code": "TF-9", "name": "重复"},
        format="json",
    )
    assert response.status_code == 400 and "code" in response.json()
    other = enterprise("370103")
    assert tank_farm(other, "TF-9").pk


def test_life_cycle_stop_scrap_and_history(api, ent, admin):
    farm = tank_farm(ent)
    api.force_authenticate(admin)
    stop = api.post(
        f"/api/v1/facilities/{farm.pk}/status/",
        {"status": "stopped", "effective_on": "2026-10-01", "reason": "检修"},
        format="json",
    )
    assert stop.status_code == 201
    assert api.post(f"/api/v1/facilities/{farm.pk}/status/", {"status": "scrapped"}, format="json").status_code == 201
    again = api.post(f"/api/v1/facilities/{farm.pk}/status/", {"status": "in_service"}, format="json")
    assert again.status_code == 400  # scrapping is final
    history = api.get(f"/api/v1/facilities/{farm.pk}/history/").json()
    assert [h["status"] for h in history] == ["scrapped", "stopped"]
    assert FacilityStatusChange.objects.filter(facility=farm).count() == 2
    # The regulator sees the status.
    api.force_authenticate(user_with_role("regulator_staff", regulator("370100")))
    assert api.get(f"/api/v1/facilities/{farm.pk}/").json()["status"] == "scrapped"


def test_scoping_and_roles(api, ent):
    farm = tank_farm(ent)
    far = tank_farm(enterprise("370211"), "TF-Q")
    staff = user_with_role("regulator_staff", regulator("370100"))
    api.force_authenticate(staff)
    assert {f["id"] for f in api.get("/api/v1/facilities/").json()["results"]} == {farm.pk}
    assert api.get(f"/api/v1/facilities/{far.pk}/").status_code == 404
    assert api.patch(f"/api/v1/facilities/{farm.pk}/", {"name": "x"}, format="json").status_code == 403
    api.force_authenticate(user_with_role("enterprise_operator", ent.organisation))
    assert api.post(f"/api/v1/facilities/{farm.pk}/status/", {"status": "stopped"}, format="json").status_code == 403


def test_list_filters_and_query_count(api, ent, django_assert_max_num_queries):
    for n in range(15):
        tank_farm(ent, f"TF-{n}")
    services.register_facility(
        None,
        enterprise=ent,
        kind=FacilityKind.objects.get(code="loading_rack"),
        code="LR-1",
        name="装卸栈台",
        attributes={"media": "甲醇", "vehicle_type": "road_tanker"},
    )
    api.force_authenticate(user_with_role("regulator_staff", regulator("370100")))
    with django_assert_max_num_queries(6):
        body = api.get("/api/v1/facilities/?page_size=100").json()
    assert body["count"] == 16
    assert api.get("/api/v1/facilities/?kind=loading_rack").json()["count"] == 1
    assert api.get("/api/v1/facilities/?region=370102&industry=hazardous_chemicals").json()["count"] == 16
    assert api.get("/api/v1/facilities/?region=370200").json()["count"] == 0
    assert len(api.get("/api/v1/facility-kinds/?industry=fireworks").json()) >= 5


def test_wire_rope_records_set_the_next_inspection_and_reminders_list_due_ropes(api):
    import datetime as dt

    ent = enterprise("370102", industries=["aluminium_casting"])
    well = services.register_facility(
        None,
        enterprise=ent,
        kind=FacilityKind.objects.get(code="casting_well"),
        code="W1",
        name="1号铸造井",
        attributes={
            "well_depth_m": 8,
            "casting_machine_type": "wire_rope_winch",
            "has_quick_cutoff_valve": True,
            "has_emergency_drain_valve": True,
        },
    )
    rope = services.register_facility(
        None,
        enterprise=ent,
        kind=FacilityKind.objects.get(code="wire_rope"),
        code="R1",
        name="1号钢丝绳",
        parent=well,
        attributes={"core_type": "steel_core", "installed_on": "2026-01-01", "inspection_interval_days": 10},
    )
    admin = user_with_role("enterprise_admin", ent.organisation)
    api.force_authenticate(admin)
    due = api.get("/api/v1/facilities/ropes-due/").json()["results"]
    assert [r["id"] for r in due] == [rope.pk]  # never inspected
    today = timezone.localdate()
    response = api.post(
        f"/api/v1/facilities/{rope.pk}/rope-records/",
        {"action": "inspection", "performed_on": today.isoformat(), "passed": True},
        format="json",
    )
    assert response.status_code == 201 and response.json()["next_due_on"] == (today + dt.timedelta(days=10)).isoformat()
    assert api.get("/api/v1/facilities/ropes-due/").json()["results"] == []
    assert api.get("/api/v1/facilities/ropes-due/?within_days=30").json()["results"][0]["id"] == rope.pk
    failed = api.post(
        f"/api/v1/facilities/{rope.pk}/rope-records/",
        {"action": "inspection", "performed_on": today.isoformat(), "passed": False, "notes": "断丝"},
        format="json",
    )
    assert failed.json()["next_due_on"] == today.isoformat()  # must be replaced now
    assert (
        api.post(
            f"/api/v1/facilities/{well.pk}/rope-records/",
            {"action": "inspection", "performed_on": today.isoformat()},
            format="json",
        ).status_code
        == 400
    )
    assert (
        api.post(
            f"/api/v1/facilities/{rope.pk}/rope-records/",
            {"action": "inspection", "performed_on": (today + dt.timedelta(days=2)).isoformat()},
            format="json",
        ).status_code
        == 400
    )
    api.force_authenticate(user_with_role("regulator_staff", regulator("370100")))
    assert len(api.get(f"/api/v1/facilities/{rope.pk}/rope-records/").json()) == 2
    assert (
        api.post(
            f"/api/v1/facilities/{rope.pk}/rope-records/",
            {"action": "replacement", "performed_on": today.isoformat()},
            format="json",
        ).status_code
        == 403
    )


def test_facility_stats_by_kind_status_and_city(api):
    a, b = enterprise("370102"), enterprise("370211")
    for ent in (a, b):
        services.register_facility(
            None, enterprise=ent, kind=FacilityKind.objects.get(code="tank_farm"), code="TF", name="罐区"
        )
    api.force_authenticate(user_with_role("ops"))
    body = api.get("/api/v1/facilities/stats/?group_by=city").json()
    assert body["total"] == 2 and {r["key"]: r["count"] for r in body["rows"]} == {"370100": 1, "370200": 1}
    assert api.get("/api/v1/facilities/stats/?group_by=kind").json()["rows"] == [
        {"key": "tank_farm", "label": "罐区", "count": 2}
    ]
    assert api.get("/api/v1/facilities/stats/?group_by=colour").status_code == 400

"""Registry pages: enterprises maintain their records in the portal, regulators read and annotate."""

import pytest

from apps.accounts.tests.factories import regulator, user_with_role
from apps.enterprises.tests.factories import enterprise
from apps.facilities.models import Facility, FacilityKind
from apps.hazards.models import HazardSource
from apps.hazards.services import register_hazard_source
from apps.monitoring.models import Gateway, MonitoringPoint
from apps.monitoring.services import gateway_secret
from apps.video.models import Camera

pytestmark = pytest.mark.django_db


@pytest.fixture
def ent():
    e = enterprise("370102", industries=["hazardous_chemicals"])
    e.province_code = "370102001"
    e.save()
    return e


@pytest.fixture
def ent_client(client, ent):
    client.force_login(user_with_role("enterprise_admin", ent.organisation))
    return client


def test_base_information_form_saves_codes_and_special_information(ent_client, ent):
    page = ent_client.get("/ent/profile/")
    assert page.status_code == 200 and "special__hazardous_chemicals__safety_license_no" in page.context["form"].fields
    response = ent_client.post(
        "/ent/profile/",
        {
            "principal": "赵六",
            "scale": "above_designated",
            "employees": "120",
            "hazchem_category": "production",
            "special__hazardous_chemicals__key_process": "true",
            "special__hazardous_chemicals__license_valid_until": "2027-06-30",
        },
    )
    assert response.status_code == 302, response.context["form"].errors if response.context else ""
    ent.refresh_from_db()
    assert ent.principal == "赵六" and ent.hazchem_category == "production"
    assert ent.special_info == {"hazardous_chemicals": {"key_process": True, "license_valid_until": "2027-06-30"}}
    bad = ent_client.post("/ent/profile/", {"province_code": "12"})
    assert bad.status_code == 200 and "province_code" in bad.context["form"].errors


def test_facility_form_follows_the_kind_schema_and_shows_service_errors(ent_client, ent):
    page = ent_client.get("/ent/facilities/new/?kind=storage_tank")
    assert "attr__medium" in page.context["form"].fields
    missing = ent_client.post("/ent/facilities/new/?kind=storage_tank", {"code": "T1", "name": "储罐"})
    assert missing.status_code == 200 and "attr__medium" in missing.context["form"].errors
    ok = ent_client.post(
        "/ent/facilities/new/?kind=storage_tank",
        {
            "code": "T1",
            "name": "1号储罐",
            "attr__medium": "甲醇",
            "attr__capacity_m3": "3000",
            "attr__tank_type": "",
            "attr__design_pressure_mpa": "",
        },
    )
    assert ok.status_code == 302
    tank = Facility.objects.get(enterprise=ent, code="T1")
    assert tank.attributes == {"medium": "甲醇", "capacity_m3": 3000.0}
    edit = ent_client.get(f"/ent/facilities/{tank.pk}/")
    assert edit.context["form"].initial["attr__medium"] == "甲醇"
    ent_client.post(
        f"/ent/facilities/{tank.pk}/status/", {"status": "stopped", "effective_on": "2026-11-01", "reason": "检修"}
    )
    tank.refresh_from_db()
    assert tank.status == "stopped"
    assert ent_client.get("/ent/facilities/new/?kind=nothing").status_code == 404


def test_point_camera_and_hazard_source_forms(ent_client, ent):
    farm = Facility.objects.create(
        enterprise=ent, kind=FacilityKind.objects.get(code="tank_farm"), code="TF", name="罐区"
    )
    bad = ent_client.post(
        "/ent/points/new/",
        {
            "facility": farm.pk,
            "kind": "temperature",
            "code": "P1",
            "name": "温度",
            "low": "80",
            "high": "60",
            "period_s": "30",
        },
    )
    assert bad.status_code == 200 and "high" in bad.context["form"].errors
    ok = ent_client.post(
        "/ent/points/new/",
        {
            "facility": farm.pk,
            "kind": "temperature",
            "code": "P1",
            "name": "温度",
            "low": "10",
            "high": "60",
            "period_s": "30",
            "in_use": "on",
        },
    )
    assert ok.status_code == 302 and MonitoringPoint.objects.get(code="P1").high == 60
    wrong = ent_client.post("/ent/cameras/new/", {"code": "37010299901320000001", "name": "大门"})
    assert wrong.status_code == 200 and "code" in wrong.context["form"].errors  # not this enterprise's prefix
    assert (
        ent_client.post(
            "/ent/cameras/new/",
            {"code": "3701020010132" + "0000001", "name": "罐区摄像机", "facility": farm.pk, "in_use": "on"},
        ).status_code
        == 302
    )
    assert Camera.objects.get(enterprise=ent).facility == farm
    response = ent_client.post(
        "/ent/hazard-sources/new/",
        {
            "code": "HS1",
            "name": "罐区",
            "exposed_population": "120",
            "facilities": [farm.pk],
            "substances": "液氯, 10\n7664-41-7, 5\nW5.3, 100",
        },
    )
    assert response.status_code == 302, response.context["form"].errors if response.context else ""
    source = HazardSource.objects.get(code="HS1")
    # S = 10/5 + 5/10 + 100/1000 = 2.6; R = 2·(4·2 + 2·0.5 + 1·0.1) = 18.2 → level 3.
    assert source.level == 3 and float(source.r_value) == pytest.approx(18.2)
    unknown = ent_client.post(
        "/ent/hazard-sources/new/",
        {"code": "HS2", "name": "x", "exposed_population": "1", "substances": "不存在的物质, 3"},
    )
    assert unknown.status_code == 200 and "不存在的物质" in unknown.content.decode()


def test_gateway_secret_is_shown_once(ent_client, ent):
    response = ent_client.post("/ent/gateways/", {"gateway_id": "gw-portal-1", "name": "一号网关"})
    gateway = Gateway.objects.get(gateway_id="gw-portal-1")
    assert response.context["new_secret"] == gateway_secret(gateway)
    assert response["Cache-Control"] == "no-store"
    assert gateway_secret(gateway) not in ent_client.get("/ent/gateways/").content.decode()
    rotated = ent_client.post("/ent/gateways/", {"rotate": gateway.pk})
    assert rotated.context["new_secret"] != response.context["new_secret"]


def test_operator_sees_but_cannot_change(client, ent):
    client.force_login(user_with_role("enterprise_operator", ent.organisation))
    assert client.get("/ent/facilities/").status_code == 200
    response = client.post("/ent/facilities/new/?kind=tank_farm", {"code": "X", "name": "x"})
    assert response.status_code == 200 and response.context["form"].errors
    assert not Facility.objects.filter(code="X").exists()


def test_regulator_pages_stats_hazards_and_notes(client, ent):
    register_hazard_source(
        None,
        enterprise=ent,
        code="HS",
        name="液氯罐区",
        exposed_population=120,
        substances=[{"name": "液氯", "quantity_t": 70}],
    )
    other = enterprise("370211")
    register_hazard_source(
        None,
        enterprise=other,
        code="HS",
        name="青岛罐区",
        exposed_population=0,
        substances=[{"name": "氨", "quantity_t": 20}],
    )
    client.force_login(user_with_role("regulator_staff", regulator("370100")))
    stats = client.get("/gov/stats/?group_by=industry")
    assert stats.status_code == 200 and stats.context["total"] == 1
    hazards = client.get("/gov/hazard-sources/?level=1")
    assert [h.name for h in hazards.context["object_list"]] == ["液氯罐区"]
    listing = client.get("/gov/enterprises/?hazard_level=1")
    assert [e.pk for e in listing.context["object_list"]] == [ent.pk]
    assert listing.context["object_list"][0].hazard_level == 1
    detail = client.get(f"/gov/enterprises/{ent.pk}/")
    assert "液氯罐区" in detail.content.decode()
    client.post(f"/gov/enterprises/{ent.pk}/", {"text": "请补充重大危险源备案材料"})
    assert "请补充重大危险源备案材料" in client.get(f"/gov/enterprises/{ent.pk}/").content.decode()
    assert client.get(f"/gov/enterprises/{other.pk}/").status_code == 404

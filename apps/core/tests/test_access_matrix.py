"""Jurisdiction scoping as a matrix: each role × each object kind × allowed/denied, through the API.

The world: two cities (济南 370100 with its county 历下区 370102, and 青岛 370200); an enterprise in
历下区, one in 历城区 (also 济南), one in 青岛; regulators at province, city and county level.
"""

import pytest

from apps.accounts.models import AuthEventKind, OrganisationKind
from apps.accounts.services import record_event
from apps.accounts.tests.factories import OrganisationFactory, region, regulator, user_with_role
from apps.enterprises.tests.factories import enterprise

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    w = {
        "province": regulator("370000"),
        "jinan": regulator("370100"),
        "lixia": regulator("370102"),
        "qingdao": regulator("370200"),
        "ent_lixia": enterprise("370102", name="历下安全化工有限公司"),
        "ent_licheng": enterprise("370112", name="历城安全化工有限公司"),
        "ent_qingdao": enterprise("370211", name="黄岛安全化工有限公司"),
        "agency": OrganisationFactory(
            name="安评公司", kind=OrganisationKind.SERVICE_PROVIDER, level="", region=region("370100"), uscc=None
        ),
    }
    w["users"] = {
        "province_admin": user_with_role("regulator_admin", w["province"]),
        "jinan_admin": user_with_role("regulator_admin", w["jinan"]),
        "jinan_staff": user_with_role("regulator_staff", w["jinan"]),
        "jinan_inspector": user_with_role("law_enforcement_inspector", w["jinan"]),
        "lixia_staff": user_with_role("regulator_staff", w["lixia"]),
        "qingdao_staff": user_with_role("regulator_staff", w["qingdao"]),
        "ent_lixia_admin": user_with_role("enterprise_admin", w["ent_lixia"].organisation),
        "ent_lixia_operator": user_with_role("enterprise_operator", w["ent_lixia"].organisation),
        "ent_qingdao_safety": user_with_role("enterprise_safety_manager", w["ent_qingdao"].organisation),
        "agency_staff": user_with_role("service_provider_staff", w["agency"]),
        "ops": user_with_role("ops"),
    }
    for user in w["users"].values():
        record_event(AuthEventKind.LOGIN, user=user)
    return w


# role → enterprises it must see (everything else must be invisible)
ENTERPRISE_VISIBILITY = {
    "province_admin": {"ent_lixia", "ent_licheng", "ent_qingdao"},
    "jinan_admin": {"ent_lixia", "ent_licheng"},
    "jinan_staff": {"ent_lixia", "ent_licheng"},
    "jinan_inspector": {"ent_lixia", "ent_licheng"},
    "lixia_staff": {"ent_lixia"},
    "qingdao_staff": {"ent_qingdao"},
    "ent_lixia_admin": {"ent_lixia"},
    "ent_lixia_operator": {"ent_lixia"},
    "ent_qingdao_safety": {"ent_qingdao"},
    "agency_staff": set(),
    "ops": {"ent_lixia", "ent_licheng", "ent_qingdao"},
}
ALL_ENTERPRISES = {"ent_lixia", "ent_licheng", "ent_qingdao"}


def login(api, user):
    api.force_authenticate(user)
    return api


@pytest.mark.parametrize("who", sorted(ENTERPRISE_VISIBILITY))
def test_enterprise_list_and_detail_follow_jurisdiction(api, world, who):
    login(api, world["users"][who])
    listed = {e["name"] for e in api.get("/api/v1/enterprises/").json()["results"]}
    expected = ENTERPRISE_VISIBILITY[who]
    assert listed == {world[k].organisation.name for k in expected}
    for key in ALL_ENTERPRISES:
        status = api.get(f"/api/v1/enterprises/{world[key].pk}/").status_code
        assert status == (200 if key in expected else 404), (who, key)
        overview = api.get(f"/api/v1/enterprises/{world[key].pk}/overview/").status_code
        assert overview == (200 if key in expected else 404), (who, key)


# role → organisations it must see, by fixture key
ORGANISATION_VISIBILITY = {
    "province_admin": {"province", "jinan", "lixia", "qingdao", "ent_lixia", "ent_licheng", "ent_qingdao", "agency"},
    "jinan_staff": {"jinan", "lixia", "ent_lixia", "ent_licheng", "agency"},
    "lixia_staff": {"lixia", "ent_lixia"},
    "qingdao_staff": {"qingdao", "ent_qingdao"},
    "ent_lixia_operator": {"ent_lixia"},
    "agency_staff": {"agency"},
}


def _org(world, key):
    value = world[key]
    return value.organisation if hasattr(value, "organisation") else value


@pytest.mark.parametrize("who", sorted(ORGANISATION_VISIBILITY))
def test_organisation_list_follows_jurisdiction(api, world, who):
    login(api, world["users"][who])
    listed = {o["id"] for o in api.get("/api/v1/organisations/?page_size=500").json()["results"]}
    assert listed == {_org(world, k).pk for k in ORGANISATION_VISIBILITY[who]}


USER_VISIBILITY = {
    "jinan_admin": {
        "jinan_admin",
        "jinan_staff",
        "jinan_inspector",
        "lixia_staff",
        "ent_lixia_admin",
        "ent_lixia_operator",
        "agency_staff",
    },
    "lixia_staff": {"lixia_staff", "ent_lixia_admin", "ent_lixia_operator"},
    "ent_lixia_admin": {"ent_lixia_admin", "ent_lixia_operator"},
    "ent_qingdao_safety": {"ent_qingdao_safety"},
}


@pytest.mark.parametrize("who", sorted(USER_VISIBILITY))
def test_user_list_follows_jurisdiction(api, world, who):
    login(api, world["users"][who])
    listed = {u["username"] for u in api.get("/api/v1/users/?page_size=500").json()["results"]}
    assert listed == {world["users"][k].username for k in USER_VISIBILITY[who]}


def test_agency_and_operator_cannot_read_users_at_all(api, world):
    for who in ("agency_staff", "ent_lixia_operator"):
        login(api, world["users"][who])
        assert api.get("/api/v1/users/").status_code == 403


# Login events follow the same jurisdiction as the users they concern.
AUTH_EVENT_VISIBILITY = {who: USER_VISIBILITY[who] for who in ("jinan_admin", "ent_lixia_admin")}


@pytest.mark.parametrize("who", sorted(AUTH_EVENT_VISIBILITY))
def test_auth_events_follow_jurisdiction(api, world, who):
    login(api, world["users"][who])
    listed = {e["username"] for e in api.get("/api/v1/audit/auth-events/?page_size=500").json()["results"]}
    assert listed == {world["users"][k].username for k in AUTH_EVENT_VISIBILITY[who]}


def test_staff_without_audit_role_cannot_read_auth_events(api, world):
    login(api, world["users"]["jinan_staff"])
    assert api.get("/api/v1/audit/auth-events/").status_code == 403


WRITE_MATRIX = [
    # who, enterprise, expected status of PATCH
    ("ent_lixia_admin", "ent_lixia", 200),
    ("ent_lixia_admin", "ent_qingdao", 404),
    ("ent_lixia_operator", "ent_lixia", 403),
    ("ent_qingdao_safety", "ent_qingdao", 200),
    ("jinan_admin", "ent_licheng", 200),
    ("jinan_admin", "ent_qingdao", 404),
    ("jinan_staff", "ent_lixia", 403),
    ("agency_staff", "ent_lixia", 404),
]


@pytest.mark.parametrize(("who", "target", "expected"), WRITE_MATRIX)
def test_enterprise_update_needs_role_and_jurisdiction(api, world, who, target, expected):
    login(api, world["users"][who])
    response = api.patch(f"/api/v1/enterprises/{world[target].pk}/", {"address": "新地址 1 号"}, format="json")
    assert response.status_code == expected, response.content


def test_guardian_grant_opens_one_object_and_only_that_one(api, world):
    from guardian.shortcuts import assign_perm

    agency = world["users"]["agency_staff"]
    assign_perm("enterprises.view_enterprise", agency, world["ent_licheng"])
    login(api, agency)
    listed = {e["id"] for e in api.get("/api/v1/enterprises/").json()["results"]}
    assert listed == {world["ent_licheng"].pk}
    assert api.get(f"/api/v1/enterprises/{world['ent_lixia'].pk}/").status_code == 404


def test_anonymous_gets_nothing(api, world):
    assert api.get("/api/v1/enterprises/").status_code == 401
    assert api.get("/api/v1/users/").status_code == 401


def test_disabled_user_sees_nothing_even_with_a_session(api, world):
    user = world["users"]["jinan_staff"]
    user.is_active = False
    user.save()
    login(api, user)
    response = api.get("/api/v1/enterprises/")
    assert response.status_code in (401, 403) or response.json()["count"] == 0


@pytest.fixture
def records(world):
    """One facility, point, hazard source, camera and gateway for each enterprise of the world."""
    from apps.facilities.models import Facility, FacilityKind
    from apps.hazards.services import register_hazard_source
    from apps.monitoring.models import MeasurementKind, MonitoringPoint
    from apps.monitoring.services import create_gateway
    from apps.video.models import Camera

    kind = FacilityKind.objects.get(code="tank_farm")
    measurement = MeasurementKind.objects.get(code="temperature")
    for n, key in enumerate(ALL_ENTERPRISES):
        ent = world[key]
        facility = Facility.objects.create(enterprise=ent, kind=kind, code=f"F-{key}", name="罐区")
        MonitoringPoint.objects.create(
            enterprise=ent, facility=facility, kind=measurement, code=f"P-{key}", name="温度"
        )
        register_hazard_source(
            None,
            enterprise=ent,
            code=f"H-{key}",
            name="罐区",
            exposed_population=0,
            substances=[{"name": "氨", "quantity_t": 20}],
        )
        Camera.objects.create(enterprise=ent, facility=facility, code=f"3701020000132{n:07d}", name="罐区摄像机")
        create_gateway(None, enterprise=ent, gateway_id=f"gw-{key.replace('_', '-')}")
    return world


RECORD_ENDPOINTS = ["facilities", "monitoring-points", "hazard-sources", "cameras"]


@pytest.mark.parametrize("endpoint", RECORD_ENDPOINTS)
@pytest.mark.parametrize("who", ["jinan_staff", "lixia_staff", "ent_lixia_operator", "ent_qingdao_safety", "ops"])
def test_enterprise_records_follow_jurisdiction(api, records, endpoint, who):
    login(api, records["users"][who])
    listed = {r["enterprise"] for r in api.get(f"/api/v1/{endpoint}/?page_size=100").json()["results"]}
    assert listed == {records[k].pk for k in ENTERPRISE_VISIBILITY[who]}


@pytest.mark.parametrize("endpoint", RECORD_ENDPOINTS)
def test_agency_without_grants_sees_no_enterprise_records(api, records, endpoint):
    login(api, records["users"]["agency_staff"])
    response = api.get(f"/api/v1/{endpoint}/")
    assert response.status_code == 403 or response.json()["count"] == 0


def test_gateways_are_for_the_enterprise_and_its_regulators_only(api, records):
    login(api, records["users"]["ent_lixia_admin"])
    assert [g["enterprise"] for g in api.get("/api/v1/gateways/").json()["results"]] == [records["ent_lixia"].pk]
    login(api, records["users"]["ent_lixia_operator"])
    assert api.get("/api/v1/gateways/").status_code == 403  # operators do not manage gateways
    login(api, records["users"]["qingdao_staff"])
    assert [g["enterprise"] for g in api.get("/api/v1/gateways/").json()["results"]] == [records["ent_qingdao"].pk]


@pytest.fixture
def risk_records(world):
    """For each enterprise of the world: a stored risk result made current, and an open warning."""
    from django.utils import timezone

    from apps.risk.models import EnterpriseRisk, RiskAssessment, RiskModel, Warning

    version = RiskModel.objects.get(code="hazardous_chemicals").current_version
    now = timezone.now()
    world["risk"] = {}
    for n, key in enumerate(sorted(ALL_ENTERPRISES)):
        ent = world[key]
        assessment = RiskAssessment.objects.create(
            enterprise=ent, version=version, assessed_at=now, score=20.0 * n, level=n + 1
        )
        EnterpriseRisk.objects.create(
            enterprise=ent, model=version.model, assessment=assessment, level=n + 1, score=20.0 * n, assessed_at=now
        )
        warning = Warning.objects.create(enterprise=ent, level=n + 1, from_level=4, raised_at=now, score=20.0 * n)
        world["risk"][key] = {"assessment": assessment.pk, "warning": warning.pk}
    return world


RISK_ENDPOINTS = ["risk/enterprises", "risk/assessments", "warnings"]


@pytest.mark.parametrize("endpoint", RISK_ENDPOINTS)
@pytest.mark.parametrize("who", sorted(set(ENTERPRISE_VISIBILITY) - {"agency_staff"}))
def test_risk_and_warnings_follow_jurisdiction(api, risk_records, endpoint, who):
    login(api, risk_records["users"][who])
    listed = {r["enterprise"] for r in api.get(f"/api/v1/{endpoint}/?page_size=100").json()["results"]}
    assert listed == {risk_records[k].pk for k in ENTERPRISE_VISIBILITY[who]}


@pytest.mark.parametrize("who", sorted(set(ENTERPRISE_VISIBILITY) - {"agency_staff"}))
def test_risk_and_warning_details_follow_jurisdiction(api, risk_records, who):
    login(api, risk_records["users"][who])
    expected = ENTERPRISE_VISIBILITY[who]
    for key in ALL_ENTERPRISES:
        ids = risk_records["risk"][key]
        status = 200 if key in expected else 404
        assert api.get(f"/api/v1/enterprises/{risk_records[key].pk}/risk").status_code == status, (who, key)
        assert api.get(f"/api/v1/risk/assessments/{ids['assessment']}").status_code == status, (who, key)
        assert api.get(f"/api/v1/warnings/{ids['warning']}").status_code == status, (who, key)


@pytest.mark.parametrize("endpoint", RISK_ENDPOINTS)
def test_agency_without_grants_sees_no_risk_or_warnings(api, risk_records, endpoint):
    login(api, risk_records["users"]["agency_staff"])
    response = api.get(f"/api/v1/{endpoint}/")
    assert response.status_code == 403 or response.json()["count"] == 0


# who, enterprise, action, expected: disposing is the enterprise's (with the role), verifying the regulators'
WARNING_ACTION_MATRIX = [
    ("ent_lixia_admin", "ent_lixia", "acknowledge", 200),
    ("ent_lixia_operator", "ent_lixia", "acknowledge", 403),
    ("ent_lixia_admin", "ent_qingdao", "acknowledge", 404),
    ("jinan_staff", "ent_lixia", "acknowledge", 403),
    ("jinan_staff", "ent_licheng", "send-back", 409),  # allowed, but nothing fed back yet
    ("lixia_staff", "ent_licheng", "send-back", 404),
    ("jinan_inspector", "ent_lixia", "send-back", 403),
    ("ent_lixia_admin", "ent_lixia", "send-back", 403),
    ("qingdao_staff", "ent_qingdao", "verify", 409),
]


@pytest.mark.parametrize(("who", "target", "verb", "expected"), WARNING_ACTION_MATRIX)
def test_warning_actions_need_role_and_jurisdiction(api, risk_records, who, target, verb, expected):
    login(api, risk_records["users"][who])
    warning = risk_records["risk"][target]["warning"]
    response = api.post(f"/api/v1/warnings/{warning}/{verb}/", {"comment": "理由"}, format="json")
    assert response.status_code == expected, response.content


@pytest.fixture
def received(world):
    """One received risk unit per enterprise, posted by each enterprise's exchange client."""
    from rest_framework.test import APIClient

    from apps.exchange.tests import factories as exchange

    keys = {}
    for key in ALL_ENTERPRISES:
        token = exchange.client_for(world[key])[1]
        unit = exchange.risk_unit()
        response = APIClient().post(
            "/api/v1/exchange/risk-units", [unit], format="json", HTTP_AUTHORIZATION=f"Token {token}"
        )
        assert response.json()["created"] == 1
        keys[key] = unit["ID"]
    return {**world, "keys": keys}


@pytest.mark.parametrize("who", sorted(ENTERPRISE_VISIBILITY))
def test_received_exchange_records_follow_jurisdiction(api, received, who):
    login(api, received["users"][who])
    response = api.get("/api/v1/exchange/risk-units")
    expected = ENTERPRISE_VISIBILITY[who]
    if who == "agency_staff":
        assert response.status_code == 403
        return
    assert {r["ID"] for r in response.json()["results"]} == {received["keys"][k] for k in expected}
    for key in ALL_ENTERPRISES:
        status = api.get(f"/api/v1/exchange/risk-units/{received['keys'][key]}").status_code
        assert status == (200 if key in expected else 404), (who, key)


@pytest.mark.parametrize("who", sorted(ENTERPRISE_VISIBILITY))
def test_hidden_dangers_follow_jurisdiction(api, world, who):
    import datetime as dt

    from django.utils import timezone

    from apps.prevention.models import HiddenDanger

    now = timezone.now()
    ids = {
        key: HiddenDanger.objects.create(
            enterprise=world[key],
            object_code="HS01",
            name="液位计失灵",
            level=0,
            registered_at=now,
            registrant="李四",
            origin="1",
            manage_type=1,
            danger_type=4,
            description="读数不变",
            liable_person="王五",
            deadline=now + dt.timedelta(days=3),
        ).pk
        for key in ALL_ENTERPRISES
    }
    login(api, world["users"][who])
    response = api.get("/api/v1/dp/hidden-dangers/")
    expected = ENTERPRISE_VISIBILITY[who]
    if who == "agency_staff":
        assert response.status_code == 403
        return
    assert {r["id"] for r in response.json()["results"]} == {ids[k] for k in expected}
    for key in ALL_ENTERPRISES:
        status = api.get(f"/api/v1/dp/hidden-dangers/{ids[key]}/").status_code
        assert status == (200 if key in expected else 404), (who, key)

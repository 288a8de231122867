"""Enterprise registry API: registration with field-level errors, overview, map, export, query counts."""

from io import BytesIO

import pytest
from openpyxl import load_workbook

from apps.accounts.tests.factories import make_uscc, regulator, user_with_role
from apps.enterprises.models import Enterprise

from .factories import enterprise

pytestmark = pytest.mark.django_db


@pytest.fixture
def jinan_admin():
    return user_with_role("regulator_admin", regulator("370100"))


def payload(**overrides):
    return {
        "name": "济南新建化工有限公司",
        "uscc": make_uscc("370112"),
        "region": "370112",
        "industries": ["hazardous_chemicals", "dust_explosion"],
        "address": "历城区工业路 8 号",
        "location": [117.07, 36.68],
        **overrides,
    }


def test_regulator_registers_enterprise_in_its_jurisdiction(api, jinan_admin):
    api.force_authenticate(jinan_admin)
    response = api.post("/api/v1/enterprises/", payload(), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["region"] == "370112" and sorted(body["industries"]) == ["dust_explosion", "hazardous_chemicals"]
    assert Enterprise.objects.get(pk=body["id"]).organisation.kind == "enterprise"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"uscc": "91370112MA3C4L0X2"}, "uscc"),  # 17 characters
        ({"uscc": "91370112MA3C4L0X2Q"}, "uscc"),  # wrong check character
        ({"uscc": "91370112IA3C4L0X2Q"}, "uscc"),  # I is not in the charset
        ({"region": "379999"}, "region"),  # unknown region code
        ({"region": "370100"}, "region"),  # a city, not a county or park
        ({"industries": ["mining_on_mars"]}, "industries"),
        ({"location": [200, 36]}, "location"),
        ({"location": [120.3, 36.1]}, "location"),  # 青岛, not inside 历城区
        ({"name": ""}, "name"),
    ],
)
def test_bad_enterprise_input_is_field_level_400_and_creates_nothing(api, jinan_admin, overrides, field):
    api.force_authenticate(jinan_admin)
    before = Enterprise.objects.count()
    response = api.post("/api/v1/enterprises/", payload(**overrides), format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert Enterprise.objects.count() == before


def test_duplicate_uscc_is_rejected(api, jinan_admin):
    api.force_authenticate(jinan_admin)
    data = payload()
    assert api.post("/api/v1/enterprises/", data, format="json").status_code == 201
    response = api.post("/api/v1/enterprises/", {**data, "name": "另一家"}, format="json")
    assert response.status_code == 400 and "uscc" in response.json()


def test_registration_outside_jurisdiction_is_403(api, jinan_admin):
    api.force_authenticate(jinan_admin)
    response = api.post(
        "/api/v1/enterprises/", payload(region="370211", uscc=make_uscc("370211"), location=None), format="json"
    )
    assert response.status_code == 403


def test_enterprise_user_cannot_register_enterprises(api):
    ent = enterprise("370102")
    api.force_authenticate(user_with_role("enterprise_admin", ent.organisation))
    assert api.post("/api/v1/enterprises/", payload(), format="json").status_code == 403


def test_list_filters_by_region_subtree_industry_and_text(api, jinan_admin):
    a = enterprise("370102", name="甲化工", industries=["hazardous_chemicals"])
    b = enterprise("370112", name="乙粉尘", industries=["dust_explosion"])
    api.force_authenticate(jinan_admin)

    def names(query):
        return {e["name"] for e in api.get(f"/api/v1/enterprises/?{query}").json()["results"]}

    assert names("region=370100") == {"甲化工", "乙粉尘"}
    assert names("region=370102") == {"甲化工"}
    assert names("region=000000") == set()
    assert names("industry=dust_explosion") == {"乙粉尘"}
    assert names(f"q={b.organisation.uscc}") == {"乙粉尘"}
    assert names("q=甲") == {"甲化工"}
    assert api.get("/api/v1/enterprises/?industry=nope").status_code == 400
    bbox = f"{a.location.x - 0.01},{a.location.y - 0.01},{a.location.x + 0.01},{a.location.y + 0.01}"
    assert names(f"in_bbox={bbox}") == {"甲化工"}


def test_list_query_count_does_not_grow_with_rows(api, jinan_admin, django_assert_max_num_queries):
    for code in ["370102", "370103", "370104", "370105", "370112"] * 4:
        enterprise(code)
    api.force_authenticate(jinan_admin)
    with django_assert_max_num_queries(7):
        response = api.get("/api/v1/enterprises/?page_size=100")
    assert response.json()["count"] == 20


def test_overview_returns_master_and_dependent_sections_keyed_by_the_enterprise(api, jinan_admin):
    ent = enterprise("370102")
    user_with_role("enterprise_safety_manager", ent.organisation)
    api.force_authenticate(jinan_admin)
    body = api.get(f"/api/v1/enterprises/{ent.pk}/overview/").json()
    assert body["enterprise_id"] == ent.pk
    assert body["sections"]["base"]["uscc"] == ent.organisation.uscc
    assert [r["code"] for r in body["sections"]["base"]["region"]["chain"]] == ["370000", "370100"]
    assert body["sections"]["people"]["by_role"] == {"enterprise_safety_manager": 1}


def test_geojson_and_excel_export_respect_scope_and_filters(api):
    enterprise("370102", name="济南一号")
    enterprise("370211", name="青岛一号")
    api.force_authenticate(user_with_role("regulator_staff", regulator("370100")))
    fc = api.get("/api/v1/enterprises/geojson/").json()
    assert [f["properties"]["name"] for f in fc["features"]] == ["济南一号"]
    response = api.get("/api/v1/enterprises/export/")
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(response.content)).active
    rows = list(sheet.values)
    assert rows[0][0] == "企业名称" and [r[0] for r in rows[1:]] == ["济南一号"]


def test_enterprise_update_is_audited_with_actor(api):
    from auditlog.models import LogEntry

    ent = enterprise("370102")
    admin = user_with_role("enterprise_admin", ent.organisation)
    api.force_authenticate(admin)
    assert api.patch(f"/api/v1/enterprises/{ent.pk}/", {"address": "新地址"}, format="json").status_code == 200
    entry = LogEntry.objects.get_for_object(ent).filter(action=LogEntry.Action.UPDATE).latest("timestamp")
    assert entry.actor == admin and "address" in entry.changes_dict
    ops = user_with_role("ops")
    api.force_authenticate(ops)
    changes = api.get(f"/api/v1/audit/changes/?model=enterprise&object_pk={ent.pk}").json()["results"]
    assert changes[0]["actor"] == admin.username
    api.force_authenticate(admin)
    assert api.get("/api/v1/audit/changes/").status_code == 403

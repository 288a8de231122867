"""Organisations: hierarchical creation, identity fields, bad input; self-service password change."""

import pytest

from apps.accounts.models import ApiToken, AuthEvent, AuthEventKind, Organisation
from apps.enterprises.tests.factories import enterprise

from .factories import PASSWORD, make_uscc, regulator, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def jinan_admin():
    return user_with_role("regulator_admin", regulator("370100"))


def test_city_admin_creates_county_regulator_below_it_and_not_elsewhere(api, jinan_admin):
    api.force_authenticate(jinan_admin)
    ok = api.post(
        "/api/v1/organisations/",
        {"name": "历城区应急管理局", "kind": "regulator", "level": "county", "region": "370112"},
        format="json",
    )
    assert ok.status_code == 201, ok.content
    assert Organisation.objects.get(pk=ok.json()["id"]).region.code == "370112"
    outside = api.post(
        "/api/v1/organisations/",
        {"name": "黄岛区应急管理局", "kind": "regulator", "level": "county", "region": "370211"},
        format="json",
    )
    assert outside.status_code == 403


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "x", "kind": "regulator", "level": "county", "region": "370100"}, "region"),  # level/region mismatch
        ({"name": "x", "kind": "regulator", "region": "370112"}, "level"),
        ({"name": "x", "kind": "regulator", "level": "county", "region": "123"}, "region"),
        ({"name": "x", "kind": "alien", "region": "370112"}, "kind"),
        ({"name": "x", "kind": "enterprise", "region": "370112", "uscc": make_uscc("370112")}, "kind"),
        ({"name": "x", "kind": "service_provider", "region": "370112", "uscc": "91370112MA3C4L0X2Q"}, "uscc"),
    ],
)
def test_bad_organisation_input_is_field_level_400(api, jinan_admin, payload, field):
    api.force_authenticate(jinan_admin)
    before = Organisation.objects.count()
    response = api.post("/api/v1/organisations/", payload, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert Organisation.objects.count() == before


def test_enterprise_admin_renames_its_organisation_but_cannot_change_identity(api):
    ent = enterprise("370102")
    api.force_authenticate(user_with_role("enterprise_admin", ent.organisation))
    uscc = ent.organisation.uscc
    response = api.patch(
        f"/api/v1/organisations/{ent.pk}/",
        {"name": "新名称化工有限公司", "uscc": make_uscc("370102"), "region": "370211"},
        format="json",
    )
    assert response.status_code == 200
    ent.organisation.refresh_from_db()
    assert ent.organisation.name == "新名称化工有限公司"
    assert ent.organisation.uscc == uscc and ent.organisation.region.code == "370102"


def test_user_changes_own_password_and_other_tokens_are_revoked(api):
    user = user_with_role("regulator_staff", regulator("370100"), username="pw-user")
    first = api.post("/api/v1/auth/token", {"username": "pw-user", "password": PASSWORD}, format="json").json()
    second = api.post("/api/v1/auth/token", {"username": "pw-user", "password": PASSWORD}, format="json").json()
    auth = {"HTTP_AUTHORIZATION": f"Token {second['token']}"}
    wrong = api.post(
        "/api/v1/me/password", {"old_password": "nope", "new_password": "Brand-new-2026"}, format="json", **auth
    )
    assert wrong.status_code == 400 and "old_password" in wrong.json()
    weak = api.post("/api/v1/me/password", {"old_password": PASSWORD, "new_password": "123"}, format="json", **auth)
    assert weak.status_code == 400 and "new_password" in weak.json()
    ok = api.post(
        "/api/v1/me/password", {"old_password": PASSWORD, "new_password": "Brand-new-2026"}, format="json", **auth
    )
    assert ok.status_code == 204
    user.refresh_from_db()
    assert user.check_password("Brand-new-2026")
    assert api.get("/api/v1/me", HTTP_AUTHORIZATION=f"Token {first['token']}").status_code == 401
    assert api.get("/api/v1/me", **auth).status_code == 200  # the session that changed it stays
    assert ApiToken.objects.filter(user=user, revoked_at__isnull=True).count() == 1
    assert AuthEvent.objects.filter(user=user, kind=AuthEventKind.PASSWORD_CHANGED).exists()


def test_regulator_tree_nests_counties_under_their_city(api):
    province, jinan, lixia, licheng, qingdao = (
        regulator(c) for c in ("370000", "370100", "370102", "370112", "370200")
    )
    user_with_role("regulator_staff", lixia)
    api.force_authenticate(user_with_role("regulator_admin", province))
    tree = api.get("/api/v1/organisations/tree/").json()
    assert [n["id"] for n in tree] == [province.pk]
    cities = {n["id"]: n for n in tree[0]["children"]}
    assert set(cities) == {jinan.pk, qingdao.pk}
    assert {n["id"] for n in cities[jinan.pk]["children"]} == {lixia.pk, licheng.pk}
    assert next(n for n in cities[jinan.pk]["children"] if n["id"] == lixia.pk)["staff"] == 1
    api.force_authenticate(user_with_role("regulator_staff", jinan))
    scoped = api.get("/api/v1/organisations/tree/").json()
    assert [n["id"] for n in scoped] == [jinan.pk] and len(scoped[0]["children"]) == 2


def test_agencies_are_registered_with_service_types_and_filtered_by_them(api, jinan_admin):
    api.force_authenticate(jinan_admin)
    response = api.post(
        "/api/v1/organisations/",
        {
            "name": "济南安培培训中心",
            "kind": "service_provider",
            "region": "370102",
            "service_types": ["training"],
            "uscc": make_uscc("370102"),
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    api.post(
        "/api/v1/organisations/",
        {
            "name": "济南安评公司",
            "kind": "service_provider",
            "region": "370102",
            "service_types": ["safety_evaluation"],
        },
        format="json",
    )
    names = [o["name"] for o in api.get("/api/v1/organisations/?service_type=training").json()["results"]]
    assert names == ["济南安培培训中心"]
    bad = api.post(
        "/api/v1/organisations/",
        {"name": "x", "kind": "service_provider", "region": "370102", "service_types": ["astrology"]},
        format="json",
    )
    assert bad.status_code == 400 and "service_types" in bad.json()
    wrong_kind = api.post(
        "/api/v1/organisations/",
        {"name": "y", "kind": "regulator", "level": "county", "region": "370112", "service_types": ["training"]},
        format="json",
    )
    assert wrong_kind.status_code == 400 and "service_types" in wrong_kind.json()

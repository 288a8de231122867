"""Hierarchical user administration (ACC-02), user classes (ACC-06) and the audit of changes (ACC-16)."""

import pytest

from apps.accounts.models import AuthEvent, AuthEventKind, User, UserType
from apps.enterprises.tests.factories import enterprise

from .factories import regulator, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def jinan_admin():
    return user_with_role("regulator_admin", regulator("370100"), username="jn-admin")


def new_user(**overrides):
    return {
        "username": "new-user",
        "password": "Kx9#vLq2-safe",
        "roles": ["regulator_staff"],
        "real_name": "张三",
        **overrides,
    }


def test_city_admin_creates_user_in_its_jurisdiction_201_and_outside_403(api, jinan_admin):
    lixia = regulator("370102")
    qingdao = regulator("370200")
    api.force_authenticate(jinan_admin)
    response = api.post("/api/v1/users/", new_user(organisation=lixia.pk), format="json")
    assert response.status_code == 201, response.content
    assert response.json()["roles"] == ["regulator_staff"]
    assert User.objects.get(username="new-user").check_password("Kx9#vLq2-safe")
    response = api.post("/api/v1/users/", new_user(username="other", organisation=qingdao.pk), format="json")
    assert response.status_code == 403
    assert not User.objects.filter(username="other").exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"roles": ["no_such_role"]}, "roles"),
        ({"roles": ["enterprise_admin"]}, "roles"),  # an enterprise role for a regulator's user
        ({"password": "123"}, "password"),
        ({"username": "has space"}, "username"),
        ({"organisation": 999999}, "organisation"),
        ({"email": "not-an-email"}, "email"),
    ],
)
def test_bad_user_input_gets_field_level_400(api, jinan_admin, overrides, field):
    api.force_authenticate(jinan_admin)
    payload = {**new_user(organisation=jinan_admin.organisation_id), **overrides}
    response = api.post("/api/v1/users/", payload, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_duplicate_username_is_400(api, jinan_admin):
    api.force_authenticate(jinan_admin)
    assert (
        api.post("/api/v1/users/", new_user(organisation=jinan_admin.organisation_id), format="json").status_code == 201
    )
    response = api.post("/api/v1/users/", new_user(organisation=jinan_admin.organisation_id), format="json")
    assert response.status_code == 400 and "username" in response.json()


def test_enterprise_admin_cannot_grant_regulator_or_ops_roles(api):
    ent = enterprise("370102")
    admin = user_with_role("enterprise_admin", ent.organisation)
    api.force_authenticate(admin)
    ok = api.post(
        "/api/v1/users/", new_user(organisation=ent.organisation_id, roles=["rectification_person"]), format="json"
    )
    assert ok.status_code == 201
    response = api.post(
        "/api/v1/users/", new_user(username="x2", organisation=ent.organisation_id, roles=["ops"]), format="json"
    )
    assert response.status_code in (400, 403)
    assert not User.objects.filter(username="x2").exists()


def test_permissions_endpoint_reports_login_and_resource_rights(api, jinan_admin):
    staff = user_with_role("regulator_staff", regulator("370102"))
    api.force_authenticate(jinan_admin)
    body = api.get(f"/api/v1/users/{staff.pk}/permissions/").json()
    assert body["can_login"] is True
    assert body["roles"] == ["regulator_staff"]
    assert "enterprises.view_enterprise" in body["permissions"]
    assert "enterprises.change_enterprise" not in body["permissions"]
    assert body["scope"]["kind"] == "region" and body["scope"]["region_path"].endswith("/370102/")


def test_role_change_and_login_both_appear_in_the_auth_audit(api, jinan_admin):
    staff = user_with_role("regulator_staff", regulator("370102"), username="lx-staff")
    api.force_authenticate(jinan_admin)
    response = api.put(
        f"/api/v1/users/{staff.pk}/roles/",
        {"roles": ["law_enforcement_inspector"]},
        format="json",
        REMOTE_ADDR="192.0.2.9",
    )
    assert response.status_code == 200
    api.force_authenticate(None)
    api.post("/api/v1/auth/token", {"username": "lx-staff", "password": "Test-pass-2026"}, format="json")
    api.force_authenticate(jinan_admin)
    events = api.get(f"/api/v1/audit/auth-events/?user={staff.pk}").json()["results"]
    kinds = [e["kind"] for e in events if e["kind"] in (AuthEventKind.LOGIN, AuthEventKind.ROLES_CHANGED)]
    assert kinds == [AuthEventKind.LOGIN, AuthEventKind.ROLES_CHANGED]  # newest first
    change = next(e for e in events if e["kind"] == AuthEventKind.ROLES_CHANGED)
    assert change["actor"] == "jn-admin" and change["ip"] == "192.0.2.9"
    assert change["detail"] == {"before": ["regulator_staff"], "after": ["law_enforcement_inspector"]}


def test_disable_user_revokes_tokens(api, jinan_admin):
    staff = user_with_role("regulator_staff", regulator("370102"), username="lx2")
    token = api.post("/api/v1/auth/token", {"username": "lx2", "password": "Test-pass-2026"}, format="json").json()
    api.force_authenticate(jinan_admin)
    assert api.patch(f"/api/v1/users/{staff.pk}/", {"is_active": False}, format="json").status_code == 200
    api.force_authenticate(None)
    assert api.get("/api/v1/me", HTTP_AUTHORIZATION=f"Token {token['token']}").status_code == 401
    assert AuthEvent.objects.filter(kind=AuthEventKind.USER_DISABLED, user=staff).exists()


def test_user_types_lists_the_five_classes_and_administrators(api):
    body = api.get("/api/v1/user-types").json()
    assert [t["code"] for t in body] == [t.value for t in UserType]
    assert len(body) == 6


def test_users_list_has_constant_query_count(api, jinan_admin, django_assert_max_num_queries):
    org = regulator("370102")
    for _ in range(15):
        user_with_role("regulator_staff", org)
    api.force_authenticate(jinan_admin)
    with django_assert_max_num_queries(8):
        response = api.get("/api/v1/users/?page_size=100")
    assert response.json()["count"] == 16

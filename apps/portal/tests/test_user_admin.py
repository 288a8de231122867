"""User administration and password change in the portal: same services, field-level errors."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.accounts.models import AuthEvent, AuthEventKind, Role, User
from apps.accounts.tests.factories import PASSWORD, regulator, user_with_role
from apps.enterprises.tests.factories import enterprise

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    admin = user_with_role("regulator_admin", regulator("370100"), username="portal-admin")
    client.force_login(admin)
    return client


def form(org, **overrides):
    return {
        "username": "portal-new",
        "real_name": "李四",
        "organisation": org.pk,
        "roles": [Role.objects.get(code="regulator_staff").pk],
        "password1": "Qz8#long-enough",
        "password2": "Qz8#long-enough",
        **overrides,
    }


def test_admin_creates_user_through_the_portal(admin_client):
    lixia = regulator("370102")
    response = admin_client.post("/users/new/", form(lixia))
    assert response.status_code == 302
    user = User.objects.get(username="portal-new")
    assert user.organisation == lixia and user.role_codes == {"regulator_staff"}
    assert AuthEvent.objects.filter(kind=AuthEventKind.USER_CREATED, user=user, channel="api").exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"password2": "different-Qz8#"}, "password2"),
        ({"password1": "123", "password2": "123"}, "password1"),
        ({"username": "bad name"}, "username"),
        ({"roles": "__enterprise_admin__"}, "roles"),
        ({"organisation": "__outside__"}, "organisation"),
    ],
)
def test_bad_portal_input_shows_field_errors_and_creates_nothing(admin_client, overrides, field):
    lixia = regulator("370102")
    if overrides.get("roles") == "__enterprise_admin__":
        overrides["roles"] = [Role.objects.get(code="enterprise_admin").pk]
    if overrides.get("organisation") == "__outside__":
        overrides["organisation"] = regulator("370200").pk
    response = admin_client.post("/users/new/", form(lixia, **overrides))
    assert response.status_code == 200
    assert field in response.context["form"].errors or (field == "roles" and response.context["form"].errors)
    assert not User.objects.filter(username=overrides.get("username", "portal-new")).exists()


def test_user_admin_needs_the_role(client):
    ent = enterprise("370102")
    client.force_login(user_with_role("enterprise_operator", ent.organisation))
    assert client.get("/users/").status_code == 403
    assert client.get("/users/new/").status_code == 403
    client.force_login(user_with_role("regulator_staff", regulator("370100")))
    assert client.get("/users/").status_code == 200
    assert client.get("/users/new/").status_code == 403


def test_admin_edits_roles_disables_and_unlocks_in_scope_only(admin_client):
    staff = user_with_role("regulator_staff", regulator("370102"), username="edit-me")
    staff.locked_until = timezone.now() + timedelta(minutes=10)
    staff.save()
    outsider = user_with_role("regulator_staff", regulator("370200"))
    assert admin_client.get(f"/users/{outsider.pk}/").status_code == 404
    assert "edit-me" in admin_client.get(f"/users/{staff.pk}/").content.decode()
    admin_client.post(f"/users/{staff.pk}/", {"unlock": "1"})
    staff.refresh_from_db()
    assert not staff.is_locked
    inspector = Role.objects.get(code="law_enforcement_inspector")
    response = admin_client.post(f"/users/{staff.pk}/", {"real_name": "王五", "roles": [inspector.pk]})
    assert response.status_code == 302
    staff = User.objects.get(pk=staff.pk)
    assert staff.role_codes == {"law_enforcement_inspector"} and staff.real_name == "王五" and not staff.is_active


def test_enterprise_admin_sees_only_enterprise_roles(client):
    ent = enterprise("370102")
    client.force_login(user_with_role("enterprise_admin", ent.organisation))
    roles = client.get("/users/new/").context["form"].fields["roles"].queryset
    assert roles.exists() and set(roles.values_list("side", flat=True)) == {"enterprise"}


def test_password_change_in_the_portal(client):
    user = user_with_role("regulator_staff", regulator("370100"), username="pw-portal")
    client.force_login(user)
    bad = client.post(
        "/accounts/password/",
        {"old_password": "wrong", "new_password1": "Zx9#another-one", "new_password2": "Zx9#another-one"},
    )
    assert bad.status_code == 200 and "old_password" in bad.context["form"].errors
    ok = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": "Zx9#another-one", "new_password2": "Zx9#another-one"},
    )
    assert ok.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Zx9#another-one")
    assert client.get("/gov/").status_code == 200  # still signed in
    assert AuthEvent.objects.filter(user=user, kind=AuthEventKind.PASSWORD_CHANGED, channel="portal").exists()

"""Token login (contract §1), lock-out, token life cycle and the login audit trail (ACC-16)."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from apps.accounts.models import ApiToken, AuthEvent, AuthEventKind

from .factories import PASSWORD, regulator, user_with_role

pytestmark = pytest.mark.django_db
TOKEN_URL = "/api/v1/auth/token"


@pytest.fixture
def staff():
    return user_with_role("regulator_staff", regulator("370100"), username="jn-staff")


def test_given_right_password_when_token_requested_then_200_with_token_that_authenticates(api, staff):
    response = api.post(
        TOKEN_URL, {"username": "jn-staff", "password": PASSWORD}, format="json", REMOTE_ADDR="10.1.2.3"
    )
    assert response.status_code == 200
    token = response.json()["token"]
    assert len(token) >= 40
    me = api.get("/api/v1/me", HTTP_AUTHORIZATION=f"Token {token}")
    assert me.status_code == 200 and me.json()["username"] == "jn-staff"
    assert me.json()["scope"]["kind"] == "region"
    event = AuthEvent.objects.get(kind=AuthEventKind.LOGIN, user=staff)
    assert event.ip == "10.1.2.3" and event.channel == "api"
    # Only the hash is stored.
    assert not ApiToken.objects.filter(key_hash=token).exists()


@pytest.mark.parametrize(
    "payload",
    [
        {"username": "jn-staff", "password": "wrong"},
        {"username": "nobody", "password": PASSWORD},
    ],
)
def test_given_wrong_credentials_when_token_requested_then_400_with_message(api, staff, payload):
    response = api.post(TOKEN_URL, payload, format="json")
    assert response.status_code == 400
    assert response.json()["detail"]
    assert AuthEvent.objects.filter(kind=AuthEventKind.LOGIN_FAILED, username=payload["username"]).exists()


@pytest.mark.parametrize("payload", [{}, {"username": "jn-staff"}, [], "x"])
def test_given_malformed_body_when_token_requested_then_400_not_500(api, staff, payload):
    response = api.post(TOKEN_URL, payload, format="json")
    assert response.status_code == 400


@override_settings(ANQUAN_LOGIN_MAX_FAILURES=3)
def test_given_repeated_failures_when_limit_reached_then_account_locked_403_even_with_right_password(api, staff):
    for _ in range(3):
        assert api.post(TOKEN_URL, {"username": "jn-staff", "password": "bad"}, format="json").status_code == 400
    response = api.post(TOKEN_URL, {"username": "jn-staff", "password": PASSWORD}, format="json")
    assert response.status_code == 403
    assert "锁定" in response.json()["detail"]
    assert AuthEvent.objects.filter(kind=AuthEventKind.ACCOUNT_LOCKED, user=staff).count() == 1
    # When the lock expires the right password works again.
    staff.refresh_from_db()
    staff.locked_until = timezone.now() - timedelta(seconds=1)
    staff.save()
    assert api.post(TOKEN_URL, {"username": "jn-staff", "password": PASSWORD}, format="json").status_code == 200


def test_given_disabled_account_when_token_requested_then_403(api, staff):
    staff.is_active = False
    staff.save()
    assert api.post(TOKEN_URL, {"username": "jn-staff", "password": PASSWORD}, format="json").status_code == 403


def test_given_locked_account_when_token_requested_then_403(api, staff):
    staff.locked_until = timezone.now() + timedelta(minutes=5)
    staff.save()
    assert api.post(TOKEN_URL, {"username": "jn-staff", "password": PASSWORD}, format="json").status_code == 403


def test_given_revoked_or_expired_or_garbage_token_then_401(api, staff):
    raw = api.post(TOKEN_URL, {"username": "jn-staff", "password": PASSWORD}, format="json").json()["token"]
    assert api.post("/api/v1/auth/logout", HTTP_AUTHORIZATION=f"Token {raw}").status_code == 204
    assert api.get("/api/v1/me", HTTP_AUTHORIZATION=f"Token {raw}").status_code == 401
    raw2 = api.post(TOKEN_URL, {"username": "jn-staff", "password": PASSWORD}, format="json").json()["token"]
    ApiToken.objects.filter(user=staff, revoked_at__isnull=True).update(expires_at=timezone.now())
    assert api.get("/api/v1/me", HTTP_AUTHORIZATION=f"Token {raw2}").status_code == 401
    assert api.get("/api/v1/me", HTTP_AUTHORIZATION="Token not-a-token").status_code == 401
    assert api.get("/api/v1/me", HTTP_AUTHORIZATION="Token a b").status_code == 401


def test_given_token_of_user_disabled_later_then_401(api, staff):
    raw = api.post(TOKEN_URL, {"username": "jn-staff", "password": PASSWORD}, format="json").json()["token"]
    staff.is_active = False
    staff.save()
    assert api.get("/api/v1/me", HTTP_AUTHORIZATION=f"Token {raw}").status_code == 401


def test_portal_login_uses_the_same_lockout_and_audit(client, staff):
    response = client.post("/accounts/login/", {"username": "jn-staff", "password": "bad"})
    assert response.status_code == 200 and "用户名或密码错误" in response.content.decode()
    response = client.post("/accounts/login/", {"username": "jn-staff", "password": PASSWORD})
    assert response.status_code == 302
    kinds = list(AuthEvent.objects.filter(user=staff).order_by("id").values_list("kind", "channel"))
    assert kinds == [(AuthEventKind.LOGIN_FAILED, "portal"), (AuthEventKind.LOGIN, "portal")]


def test_token_endpoint_is_throttled(api, staff, monkeypatch):
    from rest_framework.throttling import ScopedRateThrottle

    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"login": "3/min"})
    codes = [api.post(TOKEN_URL, {"username": "x", "password": "y"}, format="json").status_code for _ in range(4)]
    assert codes == [400, 400, 400, 429]

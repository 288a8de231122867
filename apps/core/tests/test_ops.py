"""Ops probes and the OpenAPI schema."""

import pytest
from django.core.management import call_command


def test_healthz_answers_without_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_checks_database_postgis_redis_and_broker(client):
    body = client.get("/readyz").json()
    assert body["status"] == "ready"
    assert set(body["checks"]) == {"database", "redis", "broker", "worker_heartbeat"}
    assert body["checks"]["database"]["postgis"].startswith("3.")


@pytest.mark.django_db
def test_readyz_is_503_naming_the_broken_dependency(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["broker"]["ok"] is False and body["checks"]["database"]["ok"] is True


@pytest.mark.django_db
def test_openapi_schema_generates_without_warnings(tmp_path):
    out = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    assert "/api/v1/auth/token" in text and "/api/v1/enterprises/{id}/overview/" in text


@pytest.mark.django_db
def test_schema_and_docs_are_served(client):
    assert client.get("/api/schema/").status_code == 200
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    # The UI is served from our own static files: every script and stylesheet is a local path.
    # (Not a search for "cdn": the page carries a random token that can contain those letters.)
    import re

    assets = re.findall(rb'(?:src|href)="([^"]+)"', docs.content)
    assert assets and all(a.startswith(b"/") and not a.startswith(b"//") for a in assets), assets


@pytest.mark.django_db
def test_routes_answer_with_and_without_trailing_slash(api):
    from apps.accounts.tests.factories import regulator, user_with_role

    api.force_authenticate(user_with_role("regulator_staff", regulator("370100")))
    assert api.get("/api/v1/enterprises").status_code == 200
    assert api.get("/api/v1/enterprises/").status_code == 200
    assert api.get("/api/v1/regions/370102").status_code == 200

"""Portal faces: the unified portal, per-class menus (ACC-07), end separation and languages."""

import pytest

from apps.accounts.tests.factories import regulator, user_with_role
from apps.enterprises.tests.factories import enterprise

pytestmark = pytest.mark.django_db


def test_unified_portal_is_public_html_in_chinese_by_default(client):
    response = client.get("/")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "公共服务平台" in html and "登录" in html


def test_english_is_available(client):
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Public service platform" in html and "Log in" in html


def test_menu_per_user_class(api):
    anonymous = api.get("/api/v1/portal/menu").json()["platforms"]
    assert [p["code"] for p in anonymous] == ["public"]
    api.force_authenticate(user_with_role("regulator_staff", regulator("370100")))
    assert {p["code"] for p in api.get("/api/v1/portal/menu").json()["platforms"]} == {"supervision", "public"}
    ent = enterprise("370102")
    api.force_authenticate(user_with_role("enterprise_operator", ent.organisation))
    assert {p["code"] for p in api.get("/api/v1/portal/menu").json()["platforms"]} == {"enterprise", "public"}


def test_government_and_enterprise_ends_are_separate(client):
    ent = enterprise("370102")
    ent_user = user_with_role("enterprise_admin", ent.organisation)
    gov_user = user_with_role("regulator_staff", regulator("370100"))
    client.force_login(ent_user)
    assert client.get("/gov/").status_code == 403
    assert client.get("/gov/enterprises/").status_code == 403
    assert client.get("/ent/").status_code == 200
    client.force_login(gov_user)
    assert client.get("/ent/").status_code == 403
    assert client.get("/gov/").status_code == 200
    assert client.get("/", follow=False)["Location"] == "/gov/"


def test_portal_detail_outside_jurisdiction_is_404(client):
    other = enterprise("370211")
    mine = enterprise("370102")
    client.force_login(user_with_role("regulator_staff", regulator("370100")))
    assert client.get(f"/gov/enterprises/{mine.pk}/").status_code == 200
    assert client.get(f"/gov/enterprises/{other.pk}/").status_code == 404


def test_portal_list_filters_paginates_and_exports(client):
    for _ in range(30):
        enterprise("370102")
    enterprise("370112", name="历城专用化工")
    client.force_login(user_with_role("regulator_staff", regulator("370100")))
    page = client.get("/gov/enterprises/")
    assert page.context["paginator"].count == 31 and len(page.context["object_list"]) == 25
    filtered = client.get("/gov/enterprises/?region=370112")
    assert [e.organisation.name for e in filtered.context["object_list"]] == ["历城专用化工"]
    export = client.get("/gov/enterprises/?region=370112&export=xlsx")
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")


def test_anonymous_is_sent_to_login(client):
    response = client.get("/gov/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_region_picker_lists_the_jurisdiction_with_its_parks(client):
    client.force_login(user_with_role("regulator_staff", regulator("370100")))
    regions = client.get("/gov/enterprises/").context["region_choices"]
    codes = {r.code for r in regions}
    assert {"370100", "370102", "370112"} <= codes and "370200" not in codes
    assert any(r.kind == "park" for r in regions)

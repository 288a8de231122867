"""Browser smoke test: Playwright drives Debian's Chromium against the live server.

Playwright's own browser download cannot work on these machines; the scripts install the
`chromium` package and this test launches /usr/bin/chromium directly.
"""

import os
import shutil

import pytest

from apps.accounts.tests.factories import PASSWORD, regulator, user_with_role
from apps.enterprises.tests.factories import enterprise

# Playwright's sync API runs an event loop in this thread; the ORM calls here are plain test setup.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
CHROMIUM = os.environ.get("ANQUAN_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `make setup` (installs Debian's chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def log_in(page, live_server, username, password=PASSWORD):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("#login-submit")


def test_regulator_logs_in_and_sees_only_its_city(page, live_server):
    enterprise("370102", name="历下浏览器化工有限公司")
    enterprise("370112", name="历城浏览器化工有限公司")
    enterprise("370211", name="黄岛浏览器化工有限公司")
    user_with_role("regulator_staff", regulator("370100"), username="browser-jinan")

    log_in(page, live_server, "browser-jinan")
    page.wait_for_url(f"{live_server.url}/gov/")
    assert page.inner_text("#enterprise-total") == "2"
    page.wait_for_selector("#enterprise-map[data-loaded='2']")  # the map fetched the scoped GeoJSON
    assert page.locator("#chart-by-region canvas").count() >= 1  # ECharts rendered from vendored assets
    page.goto(f"{live_server.url}/gov/enterprises/")
    rows = page.locator("#enterprise-table tbody tr").all_inner_texts()
    assert len(rows) == 2 and not any("黄岛" in r for r in rows)
    page.click("text=历下浏览器化工有限公司")
    page.wait_for_selector("#enterprise-overview")
    assert "历下区" in page.inner_text("#enterprise-overview")
    page.click("#logout")
    page.wait_for_url(f"{live_server.url}/accounts/login/")


def test_enterprise_user_logs_in_to_the_enterprise_portal(page, live_server):
    ent = enterprise("370102", name="企业端浏览器化工有限公司")
    user_with_role("enterprise_admin", ent.organisation, username="browser-ent")
    log_in(page, live_server, "browser-ent")
    page.wait_for_url(f"{live_server.url}/ent/")
    assert "企业端浏览器化工有限公司" in page.inner_text("#enterprise-overview")
    # The government end is closed to enterprise users.
    response = page.goto(f"{live_server.url}/gov/")
    assert response.status == 403


def test_wrong_password_shows_a_clear_error(page, live_server):
    user_with_role("regulator_staff", regulator("370100"), username="browser-bad")
    log_in(page, live_server, "browser-bad", "wrong-password")
    assert "用户名或密码错误" in page.inner_text("#login-error")


def test_regulator_admin_creates_a_user_after_fixing_a_field_error(page, live_server):
    from apps.accounts.models import User

    county = regulator("370102")
    user_with_role("regulator_admin", regulator("370100"), username="browser-admin")
    log_in(page, live_server, "browser-admin")
    page.wait_for_url(f"{live_server.url}/gov/")
    page.goto(f"{live_server.url}/users/")
    page.click("#user-create")
    page.fill("#id_username", "browser-made")
    page.select_option("#id_organisation", str(county.pk))
    page.check("label:has-text('监管人员') >> xpath=preceding-sibling::input")
    page.fill("#id_password1", "Wy7#browser-ok")
    page.fill("#id_password2", "Wy7#browser-typo")
    page.click("#user-save")
    assert page.locator(".invalid-feedback[data-field='password2']").count() == 1
    assert not User.objects.filter(username="browser-made").exists()
    page.fill("#id_password1", "Wy7#browser-ok")
    page.fill("#id_password2", "Wy7#browser-ok")
    page.click("#user-save")
    page.wait_for_url(f"{live_server.url}/users/")
    assert "browser-made" in page.inner_text("#user-table")
    assert User.objects.get(username="browser-made").role_codes == {"regulator_staff"}


def test_enterprise_registers_a_facility_and_the_regulator_sees_it_on_statistics_and_map(page, live_server):
    from apps.facilities.models import Facility
    from apps.hazards.services import register_hazard_source

    ent = enterprise("370102", name="浏览器危化有限公司")
    user_with_role("enterprise_admin", ent.organisation, username="browser-ent-admin")
    user_with_role("regulator_staff", regulator("370100"), username="browser-reg")
    register_hazard_source(
        None,
        enterprise=ent,
        code="HS",
        name="液氨罐区",
        exposed_population=60,
        substances=[{"name": "液氨", "quantity_t": 300}],
    )

    log_in(page, live_server, "browser-ent-admin")
    page.wait_for_url(f"{live_server.url}/ent/")
    page.goto(f"{live_server.url}/ent/facilities/")
    page.select_option("#facility-kind", "tank_farm")
    page.click("#facility-add")
    page.fill("#id_code", "TF-B1")
    page.fill("#id_name", "液氨罐区")
    page.click("#facility-save")
    page.wait_for_url(f"{live_server.url}/ent/facilities/")
    assert "TF-B1" in page.inner_text("#facility-table")
    assert Facility.objects.filter(enterprise=ent, code="TF-B1").exists()
    page.click("#logout")

    log_in(page, live_server, "browser-reg")
    page.wait_for_url(f"{live_server.url}/gov/")
    page.goto(f"{live_server.url}/gov/stats/?group_by=industry")
    assert page.inner_text("#stats-total") == "1"
    assert page.locator("#stats-chart canvas").count() >= 1
    page.goto(f"{live_server.url}/gov/hazard-sources/")
    page.wait_for_selector("#hazard-map[data-loaded='1']")
    assert "液氨罐区" in page.inner_text("#hazard-table")

"""Data-exchange pages in a real browser: an enterprise's exchange client uploads risk units over HTTP
(one refused for an over-long department), then a regulator opens the data-exchange quality page —
the refusal's reason in the table and the ECharts bar chart — and the enterprise's reported data,
where the received record is listed and opens with its fields by their Chinese names.

Fixtures are those of ``tests/test_browser.py`` and the ASGI server of
``tests/test_browser_monitoring.py``, as in ``tests/test_browser_risk.py``. Data are made in another
thread (ORM work stays out of Playwright's event loop); uploads go through the real endpoint.
"""

import json

import pytest

from tests import test_browser, test_browser_monitoring

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
browser = test_browser.browser
page = test_browser.page
log_in = test_browser.log_in
asgi_server = test_browser_monitoring.asgi_server
in_thread = test_browser_monitoring.in_thread


def exchange_world(made: dict) -> None:
    """A Jinan enterprise with an exchange client, and a Jinan regulator."""
    from apps.accounts.tests.factories import regulator, user_with_role
    from apps.exchange.tests import factories as f

    ent = f.enterprise("370102", name="历下交换浏览器化工有限公司")
    made["enterprise"] = ent.pk
    made["token"] = f.client_for(ent)[1]
    user_with_role("regulator_staff", regulator("370100"), username="browser-exchange-gov")


def test_regulator_sees_a_received_record_and_a_refusal_reason(page, asgi_server):
    from apps.exchange.tests import factories as f

    made = {}
    in_thread(exchange_world, made)
    upload = page.request.post(
        f"{asgi_server.url}/api/v1/exchange/risk-units",
        data=json.dumps([f.risk_unit(RISK_UNIT_NAME="浏览器罐区"), f.risk_unit(HAZARD_DEP="长" * 201)]),
        headers={"Authorization": f"Token {made['token']}", "Content-Type": "application/json"},
    )
    assert upload.status == 200, upload.text()
    answer = upload.json()
    assert answer["created"] == 1 and [r["index"] for r in answer["rejected"]] == [1]
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    log_in(page, asgi_server, "browser-exchange-gov")
    page.wait_for_url(f"{asgi_server.url}/gov/")
    page.click("nav.sidebar a[href='/gov/exchange/quality/']")  # the menu entry
    page.wait_for_selector("body[data-charts-ready='1']")
    assert page.locator("#chart-reasons canvas").count() >= 1
    assert page.inner_text("#count-rejected") == "1"
    reason = page.locator("#reason-table tr[data-reason='HAZARD_DEP:max_length']")
    assert "责任部门" in reason.inner_text() and "max_length" in reason.inner_text()
    assert "历下交换浏览器化工有限公司" in page.inner_text("#recent-rejection-table")

    page.goto(f"{asgi_server.url}/gov/exchange/enterprises/{made['enterprise']}/")
    assert "浏览器罐区" in page.inner_text("#record-table")
    assert page.inner_text("#tab-rejections .badge") == "1"
    page.click("#record-table a:has-text('浏览器罐区')")
    page.wait_for_selector("#record-fields")
    assert "风险分析单元名称" in page.inner_text("#record-fields tr[data-field='RISK_UNIT_NAME']")
    assert page.locator("#record-history li").count() == 1
    page.goto(f"{asgi_server.url}/gov/exchange/enterprises/{made['enterprise']}/?tab=rejections")
    assert "责任部门" in page.inner_text("#rejection-table")
    assert errors == []


def test_a_positioning_alarm_received_shows_live_on_the_reported_data_list(page, asgi_server):
    from apps.exchange.tests import factories as f

    made = {}
    in_thread(exchange_world, made)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in(page, asgi_server, "browser-exchange-gov")
    page.wait_for_url(f"{asgi_server.url}/gov/")
    page.goto(f"{asgi_server.url}/gov/exchange/")
    page.wait_for_selector("#live-status[data-live-status='live']")
    assert page.locator("#exchange-live").is_hidden()
    alarm = f.positioning_alarm(realName="实时报警人")
    upload = page.request.post(
        f"{asgi_server.url}/api/v1/exchange/positioning-alarms",
        data=json.dumps([alarm]),
        headers={"Authorization": f"Token {made['token']}", "Content-Type": "application/json"},
    )
    assert upload.json()["created"] == 1
    page.wait_for_selector(f"#exchange-live-list li[data-key='{alarm['id']}']")
    assert page.inner_text("#exchange-live-count") == "1" and "实时报警人" in page.inner_text("#exchange-live")
    page.click("#exchange-live-reload")
    assert "实时报警人" in page.inner_text("table")
    assert errors == []

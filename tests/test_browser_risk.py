"""Risk pages in a real browser: the regulator's four-colour overview draws its map (region polygons
filled with the configured level colours, enterprise points) and level counts; the enterprise opens
My risk, sees the composition chart and feeds back on its warning; the regulator's warning list,
open meanwhile, shows the warning as fed back through the live websocket.

Fixtures are those of ``tests/test_browser.py`` and the ASGI server of
``tests/test_browser_monitoring.py`` (websockets need ASGI). Data are made in another thread because
their post-commit live pushes cannot run inside Playwright's event loop.
"""

import datetime as dt

import pytest

from apps.accounts.tests.factories import regulator, user_with_role
from tests import test_browser, test_browser_monitoring

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
browser = test_browser.browser
page = test_browser.page
log_in = test_browser.log_in
asgi_server = test_browser_monitoring.asgi_server
in_thread = test_browser_monitoring.in_thread


def graded_world(made: dict) -> None:
    """A published model; 历下 with one alarm (yellow, a pending warning), 历城 quiet (blue)."""
    from django.utils import timezone

    from apps.monitoring.tests.factories import feed, temperature_point
    from apps.risk.services import grading
    from apps.risk.tests.factories import use_model

    use_model()
    hot = temperature_point(region="370102", code="TI-B1", period_s=60)
    quiet = temperature_point(region="370112", code="TI-B2", period_s=60)
    ids = [hot.enterprise_id, quiet.enterprise_id]
    grading.regrade(ids)
    feed(hot, [20, 95, 96, 20], start=timezone.now() - dt.timedelta(minutes=30), every_s=10)
    grading.regrade(ids)
    made.update(hot=hot.enterprise, quiet=quiet.enterprise)


def test_overview_map_then_enterprise_feedback_reaches_the_regulator_live(browser, page, asgi_server):
    from apps.risk.models import RiskLevel, Warning

    made = {}
    in_thread(graded_world, made)
    warning = Warning.objects.get(enterprise=made["hot"])
    assert warning.status == "pending" and warning.level == 3
    user_with_role("regulator_staff", regulator("370100"), username="browser-risk-gov")
    user_with_role("enterprise_safety_manager", made["hot"].organisation, username="browser-risk-ent")
    level_colours = {hex_value.lower() for hex_value in RiskLevel.objects.values_list("hex", flat=True)}
    errors = []
    page.on("pageerror", lambda exc: errors.append(f"gov: {exc}"))

    # The regulator: counts per level, the map with its region polygons and points, the charts.
    log_in(page, asgi_server, "browser-risk-gov")
    page.wait_for_url(f"{asgi_server.url}/gov/")
    page.goto(f"{asgi_server.url}/gov/risk/")
    assert page.inner_text("#risk-count-3") == "1"
    assert page.inner_text("#risk-count-4") == "1"
    assert page.inner_text("#risk-count-1") == "0"
    page.wait_for_selector("#risk-map[data-loaded='2']")  # both graded enterprises fetched and drawn
    regions = int(page.get_attribute("#risk-map", "data-regions"))
    assert regions >= 10  # the districts and counties of Jinan
    polygons = page.locator("#risk-map .leaflet-overlay-pane svg path")
    assert polygons.count() >= regions
    fills = {(polygons.nth(i).get_attribute("fill") or "").lower() for i in range(polygons.count())}
    shown = page.evaluate("JSON.parse(document.getElementById('risk-region-map').textContent).features")
    lixia = next(f["properties"] for f in shown if f["properties"]["code"] == "370102")
    assert lixia["level"] and lixia["color"].lower() in level_colours  # a configured level colour
    assert lixia["color"].lower() in fills  # 历下区 filled with it
    page.wait_for_selector("body[data-risk-charts='3']")
    for chart in ("chart-risk-region", "chart-risk-industry", "chart-risk-trend"):
        assert page.locator(f"#{chart} canvas").count() >= 1, chart
    assert made["hot"].organisation.name in page.inner_text("#risk-top")

    # The regulator keeps the warning list open, following the region live.
    page.goto(f"{asgi_server.url}/gov/warnings/?tab=all")
    row = f"#warning-table tr[data-warning='{warning.pk}']"
    assert page.get_attribute(row, "data-status") == "pending"
    page.wait_for_selector("#live-status[data-live-status='live']")

    # The enterprise, in a browser of its own: My risk, the composition, the feedback.
    context = browser.new_context(locale="zh-CN")
    ent = context.new_page()
    ent.set_default_timeout(15000)
    ent.on("pageerror", lambda exc: errors.append(f"ent: {exc}"))
    try:
        log_in(ent, asgi_server, "browser-risk-ent")
        ent.wait_for_url(f"{asgi_server.url}/ent/")
        assert ent.get_attribute("#overview-risk", "data-level") == "3"
        ent.goto(f"{asgi_server.url}/ent/risk/")
        ent.wait_for_selector("body[data-risk-charts='2']")
        assert ent.locator("#risk-composition canvas").count() >= 1
        assert ent.get_attribute("#risk-current", "data-level") == "3"
        assert ent.locator("#risk-breakdown tr[data-code='alarms.video'] .risk-nodata").count() >= 1
        ent.wait_for_selector("#live-status[data-live-status='live']")
        ent.fill("#id_measures", "更换温度变送器，降低进料量")
        ent.fill("#id_cause", "换热器结垢")
        ent.fill("#id_result", "温度恢复正常")
        ent.click("#feedback-submit")
        ent.wait_for_selector("#risk-open-warning [data-status='fed_back']")
        assert "feedback-form" not in ent.content()
    finally:
        context.close()

    warning.refresh_from_db()
    assert warning.status == "fed_back" and warning.measures == "更换温度变送器，降低进料量"
    # The regulator's list follows without a reload: a toast, and the row now fed back.
    page.wait_for_selector(f".risk-toast[data-warning='{warning.pk}'][data-event='fed_back']")
    page.wait_for_selector(f"{row}[data-status='fed_back']")
    assert page.inner_text("[data-count='fed_back']") == "1"
    page.click(f"{row} a")
    page.wait_for_selector("#verify-form")
    assert "换热器结垢" in page.inner_text("#warning-feedback")
    assert errors == []

"""Monitoring pages in a real browser: a reading over the limit goes through the real pipeline and the
enterprise's status board shows the alarm toast and the highlighted value over the live websocket;
the regulator's statistics page draws its charts without script errors.

The browser and page fixtures are those of ``tests/test_browser.py``. Websockets need an ASGI server,
so instead of pytest-django's WSGI ``live_server`` the project's ASGI application (Channels router,
session-authenticated ``/ws/live/``) is served by uvicorn in a thread against the test database.
"""

import datetime as dt
import socket
import threading
import time

import pytest
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

from apps.accounts.tests.factories import regulator, user_with_role
from apps.enterprises.tests.factories import enterprise
from apps.facilities.models import Facility, FacilityKind
from apps.monitoring.models import Alarm, MeasurementKind, MonitoringPoint
from tests import test_browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
browser = test_browser.browser
page = test_browser.page
log_in = test_browser.log_in


class AsgiServer:
    """The project's ASGI application on a free local port (uvicorn, in a daemon thread)."""

    def __init__(self):
        import uvicorn

        from config.asgi import application

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        config = uvicorn.Config(
            ASGIStaticFilesHandler(application),
            host="127.0.0.1",
            port=self.port,
            lifespan="off",
            ws="websockets-sansio",  # the legacy websockets protocol is deprecated
            log_level="warning",
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.url = f"http://127.0.0.1:{self.port}"

    def __enter__(self):
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the ASGI test server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="module")
def asgi_server():
    with AsgiServer() as server:
        yield server


def in_thread(function, *args):
    """Run ORM work outside Playwright's event-loop thread: the post-commit live push calls
    ``async_to_sync``, which refuses to run where an event loop is running."""
    from django.db import connection

    failure = []

    def run():
        try:
            function(*args)
        except Exception as exc:  # reported in the test thread
            failure.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=30)
    if failure:
        raise failure[0]


def test_status_board_pops_up_a_new_alarm_and_highlights_the_value(page, asgi_server):
    from apps.monitoring.tests.factories import feed

    ent = enterprise("370102", name="实时看板化工有限公司")
    facility = Facility.objects.create(
        enterprise=ent, kind=FacilityKind.objects.get(code="tank_farm"), code="TF", name="罐区"
    )
    point = MonitoringPoint.objects.create(
        enterprise=ent,
        facility=facility,
        code="TI-101",
        name="储罐温度",
        kind=MeasurementKind.objects.get(code="temperature"),
        unit="℃",
        high=80,
        high_high=120,
    )
    user_with_role("enterprise_admin", ent.organisation, username="browser-board")
    now = dt.datetime.now(dt.UTC)
    in_thread(feed, point, [50.0], now - dt.timedelta(seconds=20))
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    log_in(page, asgi_server, "browser-board")
    page.wait_for_url(f"{asgi_server.url}/ent/")
    page.goto(f"{asgi_server.url}/ent/monitoring/")
    row = page.locator(f"#point-{point.pk}")
    assert row.get_attribute("data-status") == "normal"
    assert "mon-abnormal" not in row.get_attribute("class")
    page.wait_for_selector("#live-status[data-live-status='live']")  # subscribed to the enterprise topic

    in_thread(feed, point, [95.0], now)  # stored, processed, pushed after commit
    alarm = Alarm.objects.get(point=point)
    toast = page.wait_for_selector(f".mon-toast[data-alarm='{alarm.pk}']")
    assert toast.query_selector("a.mon-toast-link").get_attribute("href") == f"/ent/alarms/{alarm.pk}/"
    assert "TI-101" in toast.inner_text() and "95" in toast.inner_text()
    page.wait_for_selector(f"#point-{point.pk}.mon-abnormal")
    assert row.get_attribute("data-status") == "high"
    assert row.locator(".mon-value-number").inner_text() == "95"
    assert row.locator(f".mon-alarm a[href='/ent/alarms/{alarm.pk}/']").count() == 1
    assert page.evaluate("document.body.dataset.beeps") == "1"  # one beep (not muted)
    assert page.inner_text("#summary-alarms") == "1"

    # Muted, the next alarm still pops up but does not beep; the choice survives a reload.
    page.click("#mute-toggle")
    page.reload()
    page.wait_for_selector("#live-status[data-live-status='live']")
    assert page.get_attribute("#mute-toggle", "aria-pressed") == "true"
    in_thread(feed, point, [125.0], now + dt.timedelta(seconds=10))  # escalates to high-high
    page.wait_for_selector(f".mon-toast[data-alarm='{alarm.pk}']")
    page.wait_for_selector(f"#point-{point.pk}[data-status='high_high']")
    assert page.evaluate("document.body.dataset.beeps || '0'") == "0"
    assert errors == []


def test_regulator_statistics_page_draws_its_charts(page, asgi_server):
    from apps.monitoring.tests.factories import feed

    ent = enterprise("370102", name="统计图表化工有限公司")
    facility = Facility.objects.create(
        enterprise=ent, kind=FacilityKind.objects.get(code="tank_farm"), code="TF", name="罐区"
    )
    point = MonitoringPoint.objects.create(
        enterprise=ent,
        facility=facility,
        code="PI-1",
        name="压力",
        kind=MeasurementKind.objects.get(code="temperature"),
        high=80,
    )
    in_thread(feed, point, [70.0, 90.0], dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5))
    user_with_role("regulator_staff", regulator("370100"), username="browser-stats")
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    log_in(page, asgi_server, "browser-stats")
    page.wait_for_url(f"{asgi_server.url}/gov/")
    page.goto(f"{asgi_server.url}/gov/monitoring/statistics/")
    page.wait_for_selector("body[data-charts-ready='5']")
    for chart in ("access-region", "alarms-region", "access-industry", "alarms-industry", "online-trend"):
        assert page.locator(f"#chart-{chart} canvas").count() >= 1, chart
    assert page.inner_text("#total-points-alarming") == "1"
    assert page.inner_text("#total-alarms-raised") == "1"
    assert errors == []

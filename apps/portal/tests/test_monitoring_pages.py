"""Monitoring pages of the portal: status board, alarm centre, history, statistics, data quality and
maintenance windows, for the right roles only and within each user's jurisdiction."""

import datetime as dt
from io import BytesIO

import pytest
from openpyxl import load_workbook

from apps.accounts.tests.factories import regulator, user_with_role
from apps.enterprises.tests.factories import enterprise
from apps.facilities.models import Facility, FacilityKind
from apps.monitoring.models import Alarm, MeasurementKind, MonitoringPoint
from apps.monitoring.tests.factories import feed

pytestmark = pytest.mark.django_db
T0 = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(hours=1)


def make_point(ent, code, **limits):
    facility = Facility.objects.get_or_create(
        enterprise=ent, code="TF", defaults={"kind": FacilityKind.objects.get(code="tank_farm"), "name": "罐区"}
    )[0]
    return MonitoringPoint.objects.create(
        enterprise=ent,
        facility=facility,
        code=code,
        name=f"温度{code}",
        kind=MeasurementKind.objects.get(code="temperature"),
        unit="℃",
        **limits,
    )


@pytest.fixture
def world():
    """A Jinan enterprise with an active and a cleared alarm, a Qingdao one with an active alarm."""
    jinan = enterprise("370102", name="历下监测化工有限公司")
    qingdao = enterprise("370211", name="黄岛监测化工有限公司")
    hot = make_point(jinan, "TI-1", high=80, high_high=90)
    calm = make_point(jinan, "TI-2", high=80)
    far = make_point(qingdao, "TI-9", high=80, high_high=90)
    feed(hot, [70, 85], T0)  # raised, still active
    feed(calm, [70, 85, 70], T0)  # raised and cleared
    feed(far, [95], T0)
    return {
        "jinan": jinan,
        "qingdao": qingdao,
        "hot": hot,
        "calm": calm,
        "far": far,
        "active": Alarm.objects.get(point=hot),
        "cleared": Alarm.objects.get(point=calm),
        "qingdao_alarm": Alarm.objects.get(point=far),
    }


@pytest.fixture
def ent_client(client, world):
    client.force_login(user_with_role("enterprise_admin", world["jinan"].organisation))
    return client


@pytest.fixture
def gov_client(client, world):
    client.force_login(user_with_role("regulator_staff", regulator("370100")))
    return client


# ---------------------------------------------------------------- access


def test_enterprise_pages_answer_the_enterprise_and_refuse_regulators_and_visitors(client, world):
    own = [
        "/ent/monitoring/",
        "/ent/alarms/",
        "/ent/alarms/?tab=history",
        f"/ent/alarms/{world['active'].pk}/",
        f"/ent/points/{world['hot'].pk}/history/",
    ]
    for url in own:
        assert client.get(url).status_code == 302  # to the login page
    client.force_login(user_with_role("enterprise_admin", world["jinan"].organisation))
    for url in own:
        assert client.get(url).status_code == 200, url
    assert client.get("/gov/alarms/").status_code == 403
    client.force_login(user_with_role("regulator_staff", regulator("370100")))
    for url in own:
        assert client.get(url).status_code == 403, url


def test_regulator_pages_answer_regulators_and_refuse_enterprises(client, world):
    pages = [
        "/gov/alarms/",
        f"/gov/alarms/{world['active'].pk}/",
        f"/gov/points/{world['hot'].pk}/history/",
        "/gov/monitoring/statistics/",
        "/gov/monitoring/quality/",
        "/gov/maintenance-windows/",
    ]
    client.force_login(user_with_role("regulator_staff", regulator("370100")))
    for url in pages:
        assert client.get(url).status_code == 200, url
    client.force_login(user_with_role("enterprise_admin", world["jinan"].organisation))
    for url in pages:
        assert client.get(url).status_code == 403, url


def test_a_jinan_regulator_sees_jinan_alarms_and_points_only(gov_client, world):
    page = gov_client.get("/gov/alarms/")
    assert [a.pk for a in page.context["object_list"]] == [world["active"].pk]
    assert "黄岛监测化工有限公司" not in page.content.decode()
    assert page.context["live_topic"] == "region" and page.context["live_key"] == "370100"
    assert gov_client.get(f"/gov/alarms/{world['qingdao_alarm'].pk}/").status_code == 404
    assert gov_client.get(f"/gov/points/{world['far'].pk}/history/").status_code == 404
    history = gov_client.get("/gov/alarms/?tab=history")
    assert [a.pk for a in history.context["object_list"]] == [world["cleared"].pk]


def test_an_enterprise_user_sees_its_own_alarms_only(client, world):
    client.force_login(user_with_role("enterprise_admin", world["qingdao"].organisation))
    page = client.get("/ent/alarms/")
    assert [a.pk for a in page.context["object_list"]] == [world["qingdao_alarm"].pk]
    assert page.context["live_topic"] == "enterprise" and page.context["live_key"] == world["qingdao"].pk
    assert client.get(f"/ent/alarms/{world['active'].pk}/").status_code == 404
    assert client.get(f"/ent/points/{world['hot'].pk}/history/").status_code == 404


def test_menus_list_the_monitoring_pages_to_users_with_the_permissions(client, world):
    from apps.accounts.models import User
    from apps.portal.menus import menu_for

    def codes(user, platform):
        return {m["code"] for p in menu_for(user) if p["code"] == platform for m in p["modules"] if m["url"]}

    staff = user_with_role("regulator_staff", regulator("370100"))
    assert {"alarms", "monitoring_statistics", "data_quality"} <= codes(staff, "supervision")
    admin = user_with_role("enterprise_admin", world["jinan"].organisation)
    assert {"monitoring", "alarms"} <= codes(admin, "enterprise")
    roleless = User.objects.create_user(username="no-role", password="x", organisation=regulator("370100"))
    assert not {"alarms", "monitoring_statistics", "data_quality"} & codes(roleless, "supervision")


# ---------------------------------------------------------------- status board


def test_board_shows_values_levels_and_active_alarms_by_facility(ent_client, world):
    page = ent_client.get("/ent/monitoring/")
    html = page.content.decode()
    rows = {p["id"]: p for p in page.context["board_points"]}
    assert set(rows) == {world["hot"].pk, world["calm"].pk}
    assert rows[world["hot"].pk]["level"] == "high" and rows[world["hot"].pk]["value"] == 85.0
    assert rows[world["hot"].pk]["limits"] == {"low_low": None, "low": None, "high": 80.0, "high_high": 90.0}
    assert page.context["summary"] == {"total": 2, "online": 2, "abnormal": 1, "alarms": 1}
    assert f'id="point-{world["hot"].pk}"' in html and "mon-abnormal" in html
    assert f"/ent/alarms/{world['active'].pk}/" in html
    assert f'data-enterprise="{world["jinan"].pk}"' in html
    only_abnormal = ent_client.get("/ent/monitoring/?abnormal=1")
    assert [p["id"] for p in only_abnormal.context["board_points"]] == [world["hot"].pk]
    by_text = ent_client.get("/ent/monitoring/?q=TI-2")
    assert [p["id"] for p in by_text.context["board_points"]] == [world["calm"].pk]


def test_board_marks_late_values_and_points_without_data(ent_client, world):
    from apps.monitoring.models import PointState

    silent = make_point(world["jinan"], "TI-3", high=80)
    PointState.objects.filter(point=world["hot"]).update(ts=dt.datetime.now(dt.UTC))
    PointState.objects.filter(point=world["calm"]).update(ts=T0 - dt.timedelta(hours=2))
    page = ent_client.get("/ent/monitoring/")
    status = {p.pk: p.status for _f, points in page.context["groups"] for p in points}
    assert status == {world["hot"].pk: "high", world["calm"].pk: "stale", silent.pk: "nodata"}


# ---------------------------------------------------------------- alarm centre


def test_alarm_filters_level_handled_dates_and_point(ent_client, world):
    def listed(query):
        return [a.pk for a in ent_client.get(f"/ent/alarms/?{query}").context["object_list"]]

    active, cleared = world["active"].pk, world["cleared"].pk
    assert listed("") == [active]
    assert listed("tab=history") == [cleared]
    assert listed("level=high_high") == []
    assert listed("handled=false") == [active]
    assert listed("handled=true") == []
    today = dt.datetime.now(dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=8))).date()
    assert listed(f"date_from={today - dt.timedelta(days=1)}&date_to={today}") == [active]
    assert listed(f"date_from={today + dt.timedelta(days=1)}") == []
    assert listed("tab=history&q=TI-1") == []
    assert listed(f"tab=history&point={world['calm'].pk}") == [cleared]
    bad = ent_client.get("/ent/alarms/?date_from=not-a-date")
    assert bad.status_code == 200 and bad.context["filterset"].errors


def test_regulator_filters_by_region_industry_and_overdue(gov_client, world):
    def listed(query):
        return [a.pk for a in gov_client.get(f"/gov/alarms/?{query}").context["object_list"]]

    assert listed("region=370102") == [world["active"].pk]
    assert listed("region=370103") == []
    assert listed("industry=hazardous_chemicals") == [world["active"].pk]
    assert listed("long_uncleared=true") == []
    Alarm.objects.filter(pk=world["active"].pk).update(started_at=T0 - dt.timedelta(days=3))
    assert listed("long_uncleared=true") == [world["active"].pk]
    assert "table-warning" in gov_client.get("/gov/alarms/").content.decode()


def test_handling_feedback_is_saved_and_validated(client, world):
    alarm = world["active"]
    client.force_login(user_with_role("enterprise_admin", world["jinan"].organisation, real_name="张三"))
    page = client.get(f"/ent/alarms/{alarm.pk}/")
    assert page.context["can_handle"] and page.context["form"].initial["handler"] == "张三"
    assert [e.event for e in page.context["events"]] == ["raised"]
    missing = client.post(f"/ent/alarms/{alarm.pk}/", {"cause": "仪表漂移", "measures": "", "result": ""})
    assert missing.status_code == 400 and set(missing.context["form"].errors) == {"measures", "result"}
    assert Alarm.objects.get(pk=alarm.pk).handled_at is None
    blank = client.post(f"/ent/alarms/{alarm.pk}/", {"cause": " ", "measures": " ", "result": " "})
    assert blank.status_code == 400
    saved = client.post(
        f"/ent/alarms/{alarm.pk}/",
        {"cause": "仪表漂移", "measures": "重新标定变送器", "result": "恢复正常", "handler": "李四"},
    )
    assert saved.status_code == 302
    alarm.refresh_from_db()
    assert (alarm.cause, alarm.measures, alarm.result, alarm.handler) == (
        "仪表漂移",
        "重新标定变送器",
        "恢复正常",
        "李四",
    )
    assert alarm.handled_at is not None
    # The regulator reads the feedback; it has no form.
    client.force_login(user_with_role("regulator_staff", regulator("370100")))
    seen = client.get(f"/gov/alarms/{alarm.pk}/")
    assert "重新标定变送器" in seen.content.decode() and "form" not in seen.context
    assert client.post(f"/gov/alarms/{alarm.pk}/", {"cause": "x"}).status_code == 405


def test_a_role_without_change_permission_cannot_record_handling(client, world):
    client.force_login(user_with_role("enterprise_operator", world["jinan"].organisation))
    alarm = world["active"]
    page = client.get(f"/ent/alarms/{alarm.pk}/")
    assert page.status_code == 200 and not page.context["can_handle"] and "handling-form" not in page.content.decode()
    denied = client.post(f"/ent/alarms/{alarm.pk}/", {"cause": "a", "measures": "b", "result": "c"})
    assert denied.status_code == 403
    assert Alarm.objects.get(pk=alarm.pk).handled_at is None


def test_excel_export_holds_the_filtered_rows(gov_client, world):
    more = make_point(world["jinan"], "PI-1", high_high=90)
    feed(more, [99], T0)
    response = gov_client.get("/gov/alarms/?level=high_high&export=xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(BytesIO(response.content)).active.iter_rows(values_only=True))
    assert len(rows) == 2  # header and the one high-high alarm of Jinan (not Qingdao's)
    header, row = rows
    assert row[header.index("Point code") if "Point code" in header else 2] == "PI-1"
    assert "历下监测化工有限公司" in row and "黄岛监测化工有限公司" not in row
    everything = gov_client.get("/gov/alarms/?tab=history&export=xlsx")
    assert len(list(load_workbook(BytesIO(everything.content)).active.iter_rows())) == 2


def test_alarm_lists_take_a_bounded_number_of_queries(client, world, django_assert_max_num_queries):
    points = [make_point(world["jinan"], f"LT-{n}", high=80) for n in range(12)]
    for point in points:
        feed(point, [85], T0)
    client.force_login(user_with_role("regulator_staff", regulator("370100")))
    with django_assert_max_num_queries(16):
        page = client.get("/gov/alarms/")
    assert len(page.context["object_list"]) == 13
    client.force_login(user_with_role("enterprise_admin", world["jinan"].organisation))
    with django_assert_max_num_queries(16):
        assert client.get("/ent/alarms/").status_code == 200
    with django_assert_max_num_queries(16):
        assert client.get("/ent/monitoring/").status_code == 200


# ---------------------------------------------------------------- history and statistics


def test_history_page_carries_the_point_limits_and_the_api_address(ent_client, world):
    page = ent_client.get(f"/ent/points/{world['hot'].pk}/history/?range=7d")
    config = page.context["history_config"]
    assert config["url"] == f"/api/v1/monitoring-points/{world['hot'].pk}/history"
    assert config["limits"]["high"] == 80 and config["ranges"]["7d"] == 7 * 86400
    assert page.context["chosen"] == "7d"
    assert ent_client.get(f"/ent/points/{world['hot'].pk}/history/?range=bogus").context["chosen"] == "24h"
    api = ent_client.get(config["url"], {"since": T0.isoformat(), "until": (T0 + dt.timedelta(hours=1)).isoformat()})
    assert api.status_code == 200 and [row[1] for row in api.json()["series"]] == [70.0, 85.0]


def test_statistics_count_the_jurisdiction_by_region_and_industry(gov_client, world):
    page = gov_client.get("/gov/monitoring/statistics/")
    assert page.status_code == 200
    tables = dict(page.context["tables"])
    lixia = next(r for r in tables["region"] if r["key"] == "370102")
    assert lixia["points_connected"] == 2 and lixia["points_alarming"] == 1
    assert lixia["alarms"]["raised"] == 2 and lixia["alarms"]["cleared"] == 1 and lixia["alarms"]["unhandled"] == 2
    assert all(r["key"] != "370211" for r in tables["region"])  # Qingdao is not a child of Jinan
    hazchem = next(r for r in tables["industry"] if r["key"] == "hazardous_chemicals")
    assert hazchem["points_connected"] == 2
    assert page.context["chart_data"]["online"]["total"]["days"]
    drilled = gov_client.get("/gov/monitoring/statistics/?region=370102&subject=enterprise")
    assert drilled.status_code == 200 and drilled.context["subject"] == "enterprise"
    outside = gov_client.get("/gov/monitoring/statistics/?region=370211")
    assert outside.status_code == 200 and outside.context["error"]


# ---------------------------------------------------------------- data quality


def test_data_quality_lists_findings_of_the_jurisdiction_with_drill_down_and_export(gov_client, world, settings):
    settings.ANQUAN_QUALITY_FREQUENT_ALARMS = 1  # every point that alarmed in the last 24 h
    page = gov_client.get("/gov/monitoring/quality/")
    assert page.status_code == 200
    assert page.context["kind"] == "frequent_alarms"  # the first kind with findings
    assert page.context["summary"]["kinds"]["frequent_alarms"] == 2
    findings = page.context["findings"]
    assert {f["point_id"] for f in findings} == {world["hot"].pk, world["calm"].pk}  # not Qingdao's
    html = page.content.decode()
    assert f"/gov/enterprises/{world['jinan'].pk}/" in html and f"/gov/points/{world['hot'].pk}/history/" in html
    assert "黄岛监测化工有限公司" not in html
    export = gov_client.get("/gov/monitoring/quality/?kind=frequent_alarms&export=xlsx")
    rows = list(load_workbook(BytesIO(export.content)).active.iter_rows(values_only=True))
    assert len(rows) == 3 and {r[4] for r in rows[1:]} == {"TI-1", "TI-2"}
    Alarm.objects.filter(pk=world["active"].pk).update(started_at=T0 - dt.timedelta(days=3))
    overdue = gov_client.get(f"/gov/monitoring/quality/?kind=long_uncleared&enterprise={world['jinan'].pk}")
    assert [f["subject_id"] for f in overdue.context["findings"]] == [world["active"].pk]
    assert overdue.context["chosen_enterprise"]["enterprise_id"] == world["jinan"].pk
    assert f"/gov/alarms/{world['active'].pk}/" in overdue.content.decode()
    other = gov_client.get(f"/gov/monitoring/quality/?kind=long_uncleared&enterprise={world['qingdao'].pk}")
    assert other.context["findings"] == []


# ---------------------------------------------------------------- maintenance windows


def window_form(**values):
    start = dt.datetime.now() + dt.timedelta(hours=1)
    data = {
        "target": "facility",
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + dt.timedelta(hours=4)).strftime("%Y-%m-%dT%H:%M"),
        "reason": "calibration",
        "note": "年度标定",
    }
    return {**data, **values}


def test_enterprise_declares_and_cancels_maintenance_windows(ent_client, world):
    from apps.monitoring.models import MaintenanceWindow

    facility = world["hot"].facility
    assert ent_client.get("/ent/maintenance-windows/").context["can_change"]
    made = ent_client.post("/ent/maintenance-windows/", window_form(facility=facility.pk))
    assert made.status_code == 302
    window = MaintenanceWindow.objects.get()
    assert (window.facility, window.point, window.reason, window.note) == (facility, None, "calibration", "年度标定")
    by_code = ent_client.post("/ent/maintenance-windows/", window_form(target="point", point="TI-2"))
    assert by_code.status_code == 302 and MaintenanceWindow.objects.filter(point=world["calm"]).exists()
    unknown = ent_client.post("/ent/maintenance-windows/", window_form(target="point", point="TI-9"))
    assert unknown.status_code == 400 and "point" in unknown.context["form"].errors  # Qingdao's code
    start = dt.datetime.now() + dt.timedelta(hours=1)
    backwards = ent_client.post(
        "/ent/maintenance-windows/",
        window_form(facility=facility.pk, ends_at=(start - dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")),
    )
    assert backwards.status_code == 400 and "ends_at" in backwards.context["form"].errors
    listed = ent_client.get("/ent/maintenance-windows/")
    assert len(listed.context["object_list"]) == 2
    assert ent_client.post("/ent/maintenance-windows/", {"cancel": window.pk}).status_code == 302
    window.refresh_from_db()
    assert window.cancelled
    assert [w.pk for w in ent_client.get("/ent/maintenance-windows/?show=past").context["object_list"]] == [window.pk]


def test_windows_stay_within_their_enterprise_and_regulators_only_read_them(client, world):
    from apps.monitoring.models import MaintenanceWindow
    from apps.monitoring.services import declare_maintenance_window

    now = dt.datetime.now(dt.UTC)
    ours = declare_maintenance_window(
        None, facility=world["hot"].facility, starts_at=now, ends_at=now + dt.timedelta(hours=2)
    )
    theirs = declare_maintenance_window(None, point=world["far"], starts_at=now, ends_at=now + dt.timedelta(hours=2))
    client.force_login(user_with_role("enterprise_admin", world["jinan"].organisation))
    assert client.post("/ent/maintenance-windows/", {"cancel": theirs.pk}).status_code == 404
    assert not MaintenanceWindow.objects.get(pk=theirs.pk).cancelled
    client.force_login(user_with_role("enterprise_operator", world["jinan"].organisation))
    page = client.get("/ent/maintenance-windows/")
    assert page.status_code == 200 and not page.context["can_change"] and "window-form" not in page.content.decode()
    assert client.post("/ent/maintenance-windows/", {"cancel": ours.pk}).status_code == 403
    assert client.post("/ent/maintenance-windows/", window_form(facility=world["hot"].facility_id)).status_code == 403
    client.force_login(user_with_role("regulator_staff", regulator("370100")))
    listed = client.get("/gov/maintenance-windows/")
    assert [w.pk for w in listed.context["object_list"]] == [ours.pk]
    assert "window-cancel" not in listed.content.decode()
    assert client.post("/gov/maintenance-windows/", {"cancel": ours.pk}).status_code == 405
    assert client.get("/gov/alarms/").context["open_windows"] == 1

"""Portal pages of four-colour risk and warnings: the right side and role only, within the jurisdiction;
the warning loop's forms (acknowledge, feed back, verify, send back), model drafts and publication,
the inherent-risk self-assessment and the indicator report, exports and bounded query counts.

Data go through the real pipeline: a published model (``use_model``), readings fed as batches
(``feed``) that raise alarms, and ``grading.regrade`` that grades and raises warnings."""

import datetime as dt
from io import BytesIO

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from apps.accounts.tests.factories import OrganisationFactory, region, regulator, user_with_role
from apps.monitoring.tests.factories import feed, temperature_point
from apps.risk.models import EnterpriseRisk, IndicatorRecord, RiskModel, StaticAssessment, Warning
from apps.risk.services import grading
from apps.risk.tests.factories import use_model

pytestmark = pytest.mark.django_db


def excursion(point, minutes_ago=30):
    """Above the high limit and back: one alarm in the last 24 h (a yellow grade under ALARM_MODEL)."""
    feed(point, [20, 95, 96, 20], start=timezone.now() - dt.timedelta(minutes=minutes_ago), every_s=10)


@pytest.fixture
def world(django_capture_on_commit_callbacks):
    """Jinan: 历下 (one alarm: yellow, a pending warning) and 历城 (quiet: blue); Qingdao: 黄岛 (yellow,
    its own warning) — outside a Jinan regulator's jurisdiction."""
    with django_capture_on_commit_callbacks(execute=True):
        use_model()
    lixia = temperature_point(region="370102", code="TI-LX", period_s=60)
    licheng = temperature_point(region="370112", code="TI-LC", period_s=60)
    huangdao = temperature_point(region="370211", code="TI-HD", period_s=60)
    ids = [p.enterprise_id for p in (lixia, licheng, huangdao)]
    grading.regrade(ids)
    excursion(lixia)
    excursion(huangdao)
    grading.regrade(ids)
    return {
        "lixia": lixia.enterprise,
        "licheng": licheng.enterprise,
        "huangdao": huangdao.enterprise,
        "point": lixia,
        "warning": Warning.objects.get(enterprise=lixia.enterprise),
        "far_warning": Warning.objects.get(enterprise=huangdao.enterprise),
        "model": RiskModel.objects.get(industry__code="hazardous_chemicals"),
    }


@pytest.fixture
def safety(world):
    return user_with_role("enterprise_safety_manager", world["lixia"].organisation)


@pytest.fixture
def city(world):
    return user_with_role("regulator_staff", regulator("370100"))


@pytest.fixture
def province_admin(world):
    return user_with_role("regulator_admin", regulator("370000"))


def test_the_world_is_graded_as_expected(world):
    levels = dict(EnterpriseRisk.objects.values_list("enterprise_id", "level"))
    assert levels == {world["lixia"].pk: 3, world["licheng"].pk: 4, world["huangdao"].pk: 3}
    assert world["warning"].status == "pending" and (world["warning"].from_level, world["warning"].level) == (4, 3)


# ---------------------------------------------------------------- access


def gov_pages(world):
    return [
        "/gov/risk/",
        "/gov/risk/points/",
        "/gov/risk/ranking/",
        f"/gov/risk/enterprises/{world['lixia'].pk}/",
        "/gov/warnings/",
        "/gov/warnings/?tab=all",
        f"/gov/warnings/{world['warning'].pk}/",
        "/gov/warnings/statistics/",
        "/gov/risk/models/",
        f"/gov/risk/models/{world['model'].pk}/",
    ]


def ent_pages(world):
    return ["/ent/risk/", "/ent/risk/assessment/", "/ent/risk/indicators/", f"/ent/warnings/{world['warning'].pk}/"]


def test_regulator_pages_answer_regulators_and_refuse_enterprises_and_visitors(client, world, city, safety):
    for url in gov_pages(world):
        assert client.get(url).status_code == 302, url  # to the login page
    client.force_login(city)
    for url in gov_pages(world):
        assert client.get(url).status_code == 200, url
    client.force_login(safety)
    for url in gov_pages(world):
        assert client.get(url).status_code == 403, url


def test_enterprise_pages_answer_the_enterprise_and_refuse_regulators_and_visitors(client, world, city, safety):
    for url in ent_pages(world):
        assert client.get(url).status_code == 302, url
    client.force_login(safety)
    for url in ent_pages(world):
        assert client.get(url).status_code == 200, url
    client.force_login(city)
    for url in ent_pages(world):
        assert client.get(url).status_code == 403, url


def test_objects_outside_the_scope_are_not_found(client, world, city, safety):
    client.force_login(city)
    assert client.get(f"/gov/risk/enterprises/{world['huangdao'].pk}/").status_code == 404
    assert client.get(f"/gov/warnings/{world['far_warning'].pk}/").status_code == 404
    assert client.post(f"/gov/warnings/{world['far_warning'].pk}/", {"action": "verify"}).status_code == 404
    assert client.get("/gov/risk/models/999999/").status_code == 404
    client.force_login(safety)
    assert client.get(f"/ent/warnings/{world['far_warning'].pk}/").status_code == 404
    posted = client.post("/ent/risk/", {"action": "acknowledge", "warning": world["far_warning"].pk})
    assert posted.status_code == 404
    assert Warning.objects.get(pk=world["far_warning"].pk).status == "pending"


def test_a_government_user_without_the_risk_permissions_is_refused(client, world):
    from apps.accounts.models import User

    roleless = User.objects.create_user(username="no-risk", password="x", organisation=regulator("370100"))
    client.force_login(roleless)
    for url in gov_pages(world):
        assert client.get(url).status_code == 403, url


def test_generic_warning_link_goes_to_the_users_side(client, world, city, safety):
    pk = world["warning"].pk
    assert client.get(f"/warnings/{pk}/").status_code == 302  # login first
    client.force_login(city)
    assert client.get(f"/warnings/{pk}/")["Location"] == f"/gov/warnings/{pk}/"
    client.force_login(safety)
    assert client.get(f"/warnings/{pk}/")["Location"] == f"/ent/warnings/{pk}/"


def test_menus_list_the_risk_pages_by_permission(world, city, safety):
    from apps.portal.menus import menu_for

    def codes(user, platform):
        return {m["code"] for p in menu_for(user) if p["code"] == platform for m in p["modules"] if m["url"]}

    assert {"risk", "risk_ranking", "warnings", "warning_statistics", "risk_models"} <= codes(city, "supervision")
    assert {"risk", "risk_assessment", "risk_indicators"} <= codes(safety, "enterprise")
    member = OrganisationFactory(
        name="济南市交通运输局", kind="committee_member", level="city", region=region("370100")
    )
    committee = user_with_role("committee_member_staff", member)
    assert {"risk", "risk_ranking", "warnings"} <= codes(committee, "comprehensive")
    assert "risk_models" not in codes(committee, "comprehensive")


# ---------------------------------------------------------------- overview (风险总览)


def test_overview_counts_levels_maps_regions_and_lists_the_riskiest(client, world, city):
    client.force_login(city)
    page = client.get("/gov/risk/")
    context = page.context
    assert context["totals"] == {"1": 0, "2": 0, "3": 1, "4": 1}
    assert {c["code"]: c["count"] for c in context["level_cards"]} == {1: 0, 2: 0, 3: 1, 4: 1}
    features = {f["properties"]["code"]: f["properties"] for f in context["region_map"]["features"]}
    assert "370102" in features and "370211" not in features  # the children of Jinan only
    assert features["370102"]["counts"]["3"] == 1 and features["370102"]["level"] is not None
    assert all(f["geometry"] for f in context["region_map"]["features"])
    assert [r.enterprise_id for r in context["top"]] == [world["lixia"].pk, world["licheng"].pk]
    assert {r["code"] for r in context["chart_data"]["by_region"]} == {"370102", "370112"}
    assert context["chart_data"]["trend"] and context["period"] == "day"
    html = page.content.decode()
    # the level colours come from RiskLevel (configuration), in the page's generated style block
    from apps.risk.models import RiskLevel

    assert f".risk-level-3 {{ background-color: {RiskLevel.objects.get(code=3).hex}" in html
    assert 'id="risk-count-3">1<' in html
    assert f"/gov/risk/enterprises/{world['lixia'].pk}/" in html
    assert world["huangdao"].organisation.name not in html
    assert client.get("/gov/risk/?period=month").context["period"] == "month"


def test_overview_filters_and_refuses_a_region_outside_the_jurisdiction(client, world, city):
    client.force_login(city)
    lixia = client.get("/gov/risk/?region=370102")
    assert lixia.context["totals"] == {"1": 0, "2": 0, "3": 1, "4": 0}
    assert client.get("/gov/risk/?industry=coal").context["totals"] == {"1": 0, "2": 0, "3": 0, "4": 0}
    outside = client.get("/gov/risk/?region=370211")
    assert outside.status_code == 200 and outside.context["error"]
    assert client.get("/gov/risk/points/?region=370211").status_code == 400


def test_map_points_are_the_graded_enterprises_in_scope_with_their_level(client, world, city):
    client.force_login(city)
    points = client.get("/gov/risk/points/").json()["features"]
    assert {p["properties"]["id"]: p["properties"]["level"] for p in points} == {
        world["lixia"].pk: 3,
        world["licheng"].pk: 4,
    }
    assert points[0]["properties"]["id"] == world["lixia"].pk  # riskiest first
    lon, lat = points[0]["geometry"]["coordinates"]
    assert 116 < lon < 118 and 36 < lat < 37.5
    assert client.get("/gov/risk/points/?industry=coal").json()["features"] == []


# ---------------------------------------------------------------- ranking (风险倒排)


def test_ranking_orders_filters_and_exports(client, world, city):
    client.force_login(city)
    page = client.get("/gov/risk/ranking/")
    rows = list(page.context["object_list"])
    assert [r.enterprise_id for r in rows] == [world["lixia"].pk, world["licheng"].pk]
    assert [r.rank for r in rows] == [1, 2]
    assert rows[0].open_warning_id == world["warning"].pk and rows[1].open_warning_id is None
    html = page.content.decode()
    assert f"/gov/risk/enterprises/{world['lixia'].pk}/" in html and f"/gov/warnings/{world['warning'].pk}/" in html

    def listed(query):
        return [r.enterprise_id for r in client.get(f"/gov/risk/ranking/?{query}").context["object_list"]]

    assert listed("level=4") == [world["licheng"].pk]
    assert listed("level=none") == []
    assert listed("region=370112") == [world["licheng"].pk]
    assert listed("region=370211") == []  # outside: nothing, not Qingdao's
    assert listed(f"q={world['lixia'].organisation.name[:6]}") == [world["lixia"].pk]
    assert listed("industry=coal") == []

    export = client.get("/gov/risk/ranking/?export=xlsx")
    assert export.status_code == 200
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = list(load_workbook(BytesIO(export.content)).active.iter_rows(values_only=True))
    assert len(sheet) == 3  # header and two enterprises
    assert sheet[1][0] == 1 and sheet[1][1] == world["lixia"].organisation.name
    assert world["huangdao"].organisation.name not in {row[1] for row in sheet}
    only_blue = list(load_workbook(BytesIO(client.get("/gov/risk/ranking/?level=4&export=xlsx").content)).active.rows)
    assert len(only_blue) == 2


def test_ranking_and_warning_lists_take_a_bounded_number_of_queries(client, world, city, django_assert_max_num_queries):
    points = [temperature_point(region="370102", code=f"TI-N{n}", period_s=60) for n in range(12)]
    grading.regrade([p.enterprise_id for p in points])  # graded blue first: a rise raises a warning
    for point in points[:6]:
        excursion(point)
    grading.regrade([p.enterprise_id for p in points])
    assert Warning.objects.filter(enterprise__in=[p.enterprise_id for p in points]).count() == 6
    client.force_login(city)
    with django_assert_max_num_queries(16):
        page = client.get("/gov/risk/ranking/")
    assert len(page.context["object_list"]) == 14
    with django_assert_max_num_queries(16):
        page = client.get("/gov/warnings/?tab=all")
    assert len(page.context["warnings"]) == 7


# ---------------------------------------------------------------- an enterprise's risk


def test_enterprise_risk_detail_shows_the_composition_with_no_data_apart(client, world, city):
    client.force_login(city)
    page = client.get(f"/gov/risk/enterprises/{world['lixia'].pk}/")
    context = page.context
    assert context["risk"].level == 3
    rows = {r["code"]: r for r in context["breakdown"]}
    assert set(rows) == {"alarms", "alarms.count", "alarms.video"}
    assert rows["alarms.count"]["value"] == 1 and rows["alarms.count"]["score"] == 50
    assert rows["alarms.count"]["effective_pct"] == pytest.approx(100)
    assert rows["alarms.video"]["no_data"] and rows["alarms.video"]["contribution"] is None  # not zero
    assert rows["alarms.video"]["source_name"] and rows["alarms.count"]["top"] == "alarms"
    assert context["risk_data"]["thresholds"] == {"1": 90, "2": 60, "3": 30}
    assert context["risk_data"]["trend"][-1]["max_score"] == 50
    assert [w.pk for w in context["warnings"]] == [world["warning"].pk]
    assert context["rule_name"] == "" and context["static"] is None
    html = page.content.decode()
    video_row = html[html.index('data-code="alarms.video"') :].split("</tr>")[0]
    assert "risk-nodata" in video_row and ">0<" not in video_row
    assert 'id="risk-composition"' in html


def test_the_rule_applied_and_the_static_assessment_are_shown(client, world, city, safety):
    from apps.risk.services.inputs import record_static_assessment

    veto_model = {
        "thresholds": {"1": 90, "2": 60, "3": 30},
        "indicators": [
            {
                "code": "inherent",
                "name": "固有风险",
                "weight": 1,
                "children": [
                    {
                        "code": "inherent.guide",
                        "name": "评估诊断扣分",
                        "weight": 1,
                        "source": "static.guide_deduction",
                        "scoring": {"type": "linear", "zero": 0, "full": 50},
                    },
                    {
                        "code": "inherent.veto",
                        "name": "一票否决项",
                        "weight": 0,
                        "source": "static.veto",
                        "scoring": {"type": "map", "map": {"0": 0, "1": 100}},
                    },
                ],
            }
        ],
        "rules": [
            {"code": "veto", "name": "一票否决", "indicator": "inherent.veto", "op": ">=", "value": 1, "level": 1}
        ],
    }
    use_model(veto_model)
    record_static_assessment(world["lixia"], items={"outside_park": 1}, vetoes=["untested_process"], actor=safety)
    grading.regrade([world["lixia"].pk])
    client.force_login(city)
    context = client.get(f"/gov/risk/enterprises/{world['lixia'].pk}/").context
    assert context["risk"].level == 1 and context["rule_name"] == "一票否决"
    assert context["static"]["object"].score == 97 and context["static"]["object"].level == 1
    assert len(context["static"]["vetoes"]) == 1


def test_an_enterprise_never_graded_has_a_page_saying_so(client, world, city):
    from apps.enterprises.tests.factories import enterprise

    fresh = enterprise("370102", industries=("coal",))
    client.force_login(city)
    page = client.get(f"/gov/risk/enterprises/{fresh.pk}/")
    assert page.status_code == 200 and page.context["risk"] is None and page.context["breakdown"] == []
    assert 'id="risk-not-graded"' in page.content.decode()


# ---------------------------------------------------------------- the warning loop


def test_enterprise_acknowledges_and_feeds_back_on_my_risk(client, world, safety):
    warning = world["warning"]
    client.force_login(safety)
    page = client.get("/ent/risk/")
    assert page.context["open_warning"].pk == warning.pk
    assert page.context["can_acknowledge"] and page.context["can_feed_back"]
    assert page.context["live_topic"] == "enterprise" and page.context["live_key"] == world["lixia"].pk
    html = page.content.decode()
    assert 'id="feedback-form"' in html and 'id="warning-acknowledge"' in html

    done = client.post("/ent/risk/", {"action": "acknowledge", "warning": warning.pk})
    assert done.status_code == 302 and done["Location"] == "/ent/risk/"
    warning.refresh_from_db()
    assert warning.status == "acknowledged" and warning.acknowledged_by == safety

    missing = client.post(
        "/ent/risk/", {"action": "feedback", "warning": warning.pk, "measures": "  ", "cause": "结垢"}
    )
    assert missing.status_code == 400
    assert list(missing.context["feedback_form"].errors) == ["measures"]
    assert 'data-field="measures"' in missing.content.decode()
    assert Warning.objects.get(pk=warning.pk).status == "acknowledged"

    saved = client.post(
        "/ent/risk/",
        {
            "action": "feedback",
            "warning": warning.pk,
            "measures": "更换变送器",
            "cause": "换热器结垢",
            "result": "恢复",
        },
    )
    assert saved.status_code == 302
    warning.refresh_from_db()
    assert (warning.status, warning.measures, warning.cause, warning.result) == (
        "fed_back",
        "更换变送器",
        "换热器结垢",
        "恢复",
    )
    again = client.get("/ent/risk/")
    assert not again.context["can_feed_back"] and "feedback-form" not in again.content.decode()
    # acknowledging now is a conflict, reported as a message, not a crash
    conflict = client.post("/ent/risk/", {"action": "acknowledge", "warning": warning.pk}, follow=True)
    assert conflict.status_code == 200 and [m.level_tag for m in conflict.context["messages"]] == ["error"]


def test_feedback_from_the_warning_page_and_roles_without_the_right(client, world, safety):
    warning = world["warning"]
    operator = user_with_role("enterprise_operator", world["lixia"].organisation)
    client.force_login(operator)
    page = client.get(f"/ent/warnings/{warning.pk}/")
    assert page.status_code == 200 and not page.context["can_feed_back"]
    assert client.post(f"/ent/warnings/{warning.pk}/", {"action": "feedback", "measures": "x"}).status_code == 403
    assert client.post("/ent/risk/", {"action": "acknowledge", "warning": warning.pk}).status_code == 403
    client.force_login(safety)
    assert client.post(f"/ent/warnings/{warning.pk}/", {"action": "verify"}).status_code == 403  # not theirs to do
    saved = client.post(f"/ent/warnings/{warning.pk}/", {"action": "feedback", "measures": "降低进料量"})
    assert saved.status_code == 302 and saved["Location"] == f"/ent/warnings/{warning.pk}/"
    assert Warning.objects.get(pk=warning.pk).status == "fed_back"
    # feeding back twice is a conflict the page reports as a message (the form is gone by now)
    twice = client.post(f"/ent/warnings/{warning.pk}/", {"action": "feedback", "measures": "再次反馈"}, follow=True)
    assert twice.status_code == 200 and [m.level_tag for m in twice.context["messages"]][-1] == "error"
    assert Warning.objects.get(pk=warning.pk).measures == "降低进料量"
    assert [e["event"] for e in Warning.objects.get(pk=warning.pk).events.values("event")][-2:] == [
        "acknowledged",
        "fed_back",
    ]


def test_regulator_sends_back_with_a_reason_then_verifies(client, world, safety, city):
    from apps.risk.services import warnings as warning_services

    warning = world["warning"]
    warning_services.feed_back(warning, measures="已处置", actor=safety)
    client.force_login(city)
    page = client.get(f"/gov/warnings/{warning.pk}/")
    assert page.context["can_verify"] and 'id="verify-form"' in page.content.decode()
    assert [e.event for e in page.context["events"]] == ["raised", "acknowledged", "fed_back"]

    no_reason = client.post(f"/gov/warnings/{warning.pk}/", {"action": "send_back", "comment": ""})
    assert no_reason.status_code == 400
    assert list(no_reason.context["verify_form"].errors) == ["comment"]
    assert 'data-field="comment"' in no_reason.content.decode()
    assert Warning.objects.get(pk=warning.pk).status == "fed_back"

    sent = client.post(f"/gov/warnings/{warning.pk}/", {"action": "send_back", "comment": "措施不具体"})
    assert sent.status_code == 302
    warning.refresh_from_db()
    assert warning.status == "returned" and warning.verify_comment == "措施不具体"
    assert not client.get(f"/gov/warnings/{warning.pk}/").context["can_verify"]

    warning_services.feed_back(warning, measures="更换传感器并校验联锁", actor=safety)
    verified = client.post(f"/gov/warnings/{warning.pk}/", {"action": "verify", "comment": "现场核查属实"})
    assert verified.status_code == 302
    warning.refresh_from_db()
    assert warning.status == "verified" and warning.verified_by == city  # the risk is still up


def test_a_regulator_without_the_verify_right_reads_but_cannot_verify(client, world, safety):
    from apps.risk.services import warnings as warning_services

    warning = world["warning"]
    warning_services.feed_back(warning, measures="已处置", actor=safety)
    inspector = user_with_role("law_enforcement_inspector", regulator("370100"))
    client.force_login(inspector)
    page = client.get(f"/gov/warnings/{warning.pk}/")
    assert page.status_code == 200 and not page.context["can_verify"] and "verify-form" not in page.content.decode()
    assert "已处置" in page.content.decode()
    assert client.post(f"/gov/warnings/{warning.pk}/", {"action": "verify"}).status_code == 403
    assert Warning.objects.get(pk=warning.pk).status == "fed_back"


def test_warning_tabs_filters_and_live_topic(client, world, safety, city):
    from apps.risk.services import warnings as warning_services

    warning = world["warning"]
    client.force_login(city)

    def listed(query=""):
        return [w.pk for w in client.get(f"/gov/warnings/?{query}").context["warnings"]]

    page = client.get("/gov/warnings/")
    assert page.context["tab"] == "pending" and page.context["live_topic"] == "region"
    assert page.context["live_key"] == "370100"
    assert {c: n for c, _label, n in page.context["tabs"]} == {"pending": 1, "overdue": 0, "fed_back": 0, "all": 1}
    assert listed() == [warning.pk]
    assert listed("tab=overdue") == []
    Warning.objects.filter(pk=warning.pk).update(feedback_due_at=timezone.now() - dt.timedelta(hours=1))
    assert listed("tab=overdue") == [warning.pk]
    assert "table-warning" in client.get("/gov/warnings/?tab=overdue").content.decode()
    warning_services.feed_back(warning, measures="已处置", actor=safety)
    assert listed("tab=fed_back") == [warning.pk] and listed() == []
    assert listed("tab=all&level=3") == [warning.pk]
    assert listed("tab=all&level=1") == []
    assert listed("tab=all&region=370112") == []
    assert listed("tab=all&region=370211") == []  # Qingdao's stays out
    today = timezone.localdate()
    assert listed(f"tab=all&date_from={today - dt.timedelta(days=1)}&date_to={today}") == [warning.pk]
    assert listed(f"tab=all&date_from={today + dt.timedelta(days=1)}") == []
    bad = client.get("/gov/warnings/?tab=all&date_from=not-a-date")
    assert bad.status_code == 200 and bad.context["filters"].errors


# ---------------------------------------------------------------- warning statistics (预警统计)


def test_warning_statistics_by_level_region_industry_with_export(client, world, safety, city):
    from apps.risk.services import warnings as warning_services

    warning_services.feed_back(world["warning"], measures="已处置", actor=safety)
    client.force_login(city)
    page = client.get("/gov/warnings/statistics/")
    stats = page.context["stats"]
    assert stats["totals"]["raised"] == 1 and stats["totals"]["fed_back"] == 1
    row = stats["rows"][0]
    assert row["key"] == 3 and row["feedback_pct"] == "100.0%" and row["in_time_pct"] == "100.0%"
    by_region = client.get("/gov/warnings/statistics/?group_by=region").context["stats"]
    assert [r["key"] for r in by_region["rows"]] == ["370102"]
    assert client.get("/gov/warnings/statistics/?group_by=industry").context["stats"]["rows"][0]["key"] == (
        "hazardous_chemicals"
    )
    assert client.get("/gov/warnings/statistics/?group_by=bogus").context["group_by"] == "level"
    backwards = client.get("/gov/warnings/statistics/?since=2026-03-10&until=2026-03-01")
    assert backwards.status_code == 200 and backwards.context["error"]
    export = client.get("/gov/warnings/statistics/?group_by=region&export=xlsx")
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = list(load_workbook(BytesIO(export.content)).active.iter_rows(values_only=True))
    assert len(sheet) == 2 and sheet[1][1] == 1 and sheet[1][8] == "100.0%"


# ---------------------------------------------------------------- risk models (模型管理)


def draft_data(page):
    """The edit form's initial values as POST data."""
    form = page.context["form"]
    return {name: form[name].value() for name in form.fields if form[name].value() is not None}


def test_a_staff_member_reads_models_but_cannot_draft_or_publish(client, world, city):
    model = world["model"]
    client.force_login(city)
    page = client.get(f"/gov/risk/models/{model.pk}/")
    assert page.status_code == 200 and not page.context["can_edit"]
    rows = {r["code"]: r for r in page.context["rows"]}
    assert rows["alarms.count"]["source_name"] and rows["alarms.count"]["source_provided"]
    assert not rows["alarms.video"]["source_provided"]
    assert (
        rows["alarms.count"]["share_pct"] == pytest.approx(75) and "0 → 0, 2 → 100" in rows["alarms.count"]["scoring"]
    )
    assert client.get(f"/gov/risk/models/{model.pk}/edit/").status_code == 403
    assert client.post(f"/gov/risk/models/{model.pk}/", {"publish": model.current_version_id}).status_code == 403


def test_an_administrator_drafts_with_errors_shown_then_publishes_a_new_version(client, world, province_admin):
    model = world["model"]
    before = model.current_version.number
    client.force_login(province_admin)
    listing = client.get("/gov/risk/models/")
    assert listing.context["can_edit"] and model in listing.context["object_list"]
    page = client.get(f"/gov/risk/models/{model.pk}/edit/")
    assert page.status_code == 200
    data = draft_data(page)
    assert data["t1"] == 90 and data["w_0"] == 1 and data["w_0_0"] == 3 and data["w_0_1"] == 1
    assert page.context["form"].fields["t1"].label.startswith("重大风险")  # the configured level name

    backwards = client.post(f"/gov/risk/models/{model.pk}/edit/", {**data, "t1": 10})
    assert backwards.status_code == 400
    assert backwards.context["form"].non_field_errors()  # "level 1 must need a higher score than level 2 …"
    negative = client.post(f"/gov/risk/models/{model.pk}/edit/", {**data, "w_0_1": -2, "t3": 120})
    assert negative.status_code == 400
    assert {"w_0_1", "t3"} <= set(negative.context["form"].errors)
    assert 'data-field="w_0_1"' in negative.content.decode()
    not_a_number = client.post(f"/gov/risk/models/{model.pk}/edit/", {**data, "w_0_0": "many"})
    assert not_a_number.status_code == 400 and "w_0_0" in not_a_number.context["form"].errors
    assert model.versions.count() == before

    made = client.post(f"/gov/risk/models/{model.pk}/edit/", {**data, "w_0_0": 5, "t1": 80, "note": "报警权重上调"})
    assert made.status_code == 302
    draft = model.versions.get(number=before + 1)
    assert made["Location"] == f"/gov/risk/models/{model.pk}/?version={draft.number}"
    assert draft.status == "draft" and draft.note == "报警权重上调" and draft.created_by == province_admin
    assert draft.definition["thresholds"] == {"1": 80, "2": 60, "3": 30}
    assert draft.definition["indicators"][0]["children"][0]["weight"] == 5
    shown = client.get(made["Location"])
    assert shown.context["version"] == draft and 'id="version-publish"' in shown.content.decode()

    published = client.post(f"/gov/risk/models/{model.pk}/", {"publish": draft.pk}, follow=True)
    assert published.status_code == 200
    model.refresh_from_db()
    assert model.current_version == draft
    html = published.content.decode()
    assert f'data-version="{draft.number}" data-status="published"' in html and 'id="version-in-force"' in html
    assert client.get("/gov/risk/models/").context["object_list"].get(pk=model.pk).current_version.number == before + 1
    again = client.post(f"/gov/risk/models/{model.pk}/", {"publish": draft.pk}, follow=True)  # no longer a draft
    assert [m.level_tag for m in again.context["messages"]] == ["error"]


# ---------------------------------------------------------------- self-assessment (评估诊断分级)


def test_static_assessment_is_scored_and_a_veto_makes_it_red(client, world, safety):
    client.force_login(safety)
    page = client.get("/ent/risk/assessment/")
    assert page.status_code == 200 and page.context["can_add"]
    html = page.content.decode()
    assert 'name="item_outside_park"' in html
    assert 'name="item_hazard_level_1"' not in html  # taken from the registered hazard sources
    assert 'id="hazard-auto"' in html

    saved = client.post("/ent/risk/assessment/", {"item_outside_park": "1", "item_class_a_building": "2"})
    assert saved.status_code == 302
    first = StaticAssessment.objects.get(enterprise=world["lixia"])
    assert first.score == 95 and first.level == 4 and first.items == {"outside_park": 1, "class_a_building": 2}
    assert first.recorded_by == safety
    result = client.get("/ent/risk/assessment/").context
    assert result["latest"]["object"] == first and result["form"]["item_outside_park"].value() == 1

    vetoed = client.post("/ent/risk/assessment/", {"item_outside_park": "1", "vetoes": ["untested_process"]})
    assert vetoed.status_code == 302
    latest = StaticAssessment.objects.filter(enterprise=world["lixia"]).first()
    assert latest.score == 97 and latest.level == 1 and latest.vetoes == ["untested_process"]
    assert len(client.get("/ent/risk/assessment/").context["past"]) == 2


def test_a_bad_count_is_shown_on_its_field(client, world, safety):
    client.force_login(safety)
    negative = client.post("/ent/risk/assessment/", {"item_outside_park": "-1"})
    assert negative.status_code == 400
    assert list(negative.context["form"].errors) == ["item_outside_park"]  # the service's error, on the field
    assert 'data-field="item_outside_park"' in negative.content.decode()
    words = client.post("/ent/risk/assessment/", {"item_explosive": "two"})
    assert words.status_code == 400 and "item_explosive" in words.context["form"].errors
    assert not StaticAssessment.objects.exists()


def test_an_operator_reads_the_assessment_but_cannot_record_one(client, world):
    client.force_login(user_with_role("enterprise_operator", world["lixia"].organisation))
    page = client.get("/ent/risk/assessment/")
    assert page.status_code == 200 and not page.context["can_add"] and "assessment-form" not in page.content.decode()
    assert client.post("/ent/risk/assessment/", {"item_outside_park": "1"}).status_code == 403


# ---------------------------------------------------------------- management indicators (管理指标填报)


def test_indicator_report_records_values_and_shows_the_latest(client, world, safety):
    client.force_login(safety)
    page = client.get("/ent/risk/indicators/")
    assert page.status_code == 200 and page.context["can_add"]
    names = {r["code"] for r in page.context["rows"]}
    assert {"training.plan_rate", "emergency.plan_filed"} <= names

    nothing = client.post("/ent/risk/indicators/", {})
    assert nothing.status_code == 400 and nothing.context["form"].non_field_errors()
    too_high = client.post("/ent/risk/indicators/", {"v_training__plan_rate": "150", "v_awareness__test_score": "80"})
    assert too_high.status_code == 400 and list(too_high.context["form"].errors) == ["v_training__plan_rate"]
    assert not IndicatorRecord.objects.exists()  # all or nothing
    future = client.post(
        "/ent/risk/indicators/",
        {"v_training__plan_rate": "90", "period": str(timezone.localdate() + dt.timedelta(days=3))},
    )
    assert future.status_code == 400 and "period" in future.context["form"].errors

    saved = client.post("/ent/risk/indicators/", {"v_training__plan_rate": "92.5", "v_awareness__test_score": "80"})
    assert saved.status_code == 302
    records = dict(IndicatorRecord.objects.filter(enterprise=world["lixia"]).values_list("indicator", "value"))
    assert records == {"training.plan_rate": 92.5, "awareness.test_score": 80}
    rows = {r["code"]: r for r in client.get("/ent/risk/indicators/").context["rows"]}
    assert rows["training.plan_rate"]["latest"].value == 92.5 and rows["behaviour.violations"]["latest"] is None


def test_an_operator_cannot_report_indicators(client, world):
    client.force_login(user_with_role("enterprise_operator", world["lixia"].organisation))
    page = client.get("/ent/risk/indicators/")
    assert page.status_code == 200 and not page.context["can_add"]
    assert client.post("/ent/risk/indicators/", {"v_training__plan_rate": "90"}).status_code == 403


# ---------------------------------------------------------------- the one-screen overview


def test_the_enterprise_overview_shows_the_risk_level_and_the_open_warning(client, world, safety, city):
    client.force_login(safety)
    html = client.get("/ent/").content.decode()
    assert 'id="overview-risk" data-level="3"' in html
    assert f'href="/warnings/{world["warning"].pk}/"' in html and 'href="/ent/risk/"' in html
    client.force_login(city)
    html = client.get(f"/gov/enterprises/{world['lixia'].pk}/").content.decode()
    assert 'id="overview-risk"' in html and f'href="/gov/risk/enterprises/{world["lixia"].pk}/"' in html


def test_the_shipped_models_advice_shows_as_control_suggestions(client):
    """RSK-18 on the page: the advice of the leading contributors of the shipped hazardous-chemicals model."""
    import datetime as dt

    from django.utils import timezone

    from apps.accounts.tests.factories import user_with_role
    from apps.monitoring.tests.factories import feed, temperature_point
    from apps.risk.services import grading

    point = temperature_point(code="TI-ADV")
    feed(point, [20, 95, 96], start=timezone.now() - dt.timedelta(minutes=10))
    grading.regrade([point.enterprise_id])
    client.force_login(user_with_role("enterprise_safety_manager", point.enterprise.organisation))
    page = client.get("/ent/risk/")
    suggestions = page.context["suggestions"]
    assert suggestions and all(s["advice"] for s in suggestions)
    assert suggestions[0]["contribution"] >= suggestions[-1]["contribution"]
    assert suggestions[0]["advice"] in page.content.decode()

"""Risk API: levels, current risk and the ranking, the breakdown, history, trends and reproduction,
statistics, maps and dashboards, the inputs no system feeds, and the enterprise list's risk sort —
with scoping, bad parameters and query counts. Warnings are in test_api_warnings.py, models in
test_api_models.py."""

import datetime as dt
from io import BytesIO

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from apps.accounts.models import OrganisationKind
from apps.accounts.tests.factories import OrganisationFactory, region, regulator, user_with_role
from apps.enterprises.models import Enterprise
from apps.enterprises.tests.factories import enterprise
from apps.risk import engine
from apps.risk.models import EnterpriseRisk, RiskAssessment, RiskDay, RiskModel, Warning

pytestmark = pytest.mark.django_db


# Helpers (also used by the other API test modules) ------------------------------------------------------------------


def current_version(code="hazardous_chemicals"):
    return RiskModel.objects.select_related("current_version").get(code=code).current_version


HAZCHEM_INPUTS = {"inherent.guide": 20, "inherent.hazard_level": 2, "inherent.veto": 0, "process_alarms.hours": 3}


def grade(ent, level=None, score=None, *, inputs=None, at=None, previous=None, version=None):
    """Store a result for ``ent`` and make it its current risk, as grading does. With ``inputs`` the
    result is the engine's on the model in force; otherwise ``level`` and ``score`` are taken as given."""
    version = version or current_version()
    at = at or timezone.now()
    breakdown, coverage, rule = [], 1.0, ""
    if inputs is not None:
        result = engine.evaluate(version.definition, inputs)
        level, score, breakdown, coverage, rule = (
            result.level,
            result.score,
            result.breakdown,
            result.coverage,
            result.rule,
        )
    assessment = RiskAssessment.objects.create(
        enterprise=ent,
        version=version,
        assessed_at=at,
        score=score,
        level=level,
        coverage=coverage,
        inputs=inputs or {},
        breakdown=breakdown,
        rule=rule,
    )
    EnterpriseRisk.objects.update_or_create(
        enterprise=ent,
        defaults={
            "model": version.model,
            "assessment": assessment,
            "level": level,
            "score": score,
            "assessed_at": at,
            "level_since": at,
            "previous_level": previous,
        },
    )
    return assessment


def make_warning(ent, *, level=2, from_level=4, status="pending", raised_at=None, **fields):
    raised_at = raised_at or timezone.now()
    values = {
        "score": 45.0,
        "drivers": [{"code": "process_alarms.hours", "name": "报警时长", "contribution": 12.5, "delta": 10.0}],
        "pushed_at": raised_at,
        "acknowledge_due_at": raised_at + dt.timedelta(hours=1),
        "feedback_due_at": raised_at + dt.timedelta(hours=12),
        **fields,
    }
    return Warning.objects.create(
        enterprise=ent, level=level, from_level=from_level, status=status, raised_at=raised_at, **values
    )


def committee_member(code="370100"):
    org = OrganisationFactory(
        name="安委会成员单位", kind=OrganisationKind.COMMITTEE_MEMBER, level="", region=region(code)
    )
    return user_with_role("committee_member_staff", org)


def agency_user():
    org = OrganisationFactory(
        name="安评公司", kind=OrganisationKind.SERVICE_PROVIDER, level="", region=region("370100"), uscc=None
    )
    return user_with_role("service_provider_staff", org)


@pytest.fixture
def world():
    """济南 (370100) with 历下区 (370102) and 历城区 (370112); 青岛 (370200) with 黄岛 (370211)."""
    w = {
        "lixia": enterprise("370102", name="历下红色化工有限公司"),
        "lixia2": enterprise("370102", name="历下蓝色化工有限公司"),
        "licheng": enterprise(
            "370112", name="历城橙色化工有限公司", industries=("hazardous_chemicals", "dust_explosion")
        ),
        "qingdao": enterprise("370211", name="黄岛黄色化工有限公司"),
        "dust": enterprise("370102", name="历下粉尘企业", industries=("dust_explosion",)),
    }
    grade(w["lixia"], 1, 75.0, previous=3)
    grade(w["lixia2"], 4, 5.0)
    grade(w["licheng"], 2, 50.0)
    grade(w["qingdao"], 3, 30.0)
    w["users"] = {
        "province": user_with_role("regulator_admin", regulator("370000")),
        "jinan": user_with_role("regulator_staff", regulator("370100")),
        "lixia": user_with_role("regulator_staff", regulator("370102")),
        "qingdao": user_with_role("regulator_staff", regulator("370200")),
        "ent": user_with_role("enterprise_safety_manager", w["lixia"].organisation),
        "operator": user_with_role("enterprise_operator", w["lixia"].organisation),
        "ent_qingdao": user_with_role("enterprise_admin", w["qingdao"].organisation),
    }
    return w


def as_user(api, user):
    api.force_authenticate(user)
    return api


# Levels (RSK-14) ----------------------------------------------------------------------------------------------------


def test_levels_are_exactly_red_orange_yellow_blue(api, world):
    rows = as_user(api, world["users"]["operator"]).get("/api/v1/risk/levels").json()
    assert [(r["code"], r["colour"]) for r in rows] == [(1, "red"), (2, "orange"), (3, "yellow"), (4, "blue")]
    assert [r["name"] for r in rows] == ["重大风险", "较大风险", "一般风险", "低风险"]
    assert all(r["hex"].startswith("#") and len(r["hex"]) == 7 for r in rows)
    assert api.get("/api/v1/risk/levels/5").status_code == 404


# Current risk and the ranking ---------------------------------------------------------------------------------------

RISKS = "/api/v1/risk/enterprises"


def names(response):
    assert response.status_code == 200, response.content
    return [row["enterprise_name"] for row in response.json()["results"]]


def test_current_risk_list_is_the_ranking_riskiest_first(api, world):
    as_user(api, world["users"]["province"])
    rows = api.get(RISKS).json()["results"]
    assert [r["level"] for r in rows] == [1, 2, 3, 4]
    first = rows[0]
    assert first["enterprise"] == world["lixia"].pk and first["region"] == "370102" and first["region_name"]
    assert first["industries"] == ["hazardous_chemicals"] and first["score"] == 75.0
    assert first["level_name"] == "重大风险" and first["color"].startswith("#")
    assert first["previous_level"] == 3 and first["assessed_at"] and first["level_since"]


def test_current_risk_follows_jurisdiction(api, world):
    assert names(as_user(api, world["users"]["lixia"]).get(RISKS)) == ["历下红色化工有限公司", "历下蓝色化工有限公司"]
    assert set(names(as_user(api, world["users"]["jinan"]).get(RISKS))) == {
        "历下红色化工有限公司",
        "历下蓝色化工有限公司",
        "历城橙色化工有限公司",
    }
    assert names(as_user(api, world["users"]["qingdao"]).get(RISKS)) == ["黄岛黄色化工有限公司"]
    assert names(as_user(api, world["users"]["ent"]).get(RISKS)) == ["历下红色化工有限公司"]
    assert as_user(api, agency_user()).get(RISKS).status_code == 403


def test_current_risk_filters_and_orderings(api, world):
    as_user(api, world["users"]["province"])
    assert names(api.get(f"{RISKS}?region=370100")) == [
        "历下红色化工有限公司",
        "历城橙色化工有限公司",
        "历下蓝色化工有限公司",
    ]
    assert names(api.get(f"{RISKS}?region=999999")) == []
    assert names(api.get(f"{RISKS}?industry=dust_explosion")) == ["历城橙色化工有限公司"]
    assert names(api.get(f"{RISKS}?level=3")) == ["黄岛黄色化工有限公司"]
    assert names(api.get(f"{RISKS}?q=蓝色")) == ["历下蓝色化工有限公司"]
    assert [r["score"] for r in api.get(f"{RISKS}?ordering=score").json()["results"]] == [5, 30, 50, 75]
    assert [r["score"] for r in api.get(f"{RISKS}?ordering=-score").json()["results"]] == [75, 50, 30, 5]
    assert [r["level"] for r in api.get(f"{RISKS}?ordering=-level").json()["results"]] == [4, 3, 2, 1]


@pytest.mark.parametrize(
    ("query", "field"),
    [("level=5", "level"), ("level=red", "level"), ("ordering=name", "ordering"), ("industry=nope", "industry")],
)
def test_bad_current_risk_filters_are_400_naming_the_parameter(api, world, query, field):
    response = as_user(api, world["users"]["province"]).get(f"{RISKS}?{query}")
    assert response.status_code == 400 and field in response.json()


def test_current_risk_list_query_count_does_not_grow(api, world, django_assert_max_num_queries):
    as_user(api, world["users"]["province"])
    api.get(RISKS)  # warm the user's permission cache
    with CaptureQueriesContext(connection) as one:
        assert api.get(RISKS).json()["count"] == 4
    baseline = len(one)  # now: the next request resets the connection's query log
    for n in range(15):
        grade(
            enterprise("370103", name=f"市中企业{n}", industries=("hazardous_chemicals", "steel")), 1 + n % 4, n * 5.0
        )
    with django_assert_max_num_queries(baseline):
        assert api.get(f"{RISKS}?page_size=100").json()["count"] == 19


def test_current_risk_exports_the_filtered_ranking(api, world):
    response = as_user(api, world["users"]["jinan"]).get(f"{RISKS}/export")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(BytesIO(response.content)).active.iter_rows(values_only=True))
    assert len(rows) == 4  # header + the three enterprises of 济南
    assert rows[1][0] == 1 and rows[1][1] == "历下红色化工有限公司" and rows[1][5] == "重大风险"
    assert as_user(api, world["users"]["province"]).get(f"{RISKS}/export?level=9").status_code == 400


# One enterprise's risk, /my/risk, history, trend, reproduction ------------------------------------------------------


def test_enterprise_risk_shows_the_breakdown_with_no_data_indicators(api, world):
    ent = enterprise("370102", name="分解企业")
    grade(ent, inputs=HAZCHEM_INPUTS)
    body = as_user(api, world["users"]["lixia"]).get(f"/api/v1/enterprises/{ent.pk}/risk").json()
    assert body["graded"] is True and body["level"] in (1, 2, 3, 4)
    assert body["model"] == {"code": "hazardous_chemicals", "name": current_version().model.name, "version": 1}
    assert 0 < body["coverage"] < 1
    rows = {row["code"]: row for row in body["breakdown"]}
    assert len([r for r in body["breakdown"] if r["depth"] == 0]) >= 13
    guide = rows["inherent.guide"]
    assert guide["value"] == 20 and guide["score"] is not None and guide["no_data"] is False
    assert {"weight", "effective_weight", "contribution", "parent", "depth"} <= set(guide)
    missing = next(r for r in body["breakdown"] if r.get("source") and r["code"] not in HAZCHEM_INPUTS)
    assert missing["score"] is None and missing["contribution"] is None and missing["no_data"] is True
    leaves = [r["contribution"] for r in body["breakdown"] if r.get("source") and r["contribution"] is not None]
    assert sum(leaves) == pytest.approx(body["score"], abs=0.01)


def test_enterprise_risk_is_404_out_of_scope_and_empty_when_ungraded(api, world):
    as_user(api, world["users"]["lixia"])
    assert api.get(f"/api/v1/enterprises/{world['qingdao'].pk}/risk").status_code == 404
    assert api.get("/api/v1/enterprises/99999999/risk").status_code == 404
    body = api.get(f"/api/v1/enterprises/{world['dust'].pk}/risk").json()  # no grading yet
    assert body["graded"] is False and body["level"] is None and body["breakdown"] == [] and body["model"] is None
    as_user(api, world["users"]["ent"])
    assert api.get(f"/api/v1/enterprises/{world['lixia2'].pk}/risk").status_code == 404


def test_my_risk_is_the_enterprise_users_own(api, world):
    body = as_user(api, world["users"]["operator"]).get("/api/v1/my/risk").json()
    assert body["enterprise"] == world["lixia"].pk and body["level"] == 1
    assert as_user(api, world["users"]["lixia"]).get("/api/v1/my/risk").status_code == 403  # a regulator
    assert as_user(api, agency_user()).get("/api/v1/my/risk").status_code == 403


def test_history_lists_assessments_newest_first_within_a_range(api, world):
    ent = world["lixia"]
    now = timezone.now()
    for days, level in ((3, 4), (2, 3), (1, 2)):
        grade(ent, level, 10.0 * level, at=now - dt.timedelta(days=days))
    as_user(api, world["users"]["lixia"])
    url = f"/api/v1/enterprises/{ent.pk}/risk/history"
    rows = api.get(url).json()["results"]
    assert [r["level"] for r in rows] == [1, 2, 3, 4]  # the fixture's result is the newest
    assert rows[0]["model"] == "hazardous_chemicals" and rows[0]["version"] == 1 and rows[0]["assessed_at"]
    since = (now - dt.timedelta(days=2, hours=1)).isoformat()
    until = (now - dt.timedelta(hours=12)).isoformat()
    ranged = api.get(url, {"since": since, "until": until}).json()["results"]
    assert [r["level"] for r in ranged] == [2, 3]
    assert api.get(url, {"since": "yesterday"}).status_code == 400
    assert api.get(f"/api/v1/enterprises/{world['qingdao'].pk}/risk/history").status_code == 404
    assert as_user(api, committee_member()).get(url).status_code == 403  # no right to assessments


def test_history_query_count_does_not_grow(api, world, django_assert_max_num_queries):
    url = f"/api/v1/enterprises/{world['lixia'].pk}/risk/history"
    as_user(api, world["users"]["lixia"])
    api.get(url)
    with CaptureQueriesContext(connection) as one:
        api.get(url)
    baseline = len(one)  # now: the next request resets the connection's query log
    for n in range(10):
        grade(world["lixia"], 1 + n % 4, float(n))
    with django_assert_max_num_queries(baseline):
        assert api.get(url).json()["count"] == 11


def test_enterprise_trend_by_day_and_bad_period(api, world):
    ent = world["lixia"]
    today = timezone.localdate()
    RiskDay.objects.create(enterprise=ent, day=today - dt.timedelta(days=1), worst_level=3, max_score=30)
    RiskDay.objects.create(enterprise=ent, day=today, worst_level=1, max_score=75)
    as_user(api, world["users"]["ent"])
    body = api.get(f"/api/v1/enterprises/{ent.pk}/risk/trend?period=day").json()
    assert [(s["counts"]["1"], s["counts"]["3"], s["max_score"]) for s in body["series"]] == [(0, 1, 30), (1, 0, 75)]
    assert api.get(f"/api/v1/enterprises/{ent.pk}/risk/trend?period=year").status_code == 400
    assert api.get(f"/api/v1/enterprises/{ent.pk}/risk/trend?since=2026-13-01").status_code == 400
    assert api.get(f"/api/v1/enterprises/{world['qingdao'].pk}/risk/trend").status_code == 404


def test_a_stored_assessment_is_reproduced_exactly(api, world):
    ent = enterprise("370102", name="复现企业")
    assessment = grade(ent, inputs=HAZCHEM_INPUTS)
    as_user(api, world["users"]["lixia"])
    body = api.get(f"/api/v1/risk/assessments/{assessment.pk}?reproduce=true").json()
    assert body["inputs"] == HAZCHEM_INPUTS and body["breakdown"] and body["reproduced"]["equal"] is True
    assert body["reproduced"]["score"] == assessment.score and body["reproduced"]["level"] == assessment.level
    assert api.get(f"/api/v1/risk/assessments/{assessment.pk}").json()["reproduced"] is None
    # a tampered result is told apart
    RiskAssessment.objects.filter(pk=assessment.pk).update(score=assessment.score + 7)
    assert api.get(f"/api/v1/risk/assessments/{assessment.pk}?reproduce=true").json()["reproduced"]["equal"] is False
    assert api.get(f"/api/v1/risk/assessments/{assessment.pk}?reproduce=maybe").status_code == 400
    other = grade(world["qingdao"], 3, 30.0)
    assert api.get(f"/api/v1/risk/assessments/{other.pk}").status_code == 404


# Statistics ---------------------------------------------------------------------------------------------------------


def test_current_counts_by_level_and_region(api, world):
    body = as_user(api, world["users"]["province"]).get("/api/v1/stats/risk/current?group_by=level,region").json()
    assert body["totals"] == {"1": 1, "2": 1, "3": 1, "4": 1}
    rows = {row["region"]: row for row in body["rows"]}
    assert rows["370100"]["counts"] == {"1": 1, "2": 1, "3": 0, "4": 1} and rows["370100"]["total"] == 3
    assert rows["370200"]["counts"]["3"] == 1
    county = as_user(api, world["users"]["lixia"]).get("/api/v1/stats/risk/current").json()
    assert county["totals"] == {"1": 1, "2": 0, "3": 0, "4": 1}  # only its own county's


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("group_by=level,colour", "group_by"),
        ("group_by=region,region", "group_by"),
        ("region=370200", "region"),  # another city's region: unknown to 济南
        ("industry=nope", "industry"),
    ],
)
def test_current_counts_refuse_unsupported_dimensions_and_foreign_regions(api, world, query, field):
    response = as_user(api, world["users"]["jinan"]).get(f"/api/v1/stats/risk/current?{query}")
    assert response.status_code == 400 and field in response.json()


def test_current_counts_by_several_registry_dimensions(api, world):
    Enterprise.objects.filter(pk=world["lixia"].pk).update(scale="above")
    body = as_user(api, world["users"]["province"]).get("/api/v1/stats/risk/current?group_by=industry,scale").json()
    assert body["group_by"] == ["industry", "scale"]
    assert any(r["industry"] == "hazardous_chemicals" and r["scale"] == "above" for r in body["rows"])


def test_risk_trend_statistics_and_bad_ranges(api, world):
    today = timezone.localdate()
    RiskDay.objects.create(enterprise=world["lixia"], day=today, worst_level=1, max_score=75)
    RiskDay.objects.create(enterprise=world["qingdao"], day=today, worst_level=3, max_score=30)
    as_user(api, world["users"]["jinan"])
    body = api.get("/api/v1/stats/risk/trend?period=week").json()
    assert body["period"] == "week" and sum(body["series"][-1]["counts"].values()) == 1  # 青岛 not counted
    assert api.get("/api/v1/stats/risk/trend?period=hour").status_code == 400
    assert "until" in api.get(f"/api/v1/stats/risk/trend?since={today}&until={today - dt.timedelta(days=3)}").json()


def test_warning_statistics_with_feedback_rate(api, world):
    now = timezone.now()
    make_warning(world["lixia"], status="fed_back", feedback_at=now, raised_at=now - dt.timedelta(hours=2))
    make_warning(world["licheng"], level=1, raised_at=now - dt.timedelta(hours=1))
    make_warning(world["qingdao"], level=3)
    as_user(api, world["users"]["jinan"])
    body = api.get("/api/v1/stats/warnings").json()
    assert body["totals"]["raised"] == 2 and body["totals"]["fed_back"] == 1 and body["feedback_rate"] == 0.5
    by_region = api.get("/api/v1/stats/warnings?group_by=region").json()
    assert {r["key"] for r in by_region["rows"]} == {"370102", "370112"}
    assert api.get("/api/v1/stats/warnings?group_by=enterprise").status_code == 400
    assert as_user(api, agency_user()).get("/api/v1/stats/warnings").status_code == 403


# Maps and dashboards ------------------------------------------------------------------------------------------------


def test_risk_enterprises_layer_is_geojson_points_with_level_colours(api, world):
    as_user(api, world["users"]["jinan"])
    response = api.get("/api/v1/gis/risk-enterprises")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/geo+json")
    body = response.json()
    assert body["type"] == "FeatureCollection" and body["truncated"] is False
    props = [f["properties"] for f in body["features"]]
    assert [p["level"] for p in props] == [1, 2, 4]
    assert props[0] == {
        "id": world["lixia"].pk,
        "name": "历下红色化工有限公司",
        "level": 1,
        "score": 75.0,
        "color": "#e02020",
        "industries": ["hazardous_chemicals"],
    }
    assert body["features"][0]["geometry"]["type"] == "Point"
    assert [f["properties"]["level"] for f in api.get("/api/v1/gis/risk-enterprises?level=2").json()["features"]] == [2]
    dust = api.get("/api/v1/gis/risk-enterprises?industry=dust_explosion").json()["features"]
    assert [f["properties"]["id"] for f in dust] == [world["licheng"].pk]
    assert api.get("/api/v1/gis/risk-enterprises?level=0").status_code == 400
    assert api.get("/api/v1/gis/risk-enterprises?region=370200").status_code == 400


def test_risk_regions_layer_colours_regions_by_level(api, world):
    body = as_user(api, world["users"]["jinan"]).get("/api/v1/gis/risk-regions").json()
    features = {f["properties"]["code"]: f["properties"] for f in body["features"]}
    assert features["370102"]["counts"]["1"] == 1 and features["370102"]["level"] is not None
    assert features["370102"]["color"].startswith("#")
    assert as_user(api, world["users"]["qingdao"]).get("/api/v1/gis/risk-regions?region=370100").status_code == 400


def test_safety_warning_counts_by_region_and_industry(api, world):
    make_warning(world["lixia"], level=1)
    make_warning(world["licheng"], level=2)
    make_warning(world["lixia2"], level=3, status="closed")
    as_user(api, world["users"]["jinan"])
    body = api.get("/api/v1/dashboard/safety-warnings?by=region").json()
    rows = {r["key"]: r for r in body["rows"]}
    assert rows["370102"]["counts"]["1"] == 1 and rows["370102"]["total"] == 1  # the closed one is not open
    assert rows["370112"]["counts"]["2"] == 1 and rows["370103"]["total"] == 0  # every county listed
    assert body["total"] == 2
    industries = {r["key"]: r["total"] for r in api.get("/api/v1/dashboard/safety-warnings?by=industry").json()["rows"]}
    assert industries["hazardous_chemicals"] == 2 and industries["dust_explosion"] == 1
    assert api.get("/api/v1/dashboard/safety-warnings?by=enterprise").status_code == 400


def test_enterprise_change_by_region_with_colour_class_and_magnitude(api, world):
    old = timezone.now() - dt.timedelta(days=90)
    Enterprise.objects.update(created_at=old, updated_at=old)
    recent = timezone.now() - dt.timedelta(days=2)
    # 历下: one new, none gone → increase; 历城: one gone → decrease; 历城 also one new and gone → 0 net
    Enterprise.objects.filter(pk=world["dust"].pk).update(created_at=recent)
    Enterprise.objects.filter(pk=world["licheng"].pk).update(deleted=True, updated_at=recent)
    churn = enterprise("370112", name="来去企业")
    Enterprise.objects.filter(pk=churn.pk).update(deleted=True)
    since = (timezone.localdate() - dt.timedelta(days=10)).isoformat()
    as_user(api, world["users"]["jinan"])
    body = api.get(f"/api/v1/dashboard/enterprise-change?by=region&since={since}").json()
    rows = {r["key"]: r for r in body["rows"]}
    assert (rows["370102"]["added"], rows["370102"]["removed"], rows["370102"]["delta"]) == (1, 0, 1)
    assert rows["370102"]["change"] == "increase" and rows["370102"]["magnitude"] == 4
    assert (rows["370112"]["added"], rows["370112"]["removed"], rows["370112"]["delta"]) == (1, 2, -1)
    assert rows["370112"]["change"] == "decrease" and rows["370112"]["magnitude"] == 4
    assert rows["370103"]["change"] == "none" and rows["370103"]["magnitude"] == 0
    assert body["totals"]["delta"] == 0 and rows["370102"]["current"] == 3
    future = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    assert "since" in api.get(f"/api/v1/dashboard/enterprise-change?since={future}").json()
    assert api.get("/api/v1/dashboard/enterprise-change?since=someday").status_code == 400


# Inputs: self-assessments and management indicators ----------------------------------------------------------------


def test_static_assessment_is_scored_by_the_deduction_table(api, world):
    url = f"/api/v1/enterprises/{world['lixia'].pk}/static-assessments"
    as_user(api, world["users"]["ent"])
    items = api.get("/api/v1/risk/static-assessment/items").json()
    first_category = next(c for c in items["categories"] if not c.get("auto"))
    code = first_category["items"][0]["code"]
    response = api.post(url, {"items": {code: 1}, "vetoes": [], "note": "年度自评"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["score"] < 100 and body["level"] in (1, 2, 3, 4) and body["categories"]
    assert body["recorded_by"] == world["users"]["ent"].pk and body["level_name"]
    veto = items["vetoes"][0]["code"]
    red = api.post(url, {"items": {}, "vetoes": [veto]}, format="json").json()
    assert red["level"] == 1  # one vote red
    assert [row["id"] for row in api.get(url).json()["results"]] == [red["id"], body["id"]]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"items": {"nonsense": 1}}, "items.nonsense"),
        ({"items": {}, "vetoes": ["nonsense"]}, "vetoes"),
        ({"items": "all"}, "items"),
        ({"items": {}, "assessed_on": "2999-01-01"}, "assessed_on"),
        ({}, "items"),
    ],
)
def test_bad_static_assessments_are_400_with_field_errors(api, world, body, field):
    response = as_user(api, world["users"]["ent"]).post(
        f"/api/v1/enterprises/{world['lixia'].pk}/static-assessments", body, format="json"
    )
    assert response.status_code == 400 and field in response.json(), response.json()


def test_static_assessments_need_the_role_and_the_enterprise_in_scope(api, world):
    url = f"/api/v1/enterprises/{world['lixia'].pk}/static-assessments"
    assert as_user(api, world["users"]["operator"]).post(url, {"items": {}}, format="json").status_code == 403
    assert as_user(api, world["users"]["lixia"]).post(url, {"items": {}}, format="json").status_code == 403
    assert as_user(api, world["users"]["lixia"]).get(url).status_code == 200  # regulators read them
    other = f"/api/v1/enterprises/{world['qingdao'].pk}/static-assessments"
    assert as_user(api, world["users"]["ent"]).post(other, {"items": {}}, format="json").status_code == 404
    assert as_user(api, world["users"]["ent"]).get(other).status_code == 404


def test_indicator_records_are_reported_and_checked(api, world):
    url = f"/api/v1/enterprises/{world['lixia'].pk}/indicator-records"
    as_user(api, world["users"]["ent"])
    catalogue = api.get("/api/v1/risk/indicator-catalogue").json()
    spec = next(c for c in catalogue if c["max"] == 100)
    response = api.post(url, {"values": {spec["code"]: 85}, "period": "2026-01-01"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()[0]["indicator_name"] == spec["name"] and response.json()[0]["value"] == 85
    assert api.get(url).json()["count"] == 1
    bad = api.post(url, {"values": {spec["code"]: 101, "nonsense": 1}}, format="json").json()
    assert {f"values.{spec['code']}", "values.nonsense"} <= set(bad)
    assert "values" in api.post(url, {"values": {}}, format="json").json()
    assert "period" in api.post(url, {"values": {spec["code"]: 1}, "period": "2999-01-01"}, format="json").json()
    assert as_user(api, world["users"]["operator"]).post(url, {"values": {}}, format="json").status_code == 403


# The enterprise list sorted and filtered by risk (INS-03) --------------------------------------------------------


def test_enterprise_list_sorts_by_risk_descending_and_filters_by_level(api, world):
    as_user(api, world["users"]["province"])
    by_sort = [e["name"] for e in api.get("/api/v1/enterprises/?sort=risk:desc").json()["results"]]
    assert by_sort == [
        "历下红色化工有限公司",
        "历城橙色化工有限公司",
        "黄岛黄色化工有限公司",
        "历下蓝色化工有限公司",
        "历下粉尘企业",  # not graded: last
    ]
    assert [e["name"] for e in api.get("/api/v1/enterprises/?ordering=-risk").json()["results"]] == by_sort
    ascending = [e["name"] for e in api.get("/api/v1/enterprises/?sort=risk:asc").json()["results"]]
    assert ascending[:4] == by_sort[3::-1] and ascending[-1] == "历下粉尘企业"
    assert [e["name"] for e in api.get("/api/v1/enterprises/?risk_level=2").json()["results"]] == [
        "历城橙色化工有限公司"
    ]
    assert api.get("/api/v1/enterprises/?risk_level=7").status_code == 400
    assert "sort" in api.get("/api/v1/enterprises/?sort=risk:sideways").json()
    assert "sort" in api.get("/api/v1/enterprises/?sort=shoe_size").json()
    assert api.get("/api/v1/enterprises/?sort=name").status_code == 400  # only the list's ordering keys
    plain = [e["name"] for e in api.get("/api/v1/enterprises/?sort=organisation__name").json()["results"]]
    assert plain == sorted(plain)


def test_enterprise_list_risk_sort_and_filter_need_the_right_to_see_risk(api, world):
    agency = agency_user()
    from guardian.shortcuts import assign_perm

    assign_perm("enterprises.view_enterprise", agency, world["lixia"])
    as_user(api, agency)
    assert [e["id"] for e in api.get("/api/v1/enterprises/").json()["results"]] == [world["lixia"].pk]
    assert api.get("/api/v1/enterprises/?risk_level=1").json()["count"] == 0  # the filter would tell the level
    assert "sort" in api.get("/api/v1/enterprises/?sort=risk:desc").json()


def test_current_risk_comes_with_control_suggestions_from_the_leading_indicators(
    api, django_capture_on_commit_callbacks
):
    """RSK-18: the advice of the indicators contributing most, highest first."""
    import datetime as dt

    from django.utils import timezone

    from apps.accounts.tests.factories import user_with_role
    from apps.monitoring.tests.factories import feed, temperature_point
    from apps.risk.services import grading

    point = temperature_point(code="TI-SUG")
    feed(point, [20, 95, 96], start=timezone.now() - dt.timedelta(minutes=10))
    grading.regrade([point.enterprise_id])
    api.force_authenticate(user_with_role("enterprise_safety_manager", point.enterprise.organisation))
    body = api.get("/api/v1/my/risk").json()
    assert body["suggestions"], body
    first = body["suggestions"][0]
    leaf = next(r for r in body["breakdown"] if r["code"] == first["indicator"])
    assert first["advice"] == leaf["advice"]
    assert first["contribution"] == max(
        r["contribution"] for r in body["breakdown"] if r.get("source") and r.get("advice") and r["contribution"]
    )

"""Coal regional risk (煤矿区域安全风险分析预警模型, RSK-19..21, GIS-16): regions graded from their mines'
current results and the regional factors regulators record; the drill-down report, the indicator tree,
the GIS layers, recording with validation and scoping, a mined indicator added through a published
version, the periodic task, and bounded query counts."""

import copy
import datetime as dt

import pytest
from django.utils import timezone

from apps.accounts.tests.factories import regulator, user_with_role
from apps.enterprises.tests.factories import enterprise
from apps.monitoring.models import Alarm
from apps.monitoring.tests.factories import temperature_point
from apps.regions.models import Region
from apps.risk import engine, tasks
from apps.risk.models import EnterpriseRisk, RegionIndicatorRecord, RegionRisk, RiskModel
from apps.risk.services import grading
from apps.risk.services.regions import grade_regions, record_region_indicators
from apps.risk.tests.test_api import as_user

pytestmark = pytest.mark.django_db

REPORT = "/api/v1/coal/region-risk"
TREE = "/api/v1/coal/region-risk/indicator-tree"
LAYER = "/api/v1/gis/coal/region-risk"
RECORDS = "/api/v1/coal/region-indicators"
PROVINCE, JINAN, LIXIA, SHIZHONG, HUAIYIN = "370000", "370100", "370102", "370103", "370104"
TODAY = timezone.localdate()


def mine(county: str, score: float | None, level: int | None):
    """A coal mine of ``county`` with a current enterprise result."""
    ent = enterprise(county, industries=("coal",))
    EnterpriseRisk.objects.create(enterprise=ent, level=level, score=score, assessed_at=timezone.now())
    return ent


def region(code: str) -> Region:
    return Region.objects.get(code=code)


def record(code: str, **values):
    record_region_indicators(region(code), {k.replace("__", "."): v for k, v in values.items()}, TODAY)


def risk_of(code: str) -> RegionRisk:
    return RegionRisk.objects.get(region__code=code, model__code="coal_region")


def rows(risk: RegionRisk) -> dict:
    return {row["code"]: row for row in risk.breakdown}


@pytest.fixture
def people():
    return {
        "province": user_with_role("regulator_staff", regulator(PROVINCE)),
        "province_admin": user_with_role("regulator_admin", regulator(PROVINCE)),
        "city": user_with_role("regulator_staff", regulator(JINAN)),
        "county": user_with_role("regulator_staff", regulator(LIXIA)),
        "ent": user_with_role("enterprise_safety_manager", enterprise(LIXIA).organisation),
    }


@pytest.fixture
def graded():
    """Identical mines in 历下 and 市中 (one at 50, orange); 历下 in bad weather with poor rescue, 市中 in
    fair weather with good rescue; 槐荫 has no mine at all."""
    mine(LIXIA, 50, 2)
    mine(SHIZHONG, 50, 2)
    record(LIXIA, weather__severity=90, rescue__capacity=20, geo__complexity=70)
    record(SHIZHONG, weather__severity=10, rescue__capacity=90, geo__complexity=70)
    grade_regions()


# --- the shipped model -----------------------------------------------------------------------------------------------


def test_the_shipped_region_model_is_installed_and_never_grades_enterprises():
    model = RiskModel.objects.get(code="coal_region")
    assert model.kind == "region" and model.current_version.number == 1
    ent = mine(LIXIA, None, None)
    assert [RiskModel.objects.get(current_version_id=v).code for v in grading.models_of([ent.pk])] == ["coal"]


def test_the_indicator_tree_has_mine_geography_meteorology_and_rescue_nodes(api, people):
    body = as_user(api, people["province"]).get(TREE).json()
    assert body["model"] == "coal_region" and body["thresholds"] == {"1": 60, "2": 40, "3": 20}
    tree = {node["code"]: node for node in body["indicators"]}
    assert {"mines", "geography", "weather", "rescue"} == set(tree)
    assert {node["name"] for node in tree.values()} == {"矿井风险", "地理条件", "气象条件", "区域救援能力"}
    leaf = tree["mines"]["children"][0]
    assert leaf["source"] == "region.mine_risk_mean" and leaf["source_name"] and leaf["has_provider"] is True
    capacity = next(c for c in tree["rescue"]["children"] if c["code"] == "rescue.capacity")
    assert capacity["scoring"] == {"type": "linear", "zero": 100, "full": 0}  # more capacity, less risk


# --- grading -----------------------------------------------------------------------------------------------------------


def test_rsk20_identical_mines_but_different_regional_factors_give_different_scores(graded):
    lixia, shizhong = risk_of(LIXIA), risk_of(SHIZHONG)
    assert rows(lixia)["mines"]["score"] == rows(shizhong)["mines"]["score"]
    assert rows(lixia)["mines.mean"]["value"] == 50 and rows(lixia)["mines.high_share"]["value"] == 100
    assert lixia.score > shizhong.score
    assert rows(lixia)["rescue.capacity"]["score"] == 80 and rows(shizhong)["rescue.capacity"]["score"] == 10


def test_the_region_level_follows_the_thresholds(graded):
    thresholds = RiskModel.objects.get(code="coal_region").current_version.definition["thresholds"]
    risks = list(RegionRisk.objects.filter(model__code="coal_region", score__isnull=False))
    assert len(risks) >= 4  # two counties, the city, the province
    for risk in risks:
        assert risk.level == engine.level_of(risk.score, thresholds)
    # mines 52.5 (50·40 + 50·25 + 100·20 + 0·15) in both; 历下 geography 70, weather 90, rescue 80
    assert (risk_of(LIXIA).score, risk_of(LIXIA).level) == (65.75, 1)
    assert (risk_of(SHIZHONG).score, risk_of(SHIZHONG).level) == (43.25, 2)


def test_a_red_mine_makes_its_county_red_and_a_quiet_one_blue():
    mine(LIXIA, 100, 1)
    mine(SHIZHONG, 10, 4)
    grade_regions()
    assert (risk_of(LIXIA).score, risk_of(LIXIA).level) == (85, 1)  # mine group only: 40·100+25·100+20·100+15·0
    assert (risk_of(SHIZHONG).score, risk_of(SHIZHONG).level) == (6.5, 4)
    city = rows(risk_of(JINAN))
    assert (city["mines.mean"]["value"], city["mines.max"]["value"], city["mines.high_share"]["value"]) == (55, 100, 50)


def test_a_region_without_mines_has_no_mine_data_not_zero(graded):
    huaiyin = risk_of(HUAIYIN)
    assert rows(huaiyin)["mines.mean"]["value"] is None and rows(huaiyin)["mines.mean"]["score"] is None
    assert rows(huaiyin)["mines.alarms"]["score"] is None
    assert huaiyin.score is None and huaiyin.level is None and huaiyin.coverage == 0


def test_a_county_without_its_own_record_inherits_its_city_s_and_its_own_wins(graded):
    record(JINAN, weather__severity=60)
    record(SHIZHONG, weather__severity=30)
    grade_regions()
    assert rows(risk_of(HUAIYIN))["weather.severity"]["value"] == 60  # the city's
    assert rows(risk_of(SHIZHONG))["weather.severity"]["value"] == 30  # its own, newer
    assert rows(risk_of(PROVINCE))["weather.severity"]["value"] is None  # a parent never takes its children's


def test_alarms_per_mine_count_the_window_only():
    point = temperature_point(code="TI-C")
    point.enterprise.industries.set(point.enterprise.industries.model.objects.filter(code="coal"))
    other = mine(point.enterprise.organisation.region.code, 20, 3)
    now = timezone.now()
    for started in (now - dt.timedelta(hours=2), now - dt.timedelta(hours=3), now - dt.timedelta(hours=30)):
        Alarm.objects.create(
            point=point,
            enterprise=point.enterprise,
            side="high",
            level="high",
            started_at=started,
            ended_at=started + dt.timedelta(minutes=5),
            is_active=False,
        )
    grade_regions(at=now)
    county = rows(risk_of(other.organisation.region.code))
    assert county["mines.alarms"]["value"] == 1  # two alarms in 24 h over two mines


def test_grading_all_shandong_regions_takes_a_bounded_number_of_queries(graded, django_assert_max_num_queries):
    for county in ("370112", "370202", "370303", "370811", "370883"):
        mine(county, 30, 3)
    with django_assert_max_num_queries(16):
        summary = grade_regions()
    assert summary["graded"] == RegionRisk.objects.filter(model__code="coal_region").count()
    assert summary["graded"] >= 153  # the province, 16 cities, 136 counties


def test_the_periodic_task_grades_enterprises_then_regions_and_a_region_failure_keeps_the_enterprises(monkeypatch):
    ent = mine(LIXIA, 50, 2)
    summary = tasks.regrade_all()
    assert summary["regions"]["graded"] >= 153 and RegionRisk.objects.filter(region__code=LIXIA).exists()
    assert EnterpriseRisk.objects.get(enterprise=ent).assessment_id is not None

    def broken(*args, **kwargs):
        RegionRisk.objects.all().delete()  # a half-done write that must be undone
        raise RuntimeError("boom")

    monkeypatch.setattr("apps.risk.services.regions.grade_regions", broken)
    EnterpriseRisk.objects.filter(enterprise=ent).update(assessed_at=None)
    summary = tasks.regrade_all()
    assert summary["regions"] == {"error": "boom"}
    assert EnterpriseRisk.objects.get(enterprise=ent).assessed_at is not None  # the enterprise run stands
    assert RegionRisk.objects.filter(region__code=LIXIA).exists()  # the region rows rolled back, not lost


# --- the report and its drill-down (RSK-21) ---------------------------------------------------------------------------


def test_the_report_drills_down_province_city_county(api, people, graded, django_assert_max_num_queries):
    as_user(api, people["province"])
    body = api.get(REPORT, {"region": PROVINCE}).json()
    assert body["region"]["code"] == PROVINCE and body["model"]["code"] == "coal_region"
    assert len(body["children"]) == 16 and JINAN in {c["code"] for c in body["children"]}
    jinan = next(c for c in body["children"] if c["code"] == JINAN)
    assert jinan["level"] in (1, 2, 3, 4) and jinan["color"].startswith("#") and jinan["breakdown"]

    with django_assert_max_num_queries(12):
        body = api.get(REPORT, {"region": JINAN}).json()
    children = {c["code"]: c for c in body["children"]}
    assert {LIXIA, SHIZHONG, HUAIYIN} <= set(children)
    lixia = children[LIXIA]
    assert lixia["score"] > children[SHIZHONG]["score"] and lixia["level_name"]
    leaf = next(row for row in lixia["breakdown"] if row["code"] == "weather.severity")
    assert leaf["value"] == 90 and leaf["weight"] == 100 and leaf["effective_weight"] > 0 and not leaf["no_data"]
    assert children[HUAIYIN]["score"] is None and children[HUAIYIN]["color"] == "#cccccc"

    county = api.get(REPORT, {"region": LIXIA}).json()
    assert county["region"]["code"] == LIXIA and county["children"] == []


def test_the_report_defaults_to_the_jurisdiction(api, people, graded):
    body = as_user(api, people["city"]).get(REPORT).json()
    assert body["region"]["code"] == JINAN


# --- GIS (GIS-16) -------------------------------------------------------------------------------------------------------


def test_the_three_gis_styles_are_geojson_with_level_and_colour(api, people, graded):
    mine(LIXIA, None, None)  # ungraded: on the scatter map in grey, not on the heat map
    as_user(api, people["province"])
    fill = api.get(LAYER, {"region": JINAN, "style": "fill"}).json()
    assert fill["type"] == "FeatureCollection" and fill["style"] == "fill"
    by_code = {f["properties"]["code"]: f for f in fill["features"]}
    assert {LIXIA, SHIZHONG} <= set(by_code)
    assert all(f["type"] == "Feature" and "geometry" in f for f in fill["features"])
    assert by_code[LIXIA]["properties"]["level"] == risk_of(LIXIA).level and by_code[LIXIA]["properties"]["color"]

    province = api.get(LAYER, {"region": PROVINCE}).json()  # fill by default: the cities
    assert len(province["features"]) == 16

    heat = api.get(LAYER, {"region": JINAN, "style": "heat"}).json()
    assert len(heat["features"]) == 2
    for feature in heat["features"]:
        assert feature["geometry"]["type"] == "Point" and len(feature["geometry"]["coordinates"]) == 2
        assert feature["properties"]["weight"] == 0.5 and feature["properties"]["color"].startswith("#")

    scatter = api.get(LAYER, {"region": JINAN, "style": "scatter"}).json()
    assert len(scatter["features"]) == 3
    assert sorted(f["properties"]["level"] or 0 for f in scatter["features"]) == [0, 2, 2]
    assert {f["properties"]["color"] for f in scatter["features"] if f["properties"]["level"] is None} == {"#cccccc"}

    wrong = api.get(LAYER, {"style": "pie"})
    assert wrong.status_code == 400 and "style" in wrong.json()


# --- scoping ------------------------------------------------------------------------------------------------------------


def test_a_county_regulator_sees_its_county_only_and_enterprises_nothing(api, people, graded):
    as_user(api, people["county"])
    assert api.get(REPORT, {"region": LIXIA}).status_code == 200
    for url in (REPORT, LAYER, RECORDS):
        for code in (SHIZHONG, JINAN):
            response = api.get(url, {"region": code})
            assert response.status_code == 400 and "region" in response.json()
    as_user(api, people["ent"])
    for url in (REPORT, TREE, LAYER, RECORDS):
        assert api.get(url).status_code == 403
    assert api.post(RECORDS, {"region": LIXIA, "period": TODAY, "values": {}}, format="json").status_code == 403


# --- recording regional factors ---------------------------------------------------------------------------------------


def body(code=LIXIA, **values):
    return {"region": code, "period": TODAY.isoformat(), "values": values or {"weather.severity": 40}, "note": "汛期"}


def test_a_regulator_records_factors_of_its_region_and_lists_them(api, people):
    as_user(api, people["city"])
    response = api.post(RECORDS, body(LIXIA, **{"weather.severity": 40, "rescue.capacity": 75}), format="json")
    assert response.status_code == 201
    assert {(r["indicator"], r["value"]) for r in response.json()} == {
        ("weather.severity", 40),
        ("rescue.capacity", 75),
    }
    assert response.json()[0]["indicator_name"] and response.json()[0]["recorded_by_name"]
    listed = api.get(RECORDS, {"region": JINAN, "indicator": "rescue.capacity"}).json()["results"]
    assert [(r["region"], r["value"]) for r in listed] == [(LIXIA, 75)]
    assert api.get(RECORDS, {"region": SHIZHONG}).json()["results"] == []
    assert api.get(f"{RECORDS}/catalogue").json()[0]["code"]


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"weather.nope": 10}, "values.weather.nope"),
        ({"weather.severity": 140}, "values.weather.severity"),
        ({"rescue.capacity": -1}, "values.rescue.capacity"),
        ({"weather.severity": "high"}, "values.weather.severity"),
        ({"weather.severity": True}, "values.weather.severity"),
    ],
)
def test_bad_values_are_400_with_field_errors_and_nothing_is_stored(api, people, values, field):
    as_user(api, people["county"])
    response = api.post(RECORDS, body(LIXIA, **{"geo.complexity": 50, **values}), format="json")
    assert response.status_code == 400 and field in response.json()
    assert not RegionIndicatorRecord.objects.exists()  # all or nothing


def test_out_of_scope_unknown_regions_and_future_periods_are_400(api, people):
    as_user(api, people["county"])
    for code in (SHIZHONG, JINAN, "999999"):
        response = api.post(RECORDS, body(code), format="json")
        assert response.status_code == 400 and "region" in response.json()
    future = {**body(), "period": (TODAY + dt.timedelta(days=2)).isoformat()}
    assert "period" in api.post(RECORDS, future, format="json").json()
    assert "values" in api.post(RECORDS, {**body(), "values": {}}, format="json").json()
    assert not RegionIndicatorRecord.objects.exists()


# --- a mined indicator added through the model versions API (RSK-19) -------------------------------------------------


def test_an_indicator_added_in_a_published_version_is_used_in_the_next_run(
    api, people, graded, django_capture_on_commit_callbacks
):
    url = "/api/v1/risk/models/coal_region"
    definition = copy.deepcopy(RiskModel.objects.get(code="coal_region").current_version.definition)
    definition["indicators"][0]["children"].append(
        {
            "code": "mines.alarms_week",
            "name": "矿均7日报警次数（关联规则挖掘）",
            "weight": 10,
            "source": "region.mine_alarms",
            "params": {"window_h": 168},
            "scoring": {"type": "linear", "zero": 0, "full": 20},
        }
    )
    as_user(api, people["province_admin"])
    draft = api.post(f"{url}/versions", {"definition": definition, "note": "新增指标"}, format="json")
    assert draft.status_code == 201, draft.json()
    with django_capture_on_commit_callbacks(execute=True):  # publishing regrades the regions
        assert api.post(f"{url}/versions/2/publish").status_code == 200
    lixia = risk_of(LIXIA)
    assert lixia.version.number == 2 and rows(lixia)["mines.alarms_week"]["value"] == 0
    tree = api.get(TREE).json()
    assert "mines.alarms_week" in {c["code"] for c in tree["indicators"][0]["children"]}
    grade_regions()  # and every later run
    assert "mines.alarms_week" in rows(risk_of(SHIZHONG))


def test_region_models_take_region_sources_only_and_enterprise_models_stay_strict(api, people):
    as_user(api, people["province_admin"])
    region_definition = copy.deepcopy(RiskModel.objects.get(code="coal_region").current_version.definition)
    region_definition["indicators"][0]["children"][0]["source"] = "monitoring.alarm_count"
    region_definition["indicators"][1]["children"][0]["params"]["indicator"] = "geo.unknown"
    response = api.post("/api/v1/risk/models/coal_region/versions", {"definition": region_definition}, format="json")
    assert response.status_code == 400 and "definition.indicators[0].children[0].source" in response.json()
    region_definition["indicators"][0]["children"][0]["source"] = "region.mine_risk_mean"
    response = api.post("/api/v1/risk/models/coal_region/versions", {"definition": region_definition}, format="json")
    assert response.status_code == 400 and "definition.geography.complexity.params.indicator" in response.json()

    coal = copy.deepcopy(RiskModel.objects.get(code="coal").current_version.definition)
    coal["indicators"][0]["children"][0]["source"] = "region.mine_risk_mean"
    response = api.post("/api/v1/risk/models/coal/versions", {"definition": coal}, format="json")
    assert response.status_code == 400 and "definition.indicators[0].children[0].source" in response.json()

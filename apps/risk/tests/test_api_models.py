"""Model management API (模型管理): models, the indicator tree, versions, drafts and publication by
provincial administrators only, invocation as a metered compute service (RSK-08), indicator sources."""

import copy

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.accounts.tests.factories import regulator, user_with_role
from apps.enterprises.tests.factories import enterprise
from apps.risk.models import RiskModel, RiskModelVersion
from apps.risk.tests.factories import ALARM_MODEL
from apps.risk.tests.test_api import as_user

pytestmark = pytest.mark.django_db

MODELS = "/api/v1/risk/models"
HAZCHEM = f"{MODELS}/hazardous_chemicals"


@pytest.fixture
def people():
    ent = enterprise("370102")
    return {
        "province_admin": user_with_role("regulator_admin", regulator("370000")),
        "county_admin": user_with_role("regulator_admin", regulator("370102")),
        "province_staff": user_with_role("regulator_staff", regulator("370000")),
        "ent": user_with_role("enterprise_safety_manager", ent.organisation),
        "ops": user_with_role("ops"),
    }


def test_models_are_listed_with_version_and_metering(api, people, django_assert_max_num_queries):
    as_user(api, people["ent"])
    api.get(MODELS)
    with django_assert_max_num_queries(4):
        body = api.get(MODELS).json()
    rows = {row["code"]: row for row in body["results"]}
    assert {"hazardous_chemicals", "coal", "dust_explosion", "steel"} <= set(rows)
    hazchem = rows["hazardous_chemicals"]
    assert hazchem["industry"] == "hazardous_chemicals" and hazchem["version"] == 1
    assert {"name", "kind", "last_trained_at", "invocations"} <= set(hazchem)
    assert [r["code"] for r in api.get(f"{MODELS}?industry=coal").json()["results"]] == ["coal"]
    detail = api.get(HAZCHEM).json()
    assert detail["definition"]["thresholds"] == {"1": 60, "2": 40, "3": 20}
    assert api.get(f"{MODELS}/nope").status_code == 404


def test_the_hazardous_chemicals_indicator_tree_has_at_least_13_first_level_nodes(api, people):
    body = as_user(api, people["province_staff"]).get(f"{HAZCHEM}/indicator-tree").json()
    assert body["model"] == "hazardous_chemicals" and body["version"] == 1 and body["rules"]
    tree = body["indicators"]
    assert len(tree) >= 13 and all(node["children"] for node in tree)
    names = {node["name"] for node in tree}
    assert {"安全培训", "安全意识", "安全行为", "隐患排查治理", "危险化学品登记", "事故事件"} <= names
    leaf = tree[0]["children"][0]
    assert leaf["source"] == "static.guide_deduction" and leaf["source_name"] and leaf["scoring"]["type"]
    assert leaf["children"] == [] and isinstance(leaf["params"], dict) and leaf["has_provider"] is True
    assert tree[0]["source"] is None and tree[0]["weight"] == 20


def draft_body(note="提高报警权重"):
    definition = copy.deepcopy(RiskModel.objects.get(code="hazardous_chemicals").current_version.definition)
    definition["indicators"][1]["weight"] = 30
    return {"definition": definition, "note": note}


def test_a_provincial_admin_drafts_and_publishes_a_version(api, people, django_capture_on_commit_callbacks):
    as_user(api, people["province_admin"])
    response = api.post(f"{HAZCHEM}/versions", draft_body(), format="json")
    assert response.status_code == 201, response.json()
    draft = response.json()
    assert (draft["number"], draft["status"], draft["note"]) == (2, "draft", "提高报警权重")
    assert draft["created_by"] == people["province_admin"].pk and draft["definition"]["indicators"][1]["weight"] == 30
    assert api.get(HAZCHEM).json()["version"] == 1  # the draft is not in force yet
    with django_capture_on_commit_callbacks(execute=True):  # publication regrades the model's enterprises
        published = api.post(f"{HAZCHEM}/versions/2/publish")
    assert published.status_code == 200 and published.json()["status"] == "published"
    assert published.json()["published_by_name"]
    assert api.get(HAZCHEM).json()["version"] == 2
    history = api.get(f"{HAZCHEM}/versions").json()["results"]
    assert [(v["number"], v["status"]) for v in history] == [(2, "published"), (1, "retired")]
    assert api.get(f"{HAZCHEM}/versions/1").json()["definition"]["indicators"][1]["weight"] == 20
    again = api.post(f"{HAZCHEM}/versions/2/publish")
    assert again.status_code == 409 and "status" in again.json()
    assert api.post(f"{HAZCHEM}/versions/9/publish").status_code == 404


def test_an_invalid_definition_is_400_with_errors_by_path(api, people):
    as_user(api, people["province_admin"])
    body = draft_body()
    body["definition"]["thresholds"] = {"1": 10, "2": 40, "3": 20}
    body["definition"]["indicators"][0]["children"][0]["source"] = "nowhere"
    body["definition"]["indicators"][2]["weight"] = -1
    response = api.post(f"{HAZCHEM}/versions", body, format="json")
    assert response.status_code == 400
    errors = response.json()
    assert {
        "definition.thresholds",
        "definition.indicators[0].children[0].source",
        "definition.indicators[2].weight",
    } <= set(errors)
    assert "definition" in api.post(f"{HAZCHEM}/versions", {"definition": [1, 2]}, format="json").json()
    assert "definition" in api.post(f"{HAZCHEM}/versions", {"note": "x"}, format="json").json()
    assert RiskModelVersion.objects.filter(model__code="hazardous_chemicals").count() == 1


def test_only_provincial_or_ministry_administrators_edit_models(api, people):
    for who in ("county_admin", "province_staff", "ent"):
        response = as_user(api, people[who]).post(f"{HAZCHEM}/versions", draft_body(), format="json")
        assert response.status_code == 403, who
    assert RiskModelVersion.objects.filter(model__code="hazardous_chemicals").count() == 1
    draft = as_user(api, people["ops"]).post(f"{HAZCHEM}/versions", draft_body(), format="json")
    assert draft.status_code == 201  # ops may
    assert as_user(api, people["county_admin"]).post(f"{HAZCHEM}/versions/2/publish").status_code == 403
    assert RiskModelVersion.objects.get(model__code="hazardous_chemicals", number=2).status == "draft"
    assert as_user(api, people["county_admin"]).get(f"{HAZCHEM}/versions").status_code == 200  # reading is fine


def test_invoking_a_model_grades_an_input_vector_and_is_metered(api, people):
    as_user(api, people["ent"])
    before = RiskModel.objects.get(code="hazardous_chemicals").invocations
    response = api.post(
        f"{HAZCHEM}/invoke",
        {"inputs": {"inherent.guide": 40, "inherent.hazard_level": 1, "process_alarms.hours": None}},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["model"] == {"code": "hazardous_chemicals", "name": body["model"]["name"], "version": 1}
    assert body["level"] in (1, 2, 3, 4) and body["score"] > 0 and 0 < body["coverage"] < 1
    assert body["color"].startswith("#") and body["level_name"]
    hours = next(r for r in body["breakdown"] if r["code"] == "process_alarms.hours")
    assert hours["no_data"] is True
    veto = api.post(f"{HAZCHEM}/invoke", {"inputs": {"inherent.veto": 1}}, format="json").json()
    assert veto["level"] == 1 and veto["rule"] == "veto" and veto["rule_name"]
    assert RiskModel.objects.get(code="hazardous_chemicals").invocations == before + 2


@pytest.mark.parametrize(
    ("inputs", "field"),
    [({"nonsense": 1}, "inputs.nonsense"), ({"inherent.guide": "high"}, "inputs.inherent.guide"), ("x", "inputs")],
)
def test_bad_invocation_inputs_are_400_and_not_metered(api, people, inputs, field):
    before = RiskModel.objects.get(code="hazardous_chemicals").invocations
    response = as_user(api, people["ent"]).post(f"{HAZCHEM}/invoke", {"inputs": inputs}, format="json")
    assert response.status_code == 400 and field in response.json()
    assert RiskModel.objects.get(code="hazardous_chemicals").invocations == before


def test_invoking_a_model_without_a_published_version_is_409(api, people):
    model = RiskModel.objects.create(code="leak_test", name="泄漏模型", kind="leak")
    RiskModelVersion.objects.create(model=model, number=1, definition=ALARM_MODEL)
    response = as_user(api, people["ent"]).post(f"{MODELS}/leak_test/invoke", {"inputs": {}}, format="json")
    assert response.status_code == 409
    assert [r["code"] for r in api.get(f"{MODELS}?kind=leak").json()["results"]] == ["leak_test"]
    assert api.get(f"{MODELS}/leak_test/indicator-tree").status_code == 404


def test_sources_are_listed_with_and_without_providers(api, people):
    rows = {row["code"]: row for row in as_user(api, people["ent"]).get("/api/v1/risk/sources").json()}
    assert rows["monitoring.alarm_count"]["has_provider"] is True and rows["monitoring.alarm_count"]["params"]
    assert rows["video.alarms"]["has_provider"] is False and rows["video.alarms"]["name"]


def test_versions_list_query_count_does_not_grow(api, people, django_assert_max_num_queries):
    as_user(api, people["province_admin"])
    api.get(f"{HAZCHEM}/versions")
    with CaptureQueriesContext(connection) as one:
        api.get(f"{HAZCHEM}/versions")
    baseline = len(one)  # now: the next request resets the connection's query log
    for _n in range(5):
        assert api.post(f"{HAZCHEM}/versions", draft_body(), format="json").status_code == 201
    with django_assert_max_num_queries(baseline):
        assert api.get(f"{HAZCHEM}/versions").json()["count"] == 6

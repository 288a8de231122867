"""The resource catalogue (DX-02/06/09), subscriptions (DX-03), partners and the exchange code lists
(DX-SW-18, DX-VE-01, DX-VG-01) over HTTP."""

import datetime as dt

import pytest
from django.utils import timezone

from apps.accounts.tests.factories import region, regulator, user_with_role
from apps.exchange import catalog, specs
from apps.exchange.models import OutboxEntry, Partner, Subscription

from . import factories as f

pytestmark = pytest.mark.django_db

CATALOG = "/api/v1/exchange/catalog"
SUBSCRIPTIONS = "/api/v1/exchange/subscriptions"

NATIONAL_TYPES = [
    ("enterprise_basic", "生产经营单位基本信息", "enterprises"),
    ("administrative_licensing", "行政许可类信息", None),
    ("three_simultaneities", "建设项目“三同时”监管信息", None),
    ("hazard_investigation", "隐患排查治理信息", "hazards"),
    ("enforcement", "行政执法管理信息", None),
    ("occupational_health", "职业健康监管信息", None),
    ("intermediary_approval", "中介服务机构审批管理信息", None),
    ("major_hazards", "重大危险源管理信息", "hazard-sources"),
    ("training_institutions", "培训机构管理信息", None),
    ("personnel_certificates", "人员与安全证照管理信息", None),
    ("emergency_resources", "应急资源管理信息", None),
    ("emergency_plans", "应急预案管理信息", None),
    ("emergency_accidents", "应急处置与事故处理信息", None),
    ("laws_regulations", "法律法规信息", None),
    ("cases", "案例信息", None),
    ("standards", "标准规范信息", None),
    ("geographic_resources", "地理资源信息", None),
    ("statistical_analysis", "统计分析信息", None),
    ("supervision_bodies", "安全监管监察机构管理信息", None),
]

SPECIAL_WORK_TYPES = [
    ("11", "二级动火作业", "1", "动火作业"),
    ("12", "一级动火作业", "1", "动火作业"),
    ("13", "特殊动火作业", "1", "动火作业"),
    ("21", "受限空间作业", "2", "受限空间作业"),
    ("31", "盲板抽堵作业", "3", "盲板抽堵作业"),
    ("41", "三级高处作业", "4", "高处作业"),
    ("42", "二级高处作业", "4", "高处作业"),
    ("43", "一级高处作业", "4", "高处作业"),
    ("44", "特级高处作业", "4", "高处作业"),
    ("51", "一级吊装作业", "5", "吊装作业"),
    ("52", "二级吊装作业", "5", "吊装作业"),
    ("53", "三级吊装作业", "5", "吊装作业"),
    ("61", "临时用电作业", "6", "临时用电作业"),
    ("71", "动土作业", "7", "动土作业"),
    ("81", "断路作业", "8", "断路作业"),
    ("A1", "倒罐作业", "A", "倒罐作业"),
    ("B1", "清罐作业", "B", "清罐作业"),
    ("C1", "切水作业", "C", "切水作业"),
]

ENTERPRISE_VIDEO = [
    ("1", "明火", "异常状态"),
    ("2", "烟雾", "异常状态"),
    ("3", "翻越围栏", "违规行为"),
    ("4", "区域入侵", "违规行为"),
    ("5", "人员离岗", "违规行为"),
    ("6", "人员聚集", "违规行为"),
    ("7", "打电话", "违规行为"),
    ("8", "抽烟", "违规行为"),
    ("9", "未佩戴安全帽", "违规行为"),
    ("10", "未穿着工作服", "违规行为"),
]
GAS_STATION_VIDEO = [
    ("3", "人员离岗", "违规行为"),
    ("6", "打电话", "违规行为"),
    ("7", "抽烟", "违规行为"),
    ("10", "明火", "异常状态"),
    ("11", "烟雾", "异常状态"),
    ("13", "灭火器未摆放在作业区域", "作业状态"),
    ("14", "静电释放时间未达到规定时长开始进行卸油作业", "作业状态"),
]


def as_person(api, role="regulator_admin", code="370100"):
    user = user_with_role(role, regulator(code))
    api.force_authenticate(user)
    return user


def upload(api, token, dataset, body):
    response = api.post(f"/api/v1/exchange/{dataset}", body, format="json", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200 and not response.json()["rejected"], response.json()


@pytest.fixture
def exchanged(api):
    """Risk units received from a Jinan and a Qingdao enterprise; national records sent to the ministry."""
    jinan, qingdao = f.enterprise("370102"), f.enterprise("370202")
    upload(api, f.client_for(jinan)[1], "risk-units", [f.risk_unit(), f.risk_unit(DELETED="1")])
    upload(api, f.client_for(qingdao)[1], "risk-units", [f.risk_unit()])
    ministry = Partner.objects.create(name="应急管理部", kind="ministry", base_url="https://mem.example/")
    lane = Subscription.objects.create(partner=ministry, dataset="hazard-sources", schedule="daily")
    sent_at = timezone.now() - dt.timedelta(hours=2)
    OutboxEntry.objects.bulk_create(
        [
            OutboxEntry(
                subscription=lane,
                dataset="hazard-sources",
                key=f.new_id(),
                enterprise=jinan,
                payload={},
                status="delivered",
                delivered_at=sent_at,
            ),
            OutboxEntry(subscription=lane, dataset="hazard-sources", key=f.new_id(), enterprise=jinan, payload={}),
            OutboxEntry(subscription=lane, dataset="hazard-sources", key=f.new_id(), enterprise=qingdao, payload={}),
        ]
    )
    return {"jinan": jinan, "qingdao": qingdao, "ministry": ministry, "lane": lane, "sent_at": sent_at}


# --- catalogue ----------------------------------------------------------------------------------------


def test_the_catalogue_lists_every_dataset_with_fields_frequency_directions_and_volumes(api, exchanged):
    as_person(api, "regulator_staff", "370100")  # Jinan: sees Jinan's records and sends only
    body = api.get(CATALOG).json()
    by_name = {d["dataset"]: d for d in body["datasets"]}
    assert set(by_name) == set(specs.all_specs()) and len(by_name) == 16
    units = by_name["risk-units"]
    assert units["directions"] == ["received", "sent"] and units["frequency_class"] == "daily"
    assert units["volume"]["received"] == 2 and units["volume"]["received_deleted"] == 1
    assert units["last_received_at"] is not None and units["last_exchanged_at"] == units["last_received_at"]
    first = units["fields"][0]
    assert first == {
        "id": "ID",
        "name": "主键",
        "type": "字符",
        "kind": "uuid",
        "length": 36,
        "required": True,
        "codes": None,
        "format": None,
        "description": "主键 UUID",
    }
    hazards = by_name["hazard-sources"]
    assert hazards["directions"] == ["sent"] and hazards["origin"] == "national" and hazards["builder"] is True
    assert hazards["resource_types"] == ["major_hazards"]
    assert hazards["volume"] == {"received": 0, "received_deleted": 0, "sent": 1, "pending": 1, "dead": 0}
    assert dt.datetime.fromisoformat(hazards["last_sent_at"]) == exchanged["sent_at"]
    assert by_name["video-alarms"]["volume"]["received"] == 0 and by_name["video-alarms"]["last_exchanged_at"] is None


def test_volumes_follow_the_callers_jurisdiction(api, exchanged):
    as_person(api, "regulator_staff", "370200")  # Qingdao
    by_name = {d["dataset"]: d for d in api.get(CATALOG).json()["datasets"]}
    assert by_name["risk-units"]["volume"]["received"] == 1
    assert by_name["hazard-sources"]["volume"]["pending"] == 1 and by_name["hazard-sources"]["volume"]["sent"] == 0
    ops = user_with_role("ops")
    api.force_authenticate(ops)
    by_name = {d["dataset"]: d for d in api.get(CATALOG).json()["datasets"]}
    assert by_name["risk-units"]["volume"]["received"] == 3 and by_name["hazard-sources"]["volume"]["pending"] == 2


def test_direction_keeps_received_or_sent_datasets_and_unknown_values_are_400(api, exchanged):
    as_person(api)
    received = {d["dataset"] for d in api.get(CATALOG + "?direction=received").json()["datasets"]}
    assert received == set(specs.names("province"))
    sent = {d["dataset"] for d in api.get(CATALOG + "?direction=sent").json()["datasets"]}
    assert sent == set(specs.all_specs())
    wrong = api.get(CATALOG + "?direction=sideways")
    assert wrong.status_code == 400 and "direction" in wrong.json()
    assert api.get(CATALOG + "?target=moon").status_code == 400


def test_the_national_target_lists_the_19_resource_types_with_schema_and_last_exchange(api, exchanged):
    as_person(api)
    body = api.get(CATALOG + "?target=national").json()
    types = body["resource_types"]
    assert [(t["code"], t["name"], t["dataset"]) for t in types] == NATIONAL_TYPES
    assert all(t["name_en"] for t in types)
    major = next(t for t in types if t["code"] == "major_hazards")
    assert major["provided"] and major["builder"]
    assert [fl["id"] for fl in major["schema"]["fields"]] == list(specs.get("hazard-sources").field_ids)
    assert dt.datetime.fromisoformat(major["last_exchanged_at"]) == exchanged["sent_at"]
    cases = next(t for t in types if t["code"] == "cases")
    assert cases["schema"] is None and cases["provided"] is False and cases["last_exchanged_at"] is None
    assert [e["dataset"] for e in body["extensions"]] == ["alarms", "risk-levels", "warnings"]


def test_the_catalogue_takes_a_fixed_number_of_queries(django_assert_max_num_queries, exchanged):
    user = user_with_role("regulator_staff", regulator("370100"))
    user.access_scope  # noqa: B018 — the user's own scope lookup is not the catalogue's
    with django_assert_max_num_queries(2):
        catalog.catalogue(user)
    with django_assert_max_num_queries(2):
        catalog.catalogue(user, target="national")


def test_an_exchange_client_reads_the_catalogue_with_its_own_volumes_and_strangers_get_401(api, exchanged):
    token = f.client_for(exchanged["qingdao"])[1]
    response = api.get(CATALOG, HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200
    units = next(d for d in response.json()["datasets"] if d["dataset"] == "risk-units")
    assert units["volume"]["received"] == 1
    assert api.get(CATALOG, HTTP_AUTHORIZATION=f"Token {token}", data={"target": "national"}).status_code == 200
    api.credentials()
    assert api.get(CATALOG).status_code == 401
    assert api.get("/api/v1/codes/special-work-types").status_code == 401


def test_one_dataset_comes_with_its_code_tables_and_variants(api):
    as_person(api, "regulator_staff")
    body = api.get(CATALOG + "/video-alarms").json()
    assert body["dataset"] == "video-alarms" and len(body["code_tables"]["ALARM_TYPE"]["rows"]) == 10
    gas = body["variants"]["gas_station"]
    assert [r["code"] for r in gas["code_tables"]["ALARM_TYPE"]["rows"]] == ["3", "6", "7", "10", "11", "13", "14"]
    works = api.get(CATALOG + "/special-works").json()
    assert len(works["code_tables"]["TASK_TYPE"]["rows"]) == 18
    alarms = api.get(CATALOG + "/alarms").json()
    assert alarms["origin"] == "national" and alarms["fields"][0]["id"] == "ID"
    assert api.get(CATALOG + "/no-such-table").status_code == 404


# --- subscriptions -----------------------------------------------------------------------------------------


@pytest.fixture
def ministry():
    return Partner.objects.create(name="应急管理部", kind="ministry", base_url="https://mem.example/")


def test_a_resource_type_is_subscribed_without_code_changes(api, ministry):
    as_person(api)
    response = api.post(SUBSCRIPTIONS, {"partner": ministry.pk, "resourceType": "major_hazards"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["dataset"] == "hazard-sources" and body["schedule"] == "daily"  # the table's frequency
    assert body["partner"] == {"id": ministry.pk, "name": "应急管理部", "kind": "ministry"}
    assert body["resource_types"] == ["major_hazards"] and body["enabled"] is True and body["pending"] == 0
    by_dataset = api.post(
        SUBSCRIPTIONS, {"partner": ministry.pk, "dataset": "alarms", "schedule": "realtime"}, format="json"
    )
    assert by_dataset.status_code == 201 and by_dataset.json()["schedule"] == "realtime"
    # a province table can be forwarded as well: its name is accepted as a resource type
    assert (
        api.post(SUBSCRIPTIONS, {"partner": ministry.pk, "resourceType": "hazards"}, format="json").status_code == 201
    )
    assert set(Subscription.objects.values_list("dataset", flat=True)) == {"hazard-sources", "alarms", "hazards"}
    listed = api.get(SUBSCRIPTIONS).json()
    assert listed["count"] == 3
    assert api.get(SUBSCRIPTIONS + "?dataset=alarms").json()["count"] == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"dataset": "no-such-table"}, "dataset"),
        ({"resourceType": "no_such_type"}, "resourceType"),
        ({"resourceType": "cases"}, "resourceType"),  # listed, but nothing serves it yet
        ({"resourceType": "major_hazards", "dataset": "alarms"}, "resourceType"),
        ({}, "dataset"),
        ({"dataset": "alarms", "schedule": "weekly"}, "schedule"),
        ({"dataset": "alarms", "partner": 999999}, "partner"),
        ({"dataset": "alarms", "partner": "abc"}, "partner"),
    ],
)
def test_a_bad_subscription_is_400_with_the_field(api, ministry, body, field):
    as_person(api)
    response = api.post(SUBSCRIPTIONS, {"partner": ministry.pk, **body}, format="json")
    assert response.status_code == 400 and list(response.json()) == [field], response.json()
    assert not Subscription.objects.exists()


def test_a_duplicate_subscription_is_400(api, ministry):
    as_person(api)
    assert api.post(SUBSCRIPTIONS, {"partner": ministry.pk, "dataset": "warnings"}, format="json").status_code == 201
    again = api.post(SUBSCRIPTIONS, {"partner": ministry.pk, "resourceType": "warnings"}, format="json")
    assert again.status_code == 400 and list(again.json()) == ["dataset"]
    assert Subscription.objects.count() == 1


def test_a_subscription_is_changed_paused_and_deleted(api, ministry):
    as_person(api)
    sub = api.post(SUBSCRIPTIONS, {"partner": ministry.pk, "dataset": "alarms"}, format="json").json()
    url = f"{SUBSCRIPTIONS}/{sub['id']}"
    changed = api.patch(url, {"schedule": "10min", "enabled": False}, format="json")
    assert changed.status_code == 200 and (changed.json()["schedule"], changed.json()["enabled"]) == ("10min", False)
    assert api.patch(url, {"dataset": "warnings"}, format="json").status_code == 400
    assert api.patch(url, {"schedule": "yearly"}, format="json").status_code == 400
    assert api.patch(url, ["x"], format="json").status_code == 400
    OutboxEntry.objects.create(subscription_id=sub["id"], dataset="alarms", key=f.new_id(), payload={})
    assert api.get(url).json()["pending"] == 1
    refused = api.delete(url)
    assert refused.status_code == 409 and Subscription.objects.filter(pk=sub["id"]).exists()
    assert api.delete(url + "?force=true").status_code == 204
    assert not Subscription.objects.exists()
    assert api.get(url).status_code == 404 and api.patch(url, {}, format="json").status_code == 404


def test_subscriptions_need_the_roles_permissions(api, ministry):
    as_person(api, "regulator_staff")
    assert api.get(SUBSCRIPTIONS).status_code == 403
    assert api.post(SUBSCRIPTIONS, {"partner": ministry.pk, "dataset": "alarms"}, format="json").status_code == 403
    assert api.get("/api/v1/exchange/partners").status_code == 403
    sub = Subscription.objects.create(partner=ministry, dataset="alarms", schedule="hourly")
    assert api.delete(f"{SUBSCRIPTIONS}/{sub.pk}").status_code == 403
    api.force_authenticate(None)
    assert api.get(SUBSCRIPTIONS).status_code in (401, 403)
    token = f.client_for(region=region("370100"))[1]  # an exchange client is not a person
    assert api.get(SUBSCRIPTIONS, HTTP_AUTHORIZATION=f"Token {token}").status_code in (401, 403)
    assert Subscription.objects.filter(pk=sub.pk).exists()


def test_partners_are_listed_without_their_tokens(api, ministry):
    Partner.objects.filter(pk=ministry.pk).update(token_encrypted="secret-ciphertext")
    Subscription.objects.create(partner=ministry, dataset="alarms", schedule="hourly")
    as_person(api)
    [row] = api.get("/api/v1/exchange/partners").json()["results"]
    assert row["name"] == "应急管理部" and row["has_token"] is True and row["subscriptions"] == 1
    assert "secret-ciphertext" not in str(row) and not any("token_encrypted" in k for k in row)


# --- code lists ---------------------------------------------------------------------------------------------


def test_special_work_types_are_exactly_the_18_sub_codes_with_their_category(api):
    as_person(api, "regulator_staff")
    body = api.get("/api/v1/codes/special-work-types").json()
    assert body["count"] == 18
    rows = [(r["code"], r["name"], r["parent"]["code"], r["parent"]["name"]) for r in body["results"]]
    assert rows == SPECIAL_WORK_TYPES


@pytest.mark.parametrize(("source", "expected"), [("enterprise", ENTERPRISE_VIDEO), ("gas-station", GAS_STATION_VIDEO)])
def test_video_alarm_types_by_source(api, source, expected):
    token = f.client_for(f.enterprise())[1]  # readable by exchange clients too
    body = api.get(f"/api/v1/codes/video-alarm-types?source={source}", HTTP_AUTHORIZATION=f"Token {token}").json()
    assert body["source"] == source and body["count"] == len(expected)
    assert [(r["code"], r["name"], r["analysis_type"]) for r in body["results"]] == expected


@pytest.mark.parametrize("query", ["", "?source=", "?source=park", "?source=Enterprise"])
def test_video_alarm_types_without_a_known_source_is_400(api, query):
    as_person(api, "regulator_staff")
    response = api.get(f"/api/v1/codes/video-alarm-types{query}")
    assert response.status_code == 400 and list(response.json()) == ["source"]

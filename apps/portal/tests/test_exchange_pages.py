"""Data-exchange pages of the government end: reported data (上报数据) with filters and Excel export,
one enterprise's reported data, one record with its versions, data-exchange quality and exchange
operations — for regulators of the jurisdiction only. Data arrive through the real receiving endpoint."""

import datetime as dt
from io import BytesIO

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from rest_framework.test import APIClient

from apps.accounts.tests.factories import regulator, user_with_role
from apps.exchange.models import ReceivedRecord, UploadStat
from apps.exchange.tests import factories as f
from apps.portal.views_exchange import outbox_module

pytestmark = pytest.mark.django_db


def send(dataset, records, token):
    response = APIClient().post(
        f"/api/v1/exchange/{dataset}", records, format="json", HTTP_AUTHORIZATION=f"Token {token}"
    )
    assert response.status_code == 200, response.content
    return response.json()


@pytest.fixture
def world(settings, tmp_path):
    """A Jinan enterprise that reported every kind of table (one hazard overdue, a deleted unit, an
    orphan event, a refused record, an alarm image), and a Qingdao enterprise with one risk unit."""
    settings.MEDIA_ROOT = str(tmp_path)
    jinan = f.enterprise("370102", name="历下上报化工有限公司")
    client, token = f.client_for(jinan)
    unit = f.risk_unit(RISK_UNIT_NAME="1号罐区")
    gone = f.risk_unit(RISK_UNIT_NAME="已拆除罐区")
    send("risk-units", [unit, gone], token)
    send("risk-units", [{**unit, "HAZARD_DEP": "生产二车间"}, {**gone, "DELETED": "1"}], token)
    send("risk-events", [f.risk_event(unit["ID"], RISK_EVENT_NAME="储罐泄漏")], token)
    send("risk-events", [f.risk_event(f.new_id(), RISK_EVENT_NAME="孤儿事件")], token)
    overdue = f.hazard(DANGER_NAME="液位计失灵", DANGER_MANAGE_DEADLINE="2020-01-01 00:00:00", DANGER_LEVEL=1)
    in_time = f.hazard(DANGER_NAME="压力表未校验", DANGER_MANAGE_DEADLINE="2099-12-31 00:00:00")
    accepted = f.hazard(
        DANGER_NAME="已整改隐患",
        DANGER_MANAGE_DEADLINE="2020-01-01 00:00:00",
        DANGER_STATE=9,
        CHECK_ACCEPT_PERSON="周八",
        CHECK_ACCEPT_TIME="2020-01-02 10:00:00",
    )
    send("hazards", [overdue, in_time, accepted], token)
    refused = send("risk-units", [f.risk_unit(HAZARD_DEP="x" * 201)], token)
    assert refused["rejected"]
    send("special-works", [f.special_work(jinan.uscc, TASK_TYPE="21")], token)
    send("positioning-alarms", [f.positioning_alarm(realName="孙七")], token)
    device = f.video_device(jinan.uscc, DEVICE_NAME="罐区分析盒")
    send("video-devices", [device], token)
    send(
        "video-device-status", [f.video_status(device["DEVICE_CODE"], at="2020-01-01 08:00:00", RUN_STATUS="0")], token
    )
    alarm = f.video_alarm(ALARM_TYPE="1")
    send("video-alarms", [alarm], token)

    qingdao = f.enterprise("370211", name="黄岛上报化工有限公司")
    send("risk-units", [f.risk_unit(RISK_UNIT_NAME="黄岛罐区")], f.client_for(qingdao)[1])

    def record(key):
        return ReceivedRecord.objects.get(key=key.lower())

    return {
        "jinan": jinan,
        "qingdao": qingdao,
        "client": client,
        "unit": record(unit["ID"]),
        "gone": record(gone["ID"]),
        "overdue": record(overdue["ID"]),
        "alarm": record(alarm["ALARM_ID"]),
        "qingdao_unit": ReceivedRecord.objects.get(enterprise=qingdao),
    }


@pytest.fixture
def gov(client, world):
    client.force_login(user_with_role("regulator_staff", regulator("370100")))
    return client


def gov_pages(world):
    return [
        "/gov/exchange/",
        f"/gov/exchange/enterprises/{world['jinan'].pk}/",
        f"/gov/exchange/records/{world['unit'].pk}/",
        "/gov/exchange/quality/",
    ]


# ---------------------------------------------------------------- access


def test_pages_answer_regulators_and_refuse_enterprise_users_and_visitors(client, world):
    for url in gov_pages(world):
        assert client.get(url).status_code == 302, url  # to the login page
    client.force_login(user_with_role("regulator_staff", regulator("370100")))
    for url in gov_pages(world):
        assert client.get(url).status_code == 200, url
    client.force_login(user_with_role("enterprise_admin", world["jinan"].organisation))
    for url in [*gov_pages(world), "/gov/exchange/ops/"]:
        assert client.get(url).status_code == 403, url


def test_another_citys_records_and_enterprises_are_not_found(gov, world):
    assert gov.get(f"/gov/exchange/records/{world['qingdao_unit'].pk}/").status_code == 404
    assert gov.get(f"/gov/exchange/enterprises/{world['qingdao'].pk}/").status_code == 404
    page = gov.get("/gov/exchange/").content.decode()
    assert "历下上报化工有限公司" in page and "黄岛上报化工有限公司" not in page


def test_the_menu_lists_the_exchange_pages_by_permission(gov, world):
    page = gov.get("/gov/exchange/").content.decode()
    assert 'href="/gov/exchange/"' in page and 'href="/gov/exchange/quality/"' in page
    assert 'href="/gov/exchange/ops/"' not in page  # regulators lack view_subscription


# ---------------------------------------------------------------- reported data


def listed(client, query="") -> list[ReceivedRecord]:
    response = client.get(f"/gov/exchange/{query}")
    assert response.status_code == 200
    return list(response.context["records"])


def test_the_list_filters_by_table_enterprise_region_deleted_and_orphan(gov, world):
    everything = listed(gov)
    assert world["gone"] not in everything  # deleted records are hidden by default
    assert world["qingdao_unit"] not in everything
    assert {r.dataset for r in listed(gov, "?dataset=risk-units")} == {"risk-units"}
    assert [r.pk for r in listed(gov, "?dataset=risk-units&includeDeleted=1") if r.deleted] == [world["gone"].pk]
    orphans = listed(gov, "?orphan=1")  # the hazards' control measures have not arrived either
    assert sorted(r.title for r in orphans) == sorted(["孤儿事件", "液位计失灵", "压力表未校验", "已整改隐患"])
    assert [r.title for r in listed(gov, "?orphan=1&dataset=risk-events")] == ["孤儿事件"]
    assert listed(gov, "?q=上报化工") and not listed(gov, "?q=黄岛")
    assert listed(gov, "?region=370102") and not listed(gov, "?region=370112")
    assert {r.dataset for r in listed(gov, "?flag=quarantined")} == {"risk-units", "hazards"}
    assert [r.dataset for r in listed(gov, "?flag=incomplete")] == []
    assert gov.get("/gov/exchange/?dataset=nope").status_code == 200  # an unknown table filters nothing


def test_the_list_shows_states_by_name_and_flags(gov, world):
    page = gov.get("/gov/exchange/?dataset=hazards").content.decode()
    assert "整改中" in page and "已验收" in page  # DANGER_STATE 0 and 9 by their names
    deleted = gov.get("/gov/exchange/?dataset=risk-units&includeDeleted=1").content.decode()
    assert 'data-flag="deleted"' in deleted
    assert 'data-flag="orphan"' in gov.get("/gov/exchange/?orphan=1").content.decode()


def test_the_list_exports_what_it_shows_to_excel(gov, world):
    response = gov.get("/gov/exchange/?dataset=risk-units&includeDeleted=1&export=xlsx")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    rows = list(load_workbook(BytesIO(response.content)).active.values)
    titles = sorted(r[2] for r in rows[1:])
    assert titles == ["1号罐区", "已拆除罐区"]  # Qingdao's unit stays out
    gone = next(r for r in rows[1:] if r[2] == "已拆除罐区")
    assert gone[4] == "历下上报化工有限公司" and gone[10] == 2  # enterprise, times received


# ---------------------------------------------------------------- one enterprise


def test_the_enterprise_page_shows_each_table_and_overdue_hazards(gov, world):
    url = f"/gov/exchange/enterprises/{world['jinan'].pk}/"
    dual = gov.get(url)
    tabs = {t["code"]: t["count"] for t in dual.context["tabs"]}
    assert tabs == {"dual": 3, "hazards": 3, "special_works": 1, "positioning": 1, "video": 3}
    assert [r.title for r in dual.context["rows"]] == ["1号罐区"]  # risk units, deleted hidden
    hazards = gov.get(url + "?dataset=hazards")
    assert hazards.context["overdue_count"] == 1
    overdue = [r.pk for r in hazards.context["rows"] if r.overdue]
    assert overdue == [world["overdue"].pk]  # past deadline; the accepted one (9) is not overdue
    assert "重大隐患" in hazards.content.decode()  # DANGER_LEVEL 1 by its name
    works = gov.get(url + "?dataset=special-works").content.decode()
    assert "受限空间作业" in works
    assert "孙七" in gov.get(url + "?dataset=positioning-alarms").content.decode()
    devices = gov.get(url + "?dataset=video-devices")
    [device] = devices.context["rows"]
    assert device.latest_status_label == "异常" and device.status_late  # last status in 2020
    assert "明火" in gov.get(url + "?dataset=video-alarms").content.decode()


def test_the_enterprise_page_lists_refused_records_with_their_reasons(gov, world):
    page = gov.get(f"/gov/exchange/enterprises/{world['jinan'].pk}/?tab=rejections")
    assert page.context["rejection_count"] == 1
    [rejection] = page.context["rows"]
    assert rejection.problems[0]["name"] == "责任部门" and rejection.problems[0]["field"] == "HAZARD_DEP"
    assert "责任部门" in page.content.decode()


def test_the_regulator_enterprise_page_links_to_the_reported_data(gov, world):
    page = gov.get(f"/gov/enterprises/{world['jinan'].pk}/").content.decode()
    assert f'href="/gov/exchange/enterprises/{world["jinan"].pk}/"' in page


# ---------------------------------------------------------------- one record


def test_a_record_shows_its_fields_by_name_and_its_versions(gov, world):
    response = gov.get(f"/gov/exchange/records/{world['unit'].pk}/")
    names = [row["name"] for row in response.context["fields"]]
    assert names[:5] == ["主键", "风险分析对象编码", "责任部门", "责任人", "风险分析单元名称"]
    versions = response.context["versions"]
    assert len(versions) == 2 and versions[0].changed == ["责任部门"]
    assert versions[0].batch.client == world["client"]
    page = response.content.decode()
    assert "生产二车间" in page and world["client"].name in page


def test_a_records_images_are_linked_and_shown(gov, world):
    response = gov.get(f"/gov/exchange/records/{world['alarm'].pk}/")
    image = next(row for row in response.context["fields"] if row["id"] == "ALARM_IMAGE")
    url = image["file"]["url"]
    assert image["file"]["is_image"] and url.startswith(f"/api/v1/exchange/records/{world['alarm'].pk}/files/")
    served = gov.get(url)
    assert served.status_code == 200 and served["Content-Type"] in ("image/png", "image/jpeg")
    assert b"".join(served.streaming_content)[:4] in (b"\x89PNG", b"\xff\xd8\xff\xe0")
    page = response.content.decode()
    assert f'<img src="{image["file"]["url"]}"' in page
    assert response.context["images"][0]["url"] == image["file"]["url"]  # the alarm image of the details


# ---------------------------------------------------------------- quality


def test_the_quality_page_lists_late_enterprises_reasons_and_flags(gov, world):
    stat = UploadStat.objects.get(enterprise=world["jinan"], dataset="risk-units")
    stat.last_upload_at = timezone.now() - dt.timedelta(hours=30)
    stat.save()
    response = gov.get("/gov/exchange/quality/")
    context = response.context
    assert [(r["dataset"], r["status"]) for r in context["chase"]] == [("risk-units", "late")]
    assert context["overview"]["orphans"] == 4  # an event and three hazards whose parents are missing
    assert context["overview"]["quarantined"] == 4  # live units and hazards with an unregistered HAZARD_CODE
    [reason] = context["overview"]["rejections"]["by_reason"]
    assert reason["reason"] == "HAZARD_DEP:max_length" and reason["field_name"] == "责任部门"
    [bar] = context["chart_data"]["reasons"]
    assert bar["count"] == 1 and "责任部门 (max_length)" in bar["label"]
    page = response.content.decode()
    assert 'id="exchange-quality-data"' in page and "vendor/echarts/echarts.min.js" in page
    only_hazards = gov.get("/gov/exchange/quality/?table=hazards").context["chase"]
    assert only_hazards == []
    by_reason = gov.get("/gov/exchange/quality/?reason=HAZARD_DEP:max_length").context["recent"]
    assert len(by_reason) == 1 and by_reason[0].enterprise_id == world["jinan"].pk
    assert gov.get("/gov/exchange/quality/?reason=ID:uuid").context["recent"] == []
    assert gov.get("/gov/exchange/quality/?reason=%00").context["reason"] == ""  # not a reason: ignored


def test_the_quality_page_counts_only_the_jurisdiction(client, world):
    client.force_login(user_with_role("regulator_staff", regulator("370200")))  # Qingdao
    overview = client.get("/gov/exchange/quality/").context["overview"]
    assert overview["rejections"]["total"] == 0 and overview["orphans"] == 0 and overview["quarantined"] == 1


# ---------------------------------------------------------------- operations


def dead_letter(enterprise):
    from apps.exchange.models import OutboxEntry, Partner, Subscription

    partner = Partner.objects.create(name="省级平台", base_url="https://province.example/")
    subscription = Subscription.objects.create(
        partner=partner, dataset="hazards", schedule="hourly", consecutive_failures=3, last_error="HTTP 503"
    )
    return OutboxEntry.objects.create(
        subscription=subscription,
        dataset="hazards",
        key="dead-1",
        enterprise=enterprise,
        payload={"ID": "dead-1"},
        status=OutboxEntry.Status.DEAD,
        attempts=8,
        last_error="HTTP 400: DANGER_LEVEL",
    )


def test_the_operations_page_is_for_those_who_may_see_subscriptions(client, world):
    client.force_login(user_with_role("regulator_staff", regulator("370100")))
    assert client.get("/gov/exchange/ops/").status_code == 403
    entry = dead_letter(world["jinan"])
    client.force_login(user_with_role("ops"))
    response = client.get("/gov/exchange/ops/")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'href="/gov/exchange/ops/"' in page  # listed in the menu for ops
    if outbox_module() is None:
        assert 'id="ops-unavailable"' in page and response.context["available"] is False
        return
    [lane] = response.context["lanes"]
    assert lane["partner_name"] == "省级平台" and lane["dead_letters"] == 1 and lane["state"] == "failing"
    assert f'data-lane="{entry.subscription_id}"' in page and f'data-entry="{entry.pk}"' in page
    assert "HTTP 503" in page


@pytest.mark.skipif(outbox_module() is None, reason="the outbox is not installed")
def test_retry_and_requeue_go_through_the_outbox(client, world):
    from apps.exchange.models import OutboxEntry, Subscription

    entry = dead_letter(world["jinan"])
    Subscription.objects.filter(pk=entry.subscription_id).update(next_attempt_at=timezone.now() + dt.timedelta(hours=1))
    client.force_login(user_with_role("regulator_staff", regulator("370100")))
    assert client.post("/gov/exchange/ops/", {"retry": entry.subscription_id}).status_code == 403
    client.force_login(user_with_role("regulator_admin", regulator("370200")))  # Qingdao's administrator
    assert client.get("/gov/exchange/ops/").context["dead_letters"] == []  # a Jinan enterprise's letter
    client.post("/gov/exchange/ops/", {"requeue": "1", "entry": [entry.pk]})
    assert OutboxEntry.objects.filter(pk=entry.pk, status=OutboxEntry.Status.DEAD).exists()  # untouched
    client.force_login(user_with_role("regulator_admin", regulator("370100")))
    assert [e.pk for e in client.get("/gov/exchange/ops/").context["dead_letters"]] == [entry.pk]
    assert client.post("/gov/exchange/ops/", {"retry": entry.subscription_id}).status_code == 302
    assert Subscription.objects.get(pk=entry.subscription_id).next_attempt_at is None  # backoff cleared
    assert client.post("/gov/exchange/ops/", {"requeue": "1", "entry": [entry.pk]}).status_code == 302
    assert not OutboxEntry.objects.filter(pk=entry.pk, status=OutboxEntry.Status.DEAD).exists()
    followed = client.post("/gov/exchange/ops/", {"requeue": "1", "entry": [entry.pk]}, follow=True)
    assert followed.status_code == 200 and list(followed.context["messages"])  # not a dead letter now: told so


def test_a_hazards_page_flags_it_overdue_and_quarantined(gov, world):
    response = gov.get(f"/gov/exchange/records/{world['overdue'].pk}/")
    assert response.context["overdue"] is True and response.context["status_label"] == "整改中"
    page = response.content.decode()
    assert 'data-flag="overdue"' in page and 'data-flag="quarantined"' in page
    in_time = ReceivedRecord.objects.get(dataset="hazards", payload__DANGER_NAME="压力表未校验")
    assert gov.get(f"/gov/exchange/records/{in_time.pk}/").context["overdue"] is False


def test_pages_do_not_query_per_row(gov, world, django_assert_max_num_queries):
    gov.get("/gov/exchange/")  # warm the session and permission caches
    token = f.client_for(world["jinan"])[1]
    send("risk-units", [f.risk_unit() for _ in range(30)], token)
    send("hazards", [f.hazard() for _ in range(30)], token)
    # a constant budget: the session, user, permissions, menu and scope take about ten of these
    for url, most in (
        ("/gov/exchange/?includeDeleted=1", 16),
        (f"/gov/exchange/enterprises/{world['jinan'].pk}/?dataset=hazards", 20),
        (f"/gov/exchange/enterprises/{world['jinan'].pk}/?tab=rejections", 20),
        ("/gov/exchange/quality/", 22),
    ):
        with django_assert_max_num_queries(most):
            assert gov.get(url).status_code == 200, url

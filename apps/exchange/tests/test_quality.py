"""Received data and its quality over HTTP: punctuality per frequency class (DX-SD-08, DX-RU-00,
DX-SW-00), refused records by reason and the error queue (DX-04), orphans, quarantined and incomplete
records (ANA-10), each within the caller's scope. Data arrive through the real receiving endpoint."""

import datetime as dt

import pytest
from django.utils import timezone

from apps.accounts.tests.factories import regulator, user_with_role
from apps.exchange import quality
from apps.exchange.models import (
    OutboxEntry,
    Partner,
    ReceiptBatch,
    ReceivedRecord,
    ReceivedVersion,
    Rejection,
    Subscription,
    UploadStat,
)
from apps.regions.models import Region

from . import factories as f

pytestmark = pytest.mark.django_db
BEIJING = dt.timezone(dt.timedelta(hours=8))


def post(api, dataset, body, token, **params):
    query = "?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else ""
    response = api.post(f"/api/v1/exchange/{dataset}{query}", body, format="json", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200, response.content
    return response.json()


def at(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=BEIJING)


def shift(enterprise, dataset, *, first=None, last=None):
    """Date the enterprise's uploads of a table as if they had happened then (the receiver stamps
    the real clock; punctuality is judged against a fixed ``now``)."""
    stat = UploadStat.objects.get(enterprise=enterprise, dataset=dataset)
    stat.first_upload_at = first or stat.first_upload_at
    stat.last_upload_at = last or stat.last_upload_at
    stat.save()


def date_batches(client, dataset, *moments):
    """Give the client's batches of the table (oldest first) the given times, with their versions
    and rejections."""
    batches = list(ReceiptBatch.objects.filter(client=client, dataset=dataset).order_by("id"))
    assert len(batches) == len(moments)
    for batch, moment in zip(batches, moments, strict=True):
        ReceiptBatch.objects.filter(pk=batch.pk).update(received_at=moment)
        ReceivedVersion.objects.filter(batch=batch).update(received_at=moment)
        Rejection.objects.filter(batch=batch).update(received_at=moment)


@pytest.fixture
def jinan():
    return f.enterprise("370102", name="历下交换化工有限公司")


@pytest.fixture
def jinan_token(jinan):
    return f.client_for(jinan)[1]


@pytest.fixture
def qingdao():
    return f.enterprise("370211", name="黄岛交换化工有限公司")


@pytest.fixture
def qingdao_token(qingdao):
    return f.client_for(qingdao)[1]


@pytest.fixture
def gov():
    """A Jinan regulator's API client (a client of its own: ``api`` posts as exchange clients)."""
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(user_with_role("regulator_staff", regulator("370100")))
    return client


def statuses(body) -> dict:
    return {(r["dataset"], r["enterprise_name"]): r["status"] for r in body["results"]}


# ---------------------------------------------------------------- punctuality


def test_no_risk_unit_upload_for_25_hours_is_late_and_an_expected_silent_enterprise_missing(
    api, gov, jinan, jinan_token
):
    """DX-SD-08's acceptance: no upload for 25 h lists the enterprise as late."""
    fresh = f.enterprise("370112", name="历城准时化工有限公司")
    silent = f.enterprise("370103", name="市中未报化工有限公司")
    f.client_for(silent, datasets=["risk-units"])
    post(api, "risk-units", [f.risk_unit()], jinan_token)
    post(api, "risk-units", [f.risk_unit()], f.client_for(fresh)[1])
    shift(jinan, "risk-units", last=timezone.now() - dt.timedelta(hours=25, minutes=5))

    body = gov.get("/api/v1/exchange/punctuality?table=risk-units").json()
    assert statuses(body) == {
        ("risk-units", "历下交换化工有限公司"): "late",
        ("risk-units", "历城准时化工有限公司"): "on_time",
        ("risk-units", "市中未报化工有限公司"): "missing",
    }
    assert [r["status"] for r in body["results"]] == ["missing", "late", "on_time"]  # worst first
    late = next(r for r in body["results"] if r["status"] == "late")
    assert late["hours_since"] >= 25 and late["last_upload_at"].endswith("+08:00")
    assert body["counts"] == [
        {
            "dataset": "risk-units",
            "frequency_class": "daily",
            "judged": True,
            "expected": 3,
            "on_time": 1,
            "late": 1,
            "missing": 1,
            "pending": 0,
        }
    ]
    only_late = gov.get("/api/v1/exchange/punctuality?table=risk-units&status=late").json()
    assert [r["enterprise"] for r in only_late["results"]] == [jinan.pk] and only_late["count"] == 1


def test_the_tolerance_of_each_frequency_class(api, jinan, jinan_token):
    post(api, "risk-units", [f.risk_unit()], jinan_token)
    post(api, "hazards", [f.hazard()], jinan_token)
    device = f.video_device(jinan.uscc)
    post(api, "video-devices", [device], jinan_token)
    post(api, "video-device-status", [f.video_status(device["DEVICE_CODE"])], jinan_token)
    post(api, "video-alarms", [f.video_alarm()], jinan_token)
    last = at("2026-12-01 08:00")
    for dataset in ("risk-units", "hazards", "video-device-status", "video-alarms"):
        shift(jinan, dataset, last=last, first=last)
    user = user_with_role("regulator_staff", regulator("370100"))

    def status(dataset, now):
        [row] = quality.punctuality(user, dataset, now=now)["rows"]
        return row["status"]

    assert status("risk-units", last + dt.timedelta(hours=24, minutes=59)) == "on_time"
    assert status("risk-units", last + dt.timedelta(hours=25, minutes=1)) == "late"
    assert status("hazards", last + dt.timedelta(minutes=74)) == "on_time"  # hourly, 15 min of tolerance
    assert status("hazards", last + dt.timedelta(minutes=76)) == "late"
    assert status("video-device-status", last + dt.timedelta(minutes=14)) == "on_time"  # DX-VE-08
    assert status("video-device-status", last + dt.timedelta(minutes=16)) == "late"
    assert status("video-alarms", last + dt.timedelta(days=30)) is None  # real time: not judged


def test_special_works_must_arrive_by_ten_oclock_beijing_time(api, jinan, jinan_token):
    """DX-SW-00: at 10:01 with nothing today the enterprise is late; a first upload after 10:00 is
    late, one before it on time; a change at 14:00 (IS_CHANGED=1) is accepted."""
    early = f.enterprise("370112", name="历城早报化工有限公司")
    early_client, early_token = f.client_for(early)
    changed = f.enterprise("370103", name="市中变更化工有限公司")
    changed_client, changed_token = f.client_for(changed)
    newcomer = f.enterprise("370104", name="槐荫新报化工有限公司")

    post(api, "special-works", [f.special_work(jinan.uscc)], jinan_token)
    shift(jinan, "special-works", first=at("2026-11-30 09:00"), last=at("2026-11-30 09:00"))  # yesterday only
    post(api, "special-works", [f.special_work(early.uscc)], early_token)
    shift(early, "special-works", first=at("2026-11-30 09:10"), last=at("2026-12-01 09:30"))
    date_batches(early_client, "special-works", at("2026-12-01 09:30"))

    work = f.special_work(changed.uscc)
    post(api, "special-works", [work], changed_token)
    update = {**work, "IS_CHANGED": "1", "CHANGED_REASON": "动火点变更", "TASK_POSITION": "2号罐区"}
    assert post(api, "special-works", [update], changed_token)["updated"] == 1
    date_batches(changed_client, "special-works", at("2026-11-30 08:00"), at("2026-12-01 14:00"))
    shift(changed, "special-works", first=at("2026-11-30 08:00"), last=at("2026-12-01 14:00"))

    newcomer_client, newcomer_token = f.client_for(newcomer)
    post(api, "special-works", [f.special_work(newcomer.uscc)], newcomer_token)
    date_batches(newcomer_client, "special-works", at("2026-12-01 11:00"))
    shift(newcomer, "special-works", first=at("2026-12-01 11:00"), last=at("2026-12-01 11:00"))

    user = user_with_role("regulator_staff", regulator("370100"))

    def table(now):
        return {r["enterprise_name"]: r["status"] for r in quality.punctuality(user, "special-works", now=now)["rows"]}

    assert table(at("2026-12-01 09:59")) == {
        jinan.name: "pending",
        "历城早报化工有限公司": "on_time",
        "市中变更化工有限公司": "pending",  # its 14:00 upload has not happened yet at 09:59
        "槐荫新报化工有限公司": "pending",
    }
    assert table(at("2026-12-01 10:01")) == {
        jinan.name: "late",
        "历城早报化工有限公司": "on_time",
        "市中变更化工有限公司": "late",
        "槐荫新报化工有限公司": "late",
    }
    afternoon = {
        r["enterprise_name"]: r for r in quality.punctuality(user, "special-works", at("2026-12-01 15:00"))["rows"]
    }
    assert afternoon["市中变更化工有限公司"]["status"] == "late"
    assert afternoon["市中变更化工有限公司"]["first_upload_today"] == at("2026-12-01 14:00")
    assert afternoon["历城早报化工有限公司"]["first_upload_today"] == at("2026-12-01 09:30")
    assert afternoon["槐荫新报化工有限公司"]["first_upload_today"] == at("2026-12-01 11:00")
    # the next day everyone starts again: nothing yet, before ten
    assert set(table(at("2026-12-02 08:00")).values()) == {"pending"}


def test_a_platforms_special_works_upload_counts_for_the_enterprises_it_carried(api):
    inside = f.enterprise("370102", name="历下平台化工有限公司")
    client, token = f.client_for(region=Region.objects.get(code="370100"))
    post(api, "special-works", [f.special_work(inside.uscc)], token)
    post(api, "special-works", [f.special_work(inside.uscc, TASK_TYPE="99")], token)  # refused, still an upload
    date_batches(client, "special-works", at("2026-11-30 09:00"), at("2026-12-01 09:45"))
    shift(inside, "special-works", first=at("2026-11-30 09:00"), last=at("2026-12-01 09:45"))
    user = user_with_role("regulator_staff", regulator("370100"))
    [row] = quality.punctuality(user, "special-works", now=at("2026-12-01 12:00"))["rows"]
    assert row["status"] == "on_time" and row["first_upload_today"] == at("2026-12-01 09:45")


def test_unknown_table_or_status_is_400_with_the_field(gov):
    assert gov.get("/api/v1/exchange/punctuality?table=nope").json().keys() == {"table"}
    assert gov.get("/api/v1/exchange/punctuality?table=nope").status_code == 400
    assert gov.get("/api/v1/exchange/punctuality?status=asleep").json().keys() == {"status"}
    assert gov.get("/api/v1/exchange/punctuality?enterprise=abc").status_code == 400
    assert gov.get("/api/v1/exchange/rejections?since=yesterday").json().keys() == {"since"}
    assert gov.get("/api/v1/exchange/rejections?reason=a b").json().keys() == {"reason"}
    assert gov.get("/api/v1/exchange/rejections?dataset=nope").status_code == 400
    assert gov.get("/api/v1/exchange/errors?direction=sideways").status_code == 400
    assert gov.get("/api/v1/exchange/received?enterprise=-1").status_code == 400
    assert gov.get("/api/v1/exchange/quality?since=soon").status_code == 400


# ---------------------------------------------------------------- rejections and the error queue


def test_rejections_are_listed_and_counted_by_reason_with_a_sample_message(api, gov, jinan, jinan_token):
    long_dep = f.risk_unit(HAZARD_DEP="x" * 201)
    post(api, "risk-units", [long_dep, f.risk_unit(HAZARD_DEP="y" * 300), f.risk_unit()], jinan_token)
    no_name = f.risk_unit(ID="not-a-uuid")
    del no_name["RISK_UNIT_NAME"]
    post(api, "risk-units", [no_name], jinan_token)
    post(api, "hazards", [f.hazard(DANGER_STATE=9)], jinan_token)  # accepted needs the acceptance fields

    listed = gov.get("/api/v1/exchange/rejections?reason=HAZARD_DEP:max_length").json()
    assert listed["count"] == 2
    first = listed["results"][0]
    assert first["dataset"] == "risk-units" and first["enterprise"] == jinan.pk
    assert first["reasons"] == ["HAZARD_DEP:max_length"] and "HAZARD_DEP" in first["errors"]
    assert first["received_from"] and first["received_at"].endswith("+08:00")
    assert gov.get("/api/v1/exchange/rejections?reason=RISK_UNIT_NAME").json()["count"] == 1
    assert gov.get("/api/v1/exchange/rejections?dataset=hazards").json()["count"] == 1
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    assert gov.get(f"/api/v1/exchange/rejections?since={tomorrow}").json()["count"] == 0

    summary = gov.get("/api/v1/exchange/rejections/summary").json()
    assert summary["total"] == 4
    assert {r["dataset"]: r["count"] for r in summary["by_dataset"]} == {"risk-units": 3, "hazards": 1}
    reasons = {r["reason"]: r for r in summary["by_reason"]}
    assert reasons["HAZARD_DEP:max_length"]["count"] == 2
    assert reasons["HAZARD_DEP:max_length"]["field_name"] == "责任部门"
    latest = Rejection.objects.filter(reasons__contains=["HAZARD_DEP:max_length"]).order_by("-id").first()
    assert reasons["HAZARD_DEP:max_length"]["sample"] == latest.errors["HAZARD_DEP"]  # the latest message
    assert "300" in latest.errors["HAZARD_DEP"]
    assert reasons["ID:uuid"]["count"] == 1 and reasons["RISK_UNIT_NAME:required"]["count"] == 1
    assert {"CHECK_ACCEPT_PERSON:required", "CHECK_ACCEPT_TIME:required"} <= set(reasons)
    assert summary["by_reason"][0]["reason"] == "HAZARD_DEP:max_length"  # most frequent first
    only_hazards = gov.get("/api/v1/exchange/rejections/summary?dataset=hazards").json()
    assert only_hazards["total"] == 1 and all(r["dataset"] == "hazards" for r in only_hazards["by_reason"])


def dead_letter(enterprise, key="k-1"):
    partner = Partner.objects.create(name=f"省平台-{key}", base_url="https://province.example/")
    subscription = Subscription.objects.create(partner=partner, dataset="hazards", schedule="hourly")
    return OutboxEntry.objects.create(
        subscription=subscription,
        dataset="hazards",
        key=key,
        enterprise=enterprise,
        payload={"ID": key},
        status=OutboxEntry.Status.DEAD,
        attempts=8,
        last_error="HTTP 400: DANGER_LEVEL unknown code",
    )


def test_the_error_queue_holds_refused_records_and_outbound_dead_letters_for_admins(api, jinan, jinan_token, qingdao):
    post(api, "risk-units", [f.risk_unit(ID="bad")], jinan_token)
    dead = dead_letter(jinan)
    dead_letter(qingdao, key="k-2")
    OutboxEntry.objects.create(
        subscription=dead.subscription, dataset="hazards", key="ok", enterprise=jinan, payload={}, status="pending"
    )

    staff = user_with_role("regulator_staff", regulator("370100"))
    api.force_authenticate(staff)
    body = api.get("/api/v1/exchange/errors").json()
    assert [(r["direction"], r["dataset"]) for r in body["results"]] == [("inbound", "risk-units")]
    assert body["results"][0]["errors"] == Rejection.objects.get().errors and body["results"][0]["reasons"] == [
        "ID:uuid"
    ]
    assert api.get("/api/v1/exchange/errors?direction=outbound").status_code == 403

    admin = user_with_role("regulator_admin", regulator("370100"))
    api.force_authenticate(admin)
    body = api.get("/api/v1/exchange/errors").json()
    assert body["count"] == 2
    assert {(r["direction"], r["id"]) for r in body["results"]} == {
        ("outbound", dead.pk),
        ("inbound", Rejection.objects.get().pk),
    }
    outbound = api.get("/api/v1/exchange/errors?direction=outbound").json()["results"]
    assert [r["id"] for r in outbound] == [dead.pk]  # Qingdao's dead letter is outside Jinan
    assert outbound[0]["errors"] == {"_send": "HTTP 400: DANGER_LEVEL unknown code"} and outbound[0]["attempts"] == 8
    assert outbound[0]["counterpart"] == dead.subscription.partner.name

    api.force_authenticate(user_with_role("ops"))
    assert api.get("/api/v1/exchange/errors?direction=outbound").json()["count"] == 2


# ---------------------------------------------------------------- scope


def test_a_regulator_of_another_city_sees_nothing_and_an_enterprise_user_only_its_own(
    api, jinan, jinan_token, qingdao, qingdao_token
):
    for token in (jinan_token, qingdao_token):
        post(api, "risk-units", [f.risk_unit(), f.risk_unit(ID="bad")], token)
        post(api, "risk-events", [f.risk_event(f.new_id())], token)

    api.force_authenticate(user_with_role("regulator_staff", regulator("370300")))  # Zibo
    for url in (
        "/api/v1/exchange/punctuality?table=risk-units",
        "/api/v1/exchange/rejections",
        "/api/v1/exchange/errors",
    ):
        assert api.get(url).json()["count"] == 0, url
    assert api.get("/api/v1/exchange/rejections/summary").json()["total"] == 0
    overview = api.get("/api/v1/exchange/quality").json()
    assert overview["orphans"] == 0 and overview["quarantined"] == 0 and overview["rejections"]["total"] == 0
    assert all(r["live"] == 0 for r in api.get("/api/v1/exchange/received").json())

    api.force_authenticate(user_with_role("enterprise_admin", jinan.organisation))
    rows = api.get("/api/v1/exchange/punctuality").json()["results"]
    assert {r["enterprise"] for r in rows} == {jinan.pk}
    assert {r["enterprise"] for r in api.get("/api/v1/exchange/rejections").json()["results"]} == {jinan.pk}
    assert api.get("/api/v1/exchange/quality").json()["orphans"] == 1
    received = {r["dataset"]: r for r in api.get("/api/v1/exchange/received").json()}
    assert received["risk-units"]["live"] == 1 and received["risk-events"]["orphan"] == 1
    assert api.get(f"/api/v1/exchange/received?enterprise={qingdao.pk}").json()[0]["live"] == 0

    api.force_authenticate(user_with_role("regulator_staff", regulator("370200")))  # Qingdao
    assert {r["enterprise"] for r in api.get("/api/v1/exchange/rejections").json()["results"]} == {qingdao.pk}


def test_exchange_clients_read_their_own_punctuality_and_rejections_only(api, jinan, jinan_token, qingdao_token):
    post(api, "risk-units", [f.risk_unit(ID="bad")], jinan_token)
    post(api, "risk-units", [f.risk_unit(ID="worse")], qingdao_token)
    auth = {"HTTP_AUTHORIZATION": f"Token {jinan_token}"}
    rows = api.get("/api/v1/exchange/punctuality?table=risk-units", **auth).json()["results"]
    assert [r["enterprise"] for r in rows] == [jinan.pk]
    rejected = api.get("/api/v1/exchange/rejections", **auth).json()["results"]
    assert [r["key"] for r in rejected] == ["bad"]
    assert api.get("/api/v1/exchange/rejections/summary", **auth).json()["total"] == 1
    assert api.get("/api/v1/exchange/quality", **auth).status_code == 403
    assert api.get("/api/v1/exchange/punctuality").status_code == 401


def test_users_without_the_right_are_refused(api):
    from apps.accounts.models import Organisation, OrganisationKind

    agency = Organisation.objects.create(
        name="某评价机构", kind=OrganisationKind.SERVICE_PROVIDER, region=Region.objects.get(code="370100")
    )
    api.force_authenticate(user_with_role("service_provider_staff", agency))
    assert api.get("/api/v1/exchange/quality").status_code == 403
    assert api.get("/api/v1/exchange/punctuality").status_code == 403


# ---------------------------------------------------------------- orphans, quarantine, completeness


def test_the_overview_counts_orphans_quarantined_incomplete_rejected_and_late(api, gov, jinan, jinan_token):
    unit = f.risk_unit()  # its HAZARD_CODE is no registered hazard source: quarantined
    post(api, "risk-units", [unit], jinan_token)
    post(api, "risk-events", [f.risk_event(f.new_id()), f.risk_event(unit["ID"])], jinan_token)
    work = f.special_work(jinan.uscc)
    del work["TASK_CONTENT"]
    post(api, "special-works", [work, f.special_work(jinan.uscc, TASK_TYPE="99")], jinan_token)
    shift(jinan, "risk-units", last=timezone.now() - dt.timedelta(days=2))

    body = gov.get("/api/v1/exchange/quality").json()
    assert (body["orphans"], body["quarantined"], body["incomplete"]) == (1, 1, 1)
    assert body["late"] >= 1 and body["missing"] == 0
    per = {r["dataset"]: r for r in body["by_dataset"]}
    assert per["risk-events"]["orphan"] == 1 and per["risk-units"]["quarantined"] == 1
    assert per["special-works"]["incomplete"] == 1 and per["risk-units"]["incomplete"] == 0
    assert body["orphans_by_enterprise"] == [
        {
            "dataset": "risk-events",
            "enterprise": jinan.pk,
            "enterprise_name": jinan.name,
            "region_name": "历下区",
            "count": 1,
            "oldest": body["orphans_by_enterprise"][0]["oldest"],
        }
    ]
    assert [r["reason"] for r in body["rejections"]["by_reason"]] == ["TASK_TYPE:code"]
    punctual = {r["dataset"]: r for r in body["punctuality"]}
    assert punctual["risk-units"]["late"] == 1 and punctual["risk-events"]["on_time"] == 1
    assert len(body["punctuality"]) == 11

    # the orphan's parent arrives: no longer an orphan
    parent = next(r for r in ReceivedRecord.objects.filter(dataset="risk-events", orphan=True))
    post(api, "risk-units", [f.risk_unit(ID=parent.parent_key)], jinan_token)
    assert gov.get("/api/v1/exchange/quality").json()["orphans"] == 0


def test_received_summary_counts_live_deleted_and_orphans(api, gov, jinan, jinan_token):
    unit = f.risk_unit()
    post(api, "risk-units", [unit, f.risk_unit()], jinan_token)
    post(api, "risk-units", [{**unit, "DELETED": "1"}], jinan_token)
    post(api, "risk-events", [f.risk_event(f.new_id())], jinan_token)
    rows = {r["dataset"]: r for r in gov.get(f"/api/v1/exchange/received?enterprise={jinan.pk}").json()}
    assert (rows["risk-units"]["live"], rows["risk-units"]["deleted"], rows["risk-units"]["orphan"]) == (1, 1, 0)
    assert rows["risk-events"]["orphan"] == 1 and rows["hazards"]["live"] == 0
    assert rows["hazards"]["last_received_at"] is None and rows["risk-units"]["last_received_at"]


# ---------------------------------------------------------------- bounded queries


def test_queries_do_not_grow_with_the_number_of_enterprises(api, gov, django_assert_max_num_queries):
    for n in range(6):
        ent = f.enterprise("370102")
        client, token = f.client_for(ent, datasets=["risk-units", "hazards", "special-works"])
        post(api, "risk-units", [f.risk_unit(ID="bad"), f.risk_unit()], token)
        post(api, "special-works", [f.special_work(ent.uscc)], token)
        post(api, "special-works", [f.special_work(ent.uscc)], token)
        shift(ent, "special-works", first=timezone.now() - dt.timedelta(days=1 + n))
    dead_letter(None)
    admin = user_with_role("regulator_admin", regulator("370100"))
    gov.force_authenticate(admin)
    # session/permission lookups (3) + the work; the same budget with 6 enterprises as with 1
    with django_assert_max_num_queries(10):
        assert gov.get("/api/v1/exchange/punctuality").json()["count"] == 18
    with django_assert_max_num_queries(8):
        assert gov.get("/api/v1/exchange/rejections").json()["count"] == 6
    with django_assert_max_num_queries(8):
        assert gov.get("/api/v1/exchange/errors").json()["count"] == 6
    with django_assert_max_num_queries(16):
        assert gov.get("/api/v1/exchange/quality").json()["rejections"]["total"] == 6
    with django_assert_max_num_queries(5):
        gov.get("/api/v1/exchange/received")

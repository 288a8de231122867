"""Receiving the province's tables over HTTP (contract.md §4): accepted, refused with the field,
upserted, flagged deleted, scoped to the client."""

import pytest

from apps.exchange.models import ReceivedRecord, ReceivedVersion, Rejection, UploadStat

from . import factories as f

pytestmark = pytest.mark.django_db

URL = "/api/v1/exchange/{}"


@pytest.fixture
def ent():
    return f.enterprise()


@pytest.fixture
def token(ent):
    return f.client_for(ent)[1]


def post(api, dataset, body, token, **params):
    query = "?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else ""
    return api.post(URL.format(dataset) + query, body, format="json", HTTP_AUTHORIZATION=f"Token {token}")


def test_a_valid_risk_unit_is_created_then_updated_by_its_key(api, ent, token):
    unit = f.risk_unit()
    response = post(api, "risk-units", [unit], token)
    assert response.status_code == 200, response.json()
    assert response.json() == {"received": 1, "created": 1, "updated": 0, "rejected": []}
    again = post(api, "risk-units", [{**unit, "RISK_UNIT_NAME": "2号罐区"}], token)
    assert again.json() == {"received": 1, "created": 0, "updated": 1, "rejected": []}
    record = ReceivedRecord.objects.get(dataset="risk-units")
    assert record.key == unit["ID"] and record.payload["RISK_UNIT_NAME"] == "2号罐区"
    assert record.enterprise_id == ent.pk and record.versions == 2 and record.title == "2号罐区"
    assert ReceivedVersion.objects.filter(record=record).count() == 2  # every arrival kept verbatim
    assert UploadStat.objects.get(dataset="risk-units", enterprise=ent).uploads == 2


def test_each_broken_field_is_reported_by_name_and_the_rest_is_stored(api, token):
    good = f.risk_unit()
    bad = f.risk_unit(ID="not-a-uuid", HAZARD_DEP="x" * 201, DELETED="2")
    del bad["RISK_UNIT_NAME"]
    body = post(api, "risk-units", [good, bad], token).json()
    assert body["received"] == 2 and body["created"] == 1
    [rejected] = body["rejected"]
    assert rejected["index"] == 1 and rejected["key"] == "not-a-uuid"
    assert set(rejected["errors"]) == {"ID", "HAZARD_DEP", "DELETED", "RISK_UNIT_NAME"}
    stored = Rejection.objects.get()
    assert set(stored.reasons) == {"ID:uuid", "HAZARD_DEP:max_length", "DELETED:code", "RISK_UNIT_NAME:required"}


def test_a_deleted_record_is_flagged_not_removed_and_hidden_by_default(api, ent, token):
    unit = f.risk_unit()
    post(api, "risk-units", [unit], token)
    post(api, "risk-units", [{**unit, "DELETED": "1"}], token)
    assert ReceivedRecord.objects.get(key=unit["ID"]).deleted
    assert api.get(URL.format("risk-units"), HTTP_AUTHORIZATION=f"Token {token}").json()["count"] == 0
    listed = api.get(URL.format("risk-units") + "?includeDeleted=true", HTTP_AUTHORIZATION=f"Token {token}").json()
    assert listed["count"] == 1 and listed["results"][0]["DELETED"] == "1" and listed["results"][0]["deleted"] is True
    gone = api.delete(f"{URL.format('risk-units')}/{unit['ID']}", HTTP_AUTHORIZATION=f"Token {token}")
    assert gone.status_code == 405


@pytest.mark.parametrize(
    ("body", "status"),
    [({"ID": "x"}, 400), ("text", 400), ([1, 2], 400), ([{}] * 1001, 400)],
)
def test_a_body_that_is_not_an_array_of_up_to_1000_objects_is_400(api, token, body, status):
    assert post(api, "risk-units", body, token).status_code == status


def test_credentials_are_required_and_must_be_an_exchange_client(api, ent):
    assert api.post(URL.format("risk-units"), [], format="json").status_code == 401
    wrong = api.post(URL.format("risk-units"), [], format="json", HTTP_AUTHORIZATION="Token nope")
    assert wrong.status_code == 401
    client, token = f.client_for(ent)
    client.is_active = False
    client.save()
    assert post(api, "risk-units", [], token).status_code == 403


def test_an_empty_upload_counts_as_the_days_upload(api, ent, token):
    assert post(api, "risk-units", [], token).json() == {"received": 0, "created": 0, "updated": 0, "rejected": []}
    assert UploadStat.objects.get(dataset="risk-units", enterprise=ent).uploads == 1


def test_a_child_before_its_parent_is_an_orphan_until_the_parent_arrives(api, token):
    unit = f.risk_unit()
    event = f.risk_event(unit["ID"])
    assert post(api, "risk-events", [event], token).json()["created"] == 1
    assert ReceivedRecord.objects.get(key=event["ID"]).orphan
    post(api, "risk-units", [unit], token)
    assert not ReceivedRecord.objects.get(key=event["ID"]).orphan


def test_special_works_company_code_must_be_the_clients_enterprise(api, ent, token):
    other = f.enterprise("370202")
    ok = post(api, "special-works", [f.special_work(ent.uscc)], token).json()
    assert ok["created"] == 1, ok
    refused = post(api, "special-works", [f.special_work(other.uscc)], token).json()
    assert set(refused["rejected"][0]["errors"]) == {"COMPANY_CODE"}
    unknown = post(api, "special-works", [f.special_work("NOPE")], token).json()
    assert set(unknown["rejected"][0]["errors"]) == {"COMPANY_CODE"}


def test_a_key_of_another_enterprise_cannot_be_overwritten(api, ent, token):
    unit = f.risk_unit()
    post(api, "risk-units", [unit], token)
    other_token = f.client_for(f.enterprise("370202"))[1]
    body = post(api, "risk-units", [{**unit, "RISK_UNIT_NAME": "hijack"}], other_token).json()
    assert set(body["rejected"][0]["errors"]) == {"ID"}
    assert ReceivedRecord.objects.get(key=unit["ID"]).payload["RISK_UNIT_NAME"] == "1号罐区"


def test_video_alarm_and_its_clearance_share_the_id_and_keep_both_times(api, ent, token):
    alarm = f.video_alarm()
    post(api, "video-alarms", [alarm], token)
    clearance = {**alarm, "ALARM_STATUS": "0", "ALARM_TIME": f.LATER}
    assert post(api, "video-alarms", [clearance], token).json()["updated"] == 1
    record = ReceivedRecord.objects.get(key=alarm["ALARM_ID"])
    assert record.details["alarm_time"] == f.NOW and record.details["clear_time"] == f.LATER
    assert record.details["alarm_image"]["media_type"] == "image/jpeg" and record.status == "0"
    assert record.event_time == f.beijing(f.NOW)
    stray = post(api, "video-alarms", [{**f.video_alarm(), "ALARM_STATUS": "0"}], token).json()
    assert set(stray["rejected"][0]["errors"]) == {"ALARM_ID"}


def test_files_are_checked_by_content_type_and_size(api, ent, token, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    gif = f.video_alarm(ALARM_IMAGE=f.data_url(f.GIF, "image/gif"))
    big = f.video_alarm(ALARM_IMAGE=f.data_url(f.JPEG + b"\x00" * 4_100_000, "image/jpeg"))
    docx = f.special_work(ent.uscc, FILE=f.data_url(f.DOCX, "application/vnd.openxmlformats"))
    assert set(post(api, "video-alarms", [gif], token).json()["rejected"][0]["errors"]) == {"ALARM_IMAGE"}
    assert set(post(api, "video-alarms", [big], token).json()["rejected"][0]["errors"]) == {"ALARM_IMAGE"}
    assert set(post(api, "special-works", [docx], token).json()["rejected"][0]["errors"]) == {"FILE"}


def test_gas_station_alarm_codes_are_read_by_source(api):
    station = f.enterprise(industries=("gas_station",))
    token = f.client_for(station)[1]
    assert post(api, "video-alarms", [f.video_alarm(ALARM_TYPE="13")], token).json()["created"] == 1
    refused = post(api, "video-alarms", [f.video_alarm(ALARM_TYPE="1")], token).json()
    assert set(refused["rejected"][0]["errors"]) == {"ALARM_TYPE"}
    record = ReceivedRecord.objects.get(dataset="video-alarms")
    assert record.title.startswith("灭火器未摆放在作业区域")


def test_a_platform_client_places_records_by_company_code_within_its_region(api):
    from apps.regions.models import Region

    inside, outside = f.enterprise("370102"), f.enterprise("370202")
    token = f.client_for(region=Region.objects.get(code="370100"))[1]
    body = post(api, "special-works", [f.special_work(inside.uscc), f.special_work(outside.uscc)], token).json()
    assert body["created"] == 1 and body["rejected"][0]["index"] == 1
    assert set(body["rejected"][0]["errors"]) == {"COMPANY_CODE"}
    # a table with no company field needs ?company=
    assert post(api, "positioning-alarms", [f.positioning_alarm()], token).json()["rejected"]
    assert post(api, "positioning-alarms", [f.positioning_alarm()], token, company=inside.uscc).json()["created"] == 1


def test_create_exchange_client_prints_a_working_token_once(api, ent):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("create_exchange_client", "--name", "vendor-a", "--company-code", ent.uscc.lower(), stdout=out)
    token = out.getvalue().strip().splitlines()[-1].split("token: ")[1]
    assert post(api, "risk-units", [f.risk_unit()], token).json()["created"] == 1
    from apps.exchange.models import ExchangeClient

    client = ExchangeClient.objects.get(name="vendor-a")
    assert client.enterprise == ent and token not in (client.token_hash, client.token_prefix + "x")


@pytest.mark.parametrize(
    "args",
    [
        ["--name", "x", "--company-code", "91370000000000000X"],
        ["--name", "x", "--region", "999999"],
    ],
)
def test_create_exchange_client_fails_clearly_for_an_unknown_enterprise_or_region(args):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match=args[-1]):  # the message names the code not found
        call_command("create_exchange_client", *args)


def test_create_exchange_client_exits_1_from_the_shell(ent):
    import subprocess
    import sys

    from django.db import connection

    db = connection.settings_dict
    env = {
        "DATABASE_URL": f"postgis://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
    }
    import os

    result = subprocess.run(
        [sys.executable, "manage.py", "create_exchange_client", "--name", "y", "--company-code", "NOPE"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1 and "NOPE" in result.stderr


def test_a_hazard_code_of_another_enterprise_is_out_of_scope(api, token):
    from apps.hazards.models import HazardSource

    other = f.enterprise("370202")
    HazardSource.objects.create(enterprise=other, code="HZ-OTHER", name="甲醇罐区")
    body = post(api, "risk-units", [f.risk_unit(HAZARD_CODE="HZ-OTHER")], token).json()
    assert set(body["rejected"][0]["errors"]) == {"HAZARD_CODE"}
    quarantined = f.risk_unit(HAZARD_CODE="HZ-UNREGISTERED")
    assert post(api, "risk-units", [quarantined], token).json()["created"] == 1
    record = ReceivedRecord.objects.get(key=quarantined["ID"])
    assert [w["field"] for w in record.warnings] == ["HAZARD_CODE"]


def test_a_1_mb_image_is_taken_and_stored_once_by_content(api, ent, token, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    image = f.data_url(f.JPEG + b"\x01" * 1_000_000, "image/jpeg")
    body = post(api, "video-alarms", [f.video_alarm(ALARM_IMAGE=image), f.video_alarm(ALARM_IMAGE=image)], token)
    assert body.json()["created"] == 2
    stored = {r.payload["ALARM_IMAGE"]["file"] for r in ReceivedRecord.objects.filter(dataset="video-alarms")}
    assert len(stored) == 1 and (tmp_path / stored.pop()).stat().st_size == len(f.JPEG) + 1_000_000


def test_a_body_over_the_limit_is_413(api, token, settings):
    settings.ANQUAN_EXCHANGE_MAX_BODY_BYTES = 1000
    assert post(api, "risk-units", [f.risk_unit() for _ in range(10)], token).status_code == 413


def test_an_unknown_dataset_is_404_and_a_person_may_not_upload(api, ent):
    from apps.accounts.tests.factories import regulator, user_with_role

    token = f.client_for(ent)[1]
    assert post(api, "no-such-table", [], token).status_code == 404
    api.force_authenticate(user_with_role("regulator_staff", regulator("370100")))
    assert api.post(URL.format("risk-units"), [], format="json").status_code == 403
    # …but reads what its jurisdiction received
    api.force_authenticate(None)
    post(api, "risk-units", [f.risk_unit()], token)
    api.force_authenticate(user_with_role("regulator_staff", regulator("370100")))
    assert api.get(URL.format("risk-units")).json()["count"] == 1
    api.force_authenticate(user_with_role("regulator_staff", regulator("370200")))
    assert api.get(URL.format("risk-units")).json()["count"] == 0


def test_a_registered_consumer_gets_the_accepted_records_in_the_same_transaction(api, ent, token):
    from apps.exchange import registry

    seen = []

    def consumer(items):
        seen.extend(items)
        assert ReceivedRecord.objects.filter(pk=items[0].record_id).exists()  # stored before the hand-over

    registry.register_consumer("risk-units", consumer)
    try:
        unit = f.risk_unit(DELETED="1")
        post(api, "risk-units", [unit, f.risk_unit(ID="bad")], token)
    finally:
        registry._consumers["risk-units"].remove(consumer)
    [item] = seen
    assert (item.key, item.enterprise_id, item.deleted, item.created) == (unit["ID"], ent.pk, True, True)
    assert item.payload["HAZARD_DEP"] == unit["HAZARD_DEP"]


def test_a_failing_consumer_rolls_the_upload_back_and_asks_to_retry(api, ent, token):
    from apps.exchange import registry

    def broken(items):
        raise RuntimeError("mapping bug")

    registry.register_consumer("risk-units", broken)
    try:
        response = post(api, "risk-units", [f.risk_unit()], token)
    finally:
        registry._consumers["risk-units"].remove(broken)
    assert response.status_code == 503 and response["Retry-After"] == "60"
    assert not ReceivedRecord.objects.exists() and not UploadStat.objects.exists()


@pytest.mark.parametrize("content_type", ["text/plain", "application/octet-stream", "application/json"])
def test_a_body_that_is_not_json_is_400_whatever_its_content_type(api, token, content_type):
    response = api.post(
        URL.format("risk-units"), data="not json", content_type=content_type, HTTP_AUTHORIZATION=f"Token {token}"
    )
    assert response.status_code == 400
    unit = f.risk_unit()
    import json

    labelled = api.post(
        URL.format("risk-units"),
        data=json.dumps([unit]),
        content_type="text/plain",
        HTTP_AUTHORIZATION=f"Token {token}",
    )
    assert labelled.status_code == 200 and labelled.json()["created"] == 1


def test_a_received_file_is_served_only_within_the_records_scope(api, ent, token, settings, tmp_path):
    from apps.accounts.tests.factories import regulator, user_with_role

    settings.MEDIA_ROOT = str(tmp_path)
    alarm = f.video_alarm()
    post(api, "video-alarms", [alarm], token)
    record = ReceivedRecord.objects.get(key=alarm["ALARM_ID"])
    url = f"/api/v1/exchange/records/{record.pk}/files/{record.payload['ALARM_IMAGE']['sha256']}"
    own = api.get(url, HTTP_AUTHORIZATION=f"Token {token}")
    assert own.status_code == 200 and own["Content-Type"] == "image/jpeg"
    assert b"".join(own.streaming_content) == f.JPEG
    api.force_authenticate(user_with_role("regulator_staff", regulator("370100")))
    assert api.get(url).status_code == 200
    api.force_authenticate(user_with_role("regulator_staff", regulator("370200")))
    assert api.get(url).status_code == 404  # another city's
    api.force_authenticate(None)
    assert api.get(url.replace(url[-8:], "0" * 8), HTTP_AUTHORIZATION=f"Token {token}").status_code == 404
    assert api.get(url).status_code == 401


def test_real_time_alarms_are_pushed_live_to_the_enterprise_and_its_regions(
    api, ent, token, django_capture_on_commit_callbacks
):
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    from apps.core.live import group_name

    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    for topic, key in (("enterprise", ent.pk), ("region", "370100")):
        async_to_sync(layer.group_add)(group_name(topic, str(key)), channel)
    alarm = f.positioning_alarm()
    unit = f.risk_unit()
    with django_capture_on_commit_callbacks(execute=True):
        post(api, "positioning-alarms", [alarm], token)
        post(api, "risk-units", [unit], token)  # a daily table is not pushed

    async def drain():
        """Every message of this channel within a second (other tests' pushes may share the groups)."""
        import asyncio

        got = []
        while True:
            try:
                got.append(await asyncio.wait_for(layer.receive(channel), timeout=1))
            except TimeoutError:
                return got

    ours = [m for m in async_to_sync(drain)() if m["event"].get("kind") == "exchange"]
    received = [m for m in ours if any(e["key"] == alarm["id"] for e in m["event"]["events"])]
    assert sorted(m["topic"] for m in received) == ["enterprise", "region"]
    assert all(e["dataset"] != "risk-units" for m in ours for e in m["event"]["events"])  # not pushed
    for message in received:
        [event] = message["event"]["events"]
        assert event["key"] == alarm["id"] and event["dataset"] == "positioning-alarms"
        assert event["status"] == "alarm" and event["title"] == "孙七 · 一键求救"

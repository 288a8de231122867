"""Every table: a valid record accepted, then each of its fields' rules broken once and reported
under that field's identifier. The cases are generated from the table files themselves, so a field
added to a table is covered without touching this test."""

import pytest

from apps.exchange import specs

from . import factories as f

pytestmark = pytest.mark.django_db

PROVINCE_TABLES = specs.names("province")


@pytest.fixture
def ent():
    return f.enterprise()


@pytest.fixture
def token(ent):
    return f.client_for(ent)[1]


def post(api, dataset, records, token):
    response = api.post(f"/api/v1/exchange/{dataset}", records, format="json", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200, response.content
    return response.json()


def sample(api, dataset, ent, token) -> dict:
    """A valid record of ``dataset`` for ``ent`` (posting what it depends on first)."""
    if dataset == "risk-units":
        return f.risk_unit()
    if dataset == "risk-events":
        return f.risk_event(f.new_id())
    if dataset == "control-measures":
        return f.control_measure(f.new_id())
    if dataset == "check-tasks":
        return f.check_task(f.new_id())
    if dataset == "check-records":
        return f.check_record(f.new_id())
    if dataset == "hazards":
        return f.hazard()
    if dataset == "special-works":
        return f.special_work(ent.uscc)
    if dataset == "positioning-alarms":
        return f.positioning_alarm()
    if dataset == "video-devices":
        return f.video_device(ent.uscc)
    if dataset == "video-device-status":
        device = f.video_device(ent.uscc)
        assert post(api, "video-devices", [device], token)["created"] == 1
        return f.video_status(device["DEVICE_CODE"])
    if dataset == "video-alarms":
        return f.video_alarm()
    raise AssertionError(dataset)


def test_all_eleven_province_tables_are_served():
    assert sorted(PROVINCE_TABLES) == sorted(
        [
            "risk-units",
            "risk-events",
            "control-measures",
            "check-tasks",
            "check-records",
            "hazards",
            "special-works",
            "positioning-alarms",
            "video-devices",
            "video-device-status",
            "video-alarms",
        ]
    )


@pytest.mark.parametrize("dataset", PROVINCE_TABLES)
def test_a_valid_record_is_accepted_and_a_resend_only_updates_it(api, ent, token, dataset):
    record = sample(api, dataset, ent, token)
    first = post(api, dataset, [record], token)
    assert (first["created"], first["rejected"]) == (1, []), first
    again = post(api, dataset, [record], token)
    assert (again["created"], again["updated"], again["rejected"]) == (0, 1, [])


def broken_values(field: specs.FieldSpec):
    """(label, value) pairs each breaking one rule of ``field``."""
    if field.kind == "uuid":
        yield "not a uuid", "1234"
        yield "35 characters", "0" * 35
    if field.kind in ("code", "enum"):
        yield "unknown code", "ZZ"
    if field.kind == "datetime":
        yield "wrong format", "2021/09/01 10:00"
        yield "impossible date", "2021-02-30 10:00:00"
    if field.kind == "date":
        yield "wrong format", "2021/09/01"
    if field.kind == "integer":
        yield "not a number", "abc"
        yield "too long", 10 ** (field.length or 4)
    if field.kind == "decimal":
        yield "too many decimals", 116.1234567
        yield "not a number", "east"
    if field.kind == "string" and field.length and field.length_enforced:
        yield "one character too long", "8" * (field.length + 1)
    if field.kind == "string" and field.pattern:
        yield "wrong form", "call me"
    if field.kind == "file":
        yield "not a file type allowed", f.data_url(f.GIF, "image/gif")
    if field.kind in ("string", "code", "enum", "uuid", "datetime", "date"):
        yield "an object", {"a": 1}


CASES = [
    pytest.param(dataset, field.id, label, value, id=f"{dataset}.{field.id}:{label}")
    for dataset in PROVINCE_TABLES
    for field in specs.get(dataset).fields
    for label, value in broken_values(field)
]


@pytest.mark.parametrize(("dataset", "field_id", "label", "value"), CASES)
def test_each_rule_broken_is_refused_under_the_field(api, ent, token, dataset, field_id, label, value):
    record = {**sample(api, dataset, ent, token), field_id: value}
    body = post(api, dataset, [record], token)
    assert body["created"] == 0 and len(body["rejected"]) == 1, body
    assert field_id in body["rejected"][0]["errors"], body["rejected"][0]


REQUIRED = [
    pytest.param(dataset, field.id, id=f"{dataset}.{field.id}")
    for dataset in PROVINCE_TABLES
    for field in specs.get(dataset).fields
    if field.required and not field.required_when
]


@pytest.mark.parametrize(("dataset", "field_id"), REQUIRED)
def test_a_missing_required_field_is_refused_under_its_name(api, ent, token, dataset, field_id):
    record = sample(api, dataset, ent, token)
    record.pop(field_id, None)
    body = post(api, dataset, [record], token)
    assert field_id in body["rejected"][0]["errors"], body


OPTIONAL = [
    pytest.param(dataset, field.id, id=f"{dataset}.{field.id}")
    for dataset in PROVINCE_TABLES
    for field in specs.get(dataset).fields
    if not field.required
]


@pytest.mark.parametrize(("dataset", "field_id"), OPTIONAL)
def test_an_optional_field_may_be_left_out(api, ent, token, dataset, field_id):
    record = sample(api, dataset, ent, token)
    record.pop(field_id, None)
    body = post(api, dataset, [record], token)
    assert body["created"] == 1, body


def test_an_accepted_hazard_needs_its_acceptance_person_and_time(api, token):
    refused = post(api, "hazards", [f.hazard(DANGER_STATE=9)], token)
    assert set(refused["rejected"][0]["errors"]) == {"CHECK_ACCEPT_PERSON", "CHECK_ACCEPT_TIME"}
    accepted = f.hazard(DANGER_STATE="9", CHECK_ACCEPT_PERSON="周八", CHECK_ACCEPT_TIME=f.LATER)
    assert post(api, "hazards", [accepted], token)["created"] == 1


def test_a_handled_positioning_alarm_needs_its_handling_time_and_information(api, token):
    alarm = f.positioning_alarm()
    assert post(api, "positioning-alarms", [alarm], token)["created"] == 1
    handled = {**alarm, "type": "alarm:handle"}
    assert set(post(api, "positioning-alarms", [handled], token)["rejected"][0]["errors"]) == {
        "handleTime",
        "handleInfo",
    }
    handled.update(handleTime=f.LATER, handleInfo="已到场处置")
    body = post(api, "positioning-alarms", [handled], token)
    assert body["updated"] == 1
    before = {**handled, "handleTime": "2026-12-01 08:00:00"}
    assert set(post(api, "positioning-alarms", [before], token)["rejected"][0]["errors"]) == {"handleTime"}


def test_classify2_must_belong_to_classify1(api, token):
    body = post(api, "control-measures", [f.control_measure(f.new_id(), CLASSIFY1="1", CLASSIFY2="3-1")], token)
    assert set(body["rejected"][0]["errors"]) == {"CLASSIFY2"}
    for code in ("1-1", "1-2", "1-3", "1-4", "1-5"):
        assert post(api, "control-measures", [f.control_measure(f.new_id(), CLASSIFY2=code)], token)["created"] == 1


def test_special_work_end_before_begin_is_refused_and_a_change_without_reason_is_flagged(api, ent, token):
    body = post(api, "special-works", [f.special_work(ent.uscc, TASK_END_TIME="2026-12-01 08:00:00")], token)
    assert set(body["rejected"][0]["errors"]) == {"TASK_END_TIME"}
    changed = f.special_work(ent.uscc, IS_CHANGED="1")
    assert post(api, "special-works", [changed], token)["created"] == 1
    from apps.exchange.models import ReceivedRecord

    warnings = ReceivedRecord.objects.get(key=changed["ID"]).warnings
    assert [w["field"] for w in warnings] == ["CHANGED_REASON"]


def test_numeric_codes_are_taken_as_numbers_or_strings(api, token):
    assert post(api, "hazards", [f.hazard(DANGER_LEVEL="1", HAZARD_DANGER_TYPE=8)], token)["created"] == 1
    assert post(api, "hazards", [f.hazard(DANGER_LEVEL=True)], token)["rejected"]  # a boolean is no code


def test_video_status_of_an_unknown_device_is_refused(api, token):
    body = post(api, "video-device-status", [f.video_status("NO-SUCH-BOX")], token)
    assert set(body["rejected"][0]["errors"]) == {"DEVICE_CODE"}


def test_the_same_key_twice_in_one_upload_is_stored_once_with_the_last_values(api, token):
    from apps.exchange.models import ReceivedRecord, ReceivedVersion

    unit = f.risk_unit()
    body = post(api, "risk-units", [unit, {**unit, "RISK_UNIT_NAME": "改名"}], token)
    assert (body["created"], body["updated"]) == (1, 1)
    record = ReceivedRecord.objects.get(key=unit["ID"])
    assert record.payload["RISK_UNIT_NAME"] == "改名"
    assert ReceivedVersion.objects.filter(record=record).count() == 2

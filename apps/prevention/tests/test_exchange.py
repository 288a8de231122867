"""Dual prevention (双重预防) through the exchange: received records become our rows (one model, two
sources), and every row is built back into the table's record."""

import datetime as dt
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.exchange import registry, specs
from apps.exchange.tests import factories as f
from apps.exchange.validation import check_record, format_datetime
from apps.hazards.models import HazardSource
from apps.prevention.models import (
    CheckRecord,
    CheckTask,
    ControlMeasure,
    HiddenDanger,
    RiskEvent,
    RiskUnit,
    Source,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/exchange/{}"
CODE = "HZ-370102-0001"
DATASETS = ("risk-units", "risk-events", "control-measures", "check-tasks", "check-records", "hazards")


@pytest.fixture
def ent():
    return f.enterprise()


@pytest.fixture
def client_and_token(ent):
    return f.client_for(ent)


@pytest.fixture
def token(client_and_token):
    return client_and_token[1]


def post(api, dataset, records, token):
    response = api.post(URL.format(dataset), records, format="json", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200, response.json()
    assert response.json()["rejected"] == [], response.json()
    return response.json()


def build(dataset, since=None, until=None):
    return list(registry.builder_for(dataset)(since, until or timezone.now() + dt.timedelta(seconds=1)))


def chain():
    """One record of each table, linked unit → event → measure → task → record, and a hidden danger."""
    unit = f.risk_unit()
    event = f.risk_event(unit["ID"])
    measure = f.control_measure(event["ID"])
    task = f.check_task(measure["ID"])
    record = f.check_record(task["ID"])
    danger = f.hazard(RISK_MEASURE_ID=measure["ID"])
    return dict(zip(DATASETS, (unit, event, measure, task, record, danger), strict=True))


def test_each_table_creates_its_rows_with_the_mapped_values(api, ent, client_and_token):
    client, token = client_and_token
    source = HazardSource.objects.create(enterprise=ent, code=CODE, name="1号罐区")
    records = chain()
    for dataset in DATASETS:
        post(api, dataset, [records[dataset]], token)

    unit = RiskUnit.objects.get()
    assert (unit.uid, unit.object_code, unit.hazard_source, unit.department, unit.liable_person, unit.name) == (
        uuid.UUID(records["risk-units"]["ID"]),
        CODE,
        source,
        "生产一车间",
        "张三",
        "1号罐区",
    )
    assert (unit.source, unit.enterprise, unit.received_from_id, unit.deleted) == (
        Source.EXCHANGE,
        ent,
        client.pk,
        False,
    )
    event = RiskEvent.objects.get()
    assert (event.unit, event.name, event.source) == (unit, "储罐泄漏", "exchange")
    measure = ControlMeasure.objects.get()
    assert (measure.event, measure.data_src, measure.description, measure.classify1, measure.classify2) == (
        event,
        "2",
        "液位高高联锁",
        "1",
        "1-4",
    )
    assert (measure.classify3, measure.troubleshoot_content) == ("联锁", "检查液位联锁投用情况")
    task = CheckTask.objects.get()
    assert (task.measure, task.content, task.cycle, task.cycle_unit, task.last_status) == (
        measure,
        "检查液位联锁投用情况",
        8,
        "小时",
        "0",
    )
    assert task.last_checked_at == f.beijing(f.NOW)
    record = CheckRecord.objects.get()
    assert (record.task, record.checked_at, record.status) == (task, f.beijing(f.NOW), "0")
    danger = HiddenDanger.objects.get()
    assert (danger.measure, danger.measure_uid, danger.hazard_source, danger.object_code) == (
        measure,
        measure.uid,
        source,
        CODE,
    )
    assert (danger.name, danger.level, danger.registered_at, danger.registrant, danger.origin) == (
        "液位计失灵",
        0,
        f.beijing(f.NOW),
        "李四",
        "1",
    )
    assert (danger.manage_type, danger.danger_type, danger.description, danger.reason, danger.liable_person) == (
        1,
        4,
        "1号罐液位计读数不变",
        "仪表故障",
        "王五",
    )
    assert (danger.deadline, danger.state, danger.accept_person, danger.accepted_at) == (
        f.beijing("2026-12-10 18:00:00"),
        0,
        "",
        None,
    )
    assert {m.source for m in (unit, event, measure, task, record, danger)} == {"exchange"}


def test_a_resend_updates_the_row_and_deleted_flags_it(api, ent, token):
    unit = f.risk_unit()
    post(api, "risk-units", [unit], token)
    first = RiskUnit.objects.get()
    body = post(api, "risk-units", [{**unit, "RISK_UNIT_NAME": "2号罐区"}], token)
    assert body["updated"] == 1
    again = RiskUnit.objects.get()
    assert again.pk == first.pk and again.name == "2号罐区" and not again.deleted
    assert again.updated_at > first.updated_at and again.created_at == first.created_at
    post(api, "risk-units", [{**unit, "DELETED": "1"}], token)
    assert RiskUnit.objects.get().deleted is True
    # A key sent twice in one upload is one row, the last wins.
    event = f.risk_event(unit["ID"])
    post(api, "risk-events", [event, {**event, "RISK_EVENT_NAME": "储罐超压"}], token)
    assert list(RiskEvent.objects.values_list("name", flat=True)) == ["储罐超压"]


def test_a_child_sent_before_its_parent_is_linked_when_the_parent_arrives(api, ent, token):
    records = chain()
    for dataset in reversed(DATASETS):
        post(api, dataset, [records[dataset]], token)
    # Every row is here, each linked by the parent that arrived after it.
    task = CheckTask.objects.get()
    measure = ControlMeasure.objects.get()
    event = RiskEvent.objects.get()
    assert CheckRecord.objects.get().task == task
    assert HiddenDanger.objects.get().measure == measure
    assert task.measure == measure and measure.event == event and event.unit == RiskUnit.objects.get()


def test_a_child_waits_with_its_parent_key_until_the_parent_arrives(api, ent, token):
    unit = f.risk_unit()
    event = f.risk_event(unit["ID"])
    post(api, "risk-events", [event], token)
    waiting = RiskEvent.objects.get()
    assert waiting.unit is None and str(waiting.unit_uid) == unit["ID"]
    post(api, "risk-units", [unit], token)
    waiting.refresh_from_db()
    assert waiting.unit == RiskUnit.objects.get()
    assert waiting.updated_at < RiskUnit.objects.get().updated_at  # the child's record did not change


def test_an_accepted_hidden_danger_keeps_its_acceptance(api, ent, token):
    danger = f.hazard(
        DANGER_STATE=9,
        CHECK_ACCEPT_PERSON="周八",
        CHECK_ACCEPT_TIME="2026-12-05 16:00:00",
        CHECK_ACCEPT_COMMENT="已更换液位计",
    )
    del danger["RISK_MEASURE_ID"]
    post(api, "hazards", [danger], token)
    row = HiddenDanger.objects.get()
    assert (row.state, row.accept_person, row.accepted_at, row.accept_comment) == (
        9,
        "周八",
        f.beijing("2026-12-05 16:00:00"),
        "已更换液位计",
    )
    assert row.measure_uid is None and row.measure is None


def test_a_portal_row_of_the_same_key_is_taken_over_but_keeps_its_own_fields(api, ent, token):
    portal = RiskUnit.objects.create(
        enterprise=ent,
        object_code=CODE,
        object_kind=RiskUnit.ObjectKind.TANK_FARM,
        department="旧部门",
        liable_person="旧人",
        name="旧名",
        risk_level=2,
    )
    post(api, "risk-units", [f.risk_unit(ID=str(portal.uid))], token)
    row = RiskUnit.objects.get()
    assert row.pk == portal.pk and row.source == Source.EXCHANGE and row.name == "1号罐区"
    assert row.object_kind == "tank_farm" and row.risk_level == 2  # beyond the table: the portal's


def test_a_row_of_another_enterprise_is_never_moved(api, ent, token):
    other = f.enterprise()
    theirs = RiskUnit.objects.create(
        enterprise=other, object_code=CODE, department="甲", liable_person="乙", name="他们的单元"
    )
    post(api, "risk-units", [f.risk_unit(ID=str(theirs.uid))], token)
    row = RiskUnit.objects.get()
    assert (row.enterprise, row.name, row.source) == (other, "他们的单元", Source.PORTAL)


def test_an_orphan_of_a_platform_client_stays_in_the_received_store(api, ent):
    _client, token = f.client_for(region=ent.organisation.region)
    post(api, "risk-events", [f.risk_event(f.new_id())], token)
    assert not RiskEvent.objects.exists()


def test_a_platform_clients_orphan_reaches_the_models_when_its_parent_places_it(api, ent):
    HazardSource.objects.create(enterprise=ent, code="HS-PLACE", name="甲醇罐区")
    _client, token = f.client_for(region=ent.organisation.region)
    unit = f.risk_unit(HAZARD_CODE="HS-PLACE")
    event = f.risk_event(unit["ID"])
    post(api, "risk-events", [event], token)
    assert not RiskEvent.objects.exists()  # nobody knows its enterprise yet
    post(api, "risk-units", [unit], token)  # the hazard code places the unit, and so its event
    adopted = RiskEvent.objects.get(uid=event["ID"])
    assert adopted.enterprise == ent and adopted.unit.uid == uuid.UUID(unit["ID"])


# --- building ---------------------------------------------------------------------------------------


def portal_chain(ent, **task_fields):
    unit = RiskUnit.objects.create(
        enterprise=ent, object_code=CODE, department="一车间", liable_person="张三", name="罐区"
    )
    event = RiskEvent.objects.create(enterprise=ent, unit=unit, unit_uid=unit.uid, name="泄漏")
    measure = ControlMeasure.objects.create(
        enterprise=ent,
        event=event,
        event_uid=event.uid,
        description="联锁",
        classify1="1",
        classify2="1-4",
        troubleshoot_content="检查联锁",
    )
    task = CheckTask.objects.create(
        enterprise=ent,
        measure=measure,
        measure_uid=measure.uid,
        content="检查联锁",
        cycle=1,
        cycle_unit="天",
        **task_fields,
    )
    record = CheckRecord.objects.create(
        enterprise=ent, task=task, task_uid=task.uid, checked_at=f.beijing(f.NOW), status="1"
    )
    danger = HiddenDanger.objects.create(
        enterprise=ent,
        object_code=CODE,
        measure=measure,
        measure_uid=measure.uid,
        name="液位计失灵",
        level=1,
        registered_at=f.beijing(f.NOW),
        registrant="李四",
        origin="10",
        manage_type=0,
        danger_type=8,
        description="读数不变",
        liable_person="王五",
        deadline=f.beijing(f.LATER),
    )
    return dict(zip(DATASETS, (unit, event, measure, task, record, danger), strict=True))


def test_portal_rows_are_built_into_valid_records(ent):
    rows = portal_chain(ent)
    for dataset in DATASETS:
        [built] = build(dataset)
        assert built.key == str(rows[dataset].uid) and built.enterprise_id == ent.pk
        assert built.payload["ID"] == built.key and built.payload["DELETED"] == "0"
        checked = check_record(specs.get(dataset), built.payload)
        assert checked.errors == {}, (dataset, checked.errors)
    [measure] = build("control-measures")
    assert "DATA_SRC" not in measure.payload and "CLASSIFY3" not in measure.payload  # empty: omitted
    assert measure.payload["RISK_EVENT_ID"] == str(rows["risk-events"].uid)
    [task] = build("check-tasks")
    # Never checked yet: the required date is the task's creation.
    assert task.payload["INVESTIGATION_DATE"] == format_datetime(rows["check-tasks"].created_at)
    assert task.payload["CHECK_CYCLE"] == 1 and task.payload["CHECK_STATUS"] == "2"
    [danger] = build("hazards")
    assert {k: danger.payload[k] for k in ("DANGER_LEVEL", "DANGER_MANAGE_TYPE", "HAZARD_DANGER_TYPE")} == {
        "DANGER_LEVEL": 1,
        "DANGER_MANAGE_TYPE": 0,
        "HAZARD_DANGER_TYPE": 8,
    }
    assert danger.payload["DANGER_STATE"] == 0 and danger.payload["DANGER_SRC"] == "10"
    assert danger.payload["DANGER_MANAGE_DEADLINE"] == f.LATER and "DANGER_REASON" not in danger.payload


def test_a_deleted_row_is_built_with_its_flag(ent):
    rows = portal_chain(ent)
    RiskEvent.objects.filter(pk=rows["risk-events"].pk).update(deleted=True, updated_at=timezone.now())
    [event] = build("risk-events")
    assert event.payload["DELETED"] == "1"


def test_received_records_are_built_back_field_for_field(api, ent, token):
    records = chain()
    records["hazards"] = f.hazard(
        RISK_MEASURE_ID=records["control-measures"]["ID"],
        DANGER_STATE=9,
        CHECK_ACCEPT_PERSON="周八",
        CHECK_ACCEPT_TIME=f.LATER,
        CHECK_ACCEPT_COMMENT="合格",
    )
    for dataset in DATASETS:
        post(api, dataset, [records[dataset]], token)
    for dataset in DATASETS:
        [built] = build(dataset)
        assert built.payload == records[dataset], dataset
        assert built.key == records[dataset]["ID"] and built.enterprise_id == ent.pk


def test_only_rows_updated_in_the_window_are_built(ent):
    first = portal_chain(ent)
    second = portal_chain(ent)
    t0 = timezone.now() - dt.timedelta(hours=3)
    RiskUnit.objects.filter(pk=first["risk-units"].pk).update(updated_at=t0)
    RiskUnit.objects.filter(pk=second["risk-units"].pk).update(updated_at=t0 + dt.timedelta(hours=1))
    keys = lambda *a: [r.key for r in build("risk-units", *a)]  # noqa: E731
    assert keys(t0, t0 + dt.timedelta(hours=1)) == [str(first["risk-units"].uid)]
    assert keys(t0 + dt.timedelta(hours=1), t0 + dt.timedelta(hours=2)) == [str(second["risk-units"].uid)]
    assert keys(None, t0) == []  # until is exclusive
    assert len(keys(None, t0 + dt.timedelta(seconds=1))) == 1
    assert keys(t0 + dt.timedelta(hours=2), t0 + dt.timedelta(hours=3)) == []


# --- query counts -------------------------------------------------------------------------------------


def _upload_queries(api, token, dataset, records) -> int:
    with CaptureQueriesContext(connection) as context:
        post(api, dataset, records, token)
    return len(context.captured_queries)


def test_an_upload_of_200_takes_a_bounded_number_of_queries(api, ent, token, django_assert_max_num_queries):
    HazardSource.objects.create(enterprise=ent, code=CODE, name="1号罐区")
    units = [f.risk_unit() for _ in range(200)]
    post(api, "risk-units", units[:100], token)  # half of them already here: both creates and updates
    measures = [f.control_measure(f.new_id()) for _ in range(200)]
    dangers = [f.hazard(RISK_MEASURE_ID=m["ID"]) for m in measures]
    small = _upload_queries(api, token, "hazards", dangers[:2])
    with django_assert_max_num_queries(small):  # no query per record: 200 cost what 2 cost
        post(api, "hazards", dangers[2:], token)
    with django_assert_max_num_queries(small + 5):
        post(api, "risk-units", units, token)
    with django_assert_max_num_queries(small + 5):
        post(api, "control-measures", measures, token)
    assert RiskUnit.objects.count() == 200 and HiddenDanger.objects.filter(measure__isnull=False).count() == 200


def test_building_200_rows_takes_one_query(ent, django_assert_max_num_queries):
    RiskUnit.objects.bulk_create(
        [
            RiskUnit(enterprise=ent, object_code=CODE, department="一车间", liable_person="张三", name=f"单元{i}")
            for i in range(200)
        ]
    )
    with django_assert_max_num_queries(1):
        assert len(build("risk-units")) == 200

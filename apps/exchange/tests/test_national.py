"""Province → ministry sharing: the five national datasets built from our own models, valid against
their published formats, incremental, with stable keys, accepted by a real receiver, and built in a
bounded number of queries."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.contrib.gis.geos import Point
from django.utils import timezone

from apps.accounts.tests.factories import region, regulator, user_with_role
from apps.core.models import CodeItem
from apps.enterprises.models import Enterprise
from apps.exchange import national, registry, specs
from apps.exchange.models import ReceivedRecord
from apps.exchange.validation import check_record
from apps.hazards.models import HazardSource
from apps.monitoring.models import Alarm, AlarmEvent
from apps.monitoring.tests.factories import feed, temperature_point
from apps.risk.models import EnterpriseRisk, Warning, WarningEvent
from apps.risk.services import grading, warnings
from apps.risk.tests.factories import use_model

from . import factories as f

pytestmark = pytest.mark.django_db

NATIONAL = ("enterprises", "hazard-sources", "alarms", "risk-levels", "warnings")
BEIJING = dt.timezone(dt.timedelta(hours=8))


def build(dataset, since=None, until=None):
    return list(registry.builder_for(dataset)(since, until or timezone.now() + dt.timedelta(seconds=1)))


@pytest.fixture
def world(django_capture_on_commit_callbacks):
    """An enterprise with full base information, a major hazard source, a real alarm, a graded risk
    and a warning fed back; and a second, deleted enterprise."""
    with django_capture_on_commit_callbacks(execute=True):
        use_model()
    point = temperature_point(code="TI-101", period_s=60)
    ent = point.enterprise
    Enterprise.objects.filter(pk=ent.pk).update(
        scale="above_designated",
        economic_type="173",
        supervision_level="county",
        legal_representative="张法人",
        principal="李主要",
        principal_phone="13900000001",
        safety_manager="王安全",
        safety_manager_phone="13900000002",
        registration_code="REG-370102-0001",
        province_code="370102001",
        location=Point(117.0234567891, 36.6512345678),
    )
    hazard = HazardSource.objects.create(
        enterprise=ent,
        code="HZ-370102-0001",
        name="1号罐区",
        is_major=True,
        level=2,
        r_value=Decimal("45.67891"),
        exposed_population=120,
        assessed_at=timezone.now(),
        filing_status="filed",
        filing_number="鲁危源备〔2026〕1号",
        filed_on=dt.date(2026, 3, 1),
        principal_person="李主要",
        principal_phone="13900000001",
    )
    now = timezone.now()
    safety = user_with_role("enterprise_safety_manager", ent.organisation)
    with django_capture_on_commit_callbacks(execute=True):
        grading.regrade([ent.pk])
    # two excursions, each regraded by the alarm hook: blue → yellow (a warning) → red (it rises)
    for minutes, values in ((30, [20, 95, 96, 20]), (20, [20, 97, 98, 20])):
        with django_capture_on_commit_callbacks(execute=True):
            feed(point, values, start=now - dt.timedelta(minutes=minutes), every_s=10)
    warning = Warning.objects.get(enterprise=ent)
    with django_capture_on_commit_callbacks(execute=True):
        warnings.acknowledge(warning, actor=safety)
        warnings.feed_back(warning, measures="更换温度变送器", cause="换热器结垢", result="已恢复", actor=safety)
    gone = f.enterprise("370202")
    Enterprise.objects.filter(pk=gone.pk).update(deleted=True)
    return {"ent": Enterprise.objects.get(pk=ent.pk), "gone": gone, "hazard": hazard, "point": point}


def test_the_five_national_datasets_are_published_and_have_a_registered_builder():
    assert sorted(specs.names("national")) == sorted(NATIONAL)
    for name in NATIONAL:
        spec = specs.get(name)
        assert spec.direction == "national" and spec.key == ("ID",) and spec.company_field == "COMPANY_CODE"
        assert spec.frequency_class in ("daily", "hourly", "10min", "realtime")
        assert spec.guide == "Anquan format for ministry sharing, docs/exchange.md"
        assert spec.field("ID").kind == "uuid" and spec.field("ID").length == 36
        assert registry.builder_for(name) is national.BUILDERS[name]


def test_enterprise_code_lists_match_the_registry_code_tables():
    # the national file carries copies of our code tables: they must not drift apart
    spec = specs.get("enterprises")
    for field_id, table in (
        ("SCALE", "enterprise_scale"),
        ("ECONOMIC_TYPE", "economic_type"),
        ("SUPERVISION_LEVEL", "supervision_level"),
    ):
        assert spec.field(field_id).codes == dict(CodeItem.objects.filter(table=table).values_list("code", "name"))


def test_every_built_record_passes_its_table_check(world):
    counts = {}
    for name in NATIONAL:
        spec = specs.get(name)
        records = build(name)
        counts[name] = len(records)
        for record in records:
            assert set(record.payload) == set(spec.field_ids), name
            checked = check_record(spec, record.payload)
            assert checked.errors == {}, (name, record.payload, checked.errors)
            json.dumps(record.payload)  # storable in the outbox as it is
    assert counts == {"enterprises": 2, "hazard-sources": 1, "alarms": 2, "risk-levels": 1, "warnings": 1}


def test_records_carry_our_data_in_the_tables_fields(world):
    ent = world["ent"]
    [company] = [r for r in build("enterprises") if r.enterprise_id == ent.pk]
    p = company.payload
    assert p["COMPANY_CODE"] == ent.uscc and p["COMPANY_NAME"] == ent.name
    assert p["REGION_CODE"] == "370102" and p["INDUSTRY_CODES"] == "hazardous_chemicals"
    assert (p["LONGITUDE"], p["LATITUDE"]) == (117.023457, 36.651235)  # 6 decimals, the table's scale
    assert (p["SCALE"], p["ECONOMIC_TYPE"], p["SUPERVISION_LEVEL"]) == ("above_designated", "173", "county")
    assert (p["OPERATING_STATUS"], p["DELETED"], p["PROVINCE_CODE"]) == ("1", "0", "370102001")
    [gone] = [r for r in build("enterprises") if r.enterprise_id == world["gone"].pk]
    assert gone.payload["DELETED"] == "1"

    [hazard] = build("hazard-sources")
    assert hazard.payload["HAZARD_CODE"] == "HZ-370102-0001" and hazard.payload["IS_MAJOR"] == "1"
    assert (hazard.payload["HAZARD_LEVEL"], hazard.payload["R_VALUE"]) == (2, 45.6789)
    assert (hazard.payload["FILING_STATUS"], hazard.payload["FILING_DATE"]) == ("1", "2026-03-01")

    alarms = sorted(build("alarms"), key=lambda r: r.payload["ALARM_TIME"])
    first = alarms[0].payload
    assert first["POINT_CODE"] == "TI-101" and first["MEASUREMENT_KIND"] == "temperature"
    assert first["ALARM_LEVEL"] == 1 and first["THRESHOLD"] == 80 and first["ALARM_VALUE"] == 96
    assert first["ALARM_STATUS"] == "0" and first["CLEAR_TIME"] >= first["ALARM_TIME"]
    started = Alarm.objects.order_by("started_at").first().started_at
    assert first["ALARM_TIME"] == started.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")

    [risk] = build("risk-levels")
    current = EnterpriseRisk.objects.get(enterprise=ent)
    assert risk.payload["RISK_LEVEL"] == current.level == 1 and risk.payload["PREVIOUS_LEVEL"] == 3
    assert risk.payload["RISK_SCORE"] == round(current.score, 2)

    [warning] = build("warnings")
    w = warning.payload
    assert (w["WARNING_LEVEL"], w["FROM_LEVEL"], w["WARNING_STATE"]) == (1, 4, "3")
    assert w["FEEDBACK_MEASURES"] == "更换温度变送器" and w["FEEDBACK_CAUSE"] == "换热器结垢"
    assert w["ACK_TIME"] and w["FEEDBACK_TIME"] and w["VERIFY_RESULT"] is None
    assert "24小时报警次数" in w["DRIVERS"]


def test_keys_are_stable_uuids_of_model_and_row(world):
    # pinned: changing the namespace would re-key every record the ministry holds
    assert national.stable_id("enterprises.enterprise", 1) == "3b3a9462-7721-57d9-a854-2dd7ab080be1"
    assert national.stable_id("enterprises.enterprise", 1) != national.stable_id("hazards.hazardsource", 1)
    for name in NATIONAL:
        first = {r.key for r in build(name)}
        assert first == {r.key for r in build(name)}
        assert all(len(k) == 36 for k in first)
    [hazard] = build("hazard-sources")
    assert hazard.key == national.stable_id("hazards.hazardsource", world["hazard"].pk) == hazard.payload["ID"]


def test_builds_are_incremental_over_the_window(world):
    ent, hazard = world["ent"], world["hazard"]
    t0 = timezone.now() + dt.timedelta(hours=1)
    # nothing has changed in the hour to come…
    for name in NATIONAL:
        assert build(name, since=t0, until=t0 + dt.timedelta(hours=1)) == [], name
    # …until the enterprise's organisation is renamed and the hazard source is regraded in it
    later = t0 + dt.timedelta(minutes=10)
    ent.organisation.__class__.objects.filter(pk=ent.pk).update(updated_at=later)
    HazardSource.objects.filter(pk=hazard.pk).update(updated_at=later)
    window = {"since": t0, "until": t0 + dt.timedelta(hours=1)}
    assert [r.enterprise_id for r in build("enterprises", **window)] == [ent.pk]
    assert [r.key for r in build("hazard-sources", **window)] == [national.stable_id("hazards.hazardsource", hazard.pk)]
    # the window is half-open: a change at `until` belongs to the next one
    assert build("hazard-sources", since=t0, until=later) == []
    assert len(build("hazard-sources", since=later, until=later + dt.timedelta(seconds=1))) == 1
    # a warning is re-sent for a step of its loop, not for a reminder
    warning = Warning.objects.get(enterprise=ent)
    WarningEvent.objects.create(warning=warning, ts=later, event="reminded")
    assert build("warnings", **window) == []
    WarningEvent.objects.create(warning=warning, ts=later, event="escalated")
    assert [r.key for r in build("warnings", **window)] == [national.stable_id("risk.warning", warning.pk)]
    # a level change (to "not graded" here) re-sends the enterprise's risk level
    EnterpriseRisk.objects.filter(enterprise=ent).update(level=None, score=None, level_since=later)
    [risk] = build("risk-levels", **window)
    assert risk.payload["RISK_LEVEL"] is None and risk.payload["ASSESS_TIME"] == later.astimezone(BEIJING).strftime(
        "%Y-%m-%d %H:%M:%S"
    )
    assert check_record(specs.get("risk-levels"), risk.payload).errors == {}


def test_alarms_are_sent_again_when_raised_escalated_cleared_or_handled(world):
    alarm = Alarm.objects.order_by("started_at").first()
    key = national.stable_id("monitoring.alarm", alarm.pk)
    t = alarm.started_at

    def keys(since, until):
        return {r.key for r in build("alarms", since=since, until=until)}

    assert key in keys(t, t + dt.timedelta(seconds=1))  # raised
    assert key in keys(alarm.ended_at, alarm.ended_at + dt.timedelta(seconds=1))  # cleared
    quiet = t + dt.timedelta(days=3)
    assert key not in keys(quiet, quiet + dt.timedelta(hours=1))
    AlarmEvent.objects.create(alarm=alarm, ts=quiet + dt.timedelta(minutes=5), event="escalated", level="high_high")
    assert key in keys(quiet, quiet + dt.timedelta(hours=1))
    Alarm.objects.filter(pk=alarm.pk).update(handled_at=quiet + dt.timedelta(days=1), cause="仪表漂移")
    handled = keys(quiet + dt.timedelta(hours=23), quiet + dt.timedelta(hours=25))
    assert key in handled


def test_a_regrade_that_changes_nothing_sends_no_risk_level(world, django_capture_on_commit_callbacks):
    ent = world["ent"]
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        grading.regrade([ent.pk])  # same alarms, same result: only assessed_at moves
    assert EnterpriseRisk.objects.get(enterprise=ent).assessed_at >= before
    assert build("risk-levels", since=before) == []
    assert len(build("risk-levels")) == 1


def test_a_platform_client_posting_built_records_gets_them_created(api, world):
    """A ministry deployment of Anquan receiving from the province's platform (bound to 370000)."""
    _client, token = f.client_for(region=region("370000"))
    live = {  # the deleted enterprise's records are checked separately below
        name: [r for r in build(name) if r.enterprise_id != world["gone"].pk] for name in NATIONAL
    }
    for name in NATIONAL:
        body = [r.payload for r in live[name]]
        response = api.post(f"/api/v1/exchange/{name}", body, format="json", HTTP_AUTHORIZATION=f"Token {token}")
        assert response.status_code == 200, response.content
        assert response.json() == {"received": len(body), "created": len(body), "updated": 0, "rejected": []}, name
        stored = ReceivedRecord.objects.filter(dataset=name)
        assert {r.key for r in stored} == {r.key for r in live[name]}
        assert {r.enterprise_id for r in stored} == {world["ent"].pk}
    again = api.post(
        "/api/v1/exchange/alarms",
        [r.payload for r in live["alarms"]],
        format="json",
        HTTP_AUTHORIZATION=f"Token {token}",
    )
    assert again.json()["updated"] == len(live["alarms"])  # resending is an upsert
    # a regulator of the province reads them back through the same API
    api.credentials()
    api.force_authenticate(user_with_role("regulator_staff", regulator("370000")))
    listed = api.get("/api/v1/exchange/risk-levels").json()
    assert listed["count"] == 1 and listed["results"][0]["COMPANY_CODE"] == world["ent"].uscc


def test_a_deleted_enterprise_and_one_the_ministry_does_not_hold_are_still_received(api, world):
    _client, token = f.client_for(region=region("370000"))
    gone = [r.payload for r in build("enterprises") if r.enterprise_id == world["gone"].pk]
    assert gone and gone[0]["DELETED"] == "1"
    unknown = {**[r.payload for r in build("enterprises")][0], "ID": f.new_id(), "COMPANY_CODE": "91370000UNKNOWN01X"}
    body = api.post(
        "/api/v1/exchange/enterprises", [*gone, unknown], format="json", HTTP_AUTHORIZATION=f"Token {token}"
    ).json()
    assert body["created"] == 2 and body["rejected"] == [], body
    kept = ReceivedRecord.objects.get(key=unknown["ID"])
    assert kept.enterprise_id is None and kept.region.code == "370000" and kept.warnings
    assert ReceivedRecord.objects.get(key=gone[0]["ID"]).deleted


def test_a_client_outside_the_enterprises_region_is_refused(api, world):
    _client, token = f.client_for(region=region("370200"))  # Qingdao; the enterprise is in Jinan
    body = [r.payload for r in build("hazard-sources")]
    result = api.post("/api/v1/exchange/hazard-sources", body, format="json", HTTP_AUTHORIZATION=f"Token {token}")
    assert result.json()["created"] == 0 and len(result.json()["rejected"]) == 1


def test_building_fifty_enterprises_takes_a_bounded_number_of_queries(django_assert_max_num_queries, monkeypatch):
    made = []
    for n in range(50):
        ent = f.enterprise("370102", industries=("hazardous_chemicals", "dust_explosion"))
        HazardSource.objects.create(enterprise=ent, code=f"HZ-{n}", name=f"罐区{n}", is_major=True, level=3)
        made.append(ent)
    with django_assert_max_num_queries(1):
        records = build("enterprises")
    assert len(records) == 50
    assert all(r.payload["INDUSTRY_CODES"] == "dust_explosion,hazardous_chemicals" for r in records)
    with django_assert_max_num_queries(1):
        assert len(build("hazard-sources")) == 50
    # in chunks: 50 rows of 20 are three keyset pages, each row exactly once
    monkeypatch.setattr(registry, "BUILD_CHUNK", 20)
    with django_assert_max_num_queries(3):
        records = build("enterprises")
    assert sorted(r.enterprise_id for r in records) == sorted(e.pk for e in made)

"""Warnings API: the scoped list and its filters, one warning with its history, the enterprise's and the
regulator's actions with the right roles and states, /my/warnings, warnings not handled in time, and
the whole loop driven through HTTP from real readings."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.accounts.tests.factories import regulator, user_with_role
from apps.enterprises.tests.factories import enterprise
from apps.monitoring.tests.factories import feed, temperature_point
from apps.risk.models import EnterpriseRisk, Warning, WarningEvent
from apps.risk.services import grading
from apps.risk.tests.factories import use_model
from apps.risk.tests.test_api import agency_user, as_user, make_warning

pytestmark = pytest.mark.django_db

WARNINGS = "/api/v1/warnings"


@pytest.fixture
def world():
    w = {
        "lixia": enterprise("370102", name="历下化工"),
        "licheng": enterprise("370112", name="历城化工"),
        "qingdao": enterprise("370211", name="黄岛化工"),
    }
    now = timezone.now()
    w["open"] = make_warning(w["lixia"], level=1, from_level=3, raised_at=now - dt.timedelta(hours=3))
    w["closed"] = make_warning(
        w["lixia"], level=2, status="closed", raised_at=now - dt.timedelta(days=5), closed_at=now
    )
    w["fed_back"] = make_warning(w["licheng"], level=2, status="fed_back", feedback_at=now, measures="已处置")
    w["far"] = make_warning(w["qingdao"], level=3)
    w["users"] = {
        "province_admin": user_with_role("regulator_admin", regulator("370000")),
        "jinan": user_with_role("regulator_staff", regulator("370100")),
        "lixia": user_with_role("regulator_staff", regulator("370102")),
        "inspector": user_with_role("law_enforcement_inspector", regulator("370100")),
        "safety": user_with_role("enterprise_safety_manager", w["lixia"].organisation),
        "operator": user_with_role("enterprise_operator", w["lixia"].organisation),
        "licheng_safety": user_with_role("enterprise_safety_manager", w["licheng"].organisation),
    }
    return w


def ids(response):
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


# The list ----------------------------------------------------------------------------------------------------------


def test_warnings_follow_jurisdiction(api, world):
    everything = {world[k].pk for k in ("open", "closed", "fed_back", "far")}
    assert ids(as_user(api, world["users"]["province_admin"]).get(WARNINGS)) == everything
    assert ids(as_user(api, world["users"]["jinan"]).get(WARNINGS)) == everything - {world["far"].pk}
    assert ids(as_user(api, world["users"]["lixia"]).get(WARNINGS)) == {world["open"].pk, world["closed"].pk}
    assert ids(as_user(api, world["users"]["operator"]).get(WARNINGS)) == {world["open"].pk, world["closed"].pk}
    assert as_user(api, agency_user()).get(WARNINGS).status_code == 403


def test_warning_list_is_brief_and_newest_first(api, world):
    rows = as_user(api, world["users"]["jinan"]).get(WARNINGS).json()["results"]
    assert [r["id"] for r in rows][-1] == world["closed"].pk
    row = next(r for r in rows if r["id"] == world["open"].pk)
    assert row["enterprise_name"] == "历下化工" and row["region"] == "370102" and row["level_name"] == "重大风险"
    assert (row["from_level"], row["level"], row["status"], row["overdue"]) == (3, 1, "pending", False)
    assert "drivers" not in row and "events" not in row


def test_warning_filters(api, world):
    as_user(api, world["users"]["province_admin"])
    assert ids(api.get(f"{WARNINGS}?status=open")) == {world[k].pk for k in ("open", "fed_back", "far")}
    assert ids(api.get(f"{WARNINGS}?status=closed,fed_back")) == {world["closed"].pk, world["fed_back"].pk}
    assert ids(api.get(f"{WARNINGS}?level=1")) == {world["open"].pk}
    assert ids(api.get(f"{WARNINGS}?region=370112")) == {world["fed_back"].pk}
    assert ids(api.get(f"{WARNINGS}?enterprise_id={world['qingdao'].pk}")) == {world["far"].pk}
    since = (timezone.now() - dt.timedelta(days=1)).isoformat()
    assert world["closed"].pk not in ids(api.get(WARNINGS, {"since": since}))
    assert ids(api.get(WARNINGS, {"until": since})) == {world["closed"].pk}
    Warning.objects.filter(pk=world["far"].pk).update(feedback_due_at=timezone.now() - dt.timedelta(minutes=1))
    assert ids(api.get(f"{WARNINGS}?overdue=true")) == {world["far"].pk}
    assert world["far"].pk not in ids(api.get(f"{WARNINGS}?overdue=false"))
    assert api.get(WARNINGS).json()["results"][0]["overdue"] in (True, False)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=open,lost", "status"),
        ("level=0", "level"),
        ("level=high", "level"),
        ("since=last-week", "since"),
        ("overdue=perhaps", "overdue"),
        ("enterprise_id=x", "enterprise_id"),
    ],
)
def test_bad_warning_filters_are_400_naming_the_parameter(api, world, query, field):
    response = as_user(api, world["users"]["jinan"]).get(f"{WARNINGS}?{query}")
    assert response.status_code == 400 and field in response.json(), response.content


def test_warning_list_query_count_does_not_grow(api, world, django_assert_max_num_queries):
    as_user(api, world["users"]["province_admin"])
    api.get(WARNINGS)
    with CaptureQueriesContext(connection) as one:
        assert api.get(WARNINGS).json()["count"] == 4
    baseline = len(one)  # now: the next request resets the connection's query log
    for n in range(12):
        make_warning(enterprise("370103", name=f"市中企业{n}"), level=1 + n % 4)
    with django_assert_max_num_queries(baseline):
        assert api.get(f"{WARNINGS}?page_size=100").json()["count"] == 16


# One warning -------------------------------------------------------------------------------------------------------


def test_warning_detail_has_every_step_and_the_history_with_actor_names(api, world):
    warning = world["open"]
    user = world["users"]["safety"]
    user.real_name = "张安全"
    user.save()
    WarningEvent.objects.create(warning=warning, ts=warning.raised_at, event="raised", level=1)
    WarningEvent.objects.create(warning=warning, ts=timezone.now(), event="acknowledged", actor=user)
    body = as_user(api, world["users"]["lixia"]).get(f"{WARNINGS}/{warning.pk}").json()
    assert body["drivers"][0]["code"] == "process_alarms.hours" and body["pushed_at"] and body["feedback_due_at"]
    assert {"feedback_at", "feedback_by_name", "measures", "cause", "result", "verify_comment"} <= set(body)
    assert {"escalations", "escalated_to", "escalated_to_name", "reminders", "acknowledge_due_at"} <= set(body)
    assert [(e["event"], e["actor_name"]) for e in body["events"]] == [("raised", None), ("acknowledged", "张安全")]


def test_warning_detail_is_404_out_of_scope(api, world):
    assert as_user(api, world["users"]["lixia"]).get(f"{WARNINGS}/{world['far'].pk}").status_code == 404
    assert as_user(api, world["users"]["safety"]).get(f"{WARNINGS}/{world['fed_back'].pk}").status_code == 404
    assert as_user(api, world["users"]["jinan"]).get(f"{WARNINGS}/99999999").status_code == 404


# Actions: roles, states, bodies ------------------------------------------------------------------------------------


def test_the_enterprise_acknowledges_and_feeds_back(api, world):
    warning = world["open"]
    as_user(api, world["users"]["safety"])
    ack = api.post(f"{WARNINGS}/{warning.pk}/acknowledge")
    assert ack.status_code == 200 and ack.json()["status"] == "acknowledged" and ack.json()["acknowledged_at"]
    assert api.post(f"{WARNINGS}/{warning.pk}/acknowledge").status_code == 200  # repeated: nothing changes
    response = api.post(
        f"{WARNINGS}/{warning.pk}/feedback",
        {"measures": "停车检修，更换变送器", "cause": "变送器漂移", "result": "温度恢复正常"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "fed_back" and body["feedback_at"] and body["measures"] == "停车检修，更换变送器"
    assert body["feedback_by"] == world["users"]["safety"].pk and body["cause"] == "变送器漂移"
    assert [e["event"] for e in body["events"]][-2:] == ["acknowledged", "fed_back"]
    assert api.post(f"{WARNINGS}/{warning.pk}/acknowledge").status_code == 409  # past acknowledgement
    again = api.post(f"{WARNINGS}/{warning.pk}/feedback", {"measures": "再次"}, format="json")
    assert again.status_code == 409 and "status" in again.json()


@pytest.mark.parametrize(
    ("body", "field"),
    [({}, "measures"), ({"measures": "   "}, "measures"), ({"measures": "x", "cause": "c" * 501}, "cause")],
)
def test_bad_feedback_is_400_with_field_errors(api, world, body, field):
    response = as_user(api, world["users"]["safety"]).post(
        f"{WARNINGS}/{world['open'].pk}/feedback", body, format="json"
    )
    assert response.status_code == 400 and field in response.json()
    assert Warning.objects.get(pk=world["open"].pk).status == "pending"


def test_only_the_enterprises_disposing_roles_act_on_its_warning(api, world):
    url = f"{WARNINGS}/{world['open'].pk}"
    assert as_user(api, world["users"]["operator"]).post(f"{url}/acknowledge").status_code == 403  # no right
    assert as_user(api, world["users"]["lixia"]).post(f"{url}/acknowledge").status_code == 403  # a regulator
    assert as_user(api, world["users"]["lixia"]).post(f"{url}/feedback", {"measures": "x"}).status_code == 403
    # another enterprise's safety manager does not even see it
    assert as_user(api, world["users"]["licheng_safety"]).post(f"{url}/acknowledge").status_code == 404
    assert Warning.objects.get(pk=world["open"].pk).status == "pending"


def test_the_regulator_verifies_or_sends_back(api, world):
    warning = world["fed_back"]
    url = f"{WARNINGS}/{warning.pk}"
    as_user(api, world["users"]["jinan"])
    back = api.post(f"{url}/send-back", {"comment": "措施不具体"}, format="json")
    assert back.status_code == 200 and back.json()["status"] == "returned"
    assert back.json()["verify_comment"] == "措施不具体"
    assert api.post(f"{url}/verify", {}, format="json").status_code == 409  # nothing fed back now
    as_user(api, world["users"]["licheng_safety"])
    assert api.post(f"{url}/feedback", {"measures": "更换传感器并校验联锁"}, format="json").status_code == 201
    as_user(api, world["users"]["jinan"])
    verified = api.post(f"{url}/verify", {"comment": "现场核查属实"}, format="json").json()
    # no current level above the one it rose from: recovered, so closed at once
    assert verified["status"] == "closed" and verified["verified_by_name"] and verified["closed_at"]
    assert api.post(f"{url}/send-back", {"comment": "x"}, format="json").status_code == 409


def test_verification_needs_the_role_a_comment_to_send_back_and_the_scope(api, world):
    url = f"{WARNINGS}/{world['fed_back'].pk}"
    assert as_user(api, world["users"]["inspector"]).post(f"{url}/verify").status_code == 403
    assert as_user(api, world["users"]["licheng_safety"]).post(f"{url}/verify").status_code == 403
    assert as_user(api, world["users"]["lixia"]).post(f"{url}/verify").status_code == 404  # another county's
    response = as_user(api, world["users"]["jinan"]).post(f"{url}/send-back", {"comment": ""}, format="json")
    assert response.status_code == 400 and "comment" in response.json()
    assert Warning.objects.get(pk=world["fed_back"].pk).status == "fed_back"


# /my/warnings ------------------------------------------------------------------------------------------------------


def test_my_warnings_are_the_enterprises_own_with_open_and_since(api, world):
    as_user(api, world["users"]["operator"])
    assert ids(api.get("/api/v1/my/warnings")) == {world["open"].pk, world["closed"].pk}
    assert ids(api.get("/api/v1/my/warnings?status=open")) == {world["open"].pk}
    since = (timezone.now() - dt.timedelta(days=1)).date().isoformat()
    assert ids(api.get(f"/api/v1/my/warnings?since={since}")) == {world["open"].pk}
    assert api.get("/api/v1/my/warnings?status=unknown").status_code == 400
    assert api.get(f"/api/v1/my/warnings/{world['fed_back'].pk}").status_code == 404
    assert as_user(api, world["users"]["jinan"]).get("/api/v1/my/warnings").status_code == 403  # a regulator


def test_my_warning_feedback(api, world):
    as_user(api, world["users"]["safety"])
    response = api.post(f"/api/v1/my/warnings/{world['open'].pk}/feedback", {"measures": "已降负荷"}, format="json")
    assert response.status_code == 201 and response.json()["status"] == "fed_back"
    other = api.post(f"/api/v1/my/warnings/{world['fed_back'].pk}/feedback", {"measures": "x"}, format="json")
    assert other.status_code == 404
    assert api.post(f"/api/v1/my/warnings/{world['open'].pk}/verify").status_code in (404, 405)  # no such action
    as_user(api, world["users"]["operator"])
    assert api.post(f"/api/v1/my/warnings/{world['open'].pk}/feedback", {"measures": "x"}).status_code == 403


def test_my_warnings_query_count_does_not_grow(api, world, django_assert_max_num_queries):
    as_user(api, world["users"]["operator"])
    api.get("/api/v1/my/warnings")
    with CaptureQueriesContext(connection) as one:
        api.get("/api/v1/my/warnings")
    baseline = len(one)  # now: the next request resets the connection's query log
    for n in range(10):
        make_warning(world["lixia"], status="closed", raised_at=timezone.now() - dt.timedelta(days=10 + n))
    with django_assert_max_num_queries(baseline):
        assert api.get("/api/v1/my/warnings").json()["count"] == 12


# Warnings not handled in time (RSK-27) ----------------------------------------------------------------------------

UNHANDLED = "/api/v1/quality/warnings-unhandled"


def test_unhandled_warnings_are_listed_with_their_problem(api, world, settings):
    settings.ANQUAN_WARNING_RECOVERY_HOURS = 24
    now = timezone.now()
    late_ack = make_warning(enterprise("370102"), acknowledge_due_at=now - dt.timedelta(minutes=5))
    late_feedback = make_warning(
        enterprise("370102"),
        status="acknowledged",
        acknowledged_at=now - dt.timedelta(hours=20),
        feedback_due_at=now - dt.timedelta(hours=1),
    )
    not_down = make_warning(
        enterprise("370102"), status="verified", feedback_at=now - dt.timedelta(hours=30), recovered_at=None
    )
    make_warning(enterprise("370102"), status="fed_back", feedback_at=now - dt.timedelta(hours=2))  # still in time
    make_warning(enterprise("370102"), status="verified", feedback_at=now - dt.timedelta(hours=30), recovered_at=now)
    as_user(api, world["users"]["lixia"])
    rows = {r["id"]: r["problem"] for r in api.get(UNHANDLED).json()["results"]}
    assert rows == {
        world["open"].pk: "not_acknowledged",  # raised 3 h ago, to be acknowledged within 1 h
        late_ack.pk: "not_acknowledged",
        late_feedback.pk: "not_fed_back",
        not_down.pk: "not_downgraded",
    }
    assert ids(api.get(f"{UNHANDLED}?problem=not_fed_back")) == {late_feedback.pk}
    assert api.get(f"{UNHANDLED}?problem=lazy").status_code == 400
    assert ids(as_user(api, world["users"]["licheng_safety"]).get(UNHANDLED)) == set()  # not its enterprise's
    assert as_user(api, agency_user()).get(UNHANDLED).status_code == 403


def test_unhandled_warnings_query_count_does_not_grow(api, world, django_assert_max_num_queries):
    past = timezone.now() - dt.timedelta(hours=1)
    make_warning(enterprise("370102"), acknowledge_due_at=past)
    as_user(api, world["users"]["jinan"])
    api.get(UNHANDLED)
    with CaptureQueriesContext(connection) as one:
        assert api.get(UNHANDLED).json()["count"] == 2  # and the fixture's open warning
    baseline = len(one)  # now: the next request resets the connection's query log
    for _n in range(10):
        make_warning(enterprise("370112"), acknowledge_due_at=past)
    with django_assert_max_num_queries(baseline):
        assert api.get(UNHANDLED).json()["count"] == 12


# The loop through HTTP (RSK-01..04) -------------------------------------------------------------------------------


def test_readings_raise_a_warning_that_goes_round_the_loop_through_the_api(api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        use_model()  # alarms of the last 24 h: none → blue, one → yellow, two → red
    point = temperature_point(code="TI-API", period_s=60)
    ent = point.enterprise
    safety = user_with_role("enterprise_safety_manager", ent.organisation)
    county = user_with_role("regulator_staff", regulator("370102"))
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        grading.regrade([ent.pk])
    as_user(api, safety)
    assert api.get("/api/v1/my/risk").json()["level"] == 4

    with django_capture_on_commit_callbacks(execute=True):  # one excursion: alarm → regrade → yellow
        feed(point, [20, 95, 96, 20], start=now - dt.timedelta(minutes=30), every_s=10)
    mine = api.get("/api/v1/my/warnings?status=open").json()["results"]
    assert len(mine) == 1 and (mine[0]["from_level"], mine[0]["level"]) == (4, 3)
    warning_id = mine[0]["id"]
    risk = api.get("/api/v1/my/risk").json()
    assert risk["level"] == 3 and risk["previous_level"] == 4
    alarms = next(r for r in risk["breakdown"] if r["code"] == "alarms.count")
    assert alarms["value"] == 1 and alarms["contribution"] > 0
    assert next(r for r in risk["breakdown"] if r["code"] == "alarms.video")["no_data"] is True

    with django_capture_on_commit_callbacks(execute=True):
        assert api.post(f"{WARNINGS}/{warning_id}/acknowledge").status_code == 200
        feedback = api.post(
            f"/api/v1/my/warnings/{warning_id}/feedback", {"measures": "降低进料量，校验变送器"}, format="json"
        )
    assert feedback.status_code == 201

    as_user(api, county)
    detail = api.get(f"{WARNINGS}/{warning_id}").json()
    assert detail["pushed_at"] and detail["feedback_at"] and detail["measures"] == "降低进料量，校验变送器"
    with django_capture_on_commit_callbacks(execute=True):
        verified = api.post(f"{WARNINGS}/{warning_id}/verify", {"comment": "核查属实"}, format="json").json()
    assert verified["status"] == "verified"  # the risk is still up

    # the stored result is reproduced exactly from its inputs and version
    assessment = EnterpriseRisk.objects.get(enterprise=ent).assessment_id
    reproduced = api.get(f"/api/v1/risk/assessments/{assessment}?reproduce=true").json()["reproduced"]
    assert reproduced["equal"] is True and reproduced["level"] == 3

    with django_capture_on_commit_callbacks(execute=True):  # the alarm ages out of the window
        grading.regrade([ent.pk], at=now + dt.timedelta(hours=25))
    closed = api.get(f"{WARNINGS}/{warning_id}").json()
    assert closed["status"] == "closed" and closed["recovered_at"] and closed["closed_at"]
    assert [e["event"] for e in closed["events"]] == [
        "raised",
        "acknowledged",
        "fed_back",
        "verified",
        "recovered",
        "closed",
    ]
    assert api.get(f"/api/v1/enterprises/{ent.pk}/risk").json()["level"] == 4

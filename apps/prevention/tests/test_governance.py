"""Hidden-danger governance (隐患治理): registration bound to a risk analysis object and, when a control
measure failed, to that measure; the closed loop 整改中 → 待验收 → 已验收 with every step recorded; the
rectifier never accepts their own work; regulators read in their jurisdiction."""

import datetime as dt

import pytest
from django.utils import timezone

from apps.accounts.tests.factories import regulator, user_with_role
from apps.enterprises.tests.factories import enterprise
from apps.exchange import registry, specs
from apps.exchange.validation import check_record
from apps.hazards.models import HazardSource
from apps.prevention.models import ControlMeasure, DangerState, HiddenDanger, RiskEvent, RiskUnit

pytestmark = pytest.mark.django_db

URL = "/api/v1/dp/hidden-dangers"


@pytest.fixture
def ent():
    return enterprise("370102")


@pytest.fixture
def manager(ent):
    return user_with_role("enterprise_safety_manager", ent.organisation, real_name="张三")


@pytest.fixture
def colleague(ent):
    return user_with_role("enterprise_admin", ent.organisation, username="lisi")


def measure_of(ent):
    unit = RiskUnit.objects.create(
        enterprise=ent, object_code="HS01", department="一车间", liable_person="张三", name="罐区"
    )
    event = RiskEvent.objects.create(enterprise=ent, unit=unit, unit_uid=unit.uid, name="泄漏")
    return ControlMeasure.objects.create(
        enterprise=ent,
        event=event,
        event_uid=event.uid,
        description="联锁",
        classify1="1",
        classify2="1-4",
        troubleshoot_content="检查联锁",
    )


def payload(**changes):
    data = {
        "name": "液位计失灵",
        "level": 0,
        "deadline": (timezone.now() + dt.timedelta(days=7)).isoformat(),
        "object_code": "HS01",
        "origin": "10",
        "manage_type": 1,
        "danger_type": 8,
        "description": "读数不变",
        "liable_person": "王五",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def register(api, user, **changes):
    api.force_authenticate(user)
    return api.post(URL, payload(**changes), format="json")


def registered(api, user, **changes):
    response = register(api, user, **changes)
    assert response.status_code == 201, response.json()
    return response.json()


def act(api, user, danger_id, verb, **data):
    api.force_authenticate(user)
    return api.post(f"{URL}/{danger_id}/{verb}", data, format="json")


def test_registering_a_hidden_danger_records_who_and_links_the_hazard_source(api, ent, manager):
    source = HazardSource.objects.create(enterprise=ent, code="HS01", name="1号罐区")
    body = registered(api, manager)
    danger = HiddenDanger.objects.get(pk=body["id"])
    assert (danger.enterprise, danger.state, danger.source, danger.hazard_source) == (ent, 0, "portal", source)
    assert danger.registrant == "张三" and danger.registered_at is not None
    assert [(s["action"], s["actor"], s["state_after"]) for s in body["steps"]] == [("registered", manager.pk, 0)]


@pytest.mark.parametrize(
    "field",
    [
        "name",
        "level",
        "deadline",
        "object_code",
        "origin",
        "manage_type",
        "danger_type",
        "description",
        "liable_person",
    ],
)
def test_each_required_field_is_named_when_missing(api, ent, manager, field):
    response = register(api, manager, **{field: None})
    assert response.status_code == 400 and field in response.json(), response.json()
    assert not HiddenDanger.objects.exists()


def test_a_danger_found_because_a_measure_failed_names_the_measure_of_its_own_enterprise(api, ent, manager):
    response = register(api, manager, origin="9")
    assert response.status_code == 400 and "measure" in response.json()
    other = measure_of(enterprise("370202"))
    response = register(api, manager, origin="9", measure=other.pk)
    assert response.status_code == 400 and "measure" in response.json()
    own = measure_of(ent)
    body = registered(api, manager, origin="9", measure=own.pk)
    assert body["measure"] == own.pk and body["measure_uid"] == str(own.uid)


def test_a_deadline_before_registration_is_refused(api, ent, manager):
    response = register(api, manager, deadline=(timezone.now() - dt.timedelta(days=1)).isoformat())
    assert response.status_code == 400 and "deadline" in response.json()


def test_a_danger_fixed_on_the_spot_may_be_registered_rectified(api, ent, manager):
    body = registered(api, manager, manage_type=0, rectification="当场更换液位计")
    assert body["state"] == 1 and [s["action"] for s in body["steps"]] == ["registered", "rectified"]


def test_the_closed_loop_records_every_step_and_the_rectifier_cannot_accept(api, ent, manager, colleague):
    danger_id = registered(api, manager)["id"]
    response = act(api, manager, danger_id, "rectify", rectification="更换液位计", comment="已更换", photos=["a.jpg"])
    assert response.status_code == 200 and response.json()["state"] == 1
    response = act(api, manager, danger_id, "accept", comment="自己验收")
    assert response.status_code == 403 and "整改人" in response.json()["detail"]  # says why, in Chinese
    response = act(api, colleague, danger_id, "accept", comment="合格")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["state"] == 9 and body["accept_person"] == "lisi" and body["accept_comment"] == "合格"
    assert body["accepted_at"] is not None
    steps = [(s["action"], s["actor"], s["comment"], s["state_after"]) for s in body["steps"]]
    assert steps == [
        ("registered", manager.pk, "读数不变", 0),
        ("rectified", manager.pk, "已更换", 1),
        ("accepted", colleague.pk, "合格", 9),
    ]
    assert all(s["at"] for s in body["steps"]) and body["steps"][1]["photos"] == ["a.jpg"]
    # Accepted: the record sent upward carries the acceptance and is valid.
    [built] = list(registry.builder_for("hazards")(None, timezone.now() + dt.timedelta(seconds=1)))
    assert check_record(specs.get("hazards"), built.payload).errors == {}
    assert built.payload["DANGER_STATE"] == 9 and built.payload["CHECK_ACCEPT_PERSON"] == "lisi"


def test_send_back_returns_it_to_rectification_and_wrong_states_conflict(api, ent, manager, colleague):
    danger_id = registered(api, manager)["id"]
    assert act(api, colleague, danger_id, "accept").status_code == 409
    assert act(api, colleague, danger_id, "send-back", comment="不行").status_code == 409
    act(api, manager, danger_id, "rectify", rectification="更换")
    response = act(api, colleague, danger_id, "send-back", comment="")
    assert response.status_code == 400 and "comment" in response.json()
    response = act(api, colleague, danger_id, "send-back", comment="未更换到位")
    assert response.status_code == 200 and response.json()["state"] == 0
    assert response.json()["steps"][-1]["action"] == "sent_back"
    assert act(api, manager, danger_id, "rectify", rectification="再次更换").status_code == 200
    assert act(api, colleague, danger_id, "accept").status_code == 200
    assert act(api, manager, danger_id, "rectify", rectification="又一次").status_code == 409
    updated = HiddenDanger.objects.get(pk=danger_id)
    assert updated.state == DangerState.ACCEPTED and updated.updated_at > updated.created_at


def test_regulators_read_in_their_jurisdiction_and_never_act(api, ent, manager):
    danger_id = registered(api, manager)["id"]
    city = user_with_role("regulator_staff", regulator("370100"))
    api.force_authenticate(city)
    assert api.get(URL).json()["count"] == 1
    assert api.get(f"{URL}/{danger_id}").status_code == 200
    assert api.post(URL, payload(), format="json").status_code == 403
    assert act(api, city, danger_id, "rectify", rectification="x").status_code == 403
    other = user_with_role("regulator_staff", regulator("370200"))
    api.force_authenticate(other)
    assert api.get(f"{URL}/{danger_id}").status_code == 404
    assert api.get(URL).json()["count"] == 0


def test_the_overdue_filter_and_a_bounded_list(api, ent, manager, django_assert_max_num_queries):
    late = registered(api, manager)["id"]
    HiddenDanger.objects.filter(pk=late).update(deadline=timezone.now() - dt.timedelta(days=1))
    for _ in range(5):
        registered(api, manager)
    api.force_authenticate(manager)
    body = api.get(URL, {"overdue": "true"}).json()
    assert [d["id"] for d in body["results"]] == [late] and body["results"][0]["overdue"] is True
    assert api.get(URL, {"overdue": "false"}).json()["count"] == 5
    assert api.get(URL, {"overdue": "maybe"}).status_code == 400
    with django_assert_max_num_queries(8):
        response = api.get(URL, {"state": 0})
    assert response.status_code == 200 and response.json()["count"] == 6

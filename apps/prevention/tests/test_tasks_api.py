"""Investigation tasks (隐患排查任务, DPM-05/06/14): the cycles (排查任务周期) of a day with their status,
the caller's task inbox (我的排查任务), and results (排查结果) posted by people or patrol systems."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.accounts.models import User
from apps.accounts.tests.factories import regulator, user_with_role
from apps.enterprises.tests.factories import enterprise
from apps.exchange import registry, specs
from apps.exchange.validation import check_record
from apps.prevention import periods
from apps.prevention.models import CheckRecord, CheckTask, TaskPeriod
from apps.prevention.tests.test_periods import make_task

pytestmark = pytest.mark.django_db

PERIODS = "/api/v1/dp/task-periods"
MINE = "/api/v1/dp/my-tasks"
RESULTS = "/api/v1/dp/task-results"


@pytest.fixture
def ent():
    return enterprise("370102")


@pytest.fixture
def manager(ent):
    return user_with_role("enterprise_safety_manager", ent.organisation, real_name="张三")


@pytest.fixture
def worker(ent):
    return user_with_role("enterprise_operator", ent.organisation, real_name="李四")


@pytest.fixture
def tasks(ent, worker):
    """An hourly task (to be missed), a yearly task of the worker and a yearly task naming nobody."""
    hourly = make_task(ent, cycle=1, unit="小时")
    yearly = make_task(ent, cycle=1, unit="年", responsible=worker)
    unnamed = make_task(ent, cycle=1, unit="年")
    now = timezone.now()
    periods.generate(now)
    first = TaskPeriod.objects.get(task=hourly)
    periods.generate(first.due_at + dt.timedelta(minutes=1))
    return {"hourly": hourly, "yearly": yearly, "unnamed": unnamed, "now": now}


def post_result(api, user, **data):
    api.force_authenticate(user)
    return api.post(RESULTS, data, format="json")


def today(now):
    return timezone.localtime(now, periods.BEIJING).date().isoformat()


def test_the_cycles_of_a_day_show_done_pending_and_overdue(api, ent, manager, tasks):
    checked_at = tasks["now"]
    response = post_result(
        api, manager, task=tasks["yearly"].pk, status="0", checked_at=checked_at.isoformat(), inspector="巡检员甲"
    )
    assert response.status_code == 201, response.json()
    rows = api.get(PERIODS, {"date": today(tasks["now"])}).json()["results"]
    by_task = {}
    for row in rows:
        by_task.setdefault(row["task"], []).append(row)
    [done] = by_task[tasks["yearly"].pk]
    assert done["status"] == "done" and done["status_label"]
    assert done["cycle"] == 1 and done["cycle_unit"] == "年" and done["content"]
    assert done["inspector"] == "巡检员甲" and done["result"] == "0" and done["checked_at"]
    [pending] = by_task[tasks["unnamed"].pk]
    assert pending["status"] == "pending" and pending["inspector"] is None and pending["result"] is None
    assert "overdue" in {r["status"] for r in by_task[tasks["hourly"].pk]}
    overdue = api.get(PERIODS, {"date": today(tasks["now"]), "status": "overdue"}).json()["results"]
    assert [r["task"] for r in overdue] == [tasks["hourly"].pk]
    assert api.get(PERIODS, {"enterprise": ent.pk + 999}).json()["count"] == 0
    far = (timezone.localdate() + dt.timedelta(days=800)).isoformat()
    assert api.get(PERIODS, {"date": far}).json()["count"] == 0


def test_my_tasks_for_the_responsible_person_and_the_safety_manager(api, manager, worker, tasks):
    api.force_authenticate(worker)
    rows = api.get(MINE).json()["results"]
    assert [r["task"] for r in rows] == [tasks["yearly"].pk]
    api.force_authenticate(manager)
    rows = api.get(MINE).json()["results"]
    mine = {r["task"] for r in rows}
    assert mine == {tasks["unnamed"].pk, tasks["hourly"].pk}  # tasks naming nobody, pending or overdue
    assert {r["status"] for r in rows} <= {"pending", "overdue"}
    post_result(api, manager, task=str(tasks["unnamed"].uid), status="1")
    rows = api.get(MINE).json()["results"]
    assert tasks["unnamed"].pk not in {r["task"] for r in rows}  # done leaves the inbox


def test_a_result_closes_the_cycle_updates_the_task_and_is_built_for_the_exchange(api, manager, tasks):
    task = tasks["yearly"]
    response = post_result(api, manager, task=str(task.uid), status="0", note="正常")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["period_status"] == "done" and body["status"] == "0" and body["inspector"] == "张三"
    record = CheckRecord.objects.get(pk=body["id"])
    assert record.task == task and record.task_uid == task.uid and record.source == "portal"
    period = TaskPeriod.objects.get(task=task)
    assert period.status == "done" and period.record == record and period.checked_at == record.checked_at
    task.refresh_from_db()
    assert task.last_checked_at == record.checked_at and task.last_status == "0"
    # An earlier check does not replace the latest.
    earlier = (record.checked_at - dt.timedelta(minutes=30)).isoformat()
    assert post_result(api, manager, task=task.pk, status="1", checked_at=earlier).status_code == 201
    task.refresh_from_db()
    assert task.last_checked_at == record.checked_at and task.last_status == "0"
    built = [
        b
        for b in registry.builder_for("check-records")(None, timezone.now() + dt.timedelta(seconds=1))
        if b.payload["ID"].replace("-", "") == record.uid.hex
    ]
    assert len(built) == 1
    assert check_record(specs.get("check-records"), built[0].payload).errors == {}


def test_not_investigated_closes_nothing(api, manager, tasks):
    response = post_result(api, manager, task=tasks["unnamed"].pk, status="2")
    assert response.status_code == 201 and response.json()["period_status"] == "pending"
    assert TaskPeriod.objects.get(task=tasks["unnamed"]).status == "pending"


def test_bad_results_are_400_naming_the_field(api, manager, tasks):
    task = tasks["yearly"].pk
    response = post_result(api, manager, task=task, status="7")
    assert response.status_code == 400 and "status" in response.json()
    response = post_result(api, manager, task=task)
    assert response.status_code == 400 and "status" in response.json()
    future = (timezone.now() + dt.timedelta(hours=1)).isoformat()
    response = post_result(api, manager, task=task, status="0", checked_at=future)
    assert response.status_code == 400 and "checked_at" in response.json()
    assert not CheckRecord.objects.exists()


def test_another_enterprises_task_is_404_and_a_regulator_reads_but_never_posts(api, manager, tasks):
    other = make_task(enterprise("370102"))
    assert post_result(api, manager, task=other.pk, status="0").status_code == 404
    assert post_result(api, manager, task=str(other.uid), status="0").status_code == 404
    assert post_result(api, manager, task="not-a-key", status="0").status_code == 404
    CheckTask.objects.filter(pk=tasks["yearly"].pk).update(deleted=True)
    assert post_result(api, manager, task=tasks["yearly"].pk, status="0").status_code == 404
    city = user_with_role("regulator_staff", regulator("370100"))
    api.force_authenticate(city)
    assert api.get(PERIODS).json()["count"] == 3  # two hourly cycles and the unnamed task; not the deleted one
    assert post_result(api, city, task=tasks["unnamed"].pk, status="0").status_code == 403
    elsewhere = user_with_role("regulator_staff", regulator("370200"))
    api.force_authenticate(elsewhere)
    assert api.get(PERIODS).json()["count"] == 0


def test_the_cycle_list_runs_a_bounded_number_of_queries(api, ent, manager, tasks):
    post_result(api, manager, task=tasks["yearly"].pk, status="0")

    def queries():
        api.force_authenticate(User.objects.get(pk=manager.pk))
        with CaptureQueriesContext(connection) as captured:
            response = api.get(PERIODS)
        assert response.status_code == 200
        return len(captured), response.json()["count"]

    few, count = queries()
    for _ in range(5):
        task = make_task(ent, cycle=1, unit="天")
        periods.generate(timezone.now())
        post_result(api, manager, task=task.pk, status="0")
    many, more = queries()
    assert more == count + 5
    assert many == few and few <= 10


def test_an_operator_on_the_post_records_the_investigation_of_their_task(api):
    from apps.accounts.tests.factories import user_with_role
    from apps.enterprises.tests.factories import enterprise
    from apps.prevention import periods
    from apps.prevention.tests.test_periods import make_task

    ent = enterprise("370102")
    operator = user_with_role("enterprise_operator", ent.organisation)
    task = make_task(ent, responsible=operator)
    periods.generate()
    api.force_authenticate(operator)
    assert [row["task"] for row in api.get("/api/v1/dp/my-tasks/").json()["results"]] == [task.pk]
    response = api.post("/api/v1/dp/task-results/", {"task": str(task.uid), "status": "0"}, format="json")
    assert response.status_code == 201 and response.json()["period_status"] == "done"

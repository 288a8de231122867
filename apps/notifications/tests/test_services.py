"""The message service: records, deduplication, input errors, post-commit push and one task per call."""

import asyncio

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from apps.accounts.tests.factories import user_with_role
from apps.core import live
from apps.core.exceptions import InvalidInput
from apps.notifications import tasks
from apps.notifications.models import Delivery, Notification
from apps.notifications.services import mark_all_read, mark_read, notify, unread_count

pytestmark = pytest.mark.django_db


def alarm(recipients, **kwargs):
    defaults = {"kind": "alarm", "title": "TI-1 高报", "body": "温度 85 ℃，高于 80 ℃", "channels": []}
    return notify(recipients, **{**defaults, **kwargs})


def test_given_users_and_ids_when_notified_then_one_row_each_and_one_delivery_per_channel(officer, manager, plant):
    created = alarm(
        [officer, manager.pk, officer.pk],
        link="/ent/alarms/1/",
        level="danger",
        target=plant,
        channels=["log", "sms", "inbox"],
    )

    assert {n.recipient_id for n in created} == {officer.pk, manager.pk}
    row = Notification.objects.get(recipient=manager)
    assert (row.kind, row.level, row.link, row.target, row.read_at) == (
        "alarm",
        "danger",
        "/ent/alarms/1/",
        plant,
        None,
    )
    # the inbox is implicit: it never gets a delivery row
    assert sorted(Delivery.objects.values_list("channel", flat=True)) == ["log", "log", "sms", "sms"]
    assert set(Delivery.objects.values_list("status", flat=True)) == {"pending"}


def test_default_channels_come_from_settings(officer, settings):
    settings.ANQUAN_NOTIFY_CHANNELS = ["log"]
    notify([officer], kind="warning", title="预警", body="")
    assert list(Delivery.objects.values_list("channel", flat=True)) == ["log"]


def test_inactive_and_unknown_recipients_are_left_out(officer, jinan):
    gone = user_with_role("regulator_staff", jinan, is_active=False)
    created = alarm([officer, gone, 987654321])
    assert [n.recipient_id for n in created] == [officer.pk]
    assert alarm([]) == []


def test_given_a_dedupe_key_when_the_caller_retries_then_nobody_gets_it_twice(officer, manager):
    first = alarm([officer], dedupe_key="warning:7:raised", channels=["log"])
    again = alarm([officer, manager], dedupe_key="warning:7:raised", channels=["log"])
    once_more = alarm([officer, manager], dedupe_key="warning:7:raised", channels=["log"])

    assert len(first) == 1
    assert [n.recipient_id for n in again] == [manager.pk]  # only the newcomer
    assert once_more == []
    assert Notification.objects.filter(dedupe_key="warning:7:raised").count() == 2
    assert Delivery.objects.count() == 2
    # without a key nothing is deduplicated; another key is another message
    alarm([officer])
    alarm([officer])
    alarm([officer], dedupe_key="warning:7:escalated")
    assert Notification.objects.filter(recipient=officer).count() == 4


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"kind": "Not a slug!"}, "kind"),
        ({"kind": ""}, "kind"),
        ({"title": "  "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"level": "critical"}, "level"),
        ({"link": "https://evil.example/"}, "link"),
        ({"link": "//evil.example/"}, "link"),
        ({"dedupe_key": "k" * 129}, "dedupe_key"),
        ({"channels": ["fax"]}, "channels"),
    ],
)
def test_bad_input_is_reported_by_field(officer, kwargs, field):
    with pytest.raises(InvalidInput) as error:
        alarm([officer], **kwargs)
    assert field in error.value.as_dict()
    assert not Notification.objects.exists()


def test_bad_recipients_and_targets_are_reported(officer):
    for recipients in (None, "officer", ["officer"], [1.5]):
        with pytest.raises(InvalidInput) as error:
            alarm(recipients)
        assert "recipients" in error.value.as_dict()
    with pytest.raises(InvalidInput) as error:
        alarm([officer], target=Notification(title="unsaved"))
    assert "target" in error.value.as_dict()


def test_nothing_leaves_before_commit_then_one_task_per_call(
    officer, manager, monkeypatch, django_capture_on_commit_callbacks
):
    queued = []
    monkeypatch.setattr(tasks.deliver, "delay", lambda ids: queued.append(sorted(ids)))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        alarm([officer, manager], channels=["log", "im"])
        assert queued == []
    for callback in callbacks:
        callback()
    assert queued == [sorted(Delivery.objects.values_list("pk", flat=True))]
    assert len(queued[0]) == 4


def test_no_external_channel_queues_no_task(officer, monkeypatch, django_capture_on_commit_callbacks):
    queued = []
    monkeypatch.setattr(tasks.deliver, "delay", lambda ids: queued.append(ids))
    with django_capture_on_commit_callbacks(execute=True):
        alarm([officer], channels=[])
    assert queued == []


def test_each_recipient_gets_a_live_event_after_commit(officer, django_capture_on_commit_callbacks):
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(live.user_group(officer.pk), channel)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            (created,) = alarm([officer], level="warning", link="/gov/alarms/", title="事件推送")

        async def next_event():
            while True:  # the channel layer may carry another run's events for the same user id
                message = await asyncio.wait_for(layer.receive(channel), timeout=5)
                if message["event"].get("id") == created.pk:
                    return message

        message = async_to_sync(next_event)()
    finally:
        async_to_sync(layer.group_discard)(live.user_group(officer.pk), channel)
    assert message["topic"] == "user"
    assert message["event"] == {
        "kind": "notification",
        "id": created.pk,
        "notification_kind": "alarm",
        "level": "warning",
        "title": "事件推送",
        "link": "/gov/alarms/",
        "unread": 1,
    }


def test_read_marks_are_the_recipients_own(officer, manager):
    mine = alarm([officer])[0]
    alarm([officer], kind="warning")
    theirs = alarm([manager])[0]
    assert unread_count(officer) == 2

    read = mark_read(officer, mine.pk)
    first_read_at = read.read_at
    assert first_read_at is not None
    assert mark_read(officer, mine.pk).read_at == first_read_at  # idempotent
    with pytest.raises(Exception) as error:
        mark_read(officer, theirs.pk)
    assert error.value.status_code == 404

    assert mark_all_read(officer, kind="alarm") == 0
    assert mark_all_read(officer) == 1
    assert unread_count(officer) == 0
    assert unread_count(manager) == 1


def test_for_user_is_the_recipient_even_for_ops(officer):
    ops = user_with_role("ops")
    alarm([officer])
    assert Notification.objects.for_user(ops).count() == 0
    assert Notification.objects.for_user(officer).count() == 1

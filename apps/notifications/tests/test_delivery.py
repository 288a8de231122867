"""Delivery through the adapters against a real local HTTP server: success, refusal, a service down,
retries with backoff and the attempt cap, skipped recipients, idempotency."""

import datetime as dt
import logging

import pytest
from django.utils import timezone

from apps.notifications import tasks
from apps.notifications.adapters import register_adapter
from apps.notifications.choices import MAX_ATTEMPTS
from apps.notifications.models import Delivery
from apps.notifications.services import backoff, notify, send_deliveries

from .factories import refused_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def gateways(settings, http_server):
    settings.ANQUAN_SMS_URL = http_server.url
    settings.ANQUAN_SMS_TOKEN = "sms-token"
    settings.ANQUAN_IM_WEBHOOK_URL = http_server.url
    return http_server


def send(recipients, channels, capture, **kwargs):
    with capture(execute=True):
        created = notify(recipients, kind="alarm", title="TI-1 高报", body="温度 85 ℃", channels=channels, **kwargs)
    return Delivery.objects.filter(notification__in=created).order_by("pk")


def make_due(*deliveries):
    """As if the backoff had passed."""
    Delivery.objects.filter(pk__in=[d.pk for d in deliveries]).update(
        next_attempt_at=timezone.now() - dt.timedelta(seconds=1)
    )


def test_log_adapter_writes_the_logger_and_marks_sent(officer, caplog, django_capture_on_commit_callbacks):
    with caplog.at_level(logging.INFO, logger="anquan.notifications"):
        (delivery,) = send([officer], ["log"], django_capture_on_commit_callbacks)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("sent", 1, "")
    assert delivery.sent_at is not None
    assert any("TI-1 高报" in r.getMessage() and r.name == "anquan.notifications" for r in caplog.records)


def test_sms_posts_phone_and_text_with_the_bearer_token(officer, gateways, django_capture_on_commit_callbacks):
    (delivery,) = send([officer], ["sms"], django_capture_on_commit_callbacks)

    delivery.refresh_from_db()
    assert delivery.status == "sent"
    (request,) = gateways.received
    assert request["json"] == {"phone": "13800000001", "text": "TI-1 高报\n温度 85 ℃"}
    assert request["headers"]["authorization"] == "Bearer sms-token"
    assert request["headers"]["content-type"].startswith("application/json")


def test_sms_without_a_token_sends_no_authorization(officer, gateways, settings, django_capture_on_commit_callbacks):
    settings.ANQUAN_SMS_TOKEN = ""
    send([officer], ["sms"], django_capture_on_commit_callbacks)
    assert "authorization" not in gateways.received[0]["headers"]


def test_a_recipient_without_a_phone_is_skipped_with_the_reason(manager, gateways, django_capture_on_commit_callbacks):
    (delivery,) = send([manager], ["sms"], django_capture_on_commit_callbacks)
    delivery.refresh_from_db()
    assert delivery.status == "skipped"
    assert "phone" in delivery.last_error
    assert gateways.received == []
    make_due(delivery)
    assert tasks.retry_failed() == 0  # never tried again


def test_im_robot_gets_one_text_message_per_distinct_text(
    officer, manager, gateways, django_capture_on_commit_callbacks
):
    deliveries = send([officer, manager], ["im"], django_capture_on_commit_callbacks)

    assert [d.status for d in deliveries] == ["sent", "sent"]
    (request,) = gateways.received  # one group robot: posted once for both recipients
    assert request["json"] == {"msgtype": "text", "text": {"content": "TI-1 高报\n温度 85 ℃"}}
    assert request["path"] == "/send?key=secret"


def test_im_robot_refusal_in_a_200_answer_is_a_failure(officer, gateways, django_capture_on_commit_callbacks):
    gateways.answer(200, {"errcode": 310000, "errmsg": "keywords not in content"})
    (delivery,) = send([officer], ["im"], django_capture_on_commit_callbacks)
    delivery.refresh_from_db()
    assert delivery.status == "failed"
    assert "310000" in delivery.last_error


def test_a_500_leaves_the_delivery_failed_and_a_later_retry_succeeds(
    officer, gateways, django_capture_on_commit_callbacks
):
    gateways.answer(500, {"error": "gateway overloaded"})
    (delivery,) = send([officer], ["sms"], django_capture_on_commit_callbacks)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert "HTTP 500" in delivery.last_error and "gateway overloaded" in delivery.last_error
    assert "secret" not in delivery.last_error  # the URL's key is never written down
    # the task's eager retry ran at once, but the delivery is not due before its backoff
    assert delivery.next_attempt_at > timezone.now() + backoff(1) - dt.timedelta(seconds=30)
    assert tasks.retry_failed() == 0

    make_due(delivery)
    assert tasks.retry_failed() == 1  # beat re-queues it; the server answers 200 now
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("sent", 2, "")
    assert len(gateways.received) == 2


def test_connection_refused_fails_then_succeeds_once_the_service_is_back(
    officer, settings, http_server, django_capture_on_commit_callbacks
):
    settings.ANQUAN_SMS_URL = refused_url()
    (delivery,) = send([officer], ["sms"], django_capture_on_commit_callbacks)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert delivery.last_error

    settings.ANQUAN_SMS_URL = http_server.url
    make_due(delivery)
    report = send_deliveries([delivery.pk])
    assert report.sent == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 2)


def test_tries_stop_at_the_cap_with_growing_backoff(officer, gateways, django_capture_on_commit_callbacks):
    gateways.answer_always(503, {"error": "down"})
    (delivery,) = send([officer], ["sms"], django_capture_on_commit_callbacks)
    waits = []
    for _ in range(MAX_ATTEMPTS - 1):
        make_due(delivery)
        before = timezone.now()
        send_deliveries([delivery.pk])
        delivery.refresh_from_db()
        waits.append(round((delivery.next_attempt_at - before).total_seconds() / 60))
    assert (delivery.status, delivery.attempts) == ("failed", MAX_ATTEMPTS)
    assert waits == [2, 4, 8, 16]
    make_due(delivery)
    assert tasks.retry_failed() == 0
    assert send_deliveries([delivery.pk]).failed == 0
    assert len(gateways.received) == MAX_ATTEMPTS


def test_sent_deliveries_are_never_sent_again(officer, gateways, django_capture_on_commit_callbacks):
    (delivery,) = send([officer], ["sms"], django_capture_on_commit_callbacks)
    make_due(delivery)
    report = tasks.deliver([delivery.pk])  # a redelivered task message
    assert report == {"sent": 0, "failed": 0, "skipped": 0, "retry": 0}
    assert len(gateways.received) == 1


def test_a_registered_adapter_is_a_channel(officer, django_capture_on_commit_callbacks):
    seen = []
    register_adapter("test-pager", lambda delivery: seen.append(delivery.notification.title))
    (delivery,) = send([officer], ["test-pager"], django_capture_on_commit_callbacks)
    delivery.refresh_from_db()
    assert delivery.status == "sent"
    assert seen == ["TI-1 高报"]
    with pytest.raises(ValueError):
        register_adapter("inbox", lambda delivery: None)


def test_in_a_worker_the_task_retries_failed_deliveries_after_their_backoff(
    officer, gateways, monkeypatch, django_capture_on_commit_callbacks
):
    gateways.answer(500)
    with django_capture_on_commit_callbacks(execute=False):  # no eager run: call the task as a worker would
        notify([officer], kind="alarm", title="报警", body="", channels=["sms", "log"])
    ids = list(Delivery.objects.order_by("pk").values_list("pk", flat=True))
    retries = []

    def fake_retry(**kwargs):
        retries.append(kwargs)
        return RuntimeError("retry scheduled")

    monkeypatch.setattr(tasks.deliver, "retry", fake_retry)
    with pytest.raises(RuntimeError, match="retry scheduled"):
        tasks.deliver.run(ids)
    sms = Delivery.objects.get(channel="sms")
    assert retries[0]["args"] == [[sms.pk]]  # only the failed one, the log delivery was sent
    assert 55 <= retries[0]["countdown"] <= 62

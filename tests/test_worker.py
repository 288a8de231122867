"""A real Celery worker on the real Redis broker runs the project's tasks."""

import time

import pytest

from .workers import start_worker, stop_worker, through_the_broker

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def worker(django_db_setup):
    with through_the_broker():
        proc = start_worker("test")
        yield proc
        stop_worker(proc)


def test_task_sent_through_the_broker_runs_in_the_worker(worker):
    from apps.core.tasks import ping

    result = ping.delay("anquan")
    assert result.get(timeout=30, disable_sync_subtasks=False)["value"] == "anquan"


def test_heartbeat_task_is_scheduled_and_recorded(worker, settings):
    from django.core.cache import cache

    from apps.core.tasks import HEARTBEAT_KEY, heartbeat

    assert settings.CELERY_BEAT_SCHEDULE["core-heartbeat"]["task"] == "core.heartbeat"
    cache.delete(HEARTBEAT_KEY)
    heartbeat.delay()
    for _ in range(100):
        if cache.get(HEARTBEAT_KEY):
            break
        time.sleep(0.1)
    assert cache.get(HEARTBEAT_KEY)


@pytest.mark.django_db(transaction=True)
def test_an_accepted_batch_is_processed_by_the_worker_through_the_broker(worker, client):
    import datetime as dt

    from django.utils import timezone

    from apps.monitoring.models import IngestBatch, PointState
    from apps.monitoring.services import create_gateway
    from apps.monitoring.tests.factories import post_signed, temperature_point

    point = temperature_point(code="TI-W")
    _, secret = create_gateway(None, enterprise=point.enterprise, gateway_id="gw-worker")
    response = post_signed(
        client, "gw-worker", secret, [{"point": "TI-W", "ts": timezone.now().isoformat(), "value": 42.0}]
    )
    assert response.status_code == 202 and response.json()["accepted"] == 1
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not PointState.objects.filter(point__code="TI-W").exists():
        time.sleep(0.2)
    assert PointState.objects.get(point__code="TI-W").value == 42.0
    assert IngestBatch.objects.get().processed_at is not None
    assert timezone.now() - IngestBatch.objects.get().processed_at < dt.timedelta(seconds=60)

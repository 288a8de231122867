"""Nothing acknowledged is lost (issue 4): a worker killed in the middle of a batch, a broker that
forgets its queue (Redis keeps nothing on disk), and redelivery — with real workers and Redis."""

import datetime as dt
import signal
import time

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from .workers import start_worker, stop_worker, through_the_broker

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def not_eager():
    with through_the_broker():
        yield


@pytest.fixture
def point():
    from apps.monitoring.tests.factories import temperature_point

    return temperature_point(code="TI-D")


def post_readings(client, point, values):
    from apps.monitoring.services import create_gateway
    from apps.monitoring.tests.factories import post_signed

    _, secret = create_gateway(None, enterprise=point.enterprise, gateway_id=f"gw-d{point.pk}")
    now = timezone.now()
    readings = [
        {"point": point.code, "ts": (now - dt.timedelta(seconds=len(values) - n)).isoformat(), "value": v}
        for n, v in enumerate(values)
    ]
    response = post_signed(client, f"gw-d{point.pk}", secret, readings)
    assert response.status_code == 202 and response.json()["accepted"] == len(values)


def wait_for(condition, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def sweep_now():
    """What beat does every 30 s: re-queue batches left unprocessed (aged so the sweep takes them)."""
    from apps.monitoring.models import IngestBatch
    from apps.monitoring.tasks import sweep_batches

    IngestBatch.objects.filter(processed_at__isnull=True).update(received_at=timezone.now() - dt.timedelta(minutes=2))
    sweep_batches.delay()


def assert_counted_once(point):
    from apps.monitoring.models import Alarm, IngestBatch

    batch = IngestBatch.objects.get()
    assert batch.processed_at is not None and batch.attempts == 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM monitoring_reading WHERE point_id = %s", [point.pk])
        assert cursor.fetchone()[0] == 2
        cursor.execute("SELECT sum(n) FROM monitoring_rollup_minute WHERE point_id = %s", [point.pk])
        assert cursor.fetchone()[0] == 2
    assert Alarm.objects.filter(point=point).count() == 1


def test_a_worker_killed_mid_batch_loses_nothing_and_duplicates_nothing(not_eager, point, client):
    from apps.monitoring.models import Alarm, IngestBatch, PointState
    from apps.monitoring.tasks import process_batch

    PointState.objects.create(point=point)
    db = connection.settings_dict
    # Hold the point's tracker so the worker stops inside its transaction, past the point of no return.
    holder = psycopg.connect(
        host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"], dbname=db["NAME"]
    )
    holder.execute("SELECT 1 FROM monitoring_pointstate WHERE point_id = %s FOR UPDATE", [point.pk])
    # pg_stat_activity is read once per transaction, so the watcher runs outside the holder's.
    watcher = psycopg.connect(
        host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"], dbname=db["NAME"], autocommit=True
    )
    first = start_worker("doomed")
    try:
        post_readings(client, point, [70.0, 85.0])
        waiting = (
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%FOR UPDATE OF s%'"
        )
        assert wait_for(lambda: watcher.execute(waiting).fetchone()[0] == 1), "the worker never reached the batch"
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
        holder.rollback()
        holder.close()
        watcher.close()
    assert IngestBatch.objects.get().processed_at is None  # rolled back with the dead worker's connection
    assert not Alarm.objects.exists()
    second = start_worker("heir")
    try:
        sweep_now()
        assert wait_for(lambda: IngestBatch.objects.filter(processed_at__isnull=False).exists())
        # A redelivery finds it done.
        process_batch.delay(IngestBatch.objects.get().pk).get(timeout=30, disable_sync_subtasks=False)
    finally:
        stop_worker(second)
    assert_counted_once(point)


def test_a_broker_that_forgets_its_queue_delays_processing_but_loses_nothing(not_eager, point, client):
    import redis

    from apps.monitoring.models import IngestBatch

    post_readings(client, point, [70.0, 85.0])  # accepted = stored; its task now waits in Redis
    redis.Redis.from_url(settings.CELERY_BROKER_URL).delete(settings.CELERY_TASK_DEFAULT_QUEUE)  # a restart
    worker = start_worker("after-restart")
    try:
        time.sleep(1)
        assert IngestBatch.objects.get().processed_at is None  # the task went with the broker's memory
        sweep_now()
        assert wait_for(lambda: IngestBatch.objects.filter(processed_at__isnull=False).exists())
    finally:
        stop_worker(worker)
    assert_counted_once(point)

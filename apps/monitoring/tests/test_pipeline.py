"""Processing beyond alarms: rollups, online status and its transitions, maintenance windows, and
load shedding — through the real pipeline and database."""

import datetime as dt

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection
from django.utils import timezone

from apps.monitoring.models import (
    Alarm,
    EnterpriseLink,
    Gateway,
    IngestBatch,
    MaintenanceWindow,
    OnlineTransition,
    PointState,
)
from apps.monitoring.tests.factories import feed, post_signed, temperature_point

pytestmark = pytest.mark.django_db
# Ten past an hour, two hours ago: the tests add minutes to it and must stay within that hour.
T0 = dt.datetime.now(dt.UTC).replace(minute=10, second=0, microsecond=0) - dt.timedelta(hours=2)


@pytest.fixture
def point():
    return temperature_point(code="TI-P", period_s=60)


def rollup(table, point):
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT bucket, n, total, low, high FROM {table} WHERE point_id = %s ORDER BY bucket", [point.pk]
        )
        return cursor.fetchall()


def test_minute_rollups_add_up_across_batches_and_hours_follow_from_minutes(point):
    from apps.monitoring.storage import refresh_hour_rollups, rollups_of

    feed(point, [10, 20, 30], start=T0, every_s=10)
    feed(point, [40], start=T0 + dt.timedelta(seconds=40))  # same minute, another batch
    feed(point, [50], start=T0 + dt.timedelta(minutes=1))
    assert rollup("monitoring_rollup_minute", point) == [
        (T0, 4, 100.0, 10.0, 40.0),
        (T0 + dt.timedelta(minutes=1), 1, 50.0, 50.0, 50.0),
    ]
    assert rollup("monitoring_rollup_hour", point) == []
    assert refresh_hour_rollups() >= 1  # (other tests may have left hours of their own)
    hour = T0.replace(minute=0)
    assert rollup("monitoring_rollup_hour", point) == [(hour, 5, 150.0, 10.0, 50.0)]
    assert refresh_hour_rollups() == 0  # nothing new
    feed(point, [60], start=T0 + dt.timedelta(minutes=2))
    refresh_hour_rollups()
    assert rollup("monitoring_rollup_hour", point) == [(hour, 6, 210.0, 10.0, 60.0)]  # recomputed, not added twice
    ((bucket, n, avg, low, high),) = rollups_of(point.pk, hour, hour + dt.timedelta(hours=1), hourly=True)
    assert (n, avg, low, high) == (6, 35.0, 10.0, 60.0)


def test_online_status_and_its_transitions_for_point_gateway_and_enterprise(point):
    from apps.monitoring.processing import detect_offline

    feed(point, [50], start=timezone.now() - dt.timedelta(seconds=5))
    state = PointState.objects.get(point=point)
    gateway = Gateway.objects.get(enterprise=point.enterprise)
    assert state.online and state.gateway_id == gateway.pk
    gateway.refresh_from_db()
    assert gateway.online and gateway.last_seen_at is not None
    assert EnterpriseLink.objects.get(enterprise=point.enterprise).online
    came = set(OnlineTransition.objects.filter(online=True).values_list("subject", flat=True))
    assert came == {"point", "gateway", "enterprise"}
    feed(point, [51], start=timezone.now() - dt.timedelta(seconds=2))
    assert OnlineTransition.objects.count() == 3  # no new transition while online
    later = timezone.now() + dt.timedelta(minutes=10)
    assert detect_offline(later) == 1
    went = set(OnlineTransition.objects.filter(online=False).values_list("subject", flat=True))
    assert went == {"point", "gateway", "enterprise"}
    gateway.refresh_from_db()
    assert not gateway.online and not EnterpriseLink.objects.get(enterprise=point.enterprise).online
    assert not PointState.objects.get(point=point).online
    feed(point, [52], start=timezone.now())  # back: the offline alarm clears, the point is online again
    assert not Alarm.objects.get(side="offline").is_active
    assert PointState.objects.get(point=point).online
    assert OnlineTransition.objects.filter(subject="point", online=True).count() == 2


def test_stuck_value_keeps_the_time_it_last_changed(point):
    start = timezone.now() - dt.timedelta(minutes=30)
    feed(point, [50, 50, 50], start=start)
    first = PointState.objects.get(point=point).changed_ts
    feed(point, [50, 50], start=start + dt.timedelta(minutes=5))
    assert PointState.objects.get(point=point).changed_ts == first
    feed(point, [51], start=start + dt.timedelta(minutes=10))
    assert PointState.objects.get(point=point).changed_ts == start + dt.timedelta(minutes=10)


def _alarm_messages(enterprise_id, action):
    """Run ``action`` and return the alarm messages the enterprise's live group received."""
    layer = get_channel_layer()

    async def listen():
        channel = await layer.new_channel()
        await layer.group_add(f"live.enterprise.{enterprise_id}", channel)
        return channel

    channel = async_to_sync(listen)()
    action()

    async def drain():
        import asyncio

        found = []
        while True:
            try:
                message = await asyncio.wait_for(layer.receive(channel), 0.5)
            except TimeoutError:
                return found
            if message["event"]["kind"] == "alarms":
                found += message["event"]["events"]

    return async_to_sync(drain)()


@pytest.mark.django_db(transaction=True)
def test_alarms_inside_a_maintenance_window_are_recorded_but_not_pushed(point):
    start = timezone.now() - dt.timedelta(minutes=5)
    MaintenanceWindow.objects.create(
        enterprise=point.enterprise,
        facility=point.facility,
        starts_at=start - dt.timedelta(minutes=1),
        ends_at=start + dt.timedelta(minutes=2),
        reason="calibration",
    )
    quiet = _alarm_messages(point.enterprise_id, lambda: feed(point, [90], start=start))
    assert quiet == [] and Alarm.objects.get().shelved
    loud = _alarm_messages(point.enterprise_id, lambda: feed(point, [70], start=start + dt.timedelta(minutes=3)))
    assert [e["kind"] for e in loud] == ["alarm.cleared"]  # after the window: pushed again


def test_ingestion_sheds_load_with_429_and_retry_after_while_workers_are_behind(point, client, settings):
    from apps.monitoring import ingest
    from apps.monitoring.services import create_gateway

    _, secret = create_gateway(None, enterprise=point.enterprise, gateway_id="gw-shed")

    def post():
        return post_signed(
            client, "gw-shed", secret, [{"point": "TI-P", "ts": timezone.now().isoformat(), "value": 1.0}]
        )

    IngestBatch.objects.create(gateway=Gateway.objects.get(gateway_id="gw-shed"), source="http")  # waiting
    settings.ANQUAN_INGEST_MAX_PENDING_BATCHES = 0
    ingest._backlog[0] = 0.0  # forget the cached count
    refused = post()
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert IngestBatch.objects.count() == 1  # nothing stored for the refused request
    settings.ANQUAN_INGEST_MAX_PENDING_BATCHES = 10
    ingest._backlog[0] = 0.0
    assert post().status_code == 202


def test_enterprise_links_are_scoped_like_their_enterprise(point):
    """A key that is a one-to-one onto another one-to-one key (EnterpriseLink → Enterprise →
    Organisation) compares with guardian's text ids as an integer."""
    from apps.accounts.tests.factories import regulator, user_with_role

    feed(point, [50], start=timezone.now() - dt.timedelta(seconds=5))
    jinan = user_with_role("regulator_staff", regulator("370100"))
    qingdao = user_with_role("regulator_staff", regulator("370200"))
    assert list(EnterpriseLink.objects.for_user(jinan).values_list("pk", flat=True)) == [point.enterprise_id]
    assert not EnterpriseLink.objects.for_user(qingdao).exists()


def test_ops_see_the_backlog_alarms_and_transitions_in_the_admin(point, admin_client):
    feed(point, [90], start=timezone.now() - dt.timedelta(seconds=5))
    alarm = Alarm.objects.get()
    for url in (
        "/admin/monitoring/ingestbatch/?processed_at__isempty=1",
        "/admin/monitoring/alarm/",
        f"/admin/monitoring/alarm/{alarm.pk}/change/",
        "/admin/monitoring/onlinetransition/",
        "/admin/monitoring/maintenancewindow/",
        "/admin/monitoring/gateway/",
        "/admin/monitoring/monitoringpoint/",
    ):
        assert admin_client.get(url).status_code == 200, url


def _stored_batch(point, values, start):
    from apps.monitoring.services import create_gateway
    from apps.monitoring.storage import store_readings

    gateway = (
        point.enterprise.gateways.first() or create_gateway(None, enterprise=point.enterprise, gateway_id="gw-m")[0]
    )
    batch = IngestBatch.objects.create(gateway=gateway, source="http")
    store_readings([(point.pk, start + dt.timedelta(seconds=n), float(v)) for n, v in enumerate(values)], batch.pk)
    return batch


def test_a_worker_behind_takes_waiting_neighbours_into_one_run_within_its_reading_budget(point, monkeypatch):
    from apps.monitoring import processing

    start = timezone.now() - dt.timedelta(minutes=10)
    first = _stored_batch(point, [70, 85], start)
    second = _stored_batch(point, [86, 70], start + dt.timedelta(seconds=10))
    third = _stored_batch(point, [71], start + dt.timedelta(seconds=20))
    monkeypatch.setattr(processing, "MERGE_READINGS", 4)  # room for the first two batches only
    processing.process_batch(first.pk)
    assert set(IngestBatch.objects.filter(processed_at__isnull=False).values_list("pk", flat=True)) == {
        first.pk,
        second.pk,
    }
    assert processing.process_batch(second.pk) == 0  # its own task finds it done
    alarm = Alarm.objects.get()  # raised in the first batch, cleared in the second, in ts order
    assert not alarm.is_active and alarm.peak_value == 86
    assert processing.process_batch(third.pk) == 1
    assert PointState.objects.get(point=point).value == 71


@pytest.mark.django_db(transaction=True)
def test_ingestion_answers_503_with_retry_after_while_the_database_is_unreachable(point, client):
    import socket

    from django.db import connection

    from apps.monitoring.services import create_gateway

    _, secret = create_gateway(None, enterprise=point.enterprise, gateway_id="gw-down")
    with socket.socket() as unused:  # a port nobody listens on: the database "restarting"
        unused.bind(("127.0.0.1", 0))
        dead_port = unused.getsockname()[1]
    real_port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = dead_port
    try:
        response = post_signed(
            client, "gw-down", secret, [{"point": "TI-P", "ts": timezone.now().isoformat(), "value": 1.0}]
        )
    finally:
        connection.close()
        connection.settings_dict["PORT"] = real_port
    assert response.status_code == 503 and int(response["Retry-After"]) > 0
    assert not IngestBatch.objects.exists()


def test_a_gateways_later_batch_processed_first_takes_the_earlier_one_with_it(point):
    """Two workers may pick a gateway's batches in the wrong order; the excursion in the earlier
    batch must still raise (and the later one clear) its alarm."""
    from apps.monitoring import processing

    start = timezone.now() - dt.timedelta(minutes=10)
    earlier = _stored_batch(point, [85], start)
    later = _stored_batch(point, [70], start + dt.timedelta(seconds=30))
    processing.process_batch(later.pk)
    assert IngestBatch.objects.filter(processed_at__isnull=True).count() == 0
    alarm = Alarm.objects.get()
    assert alarm.started_at == start and alarm.ended_at == start + dt.timedelta(seconds=30)
    assert processing.process_batch(earlier.pk) == 0


def test_a_batch_spanning_minutes_is_rolled_up_minute_by_minute(point):
    feed(point, [10, 20, 30, 40], start=T0, every_s=30)  # two readings in each of two minutes
    assert rollup("monitoring_rollup_minute", point) == [
        (T0, 2, 30.0, 10.0, 20.0),
        (T0 + dt.timedelta(minutes=1), 2, 70.0, 30.0, 40.0),
    ]


def test_a_points_state_reads_normal_then_abnormal(point, api):
    """MON-03: a reading inside the limits, then one outside."""
    from apps.accounts.tests.factories import user_with_role

    api.force_authenticate(user_with_role("enterprise_admin", point.enterprise.organisation))
    assert api.get(f"/api/v1/monitoring-points/{point.pk}/state/").json()["state"] == "no_data"
    feed(point, [50], start=timezone.now() - dt.timedelta(seconds=20))
    first = api.get(f"/api/v1/monitoring-points/{point.pk}/state/").json()
    assert first["state"] == "normal" and first["value"] == 50 and first["active_alarm"] is None
    feed(point, [81], start=timezone.now() - dt.timedelta(seconds=5))
    second = api.get(f"/api/v1/monitoring-points/{point.pk}/state/").json()
    assert second["state"] == "abnormal" and second["level"] == "high" and second["active_alarm"]
